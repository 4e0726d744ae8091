"""Template tags available in every page: dates in the one format of each language."""

from __future__ import annotations

import datetime
from typing import Any

from django import template
from django.utils import timezone
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
