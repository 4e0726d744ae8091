"""How realistic the amount a seller types for their objective is: the figures
(``maths.realism``: bands on their own history and on their reference share, a suggested
range) and what they mean in words, in one place for the page, its htmx partial and the API.

The bands (``maths``): on last fiscal year's own sales, below 0 % "below your history", up to
+15 % "realistic", up to +35 % "ambitious", beyond "very ambitious: far above your history";
on the reference share, below it, at it (up to +5 %), above it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from pacte.accounts.models import Membership
from pacte.amounts import parse_amount
from pacte.errors import DomainError
from pacte.lib.money import format_money, format_percent
from pacte.objectives import maths, references, selectors

HEADLINES = {
    "below_history": gettext_lazy("Below your history: less than you sold last year"),
    "realistic": gettext_lazy("Realistic: in line with your history"),
    "ambitious": gettext_lazy("Ambitious: well above your history"),
    "very_ambitious": gettext_lazy("Very ambitious: far above your history"),
    "no_history": gettext_lazy("No sales last year: read against your reference share only"),
    "unknown": gettext_lazy("Not enough to judge: no sales last year and no reference share"),
}


@dataclass(frozen=True)
class RealismView:
    """``figures`` and their words; ``error`` instead when the typed text is not an amount."""

    figures: maths.Realism | None = None
    headline: str = ""
    sentences: list[str] = field(default_factory=list)
    error: str = ""


def parse_typed(text: object, currency: str) -> int:
    """What the seller typed, in minor units: the objectives' one parser of typed amounts."""
    return parse_amount(text, currency)


def figures_for(member: Membership, fy: int, amount: int) -> maths.Realism:
    """The figures of ``amount`` for ``member``'s objective of ``fy`` (a few set-based reads:
    reference share, last year's sales, the team's proposals)."""
    from pacte.org.selectors import unit_of

    ws = member.workspace
    reference = references.reference_for(member, fy)
    history = references.actuals_for(ws, fy - 1, [member.pk]).get(member.pk)
    unit = unit_of(member)
    team = references.sellers_under(ws, unit.pk) if unit else [member.pk]
    return maths.realism(
        amount,
        history=history.annual if history else 0,
        reference=reference.annual,
        team_growth=selectors.team_growth(ws, fy, team),
    )


def signed_percent(ratio: Fraction) -> str:
    """+65 %, −10 %, 0 % in the active language (display only)."""
    value = Decimal(ratio.numerator) / Decimal(ratio.denominator)
    text = format_percent(abs(value), get_language())
    if value == 0:
        return text
    return ("+" if value > 0 else "\u2212") + text


def describe(figures: maths.Realism, currency: str) -> RealismView:
    """The words of ``figures`` in the active language."""
    lang = get_language()

    def money(minor: int) -> str:
        return format_money(minor, currency, lang)

    sentences: list[str] = []
    if figures.growth is not None:
        sentences.append(
            _("%(growth)s on your sales of last year (%(history)s).")
            % {"growth": signed_percent(figures.growth), "history": money(figures.history)}
        )
    if figures.vs_reference is not None:
        values = {
            "gap": format_percent(
                abs(Decimal(figures.vs_reference.numerator))
                / Decimal(figures.vs_reference.denominator),
                lang,
            ),
            "reference": money(figures.reference),
        }
        if figures.reference_band == "below_reference":
            sentences.append(_("%(gap)s below your reference share (%(reference)s).") % values)
        elif figures.reference_band == "at_reference":
            sentences.append(_("At your reference share (%(reference)s).") % values)
        else:
            sentences.append(_("%(gap)s above your reference share (%(reference)s).") % values)
    if figures.team_growth is not None:
        sentences.append(
            _("Your team's proposals: %(growth)s on their sales of last year.")
            % {"growth": signed_percent(figures.team_growth)}
        )
    if figures.high > 0:
        bounds = {"low": money(figures.low), "high": money(figures.high)}
        if figures.amount > figures.high:
            sentences.append(_("Above the suggested range, %(low)s to %(high)s.") % bounds)
        elif figures.amount < figures.low:
            sentences.append(_("Below the suggested range, %(low)s to %(high)s.") % bounds)
        else:
            sentences.append(_("Inside the suggested range, %(low)s to %(high)s.") % bounds)
    return RealismView(figures=figures, headline=str(HEADLINES[figures.level]), sentences=sentences)


def of_amount(member: Membership, fy: int, amount: int) -> RealismView:
    """The realism of ``amount`` (minor units) as ``member``'s objective of ``fy``."""
    return describe(figures_for(member, fy, amount), member.workspace.currency)


def of_typed(member: Membership, fy: int, text: object) -> RealismView:
    """The realism of what the seller typed (the page, its partial); a clear message when it
    is not an amount."""
    try:
        amount = parse_typed(text, member.workspace.currency)
    except DomainError as exc:
        return RealismView(error=exc.message)
    return of_amount(member, fy, amount)
