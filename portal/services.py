"""Changes the member makes in the member area. Each writes its audit event in the same transaction."""

from django.db import transaction

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


@transaction.atomic
def change_email(*, member, email, request):
    """Set a new email address; the old address is told, in case it was not the member."""
    old_email = member.email
    member.email = email
    member.save(update_fields=["email"])
    record_event(Kind.EMAIL_CHANGED, request=request, member=member)
    notices.email_changed(member, previous_email=old_email)
