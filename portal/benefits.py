"""How a plan shares the cost of care, and how far the member is into this plan year's limits.

Order of cost sharing for one service: a copay for visits that have one, otherwise the deductible
and then coinsurance; the out-of-pocket maximum caps what the member pays in a plan year. Each
limit is checked for the person and for the whole family, whichever is reached first.
"""

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Q, Sum
from django.utils.translation import gettext

from .models import Claim, ServiceLine

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


class Benefit:
    """What kind of service a line is, which decides how its cost is shared."""

    PREVENTIVE = "preventive"  # covered in full
    PRIMARY_CARE = "primary_care"
    SPECIALIST = "specialist"
    URGENT_CARE = "urgent_care"
    EMERGENCY = "emergency"
    OTHER = "other"  # labs, imaging, procedures: deductible, then coinsurance


def cents(amount):
    return Decimal(amount).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class CostShare:
    allowed: Decimal
    deductible: Decimal = ZERO
    copay: Decimal = ZERO
    coinsurance: Decimal = ZERO

    @property
    def member_owes(self):
        return self.deductible + self.copay + self.coinsurance

    @property
    def plan_paid(self):
        return self.allowed - self.member_owes


@dataclass
class Spent:
    """Running plan-year totals for one person or one family."""

    deductible: Decimal = ZERO
    out_of_pocket: Decimal = ZERO

    def add(self, share):
        self.deductible += share.deductible
        self.out_of_pocket += share.member_owes


def share_cost(*, plan, benefit, allowed, person, family):
    """The member's and the plan's parts of `allowed`, given what `person` and `family` spent so far."""
    allowed = cents(allowed)
    if benefit == Benefit.PREVENTIVE:
        return CostShare(allowed)
    copays = {
        Benefit.PRIMARY_CARE: plan.copay_primary_care,
        Benefit.SPECIALIST: plan.copay_specialist,
        Benefit.URGENT_CARE: plan.copay_urgent_care,
        Benefit.EMERGENCY: plan.copay_emergency,
    }
    copay = deductible = coinsurance = ZERO
    if benefit in copays:
        copay = min(copays[benefit], allowed)
    else:
        deductible_left = min(
            plan.deductible_individual - person.deductible, plan.deductible_family - family.deductible
        )
        deductible = min(allowed, max(ZERO, deductible_left))
        coinsurance = cents((allowed - deductible) * plan.coinsurance_percent / 100)
    # Past the out-of-pocket maximum the plan pays everything.
    room = max(
        ZERO,
        min(
            plan.out_of_pocket_max_individual - person.out_of_pocket,
            plan.out_of_pocket_max_family - family.out_of_pocket,
        ),
    )
    copay = min(copay, room)
    deductible = min(deductible, room - copay)
    coinsurance = min(coinsurance, room - copay - deductible)
    return CostShare(allowed, deductible=deductible, copay=copay, coinsurance=coinsurance)


def plan_year_end(start):
    """The day after the plan year that begins on `start` ends."""
    try:
        return start.replace(year=start.year + 1)
    except ValueError:  # 29 February
        return date(start.year + 1, 3, 1)


@dataclass(frozen=True)
class Progress:
    """How much of one limit has been met, for a bar on the home page."""

    name: str
    spent: Decimal
    limit: Decimal

    @property
    def met(self):
        return min(self.spent, self.limit)

    @property
    def remaining(self):
        return self.limit - self.met

    @property
    def is_met(self):
        return self.limit > 0 and self.met >= self.limit


def plan_year_progress(enrollment, *, has_dependents):
    """Deductible and out-of-pocket progress this plan year, for the member and (if any) the family.

    One query: the processed claims' lines in the plan year, summed for the member and for everyone.
    """
    plan = enrollment.plan
    start = enrollment.plan_year_start
    own = Q(claim__dependent__isnull=True)
    totals = ServiceLine.objects.filter(
        claim__enrollment=enrollment,
        claim__status=Claim.Status.PROCESSED,
        service_date__gte=start,
        service_date__lt=plan_year_end(start),
    ).aggregate(
        own_deductible=Sum("deductible", filter=own),
        own_out_of_pocket=Sum("member_owes", filter=own),
        family_deductible=Sum("deductible"),
        family_out_of_pocket=Sum("member_owes"),
    )
    total = {key: cents(value or ZERO) for key, value in totals.items()}
    bars = [
        Progress(gettext("Your deductible"), total["own_deductible"], plan.deductible_individual),
        Progress(gettext("Your out-of-pocket maximum"), total["own_out_of_pocket"], plan.out_of_pocket_max_individual),
    ]
    if has_dependents:
        bars += [
            Progress(gettext("Family deductible"), total["family_deductible"], plan.deductible_family),
            Progress(
                gettext("Family out-of-pocket maximum"), total["family_out_of_pocket"], plan.out_of_pocket_max_family
            ),
        ]
    return bars
