"""Admin paging that never counts a whole large table.

Unfiltered, PostgreSQL's planner statistics give the size of the table at no cost. Filtered, the
count stops at COUNT_CAP rows: past that, "more than N" is all a person paging needs.
"""

from django.core.paginator import Paginator
from django.db import connections
from django.utils.functional import cached_property

COUNT_CAP = 10_000


class EstimatedCountPaginator(Paginator):
    @cached_property
    def count(self):
        queryset = self.object_list
        query = queryset.query
        connection = connections[queryset.db]
        if connection.vendor == "postgresql" and not query.where and not query.distinct:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass", [queryset.model._meta.db_table]
                )
                row = cursor.fetchone()
            if row and row[0] > COUNT_CAP:
                return row[0]
        return queryset[: COUNT_CAP + 1].count()
