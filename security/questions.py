"""Security questions: the curated list, answer normalization and hashing, decoys for unknown names.

Answers are weaker secrets than passwords, so they are kept like passwords: normalized so that a
member's own spelling differences do not matter, then hashed with the password hasher (salted
Argon2id); the answer itself is never stored, logged or shown.
"""

import hashlib
import hmac
import re
import unicodedata
from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop

from .audit import Kind, record_event
from .models import SecurityAnswer

if TYPE_CHECKING:
    from django.contrib.auth.models import _User as Member  # AUTH_USER_MODEL, as django-stubs resolves it

# Facts a stranger cannot find on a social profile: no birthplaces, schools, pets or maiden names.
# Kept in English (marked for the catalog); question_text() gives one in the member's language.
QUESTIONS = {
    "first_concert": gettext_noop("What was the first concert or live show you paid to attend?"),
    "first_dish": gettext_noop("Which dish did you first learn to cook on your own?"),
    "childhood_toy": gettext_noop("What did you call the toy or blanket you slept with as a small child?"),
    "house_number_age_ten": gettext_noop("What was the house or flat number where you lived at age ten?"),
    "first_video_game": gettext_noop("What was the first video game you played all the way through?"),
    "swim_teacher": gettext_noop("Who taught you to swim or to ride a bicycle? (first name)"),
    "first_solo_trip": gettext_noop("Where did you go on your first trip without your family?"),
    "first_job_neighbour": gettext_noop("What was the first name of the person you worked next to in your first job?"),
    "oldest_cousin_middle_name": gettext_noop("What is the middle name of your oldest cousin?"),
    "first_alarm_clock_song": gettext_noop("What song or sound did your first alarm clock or phone wake you with?"),
    "friend_street": gettext_noop("On which street did your closest childhood friend live?"),
    "worst_haircut_year": gettext_noop("In which year did you have the haircut you regret most?"),
}
QUESTION_COUNT = 3


def question_text(key: str) -> str:
    """The question stored as `key`, in the active language."""
    return gettext(QUESTIONS[key])


_PUNCTUATION = re.compile(r"[\W_]+", re.UNICODE)


def normalize_answer(answer: str) -> str:
    """One spelling of an answer: NFKC, case-folded, punctuation gone, spaces collapsed."""
    text = unicodedata.normalize("NFKC", answer).casefold()
    return " ".join(_PUNCTUATION.sub(" ", text).split())


def decoy_questions(username: str) -> list[str]:
    """The questions an unknown username is asked: chosen stably from it with a keyed hash."""
    key = hashlib.sha256(f"decoy-questions:{settings.SECRET_KEY}".encode()).digest()
    remaining = sorted(QUESTIONS)
    chosen = []
    for n in range(QUESTION_COUNT):
        digest = hmac.new(key, f"{n}:{username}".encode(), hashlib.sha256).digest()
        chosen.append(remaining.pop(int.from_bytes(digest[:8], "big") % len(remaining)))
    return chosen


def questions_for(member: "Member | None", username: str) -> list[str]:
    """The member's own questions, or decoys when there is no such member or none are set."""
    if member is not None:
        own = list(member.security_answers.order_by("position").values_list("question", flat=True))
        if len(own) == QUESTION_COUNT:
            return own
    return decoy_questions(username)


def answers_match(member: "Member | None", answers: Iterable[str]) -> bool:
    """True when every answer matches. The cost is the same whether or not the member exists."""
    stored = list(member.security_answers.order_by("position")) if member is not None else []
    if len(stored) != QUESTION_COUNT:
        for answer in answers:
            make_password(normalize_answer(answer))  # same work as a real check: no timing signal
        return False
    results = [
        check_password(normalize_answer(answer), row.answer_hash) for answer, row in zip(answers, stored, strict=True)
    ]
    return all(results)


@transaction.atomic
def set_security_answers(
    *, member: "Member", choices: Iterable[tuple[str, str]], request: HttpRequest | None = None
) -> None:
    """Replace the member's questions with `choices`, a list of (question key, answer). Never for staff."""
    if member.is_staff:
        raise PermissionDenied("Staff accounts have no security questions; they recover through an operator.")
    member.security_answers.all().delete()
    SecurityAnswer.objects.bulk_create(
        SecurityAnswer(
            member=member, position=n, question=question, answer_hash=make_password(normalize_answer(answer))
        )
        for n, (question, answer) in enumerate(choices, start=1)
    )
    member.security_questions_set_at = timezone.now()
    member.must_choose_security_questions = False
    member.save(update_fields=["security_questions_set_at", "must_choose_security_questions"])
    record_event(Kind.QUESTIONS_SET, request=request, member=member)
