"""Tests: the zero-setup default (SQLite, local memory), or DATABASE_URL/CACHE_URL when given."""

import os
import re

# Each pytest-xdist worker gets a Redis database of its own (the address limits, the per-minute
# audit of refusals and a cache flush would otherwise reach across workers); in the environment,
# so the app servers a live test starts use the same one.
_worker = os.environ.get("PYTEST_XDIST_WORKER", "")
if _worker.startswith("gw") and os.environ.get("CACHE_URL", "").startswith("redis://"):
    _url = re.match(r"(redis://[^/]+)/?(\d*)$", os.environ["CACHE_URL"])
    if _url:
        os.environ["CACHE_URL"] = f"{_url[1]}/{int(_url[2] or 0) + int(_worker[2:])}"

from .base import *  # noqa: E402, F403
from .base import BASE_DIR, DATABASES, PASSWORD_HASHERS, SILENCED_SYSTEM_CHECKS  # noqa: E402

SECRET_KEY = "test-only-insecure-key"
(BASE_DIR / "var").mkdir(exist_ok=True)

# Unit tests use a fast hasher; tests that measure or rely on the real cost switch it back.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *PASSWORD_HASHERS]
SILENCED_SYSTEM_CHECKS = [*SILENCED_SYSTEM_CHECKS, "security.E001"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Unit tests deliver notices in the test process, once the change commits (mail.outbox, as
# Django's test tools expect). The outbox tests switch to the database backend and its worker,
# and the live tests run production's: the database backend and a real `db_worker` process.
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
# The password-again pages are tested asking for it; the recent-authentication window's own tests set it.
PORTAL_RECENT_AUTH_SECONDS = 0

# Static files straight from the apps, without collectstatic.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True

if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # A file, not memory, so the app servers that the live tests start can open it too; one per
    # test run, so two runs on one machine never share it.
    DATABASES["default"]["TEST"] = {"NAME": BASE_DIR / "var" / f"test-{os.getpid()}.sqlite3"}
