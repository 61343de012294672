import pytest

from security.audit import record_event
from security.lockout import is_frozen
from security.models import SecurityEvent
from tests.conftest import MEMBER_PASSWORD
from tests.helpers import sign_in
from tests.portal.conftest import plan  # noqa: F401 - a fixture

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
    assert page.count('class="frozen-flag"') == 1 and '<td class="field-frozen"><img' not in page and ">5</td>" in page
    frozen_cell = page.split('class="frozen-flag"')[1].split("</span>")[0]
    assert 'aria-hidden="true"' in frozen_cell and frozen_cell.endswith("Frozen")
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


def member_page(client, member):
    return client.get(f"/admin/accounts/user/{member.pk}/change/")


def test_the_member_page_shows_what_an_agent_needs_on_a_call(role_client, frozen_member, enroll_totp, plan):  # noqa: F811
    from django.utils import timezone

    from portal.models import Enrollment

    enroll_totp(frozen_member)
    for n in range(12):
        record_event(Kind.SIGNED_OUT, member=frozen_member, reason=f"event {n}")
    today = timezone.localdate()
    Enrollment.objects.create(
        member=frozen_member,
        plan=plan,
        member_number="M1234567",
        group_number="G77",
        group_name="Acme Corp",
        coverage_start=today,
        plan_year_start=today,
    )
    page = member_page(role_client("Support"), frozen_member).content.decode()
    facts = page.split('class="member-facts"')[1].split("</section>")[0]
    assert page.index('class="member-facts"') < page.index('id="user_form"')
    assert "Frozen" in facts and "5 failed sign-ins, the last" in facts
    assert "Two-factor sign-in" in facts and "On" in facts and "0 backup codes left" in facts
    assert "Security questions</dt>\n      <dd>Set</dd>" in facts
    assert "Test PPO 1500 (TEST-PPO, PPO)" in facts and "M1234567" in facts and "Acme Corp (G77)" in facts
    assert "Active sessions (0)" in facts
    assert facts.count("<tr><td>") == 10 and "event 11" in facts and "event 1<" not in facts  # the last ten
    assert f"?member__id__exact={frozen_member.pk}" in facts and "Signed out" in facts


def test_a_member_with_nothing_on_file(role_client, make_member):
    member = make_member("bob", with_questions=False)
    facts = member_page(role_client("Support"), member).content.decode().split('class="member-facts"')[1]
    assert "Not frozen" in facts and "0 failed sign-ins" in facts and "Off" in facts
    assert "<dd>Not set</dd>" in facts and "No coverage on file" in facts


def test_the_read_only_page_has_no_stock_username_help(role_client, staff_client, member):
    read_only = member_page(role_client("Support"), member).content.decode()
    assert "150 characters or fewer" not in read_only and ">alice<" in read_only
    assert "150 characters or fewer" in member_page(staff_client, member).content.decode()  # still editable there


def signed_in_device(member):
    from django.test import Client

    device = Client()
    device.post("/accounts/login/", {"username": member.username, "password": MEMBER_PASSWORD})
    return device


def test_support_ends_one_session_with_a_reason(role_client, member):
    from security.models import MemberSession

    kept, ended = signed_in_device(member), signed_in_device(member)
    support = role_client("Support")
    page = member_page(support, member).content.decode()
    assert "Active sessions (2)" in page and 'name="csrfmiddlewaretoken"' in page
    target = MemberSession.objects.get(session_key=ended.session.session_key)
    url = f"/admin/accounts/user/{member.pk}/end-sessions/"
    done = support.post(url, {"session": target.pk, "reason": "caller lost their laptop"}, follow=True)
    assert "Ended 1 session." in done.content.decode()
    assert ended.get("/")["Location"].startswith("/accounts/login/")
    assert kept.get("/").status_code == 200
    event = SecurityEvent.objects.get(kind=Kind.SESSION_ENDED)
    assert (event.member, event.actor, event.reason) == (member, "support-agent", "caller lost their laptop")


def test_support_ends_all_sessions_and_bad_input_changes_nothing(role_client, member):
    device = signed_in_device(member)
    support = role_client("Support")
    url = f"/admin/accounts/user/{member.pk}/end-sessions/"
    for data in ({"session": "all", "reason": "  "}, {"session": "x\x00", "reason": "r"}, {"reason": "r"}):
        assert support.post(url, data).status_code == 400, data
    assert support.post("/admin/accounts/user/abc/end-sessions/", {"session": "all", "reason": "r"}).status_code == 400
    assert (
        support.post("/admin/accounts/user/999999/end-sessions/", {"session": "all", "reason": "r"}).status_code == 404
    )
    assert support.get(url).status_code == 405
    assert device.get("/").status_code == 200 and not SecurityEvent.objects.filter(kind=Kind.SESSION_ENDED).exists()
    support.post(url, {"session": "all", "reason": "account takeover suspected"})
    assert device.get("/")["Location"].startswith("/accounts/login/")
    event = SecurityEvent.objects.get(kind=Kind.SESSION_ENDED)
    assert (event.actor, event.reason) == ("support-agent", "account takeover suspected")


def test_ending_sessions_needs_the_permission_and_the_csrf_token(role_client, make_member, member, enroll_totp):
    from django.contrib.auth.models import Group
    from django.test import Client

    from tests.conftest import support_role, totp_code

    device = signed_in_device(member)
    url = f"/admin/accounts/user/{member.pk}/end-sessions/"
    viewer = make_member("viewer", is_staff=True, with_questions=False)
    group = Group.objects.create(name="Viewers")
    group.permissions.add(*support_role("Support").permissions.exclude(codename="end_member_sessions"))
    viewer.groups.add(group)
    totp = enroll_totp(viewer)
    client = Client()
    client.post("/accounts/login/", {"username": "viewer", "password": MEMBER_PASSWORD})
    client.post("/accounts/login/code/", {"code": totp_code(totp)})
    page = member_page(client, member).content.decode()
    assert "Active sessions (1)" in page and "End all sessions" not in page and "End this session" not in page
    assert client.post(url, {"session": "all", "reason": "r"}).status_code == 403
    strict = Client(enforce_csrf_checks=True)
    strict.cookies = role_client("Security").cookies
    assert strict.post(url, {"session": "all", "reason": "r"}).status_code == 403
    assert device.get("/").status_code == 200 and not SecurityEvent.objects.filter(kind=Kind.SESSION_ENDED).exists()


def test_axes_own_records_are_not_in_the_support_site(role_client):
    security = role_client("Security")
    page = security.get("/admin/").content.decode()
    assert "Access attempts" not in page and "axes" not in page.lower()
    for model in ("accessattempt", "accesslog", "accessfailurelog"):
        assert security.get(f"/admin/axes/{model}/").status_code == 404
