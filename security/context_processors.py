from django.conf import settings


def security_policy(request):
    """The live policy values, so a page that describes the policy cannot disagree with it."""
    return {
        "freeze_after_failures": settings.PORTAL_FREEZE_AFTER_FAILURES,
        "reset_failure_limit": settings.PORTAL_RESET_FAILURE_LIMIT,
        "reset_lock_minutes": settings.PORTAL_RESET_LOCK_SECONDS // 60,
        "support_phone": settings.PORTAL_SUPPORT_PHONE,
        "answer_min_length": settings.PORTAL_ANSWER_MIN_LENGTH,
    }
