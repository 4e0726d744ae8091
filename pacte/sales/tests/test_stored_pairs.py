"""The stored (external id, row hash) pairs a full reconciliation looks its rows up in, and an
import given them: rows stored as they are counted unchanged, the others merged as before."""

from __future__ import annotations

import polars as pl
import pytest

from pacte.sales import cube
from pacte.sales.import_jobs import run_import
from pacte.sales.ingest.stored import StoredPairs
from pacte.sales.models import Credit, ImportJob, Sale
from pacte.sales.tests.helpers import MAPPING, rows

SELLER = "seller@acme.example"
OTHER = "other@acme.example"


def pairs(ids: list[str | None], hashes: list[int]) -> pl.DataFrame:
    return pl.DataFrame(
        {"external_id": ids, "row_hash": hashes},
        schema={"external_id": pl.String, "row_hash": pl.Int64},
    )


def test_same_is_true_only_for_a_stored_id_with_its_stored_hash() -> None:
    stored = StoredPairs(pairs([f"R{i}" for i in range(1000)], list(range(1000))))
    asked = pairs(["R5", "R5", "R999", "X", None, "R0"], [5, 6, 999, 5, 5, 0])
    same = stored.same(asked.get_column("external_id"), asked.get_column("row_hash"))
    assert same.to_list() == [True, False, True, False, False, True]


def test_nothing_is_same_when_nothing_is_stored() -> None:
    stored = StoredPairs(pairs([], []))
    assert len(stored) == 0
    assert stored.same(pl.Series(["R1"]), pl.Series([1])).to_list() == [False]


def _import(workspace, path, known: pl.DataFrame | None = None) -> ImportJob:
    job = ImportJob.objects.create(
        workspace=workspace, file_path=str(path), mapping=MAPPING, status="queued"
    )
    return run_import(job_id=job.pk, known=known)


def _known(workspace) -> pl.DataFrame:
    found = Sale.objects.for_workspace(workspace).values_list("external_id", "row_hash")
    return pairs([i for i, _h in found], [h for _i, h in found])


@pytest.mark.django_db
def test_rows_stored_as_they_are_are_counted_and_the_others_merged(cast, channels, write_csv):
    first = rows(
        f"A1,2026-01-05,10.00,field,{SELLER},,,,",
        f"A2,2026-01-06,20.00,field,{SELLER},,,,",
        f"A3,2026-01-07,30.00,field,{SELLER},,,,",
    )
    assert _import(cast.workspace, write_csv(first)).created_count == 3
    again = rows(
        f"A1,2026-01-05,10.00,field,{SELLER},,,,",
        f"A2,2026-01-06,20.00,field,{OTHER},,,,",
        f"A3,2026-01-07,30.00,field,{SELLER},,,,",
        f"A4,2026-01-08,40.00,field,{SELLER},,,,",
    )
    job = _import(cast.workspace, write_csv(again), known=_known(cast.workspace))
    assert job.status == "done", job.errors
    assert (job.created_count, job.updated_count, job.unchanged_count) == (1, 1, 2)
    credit = Credit.objects.get(sale__external_id="A2")
    assert credit.seller_id == cast.other_seller.pk
    assert cube.verify(cast.workspace) == []


@pytest.mark.django_db
def test_a_stored_row_is_still_validated(cast, channels, write_csv):
    line = f"A1,2026-01-05,10.00,field,{SELLER},,,,"
    _import(cast.workspace, write_csv(rows(line)))
    known = _known(cast.workspace)
    job = _import(cast.workspace, write_csv(rows(line, line)), known=known)
    assert job.status == "failed"
    assert [e["code"] for e in job.errors] == ["duplicate_key"]
