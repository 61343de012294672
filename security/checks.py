"""System checks: refuse to run with a security policy weaker than the one we promise members."""

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

OWASP_MIN_MEMORY_KIB = 19456
OWASP_MIN_TIME_COST = 2


@register(Tags.security)
def check_password_hashing(app_configs, **kwargs):
    errors = []
    first = settings.PASSWORD_HASHERS[0].rsplit(".", 1)[-1]
    if "Argon2" not in first:
        errors.append(Error("The first password hasher must be Argon2id.", id="security.E001"))
    if (
        settings.PORTAL_ARGON2_MEMORY_KIB < OWASP_MIN_MEMORY_KIB
        or settings.PORTAL_ARGON2_TIME_COST < OWASP_MIN_TIME_COST
    ):
        errors.append(
            Error(
                "Argon2id cost is below OWASP's minimum (19 MiB memory, 2 iterations).",
                hint="Raise PORTAL_ARGON2_MEMORY_KIB / PORTAL_ARGON2_TIME_COST.",
                id="security.E002",
            )
        )
    return errors


@register(Tags.security)
def check_freeze_policy(app_configs, **kwargs):
    if (
        settings.AXES_FAILURE_LIMIT != settings.PORTAL_FREEZE_AFTER_FAILURES
        or settings.AXES_COOLOFF_TIME
        or list(settings.AXES_LOCKOUT_PARAMETERS) != ["username"]
    ):
        return [
            Error(
                "The freeze must follow PORTAL_FREEZE_AFTER_FAILURES, count failures per username "
                "(AXES_LOCKOUT_PARAMETERS) and have no automatic cool-off.",
                id="security.E003",
            )
        ]
    return []


@register(Tags.security, deploy=True)
def check_audit_chain_key(app_configs, **kwargs):
    if settings.PORTAL_AUDIT_CHAIN_KEY == settings.SECRET_KEY:
        return [
            Warning(
                "PORTAL_AUDIT_CHAIN_KEY is not set, so the audit chain uses SECRET_KEY; rotating SECRET_KEY "
                "would make the whole audit log fail verification.",
                hint="Set PORTAL_AUDIT_CHAIN_KEY to its own secret value (docs/deploy.md).",
                id="security.W001",
            )
        ]
    return []
