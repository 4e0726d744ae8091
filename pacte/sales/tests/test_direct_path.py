"""The direct path of an import (PostgreSQL, a source with no sale yet): the same result as the
staged path, all or nothing across chunks already written, cancel and progress mid-import."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl
import pytest
from django.db import DEFAULT_DB_ALIAS, connection, connections

from pacte.lib.tabular.common import ERROR_SCHEMA, LINE
from pacte.sales import cube, import_jobs
from pacte.sales.ingest.context import FIELDS
from pacte.sales.ingest.direct import Direct
from pacte.sales.models import Credit, CubeCell, Customer, ImportJob, Sale
from pacte.sales.tests.helpers import MAPPING, rows

SELLER = "seller@acme.example"
OTHER = "other@acme.example"
LEAD = "lead@acme.example"

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the direct path is PostgreSQL's"
)


def _lines(count: int, start: int = 0) -> list[str]:
    out = []
    for i in range(start, start + count):
        if i % 5 == 0:
            credit = f',"{SELLER}:60;{OTHER}:40",{LEAD}'
        else:
            credit = f"{SELLER if i % 2 else OTHER},,"
        customer = f"Client {i % 7}" if i % 3 else ""
        out.append(
            f"K{i},2026-{i % 12 + 1:02d}-{i % 27 + 1:02d},{i}.{i % 100:02d},field,{credit},"
            f"{customer},T{i % 2}"
        )
    return out


def _run(workspace: Any, path: Path, *, chunk_rows: int, source: str = "default") -> ImportJob:
    job = ImportJob.objects.create(
        workspace=workspace,
        file_path=str(path),
        mapping=MAPPING,
        columns=list(MAPPING.values()),
        status="queued",
        source=source,
    )
    return import_jobs.run_import(job_id=job.pk, chunk_rows=chunk_rows)


def _contents(workspace: Any, source: str) -> tuple[list[tuple[Any, ...]], ...]:
    sales = sorted(
        Sale.objects.for_workspace(workspace)
        .filter(source=source)
        .values_list(
            "external_id",
            "date",
            "month",
            "amount",
            "channel_id",
            "customer__name",
            "territory",
            "solution",
            "credit_origin",
            "row_hash",
        )
    )
    credits = sorted(
        Credit.objects.for_workspace(workspace)
        .filter(sale__source=source)
        .values_list(
            "sale__external_id", "seller_id", "unit_id", "kind", "basis_points", "amount", "origin"
        )
    )
    return sales, credits


@pytest.mark.django_db
def test_direct_and_staged_paths_store_the_same_sales_credits_and_cube(
    cast, channels, write_csv, monkeypatch
):
    path = write_csv(rows(*_lines(90)))
    monkeypatch.setattr(Direct, "CUBE_PENDING_ROWS", 1)  # cells summed at every slice
    direct = _run(cast.workspace, path, chunk_rows=20, source="first")
    assert (direct.status, direct.created_count) == ("done", 90), direct.errors
    cube_after_first = sorted(
        CubeCell.objects.values_list("seller_id", "unit_id", "channel_id", "month", "sale_count")
    )
    monkeypatch.setattr(Direct, "applies", staticmethod(lambda *a: False))
    staged = _run(cast.workspace, path, chunk_rows=20, source="second")
    assert (staged.status, staged.created_count) == ("done", 90), staged.errors
    assert _contents(cast.workspace, "first") == _contents(cast.workspace, "second")
    # The second source doubled every cell: the direct path's cube delta is the staged one's.
    doubled = sorted(
        CubeCell.objects.values_list("seller_id", "unit_id", "channel_id", "month", "sale_count")
    )
    assert doubled == [(*key, 2 * n) for *key, n in cube_after_first]
    assert cube.verify(cast.workspace) == []
    for sale in Sale.objects.all():  # version 7 layout, the id in the last 60 bits
        assert sale.uuid.version == 7
        assert sale.uuid.int & (2**60 - 1) == sale.pk


@pytest.mark.django_db
def test_a_second_import_of_a_source_is_classified_against_the_first(cast, channels, write_csv):
    first = _run(cast.workspace, write_csv(rows(*_lines(40))), chunk_rows=15)
    assert first.created_count == 40
    changed = _lines(40)
    changed[3] = changed[3].replace(",field,", ",e-commerce,")
    again = _run(cast.workspace, write_csv(rows(*changed, *_lines(5, start=40))), chunk_rows=15)
    assert (again.created_count, again.updated_count, again.unchanged_count) == (5, 1, 39)
    assert cube.verify(cast.workspace) == []


@pytest.mark.django_db
def test_an_error_in_a_late_chunk_undoes_the_chunks_already_written(cast, channels, write_csv):
    bad = f"K999,2026-02-30,10,field,{SELLER},,,New Client,"
    path = write_csv(rows(*_lines(60), bad))
    job = _run(cast.workspace, path, chunk_rows=10)
    assert job.status == "failed"
    assert [(e["line"], e["column"], e["code"]) for e in job.errors] == [
        (62, "date", "date_nonexistent")
    ]
    assert not Sale.objects.exists()
    assert not Credit.objects.exists()
    assert not CubeCell.objects.exists()
    assert not Customer.objects.exists()  # customers created by written chunks are undone too
    job = _run(cast.workspace, write_csv(rows(*_lines(60))), chunk_rows=10)
    assert (job.status, job.created_count) == ("done", 60)


@postgres_only
@pytest.mark.django_db
def test_a_failure_of_the_writer_is_raised_and_leaves_nothing(
    cast, channels, write_csv, monkeypatch
):
    calls = {"n": 0}
    write = Direct._write

    def failing(self: Direct, encoded: object) -> None:
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("disk full")
        write(self, encoded)  # type: ignore[arg-type]

    monkeypatch.setattr(Direct, "_write", failing)
    with pytest.raises(RuntimeError, match="disk full"):
        _run(cast.workspace, write_csv(rows(*_lines(60))), chunk_rows=10)
    assert not Sale.objects.exists()
    assert not CubeCell.objects.exists()


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_progress_shows_and_a_cancel_stops_a_direct_import_midway(cast, channels):
    """Committed data, as in production: the page sees progress from the second connection, a
    cancel committed by another session stops the import, and nothing is written."""
    job = ImportJob.objects.create(
        workspace=cast.workspace, mapping={k: k for k in FIELDS}, status="queued"
    )
    other = connections.create_connection(DEFAULT_DB_ALIAS)
    seen: list[int] = []

    def frames():  # type: ignore[no-untyped-def]
        empty = pl.DataFrame(schema=ERROR_SCHEMA)
        for part in range(4):
            if part == 2:  # as the job page does: read the progress, then ask to cancel
                with other.cursor() as c:
                    c.execute("SELECT progress FROM sales_importjob WHERE id = %s", [job.pk])
                    seen.append(c.fetchone()[0])
                    c.execute(
                        "UPDATE sales_importjob SET cancel_requested = TRUE WHERE id = %s", [job.pk]
                    )
            frame = pl.DataFrame(
                {
                    LINE: [part * 10 + i + 2 for i in range(10)],
                    "external_id": [f"X{part}-{i}" for i in range(10)],
                    "date": ["2026-01-05"] * 10,
                    "amount": ["10.00"] * 10,
                    "channel": ["field"] * 10,
                    "seller": [SELLER] * 10,
                }
            )
            yield frame, empty, part + 1, 4

    try:
        job = import_jobs.run_import(job_id=job.pk, frames=frames())
    finally:
        other.close()
    assert job.status == "cancelled"
    assert seen == [45]  # 90 × 2/4, committed by the import while its own data was not
    assert not Sale.objects.exists()
    assert not CubeCell.objects.exists()


@postgres_only
@pytest.mark.django_db
def test_the_bulk_tables_carry_the_lean_keys(cast, channels, write_csv):
    """Credits keyed by their natural key (no ``id``, no second unique index); the external id
    key compares bytes, and a re-import still finds each sale through it."""
    with connection.cursor() as c:
        c.execute(
            "SELECT a.attname, co.collname FROM pg_attribute a "
            "JOIN pg_collation co ON co.oid = a.attcollation "
            "WHERE a.attrelid = 'sales_sale'::regclass AND a.attname IN ('source', 'external_id') "
            "ORDER BY a.attname"
        )
        assert c.fetchall() == [("external_id", "C"), ("source", "C")]
        c.execute(
            "SELECT indisprimary, pg_get_indexdef(indexrelid) FROM pg_index "
            "WHERE indrelid = 'sales_credit'::regclass ORDER BY 1"
        )
        indexes = c.fetchall()
        assert [unique for unique, _ in indexes] == [False, True]  # the seller's, the key
        assert "(workspace_id, sale_id, seller_id, kind)" in indexes[1][1]
        c.execute(
            "SELECT 1 FROM information_schema.columns "
            "WHERE table_name = 'sales_credit' AND column_name = 'id'"
        )
        assert c.fetchone() is None
    path = write_csv(rows(*_lines(30)))
    first = _run(cast.workspace, path, chunk_rows=10)
    again = _run(cast.workspace, path, chunk_rows=10)
    assert (first.created_count, again.created_count, again.unchanged_count) == (30, 0, 30)
    assert cube.verify(cast.workspace) == []


def _keys_and_indexes() -> list[tuple[Any, ...]]:
    with connection.cursor() as c:
        c.execute(
            "SELECT 'index', pg_get_indexdef(indexrelid) FROM pg_index "
            "WHERE indrelid IN ('sales_sale'::regclass, 'sales_credit'::regclass) "
            "UNION ALL SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid IN ('sales_sale'::regclass, 'sales_credit'::regclass) ORDER BY 1, 2"
        )
        return c.fetchall()


@postgres_only
@pytest.mark.django_db
def test_the_first_import_into_empty_tables_builds_their_indexes_after(
    cast, channels, write_csv, monkeypatch
):
    """No sale anywhere: the keys and indexes are dropped, the rows copied, the same keys and
    indexes built again; a failed import gets them back by its rollback; once the tables hold
    sales, the next first import of a source writes through the indexes."""
    before = _keys_and_indexes()
    assert len(before) > 8
    deferred: list[bool] = []
    defer = Direct.defer_indexes

    def spy(self: Direct) -> bool:
        deferred.append(defer(self))
        return deferred[-1]

    monkeypatch.setattr(Direct, "defer_indexes", spy)
    write = Direct._write

    def failing(self: Direct, encoded: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(Direct, "_write", failing)
    with pytest.raises(RuntimeError, match="disk full"):
        _run(cast.workspace, write_csv(rows(*_lines(30))), chunk_rows=10)
    assert _keys_and_indexes() == before
    monkeypatch.setattr(Direct, "_write", write)
    job = _run(cast.workspace, write_csv(rows(*_lines(30))), chunk_rows=10)
    assert (job.status, job.created_count) == ("done", 30)
    assert _keys_and_indexes() == before
    first = list(Sale.objects.for_workspace(cast.workspace).values_list("id", flat=True))
    other = _run(cast.workspace, write_csv(rows(*_lines(20, 100))), chunk_rows=10, source="crm")
    assert (other.status, other.created_count) == ("done", 20)
    assert deferred == [True, True, False]
    # The locked import moved the sequence past its ids in one step per slice: the next
    # import draws after them.
    assert len(set(first)) == 30
    later = Sale.objects.for_workspace(cast.workspace).filter(source="crm").values_list("id")
    assert min(i for (i,) in later) > max(first)
    again = _run(cast.workspace, write_csv(rows(*_lines(30))), chunk_rows=10)
    assert (again.created_count, again.unchanged_count) == (0, 30)  # found by external id
    assert cube.verify(cast.workspace) == []
