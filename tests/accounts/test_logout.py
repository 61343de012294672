from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session

from security.models import SecurityEvent
from tests.helpers import event_kinds


def test_it_puts_a_sign_out_form_top_right_of_every_signed_in_page(client, member):
    client.force_login(member)
    page = client.get("/").content.decode()
    assert '<form class="sign-out" method="post" action="/accounts/logout/">' in page
    assert page.index('class="sign-out"') < page.index('<main id="main"')


def test_it_ends_the_session_on_the_server(client, member):
    client.force_login(member)
    session_key = client.session.session_key
    response = client.post("/accounts/logout/")
    assert response["Location"] == "/accounts/signed-out/"
    assert not Session.objects.filter(session_key=session_key).exists()
    assert SESSION_KEY not in client.session
    assert "You are signed out" in client.get("/accounts/signed-out/").content.decode()
    assert client.get("/").status_code == 302
    assert event_kinds(member=member) == [SecurityEvent.Kind.SIGNED_OUT]


def test_it_refuses_sign_out_by_get(client, member):
    client.force_login(member)
    assert client.get("/accounts/logout/").status_code == 405
    assert client.get("/").status_code == 200


def test_it_refuses_sign_out_without_csrf_token(member):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(member)
    assert client.post("/accounts/logout/").status_code == 403
    assert client.get("/").status_code == 200


def test_it_keeps_signed_in_pages_out_of_the_browser_cache(client, member):
    client.force_login(member)
    assert "no-store" in client.get("/")["Cache-Control"]
