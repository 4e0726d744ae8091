"""The monthly report as a PDF, rendered server-side with fpdf2 (pure Python, no browser).

Title, period, the three numbers of month, quarter, year to date and year, a bar chart of
actual against target per month (fpdf2 drawing primitives; the forecast of the remaining
months as outlined bars), and one table row per team (company, team with sub-teams) or per
seller (team). Text in the member's language: call :func:`render` inside
``translation.override`` (the views and the API do). Amounts are the integer minor units of
the screen's data, formatted with :mod:`pacte.lib.money`.

Font: DejaVu Sans (Unicode, shipped by Debian's ``fonts-dejavu-core``). When it is absent the
report falls back to fpdf2's core Helvetica, which only knows Latin-1: other characters (the
euro sign, narrow no-break spaces, …) are replaced.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from fpdf import FPDF

from pacte.lib import money
from pacte.lib.dates import format_day

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
FONT = FONT_DIR / "DejaVuSans.ttf"
FONT_BOLD = FONT_DIR / "DejaVuSans-Bold.ttf"

BLUE = (37, 99, 235)
GREY = (160, 160, 160)
LIGHT = (225, 225, 225)
GREEN = (22, 163, 74)


class _Report(FPDF):
    def __init__(self, unicode_font: bool) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.unicode_font = unicode_font
        self.set_auto_page_break(auto=True, margin=15)
        self.set_margins(15, 15, 15)
        if unicode_font:
            self.add_font("DejaVu", "", str(FONT))
            self.add_font("DejaVu", "B", str(FONT_BOLD if FONT_BOLD.exists() else FONT))
            self.family = "DejaVu"
        else:
            self.family = "Helvetica"

    def clean(self, text: str) -> str:
        if self.unicode_font:
            return text
        text = text.replace("\u202f", " ").replace("\u00a0", " ").replace("€", "EUR")
        text = text.replace("“", '"').replace("”", '"').replace("’", "'").replace("—", "-")
        return text.encode("latin-1", "replace").decode("latin-1")

    def font(self, size: float, bold: bool = False) -> None:
        self.set_font(self.family, "B" if bold else "", size)

    def footer(self) -> None:
        self.set_y(-12)
        self.font(7)
        self.set_text_color(*GREY)
        self.cell(0, 5, self.clean(f"{self.page_no()}"), align="R")
        self.set_text_color(0, 0, 0)


def _money(value: int | None, currency: str, language: str) -> str:
    return money.format_money(value, currency, language)


def _percent(value: float | None, language: str) -> str:
    return "—" if value is None else money.format_percent(value, language)


def _table(
    pdf: _Report,
    head: list[str],
    rows: list[list[str]],
    widths: list[float],
) -> None:
    pdf.font(7.5, bold=True)
    pdf.set_fill_color(*LIGHT)
    for text, w in zip(head, widths, strict=True):
        pdf.cell(w, 6, pdf.clean(text), border=1, align="C", fill=True)
    pdf.ln()
    pdf.font(7.5)
    for row in rows:
        if pdf.will_page_break(5.5):
            pdf.add_page()
        for j, (text, w) in enumerate(zip(row, widths, strict=True)):
            pdf.cell(w, 5.5, pdf.clean(text), border=1, align="L" if j == 0 else "R")
        pdf.ln()


def _figure_cells(row: dict[str, Any], currency: str, language: str) -> list[str]:
    return [
        _money(row.get("target"), currency, language),
        _money(row.get("objective"), currency, language),
        _money(row.get("actual"), currency, language),
        _percent(row.get("attainment_target"), language),
        _percent(row.get("attainment_objective"), language),
        _money(row.get("gap_target"), currency, language),
        _money(row.get("forecast"), currency, language),
    ]


def _figure_head(first: str) -> list[str]:
    return [
        first,
        _("Target"),
        _("Objective"),
        _("Actual"),
        _("% target"),
        _("% objective"),
        _("Gap to target"),
        _("Forecast"),
    ]


WIDTHS = [40.0, 20.0, 20.0, 20.0, 16.0, 18.0, 22.0, 24.0]


def _chart(pdf: _Report, chart: dict[str, Any], language: str) -> None:
    """Bars of actual (blue) and target (grey) per month; outlined bars for the forecast of the
    months still to come."""
    months = chart["months"]
    actual = chart["actual"]
    target = chart["target"] or [0] * len(months)
    forecast = chart["forecast"] or []
    elapsed = chart.get("elapsed", len(months))
    currency = chart["currency"]
    projected = [forecast[i] if forecast and i >= elapsed else 0 for i in range(len(months))]
    top = max([*actual, *target, *projected, 1])
    x0, width, height = pdf.l_margin + 22, pdf.epw - 22, 55.0
    if pdf.will_page_break(height + 22):
        pdf.add_page()
    y0 = pdf.get_y() + 4
    base = y0 + height
    pdf.set_draw_color(*LIGHT)
    pdf.set_line_width(0.2)
    pdf.font(6.5)
    for k in range(5):
        y = base - height * k / 4
        pdf.line(x0, y, x0 + width, y)
        pdf.set_xy(pdf.l_margin, y - 2)
        pdf.cell(21, 4, pdf.clean(_money(round(top * k / 4), currency, language)), align="R")
    slot = width / max(len(months), 1)
    bar = slot * 0.35
    for i, label in enumerate(months):
        x = x0 + i * slot + slot * 0.12
        if target[i] > 0:
            h = height * target[i] / top
            pdf.set_fill_color(*GREY)
            pdf.rect(x + bar, base - h, bar, h, style="F")
        if i < elapsed or not projected[i]:
            h = height * max(actual[i], 0) / top
            pdf.set_fill_color(*BLUE)
            pdf.rect(x, base - h, bar, h, style="F")
        else:
            h = height * projected[i] / top
            pdf.set_draw_color(*BLUE)
            pdf.set_line_width(0.3)
            pdf.rect(x, base - h, bar, h, style="D")
        pdf.set_xy(x0 + i * slot, base + 1)
        pdf.cell(slot, 4, pdf.clean(label), align="C")
    pdf.set_draw_color(0, 0, 0)
    pdf.set_line_width(0.2)
    pdf.line(x0, base, x0 + width, base)
    # legend
    y = base + 7
    x = x0
    for color, text, style in (
        (BLUE, _("Actual"), "F"),
        (GREY, _("Target"), "F"),
        (BLUE, _("Forecast"), "D"),
    ):
        pdf.set_fill_color(*color)
        pdf.set_draw_color(*color)
        pdf.rect(x, y + 0.8, 3, 3, style=style)
        pdf.set_xy(x + 4, y)
        pdf.cell(30, 4.5, pdf.clean(text))
        x += 34
    pdf.set_draw_color(0, 0, 0)
    pdf.set_y(y + 8)


def render(
    data: dict[str, Any],
    name: str,
    *,
    currency: str,
    with_sellers: bool = True,
    unicode_font: bool | None = None,
) -> bytes:
    """The PDF bytes of a screen's data (``dashboard.unit_view`` or ``dashboard.cockpit``).
    The company report lists its teams; a team's lists its sub-teams and its sellers."""
    language = get_language() or "en"
    pdf = _Report(FONT.exists() if unicode_font is None else unicode_font)
    title = _("Monthly report")
    pdf.set_title(f"{title} · {name}")
    pdf.set_creator("Pacte")
    pdf.set_subject(f"{_('Period')} {data['period'].key} · {name}")
    pdf.add_page()
    pdf.font(16, bold=True)
    pdf.multi_cell(0, 8, pdf.clean(f"{title} · {name}"), new_x="LMARGIN", new_y="NEXT")
    pdf.font(9)
    period = data["period"]
    pdf.cell(
        0,
        6,
        pdf.clean(
            _("Period: %(period)s · issued on %(date)s")
            % {"period": period.key, "date": format_day(timezone.localdate(), get_language())}
        ),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.ln(3)
    pdf.font(11, bold=True)
    pdf.cell(0, 6, pdf.clean(_("The three numbers")), new_x="LMARGIN", new_y="NEXT")
    _table(
        pdf,
        _figure_head(_("Period")),
        [
            [f"{r['label']} ({r['key']})", *_figure_cells(r, currency, language)]
            for r in data["summary"]
        ],
        WIDTHS,
    )
    pdf.ln(4)
    pdf.font(11, bold=True)
    pdf.cell(0, 6, pdf.clean(_("Actual and target by month")), new_x="LMARGIN", new_y="NEXT")
    _chart(pdf, data["chart"], language)
    sellers = ((data.get("sellers") or {}).get("rows") or []) if with_sellers else []
    teams = data.get("teams") or []
    for heading, first, rows in (
        (_("Teams"), _("Team"), teams),
        (_("Sellers"), _("Seller"), sellers),
    ):
        if not rows:
            continue
        pdf.ln(2)
        if pdf.will_page_break(20):
            pdf.add_page()
        pdf.font(11, bold=True)
        pdf.cell(
            0,
            6,
            pdf.clean(f"{heading} · {period.key}"),
            new_x="LMARGIN",
            new_y="NEXT",
        )
        _table(
            pdf,
            _figure_head(first),
            [[r["name"], *_figure_cells(r, currency, language)] for r in rows],
            WIDTHS,
        )
    return bytes(pdf.output())
