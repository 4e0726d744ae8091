"""A connection's secrets: one JSON object, encrypted with ``pacte.encryption``, never shown
back (pages and the API only say which ones are set)."""

from __future__ import annotations

import json

from pacte import encryption
from pacte.sources.models import Connection


def read_secrets(connection: Connection) -> dict[str, str]:
    if not connection.secrets:
        return {}
    data = json.loads(encryption.decrypt(connection.secrets))
    return {str(k): str(v) for k, v in data.items() if v}


def seal_secrets(secrets: dict[str, str]) -> str:
    kept = {k: v for k, v in secrets.items() if v}
    return encryption.encrypt(json.dumps(kept, sort_keys=True)) if kept else ""


def secret_names_set(connection: Connection) -> list[str]:
    """The names of the secrets that are set (what a page may say)."""
    return sorted(read_secrets(connection))


def read_webhook_secret(connection: Connection) -> str:
    return encryption.decrypt(connection.webhook_secret) if connection.webhook_secret else ""
