"""Cross-request cache of the expensive insights aggregates (Django's cache: locmem per process,
Redis when ``PACTE_REDIS_URL`` is set).

Only *raw* aggregates are cached — actuals per (unit, channel, month), per seller, targets and
objectives per key and month, the latest month with sales — never a rendered page nor anything
filtered by what a viewer may see: the filters that select the rows (units in scope, channel)
are part of the key, and visibility is applied after, on every request.

Keys carry what the figures depend on, so a change never serves a stale figure:

- actuals: the workspace's ``cube_version`` (bumped by the sales app in the same transaction as
  every change to the cube) and the closed months with their snapshot rows' ids;
- targets and objectives: a fingerprint of their sources for the fiscal year (the published
  cascade run's id and version, count and highest id of the objectives read model — agreed cells
  are rewritten, never updated in place —, of the sample quotas, of the placements) and today.

Amounts stay exact integers (int64 arrays and Python ints are pickled as they are).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from django.core.cache import cache
from django.db.models import Count, Max

from pacte.accounts.models import Workspace

TTL = 24 * 3600  # keys change on every change; the TTL only bounds the memory of dead keys
PREFIX = "insights:v1:"


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


def plan_part(workspace: Workspace, fiscal_year: int) -> tuple[Any, ...]:
    """A cheap fingerprint of the targets and objectives of a fiscal year (four indexed
    aggregate queries, memoised per request)."""
    from pacte.insights import sources

    memo = sources.memo(workspace)
    key = ("plan_fp", fiscal_year)
    if key not in memo:
        memo[key] = (
            "plan",
            workspace.pk,
            fiscal_year,
            str(sources.today()),
            *_run_fp(workspace, fiscal_year),
            *_objective_fp(workspace, fiscal_year),
            *_aggregate_fp("pacte.sales.models", "SampleQuota", workspace),
            *_aggregate_fp("pacte.org.models", "Placement", workspace),
        )
    return memo[key]


def _run_fp(workspace: Workspace, fiscal_year: int) -> tuple[Any, ...]:
    try:
        from pacte.planning.models import CascadeRun
    except ImportError:  # pragma: no cover - planning not installed
        return (None,)
    run = (
        CascadeRun.objects.filter(workspace=workspace, fiscal_year=fiscal_year, status="published")
        .values_list("pk", "version", "published_at")
        .first()
    )
    return (None,) if run is None else (run[0], run[1], str(run[2]))


def _objective_fp(workspace: Workspace, fiscal_year: int) -> tuple[Any, ...]:
    try:
        from pacte.objectives.models import ObjectiveCell
    except ImportError:  # pragma: no cover - objectives not installed
        return (None,)
    agg = ObjectiveCell.objects.filter(workspace=workspace, fiscal_year=fiscal_year).aggregate(
        n=Count("pk"), top=Max("pk")
    )
    return (agg["n"], agg["top"])


def _aggregate_fp(module: str, name: str, workspace: Workspace) -> tuple[Any, ...]:
    import importlib

    try:
        model = getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError):  # pragma: no cover
        return (None,)
    agg = model.objects.filter(workspace=workspace).aggregate(n=Count("pk"), top=Max("pk"))
    return (agg["n"], agg["top"])
