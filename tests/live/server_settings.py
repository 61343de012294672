"""Settings for the app servers the live tests start: production's, served over HTTP on loopback.

Only what a plain-HTTP server without collectstatic needs changes, plus two test hooks: every
Argon2 hash is counted (counting_hasher.py), and PORTAL_LIVE_AXES_HANDLER can swap the lockout
handler, to show what the counted figure would be without the reservation.
"""

from settings.prod import *  # noqa: F403
from settings.prod import AXES_HANDLER, PASSWORD_HASHERS, env

# Static files straight from the apps: there is no collectstatic manifest in a test run.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

PASSWORD_HASHERS = [
    "tests.live.counting_hasher.CountingArgon2PasswordHasher"
    if hasher == "security.hashers.PortalArgon2PasswordHasher"
    else hasher
    for hasher in PASSWORD_HASHERS
]
AXES_HANDLER = env("PORTAL_LIVE_AXES_HANDLER", default=AXES_HANDLER)
