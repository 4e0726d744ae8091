"""What part of a target moves when a seller changes team, leaves or joins mid-year.

Framework-free integer maths for ``pacte.planning.moves``. A seller's holdings are rows
``(key, month, amount)`` (one per team × channel × month they hold); a move on ``day`` takes
every month after the move's month whole, and a part of the move's month that depends on the
proration:

- ``days``: the days of the month left from ``day`` (inclusive), of the days in the month;
- ``month``: whole months: the move's month goes with the side that holds most of its days;
- ``phasing``: the remaining phasing of the share: only the months wholly after the move
  (the move's month moves only when the move is on its first day).

The part of the move's month is rounded half up for each seller, then split over that
seller's rows of the month by largest remainder, so that it never exceeds a row and sums
exactly. Every amount is an integer; what moves is only ever moved from one holder to another,
so every total above the holders is unchanged.
"""

from __future__ import annotations

import calendar
import datetime
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]

PRORATIONS = ("days", "month", "phasing")


def month_fraction(day: datetime.date, proration: str) -> tuple[int, int]:
    """The part ``(numerator, denominator)`` of the month of ``day`` that moves on ``day``."""
    length = calendar.monthrange(day.year, day.month)[1]
    left = length - day.day + 1
    if proration == "days":
        return left, length
    if proration == "month":
        return (1, 1) if 2 * left > length else (0, 1)
    if proration == "phasing":
        return (1, 1) if day.day == 1 else (0, 1)
    raise ValueError(f"unknown proration {proration!r}")


def moving_part(
    amounts: npt.ArrayLike,
    months: npt.ArrayLike,
    groups: npt.ArrayLike,
    move_months: Sequence[int],
    fractions: Sequence[tuple[int, int]],
) -> IntArray:
    """The part of each holding row that moves (``(r,)`` int64, ``0 <= part <= amount``).

    ``groups`` ``(r,)`` gives each row's mover (an index into ``move_months`` and
    ``fractions``); rows in a month after the mover's ``move_month`` move whole, rows in it
    move ``numerator / denominator`` of the mover's month total, split over those rows by
    largest remainder; earlier rows stay."""
    amt = np.asarray(amounts, dtype=np.int64)
    month = np.asarray(months, dtype=np.int64)
    group = np.asarray(groups, dtype=np.int64)
    if (amt < 0).any():
        raise ValueError("holdings are never negative")
    move_month = np.asarray(move_months, dtype=np.int64)
    part = np.where(month > move_month[group], amt, 0).astype(np.int64)
    at = np.flatnonzero(month == move_month[group])
    if at.size == 0:
        return part
    # The move's month: a few rows per mover, split in exact Python integers (amounts times
    # the moved part can pass 2**63).
    rows_of: dict[int, list[int]] = {}
    for row in at.tolist():
        rows_of.setdefault(int(group[row]), []).append(row)
    values = amt.tolist()
    for g, rows in rows_of.items():
        num, den = fractions[g]
        total = sum(values[r] for r in rows)
        if total == 0 or num == 0:
            continue
        moved = (2 * total * num + den) // (2 * den)  # half up
        for r, share in zip(
            rows, _largest_remainder([values[r] for r in rows], moved), strict=True
        ):
            part[r] = share
    return part


def _largest_remainder(weights: list[int], amount: int) -> list[int]:
    """``amount`` (at most ``sum(weights)``) split proportionally to integer ``weights``: floors,
    then one more to the largest remainders (ties to the first); each part at most its weight."""
    total = sum(weights)
    floors = [w * amount // total for w in weights]
    left = amount - sum(floors)
    order = sorted(range(len(weights)), key=lambda i: (-(weights[i] * amount % total), i))
    for i in order[:left]:
        floors[i] += 1
    return floors


def split_evenly(amount: int, count: int) -> list[int]:
    """``amount`` in ``count`` integer parts differing by at most one (the first get more)."""
    if count <= 0:
        return []
    base, extra = divmod(amount, count)
    return [base + (1 if i < extra else 0) for i in range(count)]
