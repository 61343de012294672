import pytest
from django.contrib.auth.hashers import make_password
from django.core.cache import cache

from accounts.models import User

MEMBER_PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True)
def _fresh_cache():
    # The per-address limit lives in the cache; one test's failures must not throttle the next.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def make_member(db):
    def make(username="alice", password=MEMBER_PASSWORD, **fields):
        fields.setdefault("email", f"{username}@example.com")
        fields.setdefault("first_name", username.title())
        return User.objects.create(username=username, password=make_password(password), **fields)

    return make


@pytest.fixture
def member(make_member):
    return make_member()
