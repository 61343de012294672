"""Production: secrets and services come from the environment; HTTPS everywhere."""

import ipaddress

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import DATABASES, SECRET_KEY, env

if not SECRET_KEY:
    raise ImproperlyConfigured("Set SECRET_KEY in the environment; production refuses to start without it.")
SECRET_KEY_FALLBACKS = env.list("SECRET_KEY_FALLBACKS", default=[])

DEBUG = False
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])


# Passkeys are bound to the portal's domain: unless set, the first domain name (not an address) of
# ALLOWED_HOSTS, over https.
def _first_domain(hosts: list[str]) -> str:
    for host in (host.lstrip(".") for host in hosts):
        if host and host != "*" and not _is_address(host):
            return host
    return ""


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


OTP_WEBAUTHN_RP_ID = env("PORTAL_PASSKEY_RP_ID", default=_first_domain(ALLOWED_HOSTS))
OTP_WEBAUTHN_ALLOWED_ORIGINS = env.list("PORTAL_PASSKEY_ORIGINS", default=[f"https://{OTP_WEBAUTHN_RP_ID}"])

# https is gunicorn's wsgi.url_scheme: it believes X-Forwarded-Proto only from PORTAL_TRUSTED_PROXIES
# (gunicorn.conf.py), where SECURE_PROXY_SSL_HEADER would believe any client that reaches gunicorn.
SECURE_PROXY_SSL_HEADER = None

SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = 63072000
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
LANGUAGE_COOKIE_SECURE = True
SESSION_COOKIE_NAME = "__Host-sessionid"
CSRF_COOKIE_NAME = "__Host-csrftoken"

# Reuse database connections across requests; checked before reuse in case the server restarted.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
