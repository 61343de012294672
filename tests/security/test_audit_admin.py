import csv
import io

from security.audit import Kind, record_event
from security.models import SecurityEvent
from security.usernames import pseudonym
from tests.helpers import sign_in

LIST = "/admin/security/securityevent/"


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
    assert 'value="export_csv"' not in support.get(LIST).content.decode()
    security = role_client("Security")
    ids = list(SecurityEvent.objects.values_list("pk", flat=True))
    response = security.post(LIST, {"action": "export_csv", "_selected_action": ids})
    assert response["Content-Type"] == "text/csv"
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:3] == ["sequence", "created_at", "kind"]
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
    assert "<svg" in page and 'role="img"' in page and page.count('<rect class="bar"') == 168
    assert "Frozen accounts (1)" in page and "alice" in page
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
