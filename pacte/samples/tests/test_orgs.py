"""The synthetic organisation generator (pacte.samples.orgs), without a database."""

from __future__ import annotations

import numpy as np

from pacte.lib.orgshape import metrics
from pacte.samples.orgs import synthetic_org


def test_synthetic_org_has_the_requested_size_and_depth():
    org = synthetic_org(people=2_000, layers=6, seed=3)
    m = metrics(org, span_min=5, span_max=12, max_layers=2)
    assert m.people == 2_000
    assert m.layers_max == 6
    assert m.sellers == 2_000 - org.n_units
    again = synthetic_org(people=2_000, layers=6, seed=3)
    assert np.array_equal(org.unit_parent, again.unit_parent)
