"""Template tags available in every page: dates in the one format of each language, and the
menu's mark on the current page."""

from __future__ import annotations

import datetime
from typing import Any

from django import template
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from pacte.lib import dates

register = template.Library()


def _local(value: Any) -> Any:
    if isinstance(value, datetime.datetime) and timezone.is_aware(value):
        return timezone.localtime(value)
    return value


@register.filter
def day(value: Any) -> str:
    """``{{ sale.date|day }}``: ``4 Dec 2026`` / ``4 déc. 2026`` (a datetime shows its local day)."""
    if value is None or value == "":
        return dates.MISSING
    return dates.format_day(_local(value), get_language())


@register.filter
def moment(value: Any) -> str:
    """``{{ event.at|moment }}``: ``4 Dec 2026, 14:05`` / ``4 déc. 2026, 14:05``, local time."""
    if value is None or value == "":
        return dates.MISSING
    if not isinstance(value, datetime.datetime):
        return dates.format_day(value, get_language())
    return dates.format_moment(_local(value), get_language())


@register.simple_tag
def today() -> str:
    """``{% today %}``: today's date in the active language."""
    return dates.format_day(timezone.localdate(), get_language())


@register.simple_tag(takes_context=True)
def current_page(context: template.Context, prefixes: str, exact: bool = False) -> SafeString:
    """`` aria-current="page"`` on a menu link when the page's path starts with one of the
    space-separated ``prefixes`` (or equals it, with ``exact``), else nothing."""
    request = context.get("request")
    path = getattr(request, "path", "")
    for prefix in prefixes.split():
        if path == prefix or (not exact and path.startswith(prefix)):
            return mark_safe(' aria-current="page"')
    return mark_safe("")
