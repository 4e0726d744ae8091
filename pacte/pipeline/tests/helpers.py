"""Deals for the pipeline tests, through the one import path."""

from __future__ import annotations

import datetime
from typing import Any

from django.utils import timezone

from pacte.accounts.models import Membership
from pacte.lib.fiscal import PeriodKind
from pacte.pipeline import ingest
from pacte.pipeline.ingest import Result
from pacte.testing.cast import Cast


def quarter(cast: Cast) -> Any:
    """The current quarter of the cast's workspace (open: calls can be made)."""
    return cast.workspace.calendar.current(timezone.localdate(), PeriodKind.QUARTER)


def close_day(cast: Cast) -> datetime.date:
    """A day in the current quarter, today or later."""
    return max(timezone.localdate(), quarter(cast).bounds[0])


def row(owner: Membership, ext: str, **values: Any) -> dict[str, Any]:
    day = values.pop("close_date", None) or close_day_for(owner)
    return {
        "external_id": ext,
        "name": values.pop("name", f"Deal {ext}"),
        "amount": values.pop("amount", "1000.00"),
        "close_date": day.isoformat() if isinstance(day, datetime.date) else day,
        "stage": values.pop("stage", "Proposal"),
        "probability": values.pop("probability", "50"),
        "category": values.pop("category", "pipeline"),
        "owner": owner.email,
        **values,
    }


def close_day_for(member: Membership) -> datetime.date:
    cal = member.workspace.calendar
    q = cal.current(timezone.localdate(), PeriodKind.QUARTER)
    return max(timezone.localdate(), q.bounds[0])


def load(cast: Cast, rows: list[dict[str, Any]], *, source: str = "crm") -> Result:
    return ingest.ingest(
        workspace=cast.workspace,
        actor=cast.admin,
        frames=[ingest.frame_from_records(rows)],
        source=source,
    )
