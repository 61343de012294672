"""A session's key changes (password change, Django's own re-keying, a flush): its listing follows it or ends."""

import threading

import pytest
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.db import connection, transaction
from django.test import Client

from security import sessions
from security.models import MemberSession, SecurityEvent
from security.session_store import LISTED_KEY, SessionStore
from tests.conftest import MEMBER_PASSWORD
from tests.helpers import sign_in

CHROME = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/150.0.0.0 Safari/537.36"
FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:140.0) Gecko/20100101 Firefox/140.0"
NEW_PASSWORD = "an entirely new passphrase"


def device(user_agent, password=MEMBER_PASSWORD):
    client = Client(headers={"user-agent": user_agent})
    assert sign_in(client, "alice", password).status_code == 302
    return client


def key_of(client):
    return client.cookies["sessionid"].value


def change_password(client):
    form = {"current_password": MEMBER_PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    assert client.post("/accounts/security/password/", form).status_code == 302


def listed(client):
    return client.get("/accounts/security/sessions/").content.decode()


def test_it_keeps_listing_a_device_after_its_password_change_and_can_sign_it_out(member):
    laptop = device(CHROME)
    before = key_of(laptop)
    change_password(laptop)
    assert key_of(laptop) != before
    assert not Session.objects.filter(session_key=before).exists()
    phone = device(FIREFOX, NEW_PASSWORD)
    assert "Chrome 150 on Linux" in listed(phone)
    laptops = MemberSession.objects.get(user_agent=CHROME)
    assert laptops.session_key == key_of(laptop) and laptops.ended_at is None
    phone.post(f"/accounts/security/sessions/{laptops.pk}/end/")
    assert laptop.get("/").status_code == 302
    assert phone.get("/").status_code == 200
    assert "Chrome 150 on Linux" not in listed(phone)


def test_it_signs_out_all_other_sessions_including_one_whose_key_changed(member):
    laptop = device(CHROME)
    change_password(laptop)
    phone = device(FIREFOX, NEW_PASSWORD)
    response = phone.post("/accounts/security/sessions/end-others/", follow=True)
    assert "Signed out 1 other session." in response.content.decode()
    assert laptop.get("/").status_code == 302
    assert phone.get("/").status_code == 200


def test_support_end_all_sessions_reaches_a_device_whose_key_changed(staff_client, member):
    laptop = device(CHROME)
    change_password(laptop)
    action = {"action": "end_all_sessions", "_selected_action": [member.pk], "apply": "yes", "reason": "lost laptop"}
    response = staff_client.post("/admin/accounts/user/", action, follow=True)
    assert "End all sessions: done for 1 of 1." in response.content.decode()
    assert laptop.get("/").status_code == 302
    assert not MemberSession.objects.filter(member=member, ended_at__isnull=True).exists()


def test_it_stops_listing_the_sessions_a_password_change_signed_out(member):
    laptop, phone = device(CHROME), device(FIREFOX)
    change_password(laptop)
    page = listed(laptop)
    assert "Chrome 150 on Linux <strong>(this session)</strong>" in page and "Firefox" not in page
    assert phone.get("/").status_code == 302
    assert MemberSession.objects.get(user_agent=FIREFOX).end_reason == "signed_out"


def test_it_keeps_the_listing_when_django_rekeys_a_session_signed_with_an_old_secret_key(member, settings):
    laptop = device(CHROME)
    before = key_of(laptop)
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "the next secret key"
    assert laptop.get("/").status_code == 200  # Django moves the session to a new key (cycle_key)
    assert key_of(laptop) != before
    assert MemberSession.objects.get().session_key == key_of(laptop)
    sessions.end_all_sessions(member=member)
    assert laptop.get("/").status_code == 302


def test_it_moves_the_listing_in_the_transaction_of_the_key_change(member):
    laptop = device(CHROME)
    before = key_of(laptop)
    with pytest.raises(RuntimeError), transaction.atomic():
        SessionStore(before).cycle_key()
        raise RuntimeError("the change that needed a new key failed")
    assert MemberSession.objects.get().session_key == before
    assert laptop.get("/").status_code == 200
    store = SessionStore(before)
    store.cycle_key()
    store.save()
    assert MemberSession.objects.get().session_key == store.session_key
    assert not Session.objects.filter(session_key=before).exists()


def test_it_ends_the_listing_of_a_flushed_session_and_lists_nothing_for_its_next_key(member):
    laptop = device(CHROME)
    store = SessionStore(key_of(laptop))
    store.flush()
    assert MemberSession.objects.get().end_reason == "signed_out"
    store["note"] = "written after the flush"
    store.save()  # create(): a new key for an empty session
    assert not MemberSession.objects.filter(session_key=store.session_key).exists()
    assert laptop.get("/").status_code == 302


def test_it_ends_rather_than_moves_a_session_ended_while_its_key_changes(member):
    laptop = device(CHROME)
    store = SessionStore(key_of(laptop))
    assert SESSION_KEY in store  # read by a request already under way when the sessions are ended
    sessions.end_all_sessions(member=member)
    store.cycle_key()
    store.save()
    assert SESSION_KEY not in SessionStore(store.session_key).load()
    assert not MemberSession.objects.filter(session_key=store.session_key).exists()
    assert laptop.get("/").status_code == 302


def test_it_lists_a_session_signed_in_without_the_sign_in_page(client, member):
    client.force_login(member)
    assert MemberSession.objects.get().session_key == key_of(client)
    assert client.get("/").status_code == 200
    sessions.end_all_sessions(member=member)
    assert client.get("/").status_code == 302


def test_it_ends_a_session_signed_in_before_sessions_were_listed(client, member):
    client.force_login(member)
    row = Session.objects.get()
    data = SessionStore().decode(row.session_data)
    del data[LISTED_KEY]
    row.session_data = SessionStore().encode(data)
    row.save()
    MemberSession.objects.all().delete()
    assert client.get("/accounts/security/")["Location"] == "/accounts/login/?next=%2Faccounts%2Fsecurity%2F"
    assert client.get("/").status_code == 302
    event = SecurityEvent.objects.get(kind=SecurityEvent.Kind.SESSION_ENDED)
    assert (event.member, event.reason) == (member, "signed in before sessions were listed")
    assert not Session.objects.filter(session_key=row.session_key).exists()


@pytest.mark.django_db(transaction=True)
def test_a_key_change_racing_the_end_of_all_sessions_ends_the_session_instead_of_moving_it(member):
    laptop = device(CHROME)
    store = SessionStore(key_of(laptop))
    assert SESSION_KEY in store  # read by a password change under way on the laptop
    ended, finish = threading.Event(), threading.Event()

    def end_all():
        with transaction.atomic():
            sessions.end_all_sessions(member=member, reason="account frozen")
            ended.set()
            finish.wait(10)  # the freeze's transaction is still open
        connection.close()

    def change_key():
        store.cycle_key()
        store.save()
        connection.close()

    freeze, rekey = threading.Thread(target=end_all), threading.Thread(target=change_key)
    freeze.start()
    assert ended.wait(10)
    rekey.start()
    rekey.join(0.5)
    assert rekey.is_alive()  # waiting for the freeze's lock on the listing
    finish.set()
    freeze.join(10)
    rekey.join(10)
    assert SESSION_KEY not in SessionStore(store.session_key).load()
    assert not MemberSession.objects.filter(ended_at__isnull=True).exists()
    assert laptop.get("/").status_code == 302
