"""The three server errors the security test reproduced, against a real gunicorn with production settings.

A bare-word `next` at sign-in (before and after the right password, through the code step, and at
"Stay signed in"), a form POST declared as charset=utf-16, and a NUL byte in a claim number: each
now gets a redirect home, a 400 or the normal page, on SQLite and on PostgreSQL.
"""

import pytest
from django.contrib.auth.hashers import make_password

from security.models import MemberSession, SecurityEvent
from tests.conftest import MEMBER_PASSWORD, totp_code
from tests.live import AppServers, LiveClient, csrf_token
from tests.portal.conftest import make_claim, make_enrollment, make_provider, plan  # noqa: F401 - fixtures

pytestmark = pytest.mark.live

Kind = SecurityEvent.Kind


@pytest.fixture
def server(transactional_db, tmp_path):
    with AppServers(workdir=tmp_path) as servers:
        yield servers.start(1, workers=1, threads=2)[0]


@pytest.fixture
def alice(make_member, make_enrollment, make_claim):  # noqa: F811 - the imported fixtures
    member = make_member()
    # The real Argon2id hash the servers verify (test settings would otherwise use a fast one).
    member.password = make_password(MEMBER_PASSWORD, hasher="argon2")
    member.save(update_fields=["password"])
    member.claim = make_claim(make_enrollment(member))
    return member


def sign_in_with_next(client, target, password=MEMBER_PASSWORD):
    page = client.get(f"/accounts/login/?next={target}")
    assert page.status == 200, page.status
    fields = {"username": "alice", "password": password, "next": target, "csrfmiddlewaretoken": csrf_token(page.text)}
    return client.post(f"/accounts/login/?next={target}", fields)


def test_it_signs_in_once_and_goes_home_for_a_bare_word_next(server, alice):
    client = LiveClient(server)
    wrong = sign_in_with_next(client, "abc", password="not the password")
    assert wrong.status == 200 and "The username or password is not correct" in wrong.text

    response = sign_in_with_next(client, "abc")
    assert response.status == 302 and response.headers["Location"] == "/"
    home = client.get("/")
    assert home.status == 200 and "Signed in as <strong>alice</strong>" in home.text
    # The sign-in that was audited is the session the member holds: one of each.
    assert SecurityEvent.objects.filter(member=alice, kind=Kind.SIGN_IN_SUCCEEDED).count() == 1
    assert MemberSession.objects.filter(member=alice).count() == 1

    again = client.get("/accounts/login/?next=abc")
    assert again.status == 302 and again.headers["Location"] == "/"


def test_it_goes_home_after_the_code_step_for_a_bare_word_next(server, alice, enroll_totp):
    device = enroll_totp(alice)
    client = LiveClient(server)
    response = sign_in_with_next(client, "abc")
    assert response.status == 302 and response.headers["Location"] == "/accounts/login/code/"
    page = client.get("/accounts/login/code/")
    fields = {"code": totp_code(device), "csrfmiddlewaretoken": csrf_token(page.text)}
    response = client.post("/accounts/login/code/", fields)
    assert response.status == 302 and response.headers["Location"] == "/"
    assert client.get("/").status == 200
    assert SecurityEvent.objects.filter(member=alice, kind=Kind.SIGN_IN_SUCCEEDED).count() == 1


def test_it_stays_signed_in_and_goes_home_for_a_bare_word_next(server, alice):
    client = LiveClient(server)
    assert sign_in_with_next(client, "/claims/").headers["Location"] == "/claims/"
    token = csrf_token(client.get("/").text)
    response = client.post("/accounts/session/keep-alive/", {"next": "abc", "csrfmiddlewaretoken": token})
    assert response.status == 302 and response.headers["Location"] == "/"
    assert client.get("/").status == 200


@pytest.mark.parametrize("path", ["/accounts/login/", "/accounts/password-reset/"])
def test_it_refuses_a_form_declared_as_utf_16(server, alice, path):
    client = LiveClient(server)
    token = csrf_token(client.get(path).text)
    body = f"username=alice&password={MEMBER_PASSWORD}&csrfmiddlewaretoken={token}"
    for encoded in (body.encode(), body.encode("utf-16")):
        headers = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-16"}
        response = client.request("POST", path, encoded, headers)
        assert response.status == 400
        assert "The form was not sent as UTF-8 text" in response.text
    assert not SecurityEvent.objects.exists()
    assert client.get("/").status == 302  # nobody was signed in


def test_it_refuses_a_nul_in_a_claim_number(server, alice):
    client = LiveClient(server)
    assert sign_in_with_next(client, "/").status == 302
    number = alice.claim.claim_number
    assert client.get(f"/claims/{number}/").status == 200
    for path in (f"/claims/{number}%00/", "/claims/%00/", f"/claims/{number[:4]}%00{number[4:]}/"):
        response = client.get(path)
        assert response.status == 400, path
        assert "We could not read that request" in response.text
    assert client.get("/claims/%C2%A0/").status == 404
    assert client.get("/").status == 200  # still signed in: nothing was ended or changed


def test_it_refuses_a_nul_in_a_form_field_by_name(server, alice):
    client = LiveClient(server)
    assert sign_in_with_next(client, "/").status == 302
    token = csrf_token(client.get("/profile/").text)
    response = client.post("/profile/", {"city": "Spring\x00field", "csrfmiddlewaretoken": token})
    assert response.status == 200 and "Null characters are not allowed." in response.text
    assert not SecurityEvent.objects.filter(kind=Kind.CONTACT_DETAILS_CHANGED).exists()
