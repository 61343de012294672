"""Factories for the member area: a plan, an enrollment with dependents, claims with service lines."""

from datetime import date
from decimal import Decimal

import pytest

from portal.models import Claim, Dependent, Enrollment, Plan, Provider, ServiceLine


@pytest.fixture
def plan(db):
    return Plan.objects.create(
        code="TEST-PPO",
        name="Test PPO 1500",
        network=Plan.Network.PPO,
        deductible_individual=Decimal("1500.00"),
        deductible_family=Decimal("3000.00"),
        out_of_pocket_max_individual=Decimal("6000.00"),
        out_of_pocket_max_family=Decimal("12000.00"),
        coinsurance_percent=20,
        copay_primary_care=Decimal("25.00"),
        copay_specialist=Decimal("50.00"),
        copay_urgent_care=Decimal("75.00"),
        copay_emergency=Decimal("300.00"),
        rx_bin="610014",
        rx_pcn="MPRX",
        rx_group="MPTEST",
    )


@pytest.fixture
def make_provider(db):
    def make(name="Maple Grove Family Medicine", npi=None, specialty="Family Medicine"):
        npi = npi or f"{1_000_000_000 + Provider.objects.count():010d}"
        return Provider.objects.create(name=name, specialty=specialty, npi=npi, city="Springfield", state="IL")

    return make


@pytest.fixture
def make_enrollment(plan):
    def make(member, member_number=None, dependents=()):
        enrollment = Enrollment.objects.create(
            member=member,
            plan=plan,
            member_number=member_number or f"MP{member.pk:09d}",
            group_number="0041720",
            group_name="Riverbend Logistics",
            coverage_start=date(2025, 1, 1),
            plan_year_start=date(2026, 1, 1),
        )
        for suffix, (first_name, relationship) in enumerate(dependents, start=1):
            Dependent.objects.create(
                enrollment=enrollment,
                suffix=suffix,
                first_name=first_name,
                last_name=member.last_name or "Member",
                relationship=relationship,
                date_of_birth=date(2015, 5, 1),
            )
        return enrollment

    return make


def money(value):
    return Decimal(value)


@pytest.fixture
def make_claim(make_provider):
    """A claim with lines given as (billed, allowed, deductible, copay, coinsurance) strings."""
    counter = {"n": 0}

    def make(
        enrollment,
        *,
        lines=(("200.00", "120.00", "0.00", "25.00", "0.00"),),
        status=Claim.Status.PROCESSED,
        service_date=date(2026, 3, 14),
        provider=None,
        dependent=None,
        status_note="",
    ):
        counter["n"] += 1
        claim = Claim.objects.create(
            enrollment=enrollment,
            dependent=dependent,
            provider=provider or make_provider(),
            claim_number=f"26{enrollment.pk:06d}{counter['n']:05d}",
            service_date=service_date,
            received_on=service_date,
            processed_on=None if status == Claim.Status.IN_REVIEW else service_date,
            status=status,
            status_note=status_note,
        )
        for number, (billed, allowed, deductible, copay, coinsurance) in enumerate(lines, start=1):
            owes = money(deductible) + money(copay) + money(coinsurance)
            ServiceLine.objects.create(
                claim=claim,
                line_number=number,
                service_date=service_date,
                procedure_code="99213",
                description=f"Office visit, line {number}",
                billed=money(billed),
                allowed=money(allowed),
                plan_paid=money(allowed) - owes,
                deductible=money(deductible),
                copay=money(copay),
                coinsurance=money(coinsurance),
                member_owes=owes,
            )
        return claim

    return make
