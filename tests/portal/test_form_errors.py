"""After a failed submit, every form page says what is wrong where a screen reader reads it.

Each invalid field is aria-invalid, its aria-describedby names only ids the page has (its help
text and its error among them), and one summary with role="alert" lists every error, each
linking to its field. An unbound form shows no summary.
"""

from collections import defaultdict
from html.parser import HTMLParser

import pytest
from django.test import Client

from accounts.forms import INVALID_SIGN_IN
from tests.conftest import MEMBER_PASSWORD, totp_code
from tests.helpers import sign_in
from tests.security.reset_steps import RIGHT_ANSWERS, answer, reach_password_step, set_password, start, state_of

SETUP = "/accounts/security/two-factor/setup/"
CODE_STEP = "/accounts/password-reset/second-factor/"
WRONG_PASSWORD = "a wrong password 4471"
WRONG_ANSWER = "a wrong answer 4471"
ADDRESS = {"address_line1": "48 Elm Row", "address_line2": "", "state": "IL", "postal_code": "62704"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


@pytest.fixture
def enrollment(member, make_enrollment):
    return make_enrollment(member)


class Element:
    def __init__(self, tag, attrs, parent):
        self.tag, self.attrs, self.parent = tag, dict(attrs), parent
        self.children, self.texts = [], []

    def text(self):
        return " ".join(" ".join([*self.texts, *(child.text() for child in self.children)]).split())

    def walk(self):
        yield self
        for child in self.children:
            yield from child.walk()


class Page(HTMLParser):
    """The page as a tree, enough to follow ids, roles and links."""

    def __init__(self, html):
        super().__init__()
        self.root = self.current = Element("#document", {}, None)
        self.feed(html)
        self.elements = list(self.root.walk())
        self.by_id = {e.attrs["id"]: e for e in self.elements if e.attrs.get("id")}

    def handle_starttag(self, tag, attrs):
        element = Element(tag, attrs, self.current)
        self.current.children.append(element)
        if tag not in VOID:
            self.current = element

    def handle_endtag(self, tag):
        node = self.current
        while node.parent is not None and node.tag != tag:
            node = node.parent
        if node.parent is not None:
            self.current = node.parent

    def handle_data(self, data):
        self.current.texts.append(data)

    def alerts(self):
        """The alerts in the page's main content (the session dialog, outside it, has its own)."""
        main = next(e for e in self.elements if e.tag == "main")
        return [e for e in main.walk() if e.attrs.get("role") == "alert"]


def signed_in(client, member, enroll_totp=None):
    """Signed in as the member, through the code step when `enroll_totp` gives them a device."""
    if enroll_totp is None:
        client.force_login(member)
        return None
    device = enroll_totp(member)
    sign_in(client, member.username, MEMBER_PASSWORD)
    client.post("/accounts/login/code/", {"code": totp_code(device)})
    return device


def sign_in_empty(client, member, enroll_totp):
    return client.post("/accounts/login/", {"username": "", "password": ""})


def sign_in_wrong_password(client, member, enroll_totp):
    return client.post("/accounts/login/", {"username": "alice", "password": WRONG_PASSWORD})


def change_password(client, member, enroll_totp):
    signed_in(client, member)
    data = {"current_password": WRONG_PASSWORD, "new_password1": "short", "new_password2": "short"}
    return client.post("/accounts/security/password/", data)


def two_factor_password_again(client, member, enroll_totp):
    signed_in(client, member)
    return client.post(SETUP, {"current_password": WRONG_PASSWORD})


def two_factor_set_up(client, member, enroll_totp):
    signed_in(client, member)
    client.post(SETUP, {"current_password": MEMBER_PASSWORD})
    return client.post(SETUP, {"code": "12"})


def two_factor_verify(client, member, enroll_totp):
    enroll_totp(member)
    sign_in(client, "alice", MEMBER_PASSWORD)
    return client.post("/accounts/login/code/", {"code": ""})


def two_factor_remove(client, member, enroll_totp):
    signed_in(client, member, enroll_totp)
    return client.post("/accounts/security/two-factor/remove/", {"current_password": WRONG_PASSWORD, "code": ""})


def security_questions(client, member, enroll_totp):
    signed_in(client, member)
    data = {"question_1": "", "answer_1": WRONG_ANSWER, "current_password": WRONG_PASSWORD}
    return client.post("/accounts/security/questions/", data)


def reset_start(client, member, enroll_totp):
    return client.post("/accounts/password-reset/", {"username": ""})


def reset_answers_empty(client, member, enroll_totp):
    return answer(client, state_of(start(client, "alice")), ["", "", ""])


def reset_answers_wrong(client, member, enroll_totp):
    return answer(client, state_of(start(client, "alice")), [RIGHT_ANSWERS[0], RIGHT_ANSWERS[1], WRONG_ANSWER])


def reset_code(client, member, enroll_totp):
    enroll_totp(member)
    answer(client, state_of(start(client, "alice")), RIGHT_ANSWERS)
    return client.post(CODE_STEP, {"state": state_of(client.get(CODE_STEP)), "code": ""})


def reset_new_password(client, member, enroll_totp):
    return set_password(client, state_of(reach_password_step(client)), "short")


def profile(client, member, enroll_totp):
    signed_in(client, member)
    return client.post("/profile/", {**ADDRESS, "phone": "12345", "city": ""})


def change_email(client, member, enroll_totp):
    signed_in(client, member)
    return client.post("/profile/email/", {"email": "not an address", "current_password": WRONG_PASSWORD})


def claims_filter(client, member, enroll_totp):
    signed_in(client, member)
    return client.get("/claims/", {"date_from": "2026-06-01", "date_to": "2026-01-01"})


# (the failed submit, the fields it leaves invalid, those of them with help text, whole-form errors)
FAILED_SUBMITS = {
    "sign-in, empty": (sign_in_empty, {"id_username", "id_password"}, set(), []),
    "sign-in, wrong password": (sign_in_wrong_password, set(), set(), [INVALID_SIGN_IN]),
    "change password": (change_password, {"id_current_password", "id_new_password2"}, {"id_new_password2"}, []),
    "two-factor set-up, password again": (two_factor_password_again, {"id_current_password"}, set(), []),
    "two-factor set-up, code": (two_factor_set_up, {"id_code"}, set(), []),
    "two-factor verify": (two_factor_verify, {"id_code"}, set(), []),
    "two-factor remove": (two_factor_remove, {"id_current_password", "id_code"}, set(), []),
    "security questions": (
        security_questions,
        {"id_question_1", "id_question_2", "id_question_3", "id_answer_2", "id_answer_3", "id_current_password"},
        set(),
        [],
    ),
    "reset: username": (reset_start, {"id_username"}, set(), []),
    "reset: answers missing": (reset_answers_empty, {"id_answer_1", "id_answer_2", "id_answer_3"}, set(), []),
    "reset: answers wrong": (reset_answers_wrong, set(), set(), ["Those answers do not match our records."]),
    "reset: code": (reset_code, {"id_code"}, set(), []),
    "reset: new password": (reset_new_password, {"id_new_password2"}, {"id_new_password2"}, []),
    "profile": (profile, {"id_phone", "id_city"}, set(), []),
    "change email": (change_email, {"id_email", "id_current_password"}, set(), []),
    "claims filter": (claims_filter, {"id_date_to"}, set(), []),
}


@pytest.mark.parametrize("name", FAILED_SUBMITS)
def test_a_failed_submit_is_announced_and_each_error_is_tied_to_its_field(
    client, member, enroll_totp, enrollment, name
):
    submit, invalid, with_help, form_errors = FAILED_SUBMITS[name]
    response = submit(client, member, enroll_totp)
    html = response.content.decode()
    page = Page(html)
    assert response.status_code == 200, name
    assert {e.attrs["id"] for e in page.elements if e.attrs.get("aria-invalid") == "true"} == invalid

    for element in page.elements:
        described = element.attrs.get("aria-describedby", "").split()
        assert all(target in page.by_id for target in described), (element.attrs, described)
    alerts = page.alerts()
    assert len(alerts) == 1, [alert.text() for alert in alerts]
    summary = alerts[0]
    assert any(e.tag == "h2" and e.text() for e in summary.walk())
    links = defaultdict(list)
    for link in (e for e in summary.walk() if e.tag == "a"):
        links[link.attrs.get("href")].append(link.text())
    assert set(links) == {f"#{field_id}" for field_id in invalid}

    for field_id in invalid:
        described = page.by_id[field_id].attrs["aria-describedby"].split()
        error = page.by_id[f"{field_id}_error"]
        assert f"{field_id}_error" in described and "field-error" in error.attrs["class"] and error.text()
        # Each summary line reads "<label>: <message>", the message as the field shows it.
        assert all(line.split(": ", 1)[1] in error.text() for line in links[f"#{field_id}"])
        if field_id in with_help:
            assert f"{field_id}_helptext" in described and page.by_id[f"{field_id}_helptext"].text()
    for message in form_errors:
        assert message in summary.text()
    # What was typed into a password or an answer box never comes back.
    assert WRONG_PASSWORD not in html and WRONG_ANSWER not in html


def test_a_help_text_is_announced_before_any_submit(client, member):
    client.force_login(member)
    page = Page(client.get("/accounts/security/password/").content.decode())
    described = page.by_id["id_new_password1"].attrs["aria-describedby"].split()
    assert described == ["id_new_password1_helptext"] and "at least" in page.by_id[described[0]].text()


@pytest.mark.parametrize(
    "path",
    [
        "/accounts/login/",
        "/accounts/security/password/",
        "/accounts/security/questions/",
        SETUP,
        "/accounts/password-reset/",
        "/profile/",
        "/profile/email/",
        "/claims/",
        "/claims/?page=2",
    ],
)
def test_an_unsubmitted_form_shows_no_summary_and_no_invalid_field(member, enrollment, path):
    client = Client()
    if path != "/accounts/login/" and not path.startswith("/accounts/password-reset/"):
        client.force_login(member)
    page = Page(client.get(path).content.decode())
    assert page.alerts() == []
    assert not [e for e in page.elements if e.attrs.get("aria-invalid")]
