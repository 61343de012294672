"""Claims pages with hostile addresses and filters: a 400 or a 404 or the normal page, never a 500."""

import pytest
from django.http import Http404

from portal.claims import claim_of


@pytest.fixture
def claim(member, make_enrollment, make_claim):
    return make_claim(make_enrollment(member))


@pytest.fixture
def strict_client(client, member):
    client.raise_request_exception = False
    client.force_login(member)
    return client


@pytest.mark.parametrize("suffix", ["%00", "%00%00", "x%00y"])
def test_it_refuses_a_nul_in_a_claim_number(strict_client, claim, suffix):
    response = strict_client.get(f"/claims/{claim.claim_number}{suffix}/")
    assert response.status_code == 400
    assert "We could not read that request" in response.content.decode()


@pytest.mark.parametrize(
    "number",
    ["abc%FF", "%ED%A0%80", "２６０００００１", "٢٦٠٠٠٠٠١", "26%E2%80%AE01", "9" * 21, "a" * 5000, "1;DROP", "%20"],
)
def test_it_finds_no_claim_for_a_number_that_cannot_be_one(strict_client, claim, number):
    response = strict_client.get(f"/claims/{number}/")
    assert response.status_code == 404


def test_it_looks_up_no_claim_number_that_cannot_be_one(member, claim, django_assert_num_queries):
    """PostgreSQL cannot even compare a string holding NUL: such a number never reaches it."""
    with django_assert_num_queries(0), pytest.raises(Http404):
        claim_of(member, claim.claim_number + "\x00")


def test_it_still_shows_a_real_claim(strict_client, claim):
    assert strict_client.get(f"/claims/{claim.claim_number}/").status_code == 200


@pytest.mark.parametrize(
    "query",
    [
        {"page": "-1"},
        {"page": "99999999999999999999"},
        {"page": "abc"},
        {"status": "x" * 5000},
        {"provider": "9" * 40},
        {"date_from": "2026-02-30", "date_to": "０２０２６-01-01"},
        {"date_from": "9999-99-99"},
        {"status": ["processed", "denied"], "page": ["1", "2"]},
    ],
)
def test_it_lists_claims_for_any_filter_it_cannot_use(strict_client, claim, query):
    response = strict_client.get("/claims/", query)
    assert response.status_code == 200
    assert len(response.content) < 60_000
