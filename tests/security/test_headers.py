import pytest


@pytest.mark.parametrize("url", ["/accounts/login/", "/security/", "/accounts/password-reset/"])
def test_it_sends_a_strict_content_security_policy(client, db, url):
    policy = client.get(url)["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["default-src"] == "'none'"
    assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'" and directives["form-action"] == "'self'"
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy and "http" not in policy


def test_it_sends_the_other_protective_headers(client, db):
    response = client.get("/accounts/login/")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["Cross-Origin-Resource-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert "camera=()" in response["Permissions-Policy"] and "geolocation=()" in response["Permissions-Policy"]


def test_it_has_no_inline_script_or_style_on_any_page(client, member):
    from tests.conftest import MEMBER_PASSWORD
    from tests.helpers import sign_in

    public = ["/accounts/login/", "/security/", "/accounts/password-reset/", "/accounts/signed-out/"]
    responses = [client.get(url) for url in public]
    sign_in(client, "alice", MEMBER_PASSWORD)
    members = ["/", "/accounts/security/", "/accounts/security/sessions/", "/accounts/security/activity/"]
    members += ["/accounts/security/two-factor/", "/accounts/security/password/", "/accounts/security/questions/"]
    responses += [client.get(url) for url in members]
    for url, response in zip(public + members, responses, strict=True):
        page = response.content.decode()
        assert response.status_code == 200, url
        assert "<script>" not in page and "<style" not in page and " style=" not in page, url
        assert "//cdn" not in page and "https://" not in page, url
