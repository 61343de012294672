# ruff: noqa: E501  (real user-agent strings are long)
import re

import pytest

from security.models import SecurityEvent
from tests.conftest import MEMBER_PASSWORD

OLD = {
    "IE 11": "Mozilla/5.0 (Windows NT 10.0; Trident/7.0; rv:11.0) like Gecko",
    "Chrome 100": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/100.0.4896.60 Safari/537.36",
    "Firefox 115": "Mozilla/5.0 (X11; Linux x86_64; rv:115.0) Gecko/20100101 Firefox/115.0",
    "Safari 15": "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/15.6 Safari/605.1.15",
    "Chrome 119 (not Lighthouse)": "Mozilla/5.0 (Linux; Android 7.0; SM-G930F) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.6045.163 Mobile Safari/537.36",
}
CURRENT = {
    "Chrome 156": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36",
    "Headless Chromium 156": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/156.0.0.0 Safari/537.36",
    "Firefox ESR 140": "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0",
    "Safari 16 on iPhone 8": "Mozilla/5.0 (iPhone; CPU iPhone OS 16_7_10 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.6 Mobile/15E148 Safari/604.1",
    "Safari 16 on macOS": "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.6 Safari/605.1.15",
    "Lighthouse (mobile)": "Mozilla/5.0 (Linux; Android 11; moto g power (2022)) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.0.0 Mobile Safari/537.36 Chrome-Lighthouse",
    "Lighthouse (desktop)": "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.0.0 Safari/537.36 Chrome-Lighthouse",
    "Safari 18 on iPhone": "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
    "Edge 140": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Safari/537.36 Edg/140.0.0.0",
    "a script": "python-requests/2.32",
}


def listed(page, browser, minimum):
    """Whether the page's table of browsers has this row (its cells may carry attributes)."""
    return re.search(rf"<td[^>]*>{browser}</td>\s*<td[^>]*>{minimum} or newer</td>", page) is not None


@pytest.mark.parametrize("name", OLD)
@pytest.mark.parametrize("url", ["/accounts/login/", "/accounts/password-reset/"])
def test_it_turns_an_outdated_browser_away_from_the_forms(client, member, name, url):
    response = client.get(url, headers={"user-agent": OLD[name]})
    page = response.content.decode()
    assert response.status_code == 403 and "Please update your browser" in page
    assert 'name="password"' not in page and 'name="username"' not in page
    assert listed(page, "Firefox", 128) and "firefox.com" in page
    assert SecurityEvent.objects.filter(kind=SecurityEvent.Kind.BROWSER_REFUSED).exists()


def test_it_refuses_an_outdated_browser_posting_a_password(client, member):
    response = client.post(
        "/accounts/login/", {"username": "alice", "password": MEMBER_PASSWORD}, headers={"user-agent": OLD["IE 11"]}
    )
    assert response.status_code == 403 and "_auth_user_id" not in client.session


@pytest.mark.parametrize("name", CURRENT)
def test_it_lets_current_browsers_and_unknown_clients_sign_in(client, member, name):
    response = client.post(
        "/accounts/login/", {"username": "alice", "password": MEMBER_PASSWORD}, headers={"user-agent": CURRENT[name]}
    )
    assert response.status_code == 302


def test_it_follows_the_configured_minimums(client, member, settings):
    settings.PORTAL_MINIMUM_BROWSERS = {**settings.PORTAL_MINIMUM_BROWSERS, "Chrome": 157}
    from security.browsers import judge

    judge.cache_clear()
    assert client.get("/accounts/login/", headers={"user-agent": CURRENT["Chrome 156"]}).status_code == 403
    judge.cache_clear()


def test_the_refusal_page_names_the_live_minimums(client, db, settings):
    from security.browsers import judge

    page = client.get("/accounts/login/", headers={"user-agent": OLD["Safari 15"]}).content.decode()
    assert listed(page, "Safari", 16) and listed(page, "Chrome", 130)
    settings.PORTAL_MINIMUM_BROWSERS = {**settings.PORTAL_MINIMUM_BROWSERS, "Safari": 17}
    judge.cache_clear()
    page = client.get("/accounts/login/", headers={"user-agent": CURRENT["Safari 16 on macOS"]}).content.decode()
    assert "You are using <strong>Safari 16</strong>" in page and listed(page, "Safari", 17)
    judge.cache_clear()
