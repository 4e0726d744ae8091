"""``{% load insights_format %}``: the ``money`` tag and ``percent`` filter of every template,
with the same output, for the figures tables of the insights pages (see
:mod:`pacte.lib.fastformat`)."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import get_language

from pacte.lib import fastformat

register = template.Library()


@register.simple_tag(takes_context=True, name="money")
def money_tag(context: template.Context, minor: int | None, cents: bool = False) -> str:
    member = context.get("member")
    workspace = context.get("workspace") or getattr(member, "workspace", None)
    currency = getattr(workspace, "currency", "EUR")
    if cents:
        from pacte.lib import money

        return money.format_money(minor, currency, get_language(), cents=True)
    return fastformat.format_money(minor, currency, get_language())


@register.filter
def percent(value: Any, digits: int = 0) -> str:
    if int(digits):
        from decimal import Decimal

        from pacte.lib import money

        if value is None or value == "":
            return "—"
        return money.format_percent(Decimal(str(value)), get_language(), digits=int(digits))
    return fastformat.format_percent(value, get_language())
