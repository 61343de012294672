import pytest

from security.lockout import is_frozen
from security.models import SecurityEvent
from tests.conftest import MEMBER_PASSWORD
from tests.helpers import sign_in

Kind = SecurityEvent.Kind
LIST = "/admin/accounts/user/"


def act(client, action, members, reason=None):
    data = {"action": action, "_selected_action": [m.pk for m in members]}
    if reason is not None:
        data.update({"apply": "yes", "reason": reason})
    return client.post(LIST, data, follow=True)


@pytest.fixture
def frozen_member(client, make_member):
    member = make_member("fred")
    for _ in range(5):
        sign_in(client, "fred", "wrong")
    return member


def test_it_shows_frozen_status_failed_attempts_and_last_sign_in(role_client, frozen_member, make_member):
    make_member("alice")
    page = role_client("Support").get(LIST).content.decode()
    assert "fred" in page and "alice" in page
    assert page.count('alt="True"') >= 1 and ">5</td>" in page
    frozen_only = role_client("Security").get(LIST + "?frozen=yes").content.decode()
    assert "fred" in frozen_only and ">alice<" not in frozen_only


def test_it_finds_members_by_exact_username_or_email(role_client, make_member):
    make_member("alice", email="Alice.Smith@Example.com")
    make_member("alicia")
    client = role_client("Support")
    for term in ("ALICE", "alice.smith@example.com"):
        page = client.get(LIST, {"q": term}).content.decode()
        assert ">alice<" in page and ">alicia<" not in page, term


def test_support_unfreezes_with_a_reason_and_it_is_audited(role_client, frozen_member, client):
    support = role_client("Support")
    asked = act(support, "unfreeze", [frozen_member])
    assert "Reason (written to the audit log)" in asked.content.decode() and is_frozen("fred")
    refused = act(support, "unfreeze", [frozen_member], reason="   ")
    assert "This field is required." in refused.content.decode() and is_frozen("fred")
    done = act(support, "unfreeze", [frozen_member], reason="caller verified with date of birth and member ID")
    assert "Unfreeze account: done for 1 of 1." in done.content.decode()
    assert not is_frozen("fred")
    event = SecurityEvent.objects.get(kind=Kind.ACCOUNT_UNFROZEN)
    assert (event.actor, event.reason) == ("support-agent", "caller verified with date of birth and member ID")
    assert sign_in(client, "fred", MEMBER_PASSWORD).status_code == 302


def test_support_cannot_freeze_or_require_things(role_client, member):
    support = role_client("Support")
    actions = support.get(LIST).content.decode()
    assert 'value="unfreeze"' in actions and 'value="end_all_sessions"' in actions
    for action in ("freeze", "require_new_questions", "require_password_change"):
        assert f'value="{action}"' not in actions
        act(support, action, [member], reason="trying anyway")
    assert not is_frozen("alice") and not SecurityEvent.objects.filter(actor="support-agent").exists()


def test_security_freezes_and_requires_changes(role_client, member, client):
    security = role_client("Security")
    act(security, "freeze", [member], reason="credential stuffing list match")
    assert is_frozen("alice")
    act(security, "unfreeze", [member], reason="member called")
    act(security, "require_new_questions", [member], reason="old questions were weak")
    act(security, "require_password_change", [member], reason="password found in a breach list")
    member.refresh_from_db()
    assert member.must_choose_security_questions and member.must_change_password
    kinds = set(SecurityEvent.objects.filter(actor="security-agent").values_list("kind", flat=True))
    assert kinds == {
        Kind.ACCOUNT_FROZEN,
        Kind.ACCOUNT_UNFROZEN,
        Kind.NEW_QUESTIONS_REQUIRED,
        Kind.PASSWORD_CHANGE_REQUIRED,
    }
    sign_in(client, "alice", MEMBER_PASSWORD)
    assert client.get("/")["Location"] == "/accounts/security/questions/"


def test_a_required_password_change_is_asked_at_the_next_sign_in(client, member):
    member.must_change_password = True
    member.save()
    sign_in(client, "alice", MEMBER_PASSWORD)
    assert client.get("/")["Location"] == "/accounts/security/password/"
    client.post(
        "/accounts/security/password/",
        {
            "current_password": MEMBER_PASSWORD,
            "new_password1": "a fresh passphrase",
            "new_password2": "a fresh passphrase",
        },
    )
    assert client.get("/").status_code == 200


def test_staff_never_see_or_set_a_members_password(staff_client, member):
    page = staff_client.get(f"/admin/accounts/user/{member.pk}/change/").content.decode()
    assert member.password not in page and member.password.split("$")[0] + "$" not in page
    assert "../password/" not in page.split('id="content"')[1]
    assert staff_client.get(f"/admin/accounts/user/{member.pk}/password/").status_code == 403
    assert staff_client.get("/admin/accounts/user/add/").status_code == 403


def test_the_list_costs_a_fixed_number_of_queries(staff_client, make_member, django_assert_max_num_queries):
    for n in range(30):
        make_member(f"member{n:02}")
    with django_assert_max_num_queries(12):
        assert staff_client.get(LIST).status_code == 200
    with django_assert_max_num_queries(13):
        assert staff_client.get(LIST, {"frozen": "yes", "is_active__exact": "1"}).status_code == 200
