"""What every member page shares: sign-in required, a few SQL queries whatever the data, CSP-clean HTML."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from portal.models import ServiceLine

# The page, and the most SQL queries it may issue (session and member included).
PAGES = [
    ("/", 8),
    ("/id-card/", 6),
    ("/id-card/{card}-01/", 6),
    ("/id-card/{card}-00/pdf/", 6),
    ("/claims/", 7),
    ("/claims/?status=processed&date_from=2026-01-01&page=2", 7),
    ("/claims/{claim}/", 6),
    ("/profile/", 6),
    ("/profile/email/", 4),
]
THREE_LINES = [("200.00", "120.00", "0.00", "25.00", "0.00"), ("80.00", "40.00", "40.00", "0.00", "0.00")] * 2


@pytest.fixture
def family(member, make_enrollment, make_claim):
    enrollment = make_enrollment(member, dependents=[("Sam", "spouse"), ("Riley", "child")])
    claim = make_claim(enrollment)
    return enrollment, claim


def url_of(page, family):
    enrollment, claim = family
    return page.format(card=enrollment.member_number, claim=claim.claim_number)


def count_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries)


@pytest.mark.parametrize("page", [page for page, _ in PAGES])
def test_it_requires_sign_in(client, family, page):
    url = url_of(page, family)
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/?next=")


@pytest.mark.parametrize("page, budget", PAGES)
def test_it_reads_a_page_in_a_few_queries_however_much_data_there_is(
    client, member, family, make_claim, page, budget, django_assert_max_num_queries
):
    enrollment, claim = family
    url = url_of(page, family)
    client.force_login(member)
    client.get("/")  # the session policy stamps a new session on its first request
    with django_assert_max_num_queries(budget):
        client.get(url)
    with_little_data = count_queries(client, url)

    dependents = list(enrollment.dependents.all())
    for n in range(45):
        make_claim(enrollment, lines=THREE_LINES, dependent=dependents[n % 2] if n % 3 else None)
    ServiceLine.objects.bulk_create(
        ServiceLine(
            claim=claim,
            line_number=n,
            service_date=claim.service_date,
            procedure_code="80053",
            description="Comprehensive metabolic panel",
            billed="96.00",
            allowed="50.00",
            plan_paid="40.00",
            deductible="0.00",
            copay="0.00",
            coinsurance="10.00",
            member_owes="10.00",
        )
        for n in range(2, 30)
    )
    assert count_queries(client, url) == with_little_data


@pytest.mark.parametrize("page", [page for page, _ in PAGES if "pdf" not in page])
def test_it_writes_no_inline_style_or_script_the_content_security_policy_would_block(client, member, family, page):
    client.force_login(member)
    html = client.get(url_of(page, family)).content.decode()
    assert not re.search(r"\sstyle=", html)
    assert not re.search(r"<script(?![^>]*\ssrc=)[^>]*>", html)
    assert not re.search(r"\son[a-z]+=", html)  # no inline event handlers either


@pytest.mark.parametrize("page", [page for page, _ in PAGES])
def test_it_tells_the_browser_not_to_keep_the_page(client, member, family, page):
    client.force_login(member)
    assert "no-store" in client.get(url_of(page, family))["Cache-Control"]
