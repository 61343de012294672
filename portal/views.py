from datetime import datetime

from django.shortcuts import render
from django.views.decorators.http import require_safe

from security.models import SecurityEvent


@require_safe
def home(request):
    previous = request.session.get("previous_sign_in_at")
    previous_sign_in = datetime.fromisoformat(previous) if previous else None
    failed_attempts = SecurityEvent.objects.filter(
        member=request.user,
        kind__in=[SecurityEvent.Kind.SIGN_IN_FAILED, SecurityEvent.Kind.SIGN_IN_REFUSED_FROZEN],
        created_at__gt=previous_sign_in or request.user.date_joined,
        created_at__lte=request.user.last_login,
    ).count()
    context = {"previous_sign_in": previous_sign_in, "failed_attempts": failed_attempts}
    return render(request, "portal/home.html", context)
