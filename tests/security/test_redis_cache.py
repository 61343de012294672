"""The Redis cache backend's counter (portal.cache), against the Redis the suite is given."""

import time

import pytest
from django.core.cache import cache

pytestmark = pytest.mark.skipif(
    not hasattr(cache, "count_in_window"), reason="needs CACHE_URL=redis://... (the PostgreSQL + Redis run)"
)


def test_it_counts_in_one_key_that_reads_back_as_a_number():
    cache.delete("count-test")
    assert [cache.count_in_window("count-test", 60) for _ in range(3)] == [1, 2, 3]
    assert cache.get("count-test") == 3


def test_the_window_starts_at_the_first_count_and_later_counts_do_not_extend_it():
    cache.delete("count-window")
    assert cache.count_in_window("count-window", 1) == 1
    time.sleep(0.6)
    assert cache.count_in_window("count-window", 1) == 2
    time.sleep(0.6)
    assert cache.get("count-window") is None
    assert cache.count_in_window("count-window", 1) == 1
