"""Every page of the site in the pseudo-locale, as a visitor, a member and staff see it: text that did
not pass through a translation catalog shows up outside ⟦…⟧ and fails the test (tests/pseudo_locale.py).

The pages are all of the project's URL patterns with real values filled in (as tests/test_fuzz.py walks
them), so a page added later is walked too. Data is allowed anywhere: names, numbers, dates' digits,
plan and provider names, zone names and abbreviations.
"""

import re
import zoneinfo

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission

from portal.models import ContactDetails, Dependent, Enrollment, Plan, Provider, ServiceLine
from security.models import MemberSession
from tests.conftest import support_role
from tests.portal.conftest import make_claim, make_enrollment, make_provider, plan  # noqa: F401 - fixtures
from tests.pseudo_locale import pseudo_locale, untranslated_text
from tests.test_fuzz import csrf_client, pages, signed_in, world  # noqa: F401 - world is a fixture

# Answers that are no page: files, data for scripts, the ways out.
NOT_PAGES = re.compile(
    r"(^|/)(logout|jsi18n|keep-alive|status|healthz|download|pdf|export|favicon)|\.(pdf|csv|json|svg)$"
)
# Data the pages show: an abbreviation (a zone's, the card's Rx codes), an email address, a code or a hash.
DATA = re.compile(r"\b[A-Z]{2,5}\b|\S*@\S+|\b[A-Z]{1,3}-?\d[\w-]*\b|\b[0-9a-f]{16,}\b")


# Shown alone, never inside a sentence: role names (stored, as Django stores them), and the alt text
# Django's admin gives its yes/no icons (Django does not translate it).
WHOLE_RUNS = {"Support", "Security", "True", "False"}


def data_of(world):  # noqa: F811 - the fixture's value
    member, victim = world["member"], world["victim"]
    values = [settings.PORTAL_SUPPORT_PHONE, "Pseudo", "English", "Español", world["card_id"], world["claim_number"]]
    for person in (member, victim):
        values += [person.username, person.first_name, person.last_name, person.email]
    values += ["sam", "Sam", "rowan", "Rowan", "Member Portal"]  # the brand is a name, in every language
    # Stored names: permissions and roles (Django keeps them in the database), zones, browsers.
    values += [f"| {name}" for name in Permission.objects.values_list("name", flat=True)]
    values += sorted({zone for name in zoneinfo.available_timezones() for zone in (name, name.replace("_", " "))})
    values += list(MemberSession.objects.values_list("user_agent", flat=True))
    values += [name for each in Plan.objects.all() for name in (each.name, str(each))]
    values += [name for provider in Provider.objects.all() for name in (provider.name, provider.specialty)]
    values += [name for person in Dependent.objects.all() for name in (person.first_name, person.last_name)]
    values += [f"{contact.city}, {contact.state}" for contact in ContactDetails.objects.all()]
    values += list(ServiceLine.objects.values_list("description", flat=True))
    values += ["Rx BIN"]  # the pharmacy codes' labels, printed on every US ID card as they are
    values += [
        value
        for enrollment in Enrollment.objects.all()
        for value in (enrollment.group_number, enrollment.group_name, str(enrollment))
    ]
    return [value for value in values if value]


def walk(client, world, code):  # noqa: F811 - the fixture's value
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = code
    found = {}
    for _pattern, path in pages(world):
        if NOT_PAGES.search(path):
            continue
        response = client.get(path)
        if not response.get("Content-Type", "").startswith("text/html"):
            continue
        page = response.content.decode()
        runs = [run for run in untranslated_text(page, data_of(world)) if DATA.sub("", run).strip(" .,:;()-–·/")]
        runs = [run for run in runs if re.search(r"[^\W\d_]", DATA.sub("", run)) and run not in WHOLE_RUNS]
        if runs:
            found[f"{path} ({response.status_code})"] = runs
    return found


def report(found):
    return "text that did not pass through a catalog:\n" + "\n".join(f"{path}: {runs}" for path, runs in found.items())


@pytest.fixture
def security_staff(make_member, enroll_totp):
    """Staff with the Security role (it can do all the Support role can, and more): the support site
    as staff see it. A superuser would also see the libraries' own admin pages, untranslated."""
    staff = make_member("rowan", is_staff=True)
    staff.groups.add(support_role("Security"))
    return enroll_totp(staff)


@pytest.mark.parametrize("who", ["visitor", "member", "staff"])
def test_every_page_shows_only_text_from_a_catalog(settings, tmp_path, world, security_staff, who):  # noqa: F811
    with pseudo_locale(settings, tmp_path) as code:
        client = {
            "visitor": csrf_client,
            "member": lambda: signed_in("alice"),
            "staff": lambda: signed_in("rowan", security_staff),
        }[who]()
        found = walk(client, world, code)
    assert not found, report(found)
