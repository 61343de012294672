from django.conf import settings


def security_policy(request):
    """The live policy values, so a page that describes the policy cannot disagree with it."""
    return {"freeze_after_failures": settings.PORTAL_FREEZE_AFTER_FAILURES}
