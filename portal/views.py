import uuid
from datetime import datetime

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.views import redirect_to_login
from django.core.cache import cache
from django.db import DatabaseError, connection
from django.http import HttpResponseServerError, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from accounts.services import password_age_days, password_reminder_due
from security.browsers import supported_browsers
from security.middleware import background_request
from security.models import SecurityEvent
from security.request_checks import safe_next_path

from .benefits import plan_year_progress
from .claims import claims_of
from .coverage import enrollment_of

LATEST_CLAIMS = 5


@require_safe
def home(request):
    previous = request.session.get("previous_sign_in_at")
    previous_sign_in = datetime.fromisoformat(previous) if previous else None
    failed_attempts = SecurityEvent.objects.filter(
        member=request.user,
        kind__in=SecurityEvent.FAILED_SIGN_IN_KINDS,
        created_at__gt=previous_sign_in or request.user.date_joined,
        created_at__lte=request.user.last_login,
    ).count()
    context = {
        "previous_sign_in": previous_sign_in,
        "failed_attempts": failed_attempts,
        "password_age_days": password_age_days(request.user),
        "password_reminder_due": password_reminder_due(request.user),
    }
    enrollment = enrollment_of(request.user, count_dependents=True)
    if enrollment is not None:
        context["enrollment"] = enrollment
        context["progress"] = plan_year_progress(enrollment, has_dependents=enrollment.dependent_count > 0)
        context["latest_claims"] = list(claims_of(request.user)[:LATEST_CLAIMS])
    return render(request, "portal/home.html", context)


@require_safe
@login_not_required
def admin_sign_in(request):
    """The support site signs people in through the one sign-in page, with its freeze and limits."""
    if request.user.is_authenticated:
        # Signed in, but not allowed in: sending them to sign in again would loop back here.
        return render(request, "portal/no_support_access.html", status=403)
    return redirect_to_login(safe_next_path(request, request.GET.get("next")) or "/admin/")


@require_safe
@login_not_required
def security_page(request):
    """How the portal protects members, with every number taken from the live settings."""
    context = {
        "browsers": supported_browsers(),
        "reset_lock_minutes": settings.PORTAL_RESET_LOCK_SECONDS // 60,
        "warning_minutes": max(1, settings.PORTAL_IDLE_WARNING_SECONDS // 60),
        "reminder_days": settings.PORTAL_PASSWORD_REMINDER_DAYS,
        "password_min_length": settings.PORTAL_PASSWORD_MIN_LENGTH,
    }
    return render(request, "portal/security.html", context)


def server_error(request):
    """handler500: the branded page from settings alone, with no request context (it may be what failed)."""
    page = loader.get_template("500.html").render({"support_phone": settings.PORTAL_SUPPORT_PHONE})
    return HttpResponseServerError(page)


@require_safe
@never_cache
@login_not_required
@background_request
def healthz(request):
    """For the load balancer: 503 only when this app server cannot serve (its database is out of
    reach). Without the cache it still serves, with per-address limits per process: 200, "degraded"."""
    database_ok = _database_ok()
    body = {"database": "ok" if database_ok else "unavailable", "cache": "ok" if _cache_ok() else "degraded"}
    return JsonResponse(body, status=200 if database_ok else 503)


def _database_ok():
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except DatabaseError:
        return False


def _cache_ok():
    try:
        key = f"healthz:{uuid.uuid4().hex}"
        cache.set(key, "1", timeout=5)
        ok = cache.get(key) == "1"
        cache.delete(key)
        return ok
    except Exception:  # noqa: BLE001 - any cache client error means "unavailable"
        return False


@require_safe
@login_not_required
def language_assistance(request):
    """Free language help offered in fifteen languages, and the nondiscrimination notice."""
    phone = settings.PORTAL_SUPPORT_PHONE
    dialable = "".join(character for character in phone if character.isdigit() or character == "+")
    return render(
        request,
        "portal/language_assistance.html",
        {"support_phone": phone, "support_phone_href": f"tel:{dialable}"},
    )
