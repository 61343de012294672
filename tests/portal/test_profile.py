"""The profile page: contact details the member can change, each change written to the audit log."""

import pytest

from portal import services
from portal.forms import ContactDetailsForm
from portal.models import ContactDetails
from security.models import SecurityEvent
from tests.helpers import event_kinds

URL = "/profile/"
ADDRESS = {
    "phone": "(217) 555-0142",
    "address_line1": "48 Elm Row",
    "address_line2": "",
    "city": "Springfield",
    "state": "IL",
    "postal_code": "62704",
}


def test_it_shows_who_the_member_is(client, member, make_enrollment):
    make_enrollment(member, member_number="MP123456789")
    client.force_login(member)
    page = client.get(URL).content.decode()
    assert "Alice" in page and "MP123456789" in page and "alice@example.com" in page
    assert 'href="/profile/email/"' in page
    assert 'autocomplete="tel"' in page and 'autocomplete="postal-code"' in page


def test_it_saves_contact_details_and_audits_what_changed_without_the_values(client, member):
    client.force_login(member)
    response = client.post(URL, ADDRESS)
    assert response["Location"] == URL
    details = ContactDetails.objects.get(member=member)
    assert (details.phone, details.city, details.postal_code) == ("(217) 555-0142", "Springfield", "62704")
    event = SecurityEvent.objects.get(member=member, kind=SecurityEvent.Kind.CONTACT_DETAILS_CHANGED)
    assert event.reason == "mailing address, phone number"
    assert "Elm Row" not in event.reason and "555" not in event.reason
    assert "Your mailing address and phone number are saved." in client.get(URL).content.decode()

    client.post(URL, {**ADDRESS, "phone": "608-555-0199"})
    assert ContactDetails.objects.get(member=member).phone == "608-555-0199"
    assert SecurityEvent.objects.filter(kind=SecurityEvent.Kind.CONTACT_DETAILS_CHANGED).order_by(
        "id"
    ).last().reason == ("phone number")


def test_two_first_saves_from_pages_opened_together_both_land(member):
    # Both tabs showed the empty form before either saved: the second save finds the first's record.
    first = ContactDetailsForm(ADDRESS, instance=services.contact_details_of(member))
    second = ContactDetailsForm({**ADDRESS, "phone": "608-555-0199"}, instance=services.contact_details_of(member))
    assert first.is_valid() and second.is_valid()
    assert services.update_contact_details(member=member, form=first, request=None) == [
        "mailing address",
        "phone number",
    ]
    assert services.update_contact_details(member=member, form=second, request=None)
    assert ContactDetails.objects.get(member=member).phone == "608-555-0199"
    assert event_kinds(member=member) == [SecurityEvent.Kind.CONTACT_DETAILS_CHANGED] * 2


def test_it_writes_nothing_when_nothing_changed(client, member):
    client.force_login(member)
    client.post(URL, ADDRESS)
    client.post(URL, ADDRESS)
    assert event_kinds(member=member) == [SecurityEvent.Kind.CONTACT_DETAILS_CHANGED]
    assert "Nothing was changed." in client.get(URL).content.decode()


@pytest.mark.parametrize(
    "change, field, message",
    [
        ({"phone": "12345"}, "phone", "Enter a 10-digit phone number"),
        ({"postal_code": "6270"}, "postal_code", "Enter a 5-digit ZIP code"),
        ({"state": "ZZ"}, "state", "Select a valid choice"),
        ({"city": ""}, "city", "Fill this in to complete your mailing address."),
    ],
)
def test_it_explains_what_to_fix_and_saves_nothing(client, member, change, field, message):
    client.force_login(member)
    response = client.post(URL, {**ADDRESS, **change})
    page = response.content.decode()
    assert response.status_code == 200 and message in page
    assert f'aria-describedby="id_{field}_error"' in page and f'id="id_{field}_error"' in page
    assert not ContactDetails.objects.filter(member=member).exists()
    assert event_kinds(member=member) == []


def test_it_keeps_no_change_whose_audit_event_failed(client, member, monkeypatch):
    from portal import services

    def broken(*args, **kwargs):
        raise RuntimeError("the audit log is unavailable")

    monkeypatch.setattr(services, "record_event", broken)
    client.force_login(member)
    client.raise_request_exception = False
    assert client.post(URL, ADDRESS).status_code == 500
    assert not ContactDetails.objects.filter(member=member).exists()
