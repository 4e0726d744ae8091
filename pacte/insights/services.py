"""Insights workflows: closing months, settings, the seller's judgment, digest preferences,
forecast snapshots. Each change is audited in its own transaction."""

from __future__ import annotations

from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from pacte.accounts.models import Membership, Workspace
from pacte.audit.services import record
from pacte.errors import DomainError, StaleVersion
from pacte.insights import monthly, periods, selectors
from pacte.insights.models import (
    ActualSnapshot,
    ClosedMonth,
    DigestPreference,
    ForecastSnapshot,
    InsightSettings,
    Judgment,
    LatePolicy,
    TeamSnapshot,
)
from pacte.lib.fiscal import Month
from pacte.sales.models import CubeCell


def _month_label(index: int) -> str:
    return str(Month.from_index(index))


@transaction.atomic
def close_month(*, workspace: Workspace, actor: Membership | None, month: int) -> ClosedMonth:
    """Freeze a month's actuals: copy its cube cells and its team roll-up into the snapshot
    tables."""
    today_index = Month.of(selectors.sources.today()).index
    if month >= today_index:
        raise DomainError(
            _("Only a month that is over can be closed."), code="month_not_over", field="month"
        )
    if ClosedMonth.objects.for_workspace(workspace).filter(month=month).exists():
        raise DomainError(
            _("%(month)s is already closed.") % {"month": _month_label(month)},
            code="already_closed",
            field="month",
        )
    closed = ClosedMonth.objects.create(workspace=workspace, month=month, closed_by=actor)
    selectors.sources.memo(workspace).clear()
    cells = (
        CubeCell.objects.for_workspace(workspace)
        .filter(month=month)
        .values_list(
            "seller_id", "unit_id", "channel_id", "split_amount", "overlay_amount", "sale_count"
        )
    )
    ActualSnapshot.objects.bulk_create(
        [
            ActualSnapshot(
                workspace=workspace,
                month=month,
                seller_id=s,
                unit_id=u,
                channel_id=c,
                split_amount=sp,
                overlay_amount=ov,
                sale_count=n,
            )
            for s, u, c, sp, ov, n in cells.iterator(chunk_size=5000)
        ],
        batch_size=2000,
    )
    with connection.cursor() as c:  # the team roll-up of the month, in one statement
        c.execute(
            "INSERT INTO insights_teamsnapshot (workspace_id, month, unit_id, channel_id, "
            "split_amount, overlay_amount, sale_count) SELECT workspace_id, month, unit_id, "
            "channel_id, split_amount, overlay_amount, sale_count FROM sales_teamcell "
            "WHERE workspace_id = %s AND month = %s",
            [workspace.pk, month],
        )
    record(
        workspace=workspace,
        actor=actor,
        action="period.closed",
        object_type="month",
        object_id=str(month),
        object_repr=_month_label(month),
        after={"month": _month_label(month)},
    )
    return closed


@transaction.atomic
def reopen_month(*, workspace: Workspace, actor: Membership | None, month: int) -> None:
    """Reopen a closed month: its figures follow the cube again."""
    deleted, _count = ClosedMonth.objects.for_workspace(workspace).filter(month=month).delete()
    if not deleted:
        raise DomainError(
            _("%(month)s is not closed.") % {"month": _month_label(month)},
            code="not_closed",
            field="month",
        )
    ActualSnapshot.objects.for_workspace(workspace).filter(month=month).delete()
    TeamSnapshot.objects.for_workspace(workspace).filter(month=month).delete()
    selectors.sources.memo(workspace).clear()
    record(
        workspace=workspace,
        actor=actor,
        action="period.reopened",
        object_type="month",
        object_id=str(month),
        object_repr=_month_label(month),
        before={"month": _month_label(month)},
    )


@transaction.atomic
def update_settings(
    *,
    workspace: Workspace,
    actor: Membership | None,
    late_sale_policy: str,
    judgment_weight: int | None = None,
    version: int | None = None,
) -> InsightSettings:
    if late_sale_policy not in LatePolicy.values:
        raise DomainError(
            _("Unknown policy for late sales."), code="invalid_policy", field="late_sale_policy"
        )
    current, _created = InsightSettings.objects.select_for_update().get_or_create(
        workspace=workspace
    )
    if version is not None and version != current.version:
        raise StaleVersion(_("The settings changed since you read them. Reload and try again."))
    before = {
        "late_sale_policy": current.late_sale_policy,
        "judgment_weight": current.judgment_weight,
    }
    current.late_sale_policy = late_sale_policy
    if judgment_weight is not None:
        if not 0 <= judgment_weight <= 100:
            raise DomainError(
                _("The weight is a percentage from 0 to 100."),
                code="invalid_weight",
                field="judgment_weight",
            )
        current.judgment_weight = judgment_weight
    current.version += 1
    current.save()
    record(
        workspace=workspace,
        actor=actor,
        action="insights.settings_changed",
        obj=current,
        object_repr=str(workspace),
        before=before,
        after={
            "late_sale_policy": current.late_sale_policy,
            "judgment_weight": current.judgment_weight,
        },
    )
    return current


@transaction.atomic
def save_judgment(
    *,
    seller: Membership,
    actor: Membership,
    fiscal_year: int,
    committed: int | None,
    best_case: int | None,
    note: str = "",
    version: int | None = None,
) -> Judgment:
    """The seller's own committed and best-case amounts for the year (only the seller)."""
    if actor.pk != seller.pk:
        from pacte.errors import PermissionDenied

        raise PermissionDenied(_("Only the seller enters their own forecast."))
    for name, value in (("committed", committed), ("best_case", best_case)):
        if value is not None and value < 0:
            raise DomainError(_("Amounts cannot be negative."), code="negative_amount", field=name)
    if committed is not None and best_case is not None and best_case < committed:
        raise DomainError(
            _("The best case cannot be below the committed amount."),
            code="best_case_below_committed",
            field="best_case",
        )
    judgment, created = Judgment.objects.select_for_update().get_or_create(
        workspace=seller.workspace, seller=seller, fiscal_year=fiscal_year
    )
    if not created and version is not None and version != judgment.version:
        raise StaleVersion(_("Your forecast changed since you read it. Reload and try again."))
    before = {"committed": judgment.committed, "best_case": judgment.best_case}
    judgment.committed, judgment.best_case, judgment.note = committed, best_case, note
    judgment.version = judgment.version + (0 if created else 1)
    judgment.updated_at = timezone.now()
    judgment.save()
    record(
        workspace=seller.workspace,
        actor=actor,
        action="forecast.judgment_saved",
        obj=judgment,
        object_repr=f"{seller.name} FY{fiscal_year}",
        before=None if created else before,
        after={"committed": committed, "best_case": best_case},
    )
    return judgment


@transaction.atomic
def set_digest_preference(*, member: Membership, digest: bool, alerts: bool) -> DigestPreference:
    pref, _created = DigestPreference.objects.get_or_create(
        member=member, defaults={"workspace_id": member.workspace_id}
    )
    pref.digest, pref.alerts = digest, alerts
    pref.save(update_fields=["digest", "alerts"])
    return pref


@transaction.atomic
def snapshot_forecasts(*, workspace: Workspace, as_of: int | None = None) -> int:
    """Store every seller's year forecast as of ``as_of`` (default: last month), idempotent
    (a second run of the same month replaces the first)."""
    cal = workspace.calendar
    if as_of is None:
        as_of = Month.of(selectors.sources.today()).index - 1
    fy = int(cal.fiscal_year_of_month_index(as_of))
    choice = periods.PeriodChoice(fy, "year", f"FY{fy:04d}", range(0, 12), as_of + 1)
    frame = monthly.build_frame(workspace, choice, by="seller")
    if not frame.keys:
        return 0
    probs = monthly.probabilities(frame, n=monthly.SNAPSHOT_SIMULATIONS)
    weight = selectors.settings_of(workspace).judgment_weight
    judged = selectors.judgments(workspace, fy, frame.keys)
    first = cal.first_month_index(fy)
    done = as_of - first + 1
    rows = []
    for i, seller_id in enumerate(frame.keys):
        if seller_id is None:
            continue
        forecast = selectors.blended_year_forecast(frame, i, judged.get(seller_id), weight)
        rows.append(
            ForecastSnapshot(
                workspace=workspace,
                seller_id=seller_id,
                fiscal_year=fy,
                month=as_of,
                actual_to_date=int(frame.actual[i, :done].sum()),
                forecast=forecast,
                objective=int(frame.objective[i].sum()) if frame.has_objective[i] else None,
                target=int(frame.target[i].sum()) if frame.has_target[i] else None,
                p_objective=_finite(probs[i, 0]),
                p_target=_finite(probs[i, 1]),
            )
        )
    ForecastSnapshot.objects.for_workspace(workspace).filter(fiscal_year=fy, month=as_of).delete()
    ForecastSnapshot.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


def _finite(value: Any) -> float | None:
    import math

    return None if value is None or math.isnan(float(value)) else float(value)
