from django.contrib import admin

from .models import SecurityEvent


@admin.register(SecurityEvent)
class SecurityEventAdmin(admin.ModelAdmin):
    """The audit log is read in the admin, never written there."""

    list_display = ("created_at", "kind", "username", "member", "actor", "ip_address")
    list_filter = ("kind",)
    search_fields = ("username", "ip_address", "actor")
    date_hierarchy = "created_at"
    list_select_related = ("member",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
