from datetime import datetime

from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import render
from django.views.decorators.http import require_safe

from accounts.services import password_age_days, password_reminder_due
from security.models import SecurityEvent

Kind = SecurityEvent.Kind


@require_safe
def home(request):
    previous = request.session.get("previous_sign_in_at")
    previous_sign_in = datetime.fromisoformat(previous) if previous else None
    failed_attempts = SecurityEvent.objects.filter(
        member=request.user,
        kind__in=[Kind.SIGN_IN_FAILED, Kind.SECOND_FACTOR_FAILED, Kind.SIGN_IN_REFUSED_FROZEN],
        created_at__gt=previous_sign_in or request.user.date_joined,
        created_at__lte=request.user.last_login,
    ).count()
    context = {
        "previous_sign_in": previous_sign_in,
        "failed_attempts": failed_attempts,
        "password_age_days": password_age_days(request.user),
        "password_reminder_due": password_reminder_due(request.user),
    }
    return render(request, "portal/home.html", context)


@login_not_required
def admin_sign_in(request):
    """The support site signs people in through the one sign-in page, with its freeze and limits."""
    if request.user.is_authenticated:
        # Signed in, but not allowed in: sending them to sign in again would loop back here.
        return render(request, "portal/no_support_access.html", status=403)
    return redirect_to_login(request.GET.get("next", "/admin/"))
