"""Gap rules against a real published run (capacity method, growth bounds −10/+20 %, one seller
held): a held or excluded seller has no headroom, the amount is spread over the others exactly,
and a rule nobody can take is refused clearly."""

from __future__ import annotations

import datetime

import pytest

from pacte.accounts.models import Membership
from pacte.errors import DomainError
from pacte.objectives import references, services
from pacte.objectives.models import StretchRequest
from pacte.org.services import create_member
from pacte.planning import runs
from pacte.planning import services as planning
from pacte.sales.models import CubeCell
from pacte.testing.cast import Cast

HISTORY = 1_000_000_00  # a year of actuals per seller
HOLD = 400_000_00


def _history(cast: Cast, fy: int, sellers: list[Membership]) -> None:
    from django.utils import timezone

    cal = cast.workspace.calendar
    today = timezone.localdate()
    first = min(cal.first_month_index(fy), today.year * 12 + today.month - 1)
    CubeCell.objects.bulk_create(
        CubeCell(
            workspace=cast.workspace,
            seller=s,
            unit=cast.team,
            channel=cast.channel,
            month=first - 12 + k,
            split_amount=HISTORY // 12,
        )
        for s in sellers
        for k in range(12)
    )


@pytest.fixture
def held_run(cast: Cast, fy: int) -> dict[str, Membership]:
    """Six sellers in North with the same history; the run holds Hana at 400,000 and excludes
    Xavier; capacity method (equal FTE), bounds −10/+20 %."""
    extra = [
        create_member(
            workspace=cast.workspace,
            actor=None,
            email=f"{name.lower()}@acme.example",
            name=name,
            roles={"seller"},
            unit=cast.team,
            joined_on=datetime.date(2020, 1, 1),
        )
        for name in ("Hana", "Ivan", "Jade", "Xavier")
    ]
    hana, ivan, jade, xavier = extra
    # other_seller (South) stays out: the rules below work on North.
    north = [cast.lead, cast.seller, hana, ivan, jade, xavier]
    _history(cast, fy, north)
    from pacte.planning.models import Capacity

    # Olga (South) has no history: give her no capacity so that she takes nothing.
    Capacity.objects.create(workspace=cast.workspace, seller=cast.other_seller, fte=0)
    free = 4  # lead, seller, ivan, jade
    planning.set_company_target(
        workspace=cast.workspace, actor=None, fiscal_year=fy, amount=HOLD + free * HISTORY
    )
    run = runs.create_run(
        workspace=cast.workspace,
        actor=None,
        fiscal_year=fy,
        parameters={
            "method": "capacity",
            "bounds": [-10, 20],
            "holds": {str(hana.uuid): HOLD},
            "exclusions": [str(xavier.uuid)],
        },
    )
    runs.publish_run(run=run, actor=None)
    return {"hana": hana, "ivan": ivan, "jade": jade, "xavier": xavier}


def _by_name(rows: list[dict]) -> dict[str, int]:
    return {r["name"]: r["amount"] for r in rows}


def test_prorata_gives_nothing_to_the_held_or_excluded_seller(
    cast: Cast, fy: int, held_run: dict[str, Membership]
) -> None:
    refs = references.references_for(cast.workspace, fy)
    assert refs[held_run["hana"].pk].annual == HOLD
    rows = services.preview_gap_rule(
        workspace=cast.workspace,
        unit_id=cast.team.pk,
        fiscal_year=fy,
        kind="prorata",
        amount=500_000_00,
    )
    shares = _by_name(rows)
    assert shares.get("Hana", 0) == 0
    assert shares.get("Xavier", 0) == 0
    assert sum(shares.values()) == 500_000_00
    # the four free sellers have the same weight and headroom: 125,000 each
    assert sorted(v for v in shares.values() if v) == [125_000_00] * 4


def test_prorata_is_capped_at_each_headroom(
    cast: Cast, fy: int, held_run: dict[str, Membership]
) -> None:
    """Headroom = the run's upper bound (1.2 × history) minus what is agreed: with 1,150,000
    agreed Ivan has about 50,000 left; the others take the rest."""
    ivan = held_run["ivan"]
    services.propose(seller=ivan, fiscal_year=fy, amount=1_150_000_00)
    upper = references.reference_for(ivan, fy).upper
    assert upper is not None
    rows = services.preview_gap_rule(
        workspace=cast.workspace,
        unit_id=cast.team.pk,
        fiscal_year=fy,
        kind="prorata",
        amount=500_000_00,
    )
    shares = _by_name(rows)
    assert shares["Ivan"] == upper - 1_150_000_00
    assert sum(shares.values()) == 500_000_00
    assert shares.get("Hana", 0) == 0


def test_stretch_over_a_held_and_a_free_seller_asks_only_the_free_one(
    cast: Cast, fy: int, held_run: dict[str, Membership]
) -> None:
    hana, ivan = held_run["hana"], held_run["ivan"]
    rows = services.preview_gap_rule(
        workspace=cast.workspace,
        unit_id=cast.team.pk,
        fiscal_year=fy,
        kind="stretch",
        amount=500_000_00,
        sellers=[hana, ivan],
    )
    assert _by_name(rows) == {"Hana": 0, "Ivan": 500_000_00}
    services.apply_gap_rule(
        actor=cast.executive,
        unit_id=cast.team.pk,
        fiscal_year=fy,
        kind="stretch",
        amount=500_000_00,
        sellers=[hana, ivan],
    )
    assert list(StretchRequest.objects.values_list("seller__name", "amount")) == [
        ("Ivan", 500_000_00)
    ]


def test_stretch_over_held_and_excluded_sellers_only_is_refused(
    cast: Cast, fy: int, held_run: dict[str, Membership]
) -> None:
    with pytest.raises(DomainError) as exc:
        services.preview_gap_rule(
            workspace=cast.workspace,
            unit_id=cast.team.pk,
            fiscal_year=fy,
            kind="stretch",
            amount=500_000_00,
            sellers=[held_run["hana"], held_run["xavier"]],
        )
    assert exc.value.code == "no_headroom"


def test_prorata_with_nobody_left_is_refused(
    cast: Cast, fy: int, held_run: dict[str, Membership]
) -> None:
    for seller in (cast.lead, cast.seller, held_run["ivan"], held_run["jade"]):
        services.propose(seller=seller, fiscal_year=fy, amount=1_200_000_00)
    with pytest.raises(DomainError) as exc:
        services.preview_gap_rule(
            workspace=cast.workspace,
            unit_id=cast.team.pk,
            fiscal_year=fy,
            kind="prorata",
            amount=500_000_00,
        )
    assert exc.value.code == "no_headroom"
