from datetime import timedelta

from axes.models import AccessAttempt
from django.utils import timezone

from security.lockout import reserve_verification
from security.models import VerificationGate


def test_it_grants_only_as_many_checks_as_the_limit(db, settings):
    granted = [reserve_verification("alice") for _ in range(8)]
    assert granted == [True] * settings.PORTAL_FREEZE_AFTER_FAILURES + [False] * 3


def test_it_counts_recorded_failures_against_the_limit(db):
    AccessAttempt.objects.create(username="bob", failures_since_start=3, user_agent="", ip_address=None)
    assert [reserve_verification("bob") for _ in range(3)] == [True, True, False]


def test_it_voids_reservations_of_a_worker_that_died(db, settings):
    for _ in range(5):
        reserve_verification("carol")
    assert not reserve_verification("carol")
    VerificationGate.objects.filter(username="carol").update(
        last_reserved_at=timezone.now() - timedelta(seconds=settings.PORTAL_VERIFICATION_RESERVATION_SECONDS + 1)
    )
    assert reserve_verification("carol")


def test_it_gives_slots_back_after_each_sign_in_attempt(client, member):
    from tests.helpers import sign_in

    sign_in(client, "alice", "wrong")
    sign_in(client, "nobody", "wrong")
    assert list(VerificationGate.objects.values_list("in_flight", flat=True)) == [0, 0]
