"""The seller's call, the lead's adjusted team call, its submission, and their refusals."""

from __future__ import annotations

import datetime

import pytest

from pacte.errors import DomainError, PermissionDenied, StaleVersion
from pacte.pipeline import selectors, services
from pacte.pipeline.models import CallStatus, Deal
from pacte.pipeline.tests.helpers import load, quarter, row
from pacte.testing.cast import Cast

pytestmark = pytest.mark.django_db


def _call(cast: Cast, seller=None, actor=None, **kw):  # type: ignore[no-untyped-def]
    seller = seller or cast.seller
    return services.set_call(
        actor=actor or seller,
        seller=seller,
        period_key=kw.pop("period", quarter(cast).key),
        commit=kw.pop("commit", 50_000),
        best_case=kw.pop("best_case", 80_000),
        **kw,
    )


def test_seller_sets_a_call_with_its_deals(cast: Cast) -> None:
    load(cast, [row(cast.seller, "D1", category="commit")])
    deal = Deal.objects.for_workspace(cast.workspace).get()
    call = _call(cast, note="Two big ones", deal_ids=[deal.uuid])
    assert call.deal_ids == [str(deal.uuid)]
    again = _call(cast, commit=60_000, version=call.version)
    assert again.pk == call.pk
    assert again.commit == 60_000
    assert again.version == 2
    data = selectors.seller_forecast(cast.seller, quarter(cast))
    assert not data["row"].stale


def test_a_stale_call_is_refused(cast: Cast) -> None:
    call = _call(cast)
    _call(cast, version=call.version)
    with pytest.raises(StaleVersion):
        _call(cast, version=call.version)


def test_someone_not_owner_or_lead_cannot_call(cast: Cast) -> None:
    with pytest.raises(PermissionDenied):
        _call(cast, seller=cast.other_seller, actor=cast.seller)
    with pytest.raises(PermissionDenied):
        _call(cast, seller=cast.other_seller, actor=cast.lead)  # another team
    with pytest.raises(PermissionDenied):
        _call(cast, seller=cast.seller, actor=cast.executive)  # sees it, does not call it
    assert _call(cast, seller=cast.seller, actor=cast.lead).member == cast.seller


def test_a_call_after_the_deadline_is_refused(cast: Cast) -> None:
    with pytest.raises(DomainError) as exc:
        _call(cast, period="FY2020-Q1")
    assert exc.value.code == "deadline_passed"


def test_best_case_below_commit_is_refused(cast: Cast) -> None:
    with pytest.raises(DomainError) as exc:
        _call(cast, commit=10, best_case=5)
    assert exc.value.field == "best_case"


def test_a_deal_of_someone_else_cannot_back_a_call(cast: Cast) -> None:
    load(cast, [row(cast.other_seller, "X")])
    deal = Deal.objects.for_workspace(cast.workspace).get()
    with pytest.raises(DomainError) as exc:
        _call(cast, deal_ids=[deal.uuid])
    assert exc.value.code == "unknown_deal"


def test_lead_adjusts_without_changing_the_gross_and_submits(cast: Cast) -> None:
    _call(cast, commit=50_000, best_case=80_000)
    _call(cast, seller=cast.lead, commit=20_000, best_case=20_000)
    key = quarter(cast).key
    call = services.adjust_team_call(
        actor=cast.lead, unit=cast.team, period_key=key, adjustment=-10_000, note="Too hopeful"
    )
    assert (call.gross_commit, call.adjustment, call.commit) == (70_000, -10_000, 60_000)
    assert services.team_gross(cast.workspace, cast.team, key) == (70_000, 100_000)
    submitted = services.submit_team_call(actor=cast.lead, call=call, version=call.version)
    assert submitted.status == CallStatus.SUBMITTED
    assert submitted.submitted_to == cast.executive  # the delegation map above the lead
    data = selectors.company_forecast(cast.executive, quarter(cast))
    north = next(r for r in data["teams"] if r.unit.pk == cast.team.pk)
    assert north.call is not None
    assert north.call.commit == 60_000
    assert north.seller_commit == 70_000
    assert data["call_commit"] == 60_000


def test_two_leads_adjusting_at_once_get_412(cast: Cast) -> None:
    key = quarter(cast).key
    first = services.adjust_team_call(actor=cast.lead, unit=cast.team, period_key=key, adjustment=0)
    services.adjust_team_call(
        actor=cast.lead, unit=cast.team, period_key=key, adjustment=5, note="a", version=1
    )
    with pytest.raises(StaleVersion):
        services.adjust_team_call(
            actor=cast.lead,
            unit=cast.team,
            period_key=key,
            adjustment=7,
            note="b",
            version=first.version,
        )


def test_an_adjustment_needs_a_note_and_a_lead(cast: Cast) -> None:
    key = quarter(cast).key
    with pytest.raises(DomainError) as exc:
        services.adjust_team_call(actor=cast.lead, unit=cast.team, period_key=key, adjustment=5)
    assert exc.value.field == "note"
    with pytest.raises(PermissionDenied):
        services.adjust_team_call(
            actor=cast.lead, unit=cast.other_team, period_key=key, adjustment=0
        )


def test_submission_after_the_deadline_is_refused(cast: Cast) -> None:
    key = quarter(cast).key
    call = services.adjust_team_call(actor=cast.lead, unit=cast.team, period_key=key, adjustment=0)
    late = quarter(cast).bounds[1] + datetime.timedelta(days=1)
    with pytest.raises(DomainError) as exc:
        services.submit_team_call(actor=cast.lead, call=call, version=call.version, today=late)
    assert exc.value.code == "deadline_passed"


def test_deal_update_keeps_history_and_checks_the_version(cast: Cast) -> None:
    load(cast, [row(cast.seller, "D1")])
    deal = Deal.objects.for_workspace(cast.workspace).get()
    moved = services.update_deal(deal=deal, actor=cast.seller, version=1, category="commit")
    assert moved.category == "commit"
    assert moved.version == 2
    assert moved.changes.count() == 2
    with pytest.raises(StaleVersion):
        services.update_deal(deal=deal, actor=cast.seller, version=1, category="best_case")
    with pytest.raises(PermissionDenied):
        services.update_deal(deal=moved, actor=cast.other_seller, version=2, category="pipeline")


def test_as_of_shows_the_deal_as_it_was(cast: Cast) -> None:
    from django.utils import timezone

    from pacte.pipeline.models import DealChange

    load(cast, [row(cast.seller, "D1", amount="100")])
    deal = Deal.objects.for_workspace(cast.workspace).get()
    DealChange.objects.filter(deal=deal).update(
        changed_at=timezone.now() - datetime.timedelta(days=10)
    )
    Deal.objects.filter(pk=deal.pk).update(created_at=timezone.now() - datetime.timedelta(days=10))
    load(cast, [row(cast.seller, "D1", amount="900")])
    then = timezone.localdate() - datetime.timedelta(days=5)
    listed = list(selectors.filter_deals(cast.executive, selectors.DealFilter(as_of=then)))
    assert selectors.deal_values(listed[0])["amount"] == 10_000
    earlier = timezone.localdate() - datetime.timedelta(days=20)
    assert not selectors.filter_deals(cast.executive, selectors.DealFilter(as_of=earlier)).exists()


def test_waterfall_adds_up(cast: Cast) -> None:
    load(cast, [row(cast.seller, "D1", amount="100"), row(cast.seller, "D2", amount="50")])
    load(cast, [row(cast.seller, "D1", amount="100", status="won")])
    w = selectors.waterfall(cast.executive, quarter(cast))
    assert w.start + w.created + w.won + w.lost + w.pushed + w.pulled + w.changed == w.end
    assert w.end == 5_000


def test_seller_sees_only_own_deals_and_lead_the_team(cast: Cast) -> None:
    load(cast, [row(cast.seller, "A"), row(cast.other_seller, "B"), row(cast.lead, "C")])

    def ids(m) -> set[str]:  # type: ignore[no-untyped-def]
        return set(selectors.deals_visible_to(m).values_list("external_id", flat=True))

    assert ids(cast.seller) == {"A"}
    assert ids(cast.lead) == {"A", "C"}
    assert ids(cast.executive) == {"A", "B", "C"}
