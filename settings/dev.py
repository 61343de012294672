"""Local development: SQLite and the local-memory cache, no services needed."""

from .base import *  # noqa: F403
from .base import BASE_DIR, env

# On for manage.py runserver; scripts/run-portal sets DEBUG=false to serve the real error pages.
DEBUG = env.bool("DEBUG", default=True)
SECRET_KEY = env("SECRET_KEY", default="dev-only-insecure-key-never-use-in-production")
(BASE_DIR / "var").mkdir(exist_ok=True)

# Static files straight from the apps, without collectstatic; WhiteNoise serves them with DEBUG off too.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True
