"""Fixtures of the insights tests: a frozen 'today', cube cells and targets of the cast."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import pytest

from pacte.lib.fiscal import Month
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
        return CubeCell.objects.create(
            workspace=cast.workspace,
            seller=seller,
            unit=unit or (cast.team if seller in (cast.seller, cast.lead) else cast.other_team),
            channel=channel or cast.channel,
            month=Month(year, month).index,
            split_amount=split,
            overlay_amount=overlay,
            sale_count=1,
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


@pytest.fixture
def quotas(cast: Cast) -> Cast:
    """Quarterly sample quotas (targets) for 2026."""
    from pacte.sales.models import SampleQuota

    for seller, amount in (
        (cast.seller, 3000_00),
        (cast.lead, 1500_00),
        (cast.other_seller, 6000_00),
    ):
        for q in range(4):
            SampleQuota.objects.create(
                workspace=cast.workspace,
                seller=seller,
                quarter_start=datetime.date(2026, 3 * q + 1, 1),
                amount=amount,
            )
    return cast


@pytest.fixture(autouse=True)
def fresh_insights_cache() -> None:
    """Each test starts with an empty cache (ids are reused across rolled-back tests)."""
    from django.core.cache import cache

    cache.clear()
