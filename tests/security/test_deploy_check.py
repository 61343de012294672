import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_manage(*args, **env):
    full_env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CACHE_URL")}
    full_env.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=full_env, capture_output=True, text=True, timeout=120
    )


def deploy_check(tmp_path, **env):
    return run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_SETTINGS_MODULE="settings.prod",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="portal.example",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        **env,
    )


def test_it_passes_the_deployment_checks_in_production(tmp_path):
    result = deploy_check(tmp_path, PORTAL_AUDIT_CHAIN_KEY=secrets.token_urlsafe(50))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (1 silenced)." in result.stdout


def test_it_refuses_to_start_in_production_without_a_secret_key(tmp_path):
    result = run_manage("check", DJANGO_SETTINGS_MODULE="settings.prod", SECRET_KEY="", ALLOWED_HOSTS="portal.example")
    assert result.returncode != 0 and "Set SECRET_KEY in the environment" in result.stderr


def test_it_warns_when_the_audit_chain_shares_the_secret_key(tmp_path):
    result = deploy_check(tmp_path)
    assert result.returncode != 0 and "security.W001" in result.stderr + result.stdout


def test_the_passkey_relying_party_follows_the_first_allowed_host(tmp_path):
    # No PORTAL_PASSKEY_*: the RP id is the first host, without its leading dot, over https.
    # (deploy_check fixes ALLOWED_HOSTS, so the same check is run here with a leading-dot entry first.)
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_SETTINGS_MODULE="settings.prod",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS=".portal.example,portal.example",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        PORTAL_AUDIT_CHAIN_KEY=secrets.token_urlsafe(50),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "security.E034" not in result.stdout + result.stderr and "security.E035" not in result.stdout + result.stderr


def test_it_refuses_a_passkey_relying_party_of_another_domain(tmp_path):
    result = deploy_check(
        tmp_path, PORTAL_PASSKEY_RP_ID="evil.example", PORTAL_AUDIT_CHAIN_KEY=secrets.token_urlsafe(50)
    )
    output = result.stdout + result.stderr
    assert result.returncode != 0 and "security.E034" in output and "'evil.example'" in output


def test_it_refuses_a_passkey_origin_of_another_domain(tmp_path):
    result = deploy_check(
        tmp_path, PORTAL_PASSKEY_ORIGINS="https://evil.example", PORTAL_AUDIT_CHAIN_KEY=secrets.token_urlsafe(50)
    )
    output = result.stdout + result.stderr
    assert result.returncode != 0 and "security.E035" in output and "'https://evil.example'" in output
    assert "security.E034" not in output
