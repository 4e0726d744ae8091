"""Hostile files are refused before they are expanded: XLSX zip bombs, sheet bombs and files
with absurd column counts, with a clear reason and bounded memory (no timed assertion: the
refusal is shown to come before the parsing that would take the time)."""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from openpyxl.worksheet._reader import WorkSheetParser

from pacte.lib.tabular.common import TabularError
from pacte.lib.tabular.csvfile import iter_csv_chunks
from pacte.lib.tabular.reading import iter_chunks, read_header
from pacte.lib.tabular.xlsxfile import XlsxLimits, check_xlsx_archive
from pacte.lib.tests.xlsx_bombs import sheet_bomb, zip_bomb

MB = 1024 * 1024


def _peak(call: Callable[[], Any]) -> tuple[BaseException | None, int]:
    """The exception ``call`` raised (or None) and the peak of memory traced meanwhile."""
    tracemalloc.start()
    try:
        call()
    except Exception as exc:
        return exc, tracemalloc.get_traced_memory()[1]
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return None, peak


@pytest.fixture
def no_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any attempt to parse a sheet's rows fails the test."""

    def parse(self: object) -> Any:
        raise AssertionError("the sheet's rows were parsed")

    monkeypatch.setattr(WorkSheetParser, "parse", parse)


def test_a_zip_bomb_is_refused_before_openpyxl_opens_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bomb = zip_bomb(tmp_path / "bomb.xlsx")
    assert bomb.stat().st_size < 4 * MB  # about 3 MB that expand to 1 GiB

    def load_workbook(*args: object, **kwargs: object) -> None:
        raise AssertionError("openpyxl was given the bomb")

    monkeypatch.setattr(openpyxl, "load_workbook", load_workbook)
    for read in (
        lambda: read_header(bomb),
        lambda: list(iter_chunks(bomb)),
        lambda: check_xlsx_archive(bomb),
    ):
        error, peak = _peak(read)
        assert isinstance(error, TabularError), error
        assert error.code == "xlsx_too_large"
        assert "expands" in error.message
        assert peak < 5 * MB


def test_an_archive_over_the_expanded_size_limit_is_refused(tmp_path: Path) -> None:
    bomb = zip_bomb(tmp_path / "bomb.xlsx", expanded=40 * MB)
    with pytest.raises(TabularError) as caught:
        check_xlsx_archive(bomb, XlsxLimits(max_uncompressed=20 * MB))
    assert caught.value.code == "xlsx_too_large"
    check_xlsx_archive(bomb, XlsxLimits(max_ratio=10_000))  # size and ratio ok


def test_a_sheet_declaring_the_whole_grid_is_refused_before_its_rows_are_parsed(
    tmp_path: Path, no_parsing: None
) -> None:
    bomb = sheet_bomb(tmp_path / "sheet-bomb.xlsx")
    assert 2 * MB < bomb.stat().st_size < 4 * MB
    check_xlsx_archive(bomb)  # it compresses like an ordinary sheet
    for read in (lambda: read_header(bomb), lambda: list(iter_chunks(bomb))):
        error, peak = _peak(read)
        assert isinstance(error, TabularError), error
        assert error.code == "too_many_columns"
        assert "16384 columns" in error.message
        assert peak < 10 * MB


def test_a_sheet_without_dimension_is_read_no_wider_than_the_column_limit(
    tmp_path: Path,
) -> None:
    """Cells spread to column XFD on every row: each row is cut at the limit, so reading costs
    what an ordinary sheet of that width costs; the empty rows leave no data."""
    bomb = sheet_bomb(tmp_path / "wide.xlsx", rows=300, dimension=False, header=True)
    assert read_header(bomb) == ["col0", "col1", "col2", "col3", "col4"]
    error, peak = _peak(lambda: list(iter_chunks(bomb, max_columns=50)))
    assert isinstance(error, TabularError)
    assert error.code == "no_rows"
    assert peak < 20 * MB


def test_a_header_wider_than_the_limit_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "wide.xlsx"
    wb = openpyxl.Workbook()
    wb.active.append([f"c{i}" for i in range(12)])
    wb.active.append(list(range(12)))
    wb.save(path)
    with pytest.raises(TabularError) as caught:
        read_header(path, max_columns=10)
    assert caught.value.code == "too_many_columns"
    assert read_header(path, max_columns=12) == [f"c{i}" for i in range(12)]


def test_a_100000_column_csv_is_refused_at_its_first_line(tmp_path: Path) -> None:
    path = tmp_path / "wide.csv"
    header = ",".join(f"column{i}" for i in range(100_000))
    path.write_text(header + "\n" + ",".join("1" * 100_000) + "\n")
    for read in (lambda: read_header(path), lambda: list(iter_chunks(path))):
        error, peak = _peak(read)
        assert isinstance(error, TabularError), error
        assert error.code == "too_many_columns"
        assert error.line == 1
        assert peak < 5 * MB


def test_the_column_limit_is_checked_on_the_whole_header_not_only_its_head(
    tmp_path: Path,
) -> None:
    """A header longer than the 64 KiB sniffed is counted in full by the reader."""
    path = tmp_path / "long-names.csv"
    names = [f"{'x' * 400}{i}" for i in range(300)]  # 120 kB of header, 300 columns
    path.write_text(",".join(names) + "\n" + ",".join("1" * 300) + "\n")
    with pytest.raises(TabularError) as caught:
        list(iter_csv_chunks(path, max_columns=299))
    assert caught.value.code == "too_many_columns"
    chunk = next(iter_csv_chunks(path, max_columns=300))
    assert chunk.frame.width == 301


def test_stray_cells_beyond_the_header_are_still_reported(tmp_path: Path) -> None:
    path = tmp_path / "stray.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["id", "amount"])
    ws.append(["V1", 10])
    ws.append(["V2", 20, None, None, "stray"])
    wb.save(path)
    chunk = next(iter_chunks(path))
    assert chunk.frame.get_column("id").to_list() == ["V1"]
    assert chunk.errors.select("line", "code", "detail").rows() == [
        (3, "too_many_fields", "expected 2 fields, found 5")
    ]
