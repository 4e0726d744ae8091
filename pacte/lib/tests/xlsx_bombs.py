"""Hostile XLSX files built for tests: a zip bomb (a few MB that expand to about 1 GB of sheet
rows) and sheet bombs (a sheet that declares, or spreads its cells over, 16,384 columns).

The zip bomb is written without expanding it here: its sheet is a deflate stream of identical,
independently compressed blocks (each ends on a full flush, so blocks can be repeated), and the
zip records are written by hand with the right sizes and CRC."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from collections.abc import Iterable
from pathlib import Path

NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
SHEET_HEAD = (
    f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{NS}">'
).encode()


def _base_parts() -> dict[str, bytes]:
    """The parts of a one-sheet workbook written by openpyxl, but its sheet."""
    import openpyxl

    wb = openpyxl.Workbook(write_only=True)
    wb.create_sheet().append(["id", "date", "amount"])
    buffer = io.BytesIO()
    wb.save(buffer)
    with zipfile.ZipFile(buffer) as archive:
        return {
            name: archive.read(name)
            for name in archive.namelist()
            if name != "xl/worksheets/sheet1.xml"
        }


def _deflate(data: bytes, *, final: bool, level: int = 9) -> bytes:
    packer = zlib.compressobj(level, zlib.DEFLATED, -15)
    return packer.compress(data) + packer.flush(zlib.Z_FINISH if final else zlib.Z_FULL_FLUSH)


def _write_zip(path: Path, entries: Iterable[tuple[str, bytes, int, int]]) -> None:
    """Entries are (name, deflated bytes, CRC-32, uncompressed size)."""
    central = b""
    with open(path, "wb") as out:
        count = 0
        for name, packed, crc, size in entries:
            raw = name.encode()
            offset = out.tell()
            fields = (20, 0, 8, 0, 0x21, crc, len(packed), size, len(raw))
            out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, *fields, 0) + raw)
            out.write(packed)
            central += (
                struct.pack("<IH", 0x02014B50, 20)
                + struct.pack("<HHHHHIIIHHHHHII", *fields, 0, 0, 0, 0, 0, offset)
                + raw
            )
            count += 1
        start = out.tell()
        out.write(central)
        out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, count, count, len(central), start, 0))


def _small_entries() -> list[tuple[str, bytes, int, int]]:
    return [
        (name, _deflate(data, final=True), zlib.crc32(data), len(data))
        for name, data in _base_parts().items()
    ]


def zip_bomb(path: Path, expanded: int = 1024**3) -> Path:
    """An XLSX whose sheet expands to about ``expanded`` bytes of identical rows (1 GiB: a file
    of about 3 MB)."""
    row = b'<row><c t="inlineStr"><is><t>x</t></is></c></row>'
    block = row * (1024 * 1024 // len(row))
    head = SHEET_HEAD + b"<sheetData>"
    tail = b"</sheetData></worksheet>"
    count = max(1, (expanded - len(head) - len(tail)) // len(block))
    packed_block = _deflate(block, final=False)
    crc = zlib.crc32(head)
    for _ in range(count):
        crc = zlib.crc32(block, crc)
    crc = zlib.crc32(tail, crc)
    packed = _deflate(head, final=False) + packed_block * count + _deflate(tail, final=True)
    size = len(head) + len(block) * count + len(tail)
    _write_zip(path, [*_small_entries(), ("xl/worksheets/sheet1.xml", packed, crc, size)])
    return path


def _column(n: int) -> str:
    name = ""
    while n:
        n, rest = divmod(n - 1, 26)
        name = chr(65 + rest) + name
    return name


def sheet_bomb(
    path: Path, *, rows: int = 5_000, cells: int = 200, dimension: bool = True, header: bool = False
) -> Path:
    """An XLSX of styled empty cells spread to column XFD (16,384) over ``rows`` rows, declaring
    the whole sheet (A1:XFD1048576) when ``dimension``; a header row of names first when
    ``header``. It compresses like an ordinary sheet (it passes the archive's checks): what
    makes it a bomb is the reading, as openpyxl pads every row to the declared width."""
    step = 16_384 // cells
    columns = [_column(1 + i * step) for i in range(cells - 1)] + ["XFD"]
    parts = [SHEET_HEAD]
    if dimension:
        parts.append(b'<dimension ref="A1:XFD1048576"/>')
    parts.append(b"<sheetData>")
    first = 1
    if header:
        names = "".join(
            f'<c r="{_column(i + 1)}1" t="inlineStr"><is><t>col{i}</t></is></c>' for i in range(5)
        )
        parts.append(f'<row r="1">{names}</row>'.encode())
        first = 2
    for r in range(first, first + rows):
        cells_xml = "".join(f'<c r="{c}{r}" s="1"/>' for c in columns)
        parts.append(f'<row r="{r}">{cells_xml}</row>'.encode())
    parts.append(b"</sheetData></worksheet>")
    sheet = b"".join(parts)
    packed = _deflate(sheet, final=True, level=1)
    entry = ("xl/worksheets/sheet1.xml", packed, zlib.crc32(sheet), len(sheet))
    _write_zip(path, [*_small_entries(), entry])
    return path
