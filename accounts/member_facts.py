"""What a support agent needs on a call about a member, at the top of the member's page."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Max, Sum
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from security import passkeys, sessions, twofactor
from security.clients import describe_browser
from security.models import MemberSession, SecurityEvent
from security.usernames import account_key

from .models import User

RECENT_EVENTS = 10


@dataclass(frozen=True)
class FactSection:
    """A titled list of (label, value) facts another app adds to the page (the portal: plan and coverage)."""

    title: str
    rows: list[tuple[str, str]]


FactSource = Callable[[User], FactSection | None]


@dataclass(frozen=True)
class SessionFact:
    pk: int
    browser: str
    ip_address: str | None
    signed_in_at: datetime
    last_active_at: datetime


@dataclass(frozen=True)
class PasskeyFact:
    name: str
    added_at: datetime
    last_used_at: datetime | None


@dataclass
class MemberFacts:
    frozen: bool
    failures: int
    last_failure: datetime | None
    two_factor: bool
    backup_codes_left: int
    authenticator_app: bool
    passkeys: list[PasskeyFact]
    questions: str
    sessions: list[SessionFact]
    events: list[SecurityEvent]
    events_url: str
    sections: list[FactSection] = field(default_factory=list)


def failures_of(member: User) -> tuple[int, datetime | None]:
    """axes' count of failed sign-ins for the account, and when the last one was recorded."""
    found = AccessAttempt.objects.filter(username=account_key(member.get_username())).aggregate(
        total=Sum("failures_since_start"), last=Max("attempt_time")
    )
    return found["total"] or 0, found["last"]


def questions_state(member: User) -> str:
    if member.is_staff:
        return _("Not used for staff accounts")
    if member.security_questions_set_at is None:
        return _("Not set")
    return _("Set")


def session_fact(session: MemberSession) -> SessionFact:
    return SessionFact(
        pk=session.pk,
        browser=describe_browser(session.user_agent),
        ip_address=session.ip_address,
        signed_in_at=session.created_at,
        last_active_at=session.last_activity_at,
    )


def member_facts(member: User, sources: Iterable[FactSource] = ()) -> MemberFacts:
    failures, last_failure = failures_of(member)
    events_url = reverse("admin:security_securityevent_changelist") + "?" + urlencode({"member__id__exact": member.pk})
    return MemberFacts(
        frozen=failures >= settings.PORTAL_FREEZE_AFTER_FAILURES,
        failures=failures,
        last_failure=last_failure,
        two_factor=twofactor.has_two_factor(member),
        backup_codes_left=twofactor.backup_codes_left(member),
        authenticator_app=twofactor.has_app(member),
        passkeys=[
            PasskeyFact(name=device.name, added_at=device.created_at, last_used_at=device.last_used_at)
            for device in passkeys.passkeys_of(member)
        ],
        questions=questions_state(member),
        sessions=[session_fact(row) for row in sessions.active_sessions(member).order_by("-last_activity_at")],
        events=list(SecurityEvent.objects.filter(member=member).order_by("-id")[:RECENT_EVENTS]),
        events_url=events_url,
        sections=[section for source in sources if (section := source(member)) is not None],
    )
