"""The data of every insights screen, shared by the pages, the API, exports and digests.

Each builder returns plain dicts and lists (amounts in minor units, ratios as floats) and
issues a fixed number of queries whatever the size of the company.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from django.utils.translation import gettext as _

from pacte.accounts.models import Membership, Workspace
from pacte.insights import cache, monthly, periods, selectors, sources
from pacte.insights.monthly import Frame
from pacte.insights.periods import PeriodChoice
from pacte.org.visibility import Tree, led_unit_ids, sees_every_seller, sees_sellers_of
from pacte.sales.models import Channel

RANKED = 5  # sellers shown furthest behind and ahead


def _clean(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, np.floating):
        return None if math.isnan(float(value)) else float(value)
    if isinstance(value, np.integer):
        return int(value)
    return value


def summary(
    frame: Frame, i: int, choice: PeriodChoice, ws: Workspace, year_forecast: int | None = None
) -> list[dict[str, Any]]:
    """Figures of month, quarter, year to date and year for group ``i``."""
    labels = {
        "month": _("Month"),
        "quarter": _("Quarter"),
        "ytd": _("Year to date"),
        "year": _("Year"),
    }
    cal = ws.calendar
    out = []
    for code, key, positions in periods.summary_periods(choice, ws):
        row = selectors.figures(frame, i, positions, forecast=year_forecast)
        # the months it covers, in words ("December 2026", "Q4 FY2026", "FY2026")
        covering = periods.period_label(key[:-4] if code == "ytd" else key, cal)
        out.append(
            {"period": code, "label": labels[code], "key": key, "period_label": covering, **row}
        )
    return out


def chart_labels() -> dict[str, str]:
    """The words of the charts (series names, a month not over yet), in the active language."""
    return {
        "actual": _("Actual"),
        "target": _("Target"),
        "objective": _("Objective"),
        "forecast": _("Forecast"),
        "pending": _("Month not over yet"),
    }


def chart(frame: Frame, i: int, ws: Workspace) -> dict[str, Any]:
    """Monthly series of one group for the line/bar chart."""
    return {
        "currency": ws.currency,
        "months": periods.month_labels(ws, frame.fy),
        "target": [int(v) for v in frame.target[i]] if frame.has_target[i] else [],
        "objective": [int(v) for v in frame.objective[i]] if frame.has_objective[i] else [],
        "actual": [int(v) for v in frame.actual[i]],
        "forecast": [int(v) for v in frame.forecast_by_month[i]] if frame.forecast_valid[i] else [],
        "elapsed": frame.elapsed,
    }


def rows_of(
    frame: Frame, choice: PeriodChoice, names: dict[Any, dict[str, Any]]
) -> list[dict[str, Any]]:
    """One figures row per group over the chosen period (sums vectorised over groups)."""
    idx = [i for i, key in enumerate(frame.keys) if key in names]
    if not idx:
        return []
    sl = slice(choice.positions.start, choice.positions.stop)
    sums = {
        name: values[idx, sl].sum(axis=1).tolist()
        for name, values in (
            ("target", frame.target),
            ("objective", frame.objective),
            ("actual", frame.actual),
            ("forecast", frame.forecast_by_month),
        )
    }
    has_t = frame.has_target[idx].tolist()
    has_o = frame.has_objective[idx].tolist()
    valid = frame.forecast_valid[idx].tolist()
    rows = []
    for j, i in enumerate(idx):
        actual = sums["actual"][j]
        target = sums["target"][j] if has_t[j] else None
        objective = sums["objective"][j] if has_o[j] else None
        forecast = sums["forecast"][j] if valid[j] else None
        rows.append(
            {
                **names[frame.keys[i]],
                **selectors.three_numbers(target, objective, actual, forecast),
            }
        )
    return rows


def _filters(
    unit_ids: list[int] | None, channel: Channel | None, seller: Membership | None
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if unit_ids is not None:
        out["unit_ids"] = unit_ids
    if channel is not None:
        out["channel_id"] = channel.pk
    if seller is not None:
        out["seller_id"] = seller.pk
    return out


def heatmap(frame: Frame, names: dict[Any, dict[str, Any]], ws: Workspace) -> dict[str, Any]:
    """Attainment against target of each group and month (``None`` without a target, and for
    a month that has not ended: it has no figure yet, not a 0 %). ``pending`` lists the
    positions of those months (the current one and the ones after it)."""
    idx = [i for i, key in enumerate(frame.keys) if key in names]
    target = frame.target[idx]
    with np.errstate(divide="ignore", invalid="ignore"):
        pct = np.round(100 * frame.actual[idx] / np.where(target == 0, 1, target), 1)
    values = np.where(target == 0, np.nan, pct)
    values[:, frame.elapsed :] = np.nan
    cells = [
        [m, y, None if math.isnan(v) else v]
        for y, row in enumerate(values.tolist())
        for m, v in enumerate(row)
    ]
    return {
        "months": periods.month_labels(ws, frame.fy),
        "rows": [names[frame.keys[i]]["name"] for i in idx],
        "cells": cells,
        "pending": list(range(frame.elapsed, 12)),
    }


def page_of_teams(data: dict[str, Any], page: Any, per_page: int) -> dict[str, Any]:
    """One page of a unit's team rows, and the heat map of those teams: every team stays
    reachable (pages, drill-down, exports) while a page renders only ``per_page`` of them."""
    from django.core.paginator import Paginator

    teams = Paginator(data["teams"], per_page).get_page(page)
    start = teams.start_index() - 1 if teams.object_list else 0
    stop = start + len(teams.object_list)
    hm = data["heatmap"]
    heat = {
        **hm,
        "rows": hm["rows"][start:stop],
        "cells": [[m, y - start, v] for m, y, v in hm["cells"] if start <= y < stop],
    }
    return {**data, "teams": list(teams.object_list), "heatmap": heat, "teams_page": teams}


def channel_names(ws: Workspace) -> dict[Any, dict[str, Any]]:
    return {
        c.pk: {"key": str(c.uuid), "name": c.label, "code": c.code}
        for c in Channel.objects.for_workspace(ws).order_by("position", "code")
    }


def channel_mix(
    frame: Frame, names: dict[Any, dict[str, Any]], choice: PeriodChoice, ws: Workspace
) -> dict[str, Any]:
    """Share of each channel in the period's actual, and its monthly trend."""
    rows = rows_of(frame, choice, names)
    total = sum(r["actual"] for r in rows) or 0
    for r in rows:
        r["share"] = (r["actual"] / total) if total else None
    trend = []
    for key in frame.keys:
        if key in names:
            i = frame.index(key)
            trend.append({"name": names[key]["name"], "actual": [int(v) for v in frame.actual[i]]})
    return {"rows": rows, "trend": trend, "months": periods.month_labels(ws, frame.fy)}


def seller_ranking(
    viewer: Membership,
    tree: Tree,
    choice: PeriodChoice,
    *,
    unit_ids: list[int] | None,
    channel: Channel | None,
) -> dict[str, Any] | None:
    """Sellers furthest behind and ahead of target over the period (attainment), among the
    sellers the viewer may see individually; ``None`` when they may see none."""
    ws = viewer.workspace
    scope_ids = unit_ids
    if not sees_every_seller(viewer):
        allowed = led_unit_ids(viewer, tree)
        if not allowed:
            return None
        scope_ids = sorted(allowed if unit_ids is None else allowed & set(unit_ids))
    cal = ws.calendar
    first = cal.first_month_index(choice.fy)
    months = range(first + choice.positions.start, first + choice.positions.stop)
    filters = _filters(scope_ids, channel, None)
    closed = monthly._closed_in(ws, months)
    t_ids, t_sum = monthly.seller_target_totals(ws, choice.fy, months, **filters)
    a_ids, a_sum = monthly.seller_actual_totals(ws, months, closed=closed, **filters)
    keep = t_sum > 0
    ids, target = t_ids[keep], t_sum[keep]
    if not ids.size:
        return {"behind": [], "ahead": []}
    # actual of each ranked seller (0 without sales), exact int64
    actual = np.zeros_like(target)
    if a_ids.size:
        at = np.minimum(np.searchsorted(a_ids, ids), a_ids.size - 1)
        hit = a_ids[at] == ids
        actual[hit] = a_sum[at[hit]]
    attainment = actual / target
    order = np.lexsort((ids, attainment))  # by attainment, then id: ties in a stable order
    n = int(order.size)
    n_behind = min(RANKED, (n + 1) // 2)
    n_ahead = min(RANKED, n - n_behind)
    behind = order[:n_behind].tolist()
    ahead = order[n - n_ahead :][::-1].tolist()
    people = {
        m["pk"]: m
        for m in Membership.objects.for_workspace(ws)
        .filter(pk__in=[int(ids[i]) for i in behind + ahead])
        .values("pk", "uuid", "name")
    }

    def row(i: int) -> dict[str, Any]:
        p = people.get(int(ids[i]), {"uuid": None, "name": "?"})
        a, t = int(actual[i]), int(target[i])
        return {
            "key": str(p["uuid"]),
            "name": p["name"],
            "actual": a,
            "target": t,
            "attainment_target": a / t,
            "gap_target": a - t,
        }

    return {"behind": [row(i) for i in behind], "ahead": [row(i) for i in ahead]}


def _unit_names(tree: Tree, keys: list[int], top: int) -> dict[Any, dict[str, Any]]:
    out = {}
    for k in keys:
        u = tree.units[k]
        name = u.name if k != top else _("%(team)s (directly)") % {"team": u.name}
        out[k] = {"key": str(u.uuid), "name": name, "drill": k != top}
    return out


def overview(
    viewer: Membership,
    choice: PeriodChoice,
    *,
    channel: Channel | None = None,
    tree: Tree | None = None,
) -> dict[str, Any]:
    """The executive overview: company, teams, channels, heat map, sellers behind/ahead."""
    return unit_view(viewer, None, choice, channel=channel, tree=tree)


def unit_view(
    viewer: Membership,
    unit_id: int | None,
    choice: PeriodChoice,
    *,
    channel: Channel | None = None,
    tree: Tree | None = None,
    with_sellers: bool = False,
) -> dict[str, Any]:
    """A unit (the company when ``unit_id`` is None) with its teams, channels and sellers."""
    ws = viewer.workspace
    tree = tree or Tree.load(ws)
    root = tree.root
    top = root.pk if unit_id is None else unit_id
    unit_ids = None if unit_id is None else tree.subtree(unit_id)
    base = _filters(unit_ids, channel, None)
    whole = monthly.build_frame(ws, choice, by=None, **base)
    children = list(tree.children.get(top, []))
    group_map = tree.group_of(top)
    teams = monthly.build_frame(
        ws, choice, by="unit", key_map=group_map, keys=[*children, top], **base
    )
    team_names = _unit_names(tree, [*children, top], top)
    # drop the "directly" row when nobody sells directly in the unit
    i_top = teams.index(top)
    if not (teams.actual[i_top].any() or teams.target[i_top].any() or teams.objective[i_top].any()):
        team_names.pop(top)
    chan_names = channel_names(ws)
    channels = monthly.build_frame(
        ws, choice, by="channel", keys=list(chan_names), **_filters(unit_ids, None, None)
    )
    weight = selectors.settings_of(ws).judgment_weight if with_sellers else 50
    data: dict[str, Any] = {
        "unit": {"key": str(tree.units[top].uuid), "name": tree.units[top].name},
        "path": [
            {
                "key": str(tree.units[u].uuid),
                "name": tree.units[u].name,
                "root": tree.units[u].parent_id is None,
            }
            for u in reversed(tree.ancestors(top))
        ],
        "summary": summary(whole, 0, choice, ws),
        "chart": chart(whole, 0, ws),
        "forecast": forecast_block(whole, 0),
        "teams": rows_of(teams, choice, team_names),
        "heatmap": heatmap(teams, team_names, ws),
        "channels": channel_mix(channels, chan_names, choice, ws),
        "ranking": seller_ranking(viewer, tree, choice, unit_ids=unit_ids, channel=channel),
        "period": choice,
    }
    if with_sellers:
        data["sellers"] = team_sellers(viewer, tree, top, choice, channel=channel, weight=weight)
    return data


def forecast_block(frame: Frame, i: int, year_forecast: int | None = None) -> dict[str, Any]:
    p = monthly.probabilities(frame, [i])
    fcst = year_forecast
    if fcst is None and frame.forecast_valid[i]:
        fcst = int(frame.forecast_by_month[i].sum())
    return {
        "year_forecast": fcst,
        "p_objective": _clean(p[0, 0]),
        "p_target": _clean(p[0, 1]),
        "elapsed": frame.elapsed,
    }


def company_forecast_block(workspace: Workspace, choice: PeriodChoice) -> dict[str, Any]:
    """The company's run-rate year forecast and chances of reaching the objective and the
    target (:func:`forecast_block` of the whole company): the frame and its Monte Carlo are
    computed once per cube version, close and plan of the year, then read from the cache."""
    return cache.cached(
        (*monthly.frame_part(workspace, choice.fy), "company_forecast", choice.key, choice.as_of),
        lambda: forecast_block(monthly.build_frame(workspace, choice, by=None), 0),
    )


def team_sellers(
    viewer: Membership,
    tree: Tree,
    unit_id: int,
    choice: PeriodChoice,
    *,
    channel: Channel | None,
    weight: int,
) -> dict[str, Any]:
    """The sellers of a unit (credited there this year or placed there now) with their
    figures, year forecast and probabilities. Individual rows only for viewers allowed to see
    them (themself otherwise)."""
    ws = viewer.workspace
    all_ids = tree.subtree(unit_id)
    unit_ids = None if unit_id == tree.root.pk else all_ids
    frame = monthly.build_frame(ws, choice, by="seller", **_filters(unit_ids, channel, None))
    in_unit = set(all_ids)
    placed = [m for m, u in selectors.current_unit_ids(ws, units=all_ids).items() if u in in_unit]
    keys = list(dict.fromkeys([k for k in frame.keys if k is not None] + placed))
    if len(keys) != len(frame.keys):
        frame = monthly.extend_frame(frame, keys)
    see_all = sees_sellers_of(viewer, tree, unit_id)
    visible = [i for i, k in enumerate(frame.keys) if see_all or k == viewer.pk]
    people = {
        m["pk"]: m
        for m in Membership.objects.for_workspace(ws)
        .filter(pk__in=[frame.keys[i] for i in visible])
        .values("pk", "uuid", "name", "is_seller")
    }
    judged = selectors.judgments(ws, choice.fy, [frame.keys[i] for i in visible])
    probs = monthly.probabilities(frame, visible)
    rows = []
    for j, i in enumerate(visible):
        p = people.get(frame.keys[i])
        if p is None:
            continue
        year_fc = selectors.blended_year_forecast(frame, i, judged.get(frame.keys[i]), weight)
        figs = selectors.figures(frame, i, choice.positions, forecast=year_fc)
        rows.append(
            {
                "key": str(p["uuid"]),
                "name": p["name"],
                **figs,
                "year_forecast": year_fc,
                "p_objective": _clean(probs[j, 0]),
                "p_target": _clean(probs[j, 1]),
            }
        )
    rows.sort(key=lambda r: r["name"])
    return {"rows": rows, "hidden": len(frame.keys) - len(rows), "see_all": see_all}


def cockpit(viewer: Membership, seller: Membership, choice: PeriodChoice) -> dict[str, Any]:
    """A seller's own screen: objective, progress, forecast, probability, sales, check-ins."""
    ws = viewer.workspace
    frame = monthly.build_frame(ws, choice, by=None, seller_id=seller.pk)
    judgment = selectors.judgments(ws, choice.fy, [seller.pk]).get(seller.pk)
    weight = selectors.settings_of(ws).judgment_weight
    year_fc = selectors.blended_year_forecast(frame, 0, judgment, weight)
    cal = ws.calendar
    first = cal.first_month_index(choice.fy)
    final = int(frame.actual[0].sum()) if frame.elapsed == 12 else None
    team = selectors.current_team(ws, seller)
    return {
        "seller": {"key": str(seller.uuid), "name": seller.name},
        "team": None
        if team is None
        else {"key": str(team.uuid), "name": team.name, "root": team.parent_id is None},
        "summary": summary(frame, 0, choice, ws, year_forecast=year_fc),
        "chart": chart(frame, 0, ws),
        "forecast": {
            **forecast_block(frame, 0, year_fc),
            "run_rate": int(frame.forecast_by_month[0].sum()) if frame.forecast_valid[0] else None,
            "committed": judgment.committed if judgment else None,
            "best_case": judgment.best_case if judgment else None,
            "judgment_version": judgment.version if judgment else None,
            "note": judgment.note if judgment else "",
        },
        "recent_sales": sources.recent_sales(ws, seller.pk),
        "check_ins": sources.check_ins(ws, seller.pk),
        "accuracy": selectors.accuracy(
            ws, seller_ids=[seller.pk], fy=choice.fy, final_actual=final
        ),
        "period": choice,
        "first_month": first,
        "frame": frame,
    }


def month_names(ws: Workspace, fy: int) -> list[str]:
    """The fiscal year's months in words ("March 2026"), fiscal month 1 first."""
    from pacte.planning.labels import month_label

    return [month_label(m.index) for m in ws.calendar.months(fy)]


def what_if(frame: Frame, amount: int, position: int) -> dict[str, Any]:
    """The year figures if one deal of ``amount`` closed in fiscal month ``position``: a
    one-off deal adds to the actual and to the forecast (it does not change the run-rate)."""
    before = selectors.figures(frame, 0, range(0, 12))
    p_before = monthly.probabilities(frame, [0])
    shifted = Frame(
        frame.keys,
        frame.target.copy(),
        frame.objective.copy(),
        frame.actual,
        frame.history,
        frame.has_target,
        frame.has_objective,
        frame.fy,
        frame.elapsed,
        frame.current,
        frame.forecast_by_month,
        frame.forecast_valid,
        frame.remaining,
        frame.cv,
    )
    # P(actual + deal + simulated ≥ goal) = P(actual + simulated ≥ goal − deal).
    shifted.target[0, position] -= amount
    shifted.objective[0, position] -= amount
    p_after = monthly.probabilities(shifted, [0])
    actual = before["actual"] + amount
    after = {
        **before,
        "actual": actual,
        "attainment_target": selectors.ratio(actual, before["target"]),
        "attainment_objective": selectors.ratio(actual, before["objective"]),
        "gap_target": None if before["target"] is None else actual - before["target"],
        "gap_objective": None if before["objective"] is None else actual - before["objective"],
        "forecast": None if before["forecast"] is None else before["forecast"] + amount,
    }
    return {
        "amount": amount,
        "before": {
            **before,
            "p_objective": _clean(p_before[0, 0]),
            "p_target": _clean(p_before[0, 1]),
        },
        "after": {**after, "p_objective": _clean(p_after[0, 0]), "p_target": _clean(p_after[0, 1])},
    }
