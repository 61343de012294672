"""The audit log in the support site: read-only for everyone, fast at tens of millions of rows."""

import ipaddress
from functools import partial
from typing import TYPE_CHECKING, Any

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.views.main import PAGE_VAR
from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_otp_webauthn.models import WebAuthnAttestation, WebAuthnCredential, WebAuthnUserHandle
from django_tasks_db.models import DBTaskResult

from . import tasks
from .audit import Kind, record_event
from .audit_export import export_view
from .models import SecurityEvent, SecurityNotice, StaffSignInPolicy
from .pagination import EstimatedCountPaginator
from .usernames import normalize_username, pseudonym

# Generic only in django-stubs: Django's own ModelAdmin takes no type argument at run time.
if TYPE_CHECKING:
    _ModelAdmin = admin.ModelAdmin[SecurityEvent]
    _NoticeAdmin = admin.ModelAdmin[SecurityNotice]
    _PolicyAdmin = admin.ModelAdmin[StaffSignInPolicy]
else:
    _ModelAdmin = _NoticeAdmin = _PolicyAdmin = admin.ModelAdmin

# axes' own records are read through the frozen-account views and the audit log, not listed raw;
# the task queue's rows through the security notices they deliver; passkeys (their public keys and
# attestations are nothing an agent reads) on the member's page.
for raw_model in (
    AccessAttempt,
    AccessLog,
    AccessFailureLog,
    DBTaskResult,
    WebAuthnCredential,
    WebAuthnAttestation,
    WebAuthnUserHandle,
):
    if admin.site.is_registered(raw_model):
        admin.site.unregister(raw_model)


@admin.register(SecurityEvent)
class SecurityEventAdmin(_ModelAdmin):
    """The audit log is read in the admin, never written there, not even by a superuser."""

    list_display = ("sequence", "created_at", "kind", "username", "member", "actor", "ip_address")
    list_filter = ("kind", ("created_at", admin.DateFieldListFilter))
    search_fields = ("username",)  # exact lookups, see get_search_results
    search_help_text = _("An exact username (a member's, or one typed at sign-in) or IP address.")
    list_select_related = ("member",)
    paginator = EstimatedCountPaginator
    show_full_result_count = False
    list_per_page = 50
    # The CSV export is a button posting to export_view (the list's filters, every page of them).
    change_list_template = "admin/security/securityevent/change_list.html"
    readonly_fields = [field.name for field in SecurityEvent._meta.fields]

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[SecurityEvent], search_term: str
    ) -> tuple[QuerySet[SecurityEvent], bool]:
        term = search_term.strip()
        if not term:
            return queryset, False
        try:
            return queryset.filter(ip_address=str(ipaddress.ip_address(term))), False
        except ValueError:
            # The member of that name, or the stand-in a name that is no account's is logged under
            # (security.usernames): both index lookups (no join in the filter).
            members = get_user_model()._default_manager
            member_id = members.filter(username=normalize_username(term)).values_list("pk", flat=True).first()
            if member_id is None:
                return queryset.filter(username__in=[term, pseudonym(normalize_username(term))]), False
            return queryset.filter(Q(username=normalize_username(term)) | Q(member_id=member_id)), False

    def lookup_allowed(self, lookup: str, value: str, request: HttpRequest | None = None) -> bool:
        # Links from the member list filter by member (?member__id__exact=...).
        return lookup in ("member__id__exact", "ip_address__exact") or super().lookup_allowed(lookup, value, request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: SecurityEvent | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: SecurityEvent | None = None) -> bool:
        return False

    def has_export_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("security.export_securityevent")

    def get_urls(self) -> list[URLPattern]:
        export = path(
            "export/",
            self.admin_site.admin_view(partial(export_view, self)),
            name="security_securityevent_export",
        )
        return [export, *super().get_urls()]

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        # The export takes the list's filters and search, not its page.
        filters = request.GET.copy()
        filters.pop(PAGE_VAR, None)
        context = {
            "may_export": self.has_export_permission(request),
            "export_query": filters.urlencode(),
            **(extra_context or {}),
        }
        return super().changelist_view(request, extra_context=context)


@admin.register(SecurityNotice)
class SecurityNoticeAdmin(_NoticeAdmin):
    """The security notices' outbox: what was sent, what waits, what failed and why. Read-only; a
    failed notice can be queued again (audited). The body is never shown (a confirmation link)."""

    list_display = ("id", "created_at", "kind", "member", "to_address", "status", "attempts", "last_error", "sent_at")
    list_filter = ("status", "kind")
    search_fields = ("=to_address", "=member__username")
    search_help_text = _("An exact email address or username.")
    list_select_related = ("member",)
    list_per_page = 50
    fields = (
        "kind",
        "member",
        "to_address",
        "language",
        "subject",
        "created_at",
        "status",
        "attempts",
        "last_attempt_at",
        "next_attempt_at",
        "last_error",
        "sent_at",
        "repeats",
    )
    readonly_fields = fields
    actions = ["requeue"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: SecurityNotice | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: SecurityNotice | None = None) -> bool:
        return False

    def has_requeue_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("security.requeue_securitynotice")

    @admin.action(description=_("Queue the selected notices again"), permissions=["requeue"])
    def requeue(self, request: HttpRequest, queryset: QuerySet[SecurityNotice]) -> None:
        actor = request.user.get_username()
        done = sum(tasks.requeue(notice, actor=actor, reason="from the support site") for notice in queryset)
        skipped = queryset.count() - done
        self.message_user(
            request,
            gettext("Queued again: %(done)d. Not queued (sent, being sent, or no address): %(skipped)d.")
            % {"done": done, "skipped": skipped},
        )


@admin.register(StaffSignInPolicy)
class StaffSignInPolicyAdmin(_PolicyAdmin):
    """The Security role's switch: passkeys for the support site. One row; each change audited."""

    fields = ("require_passkey", "changed_at", "changed_by")
    readonly_fields = ("changed_at", "changed_by")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: StaffSignInPolicy | None = None) -> bool:
        return False

    def get_fields(self, request: HttpRequest, obj: StaffSignInPolicy | None = None) -> Any:
        if settings.PORTAL_STAFF_REQUIRE_PASSKEY:  # required by the environment: nothing to switch here
            return ("required_by_environment", *self.readonly_fields)
        return self.fields

    def get_readonly_fields(self, request: HttpRequest, obj: StaffSignInPolicy | None = None) -> Any:
        if settings.PORTAL_STAFF_REQUIRE_PASSKEY:
            return ("required_by_environment", *self.readonly_fields)
        return self.readonly_fields

    @admin.display(description=_("staff sign in with a passkey"))
    def required_by_environment(self, obj: StaffSignInPolicy) -> str:
        return gettext("On, required by the portal's configuration (PORTAL_STAFF_REQUIRE_PASSKEY).")

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        # One row: its page is the list.
        policy, _created = StaffSignInPolicy.objects.get_or_create(pk=1)
        return redirect("admin:security_staffsigninpolicy_change", policy.pk)

    def save_model(self, request: HttpRequest, obj: StaffSignInPolicy, form: Any, change: bool) -> None:
        # The admin's change view runs in one transaction: the change and its event commit together.
        actor = request.user.get_username()
        obj.changed_at, obj.changed_by = timezone.now(), actor
        super().save_model(request, obj, form, change)
        if "require_passkey" not in form.changed_data:
            return
        state = "on" if obj.require_passkey else "off"
        record_event(
            Kind.STAFF_PASSKEY_POLICY_CHANGED,
            request=request,
            actor=actor,
            reason=f"passkeys required of staff: {state}",
        )
