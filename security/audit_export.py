"""The audit log as CSV: every event the list's current filters match, streamed, and the export audited.

Times in the file are ISO 8601 in UTC (created_at_utc, "2026-12-01T23:57:04.512993+00:00"), for
the programs that read it; the support site's pages show them in the staff member's own zone.
"""

import csv
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import BadRequest, PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, StreamingHttpResponse
from django.utils.http import urlencode

from .audit import Kind, record_event
from .models import SecurityEvent

if TYPE_CHECKING:
    from .admin import SecurityEventAdmin

CSV_COLUMNS = [
    "sequence",
    "created_at",
    "kind",
    "kind_name",
    "username",
    "member_id",
    "actor",
    "ip_address",
    "user_agent",
    "reason",
]
# The header names the time column's zone; the values_list reads the field itself.
CSV_HEADER = ["created_at_utc" if column == "created_at" else column for column in CSV_COLUMNS]
# Read from the database in this many rows at a time: memory stays flat at any size of log.
CHUNK_SIZE = 2000
# The filters named in the audit event are cut to this length; the event's reason is not a dump.
MAX_FILTERS_IN_EVENT = 1000


def spreadsheet_safe(value: object) -> object:
    """A typed-in username such as =HYPERLINK(...) must stay text when the CSV is opened."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def cell(value: object) -> object:
    """A time as ISO 8601 in UTC, whatever zone the staff member's pages are in; any text spreadsheet-safe."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    return spreadsheet_safe(value)


class Echo:
    """A file-like object for csv.writer that hands each written line back instead of storing it."""

    def write(self, value: str) -> str:
        return value


def matching_events(modeladmin: "SecurityEventAdmin", request: HttpRequest) -> QuerySet[SecurityEvent]:
    """The events the audit list shows for this request's filters and search, all pages of them."""
    try:
        return modeladmin.get_changelist_instance(request).get_queryset(request)
    except (IncorrectLookupParameters, ValidationError, ValueError) as error:
        raise BadRequest("The audit log's filters could not be read.") from error


def csv_lines(events: QuerySet[SecurityEvent]) -> Iterator[str]:
    writer = csv.writer(Echo())
    # get_kind_display's labels, read once: the rows are tuples, not model instances, for speed.
    kind_names = dict(SecurityEvent.Kind.choices)
    fields = [column for column in CSV_COLUMNS if column != "kind_name"]
    kind_at = fields.index("kind")
    yield writer.writerow(CSV_HEADER)
    for row in events.order_by("id").values_list(*fields).iterator(chunk_size=CHUNK_SIZE):
        values = list(row)
        values.insert(kind_at + 1, kind_names.get(values[kind_at], values[kind_at]))
        yield writer.writerow([cell(value) for value in values])


def export_view(modeladmin: "SecurityEventAdmin", request: HttpRequest) -> StreamingHttpResponse:
    """POST from the audit list, its filters in the query string. The event is written before the
    stream starts, so its row count is a count() of the same query: events written while the file
    streams may be in the file and not in that count."""
    if request.method != "POST":
        raise BadRequest("Export with the button on the audit log.")
    if not modeladmin.has_export_permission(request):
        raise PermissionDenied
    events = matching_events(modeladmin, request)
    filters = urlencode(sorted((key, str(value)) for key, value in request.GET.items())) or "none"
    with transaction.atomic():
        total = events.count()
        reason = f"{total} events; filters: {filters[:MAX_FILTERS_IN_EVENT]}"
        record_event(Kind.AUDIT_EXPORTED, request=request, actor=request.user.get_username(), reason=reason)
    response = StreamingHttpResponse(csv_lines(events), content_type="text/csv")
    response["Content-Disposition"] = 'attachment; filename="audit-log.csv"'
    return response
