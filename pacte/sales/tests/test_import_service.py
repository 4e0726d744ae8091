"""The import service: parsing, credits, team of the day, idempotency, bad input, cube."""

from __future__ import annotations

import datetime

import openpyxl
import pytest

from pacte.audit.models import AuditEvent
from pacte.org.services import move_member
from pacte.sales import cube, import_jobs, mapping, services
from pacte.sales.models import Credit, CubeCell, Sale
from pacte.sales.tests.helpers import import_file, rows

pytestmark = pytest.mark.django_db

SELLER = "seller@acme.example"
OTHER = "other@acme.example"
LEAD = "lead@acme.example"


def test_french_numbers_dates_split_and_overlay_credits_reach_the_cube(cast, channels, write_csv):
    path = write_csv(
        "id;date;amount;channel;seller;split;overlay\n"
        f'A1;28/11/2026;"1 234,56";Terrain;{SELLER};;\n'
        f'A2;15/11/2026;100,01;field;;"{SELLER}:60;{OTHER}:40";{LEAD}\n'
        f"A3;15/11/2026;-50;field;{OTHER};;\n"
    )
    job = import_file(cast.workspace, path)
    assert job.status == "done", job.errors
    assert (job.created_count, job.updated_count, job.unchanged_count) == (3, 0, 0)
    a2 = Sale.objects.get(external_id="A2")
    split = {c.seller_id: c.amount for c in a2.credits.filter(kind="split")}
    assert split == {cast.seller.pk: 6001, cast.other_seller.pk: 4000}  # largest remainder
    assert sum(split.values()) == a2.amount == 10001
    overlay = a2.credits.get(kind="overlay")
    assert (overlay.seller_id, overlay.amount) == (cast.lead.pk, 10001)
    month = 2026 * 12 + 10
    company = CubeCell.objects.for_workspace(cast.workspace).filter(month=month)
    assert sum(c.split_amount for c in company) == 123456 + 10001 - 5000
    assert sum(c.overlay_amount for c in company) == 10001
    assert cube.verify(cast.workspace) == []


def test_reimport_changes_nothing_and_writes_no_audit_event(cast, channels, write_csv):
    path = write_csv(rows(f"A1,2026-01-05,10.00,field,{SELLER},,,Acme Corp,"))
    import_file(cast.workspace, path)
    events = AuditEvent.objects.count()
    cells = list(CubeCell.objects.values_list("split_amount", "sale_count"))
    job = import_file(cast.workspace, path)
    assert (job.created_count, job.updated_count, job.unchanged_count) == (0, 0, 1)
    assert AuditEvent.objects.count() == events
    assert list(CubeCell.objects.values_list("split_amount", "sale_count")) == cells


def test_changed_row_updates_the_sale_with_an_audit_event(cast, channels, write_csv):
    import_file(cast.workspace, write_csv(rows(f"A1,2026-01-05,10.00,field,{SELLER},,,,")))
    job = import_file(cast.workspace, write_csv(rows(f"A1,2026-02-05,12.00,field,{OTHER},,,,")))
    assert (job.created_count, job.updated_count) == (0, 1)
    sale = Sale.objects.get(external_id="A1")
    assert (sale.amount, sale.date) == (1200, datetime.date(2026, 2, 5))
    event = AuditEvent.objects.get(action="sale.updated")
    assert event.before["amount"] == 1000
    assert event.after["amount"] == 1200
    assert event.after["credits"] == [f"split:{OTHER}:10000"]
    assert not CubeCell.objects.filter(seller=cast.seller).exists()
    assert cube.verify(cast.workspace) == []


def test_credit_goes_to_the_team_of_the_day_of_the_sale(cast, channels, write_csv):
    move_member(
        member=cast.seller, actor=None, unit=cast.other_team, effective=datetime.date(2026, 6, 1)
    )
    import_file(
        cast.workspace,
        write_csv(
            rows(
                f"B1,2026-05-31,10,field,{SELLER},,,,",
                f"B2,2026-06-01,20,field,{SELLER},,,,",
            )
        ),
    )
    units = dict(Credit.objects.values_list("sale__external_id", "unit_id"))
    assert units == {"B1": cast.team.pk, "B2": cast.other_team.pk}


@pytest.mark.parametrize(
    ("line", "column", "code"),
    [
        (f"C1,yesterday,10,field,{SELLER},,,,", "date", "date_invalid"),
        (f"C1,2026-02-30,10,field,{SELLER},,,,", "date", "date_nonexistent"),
        (f"C1,2026-01-01,ten,field,{SELLER},,,,", "amount", "amount_invalid"),
        (f"C1,2026-01-01,1.2345,field,{SELLER},,,,", "amount", "amount_too_many_decimals"),
        ("C1,2026-01-01,10,field,nobody@acme.example,,,,", "seller", "unknown_seller"),
        (f"C1,2026-01-01,10,telepathy,{SELLER},,,,", "channel", "unknown_channel"),
        (f"C1,2026-01-01,10,field,,{SELLER}:60;{OTHER}:30,,,", "split", "split_sum_not_100"),
        ("C1,2026-01-01,10,field,,,,,", "seller", "no_credit"),
        (f",2026-01-01,10,field,{SELLER},,,,", "external_id", "required_missing"),
        (f"C1,2026-01-01,10,field,{SELLER},,,", None, "too_few_fields"),
        (f"C1,2026-01-01,10,field,{SELLER},,,,,extra", None, "too_many_fields"),
    ],
)
def test_a_bad_line_is_located_and_nothing_is_written(
    cast, channels, write_csv, line, column, code
):
    path = write_csv(rows(f"OK1,2026-01-01,10,field,{SELLER},,,,", line))
    job = import_file(cast.workspace, path)
    assert job.status == "failed"
    assert job.message_code == "has_errors"
    assert [(e["line"], e["column"], e["code"]) for e in job.errors] == [(3, column, code)]
    assert not Sale.objects.exists()
    assert not CubeCell.objects.exists()


def test_duplicate_ids_in_a_file_are_refused_with_both_lines(cast, channels, write_csv):
    path = write_csv(
        rows(f"D1,2026-01-01,10,field,{SELLER},,,,", f"D1,2026-01-02,11,field,{SELLER},,,,")
    )
    job = import_file(cast.workspace, path)
    assert job.status == "failed"
    assert job.errors[0]["code"] == "duplicate_key"
    assert job.errors[0]["line"] == 3
    assert "(2)" in job.errors[0]["detail"]
    assert not Sale.objects.exists()


def test_a_text_too_long_counts_characters_not_bytes(cast, channels, write_csv):
    """An id of 100 accented letters (200 bytes) is taken; one of 101 is refused, located."""
    fits, long = "é" * 100, "É" * 101
    path = write_csv(
        rows(f"{fits},2026-01-01,10,field,{SELLER},,,,", f"{long},2026-01-02,11,field,{SELLER},,,,")
    )
    job = import_file(cast.workspace, path)
    assert job.status == "failed"
    assert [(e["line"], e["code"]) for e in job.errors] == [(3, "text_too_long")]
    path = write_csv(rows(f"{fits},2026-01-01,10,field,{SELLER},,,,"))
    assert import_file(cast.workspace, path).created_count == 1
    assert Sale.objects.get().external_id == fits


def test_a_row_in_another_currency_without_a_rate_is_refused(cast, channels, write_csv):
    path = write_csv(
        f"id,date,amount,currency,channel,seller\nE1,2026-01-01,10,USD,field,{SELLER}\n"
    )
    mapping = {k: k for k in ("date", "amount", "currency", "channel", "seller")}
    job = import_file(cast.workspace, path, {**mapping, "external_id": "id"})
    assert (job.errors[0]["code"], job.errors[0]["line"]) == ("no_rate", 2)
    assert job.errors[0]["column"] == "currency"
    assert import_jobs.error_rows(job)[0]["message"].startswith("No exchange rate")


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"", "empty_file"),
        (b"id,date,amount,channel,seller\n", "no_rows"),
        (
            b"id,date,amount,channel,seller\n"
            + b"".join(b"F%d,2026-01-01,10,field,seller@acme.example\n" % i for i in range(3000))
            + b"Z1,2026-01-01,10,field,caf\xe9@acme.example\n",
            "bad_encoding",
        ),
        (b"\x00\x01\x02\x03binary\x00\x00", "not_text"),
    ],
)
def test_file_level_problems_are_refused_clearly(cast, channels, write_csv, content, code):
    path = write_csv(content)
    try:
        job = import_file(
            cast.workspace,
            path,
            {"external_id": "id", "date": "date", "amount": "amount", "channel": "channel"},
        )
    except services.DomainError as exc:  # read_columns refuses before the job exists
        assert exc.code == code  # noqa: PT017
        return
    assert job.status == "failed"
    assert job.message_code == code
    assert not Sale.objects.exists()


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "cp1252"])
def test_encodings_are_detected(cast, channels, write_csv, encoding):
    text = rows(f"É1,2026-01-01,10,field,{SELLER},,,Société Générale,")
    job = import_file(cast.workspace, write_csv(text, encoding=encoding))
    assert job.status == "done", job.errors
    assert Sale.objects.get().customer.name == "Société Générale"


def test_xlsx_files_import_like_csv(cast, channels, tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["id", "date", "amount", "channel", "seller"])
    ws.append(["X1", datetime.date(2026, 3, 4), 1234.5, "field", SELLER])
    path = tmp_path / "sales.xlsx"
    wb.save(path)
    job = import_file(cast.workspace, path)
    assert job.status == "done", job.errors
    assert Sale.objects.get().amount == 123450


def test_a_sale_in_a_closed_month_is_refused_by_default(cast, channels, write_csv):
    from pacte.insights.services import close_month

    close_month(workspace=cast.workspace, actor=cast.admin, month=2025 * 12 + 11)
    job = import_file(cast.workspace, write_csv(rows(f"G1,2025-12-31,10,field,{SELLER},,,,")))
    assert job.status != "done"
    assert job.errors[0]["code"] == "period_closed"
    assert not Sale.objects.exists()


def test_a_late_sale_is_booked_to_the_next_open_month_when_the_workspace_says_so(
    cast, channels, write_csv
):
    from pacte.insights.models import InsightSettings, LatePolicy
    from pacte.insights.services import close_month
    from pacte.sales.models import CubeCell

    InsightSettings.objects.update_or_create(
        workspace=cast.workspace, defaults={"late_sale_policy": LatePolicy.NEXT_OPEN}
    )
    for month in (2025 * 12 + 10, 2025 * 12 + 11):  # November and December 2025 closed
        close_month(workspace=cast.workspace, actor=cast.admin, month=month)
    job = import_file(cast.workspace, write_csv(rows(f"G2,2025-11-15,10,field,{SELLER},,,,")))
    assert job.status == "done", job.errors
    sale = Sale.objects.get()
    assert sale.date == datetime.date(2025, 11, 15)  # the sale keeps its own date
    assert sale.month == 2026 * 12 + 0  # and counts in January 2026, the next open month
    assert CubeCell.objects.get().month == 2026 * 12 + 0


def test_cancel_before_start_writes_nothing(cast, channels, write_csv):
    from pacte.sales.models import ImportJob

    path = write_csv(rows(f"H1,2026-01-01,10,field,{SELLER},,,,"))
    job = ImportJob.objects.create(
        workspace=cast.workspace,
        file_path=str(path),
        mapping={
            "external_id": "id",
            "date": "date",
            "amount": "amount",
            "channel": "channel",
            "seller": "seller",
        },
        status="queued",
    )
    import_jobs.request_cancel(job=job)
    job = import_jobs.run_import(job_id=job.pk)
    assert job.status == "cancelled"
    assert not Sale.objects.exists()


def test_deleting_sales_takes_them_out_of_the_cube(cast, channels, write_csv):
    import_file(
        cast.workspace,
        write_csv(
            rows(f"J1,2026-01-01,10,field,{SELLER},,,,", f"J2,2026-01-02,20,field,{SELLER},,,,")
        ),
    )
    services.delete_sales(
        workspace=cast.workspace, actor=cast.admin, sales=Sale.objects.filter(external_id="J1")
    )
    assert CubeCell.objects.get().split_amount == 2000
    assert AuditEvent.objects.filter(action="sale.deleted").count() == 1
    assert cube.verify(cast.workspace) == []


def test_imported_sales_get_distinct_time_ordered_uuids_after_a_deletion(cast, channels, write_csv):
    first = write_csv(rows(*(f"A{i},2026-01-05,10.00,field,{SELLER},,,," for i in range(3))))
    import_file(cast.workspace, first)
    services.delete_sales(
        workspace=cast.workspace,
        actor=None,
        sales=Sale.objects.filter(external_id="A2"),  # the highest id: never given again
    )
    second = write_csv(rows(*(f"B{i},2026-01-06,10.00,field,{SELLER},,,," for i in range(3))))
    import_file(cast.workspace, second)
    sales = list(Sale.objects.for_workspace(cast.workspace).order_by("id"))
    assert [s.external_id for s in sales] == ["A0", "A1", "B0", "B1", "B2"]
    assert len({s.uuid for s in sales}) == 5
    assert all(s.uuid.version == 7 for s in sales)
    assert [s.uuid for s in sales] == sorted(s.uuid for s in sales)
    assert sales[2].pk > 3  # after the deleted A2's id
    # Each API and page lookup by uuid finds its sale.
    assert Sale.objects.get(uuid=sales[3].uuid).external_id == "B1"


def test_verify_reports_references_the_database_no_longer_guards(cast, channels, write_csv):
    from django.db import connection

    import_file(cast.workspace, write_csv(rows(f"A1,2026-01-05,10.00,field,{SELLER},,,Acme,")))
    assert cube.verify(cast.workspace) == []
    with connection.cursor() as c:  # what a foreign key would have refused
        c.execute("UPDATE sales_credit SET seller_id = 999999, unit_id = 999999")
        c.execute("UPDATE sales_sale SET channel_id = 999999")
    problems = "\n".join(cube.verify(cast.workspace))
    assert "credits to a seller who is not a member of the workspace" in problems
    assert "credits to a team that is not the workspace's" in problems
    assert "sales in a channel that is not the workspace's" in problems
    with connection.cursor() as c:
        c.execute("DELETE FROM sales_sale")
    assert any("credits of a missing sale" in p for p in cube.verify(cast.workspace))


@pytest.mark.parametrize(
    ("columns", "expected"),
    [
        (
            ["Référence", "Date", "Montant", "Canal", "Vendeur", "Client"],
            ["external_id", "date", "amount", "channel", "seller", "customer"],
        ),
        (
            ["N° de facture", "Date de facture", "Montant HT", "Canal de vente", "Commercial"],
            ["external_id", "date", "amount", "channel", "seller"],
        ),
        (
            ["SalesOrderID", "OrderDate", "SubTotal", "Channel", "Sales Person", "Territory"],
            ["external_id", "date", "amount", "channel", "seller", "territory"],
        ),
    ],
)
def test_mapping_is_guessed_from_french_and_english_headers(columns, expected):
    guessed = mapping.guess_mapping(columns)
    assert guessed == dict(zip(expected, columns, strict=True))


def test_a_background_import_writes_its_message_in_its_creators_language(cast, channels, write_csv):
    cast.admin.user.language = "fr"
    cast.admin.user.save(update_fields=["language"])
    path = write_csv(rows(f"L1,2026-02-30,10,field,{SELLER},,,,"))
    job = import_file(cast.workspace, path, created_by=cast.admin)
    assert job.status == "failed"
    assert job.message.startswith("Certaines lignes sont erronées")
