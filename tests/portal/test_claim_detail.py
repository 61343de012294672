"""A claim's explanation of benefits: each service line, how its cost was shared, and the totals."""

import re

import pytest

from portal.models import Claim


@pytest.fixture
def enrollment(member, make_enrollment):
    return make_enrollment(member)


def cells(page):
    """The footer row's amounts, in column order."""
    footer = re.search(r"<tfoot>(.*?)</tfoot>", page, re.S).group(1)
    return re.findall(r"\$[\d,]+\.\d\d", footer)


def test_it_explains_each_service_and_adds_up_the_totals(client, member, enrollment, make_claim):
    claim = make_claim(
        enrollment,
        lines=[
            ("2150.00", "1085.54", "1085.54", "0.00", "0.00"),
            ("245.00", "130.10", "0.00", "0.00", "26.02"),
            ("185.00", "110.00", "0.00", "25.00", "0.00"),
        ],
    )
    client.force_login(member)
    page = client.get(f"/claims/{claim.claim_number}/").content.decode()

    assert "Explanation of benefits" in page and claim.claim_number in page and "This is not a bill" in page
    assert page.count("Office visit, line") == 3
    # Billed, allowed, plan paid, deductible, copay, coinsurance, you owe.
    assert cells(page) == ["$2,580.00", "$1,325.64", "$189.08", "$1,085.54", "$25.00", "$26.02", "$1,136.56"]
    assert "Network savings" in page and "$1,254.36" in page


def test_it_finds_no_other_members_claim_when_the_address_is_changed(client, member, make_member, enrollment,
                                                                    make_enrollment, make_claim):  # fmt: skip
    theirs = make_claim(make_enrollment(make_member("bob")))
    client.force_login(member)
    assert client.get(f"/claims/{theirs.claim_number}/").status_code == 404
    assert client.get("/claims/0000000000000/").status_code == 404


def test_it_shows_a_claim_in_review_without_amounts_it_does_not_know(client, member, enrollment, make_claim):
    claim = make_claim(enrollment, status=Claim.Status.IN_REVIEW, lines=[("310.00", "0.00", "0.00", "0.00", "0.00")])
    client.force_login(member)
    page = client.get(f"/claims/{claim.claim_number}/").content.decode()
    assert "We are still reviewing this claim" in page and "Not yet known" in page
    assert "$310.00" in page and 'class="summary"' not in page


def test_it_gives_the_reason_for_a_denied_claim_and_claims_no_savings(client, member, enrollment, make_claim):
    claim = make_claim(
        enrollment,
        status=Claim.Status.DENIED,
        status_note="We denied this claim because it repeats one we already processed.",
        lines=[("418.70", "0.00", "0.00", "0.00", "0.00")],
    )
    client.force_login(member)
    page = client.get(f"/claims/{claim.claim_number}/").content.decode()
    assert "Denied" in page and "repeats one we already processed" in page
    assert re.search(r"Network savings</dt><dd>\$0\.00</dd>", page)
