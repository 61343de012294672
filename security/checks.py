"""System checks: refuse to run with a security policy weaker than the one we promise members."""

import os
import re
from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.utils.translation import gettext

from .addresses import configured_entries, parse_network
from .browsers import FAMILIES

OWASP_MIN_MEMORY_KIB = 19456
OWASP_MIN_TIME_COST = 2


@register(Tags.security)
def check_password_hashing(app_configs: Sequence[AppConfig] | None, **kwargs: Any) -> list[CheckMessage]:
    errors: list[CheckMessage] = []
    first = settings.PASSWORD_HASHERS[0].rsplit(".", 1)[-1]
    if "Argon2" not in first:
        errors.append(Error(gettext("The first password hasher must be Argon2id."), id="security.E001"))
    if (
        settings.PORTAL_ARGON2_MEMORY_KIB < OWASP_MIN_MEMORY_KIB
        or settings.PORTAL_ARGON2_TIME_COST < OWASP_MIN_TIME_COST
    ):
        errors.append(
            Error(
                gettext("Argon2id cost is below OWASP's minimum (19 MiB memory, 2 iterations)."),
                hint=gettext("Raise PORTAL_ARGON2_MEMORY_KIB / PORTAL_ARGON2_TIME_COST."),
                id="security.E002",
            )
        )
    return errors


@register(Tags.security)
def check_freeze_policy(app_configs: Sequence[AppConfig] | None, **kwargs: Any) -> list[CheckMessage]:
    if (
        settings.AXES_FAILURE_LIMIT != settings.PORTAL_FREEZE_AFTER_FAILURES
        or settings.AXES_COOLOFF_TIME
        or list(settings.AXES_LOCKOUT_PARAMETERS) != ["username"]
    ):
        return [
            Error(
                gettext(
                    "The freeze must follow PORTAL_FREEZE_AFTER_FAILURES, count failures per username "
                    "(AXES_LOCKOUT_PARAMETERS) and have no automatic cool-off."
                ),
                id="security.E003",
            )
        ]
    return []


@register(Tags.security, deploy=True)
def check_audit_chain_key(app_configs: Sequence[AppConfig] | None, **kwargs: Any) -> list[CheckMessage]:
    if settings.PORTAL_AUDIT_CHAIN_KEY == settings.SECRET_KEY:
        return [
            Warning(
                gettext(
                    "PORTAL_AUDIT_CHAIN_KEY is not set, so the audit chain uses SECRET_KEY; rotating SECRET_KEY "
                    "would make the whole audit log fail verification."
                ),
                hint=gettext("Set PORTAL_AUDIT_CHAIN_KEY to its own secret value (docs/deploy.md)."),
                id="security.W001",
            )
        ]
    return []


# Variables of the earlier proxy setup; still set, they would suggest a trust the portal no longer gives.
OBSOLETE_PROXY_VARIABLES = ("PORTAL_TRUSTED_PROXY_COUNT", "FORWARDED_ALLOW_IPS")


@register(Tags.security)
def check_trusted_proxies(app_configs: Sequence[AppConfig] | None, **kwargs: Any) -> list[CheckMessage]:
    errors: list[CheckMessage] = []
    networks = []
    for entry in configured_entries():
        try:
            networks.append(parse_network(entry))
        except ValueError:
            errors.append(
                Error(
                    gettext("PORTAL_TRUSTED_PROXIES has %(entry)s, which is not an address or a network.")
                    % {"entry": repr(entry)},
                    hint=gettext(
                        "Write addresses (10.0.0.5, 2001:db8::5) or networks with the host bits zero "
                        "(10.0.0.0/8), separated by commas. There is no wildcard."
                    ),
                    id="security.E010",
                )
            )
    for name in OBSOLETE_PROXY_VARIABLES:
        if name in os.environ:
            errors.append(
                Error(
                    gettext("%(name)s is set in the environment, but the portal no longer reads it.") % {"name": name},
                    hint=gettext(
                        "Remove it and list the proxies' addresses in PORTAL_TRUSTED_PROXIES (docs/deploy.md)."
                    ),
                    id="security.E011",
                )
            )
    if settings.PORTAL_BEHIND_TLS_PROXY and not configured_entries():
        errors.append(
            Error(
                gettext(
                    "PORTAL_BEHIND_TLS_PROXY is true but PORTAL_TRUSTED_PROXIES is empty: every client would "
                    "have the proxy's address, and no request would be known to have come over https."
                ),
                hint=gettext("Set PORTAL_TRUSTED_PROXIES to the addresses nginx connects from."),
                id="security.E012",
            )
        )
    if configured_entries() and not settings.PORTAL_BEHIND_TLS_PROXY:
        errors.append(
            Error(
                gettext(
                    "PORTAL_TRUSTED_PROXIES is set but PORTAL_BEHIND_TLS_PROXY is not: the proxy's "
                    "X-Forwarded-Proto would be ignored and every request through it taken for plain HTTP."
                ),
                hint=gettext("Behind nginx set both; with gunicorn's own TLS set neither."),
                id="security.E013",
            )
        )
    if any(network.prefixlen == 0 for network in networks):
        errors.append(
            Error(
                gettext(
                    "PORTAL_TRUSTED_PROXIES trusts every address: any client could choose the address the "
                    "per-address limit and the audit log see."
                ),
                hint=gettext("List only the proxies' own addresses or networks."),
                id="security.E014",
            )
        )
    if settings.SECURE_PROXY_SSL_HEADER:
        errors.append(
            Error(
                gettext(
                    "SECURE_PROXY_SSL_HEADER is set: Django would believe X-Forwarded-Proto from any client "
                    "that reaches an app server, not only from the trusted proxies."
                ),
                hint=gettext("Leave it unset; gunicorn.conf.py takes https from PORTAL_TRUSTED_PROXIES only."),
                id="security.E015",
            )
        )
    return errors


@register(Tags.security)
def check_reset_limits(app_configs: Sequence[AppConfig] | None, **kwargs: Any) -> list[CheckMessage]:
    """The reset tool's total bound is the one that holds for ever: it must be small and reachable."""
    total, per_period = settings.PORTAL_RESET_TOTAL_FAILURE_LIMIT, settings.PORTAL_RESET_FAILURE_LIMIT
    if not 1 <= per_period <= total <= 10:
        return [
            Error(
                gettext(
                    "The reset tool's limits must satisfy 1 <= PORTAL_RESET_FAILURE_LIMIT <= "
                    "PORTAL_RESET_TOTAL_FAILURE_LIMIT <= 10 (now %(per_period)s and %(total)s)."
                )
                % {"per_period": per_period, "total": total},
                hint=gettext("At most ten wrong answer sets or codes in all before staff must unlock the reset tool."),
                id="security.E020",
            )
        ]
    return []


@register(Tags.security)
def check_hash_queue(app_configs: Sequence[AppConfig] | None, **kwargs: Any) -> list[CheckMessage]:
    if settings.PORTAL_HASH_QUEUE_LIMIT < 1:
        return [
            Error(
                gettext(
                    "PORTAL_HASH_QUEUE_LIMIT must be at least 1: with no place to wait, every sign-in "
                    "would be refused as busy."
                ),
                id="security.E021",
            )
        ]
    return []


@register(Tags.security)
def check_recent_auth_window(app_configs: Sequence[AppConfig] | None, **kwargs: Any) -> list[CheckMessage]:
    """Skipping the password again must never outlast the idle limit a session would end at."""
    window, idle = settings.PORTAL_RECENT_AUTH_SECONDS, settings.PORTAL_IDLE_TIMEOUT_SECONDS
    if not 0 <= window <= idle:
        return [
            Error(
                gettext(
                    "PORTAL_RECENT_AUTH_SECONDS must be between 0 and PORTAL_IDLE_TIMEOUT_SECONDS "
                    "(now %(window)s and %(idle)s)."
                )
                % {"window": window, "idle": idle},
                hint=gettext("0 asks for the password again every time."),
                id="security.E030",
            )
        ]
    return []


@register(Tags.security)
def check_idle_warning(app_configs: Sequence[AppConfig] | None, **kwargs: Any) -> list[CheckMessage]:
    """The "still there?" dialog opens this long before the idle limit: at or past it, it would open
    at sign-in and reopen for ever."""
    warning, idle = settings.PORTAL_IDLE_WARNING_SECONDS, settings.PORTAL_IDLE_TIMEOUT_SECONDS
    if not 0 < warning < idle:
        return [
            Error(
                gettext(
                    "PORTAL_IDLE_WARNING_SECONDS must be more than 0 and less than PORTAL_IDLE_TIMEOUT_SECONDS "
                    "(now %(warning)s and %(idle)s)."
                )
                % {"warning": warning, "idle": idle},
                hint=gettext("The shipped values are 120 and 900."),
                id="security.E031",
            )
        ]
    return []


BROWSER_VERSION = re.compile(r"[0-9]+(\.[0-9]+)*", re.ASCII)


@register(Tags.security)
def check_minimum_browsers(app_configs: Sequence[AppConfig] | None, **kwargs: Any) -> list[CheckMessage]:
    """Every minimum names a browser the policy recognizes and a version of numbers: anything else
    would make each page that judges the browser (the sign-in page first) fail."""
    known = sorted(set(FAMILIES.values()))
    errors: list[CheckMessage] = []
    for name, version in dict(settings.PORTAL_MINIMUM_BROWSERS).items():
        if name not in known:
            errors.append(
                Error(
                    gettext("PORTAL_MINIMUM_BROWSERS names %(name)s, which is not a browser the portal recognizes.")
                    % {"name": repr(name)},
                    hint=gettext("The browsers it recognizes: %(names)s.") % {"names": ", ".join(known)},
                    id="security.E032",
                )
            )
        elif isinstance(version, bool) or not BROWSER_VERSION.fullmatch(str(version)):
            errors.append(
                Error(
                    gettext("PORTAL_MINIMUM_BROWSERS gives %(name)s the version %(version)s, which is not a version.")
                    % {"name": name, "version": repr(version)},
                    hint=gettext('Write each version as numbers separated by dots, such as "88" or "15.4".'),
                    id="security.E033",
                )
            )
    return errors


def _within(host: str, domain: str) -> bool:
    """Whether `host` is `domain` or one of its subdomains (names compared without case)."""
    host, domain = host.lower().rstrip("."), domain.lower().rstrip(".")
    return host == domain or host.endswith("." + domain)


def _is_ip_address(host: str) -> bool:
    import ipaddress

    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


@register(Tags.security)
def check_passkey_relying_party(app_configs: Sequence[AppConfig] | None, **kwargs: Any) -> list[CheckMessage]:
    """A passkey is bound to the relying party id: it must be the portal's own domain (a host it
    serves, or a parent domain of one), and every origin a passkey may sign for must be under it.

    Anything else would make every passkey ceremony fail, or let another site's page ask for them.
    """
    from urllib.parse import urlsplit

    errors: list[CheckMessage] = []
    rp_id = str(getattr(settings, "OTP_WEBAUTHN_RP_ID", "") or "")
    hosts = [str(host) for host in settings.ALLOWED_HOSTS]
    served = [host.lstrip(".") for host in hosts if host != "*"]
    if not rp_id or _is_ip_address(rp_id) or not any(_within(host, rp_id) for host in served):
        errors.append(
            Error(
                gettext(
                    "The passkey relying party id %(rp_id)s is not the portal's domain: it must be a host in "
                    "ALLOWED_HOSTS (%(hosts)s), or a parent domain of one, and not an IP address."
                )
                % {"rp_id": repr(rp_id), "hosts": ", ".join(hosts) or "-"},
                hint=gettext(
                    "Set PORTAL_PASSKEY_RP_ID to the domain members reach the portal at, such as members.example.com."
                ),
                id="security.E034",
            )
        )
        return errors
    origins = list(getattr(settings, "OTP_WEBAUTHN_ALLOWED_ORIGINS", []) or [])
    if not origins:
        errors.append(
            Error(
                gettext("PORTAL_PASSKEY_ORIGINS is empty: no page could use a passkey."),
                hint=gettext("List the portal's address, such as https://members.example.com."),
                id="security.E035",
            )
        )
    for origin in origins:
        parts = urlsplit(str(origin))
        host = parts.hostname or ""
        local = host == "localhost" and parts.scheme == "http"
        well_formed = (parts.scheme == "https" or local) and not parts.path.strip("/") and not parts.query
        if not well_formed or not _within(host, rp_id):
            errors.append(
                Error(
                    gettext(
                        "The passkey origin %(origin)s is not an https:// address under the relying party id %(rp_id)s."
                    )
                    % {"origin": repr(origin), "rp_id": rp_id},
                    hint=gettext(
                        "Each entry is a scheme, a host and an optional port, such as https://members.example.com."
                    ),
                    id="security.E035",
                )
            )
    return errors
