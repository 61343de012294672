"""Security notices are plain-text emails: what the member typed as their name arrives as typed."""

import pytest
from django.core import mail

from security import notices

SENDERS = {
    "password_reset": lambda member: notices.password_reset(member),
    "password_changed": lambda member: notices.password_changed(member),
    "questions_changed": lambda member: notices.questions_changed(member),
    "reset_locked": lambda member: notices.reset_locked(member),
    "two_factor_enabled": lambda member: notices.two_factor_enabled(member),
    "two_factor_removed": lambda member: notices.two_factor_removed(member),
    "reset_held": lambda member: notices.reset_held(member),
    "email_changed": lambda member: notices.email_changed(member, "old@example.com"),
}


@pytest.mark.parametrize("notice", SENDERS)
def test_it_writes_the_members_name_as_typed(notice, make_member, django_capture_on_commit_callbacks):
    member = make_member("tom", first_name="Tom & <Jerry>")
    with django_capture_on_commit_callbacks(execute=True):
        SENDERS[notice](member)
    (message,) = mail.outbox
    assert message.body.startswith("Hello Tom & <Jerry>,")
    assert "&amp;" not in message.body and "&lt;" not in message.body
