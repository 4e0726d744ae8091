"""Targets and cascade services: storage sums exactly, re-runs, publishing, bad input."""

from __future__ import annotations

import datetime

import pytest
from django.db.models import Sum

from pacte.audit.models import AuditEvent
from pacte.errors import DomainError, StaleVersion
from pacte.planning import cascade, runs, services
from pacte.planning.models import (
    CascadeRun,
    CascadeShare,
    CompanyTarget,
    Potential,
    RunStatus,
    SellerExplanation,
    UnitShare,
)
from pacte.planning.tests.conftest import add_history
from pacte.sales.models import Channel


def _total(run: CascadeRun) -> int:
    return CascadeShare.objects.filter(run=run).aggregate(t=Sum("amount"))["t"]


def test_set_target_is_audited_and_versioned(cast, fy) -> None:
    target = services.set_company_target(
        workspace=cast.workspace, actor=cast.executive, fiscal_year=fy, amount=500_00
    )
    assert target.version == 1
    target = services.set_company_target(
        workspace=cast.workspace, actor=cast.executive, fiscal_year=fy, amount=600_00, version=1
    )
    assert target.version == 2
    assert AuditEvent.objects.filter(action="target.set").count() == 2
    with pytest.raises(StaleVersion):
        services.set_company_target(
            workspace=cast.workspace, actor=cast.executive, fiscal_year=fy, amount=7, version=1
        )


@pytest.mark.parametrize("bad", [-1, "abc", "12,3,4", None])
def test_negative_or_non_numeric_target_is_refused_and_nothing_stored(cast, fy, bad) -> None:
    with pytest.raises(DomainError) as err:
        services.set_company_target(
            workspace=cast.workspace, actor=cast.executive, fiscal_year=fy, amount=bad
        )
    assert err.value.field == "amount"
    assert not CompanyTarget.objects.exists()


@pytest.mark.parametrize(
    ("amount", "code"), [(-3, "amount_negative"), ("1250.50", "amount_invalid")]
)
def test_target_takes_minor_units_only(cast, fy, amount, code) -> None:
    with pytest.raises(DomainError) as err:
        services.set_company_target(
            workspace=cast.workspace, actor=None, fiscal_year=fy, amount=amount
        )
    assert err.value.code == code


def test_channel_split_must_sum_to_the_target(cast, fy) -> None:
    with pytest.raises(DomainError) as err:
        services.set_company_target(
            workspace=cast.workspace,
            actor=None,
            fiscal_year=fy,
            amount=100,
            channel_split={"field": 90},
        )
    assert err.value.code == "split_mismatch"


def test_equal_run_stores_shares_summing_exactly_at_every_level(cast, fy, target) -> None:
    run = runs.create_run(
        workspace=cast.workspace, actor=cast.executive, fiscal_year=fy, parameters={}
    )
    assert run.status == RunStatus.DRAFT
    assert _total(run) == target.amount
    assert SellerExplanation.objects.filter(run=run).count() == 3  # lead, seller, other_seller
    per_seller = dict(
        CascadeShare.objects.filter(run=run).values_list("seller").annotate(t=Sum("amount"))
    )
    explained = dict(SellerExplanation.objects.filter(run=run).values_list("seller", "amount"))
    assert per_seller == explained
    root = UnitShare.objects.filter(run=run, unit=cast.company).aggregate(t=Sum("amount"))["t"]
    north = UnitShare.objects.filter(run=run, unit=cast.team).aggregate(t=Sum("amount"))["t"]
    assert root == target.amount
    assert north == per_seller[cast.seller.pk] + per_seller[cast.lead.pk]
    for amount in per_seller.values():
        assert amount % cast.workspace.rounding_unit == 0 or amount == max(per_seller.values())


def test_history_method_follows_actuals_and_explains(cast, fy, target) -> None:
    add_history(cast, fy, {"seller": 600_000_00, "lead": 300_000_00, "other_seller": 100_000_00})
    run = runs.create_run(
        workspace=cast.workspace,
        actor=cast.executive,
        fiscal_year=fy,
        parameters={"method": "history"},
    )
    exp = SellerExplanation.objects.get(run=run, seller=cast.seller)
    assert exp.amount == 600_000_00
    assert exp.data["method"] == "history"
    assert exp.data["inputs"]["history"] == 600_000_00
    assert exp.data["methods"]["history"]["share"] == pytest.approx(0.6)


def test_bounds_that_cannot_hold_name_the_sellers_and_store_nothing(cast, fy, target) -> None:
    add_history(cast, fy, {"seller": 100_00, "lead": 100_00, "other_seller": 100_00})
    with pytest.raises(DomainError) as err:
        runs.create_run(
            workspace=cast.workspace,
            actor=cast.executive,
            fiscal_year=fy,
            parameters={"method": "history", "bounds": [-10, 30]},
        )
    assert err.value.code == "infeasible"
    assert "Sam Seller" in err.value.message
    assert "upper" in err.value.message
    assert not CascadeRun.objects.exists()
    assert not CascadeShare.objects.exists()


def test_all_weights_zero_is_refused(cast, fy, target) -> None:
    with pytest.raises(DomainError) as err:
        runs.create_run(
            workspace=cast.workspace,
            actor=cast.executive,
            fiscal_year=fy,
            parameters={"method": "history"},
        )
    assert err.value.code == "weights_zero"
    with pytest.raises(DomainError) as err:
        cascade.parse_params({"method": "blended", "mix": {"history": 0, "capacity": 0}})
    assert err.value.code == "weights_zero"
    assert not CascadeRun.objects.exists()


def test_holds_and_exclusions(cast, fy, target) -> None:
    run = runs.create_run(
        workspace=cast.workspace,
        actor=cast.executive,
        fiscal_year=fy,
        parameters={
            "holds": {str(cast.lead.uuid): 100_000_00},
            "exclusions": [str(cast.other_seller.uuid)],
        },
    )
    amounts = dict(SellerExplanation.objects.filter(run=run).values_list("seller", "amount"))
    assert amounts[cast.lead.pk] == 100_000_00
    assert amounts[cast.other_seller.pk] == 0
    assert amounts[cast.seller.pk] == 900_000_00


def test_capacity_ramps_up_new_hires_and_removes_leave(cast, fy, target) -> None:
    cal = cast.workspace.calendar
    start = cal.months(fy)[6].first_day  # joins in fiscal month 7
    cast.other_seller.joined_on = start
    cast.other_seller.save()
    first = cal.fy_start(fy)
    services.set_capacity(
        seller=cast.lead,
        actor=cast.admin,
        fte="0.5",
        leaves=[(first, cal.months(fy)[0].last_day)],
    )
    run = runs.create_run(
        workspace=cast.workspace,
        actor=cast.executive,
        fiscal_year=fy,
        parameters={"method": "capacity", "ramp_months": 3},
    )
    exp = {e.seller_id: e for e in SellerExplanation.objects.filter(run=run)}
    new_hire = exp[cast.other_seller.pk]
    assert new_hire.data["months"][:6] == [0] * 6
    assert new_hire.data["inputs"]["capacity"] == pytest.approx(1 / 3 + 2 / 3 + 4)
    lead = exp[cast.lead.pk]
    assert lead.data["months"][0] == 0
    assert lead.data["inputs"]["capacity"] == pytest.approx(0.5 * 11)
    assert exp[cast.seller.pk].data["inputs"]["capacity"] == pytest.approx(12)


def test_potential_import_reports_unknown_sellers_by_line(cast, fy) -> None:
    data = (
        b"seller,team,potential\n"
        b"seller@acme.example,,1000\n"
        b"nobody@acme.example,,500\n"
        b",Atlantis,10\n"
        b"other@acme.example,,-5\n"
    )
    result = services.import_potential(
        workspace=cast.workspace, actor=cast.admin, fiscal_year=fy, data=data
    )
    assert [line for line, _msg in result.errors] == [3, 4, 5]
    assert "nobody@acme.example" in result.errors[0][1]
    assert not Potential.objects.exists()


def test_potential_method_uses_seller_and_team_potentials(cast, fy, target) -> None:
    data = b"seller,team,potential\nseller@acme.example,,3000\n,South,1000\n"
    result = services.import_potential(
        workspace=cast.workspace, actor=cast.admin, fiscal_year=fy, data=data
    )
    assert result.stored == 2
    assert not result.errors
    run = runs.create_run(
        workspace=cast.workspace,
        actor=cast.executive,
        fiscal_year=fy,
        parameters={"method": "potential"},
    )
    amounts = dict(SellerExplanation.objects.filter(run=run).values_list("seller", "amount"))
    assert amounts == {
        cast.seller.pk: 750_000_00,
        cast.other_seller.pk: 250_000_00,
        cast.lead.pk: 0,
    }


def test_publish_supersedes_the_previous_reference(cast, fy, target) -> None:
    first = runs.create_run(
        workspace=cast.workspace, actor=cast.executive, fiscal_year=fy, parameters={}
    )
    runs.publish_run(run=first, actor=cast.executive)
    second = runs.create_run(
        workspace=cast.workspace, actor=cast.executive, fiscal_year=fy, parameters={}
    )
    runs.publish_run(run=second, actor=cast.executive)
    first.refresh_from_db()
    assert first.status == RunStatus.SUPERSEDED
    assert CascadeRun.objects.filter(status=RunStatus.PUBLISHED).get() == second
    with pytest.raises(DomainError):
        runs.publish_run(run=second, actor=cast.executive)


def test_publishing_for_a_closed_year_is_refused(cast) -> None:
    past_fy = cast.workspace.calendar.year_of(datetime.date.today()) - 1
    services.set_company_target(
        workspace=cast.workspace, actor=None, fiscal_year=past_fy, amount=1000_00
    )
    run = runs.create_run(workspace=cast.workspace, actor=None, fiscal_year=past_fy, parameters={})
    with pytest.raises(DomainError) as err:
        runs.publish_run(run=run, actor=cast.executive)
    assert err.value.code == "closed_year"
    run.refresh_from_db()
    assert run.status == RunStatus.DRAFT


def test_rerun_keeps_past_months_and_the_annual_total(cast, fy, target) -> None:
    add_history(cast, fy, {"seller": 500_00, "lead": 300_00, "other_seller": 200_00})
    first = runs.create_run(
        workspace=cast.workspace, actor=cast.executive, fiscal_year=fy, parameters={}
    )
    runs.publish_run(run=first, actor=cast.executive)
    rerun = runs.create_run(
        workspace=cast.workspace,
        actor=cast.executive,
        fiscal_year=fy,
        parameters={"method": "history", "effective_from": 5},
    )
    assert rerun.base_run == first
    assert _total(rerun) == target.amount
    cutoff = cast.workspace.calendar.first_month_index(fy) + 4
    before = list(
        CascadeShare.objects.filter(run=first, month__lt=cutoff)
        .order_by("seller", "channel", "month")
        .values_list("seller", "channel", "month", "amount")
    )
    after = list(
        CascadeShare.objects.filter(run=rerun, month__lt=cutoff)
        .order_by("seller", "channel", "month")
        .values_list("seller", "channel", "month", "amount")
    )
    assert before == after
    rows = runs.compare_runs(first, rerun)
    gain = next(r for r in rows if r["seller_uuid"] == str(cast.seller.uuid))
    assert gain["delta"] > 0
    assert "weight" in gain["reasons"]
    assert sum(r["delta"] for r in rows) == 0
    runs.publish_run(run=rerun, actor=cast.executive)


def test_rerun_needs_a_published_run(cast, fy, target) -> None:
    with pytest.raises(DomainError) as err:
        cascade.compute(
            workspace=cast.workspace,
            fiscal_year=fy,
            params=cascade.parse_params({"effective_from": 3}),
        )
    assert err.value.code == "no_published_run"


def test_seasonal_phasing_and_channel_split(cast, fy) -> None:
    web = Channel.objects.create(workspace=cast.workspace, code="web", name_en="Web", name_fr="Web")
    services.set_company_target(
        workspace=cast.workspace,
        actor=None,
        fiscal_year=fy,
        amount=1200_00,
        channel_split={"field": 900_00, "web": 300_00},
    )
    add_history(cast, fy, {"seller": 1200_00})
    computed = cascade.compute(
        workspace=cast.workspace,
        fiscal_year=fy,
        params=cascade.parse_params({"phasing": "seasonal"}),
    )
    assert int(computed.result.cells.sum()) == 1200_00
    by_channel = computed.result.cells.sum(axis=(0, 2))
    codes = computed.inputs.channel_codes
    assert int(by_channel[codes.index(web.code)]) == 300_00  # exactly the target's split
    assert int(by_channel[codes.index("field")]) == 900_00


def test_a_split_on_a_channel_made_inactive_is_refused_clearly(cast, fy) -> None:
    web = Channel.objects.create(workspace=cast.workspace, code="web", name_en="Web", name_fr="Web")
    services.set_company_target(
        workspace=cast.workspace,
        actor=None,
        fiscal_year=fy,
        amount=1200_00,
        channel_split={"field": 900_00, "web": 300_00},
    )
    web.is_active = False
    web.save()
    with pytest.raises(DomainError) as err:
        cascade.compute(workspace=cast.workspace, fiscal_year=fy, params=cascade.parse_params({}))
    assert err.value.code == "channel_inactive"
    assert "web" in str(err.value)


def test_custom_phasing_is_validated(cast) -> None:
    with pytest.raises(DomainError) as err:
        cascade.parse_params({"phasing": "custom", "profile": [1, 2]})
    assert err.value.field == "profile"


def test_parse_year_rejects_unknown_keys(cast) -> None:
    assert services.parse_year(cast.workspace, "FY2027") == 2027
    for bad in ("2027", "FY2027-Q2", "FY27", ""):
        with pytest.raises(DomainError) as err:
            services.parse_year(cast.workspace, bad)
        assert err.value.code == "bad_period"
