"""Pipeline reads: deals visible to a member (filters shared by the page, the API and the
export), the pipeline as of a day, the forecast of a seller, a team and the company from the
pre-aggregated cells, coverage and the period's waterfall."""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field, replace
from typing import Any

from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery, Sum
from django.http import Http404
from django.utils import timezone

from pacte.accounts.access import get_scoped
from pacte.accounts.models import Membership, Workspace
from pacte.lib.fiscal import Period
from pacte.org.models import Placement, Unit
from pacte.pipeline.models import (
    Call,
    CallLevel,
    Category,
    CreditKind,
    Deal,
    DealChange,
    DealStatus,
    PipelineCell,
    TeamPipelineCell,
)
from pacte.pipeline.services import latest_seller_calls, week_of

OPEN_CATEGORIES = (Category.PIPELINE, Category.BEST_CASE, Category.COMMIT)


# --------------------------------------------------------------------------- deals


def deals_visible_to(viewer: Membership) -> QuerySet[Deal]:
    return Deal.objects.visible_to(viewer)


def get_deal_for(viewer: Membership, public_id: Any) -> Deal:
    return get_scoped(deals_visible_to(viewer).select_related("owner__user", "channel"), public_id)


def get_call_for(viewer: Membership, public_id: Any) -> Call:
    return get_scoped(Call.objects.visible_to(viewer).select_related("unit", "member"), public_id)


@dataclass
class DealFilter:
    """The filters of the deal list, its API and its export."""

    period: Period | None = None
    category: str = ""
    status: str = ""
    stage: str = ""
    owner: Membership | None = None
    channel_id: int | None = None
    q: str = ""
    as_of: datetime.date | None = None


def filter_deals(viewer: Membership, f: DealFilter) -> QuerySet[Deal]:
    """Deals the viewer sees, filtered; with ``as_of`` their state at the end of that day
    (from their history: deals created later are left out, each field as it was then)."""
    qs = deals_visible_to(viewer).select_related("owner__user", "channel")
    if f.as_of is not None:
        end = datetime.datetime.combine(
            f.as_of + datetime.timedelta(days=1), datetime.time.min, tzinfo=datetime.UTC
        )
        last = DealChange.objects.filter(deal=OuterRef("pk"), changed_at__lt=end).order_by(
            "-changed_at", "-pk"
        )
        qs = qs.filter(created_at__lt=end).annotate(
            **{
                f"then_{name}": Subquery(last.values(name)[:1])
                for name in ("amount", "close_date", "stage", "probability", "category", "status")
            }
        )
        prefix = "then_"
    else:
        prefix = ""
    if f.period is not None:
        start, stop = f.period.bounds
        qs = qs.filter(**{f"{prefix}close_date__gte": start, f"{prefix}close_date__lte": stop})
    if f.category:
        qs = qs.filter(**{f"{prefix}category": f.category})
    if f.status:
        qs = qs.filter(**{f"{prefix}status": f.status})
    if f.stage:
        qs = qs.filter(**{f"{prefix}stage__iexact": f.stage})
    if f.owner is not None:
        qs = qs.filter(owner=f.owner)
    if f.channel_id is not None:
        qs = qs.filter(channel_id=f.channel_id)
    if f.q:
        qs = qs.filter(Q(name__icontains=f.q) | Q(external_id__icontains=f.q))
    return qs.order_by(f"{prefix}close_date", "pk")


def deal_values(deal: Deal) -> dict[str, Any]:
    """A deal's shown fields, as of the list's day when it was annotated with ``then_``."""
    out = {}
    for name in ("amount", "close_date", "stage", "probability", "category", "status"):
        out[name] = getattr(deal, f"then_{name}", getattr(deal, name))
    out["weighted"] = out["amount"] * out["probability"] // 100
    return out


# --------------------------------------------------------------------------- figures


@dataclass
class Figures:
    """Open pipeline of a scope for a period (split credits, or the person's own credits)."""

    pipeline: int = 0
    best_case: int = 0
    commit: int = 0
    weighted: int = 0
    deals: int = 0

    @property
    def total(self) -> int:
        return self.pipeline + self.best_case + self.commit

    def add(self, category: str, amount: int, weighted: int, deals: int) -> None:
        if category in OPEN_CATEGORIES:
            setattr(self, category, getattr(self, category) + amount)
            self.weighted += weighted
            self.deals += deals


def _cells(workspace: Workspace, period: Period) -> QuerySet[PipelineCell]:
    return PipelineCell.objects.for_workspace(workspace).filter(
        month__gte=period.month_indexes.start, month__lt=period.month_indexes.stop
    )


def seller_figures(seller: Membership, period: Period) -> Figures:
    """A seller's own open pipeline (split and overlay credits) for the period."""
    fig = Figures()
    rows = (
        _cells(seller.workspace, period)
        .filter(seller=seller)
        .values("category")
        .annotate(a=Sum("amount"), w=Sum("weighted"), n=Sum("deals"))
    )
    for r in rows:
        fig.add(r["category"], r["a"] or 0, r["w"] or 0, r["n"] or 0)
    return fig


def figures_by(
    workspace: Workspace, period: Period, key: str, *, seller_ids: list[int] | None = None
) -> dict[Any, Figures]:
    """Split-credit pipeline grouped by ``seller_id``, ``unit_id`` or ``channel_id`` (one
    GROUP BY over the cells)."""
    qs = _cells(workspace, period).filter(kind=CreditKind.SPLIT)
    if seller_ids is not None:
        qs = qs.filter(seller_id__in=seller_ids)
    out: dict[Any, Figures] = defaultdict(Figures)
    for r in qs.values(key, "category").annotate(
        a=Sum("amount"), w=Sum("weighted"), n=Sum("deals")
    ):
        out[r[key]].add(r["category"], r["a"] or 0, r["w"] or 0, r["n"] or 0)
    return out


def objectives_for(
    workspace: Workspace, period: Period, seller_ids: list[int] | None
) -> dict[int, int]:
    """Agreed objective of each seller over the period's months."""
    from pacte.objectives.models import Layer, ObjectiveCell

    qs = ObjectiveCell.objects.for_workspace(workspace).filter(
        layer=Layer.AGREED,
        month__gte=period.month_indexes.start,
        month__lt=period.month_indexes.stop,
    )
    if seller_ids is not None:
        qs = qs.filter(seller_id__in=seller_ids)
    return {r["seller_id"]: r["a"] for r in qs.values("seller_id").annotate(a=Sum("amount"))}


def actuals_for(
    workspace: Workspace, period: Period, seller_ids: list[int] | None
) -> dict[int, int]:
    """Each seller's actual sales over the period (split and overlay credits: attainment)."""
    from pacte.sales.models import CubeCell

    qs = CubeCell.objects.for_workspace(workspace).filter(
        month__gte=period.month_indexes.start, month__lt=period.month_indexes.stop
    )
    if seller_ids is not None:
        qs = qs.filter(seller_id__in=seller_ids)
    return {
        r["seller_id"]: r["a"]
        for r in qs.values("seller_id").annotate(a=Sum(F("split_amount") + F("overlay_amount")))
    }


def coverage(pipeline: int, objective: int | None, actual: int) -> tuple[int | None, float | None]:
    """(remaining gap, coverage = open pipeline / remaining gap); None without an objective,
    no ratio when nothing remains."""
    if objective is None:
        return None, None
    gap = max(objective - actual, 0)
    return gap, (pipeline / gap if gap else None)


# --------------------------------------------------------------------------- pages' data


@dataclass
class SellerRow:
    seller: Membership
    figures: Figures
    objective: int | None
    actual: int
    call: Call | None
    stale: bool
    gap: int | None = None
    coverage: float | None = None


def _seller_rows(
    workspace: Workspace, period: Period, sellers: list[Membership], today: datetime.date
) -> list[SellerRow]:
    ids = [s.pk for s in sellers]
    figs = figures_by(workspace, period, "seller_id", seller_ids=ids)
    objectives = objectives_for(workspace, period, ids)
    actuals = actuals_for(workspace, period, ids)
    calls = latest_seller_calls(workspace, period.key, ids)
    week = week_of(today)
    rows = []
    for s in sellers:
        fig = figs.get(s.pk, Figures())
        call = calls.get(s.pk)
        gap, cov = coverage(fig.total, objectives.get(s.pk), actuals.get(s.pk, 0))
        rows.append(
            SellerRow(
                s,
                fig,
                objectives.get(s.pk),
                actuals.get(s.pk, 0),
                call,
                call is None or call.week < week,
                gap,
                cov,
            )
        )
    return rows


def seller_forecast(seller: Membership, period: Period) -> dict[str, Any]:
    """The seller's page: deals of the period by category, totals, gap, this week's call."""
    ws = seller.workspace
    today = timezone.localdate()
    start, stop = period.bounds
    deals = list(
        Deal.objects.for_workspace(ws)
        .filter(owner=seller, status=DealStatus.OPEN, close_date__gte=start, close_date__lte=stop)
        .select_related("channel")
        .order_by("close_date", "pk")[:500]
    )
    row = _seller_rows(ws, period, [seller], today)[0]
    return {"deals": deals, "row": row, "week": week_of(today)}


def team_forecast(viewer: Membership, unit: Unit, period: Period) -> dict[str, Any]:
    """A lead's page: their sellers' calls and pipeline, the roll-up and the team call."""
    from pacte.objectives.references import sellers_under

    ws = viewer.workspace
    today = timezone.localdate()
    ids = sellers_under(ws, unit.pk)
    sellers = list(Membership.objects.for_workspace(ws).filter(pk__in=ids).order_by("name"))
    rows = _seller_rows(ws, period, sellers, today)
    team_call = (
        Call.objects.for_workspace(ws)
        .filter(level=CallLevel.TEAM, unit=unit, period=period.key)
        .select_related("submitted_to", "member")
        .order_by("-week")
        .first()
    )
    total = Figures()
    for r in rows:
        for cat in OPEN_CATEGORIES:
            total.add(cat, getattr(r.figures, cat), 0, 0)
        total.weighted += r.figures.weighted
        total.deals += r.figures.deals
    gross_commit = sum(r.call.commit for r in rows if r.call)
    gross_best = sum(r.call.best_case for r in rows if r.call)
    objective = sum(r.objective or 0 for r in rows) if any(r.objective for r in rows) else None
    actual = sum(r.actual for r in rows)
    gap, cov = coverage(total.total, objective, actual)
    return {
        "rows": rows,
        "total": total,
        "gross_commit": gross_commit,
        "gross_best_case": gross_best,
        "team_call": team_call,
        "this_week": team_call is not None and team_call.week == week_of(today),
        "objective": objective,
        "actual": actual,
        "gap": gap,
        "coverage": cov,
        "stale": sum(1 for r in rows if r.stale),
    }


@dataclass
class TeamRow:
    unit: Unit  # None in the cached sums (``company_sums``): set from the tree on each read
    figures: Figures
    seller_commit: int = 0
    seller_best_case: int = 0
    call: Call | None = None
    not_updated: int = 0
    sellers: int = 0
    #: The commit of the team's latest call (``call`` itself is loaded for the rows shown:
    #: ``with_calls``).
    call_commit: int | None = None


def team_figures(workspace: Workspace, period: Period, key: str) -> dict[Any, Figures]:
    """Split-credit pipeline grouped by ``unit_id`` or ``channel_id``, from the team sums of the
    cells (a few thousand rows whatever the number of deals and sellers)."""
    return _team_figures(workspace, period)[key]


def _team_figures(workspace: Workspace, period: Period) -> dict[str, dict[Any, Figures]]:
    """The team sums of the cells grouped by team and by channel, from one GROUP BY."""
    out: dict[str, dict[Any, Figures]] = {"unit_id": defaultdict(Figures)}
    out["channel_id"] = defaultdict(Figures)
    rows = (
        TeamPipelineCell.objects.for_workspace(workspace)
        .filter(month__gte=period.month_indexes.start, month__lt=period.month_indexes.stop)
        .values_list("unit_id", "channel_id", "category")
        .annotate(a=Sum("amount"), w=Sum("weighted"), n=Sum("deals"))
        .order_by()
    )
    for unit_id, channel_id, category, a, w, n in rows:
        out["unit_id"][unit_id].add(category, a or 0, w or 0, n or 0)
        out["channel_id"][channel_id].add(category, a or 0, w or 0, n or 0)
    return out


@dataclass
class CallRollup:
    """The latest calls of the sellers placed today in a team, summed."""

    commit: int = 0
    best_case: int = 0
    sellers: int = 0
    not_updated: int = 0


def seller_calls_by_team(
    workspace: Workspace, period: Period, today: datetime.date
) -> dict[int | None, CallRollup]:
    """Each team's sum of its sellers' latest calls on ``period`` (the team they are placed in
    today; ``None``: placed nowhere), and how many of those calls predate this week: one
    GROUP BY over the latest calls."""
    placed = Placement.objects.filter(membership=OuterRef("member_id")).on(today)
    rows = (
        Call.objects.for_workspace(workspace)
        .filter(level=CallLevel.SELLER, period=period.key, latest=True)
        .annotate(team=Subquery(placed.values("unit_id")[:1]))
        .values("team")
        .annotate(
            c=Sum("commit"),
            b=Sum("best_case"),
            n=Count("pk"),
            old=Count("pk", filter=Q(week__lt=week_of(today))),
        )
        .order_by()
    )
    return {r["team"]: CallRollup(r["c"] or 0, r["b"] or 0, r["n"], r["old"]) for r in rows}


@dataclass
class CompanySums:
    """The figures of the company page summed per top team."""

    teams: dict[int, TeamRow]  # by top team id; ``unit`` is filled in for the rows shown
    company: Figures
    channels: dict[Any, Figures]


def company_sums(
    workspace: Workspace, period: Period, today: datetime.date, tree: Any
) -> CompanySums:
    """The team sums of the cells (read: a few thousand rows) and the teams' calls (cached:
    :func:`calls_by_unit`) grouped by top team of ``tree``, and their company totals."""
    root = tree.root
    group = tree.group_of(root.pk)
    teams = {
        uid: TeamRow(None, Figures())  # type: ignore[arg-type]
        for uid in [*tree.children.get(root.pk, []), root.pk]
    }
    company = Figures()
    by = _team_figures(workspace, period)
    for unit_id, fig in by["unit_id"].items():
        row = teams[group.get(unit_id, root.pk)]
        for figures in (row.figures, company):
            for cat in OPEN_CATEGORIES:
                figures.add(cat, getattr(fig, cat), 0, 0)
            figures.weighted += fig.weighted
            figures.deals += fig.deals
    sellers, team_commits = calls_by_unit(workspace, period, today)
    for unit_id, calls in sellers.items():
        row = teams[group.get(unit_id, root.pk)] if unit_id is not None else teams[root.pk]
        row.seller_commit += calls.commit
        row.seller_best_case += calls.best_case
        row.sellers += calls.sellers
        row.not_updated += calls.not_updated
    for unit_id, commit in team_commits.items():
        if unit_id in teams:
            teams[unit_id].call_commit = commit
    return CompanySums(teams, company, dict(by["channel_id"]))


def calls_by_unit(
    workspace: Workspace, period: Period, today: datetime.date
) -> tuple[dict[int | None, CallRollup], dict[int, int]]:
    """(each team's roll-up of its sellers' latest calls: :func:`seller_calls_by_team`, the
    commit of each team's latest team call), computed once per version of the calls
    (``services.calls_stamp``, bumped by every call the services write), of the placements and
    day (``sources.plan_part``), then read from the insights cache: the calls of ten thousand
    sellers are not summed on every request, and no web process serves them stale."""
    from pacte.insights import cache, sources
    from pacte.pipeline.services import calls_stamp

    def compute() -> tuple[dict[int | None, CallRollup], dict[int, int]]:
        teams = Call.objects.for_workspace(workspace).filter(
            level=CallLevel.TEAM, period=period.key, latest=True
        )
        return seller_calls_by_team(workspace, period, today), dict(
            teams.values_list("unit_id", "commit")
        )

    return cache.cached(
        (
            "pipeline_calls",
            workspace.pk,
            period.key,
            str(today),
            calls_stamp(workspace.pk),
            *sources.plan_part(workspace, period.fy),
        ),
        compute,
    )


def company_forecast(
    viewer: Membership, period: Period, *, page: Any = None, per_page: int | None = None
) -> dict[str, Any]:
    """The executive page: each top team's calls (sellers' roll-up, the lead's adjusted call),
    weighted pipeline and coverage, then the run-rate forecast and Monte Carlo probability of
    the company (insights). Reads the cached sums of the team cells and latest calls
    (:func:`company_sums`) and cached company totals: a fixed number of queries and rows
    whatever the number of deals, sellers and teams.

    With ``per_page``, ``teams`` is that page of the team rows (``teams_page``: the page, its
    count and links) and only their latest team calls are loaded; the totals sum every team.
    """
    from django.core.paginator import Paginator

    from pacte.org.visibility import Tree

    ws = viewer.workspace
    today = timezone.localdate()
    tree = Tree.load(ws)
    root = tree.root
    sums = company_sums(ws, period, today, tree)
    listed = [
        uid
        for uid in [*tree.children.get(root.pk, []), root.pk]
        if uid != root.pk or sums.teams[uid].figures.deals or sums.teams[uid].sellers
    ]
    rows = [sums.teams[uid] for uid in listed]
    objective, actual = company_totals(ws, period)
    gap, cov = coverage(sums.company.total, objective or None, actual)
    shown = Paginator(listed, per_page or max(len(listed), 1)).get_page(page)
    return {
        "teams": with_calls(
            ws, period, [replace(sums.teams[uid], unit=tree.units[uid]) for uid in shown]
        ),
        "teams_page": shown,
        "company": sums.company,
        "channel_figures": sums.channels,
        "call_commit": sum(
            (r.call_commit if r.call_commit is not None else r.seller_commit) for r in rows
        ),
        "seller_commit": sum(r.seller_commit for r in rows),
        "objective": objective or None,
        "actual": actual,
        "gap": gap,
        "coverage": cov,
        "forecast": run_rate(viewer, period),
    }


def _latest_team_calls(workspace: Workspace, period: Period, unit_ids: list[int]) -> QuerySet[Call]:
    return Call.objects.for_workspace(workspace).filter(
        level=CallLevel.TEAM, period=period.key, latest=True, unit_id__in=unit_ids
    )


def with_calls(workspace: Workspace, period: Period, rows: list[TeamRow]) -> list[TeamRow]:
    """``rows`` with the latest call of each team (its lead, who it went to), one query."""
    calls = _latest_team_calls(workspace, period, [r.unit.pk for r in rows]).select_related(
        "member", "unit", "submitted_to"
    )
    by_unit = {c.unit_id: c for c in calls}
    for r in rows:
        r.call = by_unit.get(r.unit.pk)
    return rows


def company_totals(workspace: Workspace, period: Period) -> tuple[int, int]:
    """(agreed objective, actual sales: split and overlay) of every seller over the period,
    computed once per cube version and plan of the year, then read from the insights cache."""
    from pacte.insights import cache, sources
    from pacte.objectives.models import Layer, ObjectiveCell
    from pacte.sales.models import CubeCell

    months = period.month_indexes

    def compute() -> tuple[int, int]:
        objective = (
            ObjectiveCell.objects.for_workspace(workspace)
            .filter(layer=Layer.AGREED, month__gte=months.start, month__lt=months.stop)
            .aggregate(a=Sum("amount"))["a"]
        )
        actual = (
            CubeCell.objects.for_workspace(workspace)
            .filter(month__gte=months.start, month__lt=months.stop)
            .aggregate(a=Sum(F("split_amount") + F("overlay_amount")))["a"]
        )
        return int(objective or 0), int(actual or 0)

    return cache.cached(
        (
            *cache.cube_part(workspace),
            *sources.plan_part(workspace, period.fy),
            "pipeline_totals",
            period.key,
        ),
        compute,
    )


def run_rate(viewer: Membership, period: Period) -> dict[str, Any]:
    """The company's run-rate year forecast and probability of reaching the objective and the
    target (Monte Carlo), as on the insights overview; cached there per cube version."""
    from pacte.insights import dashboard
    from pacte.insights.periods import resolve_period

    try:
        choice = resolve_period(viewer.workspace, f"FY{period.fy:04d}")
        return dashboard.company_forecast_block(viewer.workspace, choice)
    except Exception:  # no calendar data yet: the page still shows the pipeline
        return {"year_forecast": None, "p_objective": None, "p_target": None}


def channel_coverage(
    workspace: Workspace, period: Period, figs: dict[Any, Figures] | None = None
) -> list[tuple[Any, Figures]]:
    """The pipeline of each channel (``figs``: the team cells by channel, when already read)."""
    from pacte.sales.models import Channel

    if figs is None:
        figs = team_figures(workspace, period, "channel_id")
    names = {c.pk: c for c in Channel.objects.for_workspace(workspace).filter(pk__in=list(figs))}
    return [(names.get(k), v) for k, v in figs.items()]


# --------------------------------------------------------------------------- waterfall


@dataclass
class Waterfall:
    start: int = 0
    created: int = 0
    won: int = 0
    lost: int = 0
    pushed: int = 0
    pulled: int = 0
    changed: int = 0
    end: int = 0
    steps: list[tuple[str, int]] = field(default_factory=list)


def waterfall(viewer: Membership, period: Period, today: datetime.date | None = None) -> Waterfall:
    """The period's open pipeline from its first day to today (or its last day), from the
    history: start → created → won → lost → pushed out (close date moved past the period) →
    pulled in / amounts changed → end. Sums over the deals the viewer sees."""
    start_day, stop_day = period.bounds
    end_day = min(today or timezone.localdate(), stop_day)
    start_dt = datetime.datetime.combine(start_day, datetime.time.min, tzinfo=datetime.UTC)
    end_dt = datetime.datetime.combine(
        end_day + datetime.timedelta(days=1), datetime.time.min, tzinfo=datetime.UTC
    )
    deals = deals_visible_to(viewer).values("pk")

    def state(at: datetime.datetime) -> dict[int, tuple[int, datetime.date, str]]:
        last = DealChange.objects.filter(deal=OuterRef("deal"), changed_at__lt=at).order_by(
            "-changed_at", "-pk"
        )
        rows = (
            DealChange.objects.for_workspace(viewer.workspace)
            .filter(deal__in=deals, changed_at__lt=at, pk=Subquery(last.values("pk")[:1]))
            .values_list("deal_id", "amount", "close_date", "status")
        )
        return {d: (a, c, s) for d, a, c, s in rows}

    def in_period(v: tuple[int, datetime.date, str]) -> bool:
        return v[2] == DealStatus.OPEN and start_day <= v[1] <= stop_day

    before, after = state(start_dt), state(end_dt)
    w = Waterfall()
    for deal_id, then in after.items():
        first = before.get(deal_id)
        was = first is not None and in_period(first)
        if was:
            w.start += first[0]  # type: ignore[index]
        if in_period(then):
            w.end += then[0]
        if not was:
            if in_period(then) or (then[2] != DealStatus.OPEN and start_day <= then[1] <= stop_day):
                if first is None:
                    w.created += then[0]
                else:
                    w.pulled += then[0]
                if then[2] == DealStatus.WON:
                    w.won -= then[0]
                elif then[2] == DealStatus.LOST:
                    w.lost -= then[0]
            continue
        if then[2] == DealStatus.WON:
            w.won -= first[0]  # type: ignore[index]
        elif then[2] == DealStatus.LOST:
            w.lost -= first[0]  # type: ignore[index]
        elif then[1] > stop_day:
            w.pushed -= first[0]  # type: ignore[index]
        elif then[1] < start_day:
            w.pulled -= first[0]  # type: ignore[index]
        else:
            w.changed += then[0] - first[0]  # type: ignore[index]
    w.steps = [
        ("start", w.start),
        ("created", w.created),
        ("won", w.won),
        ("lost", w.lost),
        ("pushed", w.pushed),
        ("pulled", w.pulled),
        ("changed", w.changed),
        ("end", w.end),
    ]
    return w


def get_team_for_lead(viewer: Membership, public_id: Any | None) -> Unit:
    """A team the viewer leads (or sits under a team they lead); executives any team.
    Without an id: the first team the viewer leads. Else 404."""
    from pacte.org.visibility import Tree, led_unit_ids

    tree = Tree.load(viewer.workspace)
    allowed = set(tree.units) if viewer.sees_everything else led_unit_ids(viewer, tree)
    if public_id is None:
        mine = sorted(u for u in allowed if tree.units[u].lead_id == viewer.pk)
        if mine:
            return tree.units[mine[0]]
        if viewer.sees_everything:
            return tree.root
        raise Http404
    unit = get_scoped(Unit.objects.visible_to(viewer), public_id)
    if unit.pk not in allowed:
        raise Http404
    return unit
