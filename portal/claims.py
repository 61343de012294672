"""Reading the signed-in member's claims. Every query here starts from the member."""

import re
from decimal import Decimal

from django.db.models import Sum
from django.http import Http404
from django.shortcuts import get_object_or_404

from .models import Claim, Provider

# What a claim number can be; anything else (a NUL byte, which PostgreSQL cannot even compare) is
# not looked up.
CLAIM_NUMBER = re.compile(r"[A-Za-z0-9-]{1,20}", re.ASCII)


def claims_of(member):
    """The member's claims, newest first, each with its totals summed from its lines."""
    return (
        Claim.objects.filter(enrollment__member=member)
        .select_related("provider", "dependent")
        .annotate(
            total_billed=Sum("lines__billed"),
            total_plan_paid=Sum("lines__plan_paid"),
            total_member_owes=Sum("lines__member_owes"),
        )
        .order_by("-service_date", "-id")
    )


def filter_claims(claims, *, date_from=None, date_to=None, status="", provider_id=None):
    if date_from:
        claims = claims.filter(service_date__gte=date_from)
    if date_to:
        claims = claims.filter(service_date__lte=date_to)
    if status:
        claims = claims.filter(status=status)
    if provider_id:
        claims = claims.filter(provider_id=provider_id)
    return claims


def providers_of(member):
    """(id, name) of every provider that sent a claim for the member's family, for the filter."""
    return list(
        Provider.objects.filter(claims__enrollment__member=member)
        .distinct()
        .order_by("name", "id")
        .values_list("id", "name")
    )


def claim_of(member, claim_number):
    """One of the member's claims with its lines; 404 for anyone else's, so none is revealed."""
    if not CLAIM_NUMBER.fullmatch(claim_number):
        raise Http404("No such claim.")
    claim = get_object_or_404(
        Claim.objects.select_related("provider", "dependent", "enrollment__plan"),
        claim_number=claim_number,
        enrollment__member=member,
    )
    lines = list(claim.lines.all())
    return claim, lines


MONEY_COLUMNS = ("billed", "allowed", "plan_paid", "deductible", "copay", "coinsurance", "member_owes")


def claim_totals(claim, lines):
    """Each money column of the explanation of benefits, summed over the claim's lines."""
    totals = {name: sum((getattr(line, name) for line in lines), Decimal("0.00")) for name in MONEY_COLUMNS}
    # Only a processed claim was priced at the network rate; a denied one saved nothing.
    processed = claim.status == Claim.Status.PROCESSED
    totals["network_savings"] = totals["billed"] - totals["allowed"] if processed else Decimal("0.00")
    return totals
