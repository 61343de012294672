from typing import Any

from django.conf import settings
from django.http import HttpRequest

from . import sessions


def security_policy(request: HttpRequest) -> dict[str, Any]:
    """The live policy values, so a page that describes the policy cannot disagree with it."""
    user = getattr(request, "user", None)
    idle_seconds_left = None
    if user is not None and user.is_authenticated:
        idle_seconds_left = int(sessions.seconds_left(request, sessions.now()))
    return {
        "idle_seconds_left": idle_seconds_left,
        "freeze_after_failures": settings.PORTAL_FREEZE_AFTER_FAILURES,
        "reset_failure_limit": settings.PORTAL_RESET_FAILURE_LIMIT,
        "reset_lock_minutes": settings.PORTAL_RESET_LOCK_SECONDS // 60,
        "reset_total_failure_limit": settings.PORTAL_RESET_TOTAL_FAILURE_LIMIT,
        "reset_ip_window_minutes": settings.PORTAL_RESET_IP_FAILURE_WINDOW_SECONDS // 60,
        "support_phone": settings.PORTAL_SUPPORT_PHONE,
        "answer_min_length": settings.PORTAL_ANSWER_MIN_LENGTH,
        "idle_minutes": settings.PORTAL_IDLE_TIMEOUT_SECONDS // 60,
        "recent_auth_minutes": settings.PORTAL_RECENT_AUTH_SECONDS // 60,
        "idle_warning_seconds": settings.PORTAL_IDLE_WARNING_SECONDS,
        "session_max_hours": settings.PORTAL_SESSION_MAX_SECONDS // 3600,
    }
