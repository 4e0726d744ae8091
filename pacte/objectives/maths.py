"""Framework-free maths of objectives: phasing, channel cells, realism and suggested range."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

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


@dataclass(frozen=True)
class Realism:
    growth: float | None  # proposal vs own history (0.1 = +10 %)
    team_growth: float | None  # the team's proposals vs their history
    vs_reference: float | None  # proposal / reference - 1
    low: int  # suggested range
    high: int
    level: str  # "below_history" | "cautious" | "realistic" | "ambitious" | "unknown"


def realism(amount: int, *, history: int, reference: int, team_growth: float | None) -> Realism:
    """How ambitious a proposal is, and the suggested range.

    The range runs from the lower of the reference and last year's actuals to 15 % above the
    higher of the reference and last year's actuals grown like the team (when the team grows).
    A proposal below history is "below_history"; below the range "cautious"; inside it
    "realistic"; above it "ambitious". Ratios are for display only, never for money.
    """
    growth = (amount / history - 1) if history > 0 else None
    vs_ref = (amount / reference - 1) if reference > 0 else None
    anchors = [x for x in (reference, history) if x > 0]
    if not anchors:
        return Realism(growth, team_growth, vs_ref, 0, 0, "unknown")
    low = min(anchors)
    grown = history * (1 + max(team_growth or 0.0, 0.0)) if history > 0 else 0
    high = int(max(reference, int(grown), history) * 115 // 100)
    if history > 0 and amount < history:
        level = "below_history"
    elif amount < low:
        level = "cautious"
    elif amount <= high:
        level = "realistic"
    else:
        level = "ambitious"
    return Realism(growth, team_growth, vs_ref, low, high, level)


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
