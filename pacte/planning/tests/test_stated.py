"""Stated targets: amounts given from outside the cascade (a sample's quotas) published as the
reference of a year, stored and rolled up like a cascade's shares."""

from __future__ import annotations

import datetime

import pytest
from django.db import transaction
from django.db.models import Q, Sum

from pacte.audit.models import AuditEvent
from pacte.errors import DomainError
from pacte.objectives.references import references_for, unit_targets
from pacte.planning import cascade, runs
from pacte.planning.forms import CascadeForm
from pacte.planning.models import (
    CascadeRun,
    CascadeShare,
    Method,
    RunStatus,
    SellerExplanation,
    UnitShare,
)
from pacte.sales.models import Channel


def _shares(cast, fy: int) -> list[tuple[int, int, int, int]]:
    """Quarterly amounts for three sellers, one quarter spread over its three months."""
    first = cast.workspace.calendar.first_month_index(fy)
    web = Channel.objects.create(workspace=cast.workspace, code="web", name_en="Web", name_fr="Web")
    return [
        (cast.seller.pk, cast.channel.pk, first, 1000_01),
        (cast.seller.pk, cast.channel.pk, first + 1, 1000_00),
        (cast.seller.pk, cast.channel.pk, first + 2, 1000_00),
        (cast.seller.pk, web.pk, first + 2, 50_00),
        (cast.lead.pk, cast.channel.pk, first + 11, 700_00),
        (cast.other_seller.pk, cast.channel.pk, first + 5, 2500_00),
        (cast.other_seller.pk, cast.channel.pk, first + 5, 10_00),  # same cell: adds up
    ]


def _publish(cast, fy: int, shares=None) -> CascadeRun:
    return runs.publish_stated_run(
        workspace=cast.workspace,
        actor=None,
        fiscal_year=fy,
        shares=_shares(cast, fy) if shares is None else shares,
        source="Quota file",
    )


def test_stated_targets_are_published_exactly_and_rolled_up_to_every_team(cast, fy) -> None:
    run = _publish(cast, fy)
    assert (run.status, run.method, run.number) == (RunStatus.PUBLISHED, Method.STATED, 1)
    assert run.total == 3000_01 + 50_00 + 700_00 + 2510_00
    assert CascadeShare.objects.filter(run=run).aggregate(t=Sum("amount"))["t"] == run.total
    units = dict(UnitShare.objects.filter(run=run).values_list("unit").annotate(t=Sum("amount")))
    assert units == {
        cast.company.pk: run.total,
        cast.team.pk: 3050_01 + 700_00,
        cast.other_team.pk: 2510_00,
    }
    refs = references_for(cast.workspace, fy)
    assert refs[cast.seller.pk].annual == 3050_01
    assert refs[cast.seller.pk].by_month[:4] == [1000_01, 1000_00, 1050_00, 0]
    assert refs[cast.seller.pk].by_channel == {"field": 3000_01, "web": 50_00}
    assert refs[cast.other_seller.pk].by_month[5] == 2510_00
    assert sum(r["total"] for r in unit_targets(cast.workspace, fy, cast.team.pk)) == 3750_01
    explained = SellerExplanation.objects.get(run=run, seller=cast.seller)
    assert explained.amount == 3050_01
    assert explained.data["source"] == "Quota file"
    assert explained.data["months"][:3] == [1000_01, 1000_00, 1050_00]
    event = AuditEvent.objects.get(action="cascade.stated")
    assert event.after["total"] == run.total
    assert event.after["reference"] == str(run.uuid)


def test_a_stated_run_supersedes_the_published_reference(cast, fy, target) -> None:
    cascaded = runs.create_run(
        workspace=cast.workspace, actor=cast.executive, fiscal_year=fy, parameters={}
    )
    runs.publish_run(run=cascaded, actor=cast.executive)
    stated = _publish(cast, fy)
    cascaded.refresh_from_db()
    assert cascaded.status == RunStatus.SUPERSEDED
    assert stated.number == cascaded.number + 1
    assert CascadeRun.objects.filter(status=RunStatus.PUBLISHED).get() == stated
    assert AuditEvent.objects.get(action="cascade.stated").before == {
        "reference": str(cascaded.uuid)
    }


def test_a_closed_year_takes_a_first_stated_reference_but_never_another(cast) -> None:
    past = cast.workspace.calendar.year_of(datetime.date.today()) - 2
    first = _publish(cast, past)
    month = cast.workspace.calendar.first_month_index(past)
    with pytest.raises(DomainError) as err:
        _publish(cast, past, shares=[(cast.seller.pk, cast.channel.pk, month, 1)])
    assert err.value.code == "closed_year"
    assert CascadeRun.objects.get(status=RunStatus.PUBLISHED) == first
    assert CascadeRun.objects.count() == 1


@pytest.mark.parametrize("bad", ["month", "channel", "seller", "negative", "none"])
def test_bad_stated_targets_are_refused_and_nothing_is_stored(cast, fy, bad) -> None:
    first = cast.workspace.calendar.first_month_index(fy)
    row = [cast.seller.pk, cast.channel.pk, first, 100_00]
    if bad == "month":
        row[2] = first + 12
    elif bad == "channel":
        row[1] = Channel.objects.for_workspace(cast.outsider_workspace).get().pk
    elif bad == "seller":
        row[0] = cast.outsider.pk
    elif bad == "negative":
        row[3] = -1
    shares = [] if bad == "none" else [tuple(row)]
    with pytest.raises(DomainError) as err:
        _publish(cast, fy, shares=shares)
    expected = {
        "month": "bad_month",
        "channel": "unknown_channel",
        "seller": "unknown_seller",
        "negative": "amount_negative",
        "none": "no_shares",
    }
    assert err.value.code == expected[bad]
    assert not CascadeRun.objects.exists()
    assert not CascadeShare.objects.exists()


def test_a_stated_run_is_neither_re_run_nor_offered_as_a_method(cast, fy, target) -> None:
    run = _publish(cast, fy)
    with pytest.raises(DomainError) as err:
        runs.rerun_for_target(run=run, actor=cast.executive)
    assert err.value.code == "stated_run"
    with pytest.raises(DomainError) as err:
        cascade.parse_params({"method": "stated"})
    assert err.value.code == "bad_method"
    form = CascadeForm(workspace=cast.workspace)
    assert Method.STATED not in dict(form.fields["method"].choices)  # type: ignore[attr-defined]


def test_a_cascade_re_run_from_a_later_month_keeps_the_stated_past(cast, fy, target) -> None:
    stated = _publish(cast, fy)
    rerun = runs.create_run(
        workspace=cast.workspace,
        actor=cast.executive,
        fiscal_year=fy,
        parameters={"effective_from": 4},
    )
    assert rerun.base_run == stated
    cutoff = cast.workspace.calendar.first_month_index(fy) + 3

    def past(run: CascadeRun) -> list[tuple[int, int, int, int]]:
        return list(
            CascadeShare.objects.filter(run=run, month__lt=cutoff)
            .order_by("seller", "channel", "month")
            .values_list("seller", "channel", "month", "amount")
        )

    assert past(rerun) == past(stated)


def test_the_seller_page_says_a_stated_share_was_loaded_not_cascaded(cast, fy, login) -> None:
    _publish(cast, fy)
    page = login(cast.seller).get(f"/targets/sellers/{cast.seller.uuid}/?year=FY{fy}")
    assert page.status_code == 200
    text = page.content.decode()
    assert "loaded as stated in “Quota file”, not computed by a cascade" in text
    assert "Your weight" not in text
    assert page.context["data"]["months"][:3] == [1000_01, 1000_00, 1050_00]


RUN_FIELDS = (
    "fiscal_year",
    "number",
    "status",
    "method",
    "parameters",
    "total",
    "rounding_unit",
    "channel_codes",
    "seller_count",
    "version",
    "created_by",
)


def _stored(workspaces) -> list[object]:
    """Everything a stated publication stores for ``workspaces``, with run uuids, ids and
    timestamps replaced by what they stand for (run numbers), to compare two publications."""
    out: list[object] = []
    for ws in workspaces:
        numbers = {r.pk: r.number for r in CascadeRun.objects.filter(workspace=ws)}
        by_uuid = {str(r.uuid): r.number for r in CascadeRun.objects.filter(workspace=ws)}

        def run_of(ref, by_uuid=by_uuid):
            return None if ref is None else by_uuid[ref]

        out.append(
            [
                list(
                    CascadeRun.objects.filter(workspace=ws)
                    .order_by("number")
                    .values_list(*RUN_FIELDS, Q(published_at__isnull=False))
                ),
                sorted(
                    (numbers[run], *rest)
                    for run, *rest in CascadeShare.objects.filter(workspace=ws).values_list(
                        "run", "seller", "unit", "channel", "month", "amount"
                    )
                ),
                sorted(
                    (numbers[run], *rest)
                    for run, *rest in UnitShare.objects.filter(workspace=ws).values_list(
                        "run", "unit", "channel", "month", "amount"
                    )
                ),
                sorted(
                    (numbers[e.run_id], e.seller_id, e.unit_id, e.amount, repr(e.data))
                    for e in SellerExplanation.objects.filter(workspace=ws)
                ),
                [
                    (
                        e.action,
                        e.actor_id,
                        run_of(e.before.get("reference")),
                        run_of(e.after.get("reference")),
                        {k: v for k, v in e.after.items() if k != "reference"},
                    )
                    for e in AuditEvent.objects.filter(
                        workspace=ws, action="cascade.stated"
                    ).order_by("pk")
                ],
            ]
        )
    return out


def test_publishing_many_at_once_stores_what_one_publish_each_stores(cast, fy) -> None:
    shares = _shares(cast, fy)
    _publish(cast, fy, shares=shares[:2])  # a reference the new one supersedes
    other = cast.outsider_workspace
    first = other.calendar.first_month_index(fy)
    channel = Channel.objects.for_workspace(other).get()
    items = [
        runs.StatedTargets(workspace=cast.workspace, fiscal_year=fy, shares=shares),
        runs.StatedTargets(
            workspace=other,
            fiscal_year=fy,
            shares=[(cast.outsider.pk, channel.pk, first + m, 100_00 * (m + 1)) for m in range(12)],
        ),
    ]
    workspaces = [cast.workspace, other]
    with transaction.atomic():
        published = runs.publish_stated_runs(items=items, source="Quota file")
        assert [r.number for r in published] == [2, 1]
        at_once = _stored(workspaces)
        transaction.set_rollback(True)
    for item in items:
        runs.publish_stated_run(
            workspace=item.workspace,
            actor=None,
            fiscal_year=item.fiscal_year,
            shares=item.shares,
            source="Quota file",
        )
    assert _stored(workspaces) == at_once
    assert at_once[0][1]  # cells stored for both
    assert at_once[1][1]


def test_one_refused_item_refuses_the_whole_publication(cast, fy) -> None:
    other = cast.outsider_workspace
    first = other.calendar.first_month_index(fy)
    items = [
        runs.StatedTargets(workspace=cast.workspace, fiscal_year=fy, shares=_shares(cast, fy)),
        runs.StatedTargets(  # the other workspace's member on this workspace's channel
            workspace=other,
            fiscal_year=fy,
            shares=[(cast.outsider.pk, cast.channel.pk, first, 100_00)],
        ),
    ]
    with pytest.raises(DomainError) as err:
        runs.publish_stated_runs(items=items, source="Quota file")
    assert err.value.code == "unknown_channel"
    assert not CascadeRun.objects.exists()
    assert not CascadeShare.objects.exists()
