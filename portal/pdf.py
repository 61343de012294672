"""The ID card as a PDF: front and back at the real card size (85.6 x 54 mm) on a Letter page."""

import unicodedata

from django.conf import settings
from django.utils import formats, timezone, translation
from django.utils.translation import gettext, pgettext
from fpdf import FPDF

from .money import usd

CARD_WIDTH = 85.6
CARD_HEIGHT = 53.98
BRAND = (11, 79, 138)
INK = (27, 31, 36)
MUTED = (74, 85, 99)
WHITE = (255, 255, 255)
# Letters that Unicode does not decompose into a base letter and an accent.
UNDECOMPOSED = str.maketrans(
    {"Ł": "L", "ł": "l", "Đ": "D", "đ": "d", "Ħ": "H", "ħ": "h", "ı": "i", "Œ": "OE", "œ": "oe"}
)


def pdf_text(text):
    """Text the PDF's built-in fonts can print (Latin-1): other letters lose their accents, as on a plastic card."""
    return "".join(_latin1(character) for character in str(text))


def _latin1(character):
    if ord(character) < 256:
        return character
    decomposed = unicodedata.normalize("NFKD", character.translate(UNDECOMPOSED))
    base = "".join(part for part in decomposed if not unicodedata.combining(part))
    return base.encode("latin-1", "replace").decode("latin-1") or "?"


def id_card_pdf(card):
    """The PDF document (bytes) for one ID card, in the language active for the request (the member's)."""
    pdf = FPDF(orientation="portrait", unit="mm", format="letter")
    pdf.set_title(pdf_text(gettext("Member ID card: %(name)s") % {"name": card.name}))
    pdf.set_author(pdf_text(gettext("Member Portal")))
    pdf.set_creator(pdf_text(gettext("Member Portal")))
    language = translation.get_language() or "en"
    pdf.set_lang("en-US" if language.startswith("en") else f"{language.split('-')[0]}-US")
    printed_at = timezone.now()
    pdf.set_creation_date(printed_at)
    pdf.set_auto_page_break(False)
    pdf.c_margin = 0
    pdf.add_page()

    pdf.set_text_color(*INK)
    pdf.set_font("Helvetica", "B", 16)
    pdf.set_xy(20, 20)
    pdf.cell(0, 8, pdf_text(gettext("Member ID card for %(name)s") % {"name": card.name}))
    pdf.set_font("Helvetica", "", 10)
    pdf.set_text_color(*MUTED)
    pdf.set_xy(20, 29)
    pdf.multi_cell(
        175,
        5,
        pdf_text(
            gettext(
                "Print at actual size (100%), cut out both sides along the outlines, and keep them together. "
                "Show this card whenever you receive care."
            )
        ),
        align="L",
    )
    # In the member's own time zone (active for the request), so "printed on" reads as their clock did.
    printed = formats.date_format(timezone.localtime(printed_at), "DATETIME_FORMAT")
    pdf.text(20, 44, pdf_text(gettext("Printed %(when)s") % {"when": printed}))

    left = 20
    top = 48
    _front(pdf, card, left, top)
    _back(pdf, left + CARD_WIDTH + 6, top)
    pdf.set_font("Helvetica", "", 8)
    pdf.set_text_color(*MUTED)
    pdf.text(left, top + CARD_HEIGHT + 5, pdf_text(pgettext("side of the ID card", "Front")))
    pdf.text(left + CARD_WIDTH + 6, top + CARD_HEIGHT + 5, pdf_text(pgettext("side of the ID card", "Back")))
    return bytes(pdf.output())


def _outline(pdf, x, y):
    pdf.set_draw_color(*MUTED)
    pdf.set_line_width(0.2)
    pdf.set_fill_color(*WHITE)
    pdf.rect(x, y, CARD_WIDTH, CARD_HEIGHT, style="DF", round_corners=True, corner_radius=3)


def _fitted_text(pdf, x, y, text, *, width, size):
    """Text in Helvetica at `size`, or smaller where a longer translation would run past `width`."""
    pdf.set_font("Helvetica", "", size)
    while size > 4 and pdf.get_string_width(text) > width:
        size -= 0.25
        pdf.set_font("Helvetica", "", size)
    pdf.text(x, y, text)


def _label_value(pdf, x, y, label, value, *, size=9):
    pdf.set_font("Helvetica", "", 5.5)
    pdf.set_text_color(*MUTED)
    pdf.text(x, y, pdf_text(label.upper()))
    pdf.set_font("Helvetica", "B", size)
    pdf.set_text_color(*INK)
    pdf.text(x, y + 1 + size * 0.36, pdf_text(value))


def _front(pdf, card, x, y):
    plan = card.plan
    enrollment = card.enrollment
    _outline(pdf, x, y)
    pdf.set_fill_color(*BRAND)
    pdf.rect(x, y, CARD_WIDTH, 10, style="F", round_corners=("TOP_LEFT", "TOP_RIGHT"), corner_radius=3)
    pdf.set_text_color(*WHITE)
    pdf.set_font("Helvetica", "B", 10)
    pdf.text(x + 4, y + 6.5, pdf_text(gettext("Member Portal")))
    pdf.set_font("Helvetica", "", 8)
    pdf.set_xy(x + 40, y + 2.5)
    pdf.cell(CARD_WIDTH - 44, 5, pdf_text(f"{plan.name}"), align="R")

    _label_value(pdf, x + 4, y + 15, pgettext("whose ID card", "Member"), card.name, size=10)
    _label_value(pdf, x + 4, y + 23, gettext("Member ID"), card.card_id, size=10)
    _label_value(pdf, x + 47, y + 23, gettext("Group"), enrollment.group_number, size=10)
    _label_value(pdf, x + 4, y + 31, gettext("Coverage since"), formats.date_format(enrollment.coverage_start), size=8)
    _label_value(pdf, x + 47, y + 31, gettext("Network"), plan.get_network_display(), size=8)

    copays = [
        (gettext("Primary care"), plan.copay_primary_care),
        (gettext("Specialist"), plan.copay_specialist),
        (gettext("Urgent care"), plan.copay_urgent_care),
        (gettext("Emergency room"), plan.copay_emergency),
    ]
    pdf.set_draw_color(213, 219, 227)
    pdf.line(x + 4, y + 37.5, x + CARD_WIDTH - 4, y + 37.5)
    pdf.set_font("Helvetica", "", 5.5)
    pdf.set_text_color(*MUTED)
    pdf.text(x + 4, y + 40.5, pdf_text(gettext("Copays").upper()))
    column = (CARD_WIDTH - 8) / len(copays)
    for n, (name, amount) in enumerate(copays):
        pdf.set_text_color(*MUTED)
        _fitted_text(pdf, x + 4 + n * column, y + 44, pdf_text(name), width=column - 1, size=6)
        pdf.set_font("Helvetica", "B", 8)
        pdf.set_text_color(*INK)
        pdf.text(x + 4 + n * column, y + 47.5, usd(amount, cents=False))
    pdf.set_font("Helvetica", "", 5.5)
    pdf.set_text_color(*MUTED)
    pdf.text(x + 4, y + 51.5, pdf_text(f"Rx BIN {plan.rx_bin}   PCN {plan.rx_pcn}   GRP {plan.rx_group}"))


def _back(pdf, x, y):
    _outline(pdf, x, y)
    pdf.set_text_color(*INK)
    pdf.set_font("Helvetica", "B", 9)
    pdf.text(x + 4, y + 8, pdf_text(gettext("Member Support")))
    pdf.set_font("Helvetica", "B", 12)
    pdf.text(x + 4, y + 14, pdf_text(settings.PORTAL_SUPPORT_PHONE))
    pdf.set_font("Helvetica", "", 7)
    pdf.set_xy(x + 4, y + 18)
    pdf.multi_cell(
        CARD_WIDTH - 8,
        3.4,
        pdf_text(
            "\n".join(
                [
                    gettext("In an emergency, call 911 or go to the nearest emergency room."),
                    gettext("Show this card whenever you receive care. It does not guarantee coverage or payment."),
                    gettext(
                        "Providers: check eligibility and benefits before the visit, and send claims with the "
                        "member ID and group number shown on the front."
                    ),
                ]
            )
        ),
        align="L",
    )
