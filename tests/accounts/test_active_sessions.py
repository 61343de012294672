import re

from django.contrib.sessions.models import Session
from django.test import Client

from security import lockout
from security.models import MemberSession, SecurityEvent
from tests.conftest import MEMBER_PASSWORD
from tests.helpers import event_kinds, sign_in

CHROME = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/150.0.0.0 Safari/537.36"
FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:140.0) Gecko/20100101 Firefox/140.0"


def browser(user_agent, address="127.0.0.1"):
    client = Client(headers={"user-agent": user_agent}, REMOTE_ADDR=address)
    assert sign_in(client, "alice", MEMBER_PASSWORD).status_code == 302
    return client


def test_it_lists_each_session_with_browser_place_and_activity(member):
    laptop = browser(CHROME)
    browser(FIREFOX, address="81.2.69.160")
    page = laptop.get("/accounts/security/sessions/").content.decode()
    assert "Chrome 150 on Linux <strong>(this session)</strong>" in page
    assert "Firefox 140 on Windows" in page and "United Kingdom" in page and "81.2.69.160" in page


def test_it_signs_out_one_other_session(member):
    laptop, phone = browser(CHROME), browser(FIREFOX)
    other = MemberSession.objects.get(user_agent=FIREFOX)
    assert laptop.post(f"/accounts/security/sessions/{other.pk}/end/").status_code == 302
    assert phone.get("/").status_code == 302
    assert laptop.get("/").status_code == 200
    assert SecurityEvent.Kind.SESSION_ENDED in event_kinds(member=member)


def test_it_signs_out_all_other_sessions(member):
    laptop = browser(CHROME)
    others = [browser(FIREFOX) for _ in range(3)]
    response = laptop.post("/accounts/security/sessions/end-others/", follow=True)
    assert "Signed out 3 other sessions." in response.content.decode()
    assert all(other.get("/").status_code == 302 for other in others)
    assert laptop.get("/").status_code == 200


def test_it_cannot_end_another_members_session(member, make_member):
    make_member("bob")
    bob = Client()
    sign_in(bob, "bob", MEMBER_PASSWORD)
    laptop = browser(CHROME)
    bobs = MemberSession.objects.get(member__username="bob")
    laptop.post(f"/accounts/security/sessions/{bobs.pk}/end/")
    assert bob.get("/").status_code == 200


def test_it_shows_sign_in_activity_with_failures(member):
    attacker = Client(headers={"user-agent": FIREFOX}, REMOTE_ADDR="81.2.69.160")
    sign_in(attacker, "alice", "guess")
    laptop = browser(CHROME)
    page = laptop.get("/accounts/security/activity/").content.decode()
    assert page.count("Sign-in failed") == 1 and page.count("Sign-in succeeded") == 1
    assert "Firefox 140 on Windows" in page and "United Kingdom" in page


def test_it_marks_only_failed_attempts_as_failed(member):
    attacker = Client(headers={"user-agent": FIREFOX}, REMOTE_ADDR="81.2.69.160")
    for n in range(5):
        sign_in(attacker, "alice", f"guess {n}")  # the fifth freezes the account
    lockout.unfreeze_account(member=member, reason="verified by phone", actor="support")
    page = browser(CHROME).get("/accounts/security/activity/").content.decode()
    rows = re.findall(r'<tr role="row"( class="failed")?>\s*<td[^>]*>[^<]*</td>\s*<td[^>]*>([^<]*)</td>', page)
    shown = [(what, bool(failed)) for failed, what in rows]
    assert shown == [
        ("Sign-in succeeded", False),
        ("Account unfrozen", False),
        ("Account frozen", False),
        *[("Sign-in failed", True)] * 5,
    ]


def test_support_staff_can_end_all_of_a_members_sessions(staff_client, member):
    phone = browser(FIREFOX)
    action = {"action": "end_all_sessions", "_selected_action": [member.pk]}
    asked = staff_client.post("/admin/accounts/user/", action)
    assert "Reason (written to the audit log)" in asked.content.decode()
    assert phone.get("/").status_code == 200
    response = staff_client.post(
        "/admin/accounts/user/", {**action, "apply": "yes", "reason": "member reported a lost phone"}, follow=True
    )
    assert "End all sessions: done for 1 of 1." in response.content.decode()
    assert phone.get("/").status_code == 302
    event = SecurityEvent.objects.get(kind=SecurityEvent.Kind.SESSION_ENDED)
    assert (event.actor, event.member, event.reason) == ("sam", member, "member reported a lost phone")


def whole_seconds(clock):
    """Start the clock on a whole second, so that the sums of the stamps below are exact."""
    clock.now = float(int(clock.now))


def test_it_stops_listing_an_idle_session_at_the_idle_limit(member, clock, settings):
    whole_seconds(clock)
    phone = browser(FIREFOX)
    clock.advance(settings.PORTAL_IDLE_TIMEOUT_SECONDS - 1)
    laptop = browser(CHROME)
    assert "Firefox 140 on Windows" in laptop.get("/accounts/security/sessions/").content.decode()
    clock.advance(1)
    assert "Firefox 140 on Windows" not in laptop.get("/accounts/security/sessions/").content.decode()
    response = laptop.post("/accounts/security/sessions/end-others/", follow=True)
    assert "Signed out 0 other sessions." in response.content.decode()
    assert phone.get("/")["Location"].endswith("signed_out=idle")
    assert MemberSession.objects.get(user_agent=FIREFOX).end_reason == "idle"


def test_it_stops_listing_a_session_at_its_absolute_limit(member, clock, settings):
    whole_seconds(clock)
    tablet = browser(FIREFOX)
    for _ in range(settings.PORTAL_SESSION_MAX_SECONDS // 600 - 1):
        clock.advance(600)
        assert tablet.get("/").status_code == 200
    laptop = browser(CHROME)
    assert "Firefox 140 on Windows" in laptop.get("/accounts/security/sessions/").content.decode()
    clock.advance(600)
    assert "Firefox 140 on Windows" not in laptop.get("/accounts/security/sessions/").content.decode()
    assert tablet.get("/")["Location"].endswith("signed_out=max_age")
    assert MemberSession.objects.get(user_agent=FIREFOX).end_reason == "max_age"


def test_it_stops_listing_a_session_that_signed_out(member):
    laptop, phone = browser(CHROME), browser(FIREFOX)
    phone.post("/accounts/logout/")
    assert "Firefox 140 on Windows" not in laptop.get("/accounts/security/sessions/").content.decode()
    assert MemberSession.objects.get(user_agent=FIREFOX).end_reason == "signed_out"


def test_it_stops_listing_a_session_whose_record_is_gone(member):
    laptop, phone = browser(CHROME), browser(FIREFOX)
    Session.objects.filter(session_key=phone.cookies["sessionid"].value).delete()  # e.g. clearsessions
    assert "Firefox 140 on Windows" not in laptop.get("/accounts/security/sessions/").content.decode()
