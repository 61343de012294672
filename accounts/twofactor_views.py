"""Pages for two-factor sign-in: the code step of sign-in, and turning it on and off."""

import time
from typing import TYPE_CHECKING, Any, cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, get_user_model
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render, resolve_url
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from security import passkeys, sessions, throttle, twofactor
from security.audit import Kind, record_rate_limited
from security.forms import BUSY, CodeForm
from security.lockout import verification
from security.request_checks import safe_next_path

from .twofactor_forms import ConfirmDeviceForm, PasswordAgainForm, RemoveTwoFactorForm
from .views import complete_sign_in, frozen_response, tries_left

if TYPE_CHECKING:
    from django_otp.models import Device

    from .views import MemberRequest

    class CodeSignInRequest(HttpRequest):
        """A request whose code authenticate() accepted: the device that matched it."""

        otp_device_used: Device


SETUP_UNLOCKED_KEY = "two_factor_setup_unlocked_until"
SETUP_WINDOW_SECONDS = 600


@sensitive_post_parameters()
@csrf_protect
@never_cache
@login_not_required
def verify_code(request: HttpRequest) -> HttpResponse:
    """Step two of sign-in for a member with two-factor: a code from the app, or a backup code."""
    pending = twofactor.pending_sign_in(request)
    if pending is None:
        twofactor.end_pending(request)
        messages.error(request, _("Your sign-in took too long. Please sign in again."))
        return redirect("accounts:login")
    ways = _ways_in(pending)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and not ways["codes"]:
        # Passkeys only (staff, when the support site requires one): a code is not asked, nor taken.
        return render(request, "accounts/verify_code.html", {"form": CodeForm(), **ways}, status=400)
    if request.method == "POST" and form.is_valid():
        if not throttle.reserve(request, throttle.SIGN_IN):
            record_rate_limited(Kind.SIGN_IN_REFUSED_ADDRESS, request=request, username=pending["username"])
            context = {"form": CodeForm(), "throttled": True, **ways}
            return render(request, "accounts/verify_code.html", context, status=429)
        with verification(request):
            member = authenticate(request, username=pending["username"], otp_token=form.cleaned_data["code"])
        if member is None:
            throttle.check_failed(request, throttle.SIGN_IN)
            if getattr(request, "portal_slots_busy", False):
                form.add_error("code", BUSY)
                context = {"form": form, **ways}
                return render(request, "accounts/verify_code.html", context, status=429)
            if getattr(request, "axes_locked_out", False):  # frozen, before this code or by it
                return frozen_response(request)
        else:
            throttle.check_passed(request, throttle.SIGN_IN)
            twofactor.end_pending(request)
            complete_sign_in(request, member, device=cast("CodeSignInRequest", request).otp_device_used)
            target = safe_next_path(request, pending["next"]) or resolve_url(settings.LOGIN_REDIRECT_URL)
            return HttpResponseRedirect(target)
        form.add_error("code", code_refused_message(pending, form.cleaned_data["code"]))
    context = {"form": form, **ways}
    if request.method == "POST":
        context["tries_left"] = tries_left(pending["username"])  # the same five as the password's
    return render(request, "accounts/verify_code.html", context)


def _ways_in(pending: dict[str, Any]) -> dict[str, Any]:
    """What the code step offers this member: a passkey, codes (app or backup), or both."""
    member = get_user_model()._default_manager.filter(pk=pending["member"]).first()
    has_passkey = member is not None and passkeys.has_passkey(member)
    passkey_only = has_passkey and twofactor.passkey_required(member)
    has_codes = member is not None and (twofactor.has_app(member) or twofactor.backup_codes_left(member) > 0)
    return {"username": pending["username"], "has_passkey": has_passkey, "codes": has_codes and not passkey_only}


def code_refused_message(pending: dict[str, Any], code: str) -> str:
    member = get_user_model()._default_manager.filter(pk=pending["member"]).first()
    if member is not None and twofactor.code_just_used(member, code):
        return str(twofactor.CODE_JUST_USED)
    return _("That code is not correct. Check your app and try again.")


@never_cache
def two_factor_settings(request: "MemberRequest") -> HttpResponse:
    context = {
        "enabled": twofactor.has_app(request.user),
        "passkey_count": passkeys.passkeys_of(request.user).count(),
        "backup_codes_left": twofactor.backup_codes_left(request.user),
        "required": request.user.is_staff or settings.PORTAL_REQUIRE_TWO_FACTOR,
        "asks_password": PasswordAgainForm(request).asks_password,
    }
    return render(request, "accounts/two_factor.html", context)


@sensitive_post_parameters()
@csrf_protect
@never_cache
def two_factor_setup(request: "MemberRequest") -> HttpResponse:
    """Password again, then scan the QR code and confirm with a code; the backup codes are shown once."""
    form: PasswordAgainForm | ConfirmDeviceForm
    member = request.user
    if twofactor.has_app(member):
        return redirect("accounts:two_factor")
    if request.session.get(SETUP_UNLOCKED_KEY, 0) < time.time():
        form = PasswordAgainForm(request, request.POST or None)
        # Signed in or confirmed just now (sessions.recently_authenticated): no password to ask.
        if not form.asks_password or (request.method == "POST" and form.is_valid()):
            request.session[SETUP_UNLOCKED_KEY] = time.time() + SETUP_WINDOW_SECONDS
            twofactor.start_enrollment(member)
            return redirect("accounts:two_factor_setup")
        return render(request, "accounts/two_factor_password.html", {"form": form})
    device = twofactor.unconfirmed_device(member) or twofactor.start_enrollment(member)
    form = ConfirmDeviceForm(device, request.POST or None)
    if request.method == "POST" and form.is_valid():
        codes = twofactor.confirm_enrollment(member=member, device=device, request=request)
        request.session.pop(SETUP_UNLOCKED_KEY, None)
        twofactor.mark_verified(request, device)
        # Sessions signed in before two-factor was on never passed it: offer to end them.
        others = sessions.active_sessions(member).exclude(session_key=request.session.session_key).count()
        # Staff enroll to reach the support site: it is where "Done" leads them.
        done_url = resolve_url("admin:index" if member.is_staff else "accounts:two_factor")
        context = {
            "codes": codes,
            "made_at": timezone.now(),
            "first_time": True,
            "other_sessions": others,
            "done_url": done_url,
        }
        return render(request, "accounts/backup_codes.html", context)
    context = {"form": form, "qr_svg": twofactor.qr_code_svg(device), "secret": twofactor.secret_text(device)}
    return render(request, "accounts/two_factor_setup.html", context)


@sensitive_post_parameters()
@csrf_protect
@never_cache
@require_POST
def backup_codes(request: "MemberRequest") -> HttpResponse:
    form = PasswordAgainForm(request, request.POST)
    if not twofactor.has_app(request.user) or not form.is_valid():
        messages.error(request, _("Enter your current password to make new backup codes."))
        return redirect("accounts:two_factor")
    codes = twofactor.new_backup_codes(member=request.user, request=request)
    return render(request, "accounts/backup_codes.html", {"codes": codes, "made_at": timezone.now()})


@sensitive_post_parameters()
@csrf_protect
@never_cache
def remove_two_factor(request: "MemberRequest") -> HttpResponse:
    form = RemoveTwoFactorForm(request, request.POST or None)
    if request.method == "POST" and form.is_valid():
        twofactor.remove_two_factor(member=request.user, request=request)
        messages.success(request, _("Two-factor sign-in is off."))
        return redirect("accounts:two_factor")
    return render(request, "accounts/two_factor_remove.html", {"form": form})
