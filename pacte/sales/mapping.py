"""Mapping a file's columns to the fields of an import: guesses from the header and the
first rows, the mapping page's preview (first rows under each column, what was detected,
columns left out), and the checks before an import starts (a split-credit column left out)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

import polars as pl
from django.conf import settings
from django.utils.translation import gettext as _

from pacte import storage
from pacte.errors import DomainError
from pacte.lib.tabular import reading
from pacte.lib.tabular.amounts import parse_amounts
from pacte.lib.tabular.common import LINE, AmbiguousAmounts, AmbiguousDates, TabularError
from pacte.lib.tabular.csvfile import BLOCK_BYTES
from pacte.lib.tabular.dates import parse_dates
from pacte.lib.tabular.reading import Head
from pacte.lib.tabular.splits import looks_like_shares, looks_like_split_credits
from pacte.sales.models import MappingProfile
from pacte.sales.reasons import file_message

#: Column names (normalised: lower case, no accents, words joined by "_") a field is guessed
#: from, in order of preference, in English and French as spreadsheets and CRMs name them.
COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "external_id": (
        "external_id",
        "id",
        "sale_id",
        "order",
        "order_id",
        "order_number",
        "invoice",
        "invoice_id",
        "invoice_number",
        "reference",
        "ref",
        "numero",
        "n",
        "no",
        "commande",
        "numero_de_commande",
        "n_commande",
        "facture",
        "numero_de_facture",
        "n_facture",
        "n_de_commande",
        "n_de_facture",
        "sales_order_id",
        "identifiant",
        "id_vente",
    ),
    "date": (
        "date",
        "order_date",
        "sale_date",
        "invoice_date",
        "date_de_vente",
        "date_vente",
        "date_de_commande",
        "date_commande",
        "date_de_facture",
        "date_facture",
        # What CRMs and data sources call it (a nested field's dots read as "_").
        "close_date",
        "closedate",
        "closed_on",
        "won_time",
    ),
    "amount": (
        "amount",
        "montant",
        "total",
        "subtotal",
        "sub_total",
        "net",
        "net_amount",
        "revenue",
        "sales",
        "montant_ht",
        "montant_net",
        "total_ht",
        "ca",
        "chiffre_d_affaires",
        "ca_ht",
    ),
    "channel": ("channel", "canal", "sales_channel", "canal_de_vente"),
    "seller": (
        "seller",
        "vendeur",
        "sales_person",
        "salesperson",
        "email",
        "seller_email",
        "e_mail",
        "rep",
        "sales_rep",
        "commercial",
        "courriel",
        "email_vendeur",
        "owner_email",
        "user_email",
    ),
    "split": (
        "split",
        "splits",
        "split_credits",
        "split_credit",
        "credit_split",
        "credit_splits",
        "credit",
        "credits",
        "credit_share",
        "credits_share",
        "credit_pct",
        "split_pct",
        "share",
        "shares",
        "share_pct",
        "sales_credit",
        "sales_credits",
        "partage",
        "partages",
        "credits_partages",
        "partage_des_credits",
        "partage_credit",
        "partage_credits",
        "credit_partage",
        "quote_part",
        "quote_parts",
        "quotepart",
        "repartition",
        "repartition_credit",
        "pct",
        "percent",
        "percentage",
        "pourcentage",
    ),
    "overlay": ("overlay", "overlays", "credits_complementaires", "specialiste"),
    "currency": ("currency", "devise", "monnaie"),
    "customer": (
        "customer",
        "client",
        "account",
        "customer_name",
        "account_name",
        "compte",
        "nom_client",
        "raison_sociale",
    ),
    "territory": ("territory", "territoire", "region", "secteur", "zone"),
    "solution": ("solution", "offre", "offer"),
    "partner": (
        "partner",
        "partner_code",
        "partenaire",
        "code_partenaire",
        "distributor",
        "distributeur",
        "reseller",
        "revendeur",
    ),
}


def column_key(name: str) -> str:
    """A column name as ``COLUMN_ALIASES`` lists it: "N° de commande" → "n_de_commande",
    "OrderDate" → "order_date", "Crédit %" → "credit_pct"."""
    spelled = unicodedata.normalize("NFKD", name.replace("%", " pct "))
    plain = spelled.encode("ascii", "ignore").decode()
    words = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", plain)  # "OrderDate" → "Order_Date"
    return re.sub(r"[^a-z0-9]+", "_", words.lower()).strip("_")


def guess_mapping(
    columns: list[str],
    profile: MappingProfile | None = None,
    sample: pl.DataFrame | None = None,
) -> dict[str, str]:
    """A profile's mapping where its columns exist, else columns named like the fields (each
    column used once, the more specific fields first).

    With ``sample`` (the file's first rows), a column named like split credits is taken only
    when its cells read like them (``a@x.com:60;b@y.com:40``) or are empty, and a column whose
    cells read like split credits is taken whatever its name (unless it is named like overlay
    credits): otherwise every shared sale would count 100 % for the seller of its line."""
    if profile is not None:
        return {k: v for k, v in profile.mapping.items() if v in columns}
    normal: dict[str, str] = {}
    for column in columns:
        normal.setdefault(column_key(column), column)

    def fits(target: str, column: str) -> bool:
        if target != "split" or sample is None or column not in sample.columns:
            return True
        cells = sample.get_column(column)
        return looks_like_split_credits(cells) or cells.drop_nulls().is_empty()

    found: dict[str, str] = {}
    for target, names in COLUMN_ALIASES.items():
        for name in names:
            match = normal.get(name)
            if match is not None and match not in found.values() and fits(target, match):
                found[target] = match
                break
    if "split" not in found and sample is not None:
        overlay_names = set(COLUMN_ALIASES["overlay"])
        for column in columns:
            if (
                column not in found.values()
                and column in sample.columns
                and column_key(column) not in overlay_names
                and looks_like_split_credits(sample.get_column(column))
            ):
                found["split"] = column
                break
    return found


# --------------------------------------------------------------------------- preview

#: Rows of the file read for the guesses, the detection and the checks.
HEAD_ROWS = 1000
#: Rows shown under each column on the mapping page.
PREVIEW_ROWS = 5


def stored_head_bytes(name: str) -> int | None:
    """Bytes of a stored file to fetch for a look at its first rows: a CSV's first rows (up to a
    whole first chunk) lie in the scan's first block; an XLSX is needed whole (its zip
    directory is at its end)."""
    return None if name.lower().endswith(".xlsx") else 2 * BLOCK_BYTES


def read_head(name: str) -> Head:
    """The first rows of an uploaded file, read from the imports storage (a file problem is a
    ``DomainError``)."""
    try:
        with storage.local_copy(name, head_lines_of=stored_head_bytes(name)) as path:
            return reading.read_head(
                path, rows=HEAD_ROWS, max_columns=settings.PACTE_MAX_IMPORT_COLUMNS
            )
    except TabularError as exc:
        raise DomainError(file_message(exc.code, exc.message), code=exc.code, field="file") from exc
    except DomainError:
        raise
    except Exception as exc:  # a corrupt spreadsheet
        raise DomainError(file_message("bad_xlsx"), code="bad_xlsx", field="file") from exc


@dataclass(frozen=True)
class Detected:
    """How the file reads: ``kind`` (csv, xlsx), a CSV's ``encoding`` and ``delimiter``; the
    number style of the amount column (``fr``, ``en``, ``either`` when every value reads the
    same both ways, ``ambiguous``, ``unreadable``) and the date order of the date column
    (``iso``, ``dmy``, ``mdy``, ``either``, ``ambiguous``, ``unreadable``), each with a few
    values; None when the field has no column."""

    kind: str
    encoding: str | None = None
    bom: bool = False
    delimiter: str | None = None
    amount_column: str | None = None
    amount_style: str | None = None
    amount_examples: tuple[str, ...] = ()
    date_column: str | None = None
    date_order: str | None = None
    date_examples: tuple[str, ...] = ()


def describe(detected: Detected) -> list[tuple[str, str]]:
    """What was detected, in words of the active language: (what, how it reads) pairs."""
    encodings = {
        "utf-8": _("UTF-8"),
        "utf-16-le": _("UTF-16 (little-endian)"),
        "utf-16-be": _("UTF-16 (big-endian)"),
        "cp1252": _("Windows-1252 (Western European)"),
    }
    delimiters = {
        ",": _("comma (,)"),
        ";": _("semicolon (;)"),
        "\t": _("tab"),
        "|": _("vertical bar (|)"),
    }
    amount_styles = {
        "fr": _("decimal comma (1 234,56)"),
        "en": _("decimal point (1,234.56)"),
        "either": _("whole numbers: they read the same in both styles"),
        "ambiguous": _("undecided: these values read both ways, choose the number format"),
        "unreadable": _("these values do not read as amounts"),
    }
    date_orders = {
        "iso": _("year first (2026-11-28)"),
        "dmy": _("day first (28/11/2026)"),
        "mdy": _("month first (11/28/2026)"),
        "either": _("undecided: every day is also a valid month, both orders read the same"),
        "ambiguous": _("undecided: these dates read both ways, choose the date order"),
        "unreadable": _("these values do not read as dates"),
    }
    rows: list[tuple[str, str]] = []
    if detected.kind == "xlsx":
        rows.append((_("File"), _("Excel workbook (XLSX), first sheet")))
    else:
        encoding = encodings.get(detected.encoding or "", detected.encoding or "")
        if detected.bom:
            encoding = _("%(encoding)s with a byte order mark") % {"encoding": encoding}
        rows.append((_("File"), _("CSV text, %(encoding)s") % {"encoding": encoding}))
        rows.append(
            (
                _("Columns separated by"),
                str(delimiters.get(detected.delimiter or "", detected.delimiter or "")),
            )
        )
    for column, style, examples, labels, what in (
        (
            detected.amount_column,
            detected.amount_style,
            detected.amount_examples,
            amount_styles,
            _("Amounts (column “%(column)s”)"),
        ),
        (
            detected.date_column,
            detected.date_order,
            detected.date_examples,
            date_orders,
            _("Dates (column “%(column)s”)"),
        ),
    ):
        if column is None or style is None:
            continue
        text = str(labels[style])
        if examples:
            text = _("%(style)s, e.g. %(examples)s") % {
                "style": text,
                "examples": ", ".join(examples),
            }
        rows.append((what % {"column": column}, text))
    return rows


@dataclass(frozen=True)
class MappingWarning:
    """A column that looks like split credits but is not imported.

    ``code``: ``split_unmapped`` (its cells read ``a@x:60;b@y:40``) or ``shares_unmapped``
    (named or filled like a share while the same sale appears on several lines with different
    sellers: ``sale`` and its ``lines``)."""

    code: str
    column: str
    example: str = ""
    sale: str | None = None
    lines: tuple[int, ...] = ()

    @property
    def message(self) -> str:
        if self.code == "split_unmapped":
            return _(
                "The column “%(column)s” reads like split credits (e.g. “%(example)s”) but is "
                "not imported: every sale would count 100 %% for the seller of its line. "
                "Choose it for “Split credits”, or confirm that it is not a split."
            ) % {"column": self.column, "example": self.example}
        return _(
            "Sale “%(sale)s” appears on lines %(lines)s with different sellers, and the "
            "column “%(column)s” looks like each seller's share but is not imported. Pacte "
            "reads the split of a sale from one cell on one line (a@x:60;b@y:40): as it is, "
            "these lines are refused as repeated sales."
        ) % {
            "sale": self.sale,
            "lines": ", ".join(str(n) for n in self.lines),
            "column": self.column,
        }


@dataclass(frozen=True)
class ColumnPreview:
    name: str
    field: str | None  # the import field it fills, None when not imported
    values: tuple[str | None, ...]
    warned: bool = False

    @property
    def field_label(self) -> str:
        from pacte.sales.labels import FIELD_LABELS

        return str(FIELD_LABELS[self.field]) if self.field else ""


@dataclass(frozen=True)
class Preview:
    columns: list[ColumnPreview]
    lines: list[int]
    detected: Detected
    warnings: list[MappingWarning] = field(default_factory=list)

    @property
    def unused(self) -> list[str]:
        return [c.name for c in self.columns if c.field is None]

    @property
    def described(self) -> list[tuple[str, str]]:
        return describe(self.detected)

    @property
    def rows(self) -> list[tuple[int, list[tuple[ColumnPreview, str | None]]]]:
        """(line, [(column, value)…]) per previewed row, for a table in file order."""
        return [
            (line, [(column, column.values[i]) for column in self.columns])
            for i, line in enumerate(self.lines)
        ]


def _examples(values: pl.Series, n: int = 3) -> tuple[str, ...]:
    text = values.cast(pl.String).str.strip_chars()
    return tuple(str(v) for v in text.filter(text.is_not_null() & (text != "")).head(n))


def detect(head: Head, mapping: dict[str, str]) -> Detected:
    """What the first rows say about the file and its amount and date columns (the same
    readers as the import: ``parse_amounts`` and ``parse_dates``)."""
    sniffed = head.sniffed
    found: dict[str, Any] = {"kind": head.kind}
    if sniffed is not None:
        found.update(
            encoding=sniffed.encoding, bom=sniffed.bom_length > 0, delimiter=sniffed.delimiter
        )
    amount = mapping.get("amount")
    if amount and amount in head.frame.columns:
        cells = head.frame.get_column(amount)
        found.update(amount_column=amount, amount_examples=_examples(cells))
        try:
            parsed = parse_amounts(cells)
        except AmbiguousAmounts as exc:
            found.update(amount_style="ambiguous", amount_examples=exc.examples)
        else:
            present = cells.cast(pl.String).str.strip_chars().fill_null("") != ""
            if present.any() and parsed.reasons.filter(present).is_not_null().all():
                found["amount_style"] = "unreadable"
            else:
                found["amount_style"] = parsed.style or "either"
    date = mapping.get("date")
    if date and date in head.frame.columns:
        cells = head.frame.get_column(date)
        found.update(date_column=date, date_examples=_examples(cells))
        try:
            dates = parse_dates(cells)
        except AmbiguousDates as exc:
            found.update(date_order="ambiguous", date_examples=exc.examples)
        else:
            present = cells.cast(pl.String).str.strip_chars().fill_null("") != ""
            if present.any() and dates.reasons.filter(present).is_not_null().all():
                found["date_order"] = "unreadable"
            else:
                found["date_order"] = dates.order or "either"
    return Detected(**found)


def _repeated_sale(head: Head, mapping: dict[str, str]) -> tuple[str, list[int]] | None:
    """A sale id of the first rows that appears on several lines with different sellers."""
    key, seller = mapping.get("external_id"), mapping.get("seller")
    frame = head.frame
    if not key or key not in frame.columns:
        return None
    people = pl.col(seller) if seller and seller in frame.columns else pl.lit(None)
    repeated = (
        frame.select(LINE, key=pl.col(key), who=people)
        .filter(pl.col("key").is_not_null())
        .group_by("key", maintain_order=True)
        .agg(pl.col(LINE), sellers=pl.col("who").n_unique(), n=pl.len())
        .filter((pl.col("n") > 1) & ((pl.col("sellers") > 1) | pl.lit(seller is None)))
    )
    if repeated.is_empty():
        return None
    first = repeated.row(0, named=True)
    return str(first["key"]), [int(n) for n in first[LINE][:5]]


def check(head: Head, mapping: dict[str, str]) -> list[MappingWarning]:
    """Columns left out of ``mapping`` that look like split credits (see ``MappingWarning``)."""
    used = {column for column in mapping.values() if column}
    if mapping.get("split"):
        return []
    unused = [c for c in head.columns if c not in used]
    warnings: list[MappingWarning] = []
    overlay_names = set(COLUMN_ALIASES["overlay"])
    for column in unused:
        cells = head.frame.get_column(column)
        if column_key(column) not in overlay_names and looks_like_split_credits(cells):
            example = _examples(cells, 1)
            warnings.append(MappingWarning("split_unmapped", column, example[0] if example else ""))
    if warnings:
        return warnings
    repeated = _repeated_sale(head, mapping)
    if repeated is None:
        return []
    share_names = set(COLUMN_ALIASES["split"])
    for column in unused:
        cells = head.frame.get_column(column)
        if column_key(column) in share_names or looks_like_shares(cells):
            example = _examples(cells, 1)
            warnings.append(
                MappingWarning(
                    "shares_unmapped",
                    column,
                    example[0] if example else "",
                    sale=repeated[0],
                    lines=tuple(repeated[1]),
                )
            )
    return warnings


def preview(head: Head, mapping: dict[str, str], *, rows: int = PREVIEW_ROWS) -> Preview:
    """The mapping page's preview of ``head`` under ``mapping`` (field → column)."""
    fields = {column: name for name, column in mapping.items() if column}
    warnings = check(head, mapping)
    warned = {w.column for w in warnings}
    top = head.frame.head(rows)
    return Preview(
        columns=[
            ColumnPreview(
                name=column,
                field=fields.get(column),
                values=tuple(top.get_column(column).to_list()),
                warned=column in warned,
            )
            for column in head.columns
        ],
        lines=top.get_column(LINE).to_list(),
        detected=detect(head, mapping),
        warnings=warnings,
    )
