"""A database that cannot be reached: the site's 503 page with Retry-After, one log line per outage.

The database is taken away by an execute wrapper that raises what the driver raises when the
server is gone (psycopg's "connection refused", PostgreSQL's shutdown codes), for every query or
only for some. tests/portal/test_database_outage_live.py stops a real PostgreSQL instead.

Django's test client re-raises any exception Django signalled, even when the response sent was a
503; these tests turn that off (raise_request_exception) to see what the browser gets.
"""

import json
import logging
import re
import sqlite3
import time
from contextlib import contextmanager

import psycopg
import pytest
from axes.models import AccessAttempt
from django.db import OperationalError, ProgrammingError, connection
from psycopg import errors

from portal import outage
from tests.conftest import MEMBER_PASSWORD

PAGE_TITLE = "The portal is unavailable for a moment"


def refused():
    return psycopg.OperationalError(
        'connection failed: connection to server at "127.0.0.1", port 5432 failed: Connection refused'
    )


def sqlite_error(message, code):
    error = sqlite3.OperationalError(message)
    error.sqlite_errorcode = code
    return error


@contextmanager
def database_gone(error=refused, matching=""):
    """Every query whose SQL contains `matching` fails as Django raises it: wrapped, from the driver's."""

    def fail(execute, sql, params, many, context):
        if matching.lower() in sql.lower():
            driver_error = error()
            if isinstance(driver_error, psycopg.InterfaceError | RuntimeError):
                raise driver_error
            raise OperationalError(*driver_error.args) from driver_error
        return execute(sql, params, many, context)

    with connection.execute_wrapper(fail):
        yield


@pytest.fixture(autouse=True)
def _no_outage_in_progress():
    outage.episode.started_at = None
    yield
    outage.episode.started_at = None


@pytest.fixture
def client(client):
    client.raise_request_exception = False
    return client


@pytest.fixture
def member_client(client, member):
    client.force_login(member)
    return client


def assert_outage_page(response, retry_after="30"):
    assert response.status_code == 503
    assert response["Retry-After"] == retry_after
    assert "no-store" in response["Cache-Control"]
    page = response.content.decode()
    assert PAGE_TITLE in page
    assert f"try again in {retry_after} seconds" in " ".join(page.split())
    assert "1-800-555-0199" in page  # PORTAL_SUPPORT_PHONE
    assert "Signed in as" not in page and "Traceback" not in page


def test_it_answers_a_member_page_with_the_outage_page_when_the_view_loses_the_database(member_client):
    with database_gone(matching="securityevent"):  # the home page's own query, after the session was read
        response = member_client.get("/")
    assert_outage_page(response)
    # The headers every page carries still come with it.
    assert "default-src 'none'" in response["Content-Security-Policy"]
    assert response["X-Content-Type-Options"] == "nosniff"


def test_it_answers_the_outage_page_when_the_session_cannot_be_read(member_client):
    with database_gone():
        response = member_client.get("/claims/")
    assert_outage_page(response)
    assert "default-src 'none'" in response["Content-Security-Policy"]


def test_it_renders_the_retry_after_of_the_live_setting(member_client, settings):
    settings.PORTAL_DATABASE_RETRY_AFTER_SECONDS = 7
    with database_gone():
        response = member_client.get("/")
    assert_outage_page(response, retry_after="7")


def test_it_answers_a_sign_in_with_the_outage_page_and_counts_nothing(client, member):
    client.get("/accounts/login/")
    with database_gone():
        response = client.post("/accounts/login/", {"username": "alice", "password": "a wrong password"})
    assert_outage_page(response)
    assert not AccessAttempt.objects.exists()
    assert client.post("/accounts/login/", {"username": "alice", "password": MEMBER_PASSWORD}).status_code == 302


def test_it_answers_the_support_site_with_the_outage_page(staff_client):
    staff_client.raise_request_exception = False
    with database_gone():
        response = staff_client.get("/admin/accounts/user/")
    assert_outage_page(response)


@pytest.mark.parametrize("signed_in", [False, True], ids=["load balancer", "with a session cookie"])
def test_it_answers_healthz_with_json_when_the_database_is_gone(client, member, signed_in):
    if signed_in:
        client.force_login(member)
    with database_gone():
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response["Content-Type"] == "application/json" and response["Retry-After"] == "30"
    assert json.loads(response.content)["database"] == "unavailable"


def test_it_answers_the_outage_page_when_an_existing_session_cannot_be_saved(member_client, settings, monkeypatch):
    settings.PORTAL_ACTIVITY_WRITE_SECONDS = 0  # every page view writes the session's activity
    member_client.get("/")

    def fail_session_update(execute, sql, params, many, context):
        if sql.startswith("UPDATE") and "django_session" in sql:
            connection.errors_occurred = True  # as Django's error wrapper marks a failed connection
            raise OperationalError("server closed the connection unexpectedly") from refused()
        return execute(sql, params, many, context)

    monkeypatch.setattr(connection, "is_usable", lambda: False)  # PostgreSQL's answer on a lost connection
    with connection.execute_wrapper(fail_session_update):
        response = member_client.get("/")
    assert_outage_page(response)


@pytest.mark.parametrize(
    "error",
    [
        refused,
        lambda: errors.AdminShutdown("terminating connection due to administrator command"),
        lambda: errors.CannotConnectNow("the database system is starting up"),
        lambda: errors.TooManyConnections("sorry, too many clients already"),
        lambda: errors.ConnectionFailure("connection failure"),
        lambda: psycopg.InterfaceError("the connection is closed"),
        lambda: sqlite_error("database is locked", sqlite3.SQLITE_BUSY),
        lambda: sqlite_error("unable to open database file", sqlite3.SQLITE_CANTOPEN),
    ],
    ids=["refused", "shut down", "starting up", "no slot", "connection failure", "closed", "busy", "cannot open"],
)
def test_it_treats_every_kind_of_unreachable_database_as_an_outage(member_client, error):
    with database_gone(error=error):
        assert_outage_page(member_client.get("/"))


@pytest.mark.parametrize(
    "error",
    [
        lambda: errors.QueryCanceled("canceling statement due to statement timeout"),
        lambda: errors.DeadlockDetected("deadlock detected"),
        lambda: sqlite_error("no such table: security_securityevent", sqlite3.SQLITE_ERROR),
        lambda: RuntimeError("a bug in the page"),
    ],
    ids=["statement timeout", "deadlock", "missing table", "not a database error"],
)
def test_it_leaves_every_other_error_a_logged_500(member_client, error, caplog):
    with caplog.at_level(logging.INFO), database_gone(error=error, matching="securityevent"):
        response = member_client.get("/")
    assert response.status_code == 500
    assert "Retry-After" not in response
    logged = [record for record in caplog.records if record.name == "django.request"]
    assert len(logged) == 1 and logged[0].levelno == logging.ERROR and logged[0].exc_info is not None
    assert not [record for record in caplog.records if record.name == "portal.outage"]
    assert not outage.episode.ongoing


def test_it_leaves_a_programming_error_in_a_middleware_a_logged_500(member_client, caplog):
    def fail(execute, sql, params, many, context):
        raise ProgrammingError('relation "django_session" does not exist')

    with caplog.at_level(logging.INFO), connection.execute_wrapper(fail):
        response = member_client.get("/")
    assert response.status_code == 500
    logged = [record for record in caplog.records if record.name == "django.request"]
    assert logged and all(record.levelno == logging.ERROR and record.exc_info for record in logged)
    assert not [record for record in caplog.records if record.name == "portal.outage"]


def test_it_logs_one_warning_when_an_outage_starts_and_one_line_when_it_ends(client, member, caplog):
    client.force_login(member)
    with caplog.at_level(logging.INFO):
        with database_gone():
            statuses = [client.get(path).status_code for path in ("/", "/claims/", "/healthz", "/", "/profile/")]
            statuses.append(client.post("/accounts/logout/").status_code)
        assert statuses == [503] * 6
        assert client.get("/").status_code == 200  # the database answers again
        assert client.get("/").status_code == 200

    outage_lines = [(line.levelname, line.getMessage()) for line in caplog.records if line.name == "portal.outage"]
    assert len(outage_lines) == 2, outage_lines
    (started_level, started), (ended_level, ended) = outage_lines
    assert started_level == "WARNING" and "Database unavailable" in started and "Connection refused" in started
    assert ended_level == "INFO" and re.fullmatch(r"Database available again after \d+\.\d s\.", ended)
    # Django logged none of the requests answered 503, and no traceback went anywhere.
    assert not [record for record in caplog.records if record.name.startswith("django")]
    assert not [record for record in caplog.records if record.exc_info]


def test_it_starts_a_new_episode_for_the_next_outage(member_client, caplog):
    with caplog.at_level(logging.INFO):
        for _ in range(2):
            with database_gone():
                assert member_client.get("/").status_code == 503
                assert member_client.get("/").status_code == 503
            assert member_client.get("/").status_code == 200
    levels = [record.levelname for record in caplog.records if record.name == "portal.outage"]
    assert levels == ["WARNING", "INFO", "WARNING", "INFO"]


def test_it_keeps_requests_that_straddle_the_start_or_end_in_the_one_outage(caplog):
    """Threads of one process: a query on a connection opened before the outage may still succeed,
    and a request that began before the recovery may still fail after it."""
    episode = outage._Episode()
    with caplog.at_level(logging.INFO):
        before_outage = time.monotonic()
        time.sleep(0.01)
        episode.failed("refused", began_at=time.monotonic())
        episode.answered(began_at=before_outage)  # its connection outlived the server by a moment
        assert episode.ongoing
        before_recovery = time.monotonic()
        time.sleep(0.01)
        episode.answered(began_at=time.monotonic())
        episode.failed("starting up", began_at=before_recovery)  # asked while the server was starting
        assert not episode.ongoing
        episode.failed("refused again", began_at=time.monotonic())  # a new outage
    lines = [record.getMessage() for record in caplog.records if record.name == "portal.outage"]
    assert len(lines) == 3 and "(refused)" in lines[0] and "available again" in lines[1]
    assert "(refused again)" in lines[2]
