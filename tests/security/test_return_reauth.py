import pytest
from django.contrib.auth import SESSION_KEY

from security.models import SecurityEvent
from tests.conftest import MEMBER_PASSWORD
from tests.helpers import event_kinds, sign_in

NAVIGATE = {"sec-fetch-mode": "navigate", "sec-fetch-dest": "document"}


@pytest.fixture
def signed_in(client, member):
    sign_in(client, "alice", MEMBER_PASSWORD)
    old_key = client.session.session_key
    client.old_key = old_key
    return client


@pytest.mark.parametrize("site", ["none", "cross-site"])
def test_it_asks_for_the_password_again_when_coming_from_outside(signed_in, member, site):
    response = signed_in.get("/accounts/security/", headers={**NAVIGATE, "sec-fetch-site": site})
    assert response["Location"] == "/accounts/login/?next=%2Faccounts%2Fsecurity%2F&signed_out=returned"
    assert SESSION_KEY not in signed_in.session
    page = signed_in.get(response["Location"]).content.decode()
    assert "please sign in again" in page
    assert SecurityEvent.Kind.SESSION_ENDED_RETURN in event_kinds(member=member)
    again = sign_in(signed_in, "alice", MEMBER_PASSWORD, next="/accounts/security/")
    assert again["Location"] == "/accounts/security/"
    assert signed_in.session.session_key != signed_in.old_key


@pytest.mark.parametrize(
    "headers",
    [
        {**NAVIGATE, "sec-fetch-site": "same-origin"},
        {**NAVIGATE, "sec-fetch-site": "same-site"},
        {"sec-fetch-mode": "cors", "sec-fetch-site": "same-origin", "sec-fetch-dest": "empty"},
        {"accept": "text/html", "referer": "http://testserver/"},
        {"accept": "application/json"},
    ],
    ids=["same-origin", "same-site", "fetch", "old-browser-own-link", "not-a-page"],
)
def test_it_goes_on_as_usual_within_the_portal(signed_in, headers):
    assert signed_in.get("/accounts/security/", headers=headers).status_code == 200
    assert SESSION_KEY in signed_in.session


@pytest.mark.parametrize("referer", [None, "https://elsewhere.example/page", "https://testserver/"])
def test_it_falls_back_to_the_referer_without_fetch_metadata(signed_in, referer):
    headers = {"accept": "text/html,application/xhtml+xml"}
    if referer:
        headers["referer"] = referer
    response = signed_in.get("/", headers=headers)
    assert response.status_code == 302 and "signed_out=returned" in response["Location"]


def test_it_ends_the_session_on_public_pages_too_without_redirecting(signed_in):
    response = signed_in.get("/accounts/signed-out/", headers={**NAVIGATE, "sec-fetch-site": "none"})
    assert response.status_code == 200
    assert SESSION_KEY not in signed_in.session


def test_it_does_not_end_a_session_for_a_post_from_outside(signed_in):
    response = signed_in.post("/accounts/session/keep-alive/", headers={**NAVIGATE, "sec-fetch-site": "cross-site"})
    assert response.status_code == 302 and SESSION_KEY in signed_in.session


def test_it_clears_the_browser_on_sign_out(signed_in):
    response = signed_in.post("/accounts/logout/")
    assert response["Clear-Site-Data"] == '"cache", "cookies", "storage"'
