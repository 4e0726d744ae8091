"""Production settings refuse to start unsafe; security headers are on."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROD = {
    "PACTE_ENV": "production",
    "PACTE_SECRET_KEY": "k" * 20 + "-very-long-random-production-secret-value-0123456789",
    "PACTE_ALLOWED_HOSTS": "pacte.example.com",
    "PACTE_ENCRYPTION_KEYS": "m5ZoFMpr0tzbvvPn1gP6lzqe8vTNkxsCLJWEyqUIzWA=",
    "PACTE_EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
    "DJANGO_SETTINGS_MODULE": "pacte.settings",
}


def run(args: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("PACTE_") and k not in ("DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE")
    }
    return subprocess.run(
        [sys.executable, "-m", "pacte", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_refuses_to_start_without_a_secret_key(tmp_path: Path) -> None:
    env = {**PROD, "PACTE_VAR_DIR": str(tmp_path)}
    del env["PACTE_SECRET_KEY"]
    result = run(["check"], **env)
    assert result.returncode != 0
    assert "PACTE_SECRET_KEY" in result.stderr


def test_production_refuses_to_start_without_allowed_hosts(tmp_path: Path) -> None:
    env = {**PROD, "PACTE_VAR_DIR": str(tmp_path)}
    del env["PACTE_ALLOWED_HOSTS"]
    result = run(["check"], **env)
    assert result.returncode != 0
    assert "PACTE_ALLOWED_HOSTS" in result.stderr


def test_production_refuses_to_start_without_encryption_keys(tmp_path: Path) -> None:
    env = {**PROD, "PACTE_VAR_DIR": str(tmp_path)}
    del env["PACTE_ENCRYPTION_KEYS"]
    result = run(["check"], **env)
    assert result.returncode != 0
    assert "PACTE_ENCRYPTION_KEYS" in result.stderr


def test_malformed_encryption_key_or_proxy_is_refused(tmp_path: Path) -> None:
    result = run(["check"], PACTE_ENCRYPTION_KEYS="short", PACTE_VAR_DIR=str(tmp_path))
    assert result.returncode != 0
    assert "PACTE_ENCRYPTION_KEYS: key 1" in result.stderr
    assert "short" not in result.stderr.split("PACTE_ENCRYPTION_KEYS: key 1")[1][:80]
    result = run(["check"], PACTE_TRUSTED_PROXIES="10.0.0.0/8,nope", PACTE_VAR_DIR=str(tmp_path))
    assert result.returncode != 0
    assert "PACTE_TRUSTED_PROXIES" in result.stderr


def test_check_deploy_reports_nothing(tmp_path: Path) -> None:
    result = run(
        ["check", "--deploy", "--fail-level", "WARNING"], **PROD, PACTE_VAR_DIR=str(tmp_path)
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_malformed_environment_values_are_refused(tmp_path: Path) -> None:
    result = run(["check"], PACTE_DEBUG="maybe", PACTE_VAR_DIR=str(tmp_path))
    assert result.returncode != 0
    assert "PACTE_DEBUG" in result.stderr


def test_security_headers(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/account/login/")
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert 'name="csrfmiddlewaretoken"' in response.content.decode()


def test_healthz_reports_the_database(db, client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["database"] == "ok"
    assert response.json()["cache"] == "ok"
