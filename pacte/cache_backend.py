"""The Redis cache, made optional at run time: when Redis does not answer, a read is a miss and a
write is skipped (pages compute what they would have read), the failure is logged, and Redis
is left alone for ``retry_after`` seconds before it is tried again, so a page does not wait for
one time-out per cached value. ``/healthz`` reports the cache as degraded meanwhile.

Use it as the ``BACKEND`` of ``CACHES["default"]`` (the settings do when ``PACTE_REDIS_URL`` is
set), with short socket time-outs in its ``OPTIONS``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from django.core.cache import caches
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache

logger = logging.getLogger("pacte.cache")

T = TypeVar("T")


def _failure_types() -> tuple[type[BaseException], ...]:
    try:
        import redis
    except ImportError:  # the client is missing: ``pacte check --deploy`` says so
        return (ImportError, OSError)
    return (ImportError, OSError, redis.RedisError)


class ResilientRedisCache(RedisCache):
    """Django's Redis cache whose failures degrade to misses instead of errors."""

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        options = dict(params.get("OPTIONS") or {})
        self.retry_after = float(options.pop("retry_after", 5.0))
        super().__init__(server, {**params, "OPTIONS": options})
        self._down_until = 0.0
        self._lock = threading.Lock()

    @property
    def degraded(self) -> bool:
        """Whether Redis failed less than ``retry_after`` seconds ago."""
        return time.monotonic() < self._down_until

    def _fail(self, operation: str, exc: BaseException) -> None:
        with self._lock:
            first = not self.degraded
            self._down_until = time.monotonic() + self.retry_after
        if first:
            logger.warning(
                "cache unavailable (%s: %s): pages compute their figures; retry in %ss",
                operation,
                exc,
                self.retry_after,
            )

    def _guard(self, operation: str, fallback: T, call: Callable[[], T]) -> T:
        if self.degraded:
            return fallback
        try:
            return call()
        except _failure_types() as exc:
            self._fail(operation, exc)
            return fallback

    def ping(self) -> bool:
        """Ask Redis now (even while degraded): True when it answers."""
        try:
            self._cache.get_client(write=True).ping()
        except _failure_types() as exc:
            self._fail("ping", exc)
            return False
        with self._lock:
            self._down_until = 0.0
        return True

    # Reads: a miss. Writes: nothing written (a later read is a miss, never a stale value).

    def get(self, key: Any, default: Any = None, version: Any = None) -> Any:
        return self._guard("get", default, lambda: RedisCache.get(self, key, default, version))

    def get_many(self, keys: Any, version: Any = None) -> dict[Any, Any]:
        return self._guard("get_many", {}, lambda: RedisCache.get_many(self, keys, version))

    def has_key(self, key: Any, version: Any = None) -> bool:
        return self._guard("has_key", False, lambda: RedisCache.has_key(self, key, version))

    def set(
        self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None
    ) -> None:
        self._guard("set", None, lambda: RedisCache.set(self, key, value, timeout, version))

    def add(
        self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None
    ) -> bool:
        return self._guard("add", False, lambda: RedisCache.add(self, key, value, timeout, version))

    def set_many(self, data: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None) -> list[Any]:
        return self._guard(
            "set_many", list(data), lambda: RedisCache.set_many(self, data, timeout, version)
        )

    def touch(self, key: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None) -> bool:
        return self._guard("touch", False, lambda: RedisCache.touch(self, key, timeout, version))

    def delete(self, key: Any, version: Any = None) -> bool:
        return self._guard("delete", False, lambda: RedisCache.delete(self, key, version))

    def delete_many(self, keys: Any, version: Any = None) -> None:
        self._guard("delete_many", None, lambda: RedisCache.delete_many(self, keys, version))

    def clear(self) -> None:
        """Remove Pacte's keys (those under its key prefix) only: the Redis database may be
        shared; without a prefix, the whole database."""
        if not self.key_prefix:
            return self._guard("clear", None, lambda: RedisCache.clear(self))
        pattern = f"{self.key_prefix}:*"

        def remove() -> None:
            client = self._cache.get_client(write=True)
            batch: list[bytes] = []
            for key in client.scan_iter(match=pattern, count=1000):
                batch.append(key)
                if len(batch) == 1000:
                    client.delete(*batch)
                    batch = []
            if batch:
                client.delete(*batch)

        return self._guard("clear", None, remove)


def health() -> str:
    """``ok`` when the default cache answers (or is local to the process), else ``degraded``."""
    backend = caches["default"]
    ping = getattr(backend, "ping", None)
    if ping is None:
        return "ok"
    return "ok" if ping() else "degraded"
