"""Reading the signed-in member's coverage: their enrollment and the family's ID cards."""

import re
from dataclasses import dataclass

from django.db.models import Count
from django.http import Http404
from django.utils.translation import pgettext

from .models import Enrollment

CARD_ID = re.compile(r"^(?P<member_number>[A-Z0-9]{1,20})-(?P<suffix>\d{2})$")


def enrollment_of(member, *, count_dependents=False):
    """The member's enrollment with its plan, or None for someone with no coverage on file."""
    enrollments = Enrollment.objects.select_related("plan").filter(member=member)
    if count_dependents:
        enrollments = enrollments.annotate(dependent_count=Count("dependents"))
    return enrollments.first()


@dataclass(frozen=True)
class IdCard:
    """One person's card: the member's own (suffix 00) or a dependent's."""

    enrollment: Enrollment
    name: str
    suffix: int
    relationship: str

    @property
    def card_id(self):
        return f"{self.enrollment.member_number}-{self.suffix:02d}"

    @property
    def plan(self):
        return self.enrollment.plan


def family_cards(member, enrollment):
    """The member's card first, then each dependent's, in suffix order."""
    own = IdCard(enrollment, member.get_full_name() or member.get_username(), 0, pgettext("whose ID card", "Member"))
    return [own] + [
        IdCard(enrollment, dependent.full_name, dependent.suffix, dependent.get_relationship_display())
        for dependent in enrollment.dependents.all()
    ]


def card_for(member, enrollment, card_id):
    """The card `card_id` if it belongs to the member's family; 404 for anyone else's, or nonsense."""
    match = CARD_ID.match(card_id or "")
    if enrollment is None or match is None or match["member_number"] != enrollment.member_number:
        raise Http404("No such ID card.")
    cards = family_cards(member, enrollment)
    for card in cards:
        if card.suffix == int(match["suffix"]):
            return card, cards
    raise Http404("No such ID card.")
