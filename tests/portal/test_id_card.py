"""The digital ID card page and its PDF: the member's own and their family's, nobody else's."""

import io

import pytest
from pypdf import PdfReader

from portal.pdf import pdf_text


@pytest.fixture
def enrollment(member, make_enrollment):
    member.last_name = "Nguyễn"
    member.save()
    return make_enrollment(member, member_number="MP123456789", dependents=[("Sam", "spouse"), ("Riley", "child")])


def pdf_of(response):
    assert response["Content-Type"] == "application/pdf"
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)


def test_it_shows_the_members_card_laid_out_like_the_plastic_one(client, member, enrollment):
    client.force_login(member)
    page = client.get("/id-card/").content.decode()
    assert "Your ID card" in page and "Alice Nguyễn" in page
    assert "MP123456789-00" in page and "0041720" in page and "Test PPO 1500" in page
    assert "$25" in page and "$300" in page and "Rx BIN 610014" in page
    assert 'class="id-card-sheet"' in page and "portal/print.js" in page
    assert 'href="/id-card/MP123456789-00/pdf/"' in page


def test_it_shows_each_family_members_card(client, member, enrollment):
    client.force_login(member)
    page = client.get("/id-card/MP123456789-02/").content.decode()
    assert "ID card for Riley Nguyễn" in page and "MP123456789-02" in page
    assert 'href="/id-card/MP123456789-01/"' in page and 'href="/id-card/MP123456789-00/"' in page


def test_it_downloads_a_pdf_of_the_card_made_on_the_server(client, member, enrollment):
    client.force_login(member)
    response = client.get("/id-card/MP123456789-01/pdf/")
    assert response["Content-Disposition"] == 'attachment; filename="id-card-MP123456789-01.pdf"'
    assert response.content.startswith(b"%PDF-")
    text = pdf_of(response)
    assert "MP123456789-01" in text and "Sam Nguyen" in text and "0041720" in text and "1-800-555-0199" in text


@pytest.mark.parametrize("suffix", ["00", "01"])
def test_it_finds_no_other_members_card_when_the_address_is_changed(client, member, make_member, make_enrollment,
                                                                    enrollment, suffix):  # fmt: skip
    make_enrollment(make_member("bob"), member_number="MP987654321", dependents=[("Kim", "spouse")])
    client.force_login(member)
    assert client.get(f"/id-card/MP987654321-{suffix}/").status_code == 404
    assert client.get(f"/id-card/MP987654321-{suffix}/pdf/").status_code == 404


@pytest.mark.parametrize("card_id", ["MP123456789-03", "MP123456789", "mp123456789-00", "MP123456789-1", "../etc"])
def test_it_finds_no_card_that_is_not_in_the_family(client, member, enrollment, card_id):
    client.force_login(member)
    assert client.get(f"/id-card/{card_id}/").status_code == 404
    assert client.get(f"/id-card/{card_id}/pdf/").status_code == 404


def test_it_explains_when_there_is_no_coverage_on_file(client, member, db):
    client.force_login(member)
    response = client.get("/id-card/")
    assert response.status_code == 200 and "no coverage on file" in response.content.decode()
    assert client.get("/id-card/MP000000001-00/").status_code == 404
    assert client.get("/id-card/MP000000001-00/pdf/").status_code == 404


def test_it_prints_names_the_pdf_fonts_cannot_show_without_their_accents():
    assert pdf_text("Zoë García") == "Zoë García"  # Latin-1 prints as it is
    assert pdf_text("Nguyễn Łukasz Œ") == "Nguyen Lukasz OE"
    assert pdf_text("王 Müller") == "? Müller"  # no Latin form at all: marked, never dropped silently
