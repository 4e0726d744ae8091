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
