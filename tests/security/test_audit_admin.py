import csv
import io

from security.audit import Kind, record_event
from security.models import SecurityEvent
from security.usernames import pseudonym
from tests.helpers import sign_in

LIST = "/admin/security/securityevent/"
EXPORT = LIST + "export/"


def exported_rows(response):
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_it_filters_by_kind_member_address_and_date(role_client, member):
    record_event(Kind.SIGN_IN_FAILED, username="Alice", member=member)
    record_event(Kind.ACCOUNT_FROZEN, username="alice", member=member, reason="five failures")
    record_event(Kind.SIGN_IN_FAILED, username="mallory")
    client = role_client("Support")
    by_kind = client.get(LIST, {"kind__exact": "account_frozen"}).content.decode()
    assert by_kind.count('class="field-kind"') == 1
    by_member = client.get(LIST, {"member__id__exact": member.pk}).content.decode()
    assert by_member.count('class="field-kind"') == 2
    by_name = client.get(LIST, {"q": "mallory"}).content.decode()
    assert by_name.count('class="field-kind"') == 1
    by_address = client.get(LIST, {"q": "127.0.0.1"}).content.decode()
    assert by_address.count('class="field-kind"') >= 1  # the support agent's own sign-in
    this_week = client.get(LIST).content.decode()
    assert "Past 7 days" in this_week


def test_support_cannot_export_but_security_can(role_client, member):
    record_event(Kind.SIGN_IN_FAILED, member=member, reason='=HYPERLINK("http://evil")')
    support = role_client("Support")
    assert EXPORT not in support.get(LIST).content.decode()
    assert support.post(EXPORT).status_code == 403
    security = role_client("Security")
    response = security.post(EXPORT)
    assert response["Content-Type"] == "text/csv"
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:3] == ["sequence", "created_at_utc", "kind"]
    reason = rows[0].index("reason")
    assert [row[reason] for row in rows[1:] if "HYPERLINK" in row[reason]] == ['\'=HYPERLINK("http://evil")']
    assert SecurityEvent.objects.filter(kind=Kind.AUDIT_EXPORTED, actor="security-agent").exists()


def test_the_list_costs_a_fixed_number_of_queries(staff_client, member, django_assert_max_num_queries):
    for n in range(40):
        record_event(Kind.SIGN_IN_FAILED, username=f"guess{n}", member=member)
    with django_assert_max_num_queries(10):
        assert staff_client.get(LIST).status_code == 200
    with django_assert_max_num_queries(10):
        assert staff_client.get(LIST, {"kind__exact": "sign_in_failed", "q": "guess7"}).status_code == 200


def test_the_security_overview_shows_the_week(role_client, client, member):
    for _ in range(5):
        sign_in(client, "alice", "wrong")
    sign_in(client, "ghost", "wrong")
    page = role_client("Support").get("/admin/security-overview/").content.decode()
    assert "<svg" in page and 'role="img"' in page and page.count('<rect class="bar"') == 7 * 24
    assert "Frozen accounts (1)" in page and "alice" in page
    assert page.count("<h1") == 1 and page.count("Security overview</h1>") == 1
    # The axes' words are HTML around the SVG (no <text> whose contrast axe cannot decide).
    assert "<text" not in page and '<p class="chart-y-title" id="chart-y-title">Failed sign-ins per hour</p>' in page
    assert "Hours of each day (UTC)" in page
    # A name that is no account's is shown as the stand-in it is logged under (it may have been a password).
    assert ">alice</a></td><td>5</td>" in page and f">{pseudonym('ghost')}</a></td><td>1</td>" in page
    assert "ghost" not in page
    assert ">127.0.0.1</a></td><td>6</td>" in page


def test_the_overview_needs_the_audit_permission(client, make_member, enroll_totp):
    from tests.conftest import MEMBER_PASSWORD, totp_code

    staff = make_member("plain-staff", is_staff=True)
    device = enroll_totp(staff)
    client.post("/accounts/login/", {"username": "plain-staff", "password": MEMBER_PASSWORD})
    client.post("/accounts/login/code/", {"code": totp_code(device)})
    assert client.get("/admin/security-overview/").status_code == 403


def test_searching_a_name_that_is_no_member_finds_only_that_name(role_client):
    record_event(Kind.SIGN_IN_FAILED, username="nobody-such")
    record_event(Kind.SIGNED_OUT, username="")
    page = role_client("Support").get(LIST, {"q": "nobody-such"}).content.decode()
    assert page.count('class="field-kind"') == 1


def test_the_export_streams_every_matching_event_not_the_page(role_client, member):
    for n in range(60):
        record_event(Kind.SIGN_IN_FAILED, member=member, reason=f"guess {n}")
    record_event(Kind.ACCOUNT_FROZEN, member=member, reason="five failures")
    security = role_client("Security")
    page = security.get(LIST, {"kind__exact": "sign_in_failed"}).content.decode()
    assert page.count('class="field-kind"') == 50 and f'action="{EXPORT}?kind__exact=sign_in_failed"' in page
    response = security.post(EXPORT + "?kind__exact=sign_in_failed")
    assert response.streaming and response["Content-Disposition"] == 'attachment; filename="audit-log.csv"'
    rows = exported_rows(response)
    assert rows[0][2:4] == ["kind", "kind_name"]
    assert len(rows) == 61 and {tuple(row[2:4]) for row in rows[1:]} == {("sign_in_failed", "Sign-in failed")}
    assert [row[-1] for row in rows[1:]] == [f"guess {n}" for n in range(60)]  # oldest first
    event = SecurityEvent.objects.get(kind=Kind.AUDIT_EXPORTED)
    assert event.actor == "security-agent" and event.reason == "60 events; filters: kind__exact=sign_in_failed"


def test_the_export_follows_the_search_and_leaves_the_page_number_out(role_client, member):
    record_event(Kind.SIGN_IN_FAILED, username="mallory")
    record_event(Kind.SIGN_IN_FAILED, member=member)
    security = role_client("Security")
    page = security.get(LIST, {"q": "mallory", "p": "1"}).content.decode()
    assert f'action="{EXPORT}?q=mallory"' in page
    rows = exported_rows(security.post(EXPORT + "?q=mallory"))
    assert len(rows) == 2 and rows[1][4] == pseudonym("mallory")


def test_bad_filters_are_refused_and_nothing_is_exported(role_client):
    security = role_client("Security")
    for query in ("?q=%00", "?q=" + "x" * 100_000, "?created_at__gte=not-a-date", "?member__id__exact=abc", "?nope=1"):
        response = security.post(EXPORT + query)
        assert response.status_code == 400, query
    assert security.get(EXPORT).status_code == 400
    assert not SecurityEvent.objects.filter(kind=Kind.AUDIT_EXPORTED).exists()
