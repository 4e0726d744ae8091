"""Fixtures of the insights tests: a frozen 'today', cube cells and targets of the cast."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import pytest

from pacte.lib.fiscal import Month
from pacte.sales import cube
from pacte.sales.models import CubeCell
from pacte.testing.cast import Cast

TODAY = datetime.date(2026, 5, 15)


@pytest.fixture(autouse=True)
def frozen_today(monkeypatch: pytest.MonkeyPatch) -> datetime.date:
    from pacte.insights import sources

    monkeypatch.setattr(sources, "today", lambda: TODAY)
    return TODAY


@pytest.fixture
def cell(cast: Cast) -> Callable[..., CubeCell]:
    def _cell(
        seller: Any,
        year: int,
        month: int,
        split: int,
        overlay: int = 0,
        unit: Any = None,
        channel: Any = None,
    ) -> CubeCell:
        unit = unit or (cast.team if seller in (cast.seller, cast.lead) else cast.other_team)
        channel = channel or cast.channel
        index = Month(year, month).index
        cube.add_cells(  # the cube and its team roll-up, as the sales services write them
            cast.workspace.pk, [(seller.pk, unit.pk, channel.pk, index, split, overlay, 1)]
        )
        return CubeCell.objects.get(
            workspace=cast.workspace, seller=seller, unit=unit, channel=channel, month=index
        )

    return _cell


@pytest.fixture
def sales(cast: Cast, cell: Callable[..., CubeCell]) -> Cast:
    """History for 2025 and Jan–Apr 2026 (plus a partial May) for three sellers."""
    for m in range(1, 13):
        cell(cast.seller, 2025, m, 1000_00)
        cell(cast.lead, 2025, m, 500_00)
        cell(cast.other_seller, 2025, m, 2000_00)
    for m in range(1, 6):
        cell(cast.seller, 2026, m, 1200_00, overlay=100_00)
        cell(cast.lead, 2026, m, 400_00)
        cell(cast.other_seller, 2026, m, 2000_00)
    return cast


def publish_quotas(cast: Cast, quotas: list[tuple[Any, int, int]]) -> None:
    """Quarterly quotas (seller, quarter 1–4 of 2026, amount) published as FY2026's targets,
    each spread evenly over its quarter's months on the cast's channel."""
    from pacte.planning.runs import publish_stated_run

    shares = []
    for seller, quarter, amount in quotas:
        third, rest = divmod(amount, 3)
        first = Month(2026, 3 * quarter - 2).index
        shares += [
            (seller.pk, cast.channel.pk, first + i, third + (1 if i < rest else 0))
            for i in range(3)
        ]
    publish_stated_run(
        workspace=cast.workspace, actor=None, fiscal_year=2026, shares=shares, source="quotas"
    )


def cast_quotas(cast: Cast) -> list[tuple[Any, int, int]]:
    return [
        (seller, quarter, amount)
        for seller, amount in (
            (cast.seller, 3000_00),
            (cast.lead, 1500_00),
            (cast.other_seller, 6000_00),
        )
        for quarter in range(1, 5)
    ]


@pytest.fixture
def quotas(cast: Cast) -> Cast:
    """Quarterly quotas of three sellers for 2026, published as FY2026's targets."""
    publish_quotas(cast, cast_quotas(cast))
    return cast


@pytest.fixture(autouse=True)
def fresh_insights_cache() -> None:
    """Each test starts with an empty cache (ids are reused across rolled-back tests)."""
    from django.core.cache import cache

    cache.clear()
