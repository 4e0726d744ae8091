"""Framework-free, vectorised parsing of tabular sales files (CSV and XLSX).

This package turns an uploaded file into chunks of string columns with their file line
numbers, and parses those columns into exact values (integer minor units, dates, split
credits) with one reason code per bad row. It knows nothing about Django, workspaces or
the database: the import service maps columns, calls these functions on each chunk,
turns reasons into located errors and stores the rows.

Design notes:

- Reading is streamed: a CSV is read in byte blocks (``block_bytes``, 16 MiB by default),
  cut at record boundaries (quote-aware, with NumPy), checked for ragged rows and parsed
  by Polars one chunk at a time, so memory stays bounded whatever the file size.
  Non-UTF-8 files are transcoded block by block with an incremental decoder.
- Every chunk frame carries the 1-based line on which each record starts in the file
  (column ``LINE``); the header is line 1 in an ordinary file, so the first data row is
  line 2. With quoted fields spanning several lines, ``LINE`` is still the physical line
  where the record starts. For XLSX it is the spreadsheet row number.
- Cell values are strings (``pl.String``); empty cells are null.
- Parsers never use floats: amounts are built from their digit strings as ``Int64``.
- Files are bounded before they are expanded: at most ``max_columns`` columns (refused at the
  first line read), and an XLSX archive is checked from its zip central directory (entries,
  uncompressed sizes, compression ratios) before openpyxl opens it, then from its sheet's
  declared dimension before any row is parsed (``check_xlsx_archive``, ``XlsxLimits``).
- Row problems are reason *codes* (stable, snake_case; see ``REASONS`` for English
  descriptions) so the caller can translate them; file problems raise ``TabularError``;
  a column whose format cannot be decided raises an ``Ambiguous`` subclass so the UI can
  ask the user and call again with an explicit ``style``/``order``.

Reading files is apart from parsing values:

- reading: ``csvfile`` (sniffing, quote-aware block scan, chunks), ``xlsxfile`` (archive
  limits, rows), ``reading`` (either format: chunks, header, first rows);
- values: ``amounts``, ``dates``, ``splits`` (split credits, share columns), ``formulas``
  (spreadsheet formula neutralising);
- ``validation`` (located row errors, duplicate keys, mapped columns) and ``common`` (the line
  column, the error schema, reason codes, exceptions, ``Chunk``).
"""
