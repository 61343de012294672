import pytest
from django.contrib.auth import SESSION_KEY
from django.test import Client

from security import lockout
from security.models import MemberSession, SecurityEvent
from tests.conftest import MEMBER_PASSWORD
from tests.helpers import event_kinds, sign_in

Kind = SecurityEvent.Kind
NAVIGATE = {"sec-fetch-mode": "navigate", "sec-fetch-dest": "document"}
FROM_BOOKMARK = {**NAVIGATE, "sec-fetch-site": "none"}
WITHIN = {**NAVIGATE, "sec-fetch-site": "same-origin"}
CONFIRM = "/accounts/confirm/"
REASON = "You came back to the portal from outside it, so we ask for your password again."


@pytest.fixture
def signed_in(client, member):
    sign_in(client, "alice", MEMBER_PASSWORD)
    old_key = client.session.session_key
    client.old_key = old_key
    return client


def lock(client):
    response = client.get("/accounts/security/", headers=FROM_BOOKMARK)
    assert response.status_code == 303
    return response


def is_locked(client):
    """What the page's timer is told (the status check is no activity)."""
    return client.get("/accounts/session/").json().get("locked", False)


def confirm(client, password=MEMBER_PASSWORD, next="/accounts/security/"):
    return client.post(CONFIRM, {"current_password": password, "next": next})


@pytest.mark.parametrize("site", ["none", "cross-site"])
def test_it_asks_for_the_password_again_when_coming_from_outside(signed_in, member, site):
    response = signed_in.get("/accounts/security/", headers={**NAVIGATE, "sec-fetch-site": site})
    assert response["Location"] == f"{CONFIRM}?next=%2Faccounts%2Fsecurity%2F"
    # Locked, not ended: the member is still signed in, and the session is still listed.
    assert signed_in.session[SESSION_KEY] == str(member.pk)
    assert MemberSession.objects.get(session_key=signed_in.old_key).ended_at is None
    page = signed_in.get(response["Location"], headers=WITHIN).content.decode()
    assert "Confirm it's you" in page and REASON in page
    assert "alice" in page and 'name="current_password"' in page and 'name="code"' not in page
    assert Kind.SESSION_LOCKED_RETURN in event_kinds(member=member)
    assert Kind.SESSION_ENDED_RETURN not in event_kinds(member=member)


def test_the_right_password_goes_on_to_the_page_asked_for_under_a_new_key(signed_in, member):
    lock(signed_in)
    response = confirm(signed_in)
    assert response.status_code == 302 and response["Location"] == "/accounts/security/"
    assert signed_in.session.session_key != signed_in.old_key
    listed = MemberSession.objects.get(member=member)
    assert listed.session_key == signed_in.session.session_key and listed.ended_at is None
    assert signed_in.get("/accounts/security/", headers=WITHIN).status_code == 200
    assert event_kinds(member=member)[-2:] == [Kind.SESSION_LOCKED_RETURN, Kind.SESSION_CONFIRMED]


def test_a_wrong_password_counts_toward_the_freeze(signed_in, member):
    lock(signed_in)
    response = confirm(signed_in, "not my password")
    assert response.status_code == 200 and "That is not your current password." in response.content.decode()
    assert lockout.failure_count("alice") == 1
    failed = SecurityEvent.objects.filter(member=member, kind=Kind.SIGN_IN_FAILED).get()
    assert failed.reason == "confirm it's you"
    assert is_locked(signed_in)  # still locked
    assert signed_in.get("/accounts/security/", headers=WITHIN).status_code == 303


def test_five_wrong_passwords_freeze_the_account_and_end_every_session(signed_in, member):
    other = Client()
    sign_in(other, "alice", MEMBER_PASSWORD)
    lock(signed_in)
    statuses = [confirm(signed_in, f"wrong {n}").status_code for n in range(5)]
    assert statuses == [200, 200, 200, 200, 403]
    assert lockout.is_frozen("alice")
    assert Kind.ACCOUNT_FROZEN in event_kinds(member=member)
    assert not MemberSession.objects.filter(member=member, ended_at__isnull=True).exists()
    assert SESSION_KEY not in signed_in.session
    assert other.get("/accounts/security/", headers=WITHIN).status_code == 302  # to sign-in


def test_the_idle_limit_ends_a_locked_session(signed_in, member, clock, settings):
    lock(signed_in)
    clock.advance(settings.PORTAL_IDLE_TIMEOUT_SECONDS - 1)
    # Requests while locked are no activity: they do not move the idle limit.
    assert signed_in.get("/accounts/security/", headers=WITHIN).status_code == 303
    assert signed_in.get("/accounts/session/").json()["locked"] is True
    clock.advance(1)
    response = signed_in.get("/accounts/security/", headers=WITHIN)
    assert response.status_code == 302 and "signed_out=idle" in response["Location"]
    assert SESSION_KEY not in signed_in.session
    assert Kind.SESSION_EXPIRED_IDLE in event_kinds(member=member)


def test_other_tabs_get_the_confirm_page_with_the_reason_then_carry_on(signed_in):
    lock(signed_in)
    other_tab = signed_in.get("/claims/", headers=WITHIN)
    assert other_tab.status_code == 303 and other_tab["Location"] == f"{CONFIRM}?next=%2Fclaims%2F"
    page = signed_in.get(other_tab["Location"], headers=WITHIN).content.decode()
    assert REASON in page
    status = signed_in.get("/accounts/session/", headers={"accept": "application/json"}).json()
    assert status["signed_in"] is True and status["locked"] is True and status["confirm_url"] == CONFIRM
    confirm(signed_in)
    assert signed_in.get("/claims/", headers=WITHIN).status_code == 200
    assert "locked" not in signed_in.get("/accounts/session/").json()


def test_a_post_while_locked_changes_nothing(signed_in, member):
    lock(signed_in)
    before = (member.email, list(event_kinds(member=member)))
    response = signed_in.post(
        "/profile/email/", {"email": "mallory@example.com", "current_password": MEMBER_PASSWORD}, headers=WITHIN
    )
    assert response.status_code == 303 and response["Location"] == CONFIRM
    member.refresh_from_db()
    assert (member.email, list(event_kinds(member=member))) == before
    keep_alive = signed_in.post("/accounts/session/keep-alive/", headers={"accept": "application/json"})
    assert keep_alive.status_code == 303 and keep_alive["Location"] == CONFIRM
    assert is_locked(signed_in)


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/\\evil.example", "home"])
def test_an_open_redirect_in_next_is_refused(signed_in, target):
    lock(signed_in)
    response = confirm(signed_in, next=target)
    assert response.status_code == 302 and response["Location"] == "/"


def test_a_session_that_is_not_locked_is_sent_on_from_the_confirm_page(signed_in):
    response = signed_in.get(f"{CONFIRM}?next=/claims/", headers=WITHIN)
    assert response.status_code == 302 and response["Location"] == "/claims/"


@pytest.mark.parametrize(
    "headers",
    [
        {**NAVIGATE, "sec-fetch-site": "same-origin"},
        {**NAVIGATE, "sec-fetch-site": "same-site"},
        {"sec-fetch-mode": "cors", "sec-fetch-site": "same-origin", "sec-fetch-dest": "empty"},
        {"accept": "text/html", "referer": "http://testserver/"},
        {"accept": "application/json"},
    ],
    ids=["same-origin", "same-site", "fetch", "old-browser-own-link", "not-a-page"],
)
def test_it_goes_on_as_usual_within_the_portal(signed_in, headers):
    assert signed_in.get("/accounts/security/", headers=headers).status_code == 200
    assert SESSION_KEY in signed_in.session and not is_locked(signed_in)


@pytest.mark.parametrize("referer", [None, "https://elsewhere.example/page", "https://testserver/"])
def test_it_falls_back_to_the_referer_without_fetch_metadata(signed_in, referer):
    headers = {"accept": "text/html,application/xhtml+xml"}
    if referer:
        headers["referer"] = referer
    response = signed_in.get("/", headers=headers)
    assert response.status_code == 303 and response["Location"].startswith(CONFIRM)


def test_it_locks_the_session_on_public_pages_too_without_redirecting(signed_in):
    response = signed_in.get("/accounts/signed-out/", headers={**NAVIGATE, "sec-fetch-site": "none"})
    assert response.status_code == 200
    assert SESSION_KEY in signed_in.session and is_locked(signed_in)


def test_it_does_not_lock_a_session_for_a_post_from_outside(signed_in):
    response = signed_in.post("/accounts/session/keep-alive/", headers={**NAVIGATE, "sec-fetch-site": "cross-site"})
    assert response.status_code == 302 and SESSION_KEY in signed_in.session
    assert not is_locked(signed_in)


def test_a_locked_member_can_sign_out(signed_in, member):
    lock(signed_in)
    response = signed_in.post("/accounts/logout/")
    assert response.status_code == 302 and SESSION_KEY not in signed_in.session
    assert MemberSession.objects.get(member=member).end_reason == "signed_out"


def test_it_clears_the_browser_on_sign_out(signed_in):
    response = signed_in.post("/accounts/logout/")
    assert response["Clear-Site-Data"] == '"cache", "cookies", "storage"'
