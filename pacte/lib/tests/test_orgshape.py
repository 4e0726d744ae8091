"""Structure metrics and delayering proposals (pacte.lib.orgshape), without a database."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pacte.lib.orgshape import (
    Move,
    OrgArrays,
    OrgShapeError,
    apply,
    layers,
    manager_of,
    metrics,
    propose,
    spans,
)
from pacte.samples.orgs import synthetic_org

# AdventureWorks sales org (../shared/datasets/adventureworks/README.md).
# Units: 0 company, 1 sales, 2 North America, 3 Pacific, 4 Europe.
# People: 0 CEO, 1 VP of Sales, 2-4 regional managers (NA, Pacific, Europe),
# 5-14 NA representatives, 15 Pacific representative, 16-18 European representatives.
CEO, VP, NA, PAC, EU = 0, 1, 2, 3, 4
AW_UNIT_PARENT = [-1, 0, 1, 1, 1]
AW_UNIT_LEAD = [CEO, VP, NA, PAC, EU]
REPS = list(range(5, 19))


def adventureworks(*, leads_in_parent_unit: bool = False) -> OrgArrays:
    """The AdventureWorks sales org; optionally each lead belongs to their parent unit."""
    own = [0, 1, 2, 3, 4] if not leads_in_parent_unit else [0, 0, 1, 1, 1]
    return OrgArrays(
        unit_parent=np.array(AW_UNIT_PARENT),
        unit_lead=np.array(AW_UNIT_LEAD),
        person_unit=np.array(own + [2] * 10 + [3] + [4] * 3),
        is_seller=np.array([False] * 5 + [True] * 14),
        person_ids=[f"p{i}" for i in range(19)],
        unit_ids=["company", "sales", "north-america", "pacific", "europe"],
    )


def org_of(parent, lead, unit, seller=None) -> OrgArrays:
    n = len(unit)
    return OrgArrays(
        unit_parent=np.array(parent, dtype=np.int64),
        unit_lead=np.array(lead, dtype=np.int64),
        person_unit=np.array(unit, dtype=np.int64),
        is_seller=np.ones(n, dtype=bool) if seller is None else np.array(seller),
    )


# --------------------------------------------------------------------------- metrics


@pytest.mark.parametrize("leads_in_parent_unit", [False, True])
def test_adventureworks_managers_layers_and_spans(leads_in_parent_unit):
    org = adventureworks(leads_in_parent_unit=leads_in_parent_unit)
    manager = manager_of(org)
    assert manager[:5].tolist() == [-1, CEO, VP, VP, VP]
    assert set(manager[5:15].tolist()) == {NA}
    assert manager[15] == PAC
    assert set(manager[16:].tolist()) == {EU}
    assert layers(org).tolist() == [0, 1, 2, 2, 2] + [3] * 14
    assert spans(org)[:5].tolist() == [1, 3, 10, 1, 3]


def test_adventureworks_metrics():
    m = metrics(adventureworks(), span_min=2, span_max=8, max_layers=2)
    assert (m.people, m.units, m.leads, m.sellers) == (19, 5, 5, 14)
    assert m.layers_max == 3
    assert m.layers_mean == 3.0
    assert m.sellers_by_layers == (0, 0, 0, 14)
    assert m.span_mean == pytest.approx(3.6)
    assert (m.span_median, m.span_min, m.span_max) == (3.0, 1, 10)
    assert [(x.person, x.span) for x in m.too_narrow] == [(CEO, 1), (PAC, 1)]
    assert [(x.person, x.unit, x.span) for x in m.too_wide] == [(NA, 2, 10)]
    assert m.managers_per_seller == pytest.approx(5 / 14)
    assert m.sellers_beyond == tuple(REPS)
    assert not m.reached


def test_metrics_as_dict_is_json_with_public_ids():
    data = metrics(adventureworks(), span_min=2, span_max=8, max_layers=2).as_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["span"]["too_wide"] == [{"lead": "p2", "unit": "north-america", "span": 10}]
    assert data["sellers_beyond_max_layers"]["count"] == 14
    assert data["sellers_beyond_max_layers"]["sellers"][0] == "p5"
    assert data["layers"]["sellers_by_layers"] == [0, 0, 0, 14]


def test_members_of_a_unit_without_lead_report_to_the_next_lead_up():
    # company(0, led by 0) > region(1, no lead) > team(2, led by 3)
    # people: 0 exec, 1-2 in region, 3 team lead, 4-5 team members
    org = org_of([-1, 0, 1], [0, -1, 3], [0, 1, 1, 2, 2, 2])
    assert manager_of(org).tolist() == [-1, 0, 0, 0, 3, 3]
    assert layers(org).tolist() == [0, 1, 1, 1, 2, 2]
    assert spans(org).tolist() == [3, 0, 0, 2, 0, 0]


def test_root_without_lead_makes_its_members_tops():
    org = org_of([-1, 0], [-1, 2], [0, 0, 1, 1])
    assert manager_of(org).tolist() == [-1, -1, -1, 2]
    assert layers(org).tolist() == [0, 0, 0, 1]


def test_emptied_units_do_not_count():
    org = org_of([-1, 0, 0], [0, 1, -1], [0, 1, 1])
    assert metrics(org, span_min=0, span_max=9, max_layers=9).units == 2


def test_no_sellers_and_no_leads_give_empty_figures():
    org = org_of([-1], [-1], [0, 0], seller=[False, False])
    m = metrics(org, span_min=1, span_max=5, max_layers=1)
    assert (m.layers_mean, m.span_mean, m.span_median, m.managers_per_seller) == (
        None,
        None,
        None,
        None,
    )
    assert json.dumps(m.as_dict())


# --------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("parent", "lead", "unit", "code"),
    [
        ([-1, 2, 1], [-1, -1, -1], [0], "cycle"),
        ([-1, 0, 3, 2], [-1, -1, -1, -1], [0], "cycle"),
        ([-1, -1], [-1, -1], [0], "root"),
        ([-1, 5], [-1, -1], [0], "index"),
        ([-1], [3], [0], "index"),
        ([-1], [-1], [1], "index"),
        ([-1, 0], [0, 0], [0], "lead_twice"),
        ([-1, 0, 1], [-1, -1, 0], [0], "lead_outside_unit"),
        ([-1, 0], [-1], [0], "shape"),
    ],
)
def test_bad_arrays_are_refused_with_a_code(parent, lead, unit, code):
    with pytest.raises(OrgShapeError) as err:
        org_of(parent, lead, unit)
    assert err.value.code == code


def test_duplicate_ids_are_refused():
    with pytest.raises(OrgShapeError) as err:
        OrgArrays(
            unit_parent=np.array([-1]),
            unit_lead=np.array([-1]),
            person_unit=np.array([0, 0]),
            is_seller=np.array([True, True]),
            person_ids=["a", "a"],
        )
    assert err.value.code == "duplicate_id"


def test_arrays_are_copied_and_read_only():
    parent = np.array([-1, 0])
    org = org_of(parent, [0, -1], [0, 1])
    parent[1] = 1
    assert org.unit_parent.tolist() == [-1, 0]
    with pytest.raises(ValueError, match="read-only"):
        org.unit_parent[1] = 0


# --------------------------------------------------------------------------- moves


def test_remove_layer_reattaches_reports_to_the_lead_manager():
    org = adventureworks()
    after = apply(org, [Move("remove_layer", person=VP, unit=1)])
    assert manager_of(after)[2:5].tolist() == [CEO] * 3
    assert manager_of(after)[VP] == CEO
    assert layers(after)[REPS].tolist() == [2] * 14
    assert after.is_seller[VP]
    assert not after.lead_flags[VP]
    assert org.unit_lead[1] == VP  # pure what-if


def test_merge_units_moves_members_children_and_lead():
    org = adventureworks()
    after = apply(org, [Move("merge_units", person=PAC, unit=3, target=4)])
    assert after.person_unit[[PAC, 15]].tolist() == [4, 4]
    assert manager_of(after)[[PAC, 15]].tolist() == [EU, EU]
    assert spans(after)[EU] == 5
    assert after.unit_lead[3] == -1


def test_reattach_unit_and_person():
    org = adventureworks(leads_in_parent_unit=True)
    after = apply(
        org,
        [
            Move("reattach", unit=3, target=4),  # Pacific under Europe, its lead moves along
            Move("reattach", person=5, target=4),  # one NA rep to Europe
        ],
    )
    assert after.person_unit[PAC] == 4
    assert manager_of(after)[[PAC, 15, 5]].tolist() == [EU, PAC, EU]
    assert layers(after)[15] == 4


@pytest.mark.parametrize(
    "move",
    [
        Move("remove_layer", person=CEO, unit=0),  # the top
        Move("remove_layer", person=5, unit=2),  # not the lead
        Move("merge_units", person=VP, unit=1, target=2),  # into its own subtree
        Move("reattach", unit=1, target=3),  # under its own child
        Move("reattach", person=NA, target=4),  # a lead alone
        Move("reattach", person=5, target=99),
    ],
)
def test_invalid_moves_are_refused(move):
    with pytest.raises(OrgShapeError) as err:
        apply(adventureworks(), [move])
    assert err.value.code == "invalid_move"


# --------------------------------------------------------------------------- proposals


def test_adventureworks_two_layers_removes_the_vice_president_only():
    proposal = propose(adventureworks(), max_layers=2, span_min=1, span_max=12)
    assert proposal.reached
    assert [(m.kind, m.person) for m in proposal.moves] == [("remove_layer", VP)]
    assert proposal.moves[0].explanation == {
        "code": "too_deep",
        "lead": VP,
        "span": 3,
        "sellers_too_deep": 14,
        "max_layers": 2,
    }
    assert proposal.before.layers_max == 3
    assert proposal.after.layers_max == 2
    assert proposal.blocking == ()


def test_narrow_team_merges_into_the_sibling_with_most_room():
    # exec 0 leads company; units 1, 2, 3 under it led by 1, 2, 3 with 1, 9 and 5 members.
    unit = [0, 1, 2, 3] + [1] * 1 + [2] * 9 + [3] * 5
    org = org_of([-1, 0, 0, 0], [0, 1, 2, 3], unit)
    proposal = propose(org, max_layers=2, span_min=2, span_max=12)
    assert proposal.reached
    (move,) = proposal.moves
    assert (move.kind, move.unit, move.target) == ("merge_units", 1, 3)
    assert move.explanation == {
        "code": "span_too_narrow",
        "lead": 1,
        "span": 1,
        "min": 2,
        "into_lead": 3,
        "into": "sibling",
    }
    assert spans(apply(org, proposal.moves))[[0, 3]].tolist() == [2, 7]


def test_wide_team_sends_reports_to_a_sibling_with_room():
    unit = [0, 1, 2] + [1] * 15 + [2] * 5
    org = org_of([-1, 0, 0], [0, 1, 2], unit)
    proposal = propose(org, max_layers=2, span_min=2, span_max=12)
    assert proposal.reached
    assert [m.kind for m in proposal.moves] == ["reattach"] * 3
    assert {m.explanation["code"] for m in proposal.moves} == {"span_too_wide"}
    assert spans(apply(org, proposal.moves))[[1, 2]].tolist() == [12, 8]


def test_capacity_blocks_and_names_the_numbers():
    org = org_of([-1], [0], [0] * 31, seller=[False] + [True] * 30)
    proposal = propose(org, max_layers=1, span_min=1, span_max=10)
    assert not proposal.reached
    assert proposal.blocking[0] == {
        "code": "capacity",
        "sellers": 30,
        "max_layers": 1,
        "span_max": 10,
        "capacity": 11,
    }
    assert proposal.blocking[1]["code"] == "span_too_wide"


def test_inverted_bounds_block_without_moves():
    proposal = propose(adventureworks(), max_layers=2, span_min=9, span_max=3)
    assert not proposal.reached
    assert proposal.moves == ()
    assert proposal.blocking[0] == {"code": "span_bounds_inverted", "min": 9, "max": 3}


def test_proposal_as_dict_is_json_with_public_ids():
    data = propose(adventureworks(), max_layers=2, span_min=5, span_max=12).as_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["moves"][0]["person"] == "p1"
    assert data["moves"][0]["unit"] == "sales"
    assert data["moves"][0]["explanation"]["lead"] == "p1"
    assert data["before"]["layers"]["max"] == 3


def test_shape_rejects_negative_numbers():
    with pytest.raises(ValueError, match="max_layers"):
        propose(adventureworks(), max_layers=-1, span_min=1, span_max=2)


def test_large_proposal_keeps_everyone_and_cuts_depth():
    org = synthetic_org(people=2_000, layers=6)
    proposal = propose(org, max_layers=2, span_min=5, span_max=12)
    assert proposal.blocking[0]["code"] == "capacity"
    after = apply(org, proposal.moves)
    assert after.n_people == org.n_people
    assert proposal.after.layers_max == 2


# --------------------------------------------------------------------------- properties


def reference_manager(org: OrgArrays) -> list[int]:
    """Per-person loop over the rules, to check the vectorised version."""
    parent, lead = org.unit_parent.tolist(), org.unit_lead.tolist()

    def lead_at_or_above(u: int) -> int:
        while u >= 0 and lead[u] < 0:
            u = parent[u]
        return lead[u] if u >= 0 else -1

    out = []
    for p, u in enumerate(org.person_unit.tolist()):
        if p in lead:
            led = lead.index(p)
            out.append(lead_at_or_above(parent[led]) if parent[led] >= 0 else -1)
        else:
            out.append(lead_at_or_above(u))
    return out


@st.composite
def orgs(draw) -> OrgArrays:
    n_units = draw(st.integers(1, 12))
    order = draw(st.permutations(range(n_units)))  # unit order[0] is the root
    parent = [-1] * n_units
    for i in range(1, n_units):
        parent[order[i]] = order[draw(st.integers(0, i - 1))]
    n_people = draw(st.integers(1, 40))
    unit = draw(st.lists(st.integers(0, n_units - 1), min_size=n_people, max_size=n_people))
    lead = [-1] * n_units
    taken: set[int] = set()
    for u in range(n_units):
        if not draw(st.booleans()) and u != order[0]:
            continue
        pool = [
            p
            for p in range(n_people)
            if p not in taken and (unit[p] == u or (parent[u] >= 0 and unit[p] == parent[u]))
        ]
        if pool:
            lead[u] = draw(st.sampled_from(pool))
            taken.add(lead[u])
    seller = draw(st.lists(st.booleans(), min_size=n_people, max_size=n_people))
    return org_of(parent, lead, unit, seller)


shapes = st.tuples(st.integers(1, 4), st.integers(0, 5), st.integers(1, 12))
relaxed = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@relaxed
@given(orgs())
def test_vectorised_manager_matches_the_rules(org):
    manager = manager_of(org)
    assert manager.tolist() == reference_manager(org)
    depth = layers(org)
    assert (depth >= 0).all()
    assert (depth[manager < 0] == 0).all()
    has = manager >= 0
    assert (depth[has] == depth[manager[has]] + 1).all()
    assert spans(org).sum() == np.count_nonzero(has)


@relaxed
@given(orgs(), shapes)
def test_proposal_properties(org, shape):
    max_layers, span_min, span_max = shape
    proposal = propose(org, max_layers=max_layers, span_min=span_min, span_max=span_max)
    after = apply(org, proposal.moves)  # valid arrays: no cycle, nobody lost
    assert after.n_people == org.n_people
    assert ((after.person_unit >= 0) & (after.person_unit < after.n_units)).all()
    assert (layers(after) >= 0).all()
    check = metrics(after, max_layers=max_layers, span_min=span_min, span_max=span_max)
    assert check == proposal.after
    assert proposal.reached == check.reached
    if proposal.reached:
        assert proposal.blocking == ()
        assert not check.sellers_beyond
        assert not check.too_narrow
        assert not check.too_wide
    else:
        assert proposal.blocking
    again = propose(org, max_layers=max_layers, span_min=span_min, span_max=span_max)
    assert again.moves == proposal.moves
    assert json.dumps(proposal.as_dict())


@relaxed
@given(orgs())
def test_org_already_in_shape_gets_no_moves(org):
    m = metrics(org, span_min=0, span_max=10**6, max_layers=10**6)
    assert m.reached
    assert propose(org, span_min=0, span_max=10**6, max_layers=10**6).moves == ()
