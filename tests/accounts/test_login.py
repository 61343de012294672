from django.contrib.auth import SESSION_KEY

from security.models import SecurityEvent
from tests.conftest import MEMBER_PASSWORD
from tests.helpers import event_kinds, sign_in

Kind = SecurityEvent.Kind


def test_it_shows_the_form_with_password_manager_hints(client, db):
    page = client.get("/accounts/login/").content.decode()
    assert 'name="username"' in page and 'autocomplete="username"' in page
    assert 'name="password"' in page and 'autocomplete="current-password"' in page


def test_it_signs_in_and_lands_on_home(client, member):
    response = sign_in(client, "alice", MEMBER_PASSWORD)
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.session[SESSION_KEY] == str(member.pk)
    assert "Welcome, Alice" in client.get("/").content.decode()
    assert event_kinds(member=member) == [Kind.SIGN_IN_SUCCEEDED]


def test_it_accepts_other_spellings_of_the_same_username(client, member):
    response = sign_in(client, "  ＡＬＩＣＥ ", MEMBER_PASSWORD)
    assert response.status_code == 302
    assert client.session[SESSION_KEY] == str(member.pk)


def test_it_gives_one_message_for_wrong_password_and_unknown_username(client, member):
    wrong_password = sign_in(client, "alice", "not the password at all")
    unknown_user = sign_in(client, "nobody-here", "not the password at all")
    for response in (wrong_password, unknown_user):
        assert response.status_code == 200
        assert "The username or password is not correct." in response.content.decode()
    assert SESSION_KEY not in client.session


def test_it_never_writes_the_password_back_into_the_page(client, member):
    response = sign_in(client, "alice", "my-secret-canary-4471")
    assert "my-secret-canary-4471" not in response.content.decode()


def test_it_refuses_an_inactive_member_like_a_wrong_password(client, make_member):
    make_member("dormant", is_active=False)
    response = sign_in(client, "dormant", MEMBER_PASSWORD)
    assert "The username or password is not correct." in response.content.decode()
    assert SESSION_KEY not in client.session


def test_it_returns_to_the_bookmarked_page_after_sign_in(client, member):
    bookmarked = client.get("/?tab=claims")
    assert bookmarked.status_code == 302
    assert bookmarked["Location"] == "/accounts/login/?next=/%3Ftab%3Dclaims"
    login_page = client.get(bookmarked["Location"]).content.decode()
    assert 'name="next" value="/?tab=claims"' in login_page
    response = sign_in(client, "alice", MEMBER_PASSWORD, next="/?tab=claims")
    assert response["Location"] == "/?tab=claims"


def test_it_never_sends_the_member_to_another_site(client, member):
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:alert(1)"):
        client.logout()
        response = sign_in(client, "alice", MEMBER_PASSWORD, next=target)
        assert response["Location"] == "/", target


def test_it_sends_a_signed_in_member_straight_on(client, member):
    client.force_login(member)
    assert client.get("/accounts/login/")["Location"] == "/"


def test_it_audits_failures_under_the_account_username_and_no_password(client, member):
    client.post(
        "/accounts/login/",
        {"username": "Alice", "password": "wrong-password-canary"},
        headers={"user-agent": "TestBrowser/1.0"},
    )
    event = SecurityEvent.objects.get()
    assert (event.kind, event.username, event.member) == (Kind.SIGN_IN_FAILED, "alice", member)
    assert event.ip_address == "127.0.0.1" and event.user_agent == "TestBrowser/1.0"
    assert "wrong-password-canary" not in str(list(SecurityEvent.objects.values()))


def test_it_upgrades_an_older_hash_to_argon2_at_sign_in(client, make_member, settings):
    settings.PASSWORD_HASHERS = settings.PASSWORD_HASHERS[1:]  # without the fast test hasher
    from django.contrib.auth.hashers import make_password

    legacy = make_member("legacy")
    legacy.password = make_password(MEMBER_PASSWORD, hasher="pbkdf2_sha256")
    legacy.save()
    assert sign_in(client, "legacy", MEMBER_PASSWORD).status_code == 302
    legacy.refresh_from_db()
    cost = f"m={settings.PORTAL_ARGON2_MEMORY_KIB},t={settings.PORTAL_ARGON2_TIME_COST},p=1"
    assert legacy.password.startswith(f"argon2$argon2id$v=19${cost}$")
