"""Staff accounts: acted on by the Security role alone, with no security questions and no reset tool."""

from unittest import mock

import pytest
from django.contrib.sessions.models import Session
from django.core.management.base import CommandError
from django.test import Client

from accounts.models import User
from security.lockout import freeze_account, is_frozen
from security.models import MemberSession, SecurityAnswer, SecurityEvent
from tests.conftest import MEMBER_PASSWORD, support_role
from tests.helpers import sign_in
from tests.security.reset_steps import RIGHT_ANSWERS, answer, start, state_of

Kind = SecurityEvent.Kind
LIST = "/admin/accounts/user/"
SETUP = "/accounts/security/two-factor/setup/"


def act(client, action, members, reason="checked"):
    data = {"action": action, "_selected_action": [m.pk for m in members], "apply": "yes", "reason": reason}
    return client.post(LIST, data, follow=True).content.decode()


def signed_in_elsewhere(account):
    device = Client()
    device.force_login(account)
    return device


def test_support_leaves_staff_accounts_as_they_were(role_client, make_member, member):
    security_staff = make_member("sec-lead", is_staff=True, with_questions=False)
    freeze_account(member=security_staff, reason="test", actor="test")
    freeze_account(member=member, reason="test", actor="test")
    support = role_client("Support")
    page = act(support, "unfreeze", [security_staff, member])
    assert "done for 1 of 2" in page and "1 staff account left as they were" in page
    assert is_frozen("sec-lead") and not is_frozen("alice")


def test_support_cannot_end_a_staff_members_sessions(role_client, make_member):
    security_staff = make_member("sec-lead", is_staff=True, with_questions=False)
    device = signed_in_elsewhere(security_staff)
    act(role_client("Support"), "end_all_sessions", [security_staff])
    assert Session.objects.filter(session_key=device.session.session_key).exists()
    assert MemberSession.objects.filter(member=security_staff, ended_at__isnull=True).count() == 1
    assert not SecurityEvent.objects.filter(kind=Kind.SESSION_ENDED).exists()


def test_security_acts_on_staff_accounts(role_client, make_member):
    security_staff = make_member("sec-lead", is_staff=True, with_questions=False)
    freeze_account(member=security_staff, reason="test", actor="test")
    page = act(role_client("Security"), "unfreeze", [security_staff])
    assert "done for 1 of 1" in page and not is_frozen("sec-lead")


def test_staff_cannot_choose_security_questions(client, make_member, enroll_totp):
    from tests.conftest import totp_code

    staff = make_member("sam", is_staff=True, with_questions=False)
    device = enroll_totp(staff)
    sign_in(client, "sam", MEMBER_PASSWORD)
    client.post("/accounts/login/code/", {"code": totp_code(device)})
    page = client.get("/accounts/security/questions/")
    assert page.status_code == 403 and "not used for staff accounts" in page.content.decode()
    fields = {"current_password": MEMBER_PASSWORD, "question_1": "first_dish", "answer_1": "omelette"}
    assert client.post("/accounts/security/questions/", fields).status_code == 403
    assert not SecurityAnswer.objects.filter(member=staff).exists()


def test_staff_cannot_use_the_reset_tool_even_with_old_answers(client, make_member):
    # A staff account that still has answers from before it became staff.
    staff = make_member("sam", is_staff=True)
    assert SecurityAnswer.objects.filter(member=staff).count() == 3
    refused = answer(client, state_of(start(client, "sam")), RIGHT_ANSWERS)
    assert refused.status_code == 200 and "do not match our records" in refused.content.decode()
    assert SecurityEvent.objects.filter(kind=Kind.RESET_ANSWERS_FAILED, member=staff).count() == 1


def create_staff_command(*args, password=MEMBER_PASSWORD):
    import io

    from django.core.management import call_command

    out = io.StringIO()
    with mock.patch("sys.stdin", io.StringIO(password + "\n")):
        call_command("create_staff", *args, "--password-stdin", stdout=out)
    return out.getvalue()


@pytest.mark.parametrize(("role", "group"), [("support", "Support"), ("security", "Security")])
def test_create_staff_gives_the_role_and_audits_it(db, role, group):
    support_role(group)
    out = create_staff_command("sam", "--email", "sam@example.com", "--role", role)
    assert f"Created staff account sam ({group} role)" in out
    staff = User.objects.get(username="sam")
    assert staff.is_staff and list(staff.groups.values_list("name", flat=True)) == [group]
    event = SecurityEvent.objects.get(kind=Kind.MEMBER_CREATED, member=staff)
    assert event.reason == f"staff account, role {group}" and event.actor.startswith("operator:")


def test_create_staff_requires_a_known_role(db):
    for args in ([], ["--role", "admin"]):
        with pytest.raises(CommandError):
            create_staff_command("sam", "--email", "sam@example.com", *args)
    assert not User.objects.filter(username="sam").exists() and not SecurityEvent.objects.exists()


def test_a_new_staff_member_is_led_to_the_support_site_after_enrolling(client, db):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from tests.conftest import totp_code

    support_role("Support")
    create_staff_command("sam", "--email", "sam@example.com", "--role", "support")
    sign_in(client, "sam", MEMBER_PASSWORD)
    client.post(SETUP, {"current_password": MEMBER_PASSWORD})
    client.get(SETUP)
    page = client.post(SETUP, {"code": totp_code(TOTPDevice.objects.get())}).content.decode()
    assert '<a href="/admin/">Done</a>' in page
    index = client.get("/admin/").content.decode()
    assert "Members" in index and "Security events" in index  # the role's models, not an empty site


def test_a_member_is_still_led_back_to_their_two_factor_page(client, member):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from tests.conftest import totp_code

    sign_in(client, "alice", MEMBER_PASSWORD)
    client.post(SETUP, {"current_password": MEMBER_PASSWORD})
    client.get(SETUP)
    page = client.post(SETUP, {"code": totp_code(TOTPDevice.objects.get())}).content.decode()
    assert '<a href="/accounts/security/two-factor/">Done</a>' in page
