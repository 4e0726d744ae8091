"""The Redis server of tests: ``PACTE_TEST_REDIS_URL`` (default: 127.0.0.1:6379, database 0), as
development machines and CI run it. Tests that need it are skipped, loudly, where none answers,
and fail under ``CI=true``. Every test uses its own key prefix (removed afterwards) and never
flushes the database: parallel runs and other developers share the server."""

from __future__ import annotations

import os
import socket
import uuid
import warnings
from typing import Any

import pytest

REDIS_URL = os.environ.get("PACTE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def redis_url() -> str:
    """The test server's URL, or a skip (a failure under CI) when it does not answer."""
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1, socket_timeout=1).ping()
    except (redis.RedisError, OSError) as exc:
        message = f"no Redis answers at {REDIS_URL} ({exc}): set PACTE_TEST_REDIS_URL"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message + " — CI must run Redis on 127.0.0.1:6379.")
        warnings.warn(message, pytest.PytestWarning, stacklevel=2)
        pytest.skip(message)
    return REDIS_URL


def cache_settings(url: str, prefix: str, **options: Any) -> dict[str, Any]:
    """``CACHES`` of Pacte's Redis cache at ``url``, as the settings build it."""
    return {
        "default": {
            "BACKEND": "pacte.cache_backend.ResilientRedisCache",
            "LOCATION": url,
            "KEY_PREFIX": prefix,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5, **options},
        }
    }


def new_prefix() -> str:
    return f"pacte-test-{os.getpid()}-{uuid.uuid4().hex[:8]}"


def keys(url: str, prefix: str) -> list[str]:
    import redis

    client = redis.Redis.from_url(url)
    return [k.decode() for k in client.scan_iter(match=f"{prefix}:*", count=1000)]


def purge(url: str, prefix: str) -> None:
    import redis

    client = redis.Redis.from_url(url)
    doomed = list(client.scan_iter(match=f"{prefix}:*", count=1000))
    if doomed:
        client.delete(*doomed)


def closed_port() -> int:
    """A port of 127.0.0.1 where nothing listens."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
