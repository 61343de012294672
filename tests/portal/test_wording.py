"""Counts read as English: one claim matches, one minute, changed today; a plan name is not repeated."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from portal.models import Plan


@pytest.fixture
def enrollment(member, make_enrollment):
    return make_enrollment(member)


def text_of(response):
    return " ".join(response.content.decode().split())


def test_one_filtered_claim_matches_and_several_match(client, member, enrollment, make_claim):
    make_claim(enrollment, service_date=date(2026, 3, 1))
    client.force_login(member)
    assert "1 claim matches your filters" in text_of(client.get("/claims/", {"date_from": "2026-01-01"}))
    make_claim(enrollment, service_date=date(2026, 4, 1))
    several = text_of(client.get("/claims/", {"date_from": "2026-01-01"}))
    assert "2 claims match your filters" in several and "claim match " not in several
    assert "2 claims" in text_of(client.get("/claims/"))


def test_the_idle_sign_out_says_one_minute_in_the_singular(client, settings):
    settings.PORTAL_IDLE_TIMEOUT_SECONDS = 60
    page = text_of(client.get("/accounts/login/", {"signed_out": "idle"}))
    assert "You were signed out after 1 minute without activity, to protect your account." in page
    assert "1 minutes" not in page
    settings.PORTAL_IDLE_TIMEOUT_SECONDS = 15 * 60
    assert "You were signed out after 15 minutes without activity" in text_of(
        client.get("/accounts/login/", {"signed_out": "idle"})
    )


@pytest.mark.parametrize(
    ("age", "wording"),
    [
        (timedelta(hours=3), "Your password was last changed today."),
        (timedelta(days=1, hours=1), "Your password was last changed 1 day ago."),
        (timedelta(days=12), "Your password was last changed 12 days ago."),
    ],
)
def test_the_password_age_reads_today_one_day_or_days(client, member, age, wording):
    member.password_changed_at = timezone.now() - age
    member.save(update_fields=["password_changed_at"])
    client.force_login(member)
    page = text_of(client.get("/accounts/security/"))
    assert wording in page
    assert "0 days" not in page


def test_a_plan_named_with_its_network_is_not_followed_by_the_network_again(client, member, enrollment):
    plan = enrollment.plan
    plan.name = "Silver PPO 2500"
    plan.save(update_fields=["name"])
    client.force_login(member)
    page = text_of(client.get("/"))
    assert '<p class="plan-name">Silver PPO 2500</p>' in page
    assert "Silver PPO 2500 PPO" not in page


def test_a_plan_name_without_its_network_keeps_the_network_tag(client, member, enrollment):
    Plan.objects.filter(pk=enrollment.plan_id).update(name="Silver 2500")
    client.force_login(member)
    assert 'Silver 2500 <span class="tag">PPO</span>' in text_of(client.get("/"))


def test_the_security_page_counts_minutes_and_hours_in_the_singular_too(client, settings):
    settings.PORTAL_IDLE_TIMEOUT_SECONDS = 60
    settings.PORTAL_IDLE_WARNING_SECONDS = 60
    settings.PORTAL_SESSION_MAX_SECONDS = 3600
    settings.PORTAL_RESET_LOCK_SECONDS = 60
    page = text_of(client.get("/security/"))
    assert "<strong>1 minute</strong>, you are signed out." in page
    assert "About 1 minute before that" in page and "Every session also ends after 1 hour." in page
    assert "rests for 1 minute." in page
    assert "1 minutes" not in page and "1 hours" not in page
