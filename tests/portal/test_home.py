from tests.conftest import MEMBER_PASSWORD
from tests.helpers import sign_in


def test_it_requires_sign_in_and_keeps_the_page_asked_for(client, db):
    response = client.get("/")
    assert response.status_code == 302 and response["Location"] == "/accounts/login/?next=/"


def test_it_greets_the_member(client, member):
    client.force_login(member)
    page = client.get("/").content.decode()
    assert "Welcome, Alice" in page and "This is your first sign-in" in page


def test_it_tells_the_member_about_failed_attempts_since_the_last_visit(client, member):
    sign_in(client, "alice", MEMBER_PASSWORD)
    client.post("/accounts/logout/")
    for _ in range(3):
        sign_in(client, "alice", "someone guessing")
    sign_in(client, "alice", MEMBER_PASSWORD)
    page = client.get("/").content.decode()
    assert "<dd>3</dd>" in page and "Someone tried to sign in to your account" in page
    client.post("/accounts/logout/")
    sign_in(client, "alice", MEMBER_PASSWORD)
    assert "<dd>0</dd>" in client.get("/").content.decode()


def test_it_says_how_many_failures_freeze_the_account_from_the_live_setting(client, member, settings):
    settings.PORTAL_FREEZE_AFTER_FAILURES = 7
    page = " ".join(client.get("/accounts/login/").content.decode().split())
    assert "an account is frozen after 7 failed sign-in attempts in a row" in page
