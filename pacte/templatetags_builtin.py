"""Template tags available in every template: locale-aware money, numbers and percentages,
values in words (channel names, JSON of audit details)."""

from __future__ import annotations

import html
from decimal import Decimal
from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, pgettext

from pacte.lib import fastformat, money

register = template.Library()


def _currency(context: template.Context) -> str:
    member = context.get("member")
    workspace = context.get("workspace") or getattr(member, "workspace", None)
    return getattr(workspace, "currency", "EUR")


@register.simple_tag(takes_context=True)
def money_tag(
    context: template.Context, minor: int | None, cents: bool = False, currency: str = ""
) -> str:
    """``{% money amount %}``: minor units formatted in the workspace currency (or
    ``currency=``, a sale's own) and active locale (whole units through the fast layouts, the
    same text as Babel's)."""
    code = currency or _currency(context)
    if cents or currency or minor is None or minor != int(minor):
        return money.format_money(minor, code, get_language(), cents=cents)
    return fastformat.format_money(minor, code, get_language())


register.simple_tag(money_tag, takes_context=True, name="money")

FIGURES = (  # the columns of ``insights/_figures_head.html``, in order
    ("target", "money"),
    ("objective", "money"),
    ("actual", "money"),
    ("attainment_target", "percent"),
    ("attainment_objective", "percent"),
    ("gap_target", "money"),
    ("forecast", "money"),
)


@register.simple_tag(takes_context=True)
def figures_cells(context: template.Context, row: Any) -> str:
    """``{% figures_cells r %}``: the seven figure cells of a row of figures (target, objective,
    actual, against target and objective, gap to target, forecast) as ``{% money %}`` and
    ``|percent`` write them, in one tag: a table of 50 rows no longer includes a template per
    row."""
    code = _currency(context)
    language = get_language()
    cells = []
    for name, kind in FIGURES:
        value = row.get(name)
        if kind == "percent":
            text = fastformat.format_percent(value, language)
        elif value is None or value != int(value):
            text = money.format_money(value, code, language)
        else:
            text = fastformat.format_money(value, code, language)
        cells.append(f'<td class="num">{html.escape(text)}</td>')  # Django's escape, unwrapped
    return mark_safe("".join(cells))  # noqa: S308 (every value escaped above)


@register.filter
def number(value: Any, digits: int = 0) -> str:
    if value is None or value == "":
        return "—"
    return money.format_number(Decimal(str(value)), get_language(), digits=int(digits))


@register.filter
def percent(value: Any, digits: int = 0) -> str:
    if not int(digits):
        return fastformat.format_percent(value, get_language())
    if value is None or value == "":
        return "—"
    return money.format_percent(Decimal(str(value)), get_language(), digits=int(digits))


@register.filter
def share(basis_points: Any) -> str:
    """A credit's share in basis points as a percentage: 6000 → "60 %", 3333 → "33,33 %"."""
    if basis_points is None or basis_points == "":
        return "—"
    ratio = Decimal(int(basis_points)) / 10_000
    digits = 0 if int(basis_points) % 100 == 0 else 2
    return money.format_percent(ratio, get_language(), digits=digits)


@register.filter
def fiscal_year(value: Any) -> str:
    """``{{ year|fiscal_year }}``: a fiscal year's label in the active language (FY2027 / Ex. 2027)."""
    from pacte.planning.labels import year_label

    return year_label(int(value))


@register.simple_tag
def colon() -> str:
    """The colon after a label, as the active language writes it: "Status:" in English,
    "Statut :" in French (a no-break space before the colon)."""
    return pgettext("typography: the colon after a label", ":")


@register.simple_tag
def field_error(errors: Any, name: str) -> str:
    """``{% field_error errors "amount" %}``: the field's message, next to it (or nothing)."""
    message = (errors or {}).get(name)
    if not message:
        return ""
    return format_html(
        '<small id="id_{}-error" class="error" role="alert">{}</small>', name, message
    )


@register.simple_tag
def field_aria(errors: Any, name: str, described_by: str = "") -> str:
    """``{% field_aria errors "amount" %}``: ``aria-invalid`` and ``aria-describedby`` pointing at
    the field's message when it has one (``described_by``: other ids it is described by)."""
    ids = [described_by] if described_by else []
    invalid = bool((errors or {}).get(name))
    if invalid:
        ids.append(f"id_{name}-error")
    attrs = format_html(' aria-describedby="{}"', " ".join(ids)) if ids else ""
    return format_html("{}{}", attrs, mark_safe(' aria-invalid="true"') if invalid else "")


@register.simple_tag(takes_context=True)
def channel_name(context: template.Context, code: str | None) -> str:
    """``{% channel_name code %}``: a channel's name in the active language ("field" →
    "Vente terrain"); the workspace's names are read once per template."""
    if not code:
        return ""
    key = f"pacte_channel_names:{get_language()}"
    names = context.render_context.get(key)
    if names is None:
        from pacte.sales.selectors import channel_names

        member = context.get("member")
        workspace = context.get("workspace") or getattr(member, "workspace", None)
        names = channel_names(workspace) if workspace is not None else {}
        context.render_context[key] = names
    return names.get(code, code)


@register.filter
def as_json(value: Any) -> str:
    """Stored data (an audit event's before/after) as JSON, never as a Python repr."""
    import json

    if value is None or value == "" or value == {}:
        return "—"
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
