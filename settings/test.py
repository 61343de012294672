"""Tests: the zero-setup default (SQLite, local memory), or DATABASE_URL/CACHE_URL when given."""

import os

from .base import *  # noqa: F403
from .base import BASE_DIR, DATABASES, PASSWORD_HASHERS, SILENCED_SYSTEM_CHECKS

SECRET_KEY = "test-only-insecure-key"
(BASE_DIR / "var").mkdir(exist_ok=True)

# Unit tests use a fast hasher; tests that measure or rely on the real cost switch it back.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *PASSWORD_HASHERS]
SILENCED_SYSTEM_CHECKS = [*SILENCED_SYSTEM_CHECKS, "security.E001"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
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
