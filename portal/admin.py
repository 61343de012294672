"""The support site: Django's admin, open only to staff whose session passed a second factor."""

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_otp.admin import OTPAdminSite

from accounts.member_facts import FactSection
from accounts.models import User
from security import passkeys, twofactor

from .models import Enrollment


def coverage_facts(member: User) -> FactSection:
    """The member's plan and coverage, for the facts at the top of their page in the support site."""
    enrollment = Enrollment.objects.select_related("plan").filter(member=member).first()
    if enrollment is None:
        return FactSection(_("Coverage"), [(_("Plan"), _("No coverage on file"))])
    today = timezone.localdate()
    ended = enrollment.coverage_end is not None and enrollment.coverage_end < today
    # Calendar dates in the portal's one date style: a plan day is the same day in every zone.
    until = date_format(enrollment.coverage_end, "DATE_FORMAT") if enrollment.coverage_end else _("no end date")
    status = _("Ended") if ended else _("Active") if enrollment.coverage_start <= today else _("Not started yet")
    plan = enrollment.plan
    return FactSection(
        _("Coverage"),
        [
            (_("Plan"), f"{plan.name} ({plan.code}, {plan.network})"),
            (
                _("Coverage"),
                _("%(status)s: %(start)s – %(end)s")
                % {"status": status, "start": date_format(enrollment.coverage_start, "DATE_FORMAT"), "end": until},
            ),
            (_("Member ID"), enrollment.member_number),
            (_("Group"), f"{enrollment.group_name} ({enrollment.group_number})"),
        ],
    )


class SupportSite(OTPAdminSite):
    site_header = gettext_lazy("Member Portal support")
    site_title = gettext_lazy("Member Portal support")
    # Facts the portal adds to a member's page (accounts.member_facts): accounts cannot import the portal.
    member_fact_sources = (coverage_facts,)

    def __init__(self, name="admin"):
        # The admin's own name, so its URLs stay admin:... (django-otp's default is "otpadmin").
        super().__init__(name)

    def has_permission(self, request):
        # Two-factor (OTPAdminSite), and a passkey when the Security role requires one of staff.
        if not super().has_permission(request):
            return False
        return not twofactor.passkey_required(request.user) or passkeys.is_passkey_session(request)
