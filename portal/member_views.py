"""The member area: ID cards, claims and explanations of benefits, and the profile.

Every lookup starts from request.user, so changing an ID in the address finds nothing (404).
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render, resolve_url
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_safe

from security.middleware import background_request

from . import claims as member_claims
from . import services
from .coverage import card_for, enrollment_of, family_cards
from .forms import ChangeEmailForm, ClaimFilterForm, ContactDetailsForm, TimeZoneForm
from .pdf import id_card_pdf

CLAIMS_PER_PAGE = 20
# What the member is told for each set of changes services.update_contact_details reports.
CONTACT_SAVED = {
    ("phone number",): _("Your phone number is saved."),
    ("mailing address",): _("Your mailing address is saved."),
    ("mailing address", "phone number"): _("Your mailing address and phone number are saved."),
}


@require_safe
def id_card(request, card_id=None):
    """The member's card, or a family member's, laid out like the plastic card and printable alone."""
    enrollment = enrollment_of(request.user)
    if card_id is not None:
        card, cards = card_for(request.user, enrollment, card_id)
    elif enrollment is None:
        return render(request, "portal/id_card.html", {"card": None})
    else:
        cards = family_cards(request.user, enrollment)
        card = cards[0]
    return render(request, "portal/id_card.html", {"card": card, "cards": cards})


@require_safe
def id_card_download(request, card_id):
    card, _ = card_for(request.user, enrollment_of(request.user), card_id)
    response = HttpResponse(id_card_pdf(card), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="id-card-{card.card_id}.pdf"'
    return response


@require_safe
def claims(request):
    providers = member_claims.providers_of(request.user)
    form = ClaimFilterForm(request.GET or None, providers=providers)
    filters = form.filters() if request.GET else {}
    found = member_claims.filter_claims(member_claims.claims_of(request.user), **filters)
    page = Paginator(found, CLAIMS_PER_PAGE).get_page(request.GET.get("page"))
    context = {"form": form, "page": page, "filtered": any(filters.values()), "has_providers": bool(providers)}
    return render(request, "portal/claims.html", context)


@require_safe
def claim_detail(request, claim_number):
    """The explanation of benefits: each service line, how its cost was shared, and the totals."""
    claim, lines = member_claims.claim_of(request.user, claim_number)
    context = {"claim": claim, "lines": lines, "totals": member_claims.claim_totals(claim, lines)}
    return render(request, "portal/claim_detail.html", context)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def profile(request):
    """Name and member ID to read; phone and mailing address to change."""
    details = services.contact_details_of(request.user)
    form = ContactDetailsForm(request.POST or None, instance=details)
    if request.method == "POST" and form.is_valid():
        changed = services.update_contact_details(member=request.user, form=form, request=request)
        if changed:
            messages.success(request, CONTACT_SAVED[tuple(changed)])
        else:
            messages.info(request, gettext("Nothing was changed."))
        return redirect("member:profile")
    context = {"form": form, "enrollment": enrollment_of(request.user)}
    return render(request, "portal/profile.html", context)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def time_zone(request):
    """The time zone the member's times are shown in: a page of its own, as the list is long."""
    # Staff reach it from the support site's header, and go back there.
    done = "admin:index" if request.user.is_staff else "member:profile"
    form = TimeZoneForm(request.POST or None, initial={"time_zone": request.user.time_zone})
    context = {"form": form, "back_url": resolve_url(done)}
    if request.method == "POST":
        if form.is_valid():
            services.set_time_zone(member=request.user, time_zone=form.cleaned_data["time_zone"])
            messages.success(request, gettext("Your time zone is saved."))
            return redirect(done)
        return render(request, "portal/time_zone.html", context, status=400)
    return render(request, "portal/time_zone.html", context)


@background_request
@require_http_methods(["POST"])
def default_time_zone(request):
    """The browser's own zone, sent once after sign-in; kept only while the member has chosen none.

    Sent by the page's script, not by the member: it does not extend the session.
    """
    try:
        services.default_time_zone(member=request.user, time_zone=request.POST.get("time_zone", ""))
    except ValueError:
        return HttpResponseBadRequest(gettext("Not a time zone."), content_type="text/plain")
    return HttpResponse(status=204)


@sensitive_post_parameters("current_password")
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def change_email(request):
    form = ChangeEmailForm(request, request.POST or None)
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"]
        services.request_email_change(member=request.user, email=email, request=request)
        sent = gettext("We sent a link to %(email)s. Open it to finish changing your email address.")
        messages.success(request, sent % {"email": email})
        return redirect("member:profile")
    return render(request, "portal/change_email.html", {"form": form})


@require_http_methods(["POST"])
def pending_email(request):
    """Send the confirmation link again, or cancel the change."""
    pending = request.user.pending_email
    if not pending:
        messages.info(request, gettext("No email change is waiting for confirmation."))
    elif request.POST.get("action") == "resend":
        services.resend_email_link(member=request.user, request=request)
        messages.success(request, gettext("We sent the link again to %(email)s.") % {"email": pending})
    elif request.POST.get("action") == "cancel":
        services.cancel_email_change(member=request.user, request=request)
        messages.success(request, gettext("The email change is cancelled. Your email address is unchanged."))
    else:
        return HttpResponseBadRequest(gettext("Choose resend or cancel."), content_type="text/plain")
    return redirect("member:profile")


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def confirm_email(request, token):
    """The link sent to the new address: it confirms the change for the member signed in, and nothing else."""
    try:
        new_email = services.pending_email_for_link(member=request.user, token=token)
        if request.method == "POST":
            services.confirm_email_change(member=request.user, token=token, request=request)
    except services.EmailLinkError:
        return render(request, "portal/confirm_email.html", {"invalid": True}, status=400)
    if request.method == "POST":
        done = gettext("Your email address is now %(email)s. We told your previous address too.")
        messages.success(request, done % {"email": new_email})
        return redirect("member:profile")
    return render(request, "portal/confirm_email.html", {"new_email": new_email, "token": token})
