"""The insights pages with Redis as their cache (the server at ``PACTE_TEST_REDIS_URL``): the
same figures as computed in-process, and still the same figures — no error — when Redis is
down, with ``/healthz`` saying the cache is degraded."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache, caches

from pacte.cache_backend import ResilientRedisCache
from pacte.testing import redis_server

pytestmark = pytest.mark.django_db

PAGES = (
    "/insights/?period=FY2026",
    "/insights/?period=FY2026-Q2",
    "/api/v1/insights/summary?period=FY2026",
)


@pytest.fixture
def redis_cache(settings: Any) -> Iterator[tuple[str, str]]:
    url = redis_server.redis_url()
    prefix = redis_server.new_prefix()
    settings.CACHES = redis_server.cache_settings(url, prefix)
    try:
        yield url, prefix
    finally:
        redis_server.purge(url, prefix)


def _figures(client: Any) -> list[Any]:
    """What each page shows: the overview's data (pages), the JSON (API)."""
    found = []
    for url in PAGES:
        response = client.get(url)
        assert response.status_code == 200, (url, response.content[:300])
        found.append(response.json() if "/api/" in url else _data(response))
    return found


def _data(response: Any) -> dict[str, Any]:
    data = response.context["data"]
    return {key: data[key] for key in ("summary", "teams", "channels")}


def test_pages_show_the_same_figures_with_redis(sales, quotas, login, settings):
    client = login(sales.executive)
    computed = _figures(client)  # the local cache of this process
    cache.clear()  # the local one: the next reads compute again, into Redis
    url = redis_server.redis_url()
    prefix = redis_server.new_prefix()
    settings.CACHES = redis_server.cache_settings(url, prefix)
    try:
        assert _figures(client) == computed  # computed, written to Redis
        assert redis_server.keys(url, prefix)  # the aggregates are in Redis
        assert _figures(client) == computed  # read back from Redis
        assert client.get("/healthz").json()["cache"] == "ok"
    finally:
        redis_server.purge(url, prefix)


def test_pages_stay_correct_when_redis_is_down(sales, quotas, login, settings, caplog):
    client = login(sales.executive)
    computed = _figures(client)
    port = redis_server.closed_port()
    settings.CACHES = redis_server.cache_settings(f"redis://127.0.0.1:{port}/0", "pacte-down")
    with caplog.at_level("WARNING", logger="pacte.cache"):
        assert _figures(client) == computed
    assert "cache unavailable" in caplog.text
    assert len(caplog.records) == 1  # logged once, then Redis is left alone for a while
    health = client.get("/healthz")
    assert health.status_code == 200  # pages work: no reason to take the process out
    assert health.json()["cache"] == "degraded"
    assert health.json()["status"] == "degraded"


def test_the_cache_answers_again_once_redis_is_back(redis_cache, monkeypatch):
    from redis.exceptions import ConnectionError as RedisDown

    backend = caches["default"]
    assert isinstance(backend, ResilientRedisCache)
    cache.set("k", 41)
    client = backend._cache

    def down(*args: Any, **kwargs: Any) -> Any:
        raise RedisDown("connection refused")

    monkeypatch.setattr(client, "get", down)
    assert cache.get("k", "miss") == "miss"
    assert backend.degraded
    monkeypatch.undo()
    assert cache.get("k", "miss") == "miss"  # still left alone: no wait on a dead server
    assert backend.ping()  # /healthz asks Redis itself, and clears the flag
    assert not backend.degraded
    assert cache.get("k") == 41


def test_a_redis_url_with_a_prefix_keeps_runs_apart(redis_cache):
    url, prefix = redis_cache
    cache.set("shared-name", "mine")
    assert redis_server.keys(url, prefix) == [f"{prefix}:1:shared-name"]
