"""Secrets kept at rest (identity provider client secrets, connector credentials).

Fernet (AES-128-CBC with HMAC-SHA256, from ``cryptography``) with the keys of
``PACTE_ENCRYPTION_KEYS``: comma-separated, newest first. ``MultiFernet`` encrypts with the first
key and decrypts with any, so a key is rotated by putting the new one first, running
``pacte rotate_encryption_keys`` (``reencrypt`` on every stored value), then removing the old one.

A stored value is opaque text; it is never shown back: pages and the API only say whether it
is set.
"""

from __future__ import annotations

import base64
import hashlib
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class DecryptionError(Exception):
    """A stored secret cannot be read with the configured keys (a key was removed too early)."""


def development_key(secret_key: str) -> str:
    """The key used when none is configured outside production: derived from the secret key."""
    return base64.urlsafe_b64encode(
        hashlib.sha256(b"pacte-fernet:" + secret_key.encode()).digest()
    ).decode()


def parse_keys(keys: list[str]) -> MultiFernet:
    """Refuse a malformed key at start-up, naming its position (never its value)."""
    fernets = []
    for position, key in enumerate(keys, start=1):
        try:
            fernets.append(Fernet(key.encode()))
        except (ValueError, TypeError):
            raise ImproperlyConfigured(
                f"PACTE_ENCRYPTION_KEYS: key {position} is not a Fernet key (32 url-safe "
                "base64-encoded bytes; make one with `pacte generate_encryption_key`)."
            ) from None
    if not fernets:
        raise ImproperlyConfigured("PACTE_ENCRYPTION_KEYS is empty.")
    return MultiFernet(fernets)


@cache
def _box() -> MultiFernet:
    return parse_keys(list(settings.PACTE_ENCRYPTION_KEYS))


def encrypt(plaintext: str) -> str:
    return _box().encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _box().decrypt(token.encode()).decode()
    except InvalidToken:
        raise DecryptionError(
            "A stored secret cannot be decrypted with PACTE_ENCRYPTION_KEYS."
        ) from None


def reencrypt(token: str) -> str:
    """The same secret encrypted with the newest key (for key rotation)."""
    try:
        return _box().rotate(token.encode()).decode()
    except InvalidToken:
        raise DecryptionError(
            "A stored secret cannot be decrypted with PACTE_ENCRYPTION_KEYS."
        ) from None


def generate_key() -> str:
    return Fernet.generate_key().decode()
