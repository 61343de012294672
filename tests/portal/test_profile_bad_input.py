"""Contact details refuse what the mail and the phone system cannot use, and never echo a flood."""

import re

import pytest

from portal.models import ContactDetails
from security.models import SecurityEvent

URL = "/profile/"
ADDRESS = {
    "phone": "(217) 555-0142",
    "address_line1": "48 Elm Row",
    "address_line2": "Apt 2",
    "city": "Springfield",
    "state": "IL",
    "postal_code": "62704",
}
DIGITS = "Write the numbers with the digits 0 to 9."
HIDDEN = "This contains hidden characters, such as text-direction marks"


def field_error(page, name):
    match = re.search(rf'id="id_{name}_error">([^<]*)<', page)
    return match[1] if match else None


def nothing_saved(member):
    return (
        not ContactDetails.objects.filter(member=member).exists()
        and not SecurityEvent.objects.filter(kind=SecurityEvent.Kind.CONTACT_DETAILS_CHANGED).exists()
    )


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("phone", "٢١٧-٥٥٥-٠١٤٢", "Enter a 10-digit phone number"),  # Arabic-Indic digits
        ("phone", "２１７-５５５-０１４２", "Enter a 10-digit phone number"),  # fullwidth digits
        ("phone", "217\u00a0555\u00a00142", "Enter a 10-digit phone number"),  # no-break spaces
        ("phone", "217-555-0142\n", None),  # stripped: a trailing newline is not part of the number
        ("postal_code", "٦٢٧٠٤", "Enter a 5-digit ZIP code"),
        ("postal_code", "６２７０４", "Enter a 5-digit ZIP code"),
        ("address_line1", "٤٨ Elm Row", DIGITS),
        ("address_line2", "Apt ２", DIGITS),
        ("city", "Springfield ３", DIGITS),
    ],
)
def test_it_takes_only_the_digits_0_to_9(client, member, name, value, message):
    client.force_login(member)
    response = client.post(URL, {**ADDRESS, name: value})
    if message is None:
        assert response.status_code == 302
        return
    assert response.status_code == 200
    assert message in field_error(response.content.decode(), name)
    assert nothing_saved(member)


@pytest.mark.parametrize("name", ["phone", "address_line1", "address_line2", "city", "postal_code"])
@pytest.mark.parametrize(
    "hidden",
    ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069"]
    + ["\u200b", "\u200c", "\u200d", "\u200e", "\u200f", "\ufeff", "\u2028", "\x07", "\ue000"],
    ids=lambda c: f"U+{ord(c):04X}",
)
def test_it_refuses_bidi_and_invisible_characters_in_every_field(client, member, name, hidden):
    value = ADDRESS[name]
    client.force_login(member)
    response = client.post(URL, {**ADDRESS, name: value[:2] + hidden + value[2:]})
    assert response.status_code == 200
    error = field_error(response.content.decode(), name)
    assert error is not None and (HIDDEN in error or "Enter a" in error)
    assert nothing_saved(member)


def test_it_keeps_letters_of_every_language_in_an_address(client, member):
    client.force_login(member)
    response = client.post(URL, {**ADDRESS, "address_line1": "48 Calle Peña", "city": "Zoë's Crossing"})
    assert response.status_code == 302
    assert ContactDetails.objects.get(member=member).address_line1 == "48 Calle Peña"


@pytest.mark.parametrize("name", ["phone", "address_line1", "city", "postal_code", "state"])
def test_it_does_not_echo_a_megabyte_back(client, member, name):
    client.force_login(member)
    response = client.post(URL, {**ADDRESS, name: "9" * 1_000_000})
    assert response.status_code == 200
    assert len(response.content) < 30_000
    assert field_error(response.content.decode(), name)
    assert nothing_saved(member)


def test_it_still_shows_what_the_member_typed_when_it_fits(client, member):
    client.force_login(member)
    page = client.post(URL, {**ADDRESS, "phone": "12345"}).content.decode()
    assert 'value="12345"' in page and 'value="48 Elm Row"' in page
