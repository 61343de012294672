from django.contrib.auth import SESSION_KEY
from django.core import mail
from django.test import Client

from security.lockout import is_frozen
from security.models import SecurityEvent
from tests.conftest import MEMBER_PASSWORD
from tests.helpers import event_kinds, sign_in

from .reset_steps import NEW_PASSWORD, RIGHT_ANSWERS, answer, reach_password_step, set_password, start, state_of

Kind = SecurityEvent.Kind


def test_it_asks_the_members_own_questions_labelled(client, member):
    page = start(client, "alice").content.decode()
    assert '<label for="id_answer_1">What was the first concert or live show you paid to attend?</label>' in page
    assert '<label for="id_answer_2">Which dish did you first learn to cook on your own?</label>' in page
    assert '<label for="id_answer_3">On which street did your closest childhood friend live?</label>' in page


def test_it_unfreezes_a_frozen_account_and_lets_the_member_back_in(client, member):
    for _ in range(5):
        sign_in(client, "alice", "wrong")
    assert is_frozen("alice")
    questions = start(client, "alice")
    step = answer(client, state_of(questions), ["the proclaimers!", "OMELETTE", "  elm   row "])
    assert step["Location"] == "/accounts/password-reset/new-password/"
    done = set_password(client, state_of(client.get(step["Location"])))
    assert done["Location"] == "/accounts/password-reset/done/"
    assert not is_frozen("alice")
    assert sign_in(client, "alice", MEMBER_PASSWORD).status_code == 200  # the old one no longer works
    assert sign_in(client, "alice", NEW_PASSWORD).status_code == 302
    assert Kind.ACCOUNT_UNFROZEN in event_kinds(member=member)
    assert Kind.PASSWORD_RESET in event_kinds(member=member)


def test_it_ends_every_other_session_of_the_member(client, member):
    elsewhere = Client()
    elsewhere.force_login(member)
    assert elsewhere.get("/").status_code == 200
    set_password(client, state_of(reach_password_step(client)))
    assert elsewhere.get("/").status_code == 302


def test_it_emails_a_notice_without_the_password(client, member, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        set_password(client, state_of(reach_password_step(client)))
    notice = next(m for m in mail.outbox if m.subject == "Your password was reset")
    assert notice.to == ["alice@example.com"]
    assert NEW_PASSWORD not in notice.body and "unfrozen" in notice.body


def test_it_applies_the_password_rules_to_the_new_password(client, member):
    state = state_of(reach_password_step(client))
    for password, message in [
        ("short", "This password is too short"),
        ("password1234", "This password is too common"),
        (MEMBER_PASSWORD, "Choose a password you have not used recently"),
    ]:
        response = set_password(client, state, password)
        assert message in response.content.decode(), password
    mismatch = set_password(client, state, NEW_PASSWORD, again=NEW_PASSWORD + "x")
    assert "didn’t match" in mismatch.content.decode()
    assert sign_in(client, "alice", MEMBER_PASSWORD).status_code == 302


def test_it_refuses_wrong_answers_without_saying_which(client, member):
    questions = start(client, "alice")
    response = answer(client, state_of(questions), [RIGHT_ANSWERS[0], RIGHT_ANSWERS[1], "wrong street"])
    page = response.content.decode()
    assert response.status_code == 200
    assert "Those answers do not match our records." in page
    assert "The Proclaimers" not in page and "Omelette" not in page
    assert event_kinds(member=member) == [Kind.RESET_STARTED, Kind.RESET_ANSWERS_FAILED]


def test_it_locks_the_reset_after_five_wrong_submissions_and_tells_the_member(
    client, member, django_capture_on_commit_callbacks
):
    questions = start(client, "alice")
    state = state_of(questions)
    with django_capture_on_commit_callbacks(execute=True):
        statuses = [answer(client, state, ["x1x1", "x2x2", "x3x3"]).status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 200, 429]
    locked = answer(client, state, RIGHT_ANSWERS)
    assert locked.status_code == 429 and "locked" in locked.content.decode()
    assert [m.subject for m in mail.outbox] == ["Password reset locked after wrong answers or two-factor codes"]
    assert Kind.RESET_LOCKED in event_kinds(member=member)


def test_it_lifts_the_reset_lock_after_the_period(client, member, settings):
    from security.models import ResetStrikes

    state = state_of(start(client, "alice"))
    for _ in range(5):
        answer(client, state, ["x1x1", "x2x2", "x3x3"])
    from datetime import timedelta

    from django.utils import timezone

    ResetStrikes.objects.update(locked_until=timezone.now() - timedelta(seconds=1))
    assert answer(client, state, RIGHT_ANSWERS).status_code == 302


def test_it_does_not_let_an_inactive_account_through(client, make_member):
    make_member("dormant", is_active=False)
    response = answer(client, state_of(start(client, "dormant")), RIGHT_ANSWERS)
    assert "Those answers do not match our records." in response.content.decode()


def test_it_is_reachable_from_the_sign_in_page_and_the_frozen_message(client, member):
    assert 'href="/accounts/password-reset/"' in client.get("/accounts/login/").content.decode()
    for _ in range(5):
        frozen = sign_in(client, "alice", "wrong")
    assert 'href="/accounts/password-reset/"' in frozen.content.decode()


def test_it_leaves_a_signed_in_visitor_signed_out_after_the_reset(client, member):
    set_password(client, state_of(reach_password_step(client)))
    assert SESSION_KEY not in client.session
