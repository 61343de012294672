"""A password or an answer never appears in a page, header, log record, audit row, email or admin screen.

Canary secrets go through every form that takes one, right and wrong; then everything an
observer could read is searched for them.
"""

import io
import logging
import time

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from security.models import SecurityEvent
from tests.conftest import totp_code

CANARIES = {
    "password": "CanaryPass-7f3a-first",
    "wrong": "CanaryPass-7f3a-wrong",
    "changed": "CanaryPass-7f3a-changed",
    "reset": "CanaryPass-7f3a-reset",
    "answer_1": "CanaryAnswer-one",
    "answer_2": "CanaryAnswer-two",
    "answer_3": "CanaryAnswer-three",
    "wrong_answer": "CanaryAnswer-wrong",
}
MARKER = "canary"  # every secret contains it, case-insensitively


@pytest.fixture
def observed(caplog):
    caplog.set_level(logging.DEBUG)
    seen = []

    class Recording(Client):
        def request(self, **request):
            response = super().request(**request)
            if response.streaming:  # read it here, and hand the caller the same bytes
                body = b"".join(response.streaming_content)
                response.streaming_content = [body]
            else:
                body = response.content
            seen.append(f"{response.status_code} {dict(response.items())}\n{body.decode(errors='replace')}")
            return response

    return seen, Recording


def test_it_never_shows_stores_logs_or_sends_a_secret(
    db, observed, caplog, make_member, enroll_totp, monkeypatch, django_capture_on_commit_callbacks
):
    seen, Recording = observed
    member_client, staff_client = Recording(), Recording()
    staff_device = enroll_totp(make_member("sam", is_staff=True, is_superuser=True, password="staff passphrase here"))

    with django_capture_on_commit_callbacks(execute=True):
        monkeypatch.setattr("sys.stdin", io.StringIO(CANARIES["password"] + "\n"))
        call_command("create_member", "carla", "--email", "carla@example.com", "--password-stdin", stdout=io.StringIO())
        # Sign-in: wrong, then right; first sign-in asks for questions.
        login = {"username": "carla"}
        member_client.post("/accounts/login/", {**login, "password": CANARIES["wrong"]})
        member_client.post("/accounts/login/", {**login, "password": CANARIES["password"]}, follow=True)
        questions = {
            "question_1": "first_dish",
            "answer_1": CANARIES["answer_1"],
            "question_2": "first_video_game",
            "answer_2": CANARIES["answer_2"],
            "question_3": "swim_teacher",
            "answer_3": CANARIES["answer_3"],
        }
        member_client.post("/accounts/security/questions/", {**questions, "current_password": CANARIES["wrong"]})
        member_client.post(
            "/accounts/security/questions/",
            {**questions, "answer_3": "short", "current_password": CANARIES["password"]},
        )
        member_client.post(
            "/accounts/security/questions/", {**questions, "current_password": CANARIES["password"]}, follow=True
        )
        # Password change: mismatched, then right.
        change = {"current_password": CANARIES["password"], "new_password1": CANARIES["changed"]}
        member_client.post("/accounts/security/password/", {**change, "new_password2": CANARIES["wrong"]})
        member_client.post(
            "/accounts/security/password/", {**change, "new_password2": CANARIES["changed"]}, follow=True
        )
        # Two-factor on (password again, wrong then right), then off again (password and a code).
        setup = "/accounts/security/two-factor/setup/"
        member_client.post(setup, {"current_password": CANARIES["wrong"]})
        member_client.post(setup, {"current_password": CANARIES["changed"]})
        member_client.get(setup)
        device = TOTPDevice.objects.get(user__username="carla")
        member_client.post(setup, {"code": totp_code(device)}, follow=True)
        remove = "/accounts/security/two-factor/remove/"
        member_client.post(remove, {"current_password": CANARIES["wrong"], "code": "000000"})
        later_code = totp_code(device, at=time.time() + 30)
        member_client.post(remove, {"current_password": CANARIES["changed"], "code": later_code})
        assert not TOTPDevice.objects.filter(user__username="carla").exists()
        member_client.post("/accounts/logout/", follow=True)
        # Freeze the account with wrong guesses.
        for _ in range(5):
            member_client.post("/accounts/login/", {**login, "password": CANARIES["wrong"]})
        # Reset: wrong answers, right answers, a weak new password, then the real one.
        member_client.post("/accounts/password-reset/", {"username": "carla"})
        page = member_client.get("/accounts/password-reset/questions/").content.decode()
        state = page.split('name="state" value="')[1].split('"')[0]
        wrong = {f"answer_{n}": CANARIES["wrong_answer"] for n in (1, 2, 3)}
        member_client.post("/accounts/password-reset/questions/", {"state": state, **wrong})
        right = {f"answer_{n}": CANARIES[f"answer_{n}"].lower() for n in (1, 2, 3)}
        member_client.post("/accounts/password-reset/questions/", {"state": state, **right})
        page = member_client.get("/accounts/password-reset/new-password/").content.decode()
        state = page.split('name="state" value="')[1].split('"')[0]
        reset = {"state": state, "new_password1": CANARIES["reset"]}
        member_client.post("/accounts/password-reset/new-password/", {**reset, "new_password2": CANARIES["wrong"]})
        member_client.post(
            "/accounts/password-reset/new-password/", {**reset, "new_password2": CANARIES["reset"]}, follow=True
        )
        member_client.post("/accounts/login/", {**login, "password": CANARIES["reset"]}, follow=True)

    # Support staff look at everything the admin shows about carla and the logs.
    staff_client.post("/accounts/login/", {"username": "sam", "password": "staff passphrase here"})
    staff_client.post("/accounts/login/code/", {"code": totp_code(staff_device)})
    carla_id = SecurityEvent.objects.filter(username="carla").values_list("member_id", flat=True).first()
    for url in [
        "/admin/accounts/user/",
        f"/admin/accounts/user/{carla_id}/change/",
        "/admin/accounts/user/?frozen=yes",
        "/admin/security/securityevent/",
    ]:
        assert staff_client.get(url).status_code == 200, url
    # The audit log's CSV export, every row of it (a stream, so read apart from the pages).
    export = staff_client.post("/admin/security/securityevent/export/")
    assert export.status_code == 200 and b"sign_in_failed" in b"".join(export.streaming_content)
    for event in SecurityEvent.objects.all()[:5]:
        staff_client.get(f"/admin/security/securityevent/{event.pk}/change/")

    # The journey really happened: the last sign-in used the password set by the reset.
    assert member_client.get("/").status_code == 200
    assert len(seen) > 30 and len(mail.outbox) >= 3

    stores = [
        *seen,
        *(record.getMessage() for record in caplog.records),
        *(f"{m.subject}\n{m.body}" for m in mail.outbox),
        *(
            str(row)
            for model in (SecurityEvent, AccessAttempt, AccessLog, AccessFailureLog)
            for row in model.objects.values()
        ),
    ]
    leaks = [text[max(0, text.lower().find(MARKER) - 300) :][:400] for text in stores if MARKER in text.lower()]
    assert leaks == []
