from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

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
