"""A deterministic synthetic organisation, for benchmarks and tests of the structure maths.

Framework-free like :mod:`pacte.lib.orgshape`, whose ``OrgArrays`` it builds.
"""

from __future__ import annotations

import numpy as np

from pacte.lib.orgshape import OrgArrays

__all__ = ["synthetic_org"]


def synthetic_org(*, people: int, layers: int, seed: int = 0, team: int = 8) -> OrgArrays:
    """A deterministic organisation of ``people`` whose deepest sellers are ``layers`` deep.

    Every unit has a lead who belongs to it (leads do not sell); unit depths run from 0
    (the company, led by the executive) to ``layers - 1``; sellers fill the deepest units,
    about ``team`` per unit. For benchmarks and demos.
    """
    if layers < 1:
        raise ValueError("layers must be at least 1")
    rng = np.random.default_rng(seed)
    n_leaf = max(1, round(people / (team + 1)))
    branching = n_leaf ** (1 / (layers - 1)) if layers > 1 else 1.0
    parents = [np.array([-1], dtype=np.int64)]
    first = 0
    for _ in range(1, layers):
        width = parents[-1].size
        kids = np.maximum(1, rng.poisson(branching, size=width))
        ids = np.arange(first, first + width, dtype=np.int64)
        first += width
        parents.append(np.repeat(ids, kids))
    unit_parent = np.concatenate(parents)
    n_units = unit_parent.size
    leaves = np.arange(first, n_units, dtype=np.int64)
    n_sellers = people - n_units
    if n_sellers < leaves.size:
        raise ValueError(f"{people} people are too few for {n_units} units in {layers} layers")
    per_leaf = 1 + rng.multinomial(n_sellers - leaves.size, np.full(leaves.size, 1 / leaves.size))
    person_unit = np.concatenate([np.arange(n_units), np.repeat(leaves, per_leaf)])
    is_seller = np.arange(people) >= n_units
    return OrgArrays(
        unit_parent=unit_parent,
        unit_lead=np.arange(n_units, dtype=np.int64),
        person_unit=person_unit.astype(np.int64),
        is_seller=is_seller,
    )
