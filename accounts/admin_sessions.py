"""Ending a member's sessions from their page in the support site: one or all, always with a reason."""

from typing import TYPE_CHECKING

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from security import sessions
from security.models import MemberSession

from .models import User

if TYPE_CHECKING:
    from .admin import MemberAdmin

ALL_SESSIONS = "all"


class EndSessionsForm(forms.Form):
    # A listed session's id, or "all".
    session = forms.CharField(max_length=20)
    reason = forms.CharField(max_length=2000, strip=True)

    def clean_session(self) -> str:
        value: str = self.cleaned_data["session"]
        if value != ALL_SESSIONS and not value.isdigit():
            raise forms.ValidationError(_("Choose a session, or all of them."))
        return value


def end_member_sessions(modeladmin: "MemberAdmin", request: HttpRequest, object_id: str) -> HttpResponse:
    """The form beside the member's sessions posts here; the service audits it with actor and reason."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if not object_id.isdigit():
        return refused(modeladmin, request, None, _("That is not a member."))
    member = get_object_or_404(User, pk=int(object_id))
    if not modeladmin.has_end_sessions_permission(request) or not may_end_sessions_of(request, member):
        raise PermissionDenied
    form = EndSessionsForm(request.POST)
    if not form.is_valid():
        return refused(modeladmin, request, member, _("Give a reason: it is written to the audit log."))
    actor, reason = request.user.get_username(), form.cleaned_data["reason"]
    if form.cleaned_data["session"] == ALL_SESSIONS:
        ended = sessions.end_all_sessions(member=member, request=request, actor=actor, reason=reason)
    else:
        chosen = MemberSession.objects.filter(pk=int(form.cleaned_data["session"]))
        ended = sessions.end_sessions(member=member, sessions=chosen, request=request, actor=actor, reason=reason)
    if ended:
        messages.success(request, ngettext("Ended %(n)d session.", "Ended %(n)d sessions.", ended) % {"n": ended})
    else:
        messages.warning(request, _("No session was ended: it had ended already."))
    return HttpResponseRedirect(reverse("admin:accounts_user_change", args=[member.pk]))


def may_end_sessions_of(request: HttpRequest, member: User) -> bool:
    # Staff accounts are the Security role's alone, as for the list's actions.
    return not member.is_staff or request.user.has_perm("accounts.manage_staff_accounts")


def refused(modeladmin: "MemberAdmin", request: HttpRequest, member: User | None, problem: str) -> TemplateResponse:
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": _("Sessions not ended"),
        "problem": problem,
        "member": member,
        "opts": modeladmin.model._meta,
    }
    return TemplateResponse(request, "admin/accounts/user/sessions_refused.html", context, status=400)
