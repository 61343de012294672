"""The support site's view of members: status at a glance, and actions that always carry a reason."""

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

from axes.models import AccessAttempt
from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet, Sum
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from security import reset, sessions
from security.audit import Kind, record_event
from security.lockout import failure_count, freeze_account, frozen_usernames, unfreeze_account
from security.models import MemberSession
from security.pagination import EstimatedCountPaginator
from security.usernames import normalize_username

from .admin_sessions import end_member_sessions, may_end_sessions_of
from .member_facts import member_facts
from .models import User

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

    class ListedMember(User):
        """A member on the change list, with its failed attempts counted."""

        failures: int


# An action's work on one member: truthy when it changed something.
Perform = Callable[..., bool | int]
Action = Callable[["MemberAdmin", HttpRequest, QuerySet[User]], TemplateResponse | None]


class ReasonForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3, "cols": 60}), max_length=2000, strip=True)


class FrozenFilter(admin.SimpleListFilter):
    title = _("frozen")
    parameter_name = "frozen"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", gettext("Frozen")), ("no", gettext("Not frozen"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[User]) -> QuerySet[User]:
        if self.value() not in ("yes", "no"):
            return queryset
        frozen = [row["username"] for row in frozen_usernames()]
        if self.value() == "yes":
            return queryset.filter(username__in=frozen)
        return queryset.exclude(username__in=frozen)


def may_act_on(staff_user: Any, member: User) -> bool:
    return not member.is_staff or staff_user.has_perm("accounts.manage_staff_accounts")


def reasoned_action(permission: str, description: "StrOrPromise") -> Callable[[Perform], Action]:
    """An admin action that first asks for a reason, then applies `perform` to each member."""

    def decorate(perform: Perform) -> Action:
        @admin.action(permissions=[permission], description=description)
        def action(
            modeladmin: "MemberAdmin", request: HttpRequest, queryset: QuerySet[User]
        ) -> TemplateResponse | None:
            form = ReasonForm(request.POST if "apply" in request.POST else None)
            if form.is_valid():
                actor = request.user.get_username()
                # Staff accounts are the Security role's alone: Support cannot unfreeze or sign them in again.
                allowed = [member for member in queryset if may_act_on(request.user, member)]
                done = sum(
                    bool(perform(member=member, reason=form.cleaned_data["reason"], actor=actor, request=request))
                    for member in allowed
                )
                message = gettext("%(action)s: done for %(done)d of %(total)d.") % {
                    "action": description,
                    "done": done,
                    "total": queryset.count(),
                }
                if skipped := queryset.count() - len(allowed):
                    message += " " + ngettext(
                        "%(n)d staff account left as they were: only the Security role acts on staff accounts.",
                        "%(n)d staff accounts left as they were: only the Security role acts on staff accounts.",
                        skipped,
                    ) % {"n": skipped}
                modeladmin.message_user(request, message)
                return None
            context = {
                **modeladmin.admin_site.each_context(request),
                "title": description,
                "queryset": queryset,
                "form": form,
                "action": perform.__name__,
                "opts": modeladmin.model._meta,
            }
            return TemplateResponse(request, "admin/security/reason_form.html", context)

        action.__name__ = perform.__name__
        return action

    return decorate


@reasoned_action("freeze", _("Freeze account"))
def freeze(*, member: User, reason: str, actor: str, request: HttpRequest) -> bool:
    return freeze_account(member=member, reason=reason, actor=actor, request=request)


@reasoned_action("unfreeze", _("Unfreeze account"))
def unfreeze(*, member: User, reason: str, actor: str, request: HttpRequest) -> bool:
    return unfreeze_account(member=member, reason=reason, actor=actor, request=request)


@reasoned_action("end_sessions", _("End all sessions"))
def end_all_sessions(*, member: User, reason: str, actor: str, request: HttpRequest) -> int:
    return sessions.end_sessions(
        member=member, sessions=MemberSession.objects.filter(member=member), request=request, actor=actor, reason=reason
    )


@reasoned_action("unlock_reset", _("Unlock the password reset tool"))
def unlock_reset(*, member: User, reason: str, actor: str, request: HttpRequest) -> bool:
    return reset.unlock(member=member, reason=reason, actor=actor, request=request)


@reasoned_action("require_questions", _("Require new security questions"))
def require_new_questions(*, member: User, reason: str, actor: str, request: HttpRequest) -> bool:
    return _require(member, "must_choose_security_questions", Kind.NEW_QUESTIONS_REQUIRED, reason, actor, request)


@reasoned_action("require_password", _("Require a password change"))
def require_password_change(*, member: User, reason: str, actor: str, request: HttpRequest) -> bool:
    return _require(member, "must_change_password", Kind.PASSWORD_CHANGE_REQUIRED, reason, actor, request)


@transaction.atomic
def _require(member: User, flag: str, kind: str, reason: str, actor: str, request: HttpRequest) -> bool:
    setattr(member, flag, True)
    member.save(update_fields=[flag])
    record_event(kind, request=request, member=member, actor=actor, reason=reason)
    return True


class FailureCountingChangeList(ChangeList):
    """Counts failed attempts for the members on this page only, in one query, after paging:
    a per-row subquery would also run for every row an OFFSET skips."""

    def get_results(self, request: HttpRequest) -> None:
        super().get_results(request)
        usernames = [member.username for member in self.result_list]
        failures = dict(
            AccessAttempt.objects.filter(username__in=usernames)
            .values("username")
            .annotate(total=Sum("failures_since_start"))
            .values_list("username", "total")
        )
        for member in self.result_list:
            member.failures = failures.get(member.username, 0)


LOCK_ICON = mark_safe(  # noqa: S308 (a constant: no member data)
    '<svg class="lock-icon" viewBox="0 0 16 16" width="14" height="14" aria-hidden="true" focusable="false">'
    '<path d="M4 7V5a4 4 0 0 1 8 0v2h1v8H3V7zm2 0h4V5a2 2 0 0 0-4 0z"/></svg>'
)
# Fields shown through a display method when the page is read only (see get_fieldsets).
READ_ONLY_FIELDS = {"username": "username_read_only"}


@admin.register(User)
class MemberAdmin(UserAdmin):
    list_display = ("username", "email", "full_name", "frozen", "failed_attempts", "last_login", "is_staff")
    list_filter = (FrozenFilter, "is_staff", "is_active", "groups")
    search_fields = ("username",)  # exact lookups, see get_search_results
    search_help_text = _("An exact username, email address or member ID.")
    ordering = ("username",)
    paginator = EstimatedCountPaginator
    show_full_result_count = False
    list_per_page = 50
    # The facts an agent needs on a call, above the member's details (accounts.member_facts).
    change_form_template = "admin/accounts/user/change_form.html"

    class Media:
        css = {"all": ["accounts/support.css"]}

    # No password on the page: staff never choose or see a member's password.
    fieldsets = (
        (None, {"fields": ("username",)}),
        (_("Personal info"), {"fields": ("first_name", "last_name", "email")}),
        (_("Access"), {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        (
            _("Security"),
            {
                "fields": (
                    "password_changed_at",
                    "must_change_password",
                    "security_questions_set_at",
                    "must_choose_security_questions",
                )
            },
        ),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    readonly_fields = (
        "last_login",
        "date_joined",
        "password_changed_at",
        "security_questions_set_at",
        "must_change_password",
        "must_choose_security_questions",
    )
    actions = [freeze, unfreeze, end_all_sessions, unlock_reset, require_new_questions, require_password_change]

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return FailureCountingChangeList

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[User], search_term: str
    ) -> tuple[QuerySet[User], bool]:
        term = search_term.strip()
        if not term:
            return queryset, False
        # Exact matches only, each looked up on its own index (a substring search, or one query
        # OR-ing a join, would read every row), then the page lists those members.
        lookups = [{"username": normalize_username(term)}, {"email__lower": term.lower()}]
        member_id_field = getattr(settings, "PORTAL_MEMBER_ID_LOOKUP", None)
        if member_id_field:
            lookups.append({member_id_field: term.upper()})
        found: set[int] = set()
        for lookup in lookups:
            found.update(User.objects.filter(**lookup).values_list("pk", flat=True)[:100])
        return queryset.filter(pk__in=found), False

    @admin.display(description=_("name"))
    def full_name(self, member: User) -> str:
        return member.get_full_name()

    @admin.display(description=_("frozen"))
    def frozen(self, member: "ListedMember") -> str:
        # A red lock and the word: the state is never told by colour (or an icon) alone.
        if self.failed_attempts(member) >= settings.PORTAL_FREEZE_AFTER_FAILURES:
            return format_html('<span class="frozen-flag">{}{}</span>', LOCK_ICON, gettext("Frozen"))
        return format_html('<span class="not-frozen">{}</span>', gettext("No"))

    @admin.display(description=_("failed attempts"))
    def failed_attempts(self, member: "ListedMember") -> int:
        if not hasattr(member, "failures"):
            member.failures = failure_count(member.username)
        return member.failures

    @admin.display(description=_("username"))
    def username_read_only(self, member: User) -> str:
        return member.get_username()

    def get_fieldsets(self, request: HttpRequest, obj: User | None = None) -> Any:
        fieldsets = super().get_fieldsets(request, obj)
        if self.has_change_permission(request, obj):
            return fieldsets
        # Read only, the model field would bring its form help ("150 characters or fewer...").
        return [
            (name, {**options, "fields": [READ_ONLY_FIELDS.get(str(f), f) for f in options["fields"]]})
            for name, options in fieldsets
        ]

    def get_readonly_fields(self, request: HttpRequest, obj: User | None = None) -> Any:
        fields = super().get_readonly_fields(request, obj)
        if self.has_change_permission(request, obj):
            return fields
        return [*fields, *READ_ONLY_FIELDS.values()]

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        member = self.get_object(request, object_id) if object_id.isdigit() else None
        context = dict(extra_context or {})
        if member is not None and self.has_view_or_change_permission(request, member):
            context["facts"] = member_facts(member, getattr(self.admin_site, "member_fact_sources", ()))
            context["may_end_sessions"] = self.has_end_sessions_permission(request) and may_end_sessions_of(
                request, member
            )
        return super().change_view(request, object_id, form_url, extra_context=context)

    def get_urls(self) -> list[URLPattern]:
        end_sessions = path(
            "<str:object_id>/end-sessions/",
            self.admin_site.admin_view(partial(end_member_sessions, self)),
            name="accounts_user_end_sessions",
        )
        return [end_sessions, *super().get_urls()]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # members are enrolled, and staff created, by the operator commands

    def user_change_password(self, request: HttpRequest, id: str, form_url: str = "") -> HttpResponse:
        raise PermissionDenied  # passwords are only ever set by their owner

    def has_freeze_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("accounts.freeze_member")

    def has_unfreeze_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("accounts.unfreeze_member")

    def has_unlock_reset_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("accounts.unfreeze_member")

    def has_end_sessions_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("accounts.end_member_sessions")

    def has_require_questions_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("accounts.require_new_questions")

    def has_require_password_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("accounts.require_password_change")
