"""Targets and cascades: set the company target, preview, store, publish, compare, explain.

The maths is :func:`pacte.lib.allocation.cascade`; this module reads its inputs from the
database (sellers, units, channels, the cube, potentials, capacities, leave), turns its errors
into translated :class:`DomainError` messages, and stores its integer results in bulk.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

import numpy as np
from django.db import connections, transaction
from django.db.models import Max, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from pacte.accounts.models import Membership, Workspace
from pacte.amounts import check_amount
from pacte.audit.services import record
from pacte.errors import DomainError, check_version
from pacte.lib import allocation as alloc
from pacte.lib.fiscal import FiscalCalendar
from pacte.lib.money import MAX_MINOR
from pacte.org.models import Unit
from pacte.org.selectors import members_with_unit
from pacte.planning.models import (
    Capacity,
    CascadeRun,
    CascadeShare,
    CompanyTarget,
    Leave,
    Method,
    Potential,
    RunStatus,
    SellerExplanation,
    UnitShare,
)
from pacte.sales.models import Channel, CubeCell
from pacte.uploads import FileTooLarge

MONTHS = 12
#: ``publish_run(replaces=...)`` default: publish whatever run is the reference now.
ANY_REFERENCE: Any = object()
BLEND_METHODS = ("equal", "history", "potential", "capacity")
PHASINGS = ("flat", "seasonal", "custom")


def calendar_of(workspace: Workspace) -> FiscalCalendar:
    return FiscalCalendar(workspace.fiscal_year_start_month)


def is_closed(workspace: Workspace, fiscal_year: int, today: datetime.date | None = None) -> bool:
    """A fiscal year is closed once its last day is past (in the server's time zone)."""
    return calendar_of(workspace).fy_end(fiscal_year) < (today or timezone.localdate())


def parse_year(workspace: Workspace, key: object, *, field_name: str = "year") -> int:
    """A fiscal year key (``FY2027``) to its number; anything else is a clear 400."""
    try:
        period = calendar_of(workspace).parse_period(str(key))
    except ValueError:
        raise DomainError(
            _("“%(key)s” is not a fiscal year: write it like FY2027.") % {"key": key},
            code="bad_period",
            field=field_name,
        ) from None
    if period.number is not None:
        raise DomainError(
            _("“%(key)s” is not a fiscal year: write it like FY2027.") % {"key": key},
            code="bad_period",
            field=field_name,
        )
    return period.fy


# ------------------------------------------------------------------------------------------
# company target


@transaction.atomic
def set_company_target(
    *,
    workspace: Workspace,
    actor: Membership | None,
    fiscal_year: int,
    amount: int,
    channel_split: Mapping[str, int] | None = None,
    version: int | None = None,
) -> CompanyTarget:
    """Create or change the company target of a fiscal year (amounts in minor units).

    ``channel_split`` maps channel codes to amounts that must sum exactly to ``amount``.
    """
    amount = check_amount(amount, workspace.currency)
    split: dict[str, int] = {}
    if channel_split:
        codes = set(Channel.objects.for_workspace(workspace).values_list("code", flat=True))
        for code, value in channel_split.items():
            if code not in codes:
                raise DomainError(
                    _("Unknown channel “%(code)s”.") % {"code": code},
                    code="unknown_channel",
                    field="channel_split",
                )
            value = check_amount(value, workspace.currency, field="channel_split")
            if value:
                split[code] = value
        if sum(split.values()) != amount:
            raise DomainError(
                _("The channel amounts sum to %(sum)s, not to the target %(amount)s.")
                % {"sum": sum(split.values()), "amount": amount},
                code="split_mismatch",
                field="channel_split",
            )
    target = (
        CompanyTarget.objects.select_for_update()
        .filter(workspace=workspace, fiscal_year=fiscal_year)
        .first()
    )
    if target is None:
        target = CompanyTarget.objects.create(
            workspace=workspace,
            fiscal_year=fiscal_year,
            amount=amount,
            channel_split=split,
            updated_by=actor,
        )
        before = None
    else:
        check_version(target, version)
        before = {"amount": target.amount, "channel_split": target.channel_split}
        if before == {"amount": amount, "channel_split": split}:
            return target
        target.amount = amount
        target.channel_split = split
        target.version += 1
        target.updated_by = actor
        target.updated_at = timezone.now()
        target.save()
    record(
        workspace=workspace,
        actor=actor,
        action="target.set",
        obj=target,
        before=before,
        after={"amount": amount, "channel_split": split},
    )
    return target


# ------------------------------------------------------------------------------------------
# parameters


@dataclass
class Params:
    """Validated cascade parameters (the JSON stored on a run)."""

    method: str = Method.EQUAL
    mix: dict[str, float] = field(default_factory=dict)
    window_months: int = 12
    bounds: tuple[float, float] | None = None  # growth in percent, e.g. (-10, 30)
    holds: dict[str, int] = field(default_factory=dict)  # seller uuid → annual minor units
    exclusions: list[str] = field(default_factory=list)  # seller uuids
    phasing: str = "flat"
    profile: list[float] | None = None
    ramp_months: int = 3
    effective_from: int = 1

    def as_json(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "mix": self.mix,
            "window_months": self.window_months,
            "bounds": list(self.bounds) if self.bounds else None,
            "holds": self.holds,
            "exclusions": self.exclusions,
            "phasing": self.phasing,
            "profile": self.profile,
            "ramp_months": self.ramp_months,
            "effective_from": self.effective_from,
        }


def _number(value: object, name: str) -> float:
    try:
        number = float(Decimal(str(value).strip().replace(",", ".")))
    except (InvalidOperation, ValueError):
        raise DomainError(
            _("“%(value)s” is not a number.") % {"value": value}, code="not_a_number", field=name
        ) from None
    if not np.isfinite(number):
        raise DomainError(
            _("“%(value)s” is not a number.") % {"value": value}, code="not_a_number", field=name
        )
    return number


def parse_params(raw: Mapping[str, Any], *, currency: str = "EUR") -> Params:
    """Validate parameters from a form or the API; every refusal names its field."""
    params = Params()
    method = str(raw.get("method") or Method.EQUAL)
    if method not in Method.values or method == Method.STATED:
        raise DomainError(
            _("Unknown method “%(method)s”.") % {"method": method},
            code="bad_method",
            field="method",
        )
    params.method = method
    if method == Method.BLENDED:
        mix_raw = raw.get("mix") or {}
        mix = {}
        for name, value in dict(mix_raw).items():
            if name not in BLEND_METHODS:
                raise DomainError(
                    _("Unknown method “%(method)s” in the blend.") % {"method": name},
                    code="bad_method",
                    field="mix",
                )
            share = _number(value, "mix")
            if share < 0:
                raise DomainError(
                    _("Blend shares cannot be negative."), code="negative", field="mix"
                )
            if share:
                mix[name] = share
        if not mix:
            raise DomainError(
                _("All blend weights are zero: give at least one method a positive weight."),
                code="weights_zero",
                field="mix",
            )
        params.mix = mix
    window = raw.get("window_months", 12)
    window_n = int(_number(window if window not in ("", None) else 12, "window_months"))
    if not 1 <= window_n <= 36:
        raise DomainError(
            _("The history window is 1 to 36 months."), code="bad_window", field="window_months"
        )
    params.window_months = window_n
    bounds = raw.get("bounds")
    if bounds:
        low, high = (_number(bounds[0], "bounds"), _number(bounds[1], "bounds"))
        if low < -100 or low > high:
            raise DomainError(
                _("Growth bounds need −100 % ≤ low ≤ high (e.g. −10 and +30)."),
                code="bad_bounds",
                field="bounds",
            )
        params.bounds = (low, high)
    holds = {}
    for key, value in dict(raw.get("holds") or {}).items():
        holds[str(key)] = check_amount(value, currency, field="holds")
    params.holds = holds
    params.exclusions = [str(x) for x in raw.get("exclusions") or []]
    phasing = str(raw.get("phasing") or "flat")
    if phasing not in PHASINGS:
        raise DomainError(
            _("Unknown phasing “%(phasing)s”.") % {"phasing": phasing},
            code="bad_phasing",
            field="phasing",
        )
    params.phasing = phasing
    if phasing == "custom":
        profile = raw.get("profile") or []
        values = [_number(v, "profile") for v in profile]
        if len(values) != MONTHS or any(v < 0 for v in values) or not any(values):
            raise DomainError(
                _("A custom phasing is 12 non-negative numbers, not all zero."),
                code="bad_profile",
                field="profile",
            )
        params.profile = values
    ramp = raw.get("ramp_months", 3)
    params.ramp_months = int(_number(ramp if ramp not in ("", None) else 3, "ramp_months"))
    if not 0 <= params.ramp_months <= 24:
        raise DomainError(_("The ramp-up is 0 to 24 months."), code="bad_ramp", field="ramp_months")
    eff = int(_number(raw.get("effective_from") or 1, "effective_from"))
    if not 1 <= eff <= MONTHS:
        raise DomainError(
            _("A re-run takes effect from fiscal month 1 to 12."),
            code="bad_month",
            field="effective_from",
        )
    params.effective_from = eff
    return params


# ------------------------------------------------------------------------------------------
# inputs from the database


@dataclass
class Inputs:
    """Everything the maths needs, as arrays aligned on ``seller_ids`` (positions)."""

    fiscal_year: int
    first_month: int  # Month.index of fiscal month 1
    seller_ids: np.ndarray
    seller_uuids: list[str]
    seller_names: list[str]
    seller_unit: np.ndarray  # positions into unit_ids
    unit_ids: np.ndarray
    unit_parent: np.ndarray
    unit_names: list[str]
    unit_uuids: list[str]
    channel_ids: np.ndarray
    channel_codes: list[str]
    history: np.ndarray  # (n, c, window) minor units, split credits only
    history_end: int  # Month.index just after the window: the FY start or the current month
    fte: np.ndarray
    start_month: np.ndarray  # fiscal month position (0 = first month) the seller starts
    availability: np.ndarray  # (n, 12) share of each month not on leave
    potential: np.ndarray
    gone: np.ndarray  # sellers kept only for their past months in a re-run


def _seller_rows(workspace: Workspace, day: datetime.date) -> list[tuple[Any, ...]]:
    return list(
        members_with_unit(workspace, day)
        .filter(is_seller=True, is_active=True)
        .exclude(unit_id=None)  # type: ignore[misc]  # an annotation of members_with_unit
        .order_by("pk")
        .values_list("pk", "uuid", "name", "unit_id", "joined_on")
    )


def load_inputs(
    workspace: Workspace, fiscal_year: int, params: Params, base: CascadeRun | None = None
) -> Inputs:
    """Read sellers, units, channels and every method's inputs in a handful of queries."""
    cal = calendar_of(workspace)
    first = cal.first_month_index(fiscal_year)
    today = timezone.localdate()
    day = min(max(today, cal.fy_start(fiscal_year)), cal.fy_end(fiscal_year))
    rows = _seller_rows(workspace, day)
    gone_ids: set[int] = set()
    if base is not None:
        current = {r[0] for r in rows}
        extra = (
            SellerExplanation.objects.filter(workspace=workspace, run=base)
            .exclude(seller_id__in=current)
            .values_list(
                "seller_id", "seller__uuid", "seller__name", "unit_id", "seller__joined_on"
            )
        )
        extra_rows = list(extra)
        gone_ids = {r[0] for r in extra_rows}
        rows = sorted(rows + extra_rows, key=lambda r: r[0])
    if not rows:
        raise DomainError(
            _("There is no active seller placed in a team to cascade to."), code="no_sellers"
        )
    units = list(
        Unit.objects.for_workspace(workspace)
        .order_by("pk")
        .values_list("pk", "parent_id", "name", "uuid")
    )
    unit_pos = {u[0]: i for i, u in enumerate(units)}
    unit_parent = np.array([unit_pos.get(u[1], -1) if u[1] else -1 for u in units], np.int64)
    channels = list(
        Channel.objects.for_workspace(workspace)
        .filter(is_active=True)
        .order_by("position", "code")
        .values_list("pk", "code")
    )
    if not channels:
        raise DomainError(
            _("The workspace has no active channel: add one before cascading."), code="no_channels"
        )
    n, c = len(rows), len(channels)
    seller_ids = np.array([r[0] for r in rows], np.int64)
    seller_pos = {int(pk): i for i, pk in enumerate(seller_ids)}
    channel_pos = {pk: i for i, (pk, _code) in enumerate(channels)}

    window = params.window_months
    # The window ends at the fiscal year's start, or earlier when that month has not come yet:
    # a month still under way (or in the future) would read as a seasonal trough.
    history_end = min(first, today.year * 12 + today.month - 1)
    history = np.zeros((n, c, window), np.int64)
    cube = (
        CubeCell.objects.for_workspace(workspace)
        .filter(month__gte=history_end - window, month__lt=history_end)
        .values_list("seller_id", "channel_id", "month")
        .annotate(total=Sum("split_amount"))
    )
    cube_rows = [r for r in cube if r[0] in seller_pos and r[1] in channel_pos]
    if cube_rows:
        arr = np.array(cube_rows, dtype=np.int64)
        s_idx = np.array([seller_pos[int(v)] for v in arr[:, 0]])
        c_idx = np.array([channel_pos[int(v)] for v in arr[:, 1]])
        np.add.at(
            history, (s_idx, c_idx, arr[:, 2] - (history_end - window)), np.maximum(arr[:, 3], 0)
        )

    fte = np.ones(n)
    for seller_id, value in Capacity.objects.filter(
        workspace=workspace, seller_id__in=seller_pos
    ).values_list("seller_id", "fte"):
        fte[seller_pos[seller_id]] = float(value)

    start = np.array(
        [(r[4].year * 12 + r[4].month - 1) - first if r[4] else -1 for r in rows], np.int64
    )
    availability = np.ones((n, MONTHS))
    month_days = np.array(
        [
            (cal.months(fiscal_year)[i].last_day - cal.months(fiscal_year)[i].first_day).days + 1
            for i in range(MONTHS)
        ],
        dtype=np.float64,
    )
    fy_start, fy_end = cal.fy_start(fiscal_year), cal.fy_end(fiscal_year)
    leaves = Leave.objects.filter(
        workspace=workspace, seller_id__in=seller_pos, end__gte=fy_start, start__lte=fy_end
    ).values_list("seller_id", "start", "end")
    months = cal.months(fiscal_year)
    for seller_id, begin, end in leaves:
        i = seller_pos[seller_id]
        for m, month in enumerate(months):
            lo, hi = max(begin, month.first_day), min(end, month.last_day)
            if lo <= hi:
                availability[i, m] -= ((hi - lo).days + 1) / month_days[m]
    availability = np.clip(availability, 0.0, 1.0)

    potential = np.zeros(n)
    team_potential: dict[int, int] = {}
    for seller_id, unit_id, amount in Potential.objects.filter(
        workspace=workspace, fiscal_year=fiscal_year
    ).values_list("seller_id", "unit_id", "amount"):
        if seller_id is not None and seller_id in seller_pos:
            potential[seller_pos[seller_id]] += amount
        elif unit_id is not None:
            team_potential[unit_id] = team_potential.get(unit_id, 0) + amount
    seller_unit_ids = np.array([r[3] for r in rows], np.int64)
    for unit_id, amount in team_potential.items():
        members = seller_unit_ids == unit_id
        weight = fte * members
        if weight.sum() > 0:
            potential += amount * weight / weight.sum()

    gone = np.array([r[0] in gone_ids for r in rows], dtype=np.bool_)
    return Inputs(
        fiscal_year=fiscal_year,
        first_month=first,
        seller_ids=seller_ids,
        seller_uuids=[str(r[1]) for r in rows],
        seller_names=[r[2] for r in rows],
        seller_unit=np.array([unit_pos[r[3]] for r in rows], np.int64),
        unit_ids=np.array([u[0] for u in units], np.int64),
        unit_parent=unit_parent,
        unit_names=[u[2] for u in units],
        unit_uuids=[str(u[3]) for u in units],
        channel_ids=np.array([ch[0] for ch in channels], np.int64),
        channel_codes=[ch[1] for ch in channels],
        history=history,
        history_end=history_end,
        fte=fte,
        start_month=start,
        availability=availability,
        potential=potential,
        gone=gone,
    )


# ------------------------------------------------------------------------------------------
# the cascade


@dataclass
class Computed:
    inputs: Inputs
    params: Params
    result: alloc.CascadeResult
    total: int
    base: CascadeRun | None
    method_vectors: dict[str, np.ndarray]

    def explanation(self, i: int) -> dict[str, Any]:
        """One seller's explanation, JSON-ready: the maths' figures plus the inputs."""
        data = self.result.explain.for_seller(i)
        inp = self.inputs
        data["key"] = inp.seller_uuids[i]
        data["method"] = self.params.method
        history_total = int(inp.history[i].sum())
        data["inputs"] = {
            "history": history_total,
            "history_annualised": history_total * MONTHS // self.params.window_months,
            "window_months": self.params.window_months,
            "potential": round(float(inp.potential[i])),
            "fte": float(inp.fte[i]),
            "start_month": int(inp.start_month[i]),
            "ramp_months": self.params.ramp_months,
            "leave_months": [round(float(1 - a), 3) for a in inp.availability[i]],
            "capacity": float(self.method_vectors["capacity_raw"][i]),
        }
        data["channels"] = {
            code: int(v)
            for code, v in zip(inp.channel_codes, self.result.cells[i].sum(axis=1), strict=True)
        }
        data["months"] = [int(v) for v in self.result.cells[i].sum(axis=0)]
        data["effective_from"] = self.params.effective_from
        data["rounding_unit"] = self.result.rounding_unit
        return data


def _infeasible_message(exc: alloc.CascadeInfeasible, inputs: Inputs, currency: str) -> str:
    from django.utils.translation import get_language

    from pacte.lib.money import format_money

    names = dict(zip(inputs.seller_uuids, inputs.seller_names, strict=True))
    by_id = {str(pk): name for pk, name in zip(inputs.seller_ids, inputs.seller_names, strict=True)}

    def who(keys: list[Any]) -> str:
        shown = [names.get(str(k)) or by_id.get(str(k)) or str(k) for k in keys[:5]]
        return ", ".join(shown) + ("…" if len(keys) > 5 else "")

    def money(amount: int) -> str:
        return format_money(amount, currency, get_language())

    parts: list[str] = []
    for conflict in exc.conflicts:
        kind = conflict.get("kind")
        if kind == "lower_bounds":
            parts.append(
                _("the lower growth bounds of %(who)s add up to %(amount)s")
                % {"who": who(conflict["sellers"]), "amount": money(conflict["amount"])}
            )
        elif kind == "upper_bounds":
            parts.append(
                _("the upper growth bounds of %(who)s add up to only %(amount)s")
                % {"who": who(conflict["sellers"]), "amount": money(conflict["amount"])}
            )
        elif kind == "holds" and conflict.get("sellers"):
            parts.append(
                _("the holds of %(who)s add up to %(amount)s")
                % {"who": who(conflict["sellers"]), "amount": money(conflict["amount"])}
            )
        elif kind == "total":
            parts.append(
                _("the total to cascade is %(amount)s") % {"amount": money(conflict["amount"])}
            )
        elif kind == "past":
            parts.append(
                _("the months already past keep %(amount)s") % {"amount": money(conflict["amount"])}
            )
        elif kind == "zero_weight":
            parts.append(
                _("%(who)s have a zero weight and take nothing above their lower bound")
                % {"who": who(conflict["sellers"])}
            )
        elif kind == "no_free_seller":
            parts.append(_("every seller is held or excluded"))
        elif kind in ("holds_below_past", "past_above_upper"):
            parts.append(
                _("the months already past of %(who)s exceed their hold or upper bound")
                % {"who": who(conflict["sellers"])}
            )
    return _("These constraints cannot all hold: %(conflicts)s.") % {"conflicts": "; ".join(parts)}


def _past_cells(base: CascadeRun, inputs: Inputs, upto: int) -> np.ndarray:
    n, c = len(inputs.seller_ids), len(inputs.channel_ids)
    past = np.zeros((n, c, MONTHS), np.int64)
    seller_pos = {int(pk): i for i, pk in enumerate(inputs.seller_ids)}
    channel_pos = {int(pk): i for i, pk in enumerate(inputs.channel_ids)}
    rows = list(
        CascadeShare.objects.filter(
            workspace_id=base.workspace_id,
            run=base,
            month__lt=inputs.first_month + upto,
        ).values_list("seller_id", "channel_id", "month", "amount")
    )
    missing = {r[1] for r in rows} - set(channel_pos)
    if missing:
        raise DomainError(
            _("A channel of the published run is no longer active; reactivate it to re-run."),
            code="channel_gone",
        )
    if rows:
        arr = np.array(rows, np.int64)
        s = np.array([seller_pos[int(v)] for v in arr[:, 0]])
        ch = np.array([channel_pos[int(v)] for v in arr[:, 1]])
        np.add.at(past, (s, ch, arr[:, 2] - inputs.first_month), arr[:, 3])
    return past


def compute(
    *,
    workspace: Workspace,
    fiscal_year: int,
    params: Params,
    total: int | None = None,
) -> Computed:
    """Run the cascade in memory (the preview); nothing is stored.

    A re-run (``params.effective_from > 1``) starts from the published run of the year: its
    months before ``effective_from`` are kept and its total is preserved.
    """
    base = None
    if params.effective_from > 1:
        base = (
            CascadeRun.objects.for_workspace(workspace)
            .published()
            .filter(fiscal_year=fiscal_year)
            .first()
        )
        if base is None:
            raise DomainError(
                _("A re-run from a later month needs a published run for this year."),
                code="no_published_run",
                field="effective_from",
            )
    target = CompanyTarget.objects.filter(workspace=workspace, fiscal_year=fiscal_year).first()
    if total is None:
        if base is not None:
            total = base.total
        elif target is None:
            raise DomainError(
                _("Set the company target of this year first."), code="no_target", field="year"
            )
        else:
            total = target.amount
    inputs = load_inputs(workspace, fiscal_year, params, base)
    n = len(inputs.seller_ids)
    uuid_pos = {u: i for i, u in enumerate(inputs.seller_uuids)}

    holds: dict[int, int] = {}
    for key, amount in params.holds.items():
        if key not in uuid_pos:
            raise DomainError(
                _("A hold names someone who is not a seller of this cascade."),
                code="unknown_seller",
                field="holds",
            )
        holds[uuid_pos[key]] = amount
    excluded = inputs.gone.copy()
    for key in params.exclusions:
        if key not in uuid_pos:
            raise DomainError(
                _("An exclusion names someone who is not a seller of this cascade."),
                code="unknown_seller",
                field="exclusions",
            )
        excluded[uuid_pos[key]] = True
    both = [inputs.seller_names[i] for i in holds if excluded[i]]
    if both:
        raise DomainError(
            _("%(who)s cannot be both held and excluded.") % {"who": ", ".join(both)},
            code="held_and_excluded",
            field="holds",
        )

    ramp_factor = alloc.capacity_profile(
        np.ones(n),
        start_month=inputs.start_month,
        ramp_months=params.ramp_months,
        availability=inputs.availability,
    )
    capacity_raw = inputs.fte * ramp_factor.sum(axis=1)
    vectors = {
        "equal": inputs.fte.copy(),
        "history": alloc.history_weights(inputs.history) if inputs.history.size else np.zeros(n),
        "potential": inputs.potential.copy(),
        "capacity": capacity_raw,
    }
    # Excluded and held sellers do not take part in the proportional split: a method whose
    # only non-zero weights are theirs has nothing to go on.
    active = ~excluded & ~np.isin(np.arange(n), list(holds))
    labels = {
        "equal": _("equal (FTE)"),
        "history": _("history"),
        "potential": _("potential"),
        "capacity": _("capacity"),
    }
    used = [params.method] if params.method != Method.BLENDED else sorted(params.mix)
    spread_needed = total - sum(holds.values()) > 0
    for name in used:
        if spread_needed and not (vectors[name] * active).sum() > 0:
            raise DomainError(
                _(
                    "All weights are zero for the method “%(method)s”: no seller left to share "
                    "the target has any (check the history window, the potential file or FTE)."
                )
                % {"method": labels[name]},
                code="weights_zero",
                field="method",
            )
    try:
        if params.method == Method.BLENDED:
            weights = alloc.blend({k: vectors[k] * active for k in used}, params.mix)
        else:
            weights = alloc.Weights.single(params.method, vectors[params.method] * active)
    except alloc.AllocationError:
        if spread_needed:
            raise DomainError(
                _("All weights are zero: nothing to split proportionally."),
                code="weights_zero",
                field="method",
            ) from None
        weights = alloc.Weights(values=np.ones(n) * active, components={}, mix={})

    bounds = None
    if params.bounds:
        annual = inputs.history.reshape(n, -1).sum(axis=1) * (MONTHS / params.window_months)
        bounds = alloc.growth_bounds(
            annual, low=1 + params.bounds[0] / 100, high=1 + params.bounds[1] / 100
        )

    target_split = target.channel_split if target is not None and base is None else {}
    channel_totals: np.ndarray | None = None
    if target_split:  # the channels' amounts are met exactly (allocation._match_columns)
        inactive = sorted(code for code in target_split if code not in inputs.channel_codes)
        if inactive:
            raise DomainError(
                _(
                    "The company target puts an amount on the channel “%(code)s”, which is no "
                    "longer active: reactivate it or change the target's channel split."
                )
                % {"code": inactive[0]},
                code="channel_inactive",
                field="channel_split",
            )
        channel_totals = np.array(
            [int(target_split.get(code, 0)) for code in inputs.channel_codes], dtype=np.int64
        )
        channel_weights: np.ndarray = channel_totals.astype(np.float64)
    else:
        channel_weights = alloc.channel_weights_from_history(inputs.history)

    if params.phasing == "custom":
        phasing: np.ndarray | None = np.array(params.profile, dtype=np.float64)
    elif params.phasing == "seasonal":
        by_month = np.zeros((len(inputs.channel_ids), MONTHS))
        start = inputs.history_end - params.window_months - inputs.first_month
        positions = (np.arange(params.window_months) + start) % MONTHS
        past_by_month = inputs.history.sum(axis=0).astype(np.float64)
        for k, position in enumerate(positions.tolist()):
            by_month[:, position] += past_by_month[:, k]
        phasing = alloc.seasonality_profile(by_month)
    else:
        phasing = None

    past = None
    if base is not None:
        past = _past_cells(base, inputs, params.effective_from - 1)
    try:
        result = alloc.cascade(
            total,
            seller_unit=inputs.seller_unit,
            unit_parent=inputs.unit_parent,
            weights=weights,
            seller_keys=inputs.seller_ids,
            bounds=bounds,
            holds=holds,
            excluded=excluded,
            channel_weights=channel_weights,
            channel_totals=channel_totals,
            phasing=phasing,
            availability=ramp_factor,
            rounding_unit=workspace.rounding_unit,
            past=past,
            from_month=params.effective_from - 1,
        )
    except alloc.CascadeInfeasible as exc:
        raise DomainError(
            _infeasible_message(exc, inputs, workspace.currency),
            code="infeasible",
            field="bounds",
            details=exc.conflicts,
        ) from None
    except alloc.AllocationError as exc:
        raise DomainError(
            _("The cascade cannot be computed with these inputs: %(reason)s")
            % {"reason": str(exc)},
            code="allocation_error",
        ) from None
    vectors["capacity_raw"] = capacity_raw
    return Computed(
        inputs=inputs,
        params=params,
        result=result,
        total=total,
        base=base,
        method_vectors=vectors,
    )


def summarise(computed: Computed, *, seller_limit: int | None = None) -> dict[str, Any]:
    """What a preview shows: units (tree order, with depth), sellers, months and channels."""
    from pacte.planning.labels import month_label

    inp, result = computed.inputs, computed.result
    depth = result.unit_depth
    children: dict[int, list[int]] = {}
    for i, parent in enumerate(inp.unit_parent.tolist()):
        children.setdefault(parent, []).append(i)
    units: list[dict[str, Any]] = []
    stack = sorted(children.get(-1, []), key=lambda i: inp.unit_names[i], reverse=True)
    while stack:
        i = stack.pop()
        amount = int(result.unit_amounts[i])
        if amount or depth[i] == 0:
            units.append(
                {
                    "uuid": inp.unit_uuids[i],
                    "name": inp.unit_names[i],
                    "depth": int(depth[i]),
                    "amount": amount,
                }
            )
        stack.extend(sorted(children.get(i, []), key=lambda k: inp.unit_names[k], reverse=True))
    explain = result.explain
    order = sorted(
        range(len(inp.seller_ids)),
        key=lambda i: (inp.unit_names[inp.seller_unit[i]], inp.seller_names[i], i),
    )
    if seller_limit is not None:
        order = order[:seller_limit]
    sellers = [
        {
            "uuid": inp.seller_uuids[i],
            "name": inp.seller_names[i],
            "unit": inp.unit_names[inp.seller_unit[i]],
            "amount": int(result.seller_amounts[i]),
            "bound": alloc.BOUND_LABELS[int(explain.bound[i])],
            "held": bool(explain.held[i]),
            "excluded": bool(explain.excluded[i]),
        }
        for i in order
    ]
    root = int(np.flatnonzero(inp.unit_parent == -1)[0])
    by_month = result.unit_cells[root].sum(axis=0)
    months = [
        {"month": inp.first_month + m, "label": month_label(inp.first_month + m), "amount": int(v)}
        for m, v in enumerate(by_month.tolist())
    ]
    channels = {
        code: int(v)
        for code, v in zip(inp.channel_codes, result.unit_cells[root].sum(axis=1), strict=True)
    }
    return {
        "year": f"FY{inp.fiscal_year}",
        "total": computed.total,
        "effective_from": computed.params.effective_from,
        "units": units,
        "sellers": sellers,
        "seller_count": len(inp.seller_ids),
        "months": months,
        "channels": channels,
    }


# ------------------------------------------------------------------------------------------
# storing


def store_cells(
    *,
    run: CascadeRun,
    seller_ids: np.ndarray,
    seller_unit_ids: np.ndarray,
    channel_ids: np.ndarray,
    first_month: int,
    cells: np.ndarray,
    unit_ids: np.ndarray,
    unit_cells: np.ndarray,
    using: str = "default",
) -> int:
    """Store a run's non-zero seller cells ``(n, c, m)`` and unit rollups ``(u, c, m)`` in bulk
    (COPY on PostgreSQL, batched executemany on SQLite); returns the number of seller cells.

    Cells are written in seller-id order: on PostgreSQL a run's cells are found through a BRIN
    index on (run, seller) (migration 0002), summarised here before returning."""
    order = np.argsort(seller_ids, kind="stable")
    if (order != np.arange(order.size)).any():
        seller_ids, seller_unit_ids, cells = seller_ids[order], seller_unit_ids[order], cells[order]
    flat = np.ascontiguousarray(cells).reshape(-1)
    cell = np.flatnonzero(flat)  # one pass; the 3-D indices are derived from it
    s, ch, m = np.unravel_index(cell, cells.shape)
    n = len(s)
    stored = bulk_insert(
        CascadeShare._meta.db_table,
        ["workspace_id", "run_id", "seller_id", "unit_id", "channel_id", "month", "amount"],
        [
            np.full(n, run.workspace_id, np.int64),
            np.full(n, run.pk, np.int64),
            seller_ids[s],
            seller_unit_ids[s],
            channel_ids[ch],
            m + first_month,
            flat[cell],
        ],
        using=using,
    )
    u, ch, m = np.nonzero(unit_cells)
    k = len(u)
    bulk_insert(
        UnitShare._meta.db_table,
        ["workspace_id", "run_id", "unit_id", "channel_id", "month", "amount"],
        [
            np.full(k, run.workspace_id, np.int64),
            np.full(k, run.pk, np.int64),
            unit_ids[u],
            channel_ids[ch],
            m + first_month,
            unit_cells[u, ch, m],
        ],
        using=using,
    )
    if connections[using].vendor == "postgresql":
        # Summarising needs the table's owner: a database role that does not own it leaves
        # the new ranges to autovacuum (reads scan them until then, still correct).
        with connections[using].cursor() as cursor:
            cursor.execute(
                "SELECT CASE WHEN pg_has_role(current_user, c.relowner, 'USAGE') "
                "THEN brin_summarize_new_values('cascadeshare_brin') END "
                "FROM pg_class c WHERE c.oid = 'planning_cascadeshare'::regclass"
            )
    return stored


COPY_SLICE_ROWS = 250_000


def bulk_insert(
    table: str, columns: list[str], data: list[np.ndarray], *, using: str = "default"
) -> int:
    """Insert column arrays into ``table``: COPY on PostgreSQL, batched executemany on SQLite."""
    if not data or not len(data[0]):
        return 0
    count = len(data[0])
    conn = connections[using]
    with conn.cursor() as cursor:
        if conn.vendor == "postgresql":
            import polars as pl
            from psycopg.copy import QueuedLibpqWriter

            frame = pl.DataFrame(
                {
                    name: np.asarray(col, dtype=np.int64)
                    for name, col in zip(columns, data, strict=True)
                }
            )
            sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
            # Text built a slice at a time while a writer thread sends the previous one: the
            # formatting overlaps the server's parsing and index inserts, and the payload in
            # memory is one slice, not the whole run.
            with cursor.cursor.copy(sql, writer=QueuedLibpqWriter(cursor.cursor)) as copy:
                for part in frame.iter_slices(COPY_SLICE_ROWS):
                    copy.write(part.write_csv(separator="\t", include_header=False))
        else:
            placeholders = ", ".join(["?"] * len(columns))
            sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})"  # noqa: S608 (internal table names)
            raw = conn.connection  # sqlite3 itself, in the same transaction: no wrapper per batch
            arrays = [np.asarray(col) for col in data]
            batch = 50_000
            # Python tuples for one batch at a time (a whole run of 6M rows as tuples is GBs).
            for start in range(0, count, batch):
                raw.executemany(
                    sql, zip(*(a[start : start + batch].tolist() for a in arrays), strict=True)
                )
    return count


def store_shares(run: CascadeRun, computed: Computed) -> int:
    """Store a computed cascade's cells and unit rollups (see :func:`store_cells`)."""
    inp, result = computed.inputs, computed.result
    return store_cells(
        run=run,
        seller_ids=inp.seller_ids,
        seller_unit_ids=inp.unit_ids[inp.seller_unit],
        channel_ids=inp.channel_ids,
        first_month=inp.first_month,
        cells=result.cells,
        unit_ids=inp.unit_ids,
        unit_cells=result.unit_cells,
    )


def store_explanations(run: CascadeRun, computed: Computed) -> None:
    inp, result = computed.inputs, computed.result
    SellerExplanation.objects.bulk_create(
        [
            SellerExplanation(
                workspace_id=run.workspace_id,
                run=run,
                seller_id=int(inp.seller_ids[i]),
                unit_id=int(inp.unit_ids[inp.seller_unit[i]]),
                amount=int(result.seller_amounts[i]),
                data=computed.explanation(i),
            )
            for i in range(len(inp.seller_ids))
        ],
        batch_size=2000,
    )


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
        CompanyTarget.objects.filter(workspace_id=run.workspace_id, fiscal_year=run.fiscal_year)
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
    cal = calendar_of(workspace)
    first = cal.first_month_index(fiscal_year)
    rows = np.array(list(shares), dtype=np.int64).reshape(-1, 4)
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
    channels = dict(
        Channel.objects.for_workspace(workspace)
        .filter(pk__in=channel_ids.tolist())
        .values_list("pk", "code")
    )
    if len(channels) != channel_ids.size:
        raise DomainError(_("A stated target names an unknown channel."), code="unknown_channel")
    units = list(
        Unit.objects.for_workspace(workspace).order_by("pk").values_list("pk", "parent_id")
    )
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
    current = (
        CascadeRun.objects.select_for_update()
        .filter(workspace=workspace, fiscal_year=fiscal_year, status=RunStatus.PUBLISHED)
        .first()
    )
    if current is not None and is_closed(workspace, fiscal_year):
        raise DomainError(
            _("FY%(year)s is closed (its last day is past): its reference can no longer change.")
            % {"year": fiscal_year},
            code="closed_year",
        )
    number = (
        CascadeRun.objects.for_workspace(workspace)
        .filter(fiscal_year=fiscal_year)
        .select_for_update()
        .aggregate(n=Max("number"))["n"]
        or 0
    ) + 1
    if current is not None:
        current.status = RunStatus.SUPERSEDED
        current.version += 1
        current.save(update_fields=["status", "version"])
    codes = [channels[pk] for pk in channel_ids.tolist()]
    run = CascadeRun.objects.create(
        workspace=workspace,
        fiscal_year=fiscal_year,
        number=number,
        status=RunStatus.PUBLISHED,
        method=Method.STATED,
        parameters={"method": Method.STATED, "source": source},
        total=int(cells.sum()),
        rounding_unit=1,
        channel_codes=codes,
        seller_count=int(seller_ids.size),
        created_by=actor,
        published_at=timezone.now(),
    )
    store_cells(
        run=run,
        seller_ids=seller_ids,
        seller_unit_ids=seller_unit_ids,
        channel_ids=channel_ids,
        first_month=first,
        cells=cells,
        unit_ids=unit_ids,
        unit_cells=unit_cells,
    )
    uuids = dict(Membership.objects.filter(pk__in=seller_ids.tolist()).values_list("pk", "uuid"))
    SellerExplanation.objects.bulk_create(
        [
            SellerExplanation(
                workspace=workspace,
                run=run,
                seller_id=pk,
                unit_id=int(seller_unit_ids[i]),
                amount=int(cells[i].sum()),
                data={
                    "key": str(uuids[pk]),
                    "method": Method.STATED,
                    "source": source,
                    "channels": dict(zip(codes, cells[i].sum(axis=1).tolist(), strict=True)),
                    "months": cells[i].sum(axis=0).tolist(),
                },
            )
            for i, pk in enumerate(seller_ids.tolist())
        ],
        batch_size=2000,
    )
    record(
        workspace=workspace,
        actor=actor,
        action="cascade.stated",
        obj=run,
        before={"reference": str(current.uuid) if current else None},
        after={
            "reference": str(run.uuid),
            "total": run.total,
            "sellers": run.seller_count,
            "source": source,
        },
    )
    return run


def _stated_units(workspace: Workspace, seller_ids: list[int], fiscal_year: int) -> dict[int, Any]:
    """Each seller's team on the year's last day (today while it runs), else their latest."""
    from pacte.org.models import Placement

    cal = calendar_of(workspace)
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
            Placement.objects.filter(workspace=workspace, membership_id__in=missing)
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
        for r in SellerExplanation.objects.filter(workspace_id=a.workspace_id, run=a).values_list(
            "seller_id", "amount", "data", "seller__uuid", "seller__name"
        )
    }
    rows_b = {
        r[0]: r
        for r in SellerExplanation.objects.filter(workspace_id=b.workspace_id, run=b).values_list(
            "seller_id", "amount", "data", "seller__uuid", "seller__name"
        )
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


# ------------------------------------------------------------------------------------------
# potential import and capacity


#: Largest potentials file read (they are read whole: one line per seller or team).
POTENTIAL_MAX_BYTES = 10 * 1024 * 1024
POTENTIAL_COLUMNS = ("seller", "team", "potential")


@dataclass
class PotentialImportResult:
    stored: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)


def _potential_amounts(texts: list[str], workspace: Workspace) -> tuple[list[int], list[str]]:
    """The potential column of a file, read like the sales import reads its amount column
    (decimal comma or point decided for the whole column, a column that reads two ways
    refused): the amounts, and the problem of each line ("" when none)."""
    import polars as pl

    from pacte.lib import tabular
    from pacte.lib.money import exponent
    from pacte.sales.reasons import file_message, row_message

    try:
        parsed = tabular.parse_amounts(
            pl.Series(texts, dtype=pl.String), exponent=exponent(workspace.currency)
        )
    except tabular.AmbiguousAmounts as exc:
        raise DomainError(
            file_message("ambiguous_amounts"),
            code="ambiguous_amounts",
            field="potential",
            details=list(exc.examples),
        ) from exc
    amounts: list[int] = []
    problems: list[str] = []
    for value, reason in zip(parsed.values.to_list(), parsed.reasons.to_list(), strict=True):
        if reason:
            problems.append(row_message(reason))
        elif value is None:
            problems.append(_("Enter an amount."))
        elif value < 0:
            problems.append(_("An amount cannot be negative."))
        else:
            problems.append("")
        amounts.append(int(value or 0))
    return amounts, problems


@transaction.atomic
def import_potential(
    *, workspace: Workspace, actor: Membership | None, fiscal_year: int, data: bytes
) -> PotentialImportResult:
    """Replace a year's potentials from CSV: ``seller`` (e-mail) or ``team`` (name), ``potential``
    (major units, decimal comma or point). All or nothing: any bad line (unknown seller or team, bad amount) is
    reported with its number and nothing is stored."""
    from pacte.org.people_import import csv_rows

    if len(data) > POTENTIAL_MAX_BYTES:
        raise FileTooLarge(POTENTIAL_MAX_BYTES)
    names, reader = csv_rows(data)
    header = [h.strip().lower() for h in names]
    if "potential" not in header or not ({"seller", "team"} & set(header)):
        raise DomainError(
            _("Line 1 (header): expected the columns seller or team, and potential."),
            code="bad_header",
        )
    index = {name: header.index(name) for name in POTENTIAL_COLUMNS if name in header}
    sellers = {
        email.lower(): pk
        for pk, email in Membership.objects.for_workspace(workspace)
        .filter(is_seller=True)
        .values_list("pk", "user__email")
    }
    units = {
        name.casefold(): pk
        for pk, name in Unit.objects.for_workspace(workspace).values_list("pk", "name")
    }
    lines = [
        (line, {name: (values[i].strip() if i < len(values) else "") for name, i in index.items()})
        for line, values in enumerate(reader, start=2)
        if any(v.strip() for v in values)
    ]
    amounts, reasons = _potential_amounts(
        [cell.get("potential", "") for _l, cell in lines], workspace
    )
    result = PotentialImportResult()
    rows: list[Potential] = []
    for (line, cell), amount, reason in zip(lines, amounts, reasons, strict=True):
        seller_key, team_key = cell.get("seller", ""), cell.get("team", "")
        problems = []
        seller_id = unit_id = None
        if seller_key and team_key:
            problems.append(_("give a seller or a team, not both."))
        elif seller_key:
            seller_id = sellers.get(seller_key.lower())
            if seller_id is None:
                problems.append(_("unknown seller “%(seller)s”.") % {"seller": seller_key})
        elif team_key:
            unit_id = units.get(team_key.casefold())
            if unit_id is None:
                problems.append(_("unknown team “%(team)s”.") % {"team": team_key})
        else:
            problems.append(_("the seller and the team are both empty."))
        if reason:
            problems.append(reason)
        if problems:
            result.errors.append((line, " ".join(problems)))
            continue
        rows.append(
            Potential(
                workspace=workspace,
                fiscal_year=fiscal_year,
                seller_id=seller_id,
                unit_id=unit_id,
                amount=amount,
            )
        )
    if result.errors:
        return result
    Potential.objects.filter(workspace=workspace, fiscal_year=fiscal_year).delete()
    Potential.objects.bulk_create(rows, batch_size=2000)
    result.stored = len(rows)
    record(
        workspace=workspace,
        actor=actor,
        action="potential.imported",
        object_type="potential",
        object_id=f"FY{fiscal_year}",
        object_repr=f"FY{fiscal_year}",
        after={"rows": len(rows), "total": sum(r.amount for r in rows)},
    )
    return result


@transaction.atomic
def set_capacity(
    *,
    seller: Membership,
    actor: Membership | None,
    fte: object,
    leaves: list[tuple[datetime.date, datetime.date]] | None = None,
) -> Capacity:
    """Set a seller's FTE (0..1) and, when given, replace their leave periods."""
    try:
        value = Decimal(str(fte))
    except InvalidOperation:
        raise DomainError(
            _("“%(value)s” is not a number.") % {"value": fte}, code="not_a_number", field="fte"
        ) from None
    if not value.is_finite() or not Decimal(0) <= value <= Decimal(1):
        raise DomainError(_("FTE is between 0 and 1."), code="bad_fte", field="fte")
    for start, end in leaves or []:
        if end < start:
            raise DomainError(_("A leave ends before it starts."), code="bad_leave", field="leaves")
    capacity, _created = Capacity.objects.select_for_update().get_or_create(
        seller=seller, defaults={"workspace_id": seller.workspace_id}
    )
    before = {"fte": str(capacity.fte)}
    capacity.fte = value.quantize(Decimal("0.01"))
    capacity.version += 1
    capacity.save()
    if leaves is not None:
        Leave.objects.filter(workspace_id=seller.workspace_id, seller=seller).delete()
        Leave.objects.bulk_create(
            [
                Leave(workspace_id=seller.workspace_id, seller=seller, start=s, end=e)
                for s, e in leaves
            ]
        )
    record(
        workspace=seller.workspace,
        actor=actor,
        action="capacity.updated",
        obj=seller,
        object_type="capacity",
        before=before,
        after={"fte": str(capacity.fte), "leaves": leaves},
    )
    return capacity
