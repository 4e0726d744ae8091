"""Organisation structure: metrics and delayering proposal on a generated org.

The org has 10,000 people whose deepest sellers are 6 layers from the top (quick: 2,000),
built by ``pacte.lib.orgshape.synthetic_org``. Baseline, measured in the same run on the same
arrays: one vectorised pass, ``np.bincount(person_unit)`` (head count per unit), the cheapest
thing any structure figure has to do.
"""

from __future__ import annotations

import numpy as np

from bench.common import Figure, timed
from pacte.lib.orgshape import OrgArrays, metrics, propose, synthetic_org

LAYERS = 6
SHAPE = {"max_layers": 2, "span_min": 5, "span_max": 12}


def _baseline(org: OrgArrays) -> float:
    return timed(lambda: np.bincount(org.person_unit, minlength=org.n_units), repeat=5)


def run(quick: bool) -> list[Figure]:
    people = 2_000 if quick else 10_000
    org = synthetic_org(people=people, layers=LAYERS, seed=0)
    before = metrics(org, **SHAPE)
    size = f"{people:,} people, {LAYERS} layers"
    baseline = "np.bincount(person_unit), one vectorised pass over the same arrays"
    base = _baseline(org)

    metrics_s = timed(lambda: metrics(org, **SHAPE))
    proposal = propose(org, **SHAPE)
    propose_s = timed(lambda: propose(org, **SHAPE))
    blocking = ", ".join(str(b["code"]) for b in proposal.blocking) or "none"
    return [
        Figure(
            name=f"org metrics ({size})",
            value=metrics_s,
            unit="s",
            baseline=baseline,
            baseline_value=base,
            target="< 1 s",
            holds=metrics_s < 1.0,
            notes=(
                f"{org.n_units} units, {before.leads} leads, {before.sellers} sellers, "
                f"deepest seller {before.layers_max} layers"
            ),
        ),
        Figure(
            name=f"org proposal max_layers=2 span 5..12 ({size})",
            value=propose_s,
            unit="s",
            baseline=baseline,
            baseline_value=base,
            target="< 5 s",
            holds=propose_s < 5.0,
            notes=(
                f"{len(proposal.moves)} moves, reached={proposal.reached}, "
                f"blocking: {blocking}; after: deepest seller "
                f"{proposal.after.layers_max} layers"
            ),
        ),
    ]


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    for figure in run(args.quick):
        ratio = figure.ratio
        print(
            f"{figure.name}: {figure.value * 1000:.1f} ms (target {figure.target}, "
            f"{'holds' if figure.holds else 'FAILS'}); baseline {figure.baseline} "
            f"{figure.baseline_value * 1e6:.1f} µs, ratio {ratio}; {figure.notes}"
        )
