"""The home page's member area: plan summary, spending bars, latest claims."""

import re
from datetime import date, timedelta

from portal.models import Claim


def test_it_summarizes_the_plan_and_its_copays(client, member, make_enrollment):
    make_enrollment(member, member_number="MP123456789")
    client.force_login(member)
    page = client.get("/").content.decode()
    assert "Welcome, Alice" in page and "Test PPO 1500" in page and "MP123456789" in page
    assert "Riverbend Logistics" in page and "$25" in page and "$300" in page and "20%" in page
    assert 'href="/id-card/"' in page


def test_it_draws_deductible_and_out_of_pocket_progress_as_bars(client, member, make_enrollment, make_claim):
    enrollment = make_enrollment(member)
    make_claim(enrollment, lines=[("900.00", "600.00", "600.00", "0.00", "0.00")])
    make_claim(enrollment, lines=[("900.00", "500.00", "500.00", "0.00", "0.00")], status=Claim.Status.IN_REVIEW)
    client.force_login(member)
    page = client.get("/").content.decode()
    bars = re.findall(r'<progress class="meter-bar[^"]*" max="([\d.]+)"\s+value="([\d.]+)"', page)
    assert bars == [("1500.00", "600.00"), ("6000.00", "600.00")]  # no family bars for a member alone
    assert "$600.00 of $1,500.00" in page and "$900.00 to go" in page and "$5,400.00 to go" in page
    assert 'aria-labelledby="meter-1-name"' in page and 'id="meter-1-name">Your deductible<' in page


def test_it_adds_family_bars_and_says_when_a_limit_is_met(client, member, make_enrollment, make_claim):
    enrollment = make_enrollment(member, dependents=[("Sam", "spouse")])
    make_claim(enrollment, lines=[("2000.00", "1800.00", "1500.00", "0.00", "60.00")])
    client.force_login(member)
    page = client.get("/").content.decode()
    assert "Family deductible" in page and "Family out-of-pocket maximum" in page
    assert "Met for this plan year" in page and "meter-bar meter-met" in page
    assert "$1,500.00 of $3,000.00" in page


def test_it_lists_the_five_latest_claims(client, member, make_enrollment, make_claim):
    enrollment = make_enrollment(member)
    claims = [make_claim(enrollment, service_date=date(2026, 1, 1) + timedelta(days=n)) for n in range(7)]
    client.force_login(member)
    page = client.get("/").content.decode()
    shown = re.findall(r'href="/claims/(\d+)/"', page)
    assert shown == [claim.claim_number for claim in reversed(claims[2:])]
    assert 'href="/claims/"' in page


def test_it_tells_a_member_without_coverage_whom_to_call(client, member):
    client.force_login(member)
    page = client.get("/").content.decode()
    assert "no coverage on file" in page and "1-800-555-0199" in page
    assert "<progress" not in page
