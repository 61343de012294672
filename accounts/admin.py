from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from security import sessions
from security.models import MemberSession

from .models import User


@admin.register(User)
class MemberAdmin(UserAdmin):
    list_display = ("username", "email", "first_name", "last_name", "is_staff", "last_login")
    search_fields = ("username", "email", "first_name", "last_name")
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        ("Personal info", {"fields": ("first_name", "last_name", "email")}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        ("Security questions", {"fields": ("security_questions_set_at", "must_choose_security_questions")}),
        ("Important dates", {"fields": ("last_login", "date_joined", "password_changed_at")}),
    )
    readonly_fields = ("last_login", "date_joined", "password_changed_at", "security_questions_set_at")
    actions = ["end_all_sessions"]

    @admin.action(description="End all sessions of the selected members")
    def end_all_sessions(self, request, queryset):
        ended = 0
        for member in queryset:
            ended += sessions.end_sessions(
                member=member,
                sessions=MemberSession.objects.filter(member=member),
                request=request,
                actor=request.user.get_username(),
                reason="ended from the support site",
            )
        self.message_user(request, f"Ended {ended} session(s).")
