import pytest
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.cache import cache
from django.utils import timezone, translation

from accounts.models import User
from security.models import SecurityAnswer
from security.questions import normalize_answer

MEMBER_PASSWORD = "correct horse battery staple"


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items):
    """Under pytest-xdist (--dist loadgroup), the live tests take turns on one worker: each starts
    app servers that hash real Argon2id passwords and times what they do, so two at once would
    starve each other on a small machine. Every other test goes to whichever worker is free."""
    for item in items:
        if item.get_closest_marker("live"):
            item.add_marker(pytest.mark.xdist_group("live"))


@pytest.fixture(autouse=True)
def _english_between_tests():
    # The language a request turned on stays on its thread: a later test's code run outside a
    # request (a command, a service) would speak it.
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _fresh_cache():
    # The per-address limit lives in the cache; one test's failures must not throttle the next. Nor
    # may the process's own count, kept while a cache call failed (security.throttle): on a loaded
    # machine a Redis answer can miss its 0.5 s timeout, and that count would carry into later tests.
    from security import throttle

    cache.clear()
    throttle.reset_fallback()
    yield
    cache.clear()
    throttle.reset_fallback()


MEMBER_ANSWERS = {"first_concert": "The Proclaimers", "first_dish": "Omelette", "friend_street": "Elm Row"}


@pytest.fixture
def make_member(db):
    """A member; with security questions already chosen unless with_questions=False."""

    def make(username="alice", password=MEMBER_PASSWORD, with_questions=True, **fields):
        fields.setdefault("email", f"{username}@example.com")
        fields.setdefault("first_name", username.title())
        if with_questions:
            fields.setdefault("security_questions_set_at", timezone.now())
        member = User.objects.create(username=username, password=make_password(password), **fields)
        if with_questions:
            SecurityAnswer.objects.bulk_create(
                SecurityAnswer(member=member, position=n, question=q, answer_hash=make_password(normalize_answer(a)))
                for n, (q, a) in enumerate(MEMBER_ANSWERS.items(), start=1)
            )
        return member

    return make


@pytest.fixture
def member(make_member):
    return make_member()


@pytest.fixture
def live_member(make_member):
    """alice with the real Argon2id hashes (password and answers) that live servers verify; the test
    settings would otherwise store fast ones."""
    member = make_member()
    member.password = make_password(MEMBER_PASSWORD, hasher="argon2")
    member.save(update_fields=["password"])
    for row, answer in zip(member.security_answers.order_by("position"), MEMBER_ANSWERS.values(), strict=True):
        row.answer_hash = make_password(normalize_answer(answer), hasher="argon2")
        row.save(update_fields=["answer_hash"])
    return member


@pytest.fixture
def app_servers(transactional_db, tmp_path):
    """Real gunicorn app servers on this run's database (tests/live); every one stopped at the end."""
    from tests.live import AppServers

    with AppServers(workdir=tmp_path) as servers:
        yield servers


def totp_code(device, at=None):
    """The code an authenticator app shows for `device` at time `at` (default: now)."""
    import time

    from django_otp.oath import TOTP

    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() if at is None else at
    return f"{totp.token():0{device.digits}d}"


@pytest.fixture
def enroll_totp():
    """Give a member a confirmed authenticator device (and no backup codes)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    def enroll(member):
        return TOTPDevice.objects.create(user=member, name="Authenticator app", confirmed=True)

    return enroll


@pytest.fixture
def staff_client(client, make_member, enroll_totp):
    """A client signed in as a superuser who passed two-factor sign-in."""
    staff = make_member("sam", is_staff=True, is_superuser=True, password=MEMBER_PASSWORD)
    device = enroll_totp(staff)
    client.post("/accounts/login/", {"username": "sam", "password": MEMBER_PASSWORD})
    client.post("/accounts/login/code/", {"code": totp_code(device)})
    client.staff = staff
    return client


class Clock:
    """The session policy's clock, moved by hand."""

    def __init__(self, start):
        self.now = start

    def __call__(self):
        return self.now

    def advance(self, seconds):
        self.now += seconds


@pytest.fixture
def clock(monkeypatch):
    import time

    from security import sessions

    fake = Clock(time.time())
    monkeypatch.setattr(sessions, "now", fake)
    return fake


@pytest.fixture
def role_client(make_member, enroll_totp):
    """role_client("Support") / role_client("Security"): a client signed in as staff in that role."""
    from django.test import Client

    def sign_in_as(role):
        staff = make_member(f"{role.lower()}-agent", is_staff=True, with_questions=False)
        staff.groups.add(support_role(role))
        device = enroll_totp(staff)
        client = Client()
        client.post("/accounts/login/", {"username": staff.username, "password": MEMBER_PASSWORD})
        client.post("/accounts/login/code/", {"code": totp_code(device)})
        client.staff = staff
        return client

    return sign_in_as


def support_role(name):
    """The "Support" or "Security" group as the data migration makes it. A test that flushes the
    database (live servers, the browser) removes migration data, so it is made again if missing."""
    import importlib

    from django.contrib.auth.models import Group, Permission

    roles = importlib.import_module("accounts.migrations.0005_support_roles")
    group, created = Group.objects.get_or_create(name=name)
    if created:
        security = [
            *roles.SECURITY,
            ("accounts", "manage_staff_accounts"),  # given by accounts 0007
            ("security", "view_staffsigninpolicy"),  # given by security 0021
            ("security", "change_staffsigninpolicy"),
        ]
        for app_label, codename in {"Support": roles.SUPPORT, "Security": security}[name]:
            group.permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    return group
