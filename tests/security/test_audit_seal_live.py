"""Real app servers seal their own events: several gunicorn workers, one chain, no fork, no stragglers."""

import io
import time

import pytest
from django.core.management import call_command

from security.models import SecurityEvent
from tests.live import AppServers, LiveClient, sign_in_all_at_once

pytestmark = pytest.mark.live


@pytest.fixture
def servers(transactional_db, tmp_path, settings):
    with AppServers(workdir=tmp_path) as app_servers:
        # The chain key this process verifies with, as every server of a deployment shares it.
        yield app_servers.start(2, workers=2, threads=2, PORTAL_AUDIT_CHAIN_KEY=settings.PORTAL_AUDIT_CHAIN_KEY)


def test_it_seals_every_event_written_by_several_servers_into_one_chain(servers):
    names = [f"nobody-{n}" for n in range(12)]
    responses = [sign_in_all_at_once(servers, name, ["not the password"])[0] for name in names[:4]]
    responses += sign_in_all_at_once(servers, "nobody-busy", [f"guess {n}" for n in range(8)])
    assert all(response.status < 500 for response in responses)
    for server in servers:
        assert LiveClient(server).sign_in("nobody-else", "a guess").status == 200

    deadline = time.monotonic() + 15
    while SecurityEvent.objects.filter(sequence__isnull=True).exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    written = SecurityEvent.objects.count()
    assert written >= 4 + 2  # every refusal of a name that is no account's is in the log
    assert not SecurityEvent.objects.filter(sequence__isnull=True).exists()
    assert sorted(SecurityEvent.objects.values_list("sequence", flat=True)) == list(range(1, written + 1))
    out = io.StringIO()
    call_command("verify_audit", stdout=out)
    assert f"The audit log is intact: {written} rows verified." in out.getvalue()
