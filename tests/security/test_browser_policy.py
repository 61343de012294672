# ruff: noqa: E501  (real user-agent strings are long)
import re

import pytest

from security.models import SecurityEvent
from tests.conftest import MEMBER_PASSWORD

# Each just older than the first release with every feature the pages use (docs/security.md).
OLD = {
    "IE 11": "Mozilla/5.0 (Windows NT 10.0; Trident/7.0; rv:11.0) like Gecko",
    "Chrome 87": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/87.0.4280.141 Safari/537.36",
    "Firefox 97": "Mozilla/5.0 (X11; Linux x86_64; rv:97.0) Gecko/20100101 Firefox/97.0",
    "Safari 15.3": "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/15.3 Safari/605.1.15",
    "Safari 15.3 on iPad": "Mozilla/5.0 (iPad; CPU OS 15_3 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/15.3 Mobile/15E148 Safari/604.1",
    "Chrome 119 on iOS 15.3": "Mozilla/5.0 (iPhone; CPU iPhone OS 15_3 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/119.0.6045.169 Mobile/15E148 Safari/604.1",
    "an app's browser on iOS 15.3": "Mozilla/5.0 (iPhone; CPU iPhone OS 15_3 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
    "Edge 18 (EdgeHTML)": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/70.0.3538.102 Safari/537.36 Edge/18.19582",
    "Samsung Internet 14": "Mozilla/5.0 (Linux; Android 11; SM-G991B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/14.2 Chrome/87.0.4280.141 Mobile Safari/537.36",
    "Opera 73": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/87.0.4280.141 Safari/537.36 OPR/73.0.3856.344",
}
CURRENT = {
    "Chrome 157": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/157.0.0.0 Safari/537.36",
    "Headless Chromium 157": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/157.0.0.0 Safari/537.36",
    "Chrome 88": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/88.0.4324.96 Safari/537.36",
    "Chrome 119 on Android": "Mozilla/5.0 (Linux; Android 7.0; SM-G930F) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.6045.163 Mobile Safari/537.36",
    # Lighthouse drives a current Chrome behind a fixed "Chrome 119" user agent: 119 has every feature.
    "Lighthouse (mobile)": "Mozilla/5.0 (Linux; Android 11; moto g power (2022)) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.0.0 Mobile Safari/537.36 Chrome-Lighthouse",
    "Lighthouse (desktop)": "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.0.0 Safari/537.36 Chrome-Lighthouse",
    "Firefox ESR 115": "Mozilla/5.0 (Windows NT 6.1; Win64; x64; rv:115.0) Gecko/20100101 Firefox/115.0",
    "Firefox ESR 153": "Mozilla/5.0 (X11; Linux x86_64; rv:153.0) Gecko/20100101 Firefox/153.0",
    "Firefox 98": "Mozilla/5.0 (X11; Linux x86_64; rv:98.0) Gecko/20100101 Firefox/98.0",
    "Safari 15.4 on macOS": "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/15.4 Safari/605.1.15",
    "Safari 15.6 on iPhone 7 (iOS 15.8.7)": "Mozilla/5.0 (iPhone; CPU iPhone OS 15_8_7 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/15.6.6 Mobile/15E148 Safari/604.1",
    "Safari 16 on iPhone 8": "Mozilla/5.0 (iPhone; CPU iPhone OS 16_7_15 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.6 Mobile/15E148 Safari/604.1",
    "Chrome on iOS 16": "Mozilla/5.0 (iPhone; CPU iPhone OS 16_7 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/140.0.7339.122 Mobile/15E148 Safari/604.1",
    "Safari 27 on iPhone": "Mozilla/5.0 (iPhone; CPU iPhone OS 27_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/27.2 Mobile/15E148 Safari/604.1",
    "Edge 157": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/157.0.0.0 Safari/537.36 Edg/157.0.0.0",
    "Samsung Internet 15": "Mozilla/5.0 (Linux; Android 11; SM-G991B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/15.0 Chrome/90.0.4430.210 Mobile Safari/537.36",
    "Opera 74": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/88.0.4324.104 Safari/537.36 OPR/74.0.3911.75",
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
    assert listed(page, "Firefox", 98) and "firefox.com" in page
    assert "lacks features the Member Portal's pages need" in page
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
    settings.PORTAL_MINIMUM_BROWSERS = {**settings.PORTAL_MINIMUM_BROWSERS, "Chrome": "158"}
    from security.browsers import judge

    judge.cache_clear()
    assert client.get("/accounts/login/", headers={"user-agent": CURRENT["Chrome 157"]}).status_code == 403
    judge.cache_clear()


def test_it_compares_minor_versions_where_the_minimum_has_one(client, member, settings):
    from security.browsers import Verdict, judge

    settings.PORTAL_MINIMUM_BROWSERS = {**settings.PORTAL_MINIMUM_BROWSERS, "Safari": "16.7", "Chrome": 120}
    judge.cache_clear()
    assert judge(CURRENT["Safari 16 on iPhone 8"]) == Verdict("Safari", "16.6", False)
    # Chrome's own number (140) does not count on iOS: the system's WebKit (iOS 16.7) does.
    assert judge(CURRENT["Chrome on iOS 16"]) == Verdict("Chrome on iOS", "16.7", True)
    assert judge(CURRENT["Safari 27 on iPhone"]).supported is True
    assert judge(CURRENT["Chrome 119 on Android"]).supported is False
    judge.cache_clear()


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("Safari 15.3", "Safari 15.3"),
        ("Chrome 119 on iOS 15.3", "Chrome on iOS 15.3"),
        ("an app's browser on iOS 15.3", "An app&#x27;s browser on iOS 15.3"),
        ("Chrome 87", "Chrome 87"),
        ("Edge 18 (EdgeHTML)", "Edge 18"),
    ],
)
def test_the_refusal_page_names_the_browser_as_it_is_compared(client, db, name, shown):
    page = client.get("/accounts/login/", headers={"user-agent": OLD[name]}).content.decode()
    assert f"You are using <strong>{shown}</strong>" in page
    assert SecurityEvent.objects.get(kind=SecurityEvent.Kind.BROWSER_REFUSED).reason == shown.replace("&#x27;", "'")


def test_the_refusal_page_names_the_live_minimums(client, db, settings):
    from security.browsers import judge

    page = client.get("/accounts/login/", headers={"user-agent": OLD["Safari 15.3"]}).content.decode()
    assert listed(page, "Safari", r"15\.4") and listed(page, "Chrome", 88)
    settings.PORTAL_MINIMUM_BROWSERS = {**settings.PORTAL_MINIMUM_BROWSERS, "Safari": "17"}
    judge.cache_clear()
    page = client.get("/accounts/login/", headers={"user-agent": CURRENT["Safari 16 on iPhone 8"]}).content.decode()
    assert "You are using <strong>Safari 16</strong>" in page and listed(page, "Safari", 17)
    judge.cache_clear()
