"""Translated labels of the organisation: audit actions (added to pacte.audit.labels) and the
figures of an organisation's shape in words."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.utils.translation import get_language, gettext, ngettext
from django.utils.translation import gettext_lazy as _

from pacte.lib import money

ACTION_LABELS = {
    "org_settings.updated": _("Target shape changed"),
    "deputy.added": _("Deputy named"),
    "deputy.removed": _("Deputy removed"),
    "proposal.saved": _("Delayering proposal saved"),
    "proposal.edited": _("Delayering proposal edited"),
    "proposal.applied": _("Delayering proposal applied"),
    "proposal.discarded": _("Delayering proposal discarded"),
}


def sellers_by_layers(counts: Sequence[int]) -> str:
    """``[0, 6, 34]`` (sellers with 0, 1, 2 layers above them) as "1 layer: 6 · 2 layers: 34"."""
    lang = get_language()
    parts = [
        ngettext("%(layers)s layer: %(sellers)s", "%(layers)s layers: %(sellers)s", layers)
        % {"layers": layers, "sellers": money.format_number(int(count), lang)}
        for layers, count in enumerate(counts)
        if count
    ]
    return " · ".join(parts) or "—"


def shape_value(value: Any) -> str:
    """A figure of an organisation's shape as a reader reads it: numbers in the active
    language (two decimals at most, none for a whole number), yes / no, sellers by layers."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    if isinstance(value, list | tuple):
        return sellers_by_layers(value)
    number = Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    digits = 0 if number == number.to_integral_value() else 2
    return money.format_number(number, get_language(), digits=digits)
