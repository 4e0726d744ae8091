"""Cascade runs: create, re-run, publish (computed or stated), compare."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from pacte.accounts.models import Membership, Workspace
from pacte.amounts import check_amount
from pacte.audit.services import record, record_many
from pacte.errors import DomainError, check_version
from pacte.lib import allocation as alloc
from pacte.lib.money import MAX_MINOR
from pacte.org.models import Unit
from pacte.org.selectors import members_with_unit
from pacte.planning.cascade import MONTHS, compute, parse_params
from pacte.planning.models import (
    CascadeRun,
    CompanyTarget,
    Method,
    RunStatus,
    SellerExplanation,
)
from pacte.planning.services import is_closed
from pacte.planning.storage import (
    RunCells,
    store_explanations,
    store_runs_cells,
    store_shares,
)
from pacte.sales.models import Channel

#: ``publish_run(replaces=...)`` default: publish whatever run is the reference now.
ANY_REFERENCE: Any = object()


# ------------------------------------------------------------------------------------------
# runs


@transaction.atomic
def create_run(
    *,
    workspace: Workspace,
    actor: Membership | None,
    fiscal_year: int,
    parameters: Mapping[str, Any],
    total: int | None = None,
    rerun_of: CascadeRun | None = None,
) -> CascadeRun:
    """Compute a cascade and store it as a draft run with all its shares and explanations.

    ``total`` overrides the amount cascaded (by default the company target, or for a re-run
    from a later month the published run's total); ``rerun_of`` names the run whose inputs
    were taken (kept in the audit event)."""
    params = parse_params(parameters, currency=workspace.currency)
    computed = compute(workspace=workspace, fiscal_year=fiscal_year, params=params, total=total)
    number = (
        CascadeRun.objects.for_workspace(workspace)
        .filter(fiscal_year=fiscal_year)
        .select_for_update()
        .aggregate(n=Max("number"))["n"]
        or 0
    ) + 1
    run = CascadeRun.objects.create(
        workspace=workspace,
        fiscal_year=fiscal_year,
        number=number,
        method=params.method,
        parameters=params.as_json(),
        effective_from=params.effective_from,
        base_run=computed.base,
        total=computed.total,
        rounding_unit=workspace.rounding_unit,
        channel_codes=computed.inputs.channel_codes,
        seller_count=len(computed.inputs.seller_ids),
        created_by=actor,
    )
    store_shares(run, computed)
    store_explanations(run, computed)
    record(
        workspace=workspace,
        actor=actor,
        action="cascade.created",
        obj=run,
        after={
            "total": run.total,
            "parameters": run.parameters,
            "sellers": run.seller_count,
            **({"rerun_of": str(rerun_of.uuid)} if rerun_of is not None else {}),
        },
    )
    return run


@transaction.atomic
def rerun_for_target(*, run: CascadeRun, actor: Membership | None) -> CascadeRun:
    """A new draft run with the inputs of the published ``run`` and the company target as it
    is now: what to publish when the target changed after ``run`` was published."""
    run = CascadeRun.objects.select_related("workspace").get(pk=run.pk)
    if run.status != RunStatus.PUBLISHED:
        raise DomainError(
            _("Only the published run is re-run for a changed target."), code="not_published"
        )
    if run.method == Method.STATED:
        raise DomainError(
            _(
                "The published targets were loaded as stated, not cascaded: cascade the new "
                "target from the editor."
            ),
            code="stated_run",
        )
    target = (
        CompanyTarget.objects.for_workspace(run.workspace_id)
        .filter(fiscal_year=run.fiscal_year)
        .select_for_update()
        .first()
    )
    if target is None:
        raise DomainError(
            _("Set the company target of this year first."), code="no_target", field="year"
        )
    if is_closed(run.workspace, run.fiscal_year):
        raise DomainError(
            _("FY%(year)s is closed (its last day is past): its reference can no longer change.")
            % {"year": run.fiscal_year},
            code="closed_year",
        )
    if target.amount == run.total:
        raise DomainError(
            _("The published run already cascades the target: there is nothing to re-run."),
            code="target_unchanged",
        )
    return create_run(
        workspace=run.workspace,
        actor=actor,
        fiscal_year=run.fiscal_year,
        parameters=run.parameters,
        total=target.amount,
        rerun_of=run,
    )


@transaction.atomic
def publish_run(
    *,
    run: CascadeRun,
    actor: Membership | None,
    version: int | None = None,
    replaces: Any = ANY_REFERENCE,
) -> CascadeRun:
    """Make a draft the reference of its year; the previous reference becomes superseded.

    Refused for a closed fiscal year (its last day is past) and for a re-run whose base is no
    longer the published run. ``replaces`` is the uuid of the published run the publisher was
    shown the changes against (``None``: none was published); when another run has been
    published since, the publication is refused so that nobody confirms changes they did not
    see.
    """
    run = CascadeRun.objects.select_for_update().get(pk=run.pk)
    check_version(run, version)
    if run.status != RunStatus.DRAFT:
        raise DomainError(_("Only a draft run can be published."), code="not_draft")
    if is_closed(run.workspace, run.fiscal_year):
        raise DomainError(
            _("FY%(year)s is closed (its last day is past): its reference can no longer change.")
            % {"year": run.fiscal_year},
            code="closed_year",
        )
    current = (
        CascadeRun.objects.select_for_update()
        .filter(
            workspace_id=run.workspace_id, fiscal_year=run.fiscal_year, status=RunStatus.PUBLISHED
        )
        .first()
    )
    if replaces is not ANY_REFERENCE and str(replaces or "") != str(
        current.uuid if current else ""
    ):
        raise DomainError(
            _(
                "Another run was published since you reviewed the changes: review them again "
                "before publishing."
            ),
            code="reference_changed",
        )
    if run.base_run_id is not None and (current is None or current.pk != run.base_run_id):
        raise DomainError(
            _("This re-run was made from a run that is no longer the reference; run it again."),
            code="stale_base",
        )
    if current is not None:
        current.status = RunStatus.SUPERSEDED
        current.version += 1
        current.save(update_fields=["status", "version"])
    run.status = RunStatus.PUBLISHED
    run.published_at = timezone.now()
    run.version += 1
    run.save(update_fields=["status", "published_at", "version"])
    record(
        workspace=run.workspace,
        actor=actor,
        action="cascade.published",
        obj=run,
        before={"reference": str(current.uuid) if current else None},
        after={"reference": str(run.uuid), "total": run.total},
    )
    return run


@transaction.atomic
def publish_stated_run(
    *,
    workspace: Workspace,
    actor: Membership | None,
    fiscal_year: int,
    shares: Iterable[tuple[int, int, int, int]],
    source: str,
) -> CascadeRun:
    """Publish targets stated outside the cascade (a sample's quotas, another tool's targets)
    as the reference of ``fiscal_year``: a run of method "stated" that holds exactly the given
    amounts, stored and rolled up to every unit like a cascade's shares, so that every reader
    of the reference (objectives, insights, the targets pages) reads them the same way.

    ``shares`` are (seller id, channel id, month index, amount in minor units) rows; rows of
    the same cell add up. A seller counts in the team they are placed in on the year's last
    day (today while the year runs), else in their latest team. The year's published run, if
    any, is superseded; a closed year's published reference never changes, so there only a
    first reference may be stated. ``source`` names where the amounts come from.
    """
    item = StatedTargets(workspace=workspace, fiscal_year=fiscal_year, shares=shares)
    return _publish_stated([item], actor=actor, source=source)[0]


@dataclass(frozen=True)
class StatedTargets:
    """One workspace's stated targets of a fiscal year (see :func:`publish_stated_run`)."""

    workspace: Workspace
    fiscal_year: int
    shares: Iterable[tuple[int, int, int, int]]


@transaction.atomic
def publish_stated_runs(*, items: Sequence[StatedTargets], source: str) -> list[CascadeRun]:
    """:func:`publish_stated_run` for many workspaces (or years) at once, with no actor (a
    provisioning or a load of many companies): the same runs, cells, explanations and audit
    events as one call per item, in one transaction, with one insert a table for them all
    instead of a dozen statements a run. Any item refused refuses them all."""
    return _publish_stated(items, actor=None, source=source)


@dataclass
class _Stated:
    """An item validated and summed into cells, before it is stored."""

    item: StatedTargets
    seller_ids: np.ndarray
    channel_ids: np.ndarray
    codes: list[str]
    cells: np.ndarray
    seller_unit_ids: np.ndarray
    unit_ids: np.ndarray
    unit_cells: np.ndarray
    first: int


def _publish_stated(
    items: Sequence[StatedTargets], *, actor: Membership | None, source: str
) -> list[CascadeRun]:
    keys = [(item.workspace.pk, item.fiscal_year) for item in items]
    if len(set(keys)) != len(keys):
        raise ValueError("one item per workspace and fiscal year")
    workspace_ids = sorted({pk for pk, _fy in keys})
    channels = _channels_of(workspace_ids)
    units = _units_of(workspace_ids)
    prepared = [_prepare_stated(item, channels, units) for item in items]
    # Every run of the years concerned, locked: the published one is superseded, the next
    # number follows the highest.
    existing = list(
        CascadeRun.objects.select_for_update()
        .filter(workspace_id__in=workspace_ids, fiscal_year__in={fy for _pk, fy in keys})
        .order_by("pk")
    )
    numbers: dict[tuple[int, int], int] = {}
    current: dict[tuple[int, int], CascadeRun] = {}
    for run in existing:
        key = (run.workspace_id, run.fiscal_year)
        numbers[key] = max(numbers.get(key, 0), run.number)
        if run.status == RunStatus.PUBLISHED:
            current[key] = run
    for item in items:
        if (item.workspace.pk, item.fiscal_year) in current and is_closed(
            item.workspace, item.fiscal_year
        ):
            raise DomainError(
                _(
                    "FY%(year)s is closed (its last day is past): its reference can no longer change."
                )
                % {"year": item.fiscal_year},
                code="closed_year",
            )
    superseded = [current[key] for key in keys if key in current]
    for old in superseded:
        old.status = RunStatus.SUPERSEDED
        old.version += 1
    CascadeRun.objects.bulk_update(superseded, ["status", "version"])
    now = timezone.now()
    runs = CascadeRun.objects.bulk_create(
        [
            CascadeRun(
                workspace=p.item.workspace,
                fiscal_year=p.item.fiscal_year,
                number=numbers.get(key, 0) + 1,
                status=RunStatus.PUBLISHED,
                method=Method.STATED,
                parameters={"method": Method.STATED, "source": source},
                total=int(p.cells.sum()),
                rounding_unit=1,
                channel_codes=p.codes,
                seller_count=int(p.seller_ids.size),
                created_by=actor,
                published_at=now,
            )
            for key, p in zip(keys, prepared, strict=True)
        ]
    )
    store_runs_cells(
        [
            RunCells(
                run=run,
                seller_ids=p.seller_ids,
                seller_unit_ids=p.seller_unit_ids,
                channel_ids=p.channel_ids,
                first_month=p.first,
                cells=p.cells,
                unit_ids=p.unit_ids,
                unit_cells=p.unit_cells,
            )
            for run, p in zip(runs, prepared, strict=True)
        ]
    )
    _explain_stated(runs, prepared, source)
    record_many(
        {
            "workspace": run.workspace,
            "actor": actor,
            "action": "cascade.stated",
            "obj": run,
            "before": {"reference": str(current[key].uuid) if key in current else None},
            "after": {
                "reference": str(run.uuid),
                "total": run.total,
                "sellers": run.seller_count,
                "source": source,
            },
        }
        for key, run in zip(keys, runs, strict=True)
    )
    return runs


def _channels_of(workspace_ids: list[int]) -> dict[int, Any]:
    """Channel id → (workspace id, code) of the workspaces' channels."""
    return {
        pk: (ws, code)
        for pk, ws, code in Channel.objects.filter(workspace_id__in=workspace_ids).values_list(
            "pk", "workspace_id", "code"
        )
    }


def _units_of(workspace_ids: list[int]) -> dict[int, list[tuple[int, int | None]]]:
    """Each workspace's units (id, parent id) in id order."""
    out: dict[int, list[tuple[int, int | None]]] = {pk: [] for pk in workspace_ids}
    for ws, pk, parent in (
        Unit.objects.filter(workspace_id__in=workspace_ids)
        .order_by("pk")
        .values_list("workspace_id", "pk", "parent_id")
    ):
        out[ws].append((pk, parent))
    return out


def _prepare_stated(
    item: StatedTargets,
    channels_by_id: dict[int, Any],
    units_by_workspace: dict[int, list[tuple[int, int | None]]],
) -> _Stated:
    """Validate an item's rows and sum them into seller cells and their roll-up to every unit."""
    workspace, fiscal_year = item.workspace, item.fiscal_year
    cal = workspace.calendar
    first = cal.first_month_index(fiscal_year)
    rows = np.array(list(item.shares), dtype=np.int64).reshape(-1, 4)
    if not rows.size:
        raise DomainError(_("There are no stated targets to publish."), code="no_shares")
    if ((rows[:, 2] < first) | (rows[:, 2] >= first + MONTHS)).any():
        raise DomainError(
            _("A stated target falls outside FY%(year)s.") % {"year": fiscal_year},
            code="bad_month",
        )
    bad = rows[(rows[:, 3] < 0) | (rows[:, 3] > MAX_MINOR), 3]
    if bad.size:
        check_amount(int(bad[0]), workspace.currency)  # raises, with the message of the first
    seller_ids, seller_pos = np.unique(rows[:, 0], return_inverse=True)
    channel_ids, channel_pos = np.unique(rows[:, 1], return_inverse=True)
    channels = {
        pk: channels_by_id[pk][1]
        for pk in channel_ids.tolist()
        if pk in channels_by_id and channels_by_id[pk][0] == workspace.pk
    }
    if len(channels) != channel_ids.size:
        raise DomainError(_("A stated target names an unknown channel."), code="unknown_channel")
    units = units_by_workspace[workspace.pk]
    unit_pos = {pk: i for i, (pk, _parent) in enumerate(units)}
    seller_units = _stated_units(workspace, seller_ids.tolist(), fiscal_year)
    unknown = [pk for pk in seller_ids.tolist() if seller_units.get(pk) not in unit_pos]
    if unknown:
        raise DomainError(
            _("A stated target names someone who is not placed in a team of this workspace."),
            code="unknown_seller",
        )
    cells = np.zeros((seller_ids.size, channel_ids.size, MONTHS), np.int64)
    np.add.at(cells, (seller_pos, channel_pos, rows[:, 2] - first), rows[:, 3])
    seller_unit_ids = np.array([seller_units[pk] for pk in seller_ids.tolist()], np.int64)
    unit_ids = np.array([pk for pk, _parent in units], np.int64)
    unit_parent = np.array([unit_pos[p] if p else -1 for _pk, p in units], np.int64)
    unit_cells = alloc.rollup(
        np.array([unit_pos[u] for u in seller_unit_ids.tolist()], np.int64), cells, unit_parent
    )
    return _Stated(
        item=item,
        seller_ids=seller_ids,
        channel_ids=channel_ids,
        codes=[channels[pk] for pk in channel_ids.tolist()],
        cells=cells,
        seller_unit_ids=seller_unit_ids,
        unit_ids=unit_ids,
        unit_cells=unit_cells,
        first=first,
    )


def _explain_stated(runs: list[CascadeRun], prepared: list[_Stated], source: str) -> None:
    """Each seller's explanation of each stated run: its source, channels and months."""
    seller_ids = [pk for p in prepared for pk in p.seller_ids.tolist()]
    uuids = dict(Membership.objects.filter(pk__in=seller_ids).values_list("pk", "uuid"))
    SellerExplanation.objects.bulk_create(
        [
            SellerExplanation(
                workspace_id=run.workspace_id,
                run=run,
                seller_id=pk,
                unit_id=int(p.seller_unit_ids[i]),
                amount=int(p.cells[i].sum()),
                data={
                    "key": str(uuids[pk]),
                    "method": Method.STATED,
                    "source": source,
                    "channels": dict(zip(p.codes, p.cells[i].sum(axis=1).tolist(), strict=True)),
                    "months": p.cells[i].sum(axis=0).tolist(),
                },
            )
            for run, p in zip(runs, prepared, strict=True)
            for i, pk in enumerate(p.seller_ids.tolist())
        ],
        batch_size=2000,
    )


def _stated_units(workspace: Workspace, seller_ids: list[int], fiscal_year: int) -> dict[int, Any]:
    """Each seller's team on the year's last day (today while it runs), else their latest."""
    from pacte.org.models import Placement

    cal = workspace.calendar
    day = min(max(timezone.localdate(), cal.fy_start(fiscal_year)), cal.fy_end(fiscal_year))
    on_day = dict(
        members_with_unit(workspace, day)
        .filter(pk__in=seller_ids)
        .exclude(unit_id=None)  # type: ignore[misc]  # an annotation of members_with_unit
        .values_list("pk", "unit_id")
    )
    missing = [pk for pk in seller_ids if pk not in on_day]
    if missing:
        latest = (
            Placement.objects.for_workspace(workspace)
            .filter(membership_id__in=missing)
            .order_by("membership_id", "valid_from")
            .values_list("membership_id", "unit_id")
        )
        on_day.update(dict(latest))  # the last placement of each member wins
    return on_day


# ------------------------------------------------------------------------------------------
# compare


REASON_LABELS = {
    "method": _("method changed"),
    "weight": _("weight share changed"),
    "bound": _("growth bound changed"),
    "hold": _("hold changed"),
    "excluded": _("exclusion changed"),
    "past": _("past months kept"),
    "rounding": _("rounding"),
    "new": _("not in the other run"),
}


def compare_runs(a: CascadeRun, b: CascadeRun) -> list[dict[str, Any]]:
    """Per seller: amount in ``a`` and ``b``, the difference and the reasons, largest first."""
    rows_a = {
        r[0]: r
        for r in SellerExplanation.objects.for_workspace(a.workspace_id)
        .filter(run=a)
        .values_list("seller_id", "amount", "data", "seller__uuid", "seller__name")
    }
    rows_b = {
        r[0]: r
        for r in SellerExplanation.objects.for_workspace(b.workspace_id)
        .filter(run=b)
        .values_list("seller_id", "amount", "data", "seller__uuid", "seller__name")
    }
    out: list[dict[str, Any]] = []
    for seller_id in rows_a.keys() | rows_b.keys():
        ra, rb = rows_a.get(seller_id), rows_b.get(seller_id)
        amount_a = ra[1] if ra else 0
        amount_b = rb[1] if rb else 0
        da = ra[2] if ra else {}
        db = rb[2] if rb else {}
        reasons = []
        if ra is None or rb is None:
            reasons.append("new")
        else:
            if a.method != b.method:
                reasons.append("method")
            if abs(da.get("weight_share", 0) - db.get("weight_share", 0)) > 1e-9:
                reasons.append("weight")
            if (da.get("bound"), da.get("lower"), da.get("upper")) != (
                db.get("bound"),
                db.get("lower"),
                db.get("upper"),
            ):
                reasons.append("bound")
            if (da.get("held"), da.get("hold")) != (db.get("held"), db.get("hold")):
                reasons.append("hold")
            if da.get("excluded") != db.get("excluded"):
                reasons.append("excluded")
            if da.get("past") or db.get("past"):
                reasons.append("past")
            if amount_a != amount_b and not reasons:
                reasons.append("rounding")
        ref = rb or ra
        assert ref is not None
        out.append(
            {
                "seller_uuid": str(ref[3]),
                "seller_name": ref[4],
                "a": amount_a,
                "b": amount_b,
                "delta": amount_b - amount_a,
                "weight_share_a": da.get("weight_share"),
                "weight_share_b": db.get("weight_share"),
                "bound_a": da.get("bound"),
                "bound_b": db.get("bound"),
                "reasons": reasons,
                "reason_labels": [str(REASON_LABELS[r]) for r in reasons],
            }
        )
    out.sort(key=lambda r: (-abs(r["delta"]), r["seller_name"], r["seller_uuid"]))
    return out
