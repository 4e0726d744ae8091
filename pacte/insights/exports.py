"""Every insights table as rows, written to CSV or XLSX; the attainment export of scripts.

Names (of people, teams, channels) are typed by people: a cell a spreadsheet would run as a
formula (``=``, ``+``, ``-``, ``@``, TAB, CR) is written as text — prefixed with ``'`` in CSV
(as the import's error file), typed as a string with Excel's quote prefix in XLSX.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from pacte.accounts.models import Workspace
from pacte.errors import DomainError
from pacte.insights import monthly, selectors
from pacte.insights.periods import PeriodChoice
from pacte.lib.tabular.formulas import neutralise_formula
from pacte.org.visibility import Tree

FIGURE_COLUMNS = [
    ("target", "money"),
    ("objective", "money"),
    ("actual", "money"),
    ("attainment_target", "ratio"),
    ("attainment_objective", "ratio"),
    ("gap_target", "money"),
    ("gap_objective", "money"),
    ("forecast", "money"),
]
TABLES = ("summary", "months", "teams", "channels", "sellers", "heatmap", "ranking")
#: Excel number formats of the figures (Excel shows them with the reader's own separators).
NUMBER_FORMATS = {"money": "#,##0.00", "ratio": "0.0%"}
COLUMN_WIDTHS = {"text": 28, "money": 16, "ratio": 12}


@dataclass(frozen=True)
class Table:
    """An exported table: headers, rows, and the kind of each column (``text``, ``money`` in
    major units, ``ratio`` as a fraction: 0.87 = 87 %)."""

    head: list[str]
    rows: list[list[Any]]
    kinds: list[str]


def headers() -> dict[str, str]:
    return {
        "name": _("Name"),
        "period": _("Period"),
        "label": _("Period"),
        "target": _("Target"),
        "objective": _("Objective"),
        "actual": _("Actual"),
        "attainment_target": _("Attainment vs target"),
        "attainment_objective": _("Attainment vs objective"),
        "attainment": _("Attainment"),
        "gap_target": _("Gap to target"),
        "gap_objective": _("Gap to objective"),
        "forecast": _("Forecast"),
        "year_forecast": _("Year forecast"),
        "p_objective": _("Chance of reaching the objective"),
        "p_target": _("Chance of reaching the target"),
        "share": _("Share"),
        "month": _("Month"),
        "rank": _("Rank"),
    }


def money_value(minor: int | None) -> Decimal | None:
    return None if minor is None else Decimal(minor) / 100


def ratio_value(value: float | None) -> Decimal | None:
    return None if value is None else Decimal(str(round(value, 4)))


def _row(data: dict[str, Any], columns: Sequence[tuple[str, str]]) -> list[Any]:
    out: list[Any] = []
    for name, kind in columns:
        value = data.get(name)
        if kind == "money":
            out.append(money_value(value))
        elif kind == "ratio":
            out.append(ratio_value(value))
        else:
            out.append(value)
    return out


def table(name: str, data: dict[str, Any]) -> Table:
    """One table of a screen's data (see ``dashboard``)."""
    h = headers()
    if name == "summary":
        cols = [("label", "text"), ("key", "text"), *FIGURE_COLUMNS]
        rows = data["summary"]
    elif name in ("teams", "sellers") or name == "channels":
        cols = [("name", "text"), *FIGURE_COLUMNS]
        if name == "sellers":
            cols += [("year_forecast", "money"), ("p_objective", "ratio"), ("p_target", "ratio")]
            rows = (data.get("sellers") or {}).get("rows", [])
        elif name == "channels":
            cols.append(("share", "ratio"))
            rows = data["channels"]["rows"]
        else:
            rows = data["teams"]
    elif name == "months":
        c = data["chart"]
        cols = [
            ("month", "text"),
            ("target", "money"),
            ("objective", "money"),
            ("actual", "money"),
            ("forecast", "money"),
        ]
        rows = [
            {
                "month": label,
                "target": c["target"][i] if c["target"] else None,
                "objective": c["objective"][i] if c["objective"] else None,
                "actual": c["actual"][i],
                "forecast": c["forecast"][i] if c["forecast"] else None,
            }
            for i, label in enumerate(c["months"])
        ]
    elif name == "heatmap":
        hm = data["heatmap"]
        head = [h["name"], *hm["months"]]
        grid: list[list[Any]] = [[r] + [None] * 12 for r in hm["rows"]]
        for m, y, v in hm["cells"]:
            grid[y][m + 1] = None if v is None else Decimal(str(v)) / 100
        return Table(head, grid, ["text"] + ["ratio"] * 12)
    elif name == "ranking":
        cols = [
            ("rank", "text"),
            ("name", "text"),
            ("target", "money"),
            ("actual", "money"),
            ("attainment_target", "ratio"),
            ("gap_target", "money"),
        ]
        ranking = data.get("ranking") or {"behind": [], "ahead": []}
        rows = [{**r, "rank": _("behind")} for r in ranking["behind"]] + [
            {**r, "rank": _("ahead")} for r in ranking["ahead"]
        ]
    else:
        raise DomainError(_("Unknown table."), code="invalid_table", field="table")
    return Table(
        [h.get(c, c) for c, _k in cols], [_row(r, cols) for r in rows], [k for _c, k in cols]
    )


def _csv_value(value: Any) -> Any:
    if value is None:
        return ""
    return neutralise_formula(value) if isinstance(value, str) else value


def to_csv(table: Table, *, bom: bool = False) -> bytes:
    """UTF-8; with ``bom`` a byte-order mark first, for files people open in a spreadsheet
    (Excel otherwise reads the accents of French names as Windows-1252)."""
    buf = io.StringIO()
    if bom:
        buf.write("\ufeff")
    writer = csv.writer(buf)
    writer.writerow([_csv_value(v) for v in table.head])
    for r in table.rows:
        writer.writerow([_csv_value(v) for v in r])
    return buf.getvalue().encode("utf-8")


def _xlsx_cell(sheet: Any, value: Any, kind: str = "text") -> Any:
    """A write-only cell: text is always a string cell, never a formula; money and ratios
    carry their number format."""
    from openpyxl.cell import WriteOnlyCell

    if isinstance(value, Decimal):
        value = float(value)
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str):
        cell.data_type = "s"
        if neutralise_formula(value) != value:
            cell.quotePrefix = True  # Excel keeps it text even when the cell is edited
    elif kind in NUMBER_FORMATS:
        cell.number_format = NUMBER_FORMATS[kind]
    return cell


def to_xlsx(table: Table, title: str = "Pacte") -> bytes:
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title[:31] or "Pacte")
    for i, kind in enumerate(table.kinds, start=1):
        ws.column_dimensions[get_column_letter(i)].width = COLUMN_WIDTHS.get(kind, 16)
    ws.freeze_panes = "A2"
    ws.append([_xlsx_cell(ws, v) for v in table.head])
    for r in table.rows:
        ws.append([_xlsx_cell(ws, v, k) for v, k in zip(r, table.kinds, strict=True)])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# --------------------------------------------------------------- pacte export attainment
GROUPS = ("company", "team", "seller", "channel")
PERIODS = ("month", "quarter", "ytd", "year")


def parse_by(value: str) -> tuple[str, str]:
    parts = [p.strip() for p in value.split(",") if p.strip()]
    group = next((p for p in parts if p in GROUPS), "company")
    period = next((p for p in parts if p in PERIODS), "year")
    unknown = [p for p in parts if p not in GROUPS and p not in PERIODS]
    if unknown or len(parts) > 2:
        raise DomainError(
            _("Unknown grouping “%(value)s”: use one of %(groups)s and one of %(periods)s.")
            % {"value": value, "groups": ", ".join(GROUPS), "periods": ", ".join(PERIODS)},
            code="invalid_by",
            field="by",
        )
    return group, period


def attainment_rows(workspace: Workspace, choice: PeriodChoice, group: str, period: str) -> Table:
    """One row per group and period: group, period, target, objective, actual, attainment."""
    from pacte.accounts.models import Membership
    from pacte.sales.models import Channel

    cal = workspace.calendar
    tree = Tree.load(workspace)
    names: dict[Any, str]
    if group == "company":
        frame = monthly.build_frame(workspace, choice, by=None, history=False)
        names = {None: tree.root.name}
    elif group == "team":
        root = tree.root.pk
        keys = [*tree.children.get(root, []), root]
        frame = monthly.build_frame(
            workspace, choice, by="unit", key_map=tree.group_of(root), keys=keys, history=False
        )
        names = {k: tree.units[k].name for k in keys}
    elif group == "seller":
        frame = monthly.build_frame(workspace, choice, by="seller", history=False)
        names = dict(
            Membership.objects.for_workspace(workspace)
            .filter(pk__in=[k for k in frame.keys if k])
            .values_list("pk", "name")
        )
    else:
        channels = dict(Channel.objects.for_workspace(workspace).values_list("pk", "name_en"))
        frame = monthly.build_frame(
            workspace, choice, by="channel", keys=list(channels), history=False
        )
        names = channels
    if period == "month":
        spans = [
            (p.key, range(i, i + 1))
            for i, p in enumerate(cal.month(choice.fy, m) for m in range(1, 13))
        ]
    elif period == "quarter":
        spans = [(cal.quarter(choice.fy, q).key, range(3 * q - 3, 3 * q)) for q in range(1, 5)]
    elif period == "ytd":
        first = cal.first_month_index(choice.fy)
        spans = [(f"FY{choice.fy:04d}-YTD", range(0, max(0, choice.as_of - first + 1)))]
    else:
        spans = [(f"FY{choice.fy:04d}", range(0, 12))]
    head = [group, "period", "target", "objective", "actual", "attainment", "attainment_objective"]
    rows: list[list[Any]] = []
    for i, key in enumerate(frame.keys):
        if key not in names:
            continue
        empty = not (frame.actual[i].any() or frame.target[i].any() or frame.objective[i].any())
        if group == "team" and key == tree.root.pk and empty:
            continue  # nobody sells directly at the top
        for period_key, positions in spans:
            f = selectors.figures(frame, i, positions)
            rows.append(
                [
                    names[key],
                    period_key,
                    money_value(f["target"]),
                    money_value(f["objective"]),
                    money_value(f["actual"]),
                    ratio_value(f["attainment_target"]),
                    ratio_value(f["attainment_objective"]),
                ]
            )
    return Table(head, rows, ["text", "text", "money", "money", "money", "ratio", "ratio"])
