"""Stored secrets: encrypted with the newest key, readable with any, rotated on demand."""

from __future__ import annotations

import pytest
from django.test import override_settings

from pacte import encryption


def _with_keys(*keys: str) -> override_settings:
    encryption._box.cache_clear()
    return override_settings(PACTE_ENCRYPTION_KEYS=list(keys))


def test_round_trip_and_rotation() -> None:
    old, new = encryption.generate_key(), encryption.generate_key()
    try:
        with _with_keys(old):
            token = encryption.encrypt("s3cret")
            assert "s3cret" not in token
            assert encryption.decrypt(token) == "s3cret"
        encryption._box.cache_clear()
        with _with_keys(new, old):
            assert encryption.decrypt(token) == "s3cret"  # old key still reads
            rotated = encryption.reencrypt(token)
        encryption._box.cache_clear()
        with _with_keys(new):
            assert encryption.decrypt(rotated) == "s3cret"
            with pytest.raises(encryption.DecryptionError):
                encryption.decrypt(token)  # the old key is gone
    finally:
        encryption._box.cache_clear()


def test_rotate_command_reencrypts_stored_secrets(db: None) -> None:
    from io import StringIO

    from django.core.management import call_command

    from pacte.accounts.models import IdentityProvider
    from pacte.accounts.services import create_workspace

    old, new = encryption.generate_key(), encryption.generate_key()
    try:
        with _with_keys(old):
            ws = create_workspace(name="Acme", slug="acme")
            token = encryption.encrypt("client-secret")
            IdentityProvider.objects.create(
                workspace=ws, kind="oidc", display_name="x", client_secret_encrypted=token
            )
        encryption._box.cache_clear()
        with _with_keys(new, old):
            out = StringIO()
            call_command("rotate_encryption_keys", stdout=out)
            assert "1 secret(s)" in out.getvalue()
        encryption._box.cache_clear()
        with _with_keys(new):
            stored = IdentityProvider.objects.get().client_secret_encrypted
            assert encryption.decrypt(stored) == "client-secret"
    finally:
        encryption._box.cache_clear()
