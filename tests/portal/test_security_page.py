def test_it_is_public_and_linked_from_every_page(client, member):
    assert client.get("/security/").status_code == 200
    assert 'href="/security/"' in client.get("/accounts/login/").content.decode()
    client.force_login(member)
    assert 'href="/security/"' in client.get("/").content.decode()


def test_it_renders_every_number_from_the_live_settings(client, db, settings):
    settings.PORTAL_FREEZE_AFTER_FAILURES = settings.AXES_FAILURE_LIMIT = 4
    settings.PORTAL_IDLE_TIMEOUT_SECONDS = 600
    settings.PORTAL_SESSION_MAX_SECONDS = 8 * 3600
    settings.PORTAL_PASSWORD_REMINDER_DAYS = 90
    settings.PORTAL_MINIMUM_BROWSERS = {"Firefox": 140}
    page = client.get("/security/").content.decode()
    assert "After <strong>4</strong> failed" in page
    assert "<strong>10 minutes</strong>" in page and "after 8 hours" in page
    assert "after 90 days" in page and "Firefox 140 or newer" in page and "Chrome" not in page
    assert "padlock" in page and "Sign out" in page and "Never share your password" in page


def test_healthz_reports_database_and_cache_without_details(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"database": "ok", "cache": "ok"}


def test_healthz_says_degraded_but_can_serve_when_the_cache_is_down(client, db, monkeypatch):
    from django.core.cache import cache

    def broken(*args, **kwargs):
        raise ConnectionError("refused")

    monkeypatch.setattr(cache, "set", broken)
    response = client.get("/healthz")
    # A load balancer keeps an app server whose cache is down: it still serves (docs/deploy.md).
    assert response.status_code == 200 and response.json() == {"database": "ok", "cache": "degraded"}
