"""A cascade's parameters, its inputs read from the database, and its computation.

The maths is :func:`pacte.lib.allocation.cascade`; this module reads its inputs (sellers,
units, channels, the cube, potentials, capacities, leave), turns its errors into translated
:class:`DomainError` messages, and returns integer results that :mod:`.storage` writes.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

import numpy as np
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from pacte.accounts.models import Workspace
from pacte.amounts import check_amount
from pacte.errors import DomainError
from pacte.lib import allocation as alloc
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
    SellerExplanation,
)
from pacte.sales.models import Channel, CubeCell

MONTHS = 12
BLEND_METHODS = ("equal", "history", "potential", "capacity")
PHASINGS = ("flat", "seasonal", "custom")


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
    cal = workspace.calendar
    first = cal.first_month_index(fiscal_year)
    today = timezone.localdate()
    day = min(max(today, cal.fy_start(fiscal_year)), cal.fy_end(fiscal_year))
    rows = _seller_rows(workspace, day)
    gone_ids: set[int] = set()
    if base is not None:
        current = {r[0] for r in rows}
        extra = (
            SellerExplanation.objects.for_workspace(workspace)
            .filter(run=base)
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
    for seller_id, value in (
        Capacity.objects.for_workspace(workspace)
        .filter(seller_id__in=seller_pos)
        .values_list("seller_id", "fte")
    ):
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
    leaves = (
        Leave.objects.for_workspace(workspace)
        .filter(seller_id__in=seller_pos, end__gte=fy_start, start__lte=fy_end)
        .values_list("seller_id", "start", "end")
    )
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
    for seller_id, unit_id, amount in (
        Potential.objects.for_workspace(workspace)
        .filter(fiscal_year=fiscal_year)
        .values_list("seller_id", "unit_id", "amount")
    ):
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
        CascadeShare.objects.for_workspace(base.workspace_id)
        .filter(
            run=base,
            month__lt=inputs.first_month + upto,
        )
        .values_list("seller_id", "channel_id", "month", "amount")
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
    target = CompanyTarget.objects.for_workspace(workspace).filter(fiscal_year=fiscal_year).first()
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
