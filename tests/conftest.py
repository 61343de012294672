import pytest
from django.contrib.auth.hashers import make_password
from django.core.cache import cache
from django.utils import timezone

from accounts.models import User
from security.models import SecurityAnswer
from security.questions import normalize_answer

MEMBER_PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True)
def _fresh_cache():
    # The per-address limit lives in the cache; one test's failures must not throttle the next.
    cache.clear()
    yield
    cache.clear()


MEMBER_ANSWERS = {"first_concert": "The Proclaimers", "first_dish": "Omelette", "friend_street": "Elm Row"}


@pytest.fixture
def make_member(db):
    """A member; with security questions already chosen unless with_questions=False."""

    def make(username="alice", password=MEMBER_PASSWORD, with_questions=True, **fields):
        fields.setdefault("email", f"{username}@example.com")
        fields.setdefault("first_name", username.title())
        if with_questions:
            fields.setdefault("security_questions_set_at", timezone.now())
        member = User.objects.create(username=username, password=make_password(password), **fields)
        if with_questions:
            SecurityAnswer.objects.bulk_create(
                SecurityAnswer(member=member, position=n, question=q, answer_hash=make_password(normalize_answer(a)))
                for n, (q, a) in enumerate(MEMBER_ANSWERS.items(), start=1)
            )
        return member

    return make


@pytest.fixture
def member(make_member):
    return make_member()
