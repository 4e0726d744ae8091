"""Metrics of the real AdventureWorks sales organisation, checked against its own files.

The organisation is built from ``pacte.samples.adventureworks`` through the org services (the
``load-sample`` command of the samples app is not required): one team per person who manages
someone, people placed in their manager's team, leads in the team they lead. The expected
figures are computed independently, from the managers read in Employee.csv.
"""

from __future__ import annotations

import datetime
import statistics
from collections import Counter
from pathlib import Path

import pytest
from django.test import Client

from pacte.accounts.services import create_workspace
from pacte.org import services
from pacte.org.selectors import root_unit

RAW = Path(__file__).resolve().parents[3] / ".." / "shared" / "datasets" / "adventureworks" / "raw"

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not RAW.is_dir(), reason=f"AdventureWorks sample not found at {RAW}"),
]


@pytest.fixture(scope="module")
def sample():
    from pacte.samples.adventureworks import load

    return load(RAW)


def build(sample):
    ws = create_workspace(name="AdventureWorks", slug="aw", currency="USD")
    people = {p.business_entity_id: p for p in sample.people}
    managers = {p.manager_id for p in sample.people if p.manager_id is not None}
    units = {}
    members = {}
    day = datetime.date(2010, 1, 1)
    for p in sorted(people.values(), key=lambda x: x.level):
        if p.business_entity_id in managers:
            if p.manager_id is None:
                units[p.business_entity_id] = root_unit(ws)
            else:
                units[p.business_entity_id] = services.create_unit(
                    workspace=ws,
                    actor=None,
                    name=p.job_title if p.manager_id == 1 else f"{p.full_name} team",
                    parent=units[p.manager_id],
                )
        home = units.get(p.business_entity_id) or units[p.manager_id]
        roles = {"lead"} if p.business_entity_id in managers else {"seller"}
        if p.manager_id is None:
            roles.add("executive")
        members[p.business_entity_id] = services.create_member(
            workspace=ws,
            actor=None,
            email=p.email,
            name=p.full_name,
            roles=roles,
            unit=home,
            joined_on=day,
            password="correct-horse-battery-staple",
        )
    for pid, unit in units.items():
        services.update_unit(unit=unit, actor=None, lead=members[pid], effective=day)
    return ws, members, managers


def test_sample_shape(sample):
    reps = [p for p in sample.people if p.is_sales_person and p.territory_id is not None]
    regional = [p for p in sample.people if p.is_sales_person and p.territory_id is None]
    assert (len(reps), len(regional)) == (14, 3)


def test_metrics_match_the_sample(sample):
    _ws, members, managers = build(sample)
    ceo = next(p for p in sample.people if p.manager_id is None)
    token = __import__("pacte.accounts.services", fromlist=["x"]).create_api_token(
        member=members[ceo.business_entity_id], name="t"
    )[1]
    data = (
        Client()
        .get("/api/v1/org/structure?on=2014-06-30", HTTP_AUTHORIZATION=f"Bearer {token}")
        .json()
    )

    sellers = [p for p in sample.people if p.business_entity_id not in managers]
    levels = Counter(p.level for p in sellers)
    spans = Counter(p.manager_id for p in sample.people if p.manager_id is not None)
    lead_spans = [spans[m] for m in managers]
    assert data["people"] == len(sample.people)
    assert data["sellers"] == len(sellers) == 14
    assert data["leads"] == len(managers)
    assert data["layers"]["max"] == max(levels)
    assert data["layers"]["sellers_by_layers"] == [levels.get(i, 0) for i in range(max(levels) + 1)]
    assert data["span"]["max"] == max(lead_spans)
    assert data["span"]["min"] == min(lead_spans)
    assert data["span"]["median"] == statistics.median(lead_spans)
    assert data["span"]["mean"] == pytest.approx(statistics.mean(lead_spans))
    assert data["managers_per_seller"] == pytest.approx(len(managers) / len(sellers))
    # the vice-president manages the three regional managers
    vp = next(p for p in sample.people if p.manager_id == ceo.business_entity_id)
    assert spans[vp.business_entity_id] == 3
