"""The audit log in the support site: read-only for everyone, fast at tens of millions of rows."""

import csv
import ipaddress

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.http import StreamingHttpResponse

from .audit import Kind, record_event
from .models import SecurityEvent
from .pagination import EstimatedCountPaginator
from .usernames import normalize_username, pseudonym

CSV_COLUMNS = ["sequence", "created_at", "kind", "username", "member_id", "actor", "ip_address", "user_agent", "reason"]


def spreadsheet_safe(value):
    """A typed-in username such as =HYPERLINK(...) must stay text when the CSV is opened."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


class Echo:
    def write(self, value):
        return value


@admin.action(permissions=["export"], description="Export the selected events as CSV")
def export_csv(modeladmin, request, queryset):
    record_event(
        Kind.AUDIT_EXPORTED, request=request, actor=request.user.get_username(), reason=f"{queryset.count()} events"
    )
    writer = csv.writer(Echo())
    rows = queryset.order_by("id").values_list(*CSV_COLUMNS).iterator(chunk_size=5000)

    def lines():
        yield writer.writerow(CSV_COLUMNS)
        for row in rows:
            yield writer.writerow([spreadsheet_safe(value) for value in row])

    response = StreamingHttpResponse(lines(), content_type="text/csv")
    response["Content-Disposition"] = 'attachment; filename="audit-log.csv"'
    return response


@admin.register(SecurityEvent)
class SecurityEventAdmin(admin.ModelAdmin):
    """The audit log is read in the admin, never written there, not even by a superuser."""

    list_display = ("sequence", "created_at", "kind", "username", "member", "actor", "ip_address")
    list_filter = ("kind", ("created_at", admin.DateFieldListFilter))
    search_fields = ("username",)  # exact lookups, see get_search_results
    search_help_text = "An exact username (a member's, or one typed at sign-in) or IP address."
    list_select_related = ("member",)
    paginator = EstimatedCountPaginator
    show_full_result_count = False
    list_per_page = 50
    actions = [export_csv]
    readonly_fields = [field.name for field in SecurityEvent._meta.fields]

    def get_search_results(self, request, queryset, search_term):
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

    def lookup_allowed(self, lookup, value, request=None):
        # Links from the member list filter by member (?member__id__exact=...).
        return lookup in ("member__id__exact", "ip_address__exact") or super().lookup_allowed(lookup, value, request)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_export_permission(self, request):
        return request.user.has_perm("security.export_securityevent")
