"""The bounded hashing queue: with PORTAL_HASH_QUEUE_LIMIT checks already waiting for this
process's hash slots, a sign-in gets the busy page (429) at once, hashing nothing and counting
nothing toward the freeze, the address limit or the audit log."""

import threading
import time

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import SESSION_KEY

from security import throttle
from security.hashers import HashQueueFull, PortalArgon2PasswordHasher, QueuePlace, hash_slots, waiting_checks
from security.lockout import failure_count
from security.models import SecurityEvent, VerificationGate
from tests.conftest import MEMBER_PASSWORD
from tests.helpers import event_kinds, sign_in

Kind = SecurityEvent.Kind
BUSY_TEXT = "busy checking other sign-ins"
PASSWORD = "correct horse battery staple"


def wait_until(condition, timeout=10):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


@pytest.fixture
def hasher(settings):
    settings.PORTAL_ARGON2_MEMORY_KIB = 1024  # the queue's behaviour, not the cost, is under test
    settings.PORTAL_ARGON2_TIME_COST = 1
    hasher = PortalArgon2PasswordHasher()
    return hasher, hasher.encode(PASSWORD, hasher.salt())


@pytest.fixture
def full_queue(settings, hasher):
    """The process's one hash slot held, and one check waiting for it: the limit of one reached."""
    settings.PORTAL_ARGON2_HASHES_AT_ONCE = 1
    settings.PORTAL_HASH_QUEUE_LIMIT = 1
    argon2, encoded = hasher
    slots = hash_slots()
    slots.acquire()
    waiting = threading.Thread(target=argon2.verify, args=(PASSWORD, encoded))
    waiting.start()
    held = [True]

    def release():
        if held[0]:
            held[0] = False
            slots.release()
            waiting.join(timeout=30)

    try:
        wait_until(lambda: waiting_checks() == 1)
        yield release
    finally:
        release()
    assert waiting_checks() == 0


def test_it_answers_busy_at_once_when_the_queue_is_full(client, member, full_queue):
    response = sign_in(client, "alice", MEMBER_PASSWORD)

    assert response.status_code == 429
    assert BUSY_TEXT in response.content.decode()
    assert 'name="password"' in response.content.decode()  # the form again, to retry
    assert SESSION_KEY not in client.session
    assert waiting_checks() == 1  # the refused sign-in took no place


def test_it_counts_a_busy_refusal_toward_nothing(client, member, full_queue):
    for n in range(7):  # more than the freeze's five
        assert sign_in(client, "alice", f"wrong guess {n}").status_code == 429

    assert failure_count("alice") == 0
    assert not AccessAttempt.objects.exists()
    assert not VerificationGate.objects.filter(in_flight__gt=0).exists()
    assert event_kinds() == []  # neither a failure nor a refusal in the audit log
    assert not throttle.is_throttled(client.get("/accounts/login/").wsgi_request)


def test_it_signs_in_once_the_queue_has_room_again(client, member, full_queue):
    for n in range(6):
        sign_in(client, "alice", f"wrong guess {n}")
    full_queue()

    assert sign_in(client, "alice", MEMBER_PASSWORD).status_code == 302
    assert client.session[SESSION_KEY] == str(member.pk)
    assert event_kinds(member=member) == [Kind.SIGN_IN_SUCCEEDED]


def test_it_checks_and_counts_a_wrong_password_once_the_queue_has_room(client, member, full_queue):
    full_queue()

    response = sign_in(client, "alice", "wrong guess")
    assert response.status_code == 200 and BUSY_TEXT not in response.content.decode()
    assert failure_count("alice") == 1
    assert event_kinds() == [Kind.SIGN_IN_FAILED]


def test_it_signs_in_while_fewer_than_the_limit_wait(client, member, settings, full_queue):
    settings.PORTAL_HASH_QUEUE_LIMIT = 2

    assert sign_in(client, "alice", MEMBER_PASSWORD).status_code == 302


def test_it_gives_places_up_to_the_limit_and_takes_them_back(settings):
    settings.PORTAL_HASH_QUEUE_LIMIT = 2
    with QueuePlace(), QueuePlace():
        assert waiting_checks() == 2
        with pytest.raises(HashQueueFull):
            QueuePlace()
        assert waiting_checks() == 2
    assert waiting_checks() == 0
    with QueuePlace():
        assert waiting_checks() == 1
    assert waiting_checks() == 0


def test_it_waits_in_the_place_taken_and_never_refuses_a_check_halfway(settings, hasher):
    settings.PORTAL_HASH_QUEUE_LIMIT = 1
    argon2, encoded = hasher
    with QueuePlace():
        assert waiting_checks() == 1
        # The check's own hash uses its place; a re-hash after it is not refused though the queue is full.
        assert argon2.verify(PASSWORD, encoded)
        assert waiting_checks() == 0
        QueuePlace().__exit__(None, None, None)  # another check's place, taken meanwhile and given back
        assert argon2.encode(PASSWORD, argon2.salt()).startswith("argon2$argon2id$")
    assert waiting_checks() == 0


def test_it_never_refuses_a_hash_outside_a_sign_in(settings, hasher):
    settings.PORTAL_HASH_QUEUE_LIMIT = 1
    argon2, encoded = hasher
    others = QueuePlace()  # the queue is full
    try:
        assert argon2.verify(PASSWORD, encoded)
    finally:
        others.__exit__(None, None, None)
    assert waiting_checks() == 0
