"""Realistic demo data: plans, providers, and members with families and adjudicated claims.

Every member's data is drawn from a random generator seeded with their username, so a run makes
the same data each time. Members are written in batches with bulk_create.
"""

import random
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from security.audit import Kind, record_event

from .benefits import Benefit, Spent, cents, plan_year_end, share_cost
from .models import Claim, ContactDetails, Dependent, Enrollment, Plan, Provider, ServiceLine

DEMO_USERNAME = "demo"
BATCH_SIZE = 250
HISTORY_DAYS = 420
IN_REVIEW_DAYS = 10

PLANS = [
    {
        "code": "GOLD-PPO-1000",
        "name": "Gold PPO 1000",
        "network": Plan.Network.PPO,
        "deductible_individual": "1000.00",
        "deductible_family": "2000.00",
        "out_of_pocket_max_individual": "4500.00",
        "out_of_pocket_max_family": "9000.00",
        "coinsurance_percent": 20,
        "copay_primary_care": "20.00",
        "copay_specialist": "40.00",
        "copay_urgent_care": "50.00",
        "copay_emergency": "250.00",
        "rx_bin": "610014",
        "rx_pcn": "MPRX",
        "rx_group": "MPGOLD",
    },
    {
        "code": "SILVER-PPO-2500",
        "name": "Silver PPO 2500",
        "network": Plan.Network.PPO,
        "deductible_individual": "2500.00",
        "deductible_family": "5000.00",
        "out_of_pocket_max_individual": "7000.00",
        "out_of_pocket_max_family": "14000.00",
        "coinsurance_percent": 30,
        "copay_primary_care": "30.00",
        "copay_specialist": "60.00",
        "copay_urgent_care": "75.00",
        "copay_emergency": "350.00",
        "rx_bin": "610014",
        "rx_pcn": "MPRX",
        "rx_group": "MPSILVER",
    },
    {
        "code": "BRONZE-HMO-5000",
        "name": "Bronze HMO 5000",
        "network": Plan.Network.HMO,
        "deductible_individual": "5000.00",
        "deductible_family": "10000.00",
        "out_of_pocket_max_individual": "8500.00",
        "out_of_pocket_max_family": "17000.00",
        "coinsurance_percent": 40,
        "copay_primary_care": "45.00",
        "copay_specialist": "90.00",
        "copay_urgent_care": "100.00",
        "copay_emergency": "500.00",
        "rx_bin": "610014",
        "rx_pcn": "MPRX",
        "rx_group": "MPBRONZE",
    },
]

PROVIDERS = [
    ("Maple Grove Family Medicine", "Family Medicine", "Springfield", "IL"),
    ("Priya Raman, MD", "Family Medicine", "Madison", "WI"),
    ("Cedar Street Primary Care", "Family Medicine", "Columbus", "OH"),
    ("Lakeshore Pediatrics", "Pediatrics", "Springfield", "IL"),
    ("Little Oaks Children's Clinic", "Pediatrics", "Columbus", "OH"),
    ("Heartland Cardiology Associates", "Cardiology", "Madison", "WI"),
    ("Clearview Dermatology", "Dermatology", "Springfield", "IL"),
    ("Summit Orthopedics and Sports Medicine", "Orthopedic Surgery", "Columbus", "OH"),
    ("Riverside Physical Therapy", "Physical Therapy", "Madison", "WI"),
    ("Northside Imaging Center", "Radiology", "Springfield", "IL"),
    ("Precision Diagnostics Laboratory", "Laboratory", "Columbus", "OH"),
    ("Great Lakes Clinical Lab", "Laboratory", "Madison", "WI"),
    ("QuickCare Urgent Care", "Urgent Care", "Springfield", "IL"),
    ("Westgate Walk-In Clinic", "Urgent Care", "Columbus", "OH"),
    ("St. Brendan's Hospital Emergency Department", "Emergency Medicine", "Madison", "WI"),
    ("Valley Gastroenterology", "Gastroenterology", "Springfield", "IL"),
]

# Procedure code: (what the member reads on the EOB, how its cost is shared, a typical billed amount).
SERVICES = {
    "99396": ("Preventive visit, established patient, age 40 to 64", Benefit.PREVENTIVE, "285.00"),
    "99393": ("Preventive visit, established patient, age 5 to 11", Benefit.PREVENTIVE, "240.00"),
    "90686": ("Flu vaccine, preservative free", Benefit.PREVENTIVE, "48.00"),
    "77067": ("Screening mammogram, both breasts", Benefit.PREVENTIVE, "330.00"),
    "99213": ("Office visit, established patient, 20 to 29 minutes", Benefit.PRIMARY_CARE, "185.00"),
    "99214": ("Office visit, established patient, 30 to 39 minutes", Benefit.PRIMARY_CARE, "265.00"),
    "87880": ("Rapid strep test", Benefit.OTHER, "42.00"),
    "80053": ("Comprehensive metabolic panel", Benefit.OTHER, "96.00"),
    "85025": ("Complete blood count with differential", Benefit.OTHER, "52.00"),
    "80061": ("Lipid panel", Benefit.OTHER, "78.00"),
    "83036": ("Hemoglobin A1c", Benefit.OTHER, "64.00"),
    "99204": ("New patient visit, 45 to 59 minutes", Benefit.SPECIALIST, "395.00"),
    "99243": ("Office consultation, 40 minutes", Benefit.SPECIALIST, "310.00"),
    "93000": ("Electrocardiogram with interpretation", Benefit.OTHER, "125.00"),
    "11102": ("Skin biopsy, first lesion", Benefit.OTHER, "265.00"),
    "88305": ("Pathology examination of tissue", Benefit.OTHER, "180.00"),
    "S9083": ("Urgent care visit", Benefit.URGENT_CARE, "215.00"),
    "71046": ("Chest X-ray, 2 views", Benefit.OTHER, "245.00"),
    "99284": ("Emergency department visit, moderately high severity", Benefit.EMERGENCY, "1480.00"),
    "73721": ("MRI of knee without contrast", Benefit.OTHER, "2150.00"),
    "76700": ("Ultrasound of abdomen, complete", Benefit.OTHER, "620.00"),
    "97161": ("Physical therapy evaluation, low complexity", Benefit.SPECIALIST, "210.00"),
    "97110": ("Therapeutic exercises, each 15 minutes", Benefit.OTHER, "92.00"),
    "45378": ("Diagnostic colonoscopy", Benefit.OTHER, "3150.00"),
    "29881": ("Knee arthroscopy with meniscectomy", Benefit.OTHER, "9800.00"),
}

# What a visit to each kind of provider bills, and how often members go there.
VISITS = {
    "Family Medicine": (30, [["99396", "80061", "85025"], ["99213"], ["99214", "83036"], ["99213", "87880"]]),
    "Pediatrics": (0, [["99393", "90686"], ["99213", "87880"], ["99213"]]),
    "Cardiology": (4, [["99204", "93000"], ["99243", "93000"]]),
    "Dermatology": (5, [["99204"], ["99243", "11102", "88305"]]),
    "Orthopedic Surgery": (4, [["99204", "71046"], ["29881"]]),
    "Physical Therapy": (6, [["97161", "97110", "97110"], ["97110", "97110", "97110"]]),
    "Radiology": (6, [["73721"], ["76700"], ["77067"]]),
    "Laboratory": (14, [["80053", "85025"], ["83036", "80061"]]),
    "Urgent Care": (10, [["S9083"], ["S9083", "71046"], ["S9083", "87880"]]),
    "Emergency Medicine": (2, [["99284", "80053", "71046"]]),
    "Gastroenterology": (2, [["99243"], ["45378"]]),
}
CHILD_VISITS = {"Pediatrics": 30, "Urgent Care": 10, "Laboratory": 4, "Emergency Medicine": 2, "Dermatology": 2}

DENIALS = [
    "We denied this claim because it repeats one we already processed. You owe nothing for it.",
    "We denied this claim because the provider did not send the records we asked for. "
    "You owe nothing for it; the provider may send the claim again.",
]

FIRST_NAMES = [
    "Olivia", "Liam", "Amara", "Mateo", "Sofia", "Noah", "Aisha", "Ethan", "Mei", "Lucas", "Zoë", "Diego",
    "Hannah", "Omar", "Grace", "Kenji", "Isabella", "Samuel", "Priya", "Elijah", "Chloe", "José", "Fatima",
    "Henry", "Leah", "Arjun", "Naomi", "Caleb", "Ingrid", "Malik",
]  # fmt: skip
LAST_NAMES = [
    "Johnson", "García", "Okafor", "Chen", "Patel", "Williams", "Nguyễn", "Kowalski", "Martinez", "O'Brien",
    "Haddad", "Tanaka", "Brown", "Rossi", "Schmidt", "Kim", "Anderson", "Mensah", "Larsen", "Silva",
]  # fmt: skip
GROUPS = [
    ("0041720", "Riverbend Logistics"),
    ("0052291", "Harbor Point Schools"),
    ("0060418", "Cedar & Pine Architects"),
    ("0073355", "Lakeside Manufacturing"),
    ("0089102", "Summit Credit Union"),
]
STREETS = ["Oak Street", "Maple Avenue", "Elm Row", "Lincoln Road", "Park Place", "Hillcrest Drive", "Water Street"]
TOWNS = [("Springfield", "IL", "62704"), ("Madison", "WI", "53703"), ("Columbus", "OH", "43215")]


@dataclass
class Visit:
    day: date
    person: object  # None for the member, or a Dependent
    provider: Provider
    codes: list


def seed_demo(*, members=0, today=None, progress=None):
    """Plans, providers, the demo member's family and claims (once), and `members` more members.

    Returns counts of what was created. Running it again creates only what is missing.
    """
    today = today or timezone.localdate()
    created = Counter()
    plans = _ensure_plans(created)
    providers = _ensure_providers(created)
    _seed_demo_member(plans, providers, today, created)
    usernames = [f"member{n:05d}" for n in range(1, members + 1)]
    for start in range(0, len(usernames), BATCH_SIZE):
        _seed_batch(usernames[start : start + BATCH_SIZE], plans, providers, today, created)
        if progress is not None:
            progress(min(start + BATCH_SIZE, len(usernames)), len(usernames))
    return created


def _ensure_plans(created):
    existing = {plan.code: plan for plan in Plan.objects.filter(code__in=[p["code"] for p in PLANS])}
    missing = [Plan(**fields) for fields in PLANS if fields["code"] not in existing]
    Plan.objects.bulk_create(missing)
    created["plans"] += len(missing)
    return list(Plan.objects.filter(code__in=[p["code"] for p in PLANS]).order_by("code"))


def npi(n):
    """A valid-looking National Provider Identifier: 9 digits and the Luhn check digit (prefix 80840)."""
    base = f"1{(n * 104729) % 10**8:08d}"
    digits = [int(d) for d in "80840" + base]
    total = 0
    for i, digit in enumerate(reversed(digits)):
        if i % 2 == 0:
            digit *= 2
            digit = digit - 9 if digit > 9 else digit
        total += digit
    return base + str((10 - total % 10) % 10)


def _ensure_providers(created):
    wanted = {npi(n): row for n, row in enumerate(PROVIDERS, start=1)}
    existing = set(Provider.objects.filter(npi__in=wanted).values_list("npi", flat=True))
    missing = [
        Provider(npi=number, name=name, specialty=specialty, city=city, state=state)
        for number, (name, specialty, city, state) in wanted.items()
        if number not in existing
    ]
    Provider.objects.bulk_create(missing)
    created["providers"] += len(missing)
    by_specialty = {}
    for provider in Provider.objects.filter(npi__in=wanted).order_by("npi"):
        by_specialty.setdefault(provider.specialty, []).append(provider)
    return by_specialty


@transaction.atomic
def _seed_demo_member(plans, providers, today, created):
    member = User.objects.filter(username=DEMO_USERNAME).first()
    if member is None:
        # scripts/run-portal gives the demo member a password; until then nobody can sign in as it.
        member = User.objects.create(
            username=DEMO_USERNAME,
            email="demo@example.com",
            first_name="Dana",
            last_name="Demo",
            password=make_password(None),
        )
        record_event(Kind.MEMBER_CREATED, member=member, actor="seed_demo")
        created["members"] += 1
    if Enrollment.objects.filter(member=member).exists():
        return
    rng = random.Random(DEMO_USERNAME)
    silver = next(plan for plan in plans if plan.code == "SILVER-PPO-2500")
    enrollment = _enrollment(member, silver, GROUPS[0], today)
    enrollment.save()
    family = [
        Dependent(enrollment=enrollment, suffix=1, first_name="Alex", last_name=member.last_name or "Demo",
                  relationship=Dependent.Relationship.SPOUSE, date_of_birth=date(1986, 4, 12)),
        Dependent(enrollment=enrollment, suffix=2, first_name="Riley", last_name=member.last_name or "Demo",
                  relationship=Dependent.Relationship.CHILD, date_of_birth=date(2016, 9, 3)),
    ]  # fmt: skip
    Dependent.objects.bulk_create(family)
    ContactDetails.objects.get_or_create(
        member=member,
        defaults={"phone": "(217) 555-0142", "address_line1": "48 Elm Row", "city": "Springfield",
                  "state": "IL", "postal_code": "62704"},
    )  # fmt: skip
    visits = _visits(rng, family, providers, today, count=29)
    # The demo shows every state a claim can be in: the newest in review, one denied.
    visits.append(Visit(today - timedelta(days=2), None, providers["Family Medicine"][0], ["99214", "83036"]))
    visits.sort(key=lambda visit: visit.day)
    claims, lines = _adjudicate(rng, enrollment, visits, today, denied_indexes={len(visits) // 3})
    _save_claims(claims, lines, created)
    created["dependents"] += len(family)
    created["demo_members"] += 1


def _seed_batch(usernames, plans, providers, today, created):
    with transaction.atomic():
        taken = set(User.objects.filter(username__in=usernames).values_list("username", flat=True))
        new = [name for name in usernames if name not in taken]
        if not new:
            return
        rngs = {name: random.Random(name) for name in new}
        members = []
        for name in new:
            rng = rngs[name]
            members.append(
                User(
                    username=name,
                    email=f"{name}@example.com",
                    first_name=rng.choice(FIRST_NAMES),
                    last_name=rng.choice(LAST_NAMES),
                    # No password: these members fill the database; support can let one in if needed.
                    password=make_password(None),
                )
            )
        User.objects.bulk_create(members)
        enrollments = [_enrollment(m, rngs[m.username].choice(plans), rngs[m.username].choice(GROUPS), today)
                       for m in members]  # fmt: skip
        Enrollment.objects.bulk_create(enrollments)
        families = {e.pk: _family(rngs[e.member.username], e, today) for e in enrollments}
        Dependent.objects.bulk_create([d for family in families.values() for d in family])
        ContactDetails.objects.bulk_create([_contact(rngs[m.username], m) for m in members])
        all_claims, all_lines = [], []
        for enrollment in enrollments:
            rng = rngs[enrollment.member.username]
            visits = _visits(rng, families[enrollment.pk], providers, today, count=rng.randint(4, 24))
            claims, lines = _adjudicate(rng, enrollment, visits, today)
            all_claims += claims
            all_lines += lines
        _save_claims(all_claims, all_lines, created)
        created["members"] += len(members)
        created["dependents"] += sum(len(family) for family in families.values())


def _enrollment(member, plan, group, today):
    plan_year_start = date(today.year, 1, 1)
    return Enrollment(
        member=member,
        plan=plan,
        # Unique for every member: the primary key times a number coprime to 10^9, modulo 10^9.
        member_number=f"MP{(member.pk * 7_654_321) % 10**9:09d}",
        group_number=group[0],
        group_name=group[1],
        coverage_start=date(today.year - 1, 1, 1),
        plan_year_start=plan_year_start,
    )


def _family(rng, enrollment, today):
    """No one, a spouse, children or both: (relationship, youngest and oldest age) for each."""
    family = []
    if rng.random() < 0.5:
        family.append((Dependent.Relationship.SPOUSE, 25, 60))
    family += [(Dependent.Relationship.CHILD, 1, 20)] * rng.choice([0, 0, 1, 2, 3])
    return [
        Dependent(
            enrollment=enrollment,
            suffix=n,
            first_name=rng.choice(FIRST_NAMES),
            last_name=enrollment.member.last_name,
            relationship=relationship,
            date_of_birth=date(today.year - rng.randint(youngest, oldest), rng.randint(1, 12), rng.randint(1, 28)),
        )
        for n, (relationship, youngest, oldest) in enumerate(family, start=1)
    ]


def _contact(rng, member):
    town, state, postal_code = rng.choice(TOWNS)
    return ContactDetails(
        member=member,
        phone=f"({rng.choice(['217', '608', '614'])}) 555-01{rng.randint(0, 99):02d}",
        address_line1=f"{rng.randint(2, 2999)} {rng.choice(STREETS)}",
        city=town,
        state=state,
        postal_code=postal_code,
    )


def _visits(rng, family, providers, today, *, count):
    """`count` visits by the member and their family over the last HISTORY_DAYS, oldest first."""
    people = [None, *family]
    visits = []
    for _ in range(count):
        person = rng.choice(people)
        child = person is not None and person.relationship == Dependent.Relationship.CHILD
        weights = CHILD_VISITS if child else {name: weight for name, (weight, _) in VISITS.items() if weight}
        specialty = rng.choices(list(weights), weights=list(weights.values()))[0]
        day = today - timedelta(days=rng.randint(1, HISTORY_DAYS))
        visits.append(Visit(day, person, rng.choice(providers[specialty]), rng.choice(VISITS[specialty][1])))
    visits.sort(key=lambda visit: visit.day)
    return visits


def _adjudicate(rng, enrollment, visits, today, denied_indexes=()):
    """Claims and their lines for `visits`, cost shared in order of service, plan year by plan year."""
    plan = enrollment.plan
    claims, lines = [], []
    spent = {}  # plan year start -> (family Spent, {person key: Spent})
    for index, visit in enumerate(visits):
        received = min(today, visit.day + timedelta(days=rng.randint(2, 9)))
        in_review = (today - received).days < IN_REVIEW_DAYS
        denied = not in_review and (index in denied_indexes or (not denied_indexes and rng.random() < 0.04))
        claim = Claim(
            enrollment=enrollment,
            dependent=visit.person,
            provider=visit.provider,
            claim_number=f"{visit.day:%y}{enrollment.pk:08d}{index:03d}",
            service_date=visit.day,
            received_on=received,
            processed_on=None if in_review else min(today, received + timedelta(days=rng.randint(5, 20))),
            status=Claim.Status.IN_REVIEW if in_review else Claim.Status.DENIED if denied else Claim.Status.PROCESSED,
            status_note=rng.choice(DENIALS) if denied else "",
        )
        claims.append(claim)
        year = _plan_year_of(enrollment, visit.day)
        family, people = spent.setdefault(year, (Spent(), {}))
        person = people.setdefault(visit.person.suffix if visit.person else 0, Spent())
        discount = Decimal(rng.randint(42, 72)) / 100
        for number, code in enumerate(visit.codes, start=1):
            description, benefit, typical = SERVICES[code]
            billed = cents(Decimal(typical) * Decimal(rng.randint(92, 115)) / 100)
            line = ServiceLine(
                claim=claim,
                line_number=number,
                service_date=visit.day,
                procedure_code=code,
                description=description,
                billed=billed,
                allowed=Decimal("0.00"),
                plan_paid=Decimal("0.00"),
                deductible=Decimal("0.00"),
                copay=Decimal("0.00"),
                coinsurance=Decimal("0.00"),
                member_owes=Decimal("0.00"),
            )
            if claim.status == Claim.Status.PROCESSED:
                share = share_cost(plan=plan, benefit=benefit, allowed=billed * discount, person=person, family=family)
                person.add(share)
                family.add(share)
                line.allowed, line.plan_paid = share.allowed, share.plan_paid
                line.deductible, line.copay, line.coinsurance = share.deductible, share.copay, share.coinsurance
                line.member_owes = share.member_owes
            lines.append(line)
    return claims, lines


def _plan_year_of(enrollment, day):
    start = enrollment.plan_year_start
    while day < start:
        start = start.replace(year=start.year - 1)
    while day >= plan_year_end(start):
        start = plan_year_end(start)
    return start


def _save_claims(claims, lines, created):
    Claim.objects.bulk_create(claims, batch_size=1000)
    for line in lines:
        line.claim_id = line.claim.pk  # the claim had no primary key when the line was made
    ServiceLine.objects.bulk_create(lines, batch_size=2000)
    created["claims"] += len(claims)
    created["service_lines"] += len(lines)
