"""Hostile and malformed input sent to every page of the site, as each kind of visitor: never a 5xx.

Every URL pattern of the project (walked from the resolver) is requested as an anonymous visitor,
as a signed-in member and as signed-in staff (two-factor verified), with CSRF checks enforced as
in production. For each: odd methods, odd query parameters, bodies in the wrong content type or
charset or not UTF-8, and every form the page shows, submitted with each hostile value in its
fields. Every answer must be below 500; the refusals the edge promises (405, 400) are checked too.
"""

import re
from html.parser import HTMLParser
from urllib.parse import quote, urljoin, urlsplit

import pytest
from django.http import HttpResponse
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django_otp.plugins.otp_totp.models import TOTPDevice

from portal.models import ContactDetails
from security.models import MemberSession, SecurityAnswer, SecurityEvent
from tests.conftest import MEMBER_PASSWORD, support_role, totp_code
from tests.portal.conftest import make_claim, make_enrollment, make_provider, plan  # noqa: F401 - fixtures

MEGABYTE = 1024 * 1024
FORM = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data; boundary=XX"

# Each value as it goes on the wire, already form-encoded, so that invalid bytes stay invalid.
HOSTILE = {
    "empty": b"",
    "1 MB": b"a" * MEGABYTE,
    "NUL": b"ab%00cd",
    "invalid UTF-8": b"ab%FF%FEcd",
    "lone surrogate": b"ab%ED%A0%80cd",
    # Cyrillic a, fullwidth and Arabic-Indic digits, a fullwidth at sign.
    "look-alike": quote("\u0430lice \uff15\uff15\uff15 \u0663\u0663\u0663 x\uff20example.com").encode(),
    "bidi controls": quote("\u202e555\u202c\u2066201\u2069\u200b4477\ufeff").encode(),
}
# The values a form must refuse whatever the field; the others may be valid somewhere (an address).
REFUSED = ("1 MB", "NUL", "invalid UTF-8", "lone surrogate")
ODD_METHODS = ("PUT", "PATCH", "DELETE", "OPTIONS", "TRACE")
# Odd query parameters: first refused at the edge (400), then ones that reach the view.
EDGE_QUERIES = ("next=%00", "page=%00", "q=ab%FFcd", "q=%ED%A0%80", "next=/a%00b")
VIEW_QUERIES = (
    "next=abc&page=-1&p=-1&o=-1&_to_field=password",
    "next=//evil.example/&page=99999999999999999999&p=99999999999999999999&q=" + HOSTILE["look-alike"].decode(),
    "next=http://evil.example/&next=/a&page=1&page=2&q=" + HOSTILE["bidi controls"].decode(),
    "next=%5C%5Cevil.example&o=" + "9" * 40 + "&e=1&_popup=1",
    "q=" + "a" * 8000,  # as long as the edge lets through: every search field's LIKE pattern copes
)
# On each page that has a form: a megabyte of query string, longer than the edge accepts (400).
HUGE_QUERY = "next=" + "a" * MEGABYTE + "&q=" + "%E2%80%AE" * 1000
# Sample values for URL parameters, and what each becomes when hostile (the NUL ones meet the edge).
PATH_VARIANTS = ("abc", "%00", "%ED%A0%80", "\uff12\uff16\u0663", "9" * 30, "-1", "a" * 5000)


class FormFinder(HTMLParser):
    """The forms of a page: method, action, and each named field with the value the page gives it."""

    def __init__(self):
        super().__init__()
        self.forms = []
        self._select = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append({"method": (attrs.get("method") or "get").upper(), "action": attrs.get("action") or ""})
            self.forms[-1]["fields"] = []
        elif not self.forms or "name" not in attrs and tag != "option":
            return
        elif tag in ("input", "button", "textarea"):
            kind = attrs.get("type", "text" if tag != "button" else "submit")
            if kind in ("checkbox", "radio") and "checked" not in attrs:
                return
            self.forms[-1]["fields"].append((attrs["name"], kind, attrs.get("value") or ""))
        elif tag == "select":
            self._select = [attrs["name"], None]
            self.forms[-1]["fields"].append((attrs["name"], "select", ""))
        elif tag == "option" and self._select is not None:
            value = attrs.get("value") or ""
            if self._select[1] is None or "selected" in attrs:
                self._select[1] = value
                name = self._select[0]
                self.forms[-1]["fields"] = [f for f in self.forms[-1]["fields"] if f[0] != name]
                self.forms[-1]["fields"].append((name, "select", value))

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None


def forms_of(html):
    finder = FormFinder()
    finder.feed(html)
    return finder.forms


def url_patterns(resolver=None, prefix=""):
    """Every URL pattern of the project as one string: "claims/<str:claim_number>/", "admin/^(?P<...>)$"."""
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            yield from url_patterns(pattern, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern)


PARAMETER = re.compile(r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>[^)]*\)")


def fill(pattern, values):
    """A path for `pattern`, each parameter (path converter or regex group) replaced by values(name)."""
    path = PARAMETER.sub(lambda match: values(match[1] or match[2]), pattern)
    return "/" + path.replace("^", "").replace("$", "")


def parameters(pattern):
    return [match[1] or match[2] for match in PARAMETER.finditer(pattern)]


class Fuzzer:
    """Sends every hostile request for one visitor and notes each answer that breaks the promise."""

    def __init__(self, client, *, skip_actions=(), queries=VIEW_QUERIES):
        self.client = client
        self.skip_actions = set(skip_actions)
        self.queries = queries
        self.failures = []
        self.seen_forms = set()
        self.requests = 0

    def token(self):
        cookie = self.client.cookies.get("csrftoken")
        return cookie.value if cookie else ""

    def send(self, method, path, body=b"", content_type="application/octet-stream", case="", expect=None, **headers):
        self.requests += 1
        try:
            response = self.client.generic(method, path, body, content_type=content_type, **headers)
        except Exception as error:  # noqa: BLE001 - raised even by the error page: a 500 for the visitor
            self.failures.append(f"{method} {path[:120]} [{case}] -> {type(error).__name__}: {str(error)[:80]}")
            return None
        status = response.status_code
        if status >= 500 or (expect is not None and status != expect):
            self.failures.append(f"{method} {path[:120]} [{case}] -> {status}")
        return response

    def visit(self, path):
        page = self.send("GET", path, case="plain GET") or HttpResponse(status=500)
        for method in ODD_METHODS:
            self.send(method, path, case=method, expect=405)
        for query in EDGE_QUERIES:
            self.send("GET", f"{path}?{query}", case=query[:40], expect=400)
        for query in self.queries:
            self.send("GET", f"{path}?{query}", case=query[:40])
        if urlsplit(path).path not in self.skip_actions:
            self.post_bodies(path)
        forms = forms_of(page.content.decode()) if "text/html" in page.get("Content-Type", "") else []
        if page.status_code == 200 and forms:
            self.send("GET", f"{path}?{HUGE_QUERY}", case="1 MB query", expect=400)
        for form in forms if page.status_code == 200 else []:
            self.submit_form(path, form)

    def post_bodies(self, path):
        token = self.token().encode()
        form = b"csrfmiddlewaretoken=" + token + b"&username=alice&next=abc"
        cases = [
            (form.decode().encode("utf-16"), f"{FORM}; charset=utf-16", 400),
            (form, f"{FORM}; charset=latin-1", 400),
            (form, f"{FORM}; charset=bogus", 400),
            (form + b"&x=%FF%FE", FORM, 400),
            (form + b"&x=%ED%A0%80", FORM, 400),
            (form + b"&x=\xff\xfe", FORM, 400),
            (form + b"".join(b"&f%d=x" % n for n in range(2000)), FORM, 400),
            (form + b"&x=" + b"a" * (3 * MEGABYTE), FORM, 400),
            (multipart({"csrfmiddlewaretoken": token, "username": b"al\xff\x00ice", "next": b"abc"}), MULTIPART, None),
            (multipart({"csrfmiddlewaretoken": token}), f"{MULTIPART}; charset=utf-16", 400),
            (b"--XX\r\nContent-Disposition: form-data; name=\r\n\r\n", MULTIPART, None),
            (b'{"username": "alice", "next": "abc"}', "application/json", None),
            (b"username=alice", "text/plain; charset=utf-16", None),
            (form, "", None),
        ]
        for body, content_type, expect in cases:
            self.send("POST", path, body, content_type, case=f"{content_type} {body[:20]!r}", expect=expect)

    def submit_form(self, page_path, form):
        action = urljoin(page_path, form["action"])
        if urlsplit(action).netloc or urlsplit(action).path in self.skip_actions:
            return
        names = tuple(name for name, _, _ in form["fields"])
        if (form["method"], urlsplit(action).path, names) in self.seen_forms:
            return
        self.seen_forms.add((form["method"], urlsplit(action).path, names))
        fields = [(name, kind, quote(value).encode()) for name, kind, value in form["fields"]]
        for label, hostile in HOSTILE.items():
            self.submit(form["method"], action, fields, lambda name, kind, h=hostile: h, f"every field {label}")
        if action.startswith("/admin/"):
            return  # the support site is Django's; every field at once is enough there
        for target, _, _ in fields:
            for label in REFUSED:
                replace = {target: HOSTILE[label]}.get
                self.submit(form["method"], action, fields, lambda name, kind, r=replace: r(name), f"{target} {label}")

    def submit(self, method, action, fields, hostile_for, case):
        pairs = []
        for name, kind, value in fields:
            if name == "csrfmiddlewaretoken":
                pairs.append((name, value))
                continue
            hostile = hostile_for(name, kind)
            if hostile is not None and kind == "password" and hostile not in (HOSTILE[label] for label in REFUSED):
                hostile = b""  # a plausible wrong password only counts toward the freeze, tested elsewhere
            pairs.append((name, value if hostile is None else hostile))
        body = b"&".join(quote(name).encode() + b"=" + value for name, value in pairs)
        if method == "GET":
            separator = "&" if "?" in action else "?"
            self.send("GET", f"{action}{separator}{body.decode('latin-1')}", case=case)
        else:
            self.send("POST", action, body, FORM, case=case)


def multipart(fields):
    part = b'--XX\r\nContent-Disposition: form-data; name="%s"\r\n\r\n%s\r\n'
    return b"".join(part % (name.encode(), value) for name, value in fields.items()) + b"--XX--\r\n"


def csrf_client():
    return Client(enforce_csrf_checks=True, raise_request_exception=False, HTTP_USER_AGENT=BROWSER)


BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Safari/537.36"
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def signed_in(username, device=None):
    """A CSRF-enforcing client that signed in through the sign-in page (and the code step)."""
    client = csrf_client()
    token = CSRF_INPUT.search(client.get("/accounts/login/").content.decode())[1]
    fields = {"username": username, "password": MEMBER_PASSWORD, "csrfmiddlewaretoken": token}
    response = client.post("/accounts/login/", fields)
    assert response.status_code == 302, response.status_code
    if device is not None:
        token = CSRF_INPUT.search(client.get("/accounts/login/code/").content.decode())[1]
        response = client.post("/accounts/login/code/", {"code": totp_code(device), "csrfmiddlewaretoken": token})
        assert response.status_code == 302, response.status_code
    return client


@pytest.fixture
def world(make_member, make_enrollment, make_claim, enroll_totp):  # noqa: F811 - the imported fixtures
    """A member with a family, claims and contact details; staff with two-factor; a member to act on."""
    member = make_member("alice")
    enrollment = make_enrollment(member, dependents=[("Sam", "child")])
    claim = make_claim(enrollment)
    ContactDetails.objects.create(member=member, phone="555-201-4477", city="Springfield", state="IL")
    staff = make_member("sam", is_staff=True, is_superuser=True)
    staff_device = enroll_totp(staff)
    victim = make_member("victor")
    victim_device = enroll_totp(victim)
    group = support_role("Support")
    return {
        "member": member,
        "card_id": f"{enrollment.member_number}-00",
        "claim_number": claim.claim_number,
        "staff_device": staff_device,
        "victim": victim,
        "victim_device": victim_device,
        "group": group,
    }


def sample_value(world, pattern):
    """The real value for each URL parameter, so the fuzz reaches the page behind it."""
    admin_objects = {
        "admin/accounts/user/": world["victim"].pk,
        "admin/auth/group/": world["group"].pk,
        "admin/otp_totp/totpdevice/": world["victim_device"].pk,
    }
    object_id = next((pk for prefix, pk in admin_objects.items() if pattern.startswith(prefix)), 1)
    values = {
        "card_id": world["card_id"],
        "claim_number": world["claim_number"],
        "session_id": MemberSession.objects.order_by("id").values_list("id", flat=True).first() or 1,
        "object_id": object_id,
        "pk": world["victim_device"].pk,
        "id": world["victim"].pk,
        "content_type_id": 1,
        "app_label": "accounts",
        "url": "nowhere/",
        "token": "not-a-token",  # a link that was never sent: its page refuses it (400)
        "passkey_id": 1,  # another member's or nobody's: its pages answer 404
    }
    return lambda name: str(values[name])


def pages(world):
    """(pattern, path): each URL pattern of the project filled with real values."""
    return [(pattern, fill(pattern, sample_value(world, pattern))) for pattern in url_patterns()]


def hostile_paths(world):
    """Each URL pattern with each hostile value in each of its parameters, the others real."""
    for pattern in url_patterns():
        real = sample_value(world, pattern)
        for name in parameters(pattern):
            for variant in PATH_VARIANTS:
                yield fill(pattern, lambda n, name=name, v=variant, real=real: v if n == name else real(n))


def run(fuzzer, world):
    for _, path in pages(world):
        fuzzer.visit(path)
    for path in hostile_paths(world):
        fuzzer.send("GET", path, case="hostile URL parameter")
    return fuzzer


SIGN_OUT = ("/accounts/logout/", "/admin/logout/")


def report(fuzzer):
    shown = "\n".join(fuzzer.failures[:60])
    return f"{len(fuzzer.failures)} of {fuzzer.requests} requests broke the promise:\n{shown}"


def test_it_never_fails_an_anonymous_visitor(world):
    # Only here: the sign-in page signs out a member whom the page's timer sends with ?signed_out=.
    fuzzer = run(Fuzzer(csrf_client(), queries=(*VIEW_QUERIES, "signed_out=abc&next=abc")), world)
    assert not fuzzer.failures, report(fuzzer)


def test_it_never_fails_a_signed_in_member(world):
    # Signing out would end the run's own session; the sign-out page is fuzzed anonymously.
    fuzzer = run(Fuzzer(signed_in("alice"), skip_actions=SIGN_OUT), world)
    assert not fuzzer.failures, report(fuzzer)
    assert fuzzer.client.get("/").status_code == 200, "the member was signed out along the way"


def test_it_never_fails_signed_in_staff(world):
    fuzzer = run(Fuzzer(signed_in("sam", world["staff_device"]), skip_actions=SIGN_OUT), world)
    assert not fuzzer.failures, report(fuzzer)
    assert fuzzer.client.get("/admin/").status_code == 200, "staff were signed out along the way"


def test_it_finds_every_page_and_its_forms(world):
    """The fuzz reaches what it claims to: each URL pattern's own view, and the member's forms."""
    visited = pages(world)
    assert len(visited) >= 75  # the project's patterns, axes' own admin pages (gone from the support site) aside
    for pattern, path in visited:
        assert resolve(path).route.replace("^", "").replace("$", "") == pattern.replace("^", "").replace("$", "")
    client = signed_in("alice")
    actions = set()
    for path in ("/profile/", "/profile/email/", "/accounts/security/password/", "/claims/"):
        for form in forms_of(client.get(path).content.decode()):
            actions.add((form["method"], urljoin(path, form["action"]), tuple(n for n, _, _ in form["fields"])))
    assert ("GET", "/claims/", ("date_from", "date_to", "status", "provider")) in actions
    assert any(action[1] == "/profile/" and "postal_code" in action[2] for action in actions)
    assert any(action[1] == "/profile/email/" and "current_password" in action[2] for action in actions)


# State-changing forms, each with a submission that is valid: one hostile field makes it invalid.
NEW_PASSPHRASE = "a fresh and rather long passphrase 2026"
STATE_CHANGING_FORMS = {
    "/profile/": {
        "phone": "555-201-9999",
        "address_line1": "12 Elm Row",
        "address_line2": "Flat 3",
        "city": "Springfield",
        "state": "IL",
        "postal_code": "62701",
    },
    "/profile/email/": {"email": "alice.new@example.com", "current_password": MEMBER_PASSWORD},
    "/accounts/security/password/": {
        "current_password": MEMBER_PASSWORD,
        "new_password1": NEW_PASSPHRASE,
        "new_password2": NEW_PASSPHRASE,
    },
    "/accounts/security/questions/": {
        "question_1": "first_concert",
        "answer_1": "The Waterboys",
        "question_2": "first_dish",
        "answer_2": "Pancakes with lemon",
        "question_3": "first_video_game",
        "answer_3": "Super Mario Land",
        "current_password": MEMBER_PASSWORD,
    },
    "/accounts/security/two-factor/setup/": {"current_password": MEMBER_PASSWORD},
}
# What only the contact details refuse: a valid address may hold any letters, not these.
CONTACT_HOSTILE = {
    "Arabic-Indic digits": quote("\u0665\u0665\u0665-\u0662\u0660\u0661-\u0664\u0664\u0667\u0667").encode(),
    "fullwidth digits": quote("\uff16\uff12\uff17\uff10\uff11").encode(),
    "bidi override": quote("12 Elm\u202e Row").encode(),
    "bidi isolate": quote("Spring\u2066field\u2069").encode(),
    "zero-width space": quote("6270\u200b1").encode(),
    "byte order mark": quote("\ufeff555-201-9999").encode(),
}


def member_state(member):
    """What a refused submission must leave as it was: the member, their details, the audit log."""
    member.refresh_from_db()
    return {
        "member": (member.email, member.password, member.security_questions_set_at),
        "contact": list(ContactDetails.objects.filter(member=member).values_list("phone", "address_line1", "city")),
        "answers": list(SecurityAnswer.objects.filter(member=member).values_list("question", "answer_hash")),
        "devices": TOTPDevice.objects.filter(user=member).count(),
        "events": list(SecurityEvent.objects.values_list("kind", flat=True)),
        "sessions": MemberSession.objects.filter(member=member).count(),
    }


def encoded(fields, **replaced):
    pairs = [(name, replaced.get(name, quote(value).encode())) for name, value in fields.items()]
    return b"&".join(quote(name).encode() + b"=" + value for name, value in pairs)


@pytest.mark.parametrize("path", list(STATE_CHANGING_FORMS))
def test_it_changes_nothing_when_one_field_is_hostile(world, path):
    client = signed_in("alice")
    fields = {**STATE_CHANGING_FORMS[path], "csrfmiddlewaretoken": client.cookies["csrftoken"].value}
    hostile = {label: HOSTILE[label] for label in REFUSED}
    if path == "/profile/":
        hostile.update(CONTACT_HOSTILE)
    before = member_state(world["member"])
    for name in STATE_CHANGING_FORMS[path]:
        for label, value in hostile.items():
            response = client.post(path, encoded(fields, **{name: value}), content_type=FORM)
            assert response.status_code in (200, 400), (name, label, response.status_code)
            assert member_state(world["member"]) == before, (name, label)
    for content_type in (f"{FORM}; charset=utf-16", f"{FORM}; charset=latin-1", f"{FORM}; charset=bogus"):
        assert client.generic("POST", path, encoded(fields), content_type=content_type).status_code == 400
    assert client.generic("PUT", path, encoded(fields), content_type=FORM).status_code == 405
    assert member_state(world["member"]) == before
    # The control: the same submission without the hostile field does change something.
    assert client.post(path, encoded(fields), content_type=FORM).status_code == 302
    assert member_state(world["member"]) != before


def test_it_signs_nobody_in_when_one_field_is_hostile(world):
    client = csrf_client()
    token = CSRF_INPUT.search(client.get("/accounts/login/").content.decode())[1]
    fields = {"username": "alice", "password": MEMBER_PASSWORD, "next": "/claims/", "csrfmiddlewaretoken": token}
    before = member_state(world["member"])
    for name in ("username", "password"):
        for label in REFUSED:
            response = client.post("/accounts/login/", encoded(fields, **{name: HOSTILE[label]}), content_type=FORM)
            assert response.status_code in (200, 400), (name, label, response.status_code)
            assert "sessionid" not in client.cookies and member_state(world["member"]) == before, (name, label)
    response = client.post("/accounts/login/", encoded(fields), content_type=FORM)
    assert response.status_code == 302 and response["Location"] == "/claims/"
    assert member_state(world["member"]) != before


def test_it_would_report_the_server_errors_the_edge_prevents(world, settings):
    """The fuzz can fail: without the edge's checks, a form in UTF-16 is a server error again."""
    settings.MIDDLEWARE = [name for name in settings.MIDDLEWARE if not name.startswith("security.request_checks.")]
    fuzzer = Fuzzer(csrf_client())
    fuzzer.client.get("/accounts/login/")
    fuzzer.post_bodies("/accounts/login/")
    # A server error, raised through the test client or answered by the 500 page, is noted either way.
    assert any(
        f"{FORM}; charset=utf-16" in failure and (failure.endswith("-> 500") or "BadRequest" in failure)
        for failure in fuzzer.failures
    ), fuzzer.failures
