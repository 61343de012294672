"""Changes the member makes in the member area. Each writes its audit event in the same transaction."""

from datetime import timedelta

from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from accounts.timezones import is_time_zone
from security import notices
from security.audit import Kind, record_event

from .models import ContactDetails

CONTACT_FIELDS = {
    "phone": "phone number",
    "address_line1": "mailing address",
    "address_line2": "mailing address",
    "city": "mailing address",
    "state": "mailing address",
    "postal_code": "mailing address",
}


@transaction.atomic
def update_contact_details(*, member, form, request):
    """Save the contact details form; returns what changed, in words ("phone number"), or []."""
    changed = sorted({CONTACT_FIELDS[name] for name in form.changed_data if name in CONTACT_FIELDS})
    if not changed:
        return []
    # Two first saves at once (two tabs opened before either saved) would both create the record:
    # update_or_create locks it, and the later save updates what the earlier one created.
    values = {name: form.cleaned_data[name] for name in form._meta.fields}
    form.instance, _ = ContactDetails.objects.update_or_create(member=member, defaults=values)
    # The audit log names what changed, never the new values (they are personal details).
    record_event(Kind.CONTACT_DETAILS_CHANGED, request=request, member=member, reason=", ".join(changed))
    return changed


def contact_details_of(member):
    """The member's contact details, or an unsaved empty record for a member who has none yet."""
    return ContactDetails.objects.filter(member=member).first() or ContactDetails(member=member)


def set_time_zone(*, member, time_zone):
    """The member's choice on the profile page. Not audited: a display preference, not a security fact."""
    member.time_zone = time_zone
    member.save(update_fields=["time_zone"])


def default_time_zone(*, member, time_zone):
    """The browser's zone, kept only while the member has none: True if it was stored."""
    if not is_time_zone(time_zone):
        raise ValueError("not a time zone")
    # One UPDATE guarded by the blank value: a choice made meanwhile (another tab) is never overwritten.
    stored = User.objects.filter(pk=member.pk, time_zone="").update(time_zone=time_zone) == 1
    if stored:
        member.time_zone = time_zone
    return stored


EMAIL_LINK_HOURS = 24
EMAIL_LINK_SALT = "portal.confirm-new-email"


class EmailLinkError(Exception):
    """A confirmation link that is tampered with, expired, used, replaced or for another account."""


def _email_link_token(member):
    # Bound to the pending address, when it was sent and the current address: a resend, a cancel,
    # a use or any other change of address makes every earlier link stop working.
    payload = {
        "member": member.pk,
        "pending": member.pending_email,
        "sent": member.pending_email_sent_at.isoformat(),
        "current": member.email,
    }
    return signing.TimestampSigner(salt=EMAIL_LINK_SALT).sign_object(payload)


@transaction.atomic
def request_email_change(*, member, email, request):
    """Keep the new address pending and send it a link; a second request replaces the first."""
    member.pending_email = email
    member.pending_email_sent_at = timezone.now()
    member.save(update_fields=["pending_email", "pending_email_sent_at"])
    record_event(Kind.EMAIL_CHANGE_REQUESTED, request=request, member=member)
    url = request.build_absolute_uri(reverse("member:confirm_email", args=[_email_link_token(member)]))
    notices.confirm_new_email(member, email, url, EMAIL_LINK_HOURS, request=request)


def resend_email_link(*, member, request):
    if member.pending_email:
        request_email_change(member=member, email=member.pending_email, request=request)


@transaction.atomic
def cancel_email_change(*, member, request):
    if not member.pending_email:
        return
    member.pending_email = ""
    member.pending_email_sent_at = None
    member.save(update_fields=["pending_email", "pending_email_sent_at"])
    record_event(Kind.EMAIL_CHANGE_CANCELLED, request=request, member=member)


def pending_email_for_link(*, member, token):
    """The address the link confirms, if it is this member's live link; EmailLinkError otherwise."""
    try:
        payload = signing.TimestampSigner(salt=EMAIL_LINK_SALT).unsign_object(
            token, max_age=timedelta(hours=EMAIL_LINK_HOURS)
        )
    except signing.SignatureExpired as error:
        raise EmailLinkError("expired") from error
    except (signing.BadSignature, ValueError, TypeError) as error:
        raise EmailLinkError("tampered") from error
    live = (
        isinstance(payload, dict)
        and member.pending_email
        and member.pending_email_sent_at is not None
        and payload
        == {
            "member": member.pk,
            "pending": member.pending_email,
            "sent": member.pending_email_sent_at.isoformat(),
            "current": member.email,
        }
    )
    if not live:
        raise EmailLinkError("used or replaced")
    return member.pending_email


@transaction.atomic
def confirm_email_change(*, member, token, request):
    """Make the pending address the member's; the old address is told, in case it was not the member."""
    # Locked, so two tabs opening the same link change the address (and write the event) once.
    locked = User.objects.select_for_update().get(pk=member.pk)
    new_email = pending_email_for_link(member=locked, token=token)
    old_email = locked.email
    User.objects.filter(pk=locked.pk).update(email=new_email, pending_email="", pending_email_sent_at=None)
    member.email, member.pending_email, member.pending_email_sent_at = new_email, "", None
    record_event(Kind.EMAIL_CHANGED, request=request, member=member)
    notices.email_changed(member, previous_email=old_email, request=request)
    return new_email
