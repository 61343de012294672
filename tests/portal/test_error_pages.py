"""The branded error pages, as a member sees them with DEBUG off: the site's look, a way home, a number to call."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from portal import views

pytestmark = pytest.mark.urls("tests.portal.error_urls")
PHONE = "1-800-555-0199"


@pytest.fixture(autouse=True)
def _debug_off(settings):
    settings.DEBUG = False
    settings.PORTAL_SUPPORT_PHONE = PHONE


def assert_branded(response, status, heading):
    page = response.content.decode()
    assert response.status_code == status
    assert heading in page
    assert 'class="site-header"' in page and "/static/portal/site.css" in page
    assert '<a class="button" href="/">Go to your home page</a>' in page
    assert f"call Member Support at <strong>{PHONE}</strong>" in page
    assert "Traceback" not in page and "a failure inside a view" not in page


@pytest.mark.parametrize(
    ("url", "status", "heading"),
    [
        ("/no-such-page/", 404, "We cannot find that page"),
        ("/test-errors/400/", 400, "We could not read that request"),
        ("/test-errors/403/", 403, "You cannot open this page"),
        ("/test-errors/429/", 429, "Too many requests just now"),
    ],
)
def test_each_error_page_is_branded(client, db, url, status, heading):
    assert_branded(client.get(url), status, heading)


def test_a_signed_in_member_gets_the_404_page_with_the_site_around_it(client, member):
    client.force_login(member)
    response = client.get("/claims/00000000000/")
    assert_branded(response, 404, "We cannot find that page")
    assert "Sign out" in response.content.decode()


def test_the_500_page_is_branded_and_touches_neither_the_database_nor_the_cache(db, monkeypatch):
    client = Client(raise_request_exception=False)
    assert_branded(client.get("/test-errors/500/"), 500, "Something went wrong on our side")

    def no_cache(*args, **kwargs):
        raise AssertionError("the 500 page used the cache")

    monkeypatch.setattr("django.core.cache.cache.get", no_cache)
    with CaptureQueriesContext(connection) as queries:
        response = views.server_error(None)
    assert response.status_code == 500 and PHONE in response.content.decode()
    assert len(queries) == 0


def test_static_files_are_served_with_debug_off(client, db):
    for name in ("site.css", "favicon.svg"):
        response = client.get(f"/static/portal/{name}")
        assert response.status_code == 200, name
        b"".join(response.streaming_content)
