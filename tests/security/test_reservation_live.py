"""A worker killed in the middle of a password check leaves its slot behind; the slot stops counting
PORTAL_VERIFICATION_RESERVATION_SECONDS after it was taken, although the account is signed in to
again and again meanwhile (each sign-in taking a slot of its own)."""

import os
import signal
import threading
import time
from pathlib import Path

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.hashers import Argon2PasswordHasher, make_password

from accounts.forms import INVALID_SIGN_IN
from security.models import VerificationGate, VerificationSlot
from tests.conftest import MEMBER_PASSWORD
from tests.live import LiveClient
from tests.live.time_limit import time_limit

pytestmark = pytest.mark.live

PERIOD = 2  # seconds: PORTAL_VERIFICATION_RESERVATION_SECONDS on the server
TEST_SECONDS = 150
FROZEN_TEXT = "This account is frozen"


class SlowArgon2(Argon2PasswordHasher):
    time_cost = 80  # half a second per check or more: time enough to kill the worker in the middle of one


@pytest.fixture(autouse=True)
def _time_limit():
    with time_limit(TEST_SECONDS):
        yield


@pytest.fixture
def member(make_member):
    member = make_member()
    hasher = SlowArgon2()
    member.password = hasher.encode(MEMBER_PASSWORD, hasher.salt())
    member.save(update_fields=["password"])
    return member


def workers(server):
    master = server.process.pid
    return [int(pid) for pid in Path(f"/proc/{master}/task/{master}/children").read_text().split()]


def cpu_ticks(pid):
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def hashing_worker(server):
    """The worker that is computing the hash: the one burning CPU."""
    before = {pid: cpu_ticks(pid) for pid in workers(server)}
    time.sleep(0.2)
    return max(before, key=lambda pid: cpu_ticks(pid) - before[pid])


def outcome(response):
    if response.status == 302:
        return "signed in"
    if response.status == 200 and INVALID_SIGN_IN in response.text:
        return "failed"
    if response.status == 403 and FROZEN_TEXT in response.text:
        return "frozen"
    return f"unexpected {response.status}"


def sign_in(server, password):
    return outcome(LiveClient(server, timeout=30).sign_in("alice", password))


def test_it_frees_a_killed_workers_slot_after_the_period_while_the_account_stays_in_use(app_servers, member):
    # Two workers: one is killed, the other goes on serving while gunicorn boots a new one.
    (server,) = app_servers.start(1, workers=2, threads=4, PORTAL_VERIFICATION_RESERVATION_SECONDS=PERIOD)
    guesser = LiveClient(server, timeout=30)
    token = guesser.login_form()
    answers = []
    guess = threading.Thread(target=lambda: answers.append(_answer_or_error(guesser, token)))
    guess.start()
    deadline = time.monotonic() + 20
    while not VerificationSlot.objects.filter(username="alice").exists():  # the check has begun
        assert time.monotonic() < deadline, "the guess never took a slot"
        time.sleep(0.01)
    os.kill(hashing_worker(server), signal.SIGKILL)
    leaked_at = time.monotonic()
    guess.join(timeout=30)
    assert answers == ["no answer"]  # the worker died before the outcome
    assert VerificationGate.objects.get(username="alice").in_flight == 1
    assert not AccessAttempt.objects.exists()  # the guess was never counted: its slot stands in for it
    member.password = make_password(MEMBER_PASSWORD, hasher="argon2")  # the usual cost from here on
    member.save(update_fields=["password"])

    signed_in = 0
    while time.monotonic() - leaked_at < PERIOD + 0.5:  # the member signs in, again and again
        assert sign_in(server, MEMBER_PASSWORD) == "signed in"
        signed_in += 1
    assert signed_in >= 2

    # The dead check's slot counts no more: five wrong passwords are all checked, and the fifth freezes.
    assert [sign_in(server, f"wrong {n}") for n in range(5)] == ["failed"] * 4 + ["frozen"]
    assert AccessAttempt.objects.get(username="alice").failures_since_start == 5


def _answer_or_error(client, token):
    try:
        return client.sign_in("alice", "wrong guess", token).status
    except OSError:
        return "no answer"
