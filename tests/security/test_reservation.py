from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.test import RequestFactory
from django.utils import timezone

from security.lockout import release_verification, reserve_verification
from security.models import VerificationGate, VerificationSlot


def granted(username, times):
    return [reserve_verification(username) is not None for _ in range(times)]


def age_slots(seconds, **filters):
    """Move slots back in time, as if taken `seconds` ago on the server's clock."""
    VerificationSlot.objects.filter(**filters).update(taken_at=timezone.now() - timedelta(seconds=seconds))


def released(username, slot):
    request = RequestFactory().post("/accounts/login/")
    request.portal_reserved_slot = (username, slot)
    release_verification(request)
    return request


def test_it_grants_only_as_many_checks_as_the_limit(db, settings):
    assert granted("alice", 8) == [True] * settings.PORTAL_FREEZE_AFTER_FAILURES + [False] * 3
    assert VerificationSlot.objects.filter(username="alice").count() == settings.PORTAL_FREEZE_AFTER_FAILURES


def test_it_counts_recorded_failures_against_the_limit(db):
    AccessAttempt.objects.create(username="bob", failures_since_start=3, user_agent="", ip_address=None)
    assert granted("bob", 3) == [True, True, False]


def test_it_voids_reservations_of_a_worker_that_died(db, settings):
    granted("carol", 5)
    assert not granted("carol", 1)[0]
    age_slots(settings.PORTAL_VERIFICATION_RESERVATION_SECONDS + 1, username="carol")
    assert granted("carol", 5) == [True] * 5
    assert VerificationGate.objects.get(username="carol").in_flight == 5


def test_it_expires_each_slot_on_its_own_while_the_account_is_in_use(db, settings):
    period = settings.PORTAL_VERIFICATION_RESERVATION_SECONDS
    leaked = [reserve_verification("dave") for _ in range(4)]  # four workers killed mid-check
    age_slots(period - 5, id__in=leaked)
    # The account goes on being used: each new check takes the fifth slot and gives it back.
    for _ in range(3):
        released("dave", reserve_verification("dave"))
    assert not granted("dave", 2)[1]  # the four leaked slots still count, within their period
    age_slots(period + 1, id__in=leaked)  # ...and no longer once it is over, however busy the account was
    assert granted("dave", 5) == [True] * 4 + [False]


def test_it_gives_a_slot_back_once_and_only_its_own(db):
    first, second = reserve_verification("erin"), reserve_verification("erin")
    request = released("erin", first)
    release_verification(request)  # twice: nothing more
    assert list(VerificationSlot.objects.values_list("id", flat=True)) == [second]
    assert VerificationGate.objects.get(username="erin").in_flight == 1


def test_it_does_not_count_out_twice_a_slot_that_expired_before_its_release(db, settings):
    slot = reserve_verification("frank")
    age_slots(settings.PORTAL_VERIFICATION_RESERVATION_SECONDS + 1)
    fresh = reserve_verification("frank")  # counts the expired slot out
    released("frank", slot)  # the late release finds nothing left to give back
    assert VerificationGate.objects.get(username="frank").in_flight == 1
    assert list(VerificationSlot.objects.values_list("id", flat=True)) == [fresh]


@pytest.mark.django_db
def test_it_gives_slots_back_after_each_sign_in_attempt(client, member):
    from tests.helpers import sign_in

    sign_in(client, "alice", "wrong")
    sign_in(client, "nobody", "wrong")
    assert list(VerificationGate.objects.values_list("in_flight", flat=True)) == [0, 0]
    assert not VerificationSlot.objects.exists()
