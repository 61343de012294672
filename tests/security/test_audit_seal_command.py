"""`manage.py seal_audit --loop` as an operator runs it: a process of its own beside the app."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection, transaction

from security.audit import Kind, record_event
from security.models import SecurityEvent
from tests.live import database_url

BASE_DIR = Path(__file__).resolve().parents[2]


@pytest.mark.django_db(transaction=True)
def test_it_seals_in_a_loop_until_stopped(member, settings):
    settings.PORTAL_AUDIT_SEAL_IN_PROCESS = False  # only the loop seals here
    url = database_url(connection.settings_dict)
    if url is None:
        pytest.skip("the test database is in memory, which another process cannot open")
    env = {name: value for name, value in os.environ.items() if not name.startswith("PYTEST")}
    env.update(
        DATABASE_URL=url, PORTAL_AUDIT_CHAIN_KEY=settings.PORTAL_AUDIT_CHAIN_KEY, DJANGO_SETTINGS_MODULE="settings.dev"
    )
    command = [sys.executable, "manage.py", "seal_audit", "--loop", "--interval", "0.1"]
    loop = subprocess.Popen(command, cwd=BASE_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        with transaction.atomic():  # committed together, so one round seals all three
            for n in range(3):
                record_event(Kind.SIGN_IN_FAILED, member=member, reason=f"n={n}")
        deadline = time.monotonic() + 20
        while SecurityEvent.objects.filter(sequence__isnull=True).exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert sorted(SecurityEvent.objects.values_list("sequence", flat=True)) == [1, 2, 3]
    finally:
        loop.send_signal(signal.SIGTERM)
        output, _ = loop.communicate(timeout=20)
    assert loop.returncode == 0
    assert "Sealing audit events every 0.1 s" in output and "Sealed 3 audit events." in output
    assert output.rstrip().endswith("Stopped.")
