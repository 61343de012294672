"""manage.py seed_demo: realistic demo data, fast, safe to run again."""

from datetime import date
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db.models import F, Max, Sum

from accounts.models import User
from portal.models import Claim, Enrollment, ServiceLine
from security.models import SecurityEvent


def seed(*args):
    out, err = StringIO(), StringIO()
    call_command("seed_demo", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_it_gives_the_demo_member_a_family_and_claims_in_every_state(db, make_member):
    demo = make_member("demo", first_name="Dana", last_name="Demo")
    out, _ = seed()

    enrollment = Enrollment.objects.get(member=demo)
    assert enrollment.dependents.count() == 2
    statuses = set(Claim.objects.filter(enrollment=enrollment).values_list("status", flat=True))
    assert statuses == {Claim.Status.PROCESSED, Claim.Status.IN_REVIEW, Claim.Status.DENIED}
    assert Claim.objects.filter(enrollment=enrollment).count() == 30
    assert "Demo member 'demo': coverage, family and claims created." in out
    assert "Created 3 plans, 16 providers, 0 members, 2 dependents, 30 claims" in out
    demo.refresh_from_db()
    assert demo.check_password("correct horse battery staple")  # the demo's password is left alone


def test_it_leaves_the_demo_member_as_it_was_when_run_again(db, make_member):
    make_member("demo")
    seed()
    before = list(Claim.objects.order_by("id").values_list("claim_number", "status"))
    out, _ = seed()
    assert list(Claim.objects.order_by("id").values_list("claim_number", "status")) == before
    assert "already has its data; left as it was" in out
    assert "Created 0 plans, 0 providers, 0 members, 0 dependents, 0 claims, 0 service lines" in out


def test_it_creates_the_demo_member_without_a_password_when_missing(db):
    seed()
    demo = User.objects.get(username="demo")
    assert not demo.has_usable_password() and demo.needs_security_questions
    assert SecurityEvent.objects.filter(member=demo, kind=SecurityEvent.Kind.MEMBER_CREATED).exists()


def test_it_makes_more_members_in_batches_with_progress_and_only_once(db):
    out, err = seed("--members", "260")
    assert User.objects.filter(username__startswith="member").count() == 260
    assert Enrollment.objects.count() == 261
    assert "Members: 250/260" in err and "Members: 260/260" in err
    assert "Created 3 plans, 16 providers, 261 members," in out
    seed("--members", "270")
    assert User.objects.filter(username__startswith="member").count() == 270


def test_its_claims_add_up_like_a_real_explanation_of_benefits(db):
    seed("--members", "40")
    lines = ServiceLine.objects.all()
    assert lines.filter(allowed__gt=F("billed")).count() == 0
    for line in lines.filter(claim__status=Claim.Status.PROCESSED):
        assert line.member_owes == line.deductible + line.copay + line.coinsurance
        assert line.allowed == line.plan_paid + line.member_owes
        assert line.plan_paid >= 0
    assert not lines.exclude(claim__status=Claim.Status.PROCESSED).filter(allowed__gt=0).exists()
    # Nobody pays more than their plan's out-of-pocket maximum in a plan year.
    this_year = date(date.today().year, 1, 1)
    per_member = (
        lines.filter(claim__status=Claim.Status.PROCESSED, service_date__gte=this_year, claim__dependent=None)
        .values("claim__enrollment")
        .annotate(total=Sum("member_owes"), limit=Max("claim__enrollment__plan__out_of_pocket_max_individual"))
    )
    assert len(per_member) > 20
    assert all(Decimal(row["total"]) <= row["limit"] for row in per_member)


def test_it_refuses_a_negative_count(db):
    with pytest.raises(CommandError):
        seed("--members", "-1")


class Terminal(StringIO):
    def isatty(self):
        return True


def test_it_draws_a_progress_bar_on_a_terminal(db):
    terminal = Terminal()
    call_command("seed_demo", "--members", "300", stdout=StringIO(), stderr=terminal)
    drawn = terminal.getvalue()
    assert "\rMembers [#########################.....] 250/300" in drawn
    assert drawn.endswith("\rMembers [##############################] 300/300\n")
