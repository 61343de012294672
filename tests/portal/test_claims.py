"""The claims list: the member's family's claims only, filtered by date, status and provider, in pages."""

import re
from datetime import date, timedelta

import pytest

from portal.models import Claim

URL = "/claims/"


def claim_numbers(response):
    return re.findall(r'href="/claims/(\d+)/"', response.content.decode())


@pytest.fixture
def enrollment(member, make_enrollment):
    return make_enrollment(member, dependents=[("Sam", "spouse")])


def test_it_lists_the_familys_claims_newest_first_with_their_totals(client, member, enrollment, make_claim):
    older = make_claim(enrollment, service_date=date(2026, 2, 1))
    newer = make_claim(
        enrollment,
        service_date=date(2026, 5, 9),
        dependent=enrollment.dependents.get(),
        lines=[("1200.50", "800.00", "500.00", "0.00", "60.00"), ("99.50", "40.00", "0.00", "0.00", "8.00")],
    )
    client.force_login(member)
    response = client.get(URL)
    page = response.content.decode()
    assert claim_numbers(response) == [newer.claim_number, older.claim_number]
    assert "2 claims" in page and "Sam" in page
    assert "$1,300.00" in page  # billed, summed over the lines
    assert "$272.00" in page  # plan paid: 240.00 + 32.00
    assert "$568.00" in page  # the member owes 500.00 + 60.00 + 8.00


def test_it_never_lists_another_members_claims(client, member, make_member, enrollment, make_enrollment, make_claim):
    mine = make_claim(enrollment)
    theirs = make_claim(make_enrollment(make_member("bob")))
    client.force_login(member)
    numbers = claim_numbers(client.get(URL))
    assert numbers == [mine.claim_number] and theirs.claim_number not in numbers


def test_it_filters_by_date_range_status_and_provider(client, member, enrollment, make_claim, make_provider):
    lab = make_provider("Precision Diagnostics Laboratory")
    march = make_claim(enrollment, service_date=date(2026, 3, 10), provider=lab)
    april = make_claim(enrollment, service_date=date(2026, 4, 10), status=Claim.Status.DENIED)
    may = make_claim(enrollment, service_date=date(2026, 5, 10), provider=lab, status=Claim.Status.IN_REVIEW)
    client.force_login(member)

    assert claim_numbers(client.get(URL, {"date_from": "2026-04-01"})) == [may.claim_number, april.claim_number]
    assert claim_numbers(client.get(URL, {"date_to": "2026-04-10"})) == [april.claim_number, march.claim_number]
    assert claim_numbers(client.get(URL, {"status": "denied"})) == [april.claim_number]
    assert claim_numbers(client.get(URL, {"provider": lab.pk})) == [may.claim_number, march.claim_number]
    both = client.get(URL, {"provider": lab.pk, "status": "processed", "date_from": "2026-03-01"})
    assert claim_numbers(both) == [march.claim_number]
    assert "1 claim matches your filters" in both.content.decode()


def test_it_offers_only_the_familys_providers(client, member, make_member, enrollment, make_enrollment, make_claim,
                                             make_provider):  # fmt: skip
    mine = make_claim(enrollment, provider=make_provider("Maple Grove Family Medicine"))
    secret = make_provider("Dr. Someone Else's Psychiatrist")
    make_claim(make_enrollment(make_member("bob")), provider=secret)
    client.force_login(member)
    page = client.get(URL).content.decode()
    assert "Maple Grove Family Medicine" in page and "Someone Else" not in page

    # Another member's provider in the address filters nothing and reveals nothing.
    response = client.get(URL, {"provider": secret.pk})
    assert claim_numbers(response) == [mine.claim_number]
    assert "Select a valid choice" in response.content.decode() and "Someone Else" not in response.content.decode()


def test_it_explains_a_date_range_that_ends_before_it_starts(client, member, enrollment, make_claim):
    make_claim(enrollment)
    client.force_login(member)
    response = client.get(URL, {"date_from": "2026-06-01", "date_to": "2026-01-01"})
    page = response.content.decode()
    assert "Choose a date on or after the “From” date." in page
    assert 'aria-describedby="id_date_to_error"' in page and 'aria-invalid="true"' in page
    assert len(claim_numbers(response)) == 1  # the list is not filtered while the filters are wrong


def test_it_pages_twenty_claims_at_a_time_keeping_the_filters(client, member, enrollment, make_claim):
    start = date(2026, 1, 1)
    for day in range(45):
        make_claim(enrollment, service_date=start + timedelta(days=day))
    client.force_login(member)

    first = client.get(URL, {"status": "processed"})
    assert len(claim_numbers(first)) == 20 and "Page 1 of 3" in first.content.decode()
    assert 'href="?status=processed&amp;page=2"' in first.content.decode()
    third = client.get(URL, {"status": "processed", "page": "3"})
    assert len(claim_numbers(third)) == 5 and "Page 3 of 3" in third.content.decode()
    assert 'href="?status=processed&amp;page=2" rel="prev"' in third.content.decode()
    # A page number out of range or not a number shows a real page, never an error.
    assert "Page 3 of 3" in client.get(URL, {"page": "99"}).content.decode()
    assert "Page 1 of 3" in client.get(URL, {"page": "x"}).content.decode()


def test_it_says_what_is_not_known_yet_for_a_claim_in_review(client, member, enrollment, make_claim):
    make_claim(enrollment, status=Claim.Status.IN_REVIEW)
    client.force_login(member)
    page = client.get(URL).content.decode()
    assert "In review" in page and "Not yet known" in page


def test_it_says_so_when_there_are_no_claims(client, member, enrollment):
    client.force_login(member)
    assert "No claims yet" in client.get(URL).content.decode()
    assert "No claims match these filters" in client.get(URL, {"status": "denied"}).content.decode()
