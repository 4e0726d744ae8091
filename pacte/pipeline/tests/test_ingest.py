"""The deal import path: all or nothing, located errors, idempotent, history, cells."""

from __future__ import annotations

import datetime

import pytest
from django.db.models import Sum

from pacte.pipeline import ingest, services
from pacte.pipeline.cells import rebuild_cells
from pacte.pipeline.models import Deal, DealChange, DealCredit, PipelineCell
from pacte.pipeline.tests.helpers import load, row
from pacte.testing.cast import Cast

pytestmark = pytest.mark.django_db


def test_import_creates_deals_history_credits_and_cells(cast: Cast) -> None:
    result = load(
        cast,
        [
            row(cast.seller, "D1", amount="1000.00", probability="40", category="commit"),
            row(cast.seller, "D2", amount="250.50", category="best case"),
        ],
    )
    assert (result.created, result.updated, result.unchanged) == (2, 0, 0)
    d1 = Deal.objects.for_workspace(cast.workspace).get(external_id="D1")
    assert (d1.amount, d1.category, d1.probability) == (100_000, "commit", 40)
    assert DealChange.objects.for_workspace(cast.workspace).count() == 2
    assert DealCredit.objects.for_workspace(cast.workspace).filter(kind="split").count() == 2
    cells = PipelineCell.objects.for_workspace(cast.workspace).filter(seller=cast.seller)
    assert cells.aggregate(a=Sum("amount"))["a"] == 125_050
    commit = cells.get(category="commit")
    assert commit.weighted == 40_000
    assert commit.unit_id == cast.team.pk


def test_same_rows_again_change_nothing(cast: Cast) -> None:
    rows = [row(cast.seller, "D1"), row(cast.seller, "D2")]
    load(cast, rows)
    again = load(cast, rows)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    assert DealChange.objects.for_workspace(cast.workspace).count() == 2


def test_a_change_is_kept_as_history(cast: Cast) -> None:
    load(cast, [row(cast.seller, "D1", amount="100")])
    result = load(cast, [row(cast.seller, "D1", amount="300", category="commit")])
    assert result.updated == 1
    deal = Deal.objects.for_workspace(cast.workspace).get(external_id="D1")
    assert deal.version == 2
    history = list(deal.changes.order_by("pk").values_list("amount", "category"))
    assert history == [(10_000, "pipeline"), (30_000, "commit")]


def test_bad_rows_refuse_the_whole_batch_with_their_lines(cast: Cast) -> None:
    rows = [
        row(cast.seller, "OK"),
        row(cast.seller, "P", probability="120"),
        row(cast.seller, "C", category="maybe"),
        {**row(cast.seller, "O"), "owner": "nobody@acme.example"},
    ]
    with pytest.raises(ingest.Invalid) as exc:
        load(cast, rows)
    found = {(e["line"], e["column"], e["code"]) for e in exc.value.details}  # type: ignore[attr-defined]
    assert found == {
        (2, "probability", "bad_probability"),
        (3, "category", "unknown_category"),
        (4, "owner", "unknown_owner"),
    }
    assert not Deal.objects.for_workspace(cast.workspace).exists()


def test_a_category_the_stage_does_not_allow_is_refused(cast: Cast) -> None:
    services.set_stage_rules(
        workspace=cast.workspace, actor=cast.admin, rules={"Prospecting": ["pipeline", "omitted"]}
    )
    with pytest.raises(ingest.Invalid) as exc:
        load(cast, [row(cast.seller, "D1", stage="prospecting", category="commit")])
    assert exc.value.details[0]["code"] == "category_not_allowed"  # type: ignore[index]
    load(cast, [row(cast.seller, "D1", stage="Prospecting", category="pipeline")])


def test_a_deal_in_a_closed_period_is_refused(cast: Cast) -> None:
    from pacte.insights.models import ClosedMonth
    from pacte.lib.fiscal import Month

    ClosedMonth.objects.create(workspace=cast.workspace, month=Month(2024, 3).index)
    with pytest.raises(ingest.Invalid) as exc:
        load(cast, [row(cast.seller, "D1", close_date=datetime.date(2024, 3, 15))])
    assert exc.value.details[0]["code"] == "closed_period"  # type: ignore[index]


def test_split_credits_sum_to_the_deal(cast: Cast) -> None:
    load(
        cast,
        [
            row(
                cast.seller,
                "D1",
                amount="100.01",
                split=f"{cast.seller.email}:50;{cast.lead.email}:50",
                overlay=cast.other_seller.email,
            )
        ],
    )
    credits = DealCredit.objects.for_workspace(cast.workspace)
    assert sum(credits.filter(kind="split").values_list("amount", flat=True)) == 10_001
    assert credits.get(kind="overlay").amount == 10_001


def test_duplicate_ids_in_a_batch_are_refused(cast: Cast) -> None:
    with pytest.raises(ingest.Invalid) as exc:
        load(cast, [row(cast.seller, "D1"), row(cast.seller, "D1")])
    assert {e["code"] for e in exc.value.details} == {"duplicate_id"}  # type: ignore[attr-defined]


def test_rebuild_equals_incremental_cells(cast: Cast) -> None:
    load(cast, [row(cast.seller, "D1"), row(cast.lead, "D2", category="commit")])
    before = sorted(
        PipelineCell.objects.for_workspace(cast.workspace).values_list(
            "seller_id", "month", "category", "kind", "amount", "weighted", "deals"
        )
    )
    rebuild_cells(cast.workspace)
    after = sorted(
        PipelineCell.objects.for_workspace(cast.workspace).values_list(
            "seller_id", "month", "category", "kind", "amount", "weighted", "deals"
        )
    )
    assert before == after


def test_file_import(cast: Cast, tmp_path) -> None:  # type: ignore[no-untyped-def]
    day = row(cast.seller, "x")["close_date"]
    path = tmp_path / "deals.csv"
    path.write_text(
        "External ID,Name,Amount,Close date,Stage,Probability,Category,Owner\n"
        f'F1,Big one,"1,500.00",{day},Proposal,60,commit,{cast.seller.email}\n',
        encoding="utf-8",
    )
    result = ingest.ingest(
        workspace=cast.workspace,
        actor=cast.admin,
        frames=ingest.frames_from_file(str(path)),
        source="file",
    )
    assert result.created == 1
    assert Deal.objects.for_workspace(cast.workspace).get(external_id="F1").amount == 150_000


def test_a_batch_of_new_changed_and_unchanged_deals(cast: Cast) -> None:
    load(cast, [row(cast.seller, "D1"), row(cast.seller, "D2")])
    result = load(
        cast,
        [
            row(cast.seller, "D1"),
            row(cast.seller, "D2", stage="Negotiation"),
            row(cast.lead, "D3"),
        ],
    )
    assert (result.created, result.updated, result.unchanged) == (1, 1, 1)
    deals = Deal.objects.for_workspace(cast.workspace)
    assert deals.count() == 3
    assert len(set(deals.values_list("uuid", flat=True))) == 3
    assert dict(deals.values_list("external_id", "version")) == {"D1": 1, "D2": 2, "D3": 1}
    d2 = deals.get(external_id="D2")
    assert list(d2.changes.order_by("pk").values_list("stage", flat=True)) == [
        "Proposal",
        "Negotiation",
    ]
    assert d2.changes.order_by("pk").last().actor_id == cast.admin.pk  # type: ignore[union-attr]
    assert DealCredit.objects.for_workspace(cast.workspace).count() == 3
    lead_cells = PipelineCell.objects.for_workspace(cast.workspace).filter(seller=cast.lead)
    assert lead_cells.aggregate(a=Sum("amount"))["a"] == 100_000


def _deal_keys_and_indexes() -> list[tuple[str, str]]:
    from django.db import connection

    with connection.cursor() as c:
        c.execute(
            "SELECT i.relname, pg_get_indexdef(x.indexrelid) FROM pg_index x "
            "JOIN pg_class t ON t.oid = x.indrelid JOIN pg_class i ON i.oid = x.indexrelid "
            "WHERE t.relname IN ('pipeline_deal', 'pipeline_dealcredit', 'pipeline_dealchange') "
            "ORDER BY 1"
        )
        return c.fetchall()


def test_a_first_large_import_builds_the_deal_indexes_after_the_rows(
    cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PostgreSQL, tables empty: keys and indexes dropped, rows written, the same keys and
    indexes built again in the transaction; a later import writes through them."""
    from django.db import connection

    from pacte.pipeline import staging

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's deferred indexes")
    monkeypatch.setattr(staging, "_ANALYZE_ROWS", 2)  # "large": two rows
    deferred: list[list[str]] = []
    defer = staging.defer_indexes

    def spy(c, tables):  # type: ignore[no-untyped-def]
        deferred.append(defer(c, tables))
        return deferred[-1]

    monkeypatch.setattr(staging, "defer_indexes", spy)
    before = _deal_keys_and_indexes()
    assert len(before) > 8
    load(cast, [row(cast.seller, "D1"), row(cast.seller, "D2", amount="10.00")])
    assert _deal_keys_and_indexes() == before
    assert len(deferred) == 1
    assert len(deferred[0]) > 5
    assert Deal.objects.for_workspace(cast.workspace).count() == 2
    load(cast, [row(cast.seller, "D3"), row(cast.seller, "D4")], source="other")
    assert deferred[1:] == [[]]  # the tables hold deals: written through the indexes
    with pytest.raises(ingest.Invalid):  # still unique by (source, external id) in a batch
        load(cast, [row(cast.seller, "D5"), row(cast.seller, "D5")], source="third")
    cells = PipelineCell.objects.for_workspace(cast.workspace).aggregate(a=Sum("amount"))
    assert cells["a"] == 301_000
