"""Security notices over real SMTP: a gunicorn app server writes them, a real `db_worker` process
sends them to an aiosmtpd server on loopback. The server down, a worker killed mid-send, an address
refused: nothing is lost, and what arrives arrives once."""

import time

import pytest

from security.models import SecurityNotice
from tests.conftest import MEMBER_PASSWORD
from tests.live import AppServers, LiveClient, csrf_token
from tests.live.smtp import SMTPServer
from tests.live.task_worker import TaskWorker

pytestmark = pytest.mark.live

Status = SecurityNotice.Status
CHANGED = "Your password was changed"
NEW_PASSWORD = "an entirely new passphrase"
# Quick retries and a short lease, so a test sees several attempts in seconds.
DELIVERY = {
    "PORTAL_NOTICE_RETRY_FIRST_SECONDS": "1",
    "PORTAL_NOTICE_RETRY_LONGEST_SECONDS": "1",
    "PORTAL_NOTICE_LEASE_SECONDS": "4",
    "EMAIL_TIMEOUT": "10",
}


@pytest.fixture
def smtp():
    with SMTPServer() as server:
        yield server


@pytest.fixture
def portal(transactional_db, tmp_path, smtp):
    with AppServers(workdir=tmp_path) as app_servers:
        env = {"EMAIL_URL": smtp.url, **DELIVERY}
        (server,) = app_servers.start(1, workers=1, threads=2, **env)
        worker = TaskWorker(app_servers, log_path=tmp_path / "worker.log", **env).start()
        server.worker = worker
        server.make_worker = lambda: TaskWorker(app_servers, log_path=tmp_path / "worker.log", **env)
        yield server
        server.worker.stop()  # the one running now, perhaps a restarted one


def change_password(server):
    client = LiveClient(server)
    assert client.sign_in("alice", MEMBER_PASSWORD).status == 302
    page = client.get("/accounts/security/password/")
    assert page.status == 200, page.status
    fields = {
        "csrfmiddlewaretoken": csrf_token(page.text),
        "current_password": MEMBER_PASSWORD,
        "new_password1": NEW_PASSWORD,
        "new_password2": NEW_PASSWORD,
    }
    response = client.post("/accounts/security/password/", fields)
    assert response.status == 302, response.text[:500]


def wait_until(condition, timeout=20):
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.05)
    return condition()


def the_notice():
    return SecurityNotice.objects.get(kind="password_changed")


def test_a_password_change_arrives_over_smtp_once(portal, smtp, live_member):
    change_password(portal)
    (received,) = smtp.mailbox.wait_for(1, subject=CHANGED)
    assert received.recipients == ["alice@example.com"]
    body = received.message.get_content()
    assert "When: " in body and "If you did not do this" in body and NEW_PASSWORD not in body
    assert wait_until(lambda: the_notice().status == Status.SENT), portal.worker.log_tail()
    time.sleep(1.5)  # a second delivery would have come by now (the lease is 4 s)
    assert len(smtp.mailbox.messages(CHANGED)) == 1


def test_a_notice_made_while_the_mail_server_is_down_waits_and_arrives_once(portal, smtp, live_member):
    smtp.stop()
    change_password(portal)
    assert wait_until(lambda: the_notice().attempts >= 2), portal.worker.log_tail()
    waiting = the_notice()
    assert waiting.status in (Status.QUEUED, Status.SENDING) and "Connection refused" in waiting.last_error
    assert smtp.mailbox.messages() == []

    smtp.start()
    smtp.mailbox.wait_for(1, subject=CHANGED)
    assert wait_until(lambda: the_notice().status == Status.SENT), portal.worker.log_tail()
    time.sleep(1.5)
    assert len(smtp.mailbox.messages(CHANGED)) == 1


def test_a_worker_killed_mid_send_loses_nothing(portal, smtp, live_member):
    smtp.mailbox.holding = True
    change_password(portal)
    assert wait_until(lambda: smtp.mailbox.sessions_held == 1), portal.worker.log_tail()
    portal.worker.kill()  # before the server accepted the message
    smtp.mailbox.holding = False
    time.sleep(0.5)
    assert smtp.mailbox.messages() == [] and the_notice().status == Status.SENDING

    portal.worker = portal.make_worker().start()  # as systemd restarts it
    (received,) = smtp.mailbox.wait_for(1, subject=CHANGED, timeout=30)
    assert wait_until(lambda: the_notice().status == Status.SENT), portal.worker.log_tail()
    assert the_notice().attempts == 2
    time.sleep(1.5)
    assert len(smtp.mailbox.messages(CHANGED)) == 1


def test_an_address_the_server_refuses_is_kept_as_failed(portal, smtp, live_member):
    smtp.mailbox.refuse.add("alice@example.com")
    change_password(portal)
    assert wait_until(lambda: the_notice().status == Status.FAILED), portal.worker.log_tail()
    notice = the_notice()
    assert notice.attempts == 1 and "550 5.1.1 No such mailbox here" in notice.last_error, portal.worker.log_tail()
    assert smtp.mailbox.messages() == []
