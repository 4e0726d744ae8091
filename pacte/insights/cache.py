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
  are rewritten, never updated in place —, of the placements) and today.

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


def plan_part(workspace: Workspace, fiscal_year: int) -> tuple[Any, ...]:
    """A cheap fingerprint of the targets and objectives of a fiscal year (two indexed
    queries, memoised per request)."""
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
            *_counts_fp(workspace, fiscal_year),
        )
    return memo[key]


def _run_fp(workspace: Workspace, fiscal_year: int) -> tuple[Any, ...]:
    try:
        from pacte.planning.models import CascadeRun
    except ImportError:  # pragma: no cover - planning not installed
        return (None,)
    run = (
        CascadeRun.objects.for_workspace(workspace)
        .filter(fiscal_year=fiscal_year, status="published")
        .values_list("pk", "version", "published_at")
        .first()
    )
    return (None,) if run is None else (run[0], run[1], str(run[2]))


FINGERPRINTED = (
    ("pacte.objectives.models", "ObjectiveCell", True),  # of the fiscal year only
    ("pacte.org.models", "Placement", False),
)


def _counts_fp(workspace: Workspace, fiscal_year: int) -> tuple[Any, ...]:
    """Count and highest id of the objectives read model of the year and of the placements, in
    one statement of scalar subqueries: ``COUNT(*)`` and ``MAX(id)`` each on its own, so that
    both are answered from the workspace index (``COUNT(id), MAX(id)`` together make SQLite
    visit every row)."""
    import importlib

    from django.db import connection

    parts: list[str] = []
    params: list[Any] = []
    for module, name, by_year in FINGERPRINTED:
        try:
            model = getattr(importlib.import_module(module), name)
        except (ImportError, AttributeError):  # pragma: no cover - app not installed
            parts += ["NULL", "NULL"]
            continue
        table = connection.ops.quote_name(model._meta.db_table)
        pk = connection.ops.quote_name(model._meta.pk.column)
        where = "workspace_id = %s" + (" AND fiscal_year = %s" if by_year else "")
        args = [workspace.pk, fiscal_year] if by_year else [workspace.pk]
        parts.append(f"(SELECT COUNT(*) FROM {table} WHERE {where})")  # noqa: S608
        parts.append(f"(SELECT MAX({pk}) FROM {table} WHERE {where})")  # noqa: S608
        params += args + args
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts), params)
        row = cursor.fetchone()
    return tuple(row)
