"""Passkeys: signing in with one (with or without the password first), and the member's own list.

The freeze means what it says here too: a frozen account is refused whichever way it signs in, and
is unfrozen only by the reset tool (which accepts a passkey as its second factor) or by support.
"""

import time
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_not_required
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from security import passkeys, reset, sessions, twofactor
from security.audit import Kind, record_event
from security.lockout import is_frozen
from security.passkey_views import (
    BadRequest,
    bad_request,
    credential_of,
    done,
    error,
    json_step,
    options,
    public_json_step,
    read_json,
    text_field,
)
from security.request_checks import safe_next_path

from .twofactor_forms import PasswordAgainForm, RemovePasskeyForm, RenamePasskeyForm
from .views import complete_sign_in

if TYPE_CHECKING:
    from .views import MemberRequest

ADD_UNLOCKED_KEY = "passkey_add_unlocked_until"
ADD_WINDOW_SECONDS = 600
# A passkey signs in by itself: the session's user comes from the password backend, as any other's.
SIGN_IN_BACKEND = "django.contrib.auth.backends.ModelBackend"

FROZEN = gettext_lazy(
    "This account is frozen after too many failed sign-in attempts. To unfreeze it, reset your "
    "password with your security questions, or call Member Support."
)
SIGN_IN_EXPIRED = gettext_lazy("Your sign-in took too long. Please sign in again.")


def _signed_in_with_passkey(request: HttpRequest, device: Any, purpose: str, next_url: str) -> JsonResponse:
    member = device.user
    member.backend = SIGN_IN_BACKEND
    with transaction.atomic():
        passkeys.record_use(request, device, purpose)
        complete_sign_in(request, member, device=device)
    return done(next_url or resolve_url(settings.LOGIN_REDIRECT_URL))


def _frozen(request: HttpRequest, member: Any) -> JsonResponse:
    with transaction.atomic():
        record_event(Kind.SIGN_IN_REFUSED_FROZEN, request=request, member=member, reason="with a passkey")
    response = error(FROZEN, 403)
    reset.offer_username(response, member.get_username())  # the reset tool's form comes filled in
    return response


# Without a password ---------------------------------------------------------------------------


@public_json_step
def sign_in_options(request: HttpRequest) -> JsonResponse:
    found, token = passkeys.sign_in_options(request)
    response = options(found)
    passkeys.set_sign_in_cookie(response, token)
    return response


@public_json_step
def sign_in(request: HttpRequest) -> JsonResponse:
    """ "Sign in with a passkey": whose it is, the browser says; that it is theirs, the signature."""
    try:
        data = read_json(request)
        credential = credential_of(data)
        next_url = safe_next_path(request, text_field(data, "next"))
    except BadRequest:
        return bad_request()
    try:
        device = passkeys.complete_assertion(request, passkeys.SIGN_IN, credential)
    except passkeys.PasskeyRefused as refused:
        return error(refused.message, 403)
    if is_frozen(device.user.get_username()):
        response = _frozen(request, device.user)
    else:
        twofactor.end_pending(request)
        response = _signed_in_with_passkey(request, device, passkeys.SIGN_IN, next_url)
    passkeys.forget_sign_in_cookie(response)
    return response


# After the password ---------------------------------------------------------------------------


def _pending_member(request: HttpRequest) -> tuple[dict[str, Any], Any] | None:
    pending = twofactor.pending_sign_in(request)
    if pending is None:
        return None
    member = get_user_model()._default_manager.filter(pk=pending["member"], is_active=True).first()
    return (pending, member) if member is not None else None


@json_step
@login_not_required
def second_factor_options(request: HttpRequest) -> JsonResponse:
    found = _pending_member(request)
    if found is None:
        return error(SIGN_IN_EXPIRED, 400)
    return options(passkeys.assertion_options(request, passkeys.SECOND_FACTOR, found[1]))


@json_step
@login_not_required
def second_factor(request: HttpRequest) -> JsonResponse:
    found = _pending_member(request)
    if found is None:
        return error(SIGN_IN_EXPIRED, 400)
    pending, member = found
    try:
        credential = credential_of(read_json(request))
    except BadRequest:
        return bad_request()
    try:
        device = passkeys.complete_assertion(request, passkeys.SECOND_FACTOR, credential, member)
    except passkeys.PasskeyRefused as refused:
        return error(refused.message, 403)
    if is_frozen(member.get_username()):  # frozen since the password passed (by another door)
        twofactor.end_pending(request)
        return _frozen(request, member)
    twofactor.end_pending(request)
    return _signed_in_with_passkey(request, device, passkeys.SECOND_FACTOR, safe_next_path(request, pending["next"]))


# The member's passkeys ------------------------------------------------------------------------


def _may_add(request: HttpRequest) -> bool:
    return sessions.recently_authenticated(request) or request.session.get(ADD_UNLOCKED_KEY, 0) >= time.time()


@sensitive_post_parameters()
@csrf_protect
@never_cache
def passkey_list(request: "MemberRequest") -> HttpResponse:
    """The member's passkeys: when each was added and last used; add, rename or remove one."""
    form = PasswordAgainForm(request, request.POST or None)
    if request.method == "POST" and form.is_valid():
        request.session[ADD_UNLOCKED_KEY] = time.time() + ADD_WINDOW_SECONDS
        return redirect("accounts:passkeys")
    member = request.user
    context = {
        "passkeys": list(passkeys.passkeys_of(member)),
        "may_add": _may_add(request),
        "password_form": form,
        "limit": settings.PORTAL_PASSKEYS_PER_MEMBER,
        "required": twofactor.passkey_required(member),
        "passkey_session": passkeys.is_passkey_session(request),
    }
    return render(request, "accounts/passkeys.html", context, status=400 if request.method == "POST" else 200)


@json_step
def add_options(request: "MemberRequest") -> JsonResponse:
    if not _may_add(request):
        return error(_("Enter your password again to add a passkey."), 403)
    return options(passkeys.registration_options(request, request.user))


@json_step
def add(request: "MemberRequest") -> JsonResponse:
    if not _may_add(request):
        return error(_("Enter your password again to add a passkey."), 403)
    try:
        data = read_json(request)
        credential = credential_of(data)
        name = text_field(data, "name")
    except BadRequest:
        return bad_request()
    try:
        device = passkeys.complete_registration(request, request.user, credential, name)
    except passkeys.PasskeyRefused as refused:
        return error(refused.message, 400)
    if twofactor.passkey_required(request.user) and not passkeys.is_passkey_session(request):
        # The passkey just proved itself (with user verification): this session counts as passkey-verified.
        twofactor.mark_verified(request, device)
    messages.success(request, _("Your passkey “%(name)s” is added.") % {"name": device.name})
    return done(reverse("accounts:passkeys"))


def _own_passkey(request: "MemberRequest", passkey_id: int) -> Any:
    device = passkeys.passkeys_of(request.user).filter(pk=passkey_id).first()
    if device is None:
        raise Http404
    return device


@csrf_protect
@never_cache
@require_POST
def rename(request: "MemberRequest", passkey_id: int) -> HttpResponse:
    device = _own_passkey(request, passkey_id)
    form = RenamePasskeyForm(request.POST)
    if not form.is_valid():
        messages.error(
            request, _("Give the passkey a name of up to %(count)s characters.") % {"count": passkeys.NAME_MAX_LENGTH}
        )
        return redirect("accounts:passkeys")
    name = passkeys.rename(member=request.user, device=device, name=form.cleaned_data["name"], request=request)
    messages.success(request, _("The passkey is now called “%(name)s”.") % {"name": name})
    return redirect("accounts:passkeys")


@sensitive_post_parameters()
@csrf_protect
@never_cache
def remove(request: "MemberRequest", passkey_id: int) -> HttpResponse:
    device = _own_passkey(request, passkey_id)
    form = RemovePasskeyForm(request, request.POST or None)
    if request.method == "POST" and form.is_valid():
        name = device.name
        passkeys.remove(member=request.user, device=device, request=request)
        messages.success(request, _("The passkey “%(name)s” is removed.") % {"name": name})
        return redirect("accounts:passkeys")
    return render(request, "accounts/passkey_remove.html", {"form": form, "passkey": device})


# Staff, when the support site takes only passkey-verified sessions -----------------------------


@json_step
def verify_options(request: "MemberRequest") -> JsonResponse:
    return options(passkeys.assertion_options(request, passkeys.STEP_UP, request.user))


@json_step
def verify(request: "MemberRequest") -> JsonResponse:
    """Use a passkey in a session signed in with a code: the session is passkey-verified from now on."""
    try:
        credential = credential_of(read_json(request))
    except BadRequest:
        return bad_request()
    try:
        device = passkeys.complete_assertion(request, passkeys.STEP_UP, credential, request.user)
    except passkeys.PasskeyRefused as refused:
        return error(refused.message, 403)
    with transaction.atomic():
        twofactor.mark_verified(request, device)
        passkeys.record_use(request, device, passkeys.STEP_UP)
    return done(resolve_url("admin:index" if request.user.is_staff else "accounts:passkeys"))
