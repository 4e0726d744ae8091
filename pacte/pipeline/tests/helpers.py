"""Deals for the pipeline tests, through the one import path."""

from __future__ import annotations

import datetime
from typing import Any

from django.utils import timezone

from pacte.accounts.models import Membership, User
from pacte.lib.fiscal import PeriodKind
from pacte.org.models import Placement, Unit
from pacte.pipeline import ingest, services
from pacte.pipeline.ingest import Result
from pacte.pipeline.models import Call, CallLevel
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


def many_teams(cast: Cast, count: int, sellers: int, prefix: str) -> list[Membership]:
    """``count`` teams under the company of ``sellers`` sellers each, every seller with a call on
    the quarter (stored as the services leave it: the latest) and a deal."""
    ws = cast.workspace
    root = cast.team.parent
    day = datetime.date(2020, 1, 1)
    teams = Unit.objects.bulk_create(
        [Unit(workspace=ws, name=f"{prefix} {i:03d}", parent=root) for i in range(count)]
    )
    users = User.objects.bulk_create(
        [
            User(email=f"{prefix}-{i}@acme.example", name=f"{prefix} {i}")
            for i in range(count * sellers)
        ]
    )
    members = Membership.objects.bulk_create(
        [Membership(workspace=ws, user=u, name=u.name, is_seller=True) for u in users]
    )
    Placement.objects.bulk_create(
        [
            Placement(workspace=ws, membership=m, unit=teams[i // sellers], valid_from=day)
            for i, m in enumerate(members)
        ]
    )
    period = quarter(cast)
    Call.objects.bulk_create(
        [
            Call(
                workspace=ws,
                member=m,
                level=CallLevel.SELLER,
                period=period.key,
                week=services.week_of(timezone.localdate()),
                commit=100,
                best_case=200,
                latest=True,
            )
            for m in members
        ]
    )
    services.touch_calls(ws.pk)
    load(cast, [row(m, f"{prefix}-{m.pk}") for m in members], source=prefix)
    return members
