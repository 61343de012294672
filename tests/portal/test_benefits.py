"""Cost sharing: copays, deductible, coinsurance and the out-of-pocket maximum, in Decimal cents."""

from decimal import Decimal

import pytest

from portal.benefits import Benefit, Spent, plan_year_progress, share_cost
from portal.models import Claim


def D(value):
    return Decimal(value)


def share(plan, benefit, allowed, person=None, family=None):
    return share_cost(
        plan=plan, benefit=benefit, allowed=D(allowed), person=person or Spent(), family=family or Spent()
    )


def test_it_covers_preventive_care_in_full(plan):
    result = share(plan, Benefit.PREVENTIVE, "180.00")
    assert result.member_owes == 0 and result.plan_paid == D("180.00")


def test_it_charges_the_visit_copay_and_no_deductible(plan):
    result = share(plan, Benefit.SPECIALIST, "210.40")
    assert (result.copay, result.deductible, result.coinsurance) == (D("50.00"), 0, 0)
    assert result.plan_paid == D("160.40")


def test_it_never_charges_a_copay_above_the_allowed_amount(plan):
    assert share(plan, Benefit.PRIMARY_CARE, "19.99").member_owes == D("19.99")


def test_it_applies_the_deductible_then_coinsurance_rounded_to_the_cent(plan):
    result = share(plan, Benefit.OTHER, "1600.03", person=Spent(deductible=D("1400.00")))
    assert result.deductible == D("100.00")
    assert result.coinsurance == D("300.01")  # 20% of 1,500.03 is 300.006
    assert result.plan_paid + result.member_owes == D("1600.03")
    assert all(isinstance(amount, Decimal) for amount in (result.deductible, result.coinsurance, result.plan_paid))


def test_it_stops_the_deductible_when_the_family_has_met_theirs(plan):
    result = share(plan, Benefit.OTHER, "500.00", person=Spent(), family=Spent(deductible=D("3000.00")))
    assert result.deductible == 0 and result.coinsurance == D("100.00")


def test_it_pays_everything_past_the_out_of_pocket_maximum(plan):
    nearly = Spent(deductible=D("1500.00"), out_of_pocket=D("5990.00"))
    result = share(plan, Benefit.OTHER, "1000.00", person=nearly)
    assert result.member_owes == D("10.00") and result.plan_paid == D("990.00")
    assert share(plan, Benefit.EMERGENCY, "900.00", person=Spent(out_of_pocket=D("6000.00"))).member_owes == 0


def test_progress_counts_processed_claims_of_this_plan_year_only(member, make_enrollment, make_claim):
    enrollment = make_enrollment(member, dependents=[("Sam", "spouse")])
    spouse = enrollment.dependents.get()
    make_claim(enrollment, lines=[("900.00", "600.00", "600.00", "0.00", "0.00")])
    make_claim(enrollment, lines=[("300.00", "200.00", "100.00", "0.00", "20.00")], dependent=spouse)
    make_claim(enrollment, lines=[("900.00", "800.00", "800.00", "0.00", "0.00")], status=Claim.Status.IN_REVIEW)
    last_year = make_claim(enrollment, lines=[("900.00", "700.00", "700.00", "0.00", "0.00")])
    last_year.lines.update(service_date="2025-12-31")

    bars = {bar.name: bar for bar in plan_year_progress(enrollment, has_dependents=True)}

    assert bars["Your deductible"].spent == D("600.00") and bars["Your deductible"].remaining == D("900.00")
    assert bars["Your out-of-pocket maximum"].spent == D("600.00")
    assert bars["Family deductible"].spent == D("700.00")
    assert bars["Family out-of-pocket maximum"].spent == D("720.00")


@pytest.mark.parametrize("has_dependents, bars", [(False, 2), (True, 4)])
def test_progress_shows_family_bars_only_for_a_family(member, make_enrollment, has_dependents, bars):
    assert len(plan_year_progress(make_enrollment(member), has_dependents=has_dependents)) == bars
