"""A database outage answers the site's 503 page, and each process logs it once.

While PostgreSQL is unreachable (stopped, restarting, failing over, out of connections) every
request that needs it fails. DatabaseOutageMiddleware answers those with templates/503.html (or
/healthz's JSON) and `Retry-After: PORTAL_DATABASE_RETRY_AFTER_SECONDS`, instead of a 500 and a
traceback each. A process logs a warning when its first request fails and an info line when a
query succeeds again; the persistent connections reconnect on their own (CONN_HEALTH_CHECKS).

Where the failure surfaces decides how it is caught:

- in the view or its template: process_exception answers before Django treats it as an error;
- in a middleware below this one (the session read by the session policy, the member read by the
  set-up check, a new session's save): Django turns it into a 500 right there. The receiver of
  got_request_exception marks the request and the 500 coming up is replaced here;
- in the save of an existing session: Django's session middleware turns it into a 400
  (SessionInterrupted), logged as a warning. A 400 from a request whose connection failed and is
  no longer usable is replaced here too;
- /healthz catches its own query's failure and answers 503: it gets the Retry-After here.

WithoutDatabaseOutages (a LOGGING filter on django.request) drops Django's records of every
request answered this way: the 500 and traceback logged on the way, and the 503 itself.

Any other error, including a query the database refused (a timeout, a deadlock, a missing table),
is left alone: its 500 and its traceback are logged as before.
"""

import logging
import sqlite3
import sys
import threading
import time
from functools import partial

from django.conf import settings
from django.core.signals import got_request_exception
from django.db import InterfaceError, OperationalError, connection
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.cache import add_never_cache_headers

try:
    import psycopg
except ImportError:  # SQLite-only installs
    psycopg = None

logger = logging.getLogger(__name__)

# On the request: the error that made a middleware below answer 500; and that it was answered 503.
FAILURE_MARK = "portal_database_failure"
ANSWERED_MARK = "portal_database_outage"
# PostgreSQL's codes for "cannot serve you now": connection exceptions (class 08), shutting down,
# crashed, starting up, and no connection slot left.
UNAVAILABLE_SQLSTATES = {"57P01", "57P02", "57P03", "53300"}
# SQLite's primary codes for the same: busy, locked, cannot open the file, disk I/O error.
UNAVAILABLE_SQLITE_CODES = {sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_IOERR}
INTERFACE_ERRORS = (InterfaceError, sqlite3.InterfaceError) + ((psycopg.InterfaceError,) if psycopg else ())
OPERATIONAL_ERRORS = (OperationalError, sqlite3.OperationalError) + ((psycopg.OperationalError,) if psycopg else ())


def database_unavailable(exc) -> bool:
    """Whether `exc` (or what it was raised from) says the database cannot be reached just now."""
    seen = 0
    while exc is not None and seen < 5:
        if isinstance(exc, INTERFACE_ERRORS):
            return True  # a connection already closed under us
        if isinstance(exc, OPERATIONAL_ERRORS):
            driver = exc.__cause__ if isinstance(exc.__cause__, OPERATIONAL_ERRORS) else exc
            return _driver_says_unavailable(driver)
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return False


def _driver_says_unavailable(exc) -> bool:
    if isinstance(exc, sqlite3.OperationalError):
        code = getattr(exc, "sqlite_errorcode", None)
        return code is None or code & 0xFF in UNAVAILABLE_SQLITE_CODES
    sqlstate = getattr(exc, "sqlstate", None) or getattr(exc, "pgcode", None)
    # No code at all: the client library itself failed (refused, reset, timed out, server gone).
    return sqlstate is None or sqlstate.startswith("08") or sqlstate in UNAVAILABLE_SQLSTATES


class _Episode:
    """This process's view of the outage: since when requests fail, or None while all is well.

    Requests that began before the outage was seen never end it (their connection may outlive the
    server by a moment), and requests that began before it ended never start another one.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self.started_at = None
        self.ended_at = float("-inf")

    @property
    def ongoing(self):
        return self.started_at is not None

    def failed(self, reason, *, began_at):
        with self._lock:
            if self.started_at is not None or began_at < self.ended_at:
                return
            self.started_at = time.monotonic()
        logger.warning("Database unavailable (%s): answering 503 until it answers again.", reason)

    def answered(self, *, began_at):
        with self._lock:
            if self.started_at is None or began_at < self.started_at:
                return
            self.ended_at = time.monotonic()
            lasted, self.started_at = self.ended_at - self.started_at, None
        logger.info("Database available again after %.1f s.", lasted)


def _one_line(exc):
    """The driver's own message, first line: what an operator needs, without the traceback."""
    driver = exc.__cause__ or exc
    text = str(driver).strip().splitlines()
    return f"{type(driver).__name__}: {text[0] if text else ''}"


episode = _Episode()


def unavailable_response(request):
    """The 503 answer: nothing in it reads the session, the member or the database."""
    setattr(request, ANSWERED_MARK, True)
    if request.path_info == reverse("healthz"):
        response = JsonResponse({"database": "unavailable"}, status=503)
    else:
        context = {
            "retry_after_seconds": settings.PORTAL_DATABASE_RETRY_AFTER_SECONDS,
            "support_phone": settings.PORTAL_SUPPORT_PHONE,
        }
        # In the language of the switcher's cookie or the browser: the member's saved one needs the database.
        language = translation.get_language_from_request(request)
        with translation.override(language):
            response = HttpResponse(render_to_string("503.html", context), status=503)
        response["Content-Language"] = language
    response["Retry-After"] = str(settings.PORTAL_DATABASE_RETRY_AFTER_SECONDS)
    add_never_cache_headers(response)  # an outage page must never be served from a cache later
    return response


def _mark_failure(sender, request=None, **kwargs):
    """got_request_exception: remember on the request that a middleware below failed for this reason."""
    exc = sys.exc_info()[1]
    if request is not None and database_unavailable(exc):
        setattr(request, FAILURE_MARK, exc)


class DatabaseOutageMiddleware:
    """Answers 503 with Retry-After when the database is unreachable; see the module docstring."""

    def __init__(self, get_response):
        self.get_response = get_response
        # Here rather than at import, so LOGGING's filter drops nothing unless this middleware answers.
        got_request_exception.connect(_mark_failure, dispatch_uid="portal.outage")

    def __call__(self, request):
        began_at = request.portal_began_at = time.monotonic()
        if episode.ongoing:
            # Only during an outage: the first query that succeeds ends it.
            with connection.execute_wrapper(partial(_note_answer, began_at=began_at)):
                response = self.get_response(request)
        else:
            response = self.get_response(request)
        if getattr(request, ANSWERED_MARK, False):
            return response
        failure = getattr(request, FAILURE_MARK, None)
        if failure is not None:
            episode.failed(_one_line(failure), began_at=began_at)
            return unavailable_response(request)
        if response.status_code == 400 and _connection_lost():
            episode.failed("the connection failed during the request", began_at=began_at)
            return unavailable_response(request)
        if response.status_code == 503 and request.path_info == reverse("healthz"):
            # The health check answers its own 503 when its query fails: part of the outage too.
            episode.failed("the health check's query failed", began_at=began_at)
            setattr(request, ANSWERED_MARK, True)
            response["Retry-After"] = str(settings.PORTAL_DATABASE_RETRY_AFTER_SECONDS)
        return response

    def process_exception(self, request, exception):
        if not database_unavailable(exception):
            return None
        episode.failed(_one_line(exception), began_at=request.portal_began_at)
        return unavailable_response(request)


def _connection_lost():
    """This request's database connection raised an error and can no longer run a query."""
    return connection.errors_occurred and not connection.is_usable()


def _note_answer(execute, sql, params, many, context, *, began_at):
    result = execute(sql, params, many, context)
    episode.answered(began_at=began_at)
    return result


class WithoutDatabaseOutages(logging.Filter):
    """On django.request: drop the records of a request answered with the 503 page (the 500 that
    Django logged on the way, with its traceback, and the 503 itself); the episode has its line."""

    def filter(self, record):
        request = getattr(record, "request", None)
        return getattr(request, FAILURE_MARK, None) is None and not getattr(request, ANSWERED_MARK, False)
