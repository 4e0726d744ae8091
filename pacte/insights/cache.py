"""Cross-request cache of the expensive insights aggregates (Django's cache: locmem per process,
Redis when ``PACTE_REDIS_URL`` is set).

Only *raw* aggregates are cached — actuals per (unit, channel, month), per seller, targets and
objectives per key and month, the latest month with sales — never a rendered page nor anything
filtered by what a viewer may see: the filters that select the rows (units in scope, channel)
are part of the key, and visibility is applied after, on every request.

Keys carry what the figures depend on, so a change never serves a stale figure:

- actuals: the workspace's ``cube_version`` (bumped by the sales app in the same transaction as
  every change to the cube) and the closed months with their snapshot rows' ids;
- targets and objectives: a fingerprint of their sources for the fiscal year
  (``sources.plan_part``: the published cascade run's id and version, count and highest id of
  the objectives read model — agreed cells are rewritten, never updated in place —, of the
  placements) and today.

This module imports nothing of the insights app: the sources and selectors build their keys
with it, it never calls them.

Amounts stay exact integers (int64 arrays and Python ints are pickled as they are).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from django.core.cache import cache

from pacte.accounts.models import Workspace

TTL = 24 * 3600  # keys change on every change; the TTL only bounds the memory of dead keys
PREFIX = "insights:v2:"  # v2: open-month reads no longer hold the closed months


def _key(parts: tuple[Any, ...]) -> str:
    return PREFIX + hashlib.sha256(repr(parts).encode()).hexdigest()


def cached[T](parts: tuple[Any, ...], compute: Callable[[], T]) -> T:
    """The value cached under ``parts`` (a tuple of plain values), computed on a miss."""
    key = _key(parts)
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, TTL)
    return value


def cube_part(workspace: Workspace) -> tuple[Any, ...]:
    """What the actuals of ``workspace`` depend on (its cube version, as loaded with it)."""
    return ("cube", workspace.pk, workspace.cube_version)


def filters_part(filters: dict[str, Any]) -> tuple[Any, ...]:
    """The filters of a read as a key part (unit ids sorted: the same scope, the same key)."""
    units = filters.get("unit_ids")
    return (
        None if units is None else tuple(sorted(units)),
        filters.get("channel_id"),
        filters.get("seller_id"),
    )
