"""Admin paging that never counts a whole large table.

Unfiltered, PostgreSQL's planner statistics give the size of the table at no cost. Filtered, the
count stops at COUNT_CAP rows: past that, "more than N" is all a person paging needs.
"""

from typing import TYPE_CHECKING, Any, cast

from django.core.paginator import Paginator
from django.db import connections
from django.db.models import Model, QuerySet
from django.utils.functional import cached_property

COUNT_CAP = 10_000

# Generic only in django-stubs: Django's own Paginator takes no type argument at run time.
if TYPE_CHECKING:
    _Paginator = Paginator[Model]
else:
    _Paginator = Paginator


class EstimatedCountPaginator(_Paginator):
    @cached_property
    def count(self) -> int:
        queryset = cast("QuerySet[Model, Any]", self.object_list)  # the admin pages its changelist's queryset
        query = queryset.query
        connection = connections[queryset.db]
        if connection.vendor == "postgresql" and not query.where and not query.distinct:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass", [queryset.model._meta.db_table]
                )
                row: tuple[int] | None = cursor.fetchone()
            if row and row[0] > COUNT_CAP:
                return row[0]
        return queryset[: COUNT_CAP + 1].count()
