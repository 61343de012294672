"""The member area: ID cards, claims and explanations of benefits, and the profile.

Every lookup starts from request.user, so changing an ID in the address finds nothing (404).
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_safe

from . import claims as member_claims
from . import services
from .coverage import card_for, enrollment_of, family_cards
from .forms import ChangeEmailForm, ClaimFilterForm, ContactDetailsForm
from .pdf import id_card_pdf

CLAIMS_PER_PAGE = 20


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
            messages.success(request, f"Your {' and '.join(changed)} {'is' if len(changed) == 1 else 'are'} saved.")
        else:
            messages.info(request, "Nothing was changed.")
        return redirect("member:profile")
    context = {"form": form, "enrollment": enrollment_of(request.user)}
    return render(request, "portal/profile.html", context)


@sensitive_post_parameters("current_password")
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def change_email(request):
    form = ChangeEmailForm(request, request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.change_email(member=request.user, email=form.cleaned_data["email"], request=request)
        messages.success(request, "Your email address is changed. We told your previous address too.")
        return redirect("member:profile")
    return render(request, "portal/change_email.html", {"form": form})
