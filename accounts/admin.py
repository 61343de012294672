"""The support site's view of members: status at a glance, and actions that always carry a reason."""

from axes.models import AccessAttempt
from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Sum
from django.template.response import TemplateResponse

from security import reset, sessions
from security.audit import Kind, record_event
from security.lockout import failure_count, freeze_account, frozen_usernames, unfreeze_account
from security.models import MemberSession
from security.pagination import EstimatedCountPaginator
from security.usernames import normalize_username

from .models import User


class ReasonForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3, "cols": 60}), max_length=2000, strip=True)


class FrozenFilter(admin.SimpleListFilter):
    title = "frozen"
    parameter_name = "frozen"

    def lookups(self, request, model_admin):
        return [("yes", "Frozen"), ("no", "Not frozen")]

    def queryset(self, request, queryset):
        if self.value() not in ("yes", "no"):
            return queryset
        frozen = [row["username"] for row in frozen_usernames()]
        if self.value() == "yes":
            return queryset.filter(username__in=frozen)
        return queryset.exclude(username__in=frozen)


def may_act_on(staff_user, member):
    return not member.is_staff or staff_user.has_perm("accounts.manage_staff_accounts")


def reasoned_action(permission, description):
    """An admin action that first asks for a reason, then applies `perform` to each member."""

    def decorate(perform):
        @admin.action(permissions=[permission], description=description)
        def action(modeladmin, request, queryset):
            form = ReasonForm(request.POST if "apply" in request.POST else None)
            if form.is_valid():
                actor = request.user.get_username()
                # Staff accounts are the Security role's alone: Support cannot unfreeze or sign them in again.
                allowed = [member for member in queryset if may_act_on(request.user, member)]
                done = sum(
                    bool(perform(member=member, reason=form.cleaned_data["reason"], actor=actor, request=request))
                    for member in allowed
                )
                message = f"{description}: done for {done} of {queryset.count()}."
                if skipped := queryset.count() - len(allowed):
                    accounts = f"{skipped} staff account{'s' if skipped != 1 else ''}"
                    message += f" {accounts} left as they were: only the Security role acts on staff accounts."
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


@reasoned_action("freeze", "Freeze account")
def freeze(*, member, reason, actor, request):
    return freeze_account(member=member, reason=reason, actor=actor, request=request)


@reasoned_action("unfreeze", "Unfreeze account")
def unfreeze(*, member, reason, actor, request):
    return unfreeze_account(member=member, reason=reason, actor=actor, request=request)


@reasoned_action("end_sessions", "End all sessions")
def end_all_sessions(*, member, reason, actor, request):
    return sessions.end_sessions(
        member=member, sessions=MemberSession.objects.filter(member=member), request=request, actor=actor, reason=reason
    )


@reasoned_action("unlock_reset", "Unlock the password reset tool")
def unlock_reset(*, member, reason, actor, request):
    return reset.unlock(member=member, reason=reason, actor=actor, request=request)


@reasoned_action("require_questions", "Require new security questions")
def require_new_questions(*, member, reason, actor, request):
    return _require(member, "must_choose_security_questions", Kind.NEW_QUESTIONS_REQUIRED, reason, actor, request)


@reasoned_action("require_password", "Require a password change")
def require_password_change(*, member, reason, actor, request):
    return _require(member, "must_change_password", Kind.PASSWORD_CHANGE_REQUIRED, reason, actor, request)


@transaction.atomic
def _require(member, flag, kind, reason, actor, request):
    setattr(member, flag, True)
    member.save(update_fields=[flag])
    record_event(kind, request=request, member=member, actor=actor, reason=reason)
    return True


class FailureCountingChangeList(ChangeList):
    """Counts failed attempts for the members on this page only, in one query, after paging:
    a per-row subquery would also run for every row an OFFSET skips."""

    def get_results(self, request):
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


@admin.register(User)
class MemberAdmin(UserAdmin):
    list_display = ("username", "email", "full_name", "frozen", "failed_attempts", "last_login", "is_staff")
    list_filter = (FrozenFilter, "is_staff", "is_active", "groups")
    search_fields = ("username",)  # exact lookups, see get_search_results
    search_help_text = "An exact username, email address or member ID."
    ordering = ("username",)
    paginator = EstimatedCountPaginator
    show_full_result_count = False
    list_per_page = 50
    # No password on the page: staff never choose or see a member's password.
    fieldsets = (
        (None, {"fields": ("username",)}),
        ("Personal info", {"fields": ("first_name", "last_name", "email")}),
        ("Access", {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        (
            "Security",
            {
                "fields": (
                    "password_changed_at",
                    "must_change_password",
                    "security_questions_set_at",
                    "must_choose_security_questions",
                )
            },
        ),
        ("Important dates", {"fields": ("last_login", "date_joined")}),
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

    def get_changelist(self, request, **kwargs):
        return FailureCountingChangeList

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        # Exact matches only, each looked up on its own index (a substring search, or one query
        # OR-ing a join, would read every row), then the page lists those members.
        lookups = [{"username": normalize_username(term)}, {"email__lower": term.lower()}]
        member_id_field = getattr(settings, "PORTAL_MEMBER_ID_LOOKUP", None)
        if member_id_field:
            lookups.append({member_id_field: term.upper()})
        found = set()
        for lookup in lookups:
            found.update(User.objects.filter(**lookup).values_list("pk", flat=True)[:100])
        return queryset.filter(pk__in=found), False

    @admin.display(description="name")
    def full_name(self, member):
        return member.get_full_name()

    @admin.display(description="frozen", boolean=True)
    def frozen(self, member):
        return self.failed_attempts(member) >= settings.PORTAL_FREEZE_AFTER_FAILURES

    @admin.display(description="failed attempts")
    def failed_attempts(self, member):
        if not hasattr(member, "failures"):
            member.failures = failure_count(member.username)
        return member.failures

    def has_add_permission(self, request):
        return False  # members are enrolled, and staff created, by the operator commands

    def user_change_password(self, request, id, form_url=""):
        raise PermissionDenied  # passwords are only ever set by their owner

    def has_freeze_permission(self, request):
        return request.user.has_perm("accounts.freeze_member")

    def has_unfreeze_permission(self, request):
        return request.user.has_perm("accounts.unfreeze_member")

    def has_unlock_reset_permission(self, request):
        return request.user.has_perm("accounts.unfreeze_member")

    def has_end_sessions_permission(self, request):
        return request.user.has_perm("accounts.end_member_sessions")

    def has_require_questions_permission(self, request):
        return request.user.has_perm("accounts.require_new_questions")

    def has_require_password_permission(self, request):
        return request.user.has_perm("accounts.require_password_change")
