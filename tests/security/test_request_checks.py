"""The edge's checks: unreadable requests get a clear 400 or 405 page and change nothing."""

import pytest
from django.contrib.auth import SESSION_KEY
from django.test import Client, RequestFactory

from security.models import SecurityEvent
from security.request_checks import safe_next_path
from tests.conftest import MEMBER_PASSWORD

FORM = "application/x-www-form-urlencoded"
SIGN_IN = b"username=alice&password=" + MEMBER_PASSWORD.replace(" ", "+").encode()


@pytest.fixture
def strict_client():
    """CSRF checks on, as in production: the check reads the form before the view does."""
    client = Client(enforce_csrf_checks=True, raise_request_exception=False)
    client.get("/accounts/login/")
    client.token = client.cookies["csrftoken"].value
    return client


def post(client, body, content_type=FORM, path="/accounts/login/"):
    return client.generic("POST", path, body + b"&csrfmiddlewaretoken=" + client.token.encode(), content_type)


def nothing_happened(client):
    return SESSION_KEY not in client.session and not SecurityEvent.objects.exists()


@pytest.mark.parametrize(
    "charset", ["utf-16", "UTF-16LE", "latin-1", "iso-8859-1", "utf8", "bogus", "utf-8, utf-16", ""]
)
def test_it_refuses_a_form_in_another_charset(strict_client, member, charset):
    body = SIGN_IN + b"&csrfmiddlewaretoken=" + strict_client.token.encode()
    if charset.lower().startswith("utf-16"):
        body = body.decode().encode("utf-16")
    response = strict_client.generic("POST", "/accounts/login/", body, f"{FORM}; charset={charset}")
    assert response.status_code == 400
    assert "The form was not sent as UTF-8 text" in response.content.decode()
    assert nothing_happened(strict_client)


def test_it_accepts_a_form_that_names_utf_8(strict_client, member):
    response = strict_client.generic(
        "POST",
        "/accounts/login/",
        SIGN_IN + b"&csrfmiddlewaretoken=" + strict_client.token.encode(),
        f"{FORM}; charset=UTF-8",
    )
    assert response.status_code == 302
    assert strict_client.session[SESSION_KEY] == str(member.pk)


@pytest.mark.parametrize(
    "body",
    [b"username=al%FFice&password=x", b"username=al%ED%A0%80ice&password=x", b"username=al\xffice&password=x"],
    ids=["percent-encoded invalid byte", "encoded lone surrogate", "raw invalid byte"],
)
def test_it_refuses_a_form_that_is_not_utf_8(strict_client, member, body):
    response = post(strict_client, body)
    assert response.status_code == 400
    assert "not sent as UTF-8" in response.content.decode()
    assert nothing_happened(strict_client)


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"&".join(b"f%d=x" % n for n in range(1500)), FORM),
        (b"x=" + b"a" * (3 * 1024 * 1024), FORM),
        (b"garbage", "multipart/form-data"),
        (
            b"".join(b'--XX\r\nContent-Disposition: form-data; name="f%d"\r\n\r\nx\r\n' % n for n in range(1500)),
            "multipart/form-data; boundary=XX",
        ),
    ],
    ids=["too many fields", "too large", "multipart without boundary", "multipart with too many fields"],
)
def test_it_refuses_a_form_that_cannot_be_parsed(strict_client, member, body, content_type):
    response = post(strict_client, body, content_type)
    assert response.status_code == 400
    assert "The form could not be read" in response.content.decode()
    assert nothing_happened(strict_client)


@pytest.mark.parametrize(
    "address",
    ["/claims/26%00/", "/accounts/login/?next=%00", "/?page=1%002", "/?q=%FF", "/?q=%ED%A0%80", "/?q=" + "a" * 9000],
)
def test_it_refuses_an_address_it_cannot_read(client, member, address):
    client.force_login(member)
    response = client.get(address)
    assert response.status_code == 400
    assert "We could not read that request" in response.content.decode()


def test_it_lets_a_form_field_name_its_own_nul(client, member):
    """A NUL typed or pasted into a field is that field's error, on the form, not a blank page."""
    response = client.post("/accounts/login/", {"username": "ali\x00ce", "password": MEMBER_PASSWORD})
    assert response.status_code == 200
    assert "Null characters are not allowed." in response.content.decode()


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "PROPFIND"])
def test_it_answers_other_methods_with_405_and_what_is_allowed(client, member, method):
    client.force_login(member)
    response = client.generic(method, "/profile/", b"phone=555-201-9999", FORM)
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD, POST"
    assert "This page cannot be used that way" in response.content.decode()
    assert not SecurityEvent.objects.filter(kind=SecurityEvent.Kind.CONTACT_DETAILS_CHANGED).exists()


def test_it_gives_a_views_own_405_the_sites_page(client, member):
    client.force_login(member)
    response = client.get("/accounts/logout/")
    assert response.status_code == 405
    assert response["Allow"] == "POST"
    assert "This page cannot be used that way" in response.content.decode()
    assert client.get("/").status_code == 200


RF = RequestFactory()


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/claims/", "/claims/"),
        ("/claims/?status=processed&page=2", "/claims/?status=processed&page=2"),
        ("http://testserver/claims/", "/claims/"),
        ("/", "/"),
        ("abc", ""),
        ("home", ""),
        ("member:claims", ""),
        ("claims/", ""),
        ("./claims/", ""),
        ("//evil.example/", ""),
        ("///evil.example/", ""),
        ("/\\evil.example/", ""),
        ("\\\\evil.example", ""),
        ("http://evil.example/", ""),
        ("https://testserver/claims/", "/claims/"),
        ("javascript:alert(1)", ""),
        ("/claims/\r\nSet-Cookie: x=1", ""),
        ("/claims/\x00", ""),
        ("/claims/\t", ""),
        (" /claims/", ""),
        ("/claims/\u202e", ""),
        ("/claims/\u200b", ""),
        ("/" + "a" * 3000, ""),
        ("", ""),
        (None, ""),
    ],
)
def test_it_keeps_only_a_path_on_this_site(target, expected):
    assert safe_next_path(RF.get("/"), target) == expected


def test_it_drops_plain_http_from_a_secure_page():
    assert safe_next_path(RF.get("/", secure=True), "http://testserver/claims/") == ""
    assert safe_next_path(RF.get("/", secure=True), "https://testserver/claims/") == "/claims/"


def test_it_keeps_a_path_with_letters_of_any_language():
    assert safe_next_path(RF.get("/"), "/claims/?q=Peña") == "/claims/?q=Peña"
