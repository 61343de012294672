"""Staff accounts: acted on by the Security role alone, with no security questions and no reset tool."""

from django.contrib.sessions.models import Session
from django.test import Client

from security.lockout import freeze_account, is_frozen
from security.models import MemberSession, SecurityAnswer, SecurityEvent
from tests.conftest import MEMBER_PASSWORD
from tests.helpers import sign_in
from tests.security.reset_steps import RIGHT_ANSWERS, answer, start, state_of

Kind = SecurityEvent.Kind
LIST = "/admin/accounts/user/"


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
