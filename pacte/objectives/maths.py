"""Framework-free maths of objectives: phasing, channel cells, realism and suggested range."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Protocol

from pacte.lib.allocation import capped_split, largest_remainder

BP = 10_000  # basis points in 100 %


def phase(amount: int, weights: Sequence[int]) -> list[int]:
    """Split ``amount`` over 12 months like ``weights`` (equal when they are all zero).

    Exact: the result sums to ``amount``, never negative (largest remainder).
    """
    if amount < 0:
        raise ValueError("amount must not be negative")
    w = [max(int(x), 0) for x in weights] if len(weights) == 12 else [0] * 12
    if sum(w) <= 0:
        w = [1] * 12
    return [int(v) for v in largest_remainder(amount, w)]


def phase_like_reference(
    amount: int,
    reference: Sequence[int],
    fallback: Sequence[int] | Callable[[], Sequence[int]],
) -> list[int]:
    """``amount`` phased like the reference share's months; when the reference has no phasing
    (none published, or all zero), like ``fallback`` (last year's actuals, or the months the
    seller typed; a callable is called only then); equal months when that is all zero too."""
    if sum(reference) > 0:
        return phase(amount, reference)
    return phase(amount, fallback() if callable(fallback) else fallback)


def phasing_gap(amount: int, months: Sequence[int]) -> int:
    """What the months lack to make the annual amount (negative when they exceed it); 0 when
    they add up."""
    return amount - sum(months)


class Figures(Protocol):
    """An annual amount and its 12 months (last year's actuals)."""

    annual: int
    by_month: list[int]


class ReferenceFigures(Figures, Protocol):
    """A reference share, which may not exist (no run published, or not in it)."""

    exists: bool


def default_objective(reference: ReferenceFigures, history: Figures) -> tuple[int, list[int]]:
    """What a seller starts from before they have an objective: the reference share's amount
    phased like it, else last year's actuals phased like them."""
    amount = reference.annual if reference.exists else history.annual
    return amount, phase_like_reference(amount, reference.by_month, history.by_month)


def split_by_channel(amount: int, split: dict[str, int]) -> list[tuple[str | None, int]]:
    """``amount`` split by basis points per channel; the unsplit rest goes to ``None``."""
    codes = [code for code, bp in sorted(split.items()) if bp > 0]
    weights = [split[code] for code in codes]
    rest = BP - sum(weights)
    keys: list[str | None] = [*codes]
    if rest > 0:
        keys.append(None)
        weights.append(rest)
    if not weights or amount == 0:
        return [(None, amount)] if amount else []
    parts = largest_remainder(amount, weights)
    return [(key, int(part)) for key, part in zip(keys, parts, strict=True) if part]


#: Bands of a proposal's growth on the seller's own history (last fiscal year's actual sales),
#: in percent: below 0 "below_history"; 0 to 15 "realistic"; above 15 to 35 "ambitious"; above 35
#: "very_ambitious" (+65 % is far above one's history, whatever the reference share says).
REALISTIC_UP_TO = 15
AMBITIOUS_UP_TO = 35
#: Up to this many percent above the reference share still reads "at the reference share".
AT_REFERENCE_UP_TO = 5

HISTORY_BANDS = ("below_history", "realistic", "ambitious", "very_ambitious")
REFERENCE_BANDS = ("below_reference", "at_reference", "above_reference")


@dataclass(frozen=True)
class Realism:
    """How a proposed amount reads against the seller's history and reference share.

    Ratios are exact ``Fraction``s (0.65 = +65 %), for display; amounts are minor units."""

    amount: int
    history: int  # last fiscal year's actual sales (0: none)
    reference: int  # reference share (0: none published)
    growth: Fraction | None  # amount / history - 1
    vs_reference: Fraction | None  # amount / reference - 1
    team_growth: Fraction | None  # the team's proposals on their history
    low: int  # suggested range
    high: int
    history_band: str | None  # one of HISTORY_BANDS, None without history
    reference_band: str | None  # one of REFERENCE_BANDS, None without reference

    @property
    def level(self) -> str:
        """The headline: the history band, else "no_history" (a reference only), else
        "unknown"."""
        if self.history_band is not None:
            return self.history_band
        return "no_history" if self.reference_band is not None else "unknown"

    @property
    def in_range(self) -> bool:
        return self.low <= self.amount <= self.high


def history_band(amount: int, history: int) -> str | None:
    """The band of ``amount`` on ``history`` (integer comparisons, bounds included below)."""
    if history <= 0:
        return None
    if amount < history:
        return "below_history"
    if amount * 100 <= history * (100 + REALISTIC_UP_TO):
        return "realistic"
    if amount * 100 <= history * (100 + AMBITIOUS_UP_TO):
        return "ambitious"
    return "very_ambitious"


def reference_band(amount: int, reference: int) -> str | None:
    if reference <= 0:
        return None
    if amount < reference:
        return "below_reference"
    if amount * 100 <= reference * (100 + AT_REFERENCE_UP_TO):
        return "at_reference"
    return "above_reference"


def realism(
    amount: int, *, history: int, reference: int, team_growth: Fraction | None = None
) -> Realism:
    """The bands of ``amount`` and the suggested range.

    The range runs from the lower of the reference share and last year's sales to the higher
    of the reference share and the top of the "realistic" band (history +15 %, or history
    grown like the team's proposals when the team grows more): amounts both credible on the
    seller's history and close to what the company asks of them.
    """
    growth = Fraction(amount, history) - 1 if history > 0 else None
    vs_ref = Fraction(amount, reference) - 1 if reference > 0 else None
    anchors = [x for x in (reference, history) if x > 0]
    low = min(anchors) if anchors else 0
    high = reference
    if history > 0:
        team = max(team_growth or Fraction(0), Fraction(REALISTIC_UP_TO, 100))
        high = max(high, int(history * (1 + team)))  # int() of a Fraction: exact floor
    return Realism(
        amount=amount,
        history=history,
        reference=reference,
        growth=growth,
        vs_reference=vs_ref,
        team_growth=team_growth,
        low=low,
        high=high,
        history_band=history_band(amount, history),
        reference_band=reference_band(amount, reference),
    )


def auto_agrees(amount: int, reference: int, tolerance_bp: int, enabled: bool) -> bool:
    """At or above the reference, or within ``tolerance_bp`` below it (integer maths)."""
    if not enabled or reference <= 0:
        return False
    return amount * BP >= reference * (BP - tolerance_bp)


@dataclass(frozen=True)
class GapCandidate:
    """A seller a gap rule may ask for more, as the published run and the objectives see them."""

    key: int  # a stable id (ties go to the smaller)
    weight_share: float | None  # the run's weight share (None: the run has none)
    reference: int  # the run's annual share
    upper: int | None  # the run's upper bound (None: unbounded)
    held: bool = False
    excluded: bool = False
    agreed: int = 0  # what is already agreed


def headroom(candidate: GapCandidate, *, prorata: bool) -> int | None:
    """What a rule may still ask of a seller: nothing when the run holds or excludes them;
    for pro-rata, the upper bound minus what is agreed (``None``: no bound)."""
    if candidate.held or candidate.excluded:
        return 0
    if prorata and candidate.upper is not None:
        return max(candidate.upper - candidate.agreed, 0)
    return None


def gap_split(amount: int, candidates: Sequence[GapCandidate], *, prorata: bool) -> list[int]:
    """``amount`` over the candidates in proportion to the run's weight shares (its reference
    shares when no one has a weight, equally when those are zero too), each capped at its
    :func:`headroom`: exact (largest remainder), never negative, nothing for a held or
    excluded seller; what nobody can take stays unallocated (the result sums to less)."""
    if not candidates:
        return []
    weights = [float(c.weight_share or 0) for c in candidates]
    if sum(weights) <= 0:
        weights = [float(max(c.reference, 0)) for c in candidates]
    caps = []
    for c in candidates:
        room = headroom(c, prorata=prorata)
        caps.append(math.inf if room is None else float(room))
    keys = [c.key for c in candidates]
    return [int(v) for v in capped_split(amount, weights, caps, keys=keys)]
