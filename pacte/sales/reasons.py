"""Translated messages for the stable reason codes of import errors (row and file level)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils import formats
from django.utils.translation import gettext_lazy as _

from pacte import storage

ROW_REASONS: dict[str, Any] = {
    "too_few_fields": _("The line has fewer fields than the header."),
    "too_many_fields": _("The line has more fields than the header."),
    "amount_invalid": _("Not an amount."),
    "amount_too_many_decimals": _("More decimals than the currency has."),
    "amount_too_large": _("Amount too large."),
    "date_invalid": _("Not a date in the expected format."),
    "date_nonexistent": _("This date does not exist."),
    "split_malformed": _("Split credits must read email:percent;email:percent."),
    "split_bad_email": _("Not an e-mail address in the split credits."),
    "split_bad_percent": _("Not a percentage with at most two decimals."),
    "split_missing_percent": _("A percentage is missing in the split credits."),
    "split_negative_percent": _("A percentage is negative."),
    "split_zero_percent": _("A percentage is zero."),
    "split_duplicate_email": _("The same person is named twice in the credits."),
    "split_sum_not_100": _("Split percentages do not add up to 100%."),
    "duplicate_key": _("This id already appears on an earlier line."),
    "required_missing": _("This value is required."),
    "unknown_channel": _("No channel has this code or name."),
    "unknown_seller": _("Nobody in the workspace has this e-mail address."),
    "unknown_partner": _("No active partner of the workspace has this code."),
    "unknown_currency": _("No currency has this code (ISO 4217, e.g. CHF)."),
    "no_rate": _(
        "No exchange rate for this currency on this date: add one on the Currencies and rates page."
    ),
    "period_closed": _("The sale is dated in a closed period."),
    "no_credit": _("No seller on the line and no crediting rule gives one."),
    "overlay_malformed": _("Overlay credits must read email or email:percent, separated by ;."),
    "column_unexpected": _("This field is not expected."),
    "text_too_long": _("The text is too long."),
}

FILE_REASONS: dict[str, Any] = {
    "empty_file": _("The file is empty."),
    "no_rows": _("The file has a header but no data rows."),
    "bad_encoding": _(
        "The file is not valid text in its encoding: save it as UTF-8 (or check its encoding)."
    ),
    "not_text": _("This is not a text file."),
    "not_csv": _("This is an Excel file given as CSV."),
    "unsupported_format": _("Old Excel (.xls) files are not supported: save as .xlsx or CSV."),
    "unsupported_line_endings": _("Lines end with a lone carriage return: save the file again."),
    "no_header": _("The first line must be a header with the column names."),
    "duplicate_column": _("A column name appears twice in the header."),
    "unterminated_quote": _("A quoted field is never closed (a quote is missing)."),
    "malformed_csv": _("Some lines cannot be read: check the quotes."),
    "bad_xlsx": _("The spreadsheet cannot be opened."),
    "no_sheet": _("The spreadsheet has no such sheet."),
    "column_missing": _("A mapped column is not in the file."),
    "required_field_unmapped": _("Choose a column for every required field."),
    "ambiguous_dates": _(
        "The dates read both day-first and month-first: choose the date order and import again."
    ),
    "ambiguous_amounts": _(
        "The amounts read both with a decimal comma and a decimal point: choose the number "
        "format and import again."
    ),
    "too_many_columns": _(
        "The file has more than %(max_columns)s columns: keep only the columns to import."
    ),
    "too_many_rows": _("The sheet declares more rows than a spreadsheet can hold."),
    "xlsx_too_large": _(
        "The spreadsheet would expand to far more than its size (a compressed bomb, or a huge "
        "sheet): it was not opened. Save it as CSV, or remove its empty rows and columns."
    ),
    **storage.MESSAGES,
    "bad_json": _("The body is not a JSON array of objects nor JSON lines."),
    "cancelled": _("The import was cancelled; nothing was written."),
    "has_errors": _("Some lines are wrong; nothing was written. Fix them and import again."),
    "too_many_errors": _("Too many wrong lines; nothing was written."),
    "job_failed": _(
        "The import stopped on an unexpected error; nothing was written. Try again, and tell "
        "your administrator if it happens again."
    ),
    "retries_exhausted": _(
        "The import could not finish: the database kept failing after several attempts. "
        "Nothing was written; try again later."
    ),
    "worker_lost": _(
        "The import was interrupted several times (the process running it stopped). Nothing "
        "was written; try again, and tell your administrator if it happens again."
    ),
}


def row_message(code: str) -> str:
    return str(ROW_REASONS.get(code, code))


def file_message(code: str, fallback: str = "") -> str:
    if code not in FILE_REASONS:
        return fallback or code
    text = str(FILE_REASONS[code])
    if code == "too_many_columns":
        text = text % {"max_columns": formats.number_format(settings.PACTE_MAX_IMPORT_COLUMNS)}
    return text
