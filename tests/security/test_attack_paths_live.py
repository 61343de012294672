"""Each way around the five-strike promise, attacked against real app servers (settings.prod, gunicorn).

The servers hash with the real Argon2id and count every hash (tests/live/counting_hasher.py); the
attacker knows the member's security answers (the hardest case) and restarts, retries and floods.
"""

import re
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from axes.models import AccessAttempt
from django.utils import timezone

from security import lockout
from security.models import ResetStrikes, SecurityEvent, VerificationGate
from tests.conftest import MEMBER_ANSWERS, MEMBER_PASSWORD, totp_code
from tests.live import LiveClient, csrf_token

pytestmark = pytest.mark.live

Kind = SecurityEvent.Kind
STATE = re.compile(r'name="state" value="([^"]+)"')
RIGHT = list(MEMBER_ANSWERS.values())
WRONG = ["wrong one", "wrong two", "wrong three"]
CODE_STEP = "/accounts/password-reset/second-factor/"


@pytest.fixture
def member(live_member):
    return live_member


def reset_questions(client, username="alice"):
    start = client.get("/accounts/password-reset/")
    client.post("/accounts/password-reset/", {"csrfmiddlewaretoken": csrf_token(start.text), "username": username})
    return client.get("/accounts/password-reset/questions/")


def reset_answer(client, answers, username="alice"):
    questions = reset_questions(client, username)
    if questions.status != 200:
        return questions
    fields = {f"answer_{n}": answer for n, answer in enumerate(answers, start=1)}
    token, state = csrf_token(questions.text), STATE.search(questions.text).group(1)
    return client.post("/accounts/password-reset/questions/", {"csrfmiddlewaretoken": token, "state": state, **fields})


def reset_codes(client, codes):
    page = client.get(CODE_STEP)
    token, state = csrf_token(page.text), STATE.search(page.text).group(1)
    return [
        client.post(CODE_STEP, {"csrfmiddlewaretoken": token, "state": state, "code": code}).status for code in codes
    ]


def test_the_reset_code_step_cannot_be_guessed_by_restarting(app_servers, member, enroll_totp):
    device = enroll_totp(member)
    (server,) = app_servers.start(1, workers=1, threads=2, PORTAL_RESET_IP_FAILURE_LIMIT="1000")
    attacker = LiveClient(server)
    checked = []
    for _ in range(4):  # restart the reset, answer right, four wrong codes: as the attack went
        step = reset_answer(attacker, RIGHT)
        if step.status == 302 and step.headers["Location"] == CODE_STEP:
            checked += reset_codes(attacker, ["000000", "111111", "222222", "333333"])
    # Five wrong codes in all were checked, then the account was frozen and the reset locked.
    assert checked.count(200) == 4 and len(checked) == 8 and set(checked[4:]) == {429}
    assert SecurityEvent.objects.filter(kind=Kind.SECOND_FACTOR_FAILED, member=member).count() == 5
    assert lockout.failure_count("alice") == 5
    frozen = LiveClient(server).sign_in("alice", MEMBER_PASSWORD)
    assert frozen.status == 403 and "This account is frozen" in frozen.text
    # After the lock period the member (answers and the real code) still unfreezes it.
    ResetStrikes.objects.filter(username="alice").update(locked_until=timezone.now())
    member_client = LiveClient(server)
    assert reset_answer(member_client, RIGHT).headers["Location"] == CODE_STEP
    assert reset_codes(member_client, [totp_code(device)]) == [302]


def test_security_answers_are_bounded_in_all_not_per_hour(app_servers, member):
    (server,) = app_servers.start(1, workers=1, threads=2, PORTAL_RESET_IP_FAILURE_LIMIT="1000")
    statuses = []
    for _ in range(4):  # four lock periods
        statuses += [reset_answer(LiveClient(server), WRONG).status for _ in range(5)]
        ResetStrikes.objects.filter(username="alice", locked_until__isnull=False).update(locked_until=timezone.now())
    assert statuses.count(200) == 8 and statuses[4] == 429 and set(statuses[9:]) == {429}
    refused = reset_answer(LiveClient(server), RIGHT)
    assert refused.status == 429 and "until Member Support unlocks it" in refused.text
    assert ResetStrikes.objects.get(username="alice").total_failures == 10
    # Ten wrong answer sets, each three Argon2id checks, and not one more.
    assert app_servers.hashes_computed() == 30


def test_an_address_cannot_spread_answer_guesses_over_usernames(app_servers, member, make_member):
    (server,) = app_servers.start(1, workers=1, threads=2, PORTAL_RESET_IP_FAILURE_LIMIT="4")
    statuses = [reset_answer(LiveClient(server), WRONG, username=f"name{n}").status for n in range(8)]
    assert statuses == [200] * 4 + [429] * 4
    assert "too many failed password resets from your network" in reset_answer(LiveClient(server), RIGHT).text


def test_turning_two_factor_off_cannot_be_guessed(app_servers, member, enroll_totp):
    device = enroll_totp(member)
    (server,) = app_servers.start(1, workers=1, threads=2)
    stolen = LiveClient(server)
    assert stolen.sign_in("alice", MEMBER_PASSWORD).status == 302
    code_page = stolen.get("/accounts/login/code/")
    stolen.post("/accounts/login/code/", {"csrfmiddlewaretoken": csrf_token(code_page.text), "code": totp_code(device)})
    statuses = []
    for n in range(8):
        page = stolen.get("/accounts/security/two-factor/remove/")
        if page.status != 200:
            statuses.append(page.status)
            break
        fields = {"csrfmiddlewaretoken": csrf_token(page.text), "current_password": MEMBER_PASSWORD}
        statuses.append(stolen.post("/accounts/security/two-factor/remove/", {**fields, "code": f"{n:06d}"}).status)
    # Four wrong codes shown as such, the fifth froze the account and ended the session.
    assert statuses[:4] == [200] * 4 and statuses[-1] == 302 and len(statuses) == 6
    assert SecurityEvent.objects.filter(kind=Kind.SECOND_FACTOR_FAILED, member=member).count() == 5
    assert device.__class__.objects.filter(pk=device.pk).exists()
    assert LiveClient(server).sign_in("alice", MEMBER_PASSWORD).status == 403


def test_secrets_typed_in_the_wrong_box_are_never_kept(app_servers, member, enroll_totp, tmp_path):
    from security import twofactor

    enroll_totp(member)
    twofactor.new_backup_codes(member=member, request=None)
    (server,) = app_servers.start(1, workers=1, threads=2)
    password_as_username = "Canary-Password-In-Username-Box"
    LiveClient(server).sign_in(password_as_username, "anything at all")
    client = LiveClient(server)
    client.sign_in("alice", MEMBER_PASSWORD)
    page = client.get("/accounts/login/code/")
    client.post("/accounts/login/code/", {"csrfmiddlewaretoken": csrf_token(page.text), "code": "canary-backup-1"})
    reset_answer(LiveClient(server), WRONG, username=password_as_username)
    app_servers.stop()

    stored = [
        str(list(model.objects.values())) for model in (SecurityEvent, AccessAttempt, VerificationGate, ResetStrikes)
    ]
    logs = [path.read_text(errors="replace") for path in tmp_path.glob("gunicorn-*.log")]
    assert SecurityEvent.objects.filter(kind=Kind.SIGN_IN_FAILED).count() == 1  # the attempts did happen
    assert SecurityEvent.objects.filter(kind=Kind.SECOND_FACTOR_FAILED).count() == 1
    for text in stored + logs:
        assert "canary" not in text.lower()


def test_a_flood_of_refusals_writes_a_bounded_audit_log(app_servers, member):
    (server,) = app_servers.start(1, workers=1, threads=4, PORTAL_IP_FAILURE_LIMIT="3")
    old_browser = LiveClient(server, user_agent="Mozilla/5.0 (Windows NT 6.1; Trident/7.0; rv:11.0) like Gecko")
    for _ in range(30):
        assert old_browser.get("/accounts/login/").status == 403
    starter = LiveClient(server)
    for n in range(30):
        page = starter.get("/accounts/password-reset/")
        fields = {"csrfmiddlewaretoken": csrf_token(page.text), "username": f"someone{n}"}
        starter.post("/accounts/password-reset/", fields)
    guesser = LiveClient(server)
    statuses = [guesser.sign_in(f"stuffed{n}", "wrong").status for n in range(30)]
    assert statuses.count(429) == 27
    counts = {kind: SecurityEvent.objects.filter(kind=kind).count() for kind in Kind.values}
    assert counts[Kind.BROWSER_REFUSED] == 1 and counts[Kind.RESET_STARTED] == 1
    assert counts[Kind.SIGN_IN_REFUSED_ADDRESS] == 1 and counts[Kind.SIGN_IN_FAILED] == 3


def test_the_address_limit_does_not_overshoot_under_concurrency(app_servers, db):
    (server,) = app_servers.start(1, workers=1, threads=8, PORTAL_IP_FAILURE_LIMIT="30")
    # Forty simultaneous guesses from one address, each at a different username.
    results = _all_at_once(server, [(f"victim{n}", f"guess {n}") for n in range(40)])
    assert app_servers.hashes_computed() <= 30
    assert sum(1 for response in results if response.status == 429) >= 10


def _all_at_once(server, attempts):
    """Each attempt from its own client, released together at a barrier once all have their CSRF token."""
    barrier = threading.Barrier(len(attempts))

    def attempt(item):
        username, password = item
        client = LiveClient(server, user_agent=f"guesser {username}")
        token = client.login_form()
        client.close()
        barrier.wait(timeout=30)
        try:
            return client.sign_in(username, password, token)
        finally:
            client.close()

    with ThreadPoolExecutor(max_workers=len(attempts)) as pool:
        return list(pool.map(attempt, attempts))


def test_a_stolen_locked_session_cannot_guess_past_the_remaining_strikes(app_servers, member):
    (server,) = app_servers.start(1, workers=2, threads=4)
    stolen = LiveClient(server)
    assert stolen.sign_in("alice", MEMBER_PASSWORD).status == 302
    for n in range(2):  # since that sign-in, two strikes spent elsewhere: three remain
        assert LiveClient(server).sign_in("alice", f"wrong {n}").status == 200
    outside = {"Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document", "Sec-Fetch-Site": "none"}
    assert stolen.request("GET", "/claims/", headers=outside).status == 303
    page = stolen.get("/accounts/confirm/?next=/claims/")
    assert page.status == 200 and "Confirm it" in page.text
    token, cookies = csrf_token(page.text), dict(stolen.cookies)
    hashes_before = app_servers.hashes_computed()
    barrier = threading.Barrier(12)

    def guess(n):
        client = LiveClient(server, cookies=cookies, user_agent=f"thief {n}")
        barrier.wait(timeout=30)
        fields = {"csrfmiddlewaretoken": token, "current_password": f"guess {n}", "next": "/claims/"}
        return client.post("/accounts/confirm/", fields).status

    with ThreadPoolExecutor(12) as pool:
        statuses = list(pool.map(guess, range(12)))
    # Only the three remaining strikes were ever checked; the rest were refused unchecked.
    assert app_servers.hashes_computed() - hashes_before <= 3
    assert SecurityEvent.objects.filter(kind=Kind.SIGN_IN_FAILED, member=member).count() == 5
    assert SecurityEvent.objects.filter(kind=Kind.ACCOUNT_FROZEN, member=member).count() == 1
    # Refused (200 with the form, 403 frozen, 429 busy), or, for a guess that arrived once the freeze
    # had ended the session, sent to sign in (302): never a 5xx.
    assert all(status in (200, 302, 403, 429) for status in statuses), statuses
    assert lockout.failure_count("alice") == 5
    # Frozen: the session is over and the right password no longer signs in.
    assert stolen.get("/claims/").status == 302
    assert LiveClient(server).sign_in("alice", MEMBER_PASSWORD).status == 403
