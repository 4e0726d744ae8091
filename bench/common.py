"""Shared helpers for the benchmarks under ``bench/``.

Every benchmark module is named ``bench_*.py`` and exposes ``run(quick: bool) -> list[Figure]``.
A figure compares a measured value with a baseline measured *in the same run* on the same data,
so that the ratio stays meaningful on a shared, noisy machine.
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Figure:
    name: str
    value: float
    unit: str
    baseline: str
    baseline_value: float
    target: str
    holds: bool
    notes: str = ""

    @property
    def ratio(self) -> float | None:
        if not self.baseline_value:
            return None
        return round(self.value / self.baseline_value, 3)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["ratio"] = self.ratio
        return data


def timed(fn: Callable[[], object], *, repeat: int = 3) -> float:
    """Median wall time of ``fn`` in seconds over ``repeat`` runs (garbage collected between)."""
    samples = []
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)
