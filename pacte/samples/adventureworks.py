"""Framework-free reader of the AdventureWorks sample files.

The files and their quirks are described in
``../shared/datasets/adventureworks/README.md`` (relative to the repository root). A
compressed copy ships with Pacte, with its MIT licence, in :data:`SHIPPED`: each ``NAME.csv``
stored as ``NAME.csv.gz`` (see its ``README.md``); the reader opens ``NAME`` or, when absent,
``NAME.gz``, so it reads that copy and an uncompressed folder alike. This module turns them
into typed, frozen data that ``pacte load-sample adventureworks`` and tests can use without
Django:

>>> sample = load()  # the shipped copy; load(Path(".../raw")) reads another folder
>>> sample.orders.group_by("channel").agg(pl.col("subtotal_cents").sum())  # doctest: +SKIP

Money is exact and never a float. ``SubTotal`` has up to 4 decimals, so every order
keeps it twice:

* ``subtotal_e4`` — the exact amount in units of 1/10,000 of the currency (``Int64``);
* ``subtotal_cents`` — that amount rounded half-to-even to whole cents, **per order**.

Company, channel, year and seller totals in cents are sums of the per-order cents (the
sum of rounded values, as a ledger of sales in cents would hold them), which can differ by
a few cents from the rounded sum of ``subtotal_e4``. Quota amounts are whole currency units
in the files and are converted exactly to cents. Amounts are in US dollars (:data:`CURRENCY`).
"""

from __future__ import annotations

import gzip
import io
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from pathlib import Path
from types import MappingProxyType
from typing import Final

import polars as pl

__all__ = [
    "CHANNEL_DISTRIBUTORS",
    "CHANNEL_E_COMMERCE",
    "CURRENCY",
    "EMAIL_DOMAIN",
    "FILES",
    "ORDER_SCHEMA",
    "SHIPPED",
    "AdventureWorksError",
    "Customer",
    "CustomerKind",
    "Person",
    "Quota",
    "Sample",
    "Territory",
    "TerritoryAssignment",
    "decode_hierarchyid",
    "e4_to_cents",
    "format_hierarchyid",
    "load",
    "parse_amount_e4",
]

CURRENCY: Final = "USD"
EMAIL_DOMAIN: Final = "adventure-works.example"
CHANNEL_E_COMMERCE: Final = "e-commerce"
CHANNEL_DISTRIBUTORS: Final = "distributors"

#: The copy shipped with Pacte: what :func:`load` reads when given no folder.
SHIPPED: Final = Path(__file__).resolve().parent / "data" / "adventureworks"

#: Every file the reader opens, relative to the directory given to :func:`load` (each may be
#: stored gzip-compressed as ``NAME.gz`` instead).
FILES: Final = (
    "SalesOrderHeader.csv.gz",
    "Person.csv.gz",
    "SalesPerson.csv",
    "SalesPersonQuotaHistory.csv",
    "SalesTerritory.csv",
    "SalesTerritoryHistory.csv",
    "Employee.csv",
    "Customer.csv",
    "Store.csv",
)

#: Columns of :attr:`Sample.orders`, in order.
ORDER_SCHEMA: Final = pl.Schema(
    {
        "sales_order_id": pl.Int64,
        "sales_order_number": pl.String,
        "order_date": pl.Date,
        "online": pl.Boolean,
        "channel": pl.String,
        "sales_person_id": pl.Int64,  # null on online orders
        "customer_id": pl.Int64,
        "territory_id": pl.Int64,
        "subtotal_e4": pl.Int64,  # exact SubTotal in 1/10,000 of a dollar
        "subtotal_cents": pl.Int64,  # subtotal_e4 rounded half-to-even to cents
    }
)

_CEO_ID: Final = 1
_VP_SALES_ID: Final = 273

_ORDER_COLUMNS: Final = (
    "SalesOrderID",
    "RevisionNumber",
    "OrderDate",
    "DueDate",
    "ShipDate",
    "Status",
    "OnlineOrderFlag",
    "SalesOrderNumber",
    "PurchaseOrderNumber",
    "AccountNumber",
    "CustomerID",
    "SalesPersonID",
    "TerritoryID",
    "BillToAddressID",
    "ShipToAddressID",
    "ShipMethodID",
    "CreditCardID",
    "CreditCardApprovalCode",
    "CurrencyRateID",
    "SubTotal",
    "TaxAmt",
    "Freight",
    "TotalDue",
    "Comment",
    "rowguid",
    "ModifiedDate",
)
_PERSON_COLUMNS: Final = (
    "BusinessEntityID",
    "PersonType",
    "NameStyle",
    "Title",
    "FirstName",
    "MiddleName",
    "LastName",
    "Suffix",
    "EmailPromotion",
    "AdditionalContactInfo",
    "Demographics",
    "rowguid",
    "ModifiedDate",
)
_CUSTOMER_COLUMNS: Final = (
    "CustomerID",
    "PersonID",
    "StoreID",
    "TerritoryID",
    "AccountNumber",
    "rowguid",
    "ModifiedDate",
)
_STORE_COLUMNS: Final = (
    "BusinessEntityID",
    "Name",
    "SalesPersonID",
    "Demographics",
    "rowguid",
    "ModifiedDate",
)

_AMOUNT_RE: Final = r"^-?[0-9]+(\.[0-9]{1,4})?$"
_AMOUNT_PY_RE: Final = re.compile(_AMOUNT_RE)


class AdventureWorksError(ValueError):
    """A sample file is missing or does not look as the README describes."""


class CustomerKind(StrEnum):
    INDIVIDUAL = "individual"
    STORE = "store"
    STORE_CONTACT = "store_contact"


@dataclass(frozen=True, slots=True)
class Person:
    """A member of the sales organisation (the CEO, the VP of Sales, the sales people)."""

    business_entity_id: int
    first_name: str
    middle_name: str | None
    last_name: str
    job_title: str
    hire_date: date
    manager_id: int | None  # None for the CEO only
    organization_node: str  # hierarchyid as upper-case hex, "" for the root
    org_path: str  # decoded hierarchyid, e.g. "/6/1/"
    level: int  # depth below the CEO (CEO = 0)
    email: str  # synthetic, ASCII, unique: first.last@adventure-works.example
    is_sales_person: bool  # has a row in SalesPerson (274–290)
    territory_id: int | None  # SalesPerson.TerritoryID (None for the regional managers)

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


@dataclass(frozen=True, slots=True)
class Territory:
    territory_id: int
    name: str
    country: str  # ISO 3166 alpha-2 (CountryRegionCode)
    group: str  # "North America", "Europe", "Pacific"


@dataclass(frozen=True, slots=True)
class TerritoryAssignment:
    """A row of SalesTerritoryHistory: a sales person in a territory from start to end."""

    sales_person_id: int
    territory_id: int
    start_date: date
    end_date: date | None  # None while open


@dataclass(frozen=True, slots=True)
class Customer:
    customer_id: int
    kind: CustomerKind
    #: the store name for stores and store contacts (the account), else the person's name
    display_name: str
    territory_id: int
    person_id: int | None
    store_id: int | None
    person_name: str | None  # "First Last" of the person, when there is one
    store_sales_person_id: int | None  # Store.SalesPersonID, for stores and store contacts
    account_number: str


@dataclass(frozen=True, slots=True)
class Quota:
    """A quarterly quota, mapped to the calendar quarter that contains its ``quota_date``."""

    sales_person_id: int
    quota_date: date
    quarter_start: date  # first day of the calendar quarter containing quota_date
    year: int
    quarter: int  # 1–4
    amount_cents: int


@dataclass(frozen=True, slots=True, eq=False)
class Sample:
    """Everything read from the sample. Collections are sorted by their ids.

    ``orders`` is a Polars DataFrame with :data:`ORDER_SCHEMA`; treat it as read-only.
    The ``*_by_id`` properties build a new read-only mapping on each call: keep the result.
    """

    people: tuple[Person, ...]
    territories: tuple[Territory, ...]
    sales_territory_history: tuple[TerritoryAssignment, ...]
    customers: tuple[Customer, ...]
    orders: pl.DataFrame
    quotas: tuple[Quota, ...]

    @property
    def people_by_id(self) -> Mapping[int, Person]:
        return MappingProxyType({p.business_entity_id: p for p in self.people})

    @property
    def sales_people(self) -> tuple[Person, ...]:
        return tuple(p for p in self.people if p.is_sales_person)

    @property
    def territories_by_id(self) -> Mapping[int, Territory]:
        return MappingProxyType({t.territory_id: t for t in self.territories})

    @property
    def customers_by_id(self) -> Mapping[int, Customer]:
        return MappingProxyType({c.customer_id: c for c in self.customers})


# --------------------------------------------------------------------------- amounts


def parse_amount_e4(text: str) -> int:
    """Parse a decimal string with at most 4 decimals into exact units of 1/10,000."""
    if not _AMOUNT_PY_RE.match(text):
        raise AdventureWorksError(f"not an amount with at most 4 decimals: {text!r}")
    negative = text.startswith("-")
    whole, _, frac = text.lstrip("-").partition(".")
    units = int(whole) * 10_000 + int(frac.ljust(4, "0"))
    return -units if negative else units


def e4_to_cents(units: int) -> int:
    """Round an amount in 1/10,000 units to whole cents, half to even."""
    q, r = divmod(units, 100)  # floor division: 0 <= r < 100
    if r > 50 or (r == 50 and q % 2 == 1):
        q += 1
    return q


def _amount_e4_expr(column: str) -> pl.Expr:
    """Vectorised :func:`parse_amount_e4` (the column must already be validated)."""
    col = pl.col(column)
    digits = col.str.strip_prefix("-")
    whole = digits.str.split_exact(".", 1).struct.field("field_0").cast(pl.Int64)
    frac = (
        digits.str.split_exact(".", 1)
        .struct.field("field_1")
        .fill_null("")
        .str.pad_end(4, "0")
        .cast(pl.Int64)
    )
    units = whole * 10_000 + frac
    return pl.when(col.str.starts_with("-")).then(-units).otherwise(units)


def _e4_to_cents_expr(units: pl.Expr) -> pl.Expr:
    """Vectorised :func:`e4_to_cents`."""
    q = units.floordiv(100)
    r = units - q * 100
    up = (r > 50) | ((r == 50) & ((q - q.floordiv(2) * 2) == 1))
    return q + up.cast(pl.Int64)


# ----------------------------------------------------------------------- hierarchyid

# (minimum label, bit pattern) of SQL Server's hierarchyid label encoding, as published in
# [MS-SSCLRT] 2.1.1.1: the prefix bits, then "x" value bits (label - minimum, most
# significant first) interleaved with fixed bits, then T: 1 ends the level ("/"), 0 means
# the label continues after a dot, in which case the encoded integer is one more than the
# component. Labels beyond these ranges are not used by AdventureWorks and are refused.
_HIERARCHYID_PATTERNS: Final = (
    (0, "01xxT"),
    (4, "100xxT"),
    (8, "101xxxT"),
    (16, "110xx0x1xxxT"),
    (80, "1110xxx0xxx0x1xxxT"),
    (1104, "11110xxxxx0xxx0x1xxxT"),
    (-8, "00111xxxT"),
    (-72, "0010xx0x1xxxT"),
    (-4168, "000110xxxxx0xxx0x1xxxT"),
)


def decode_hierarchyid(hex_value: str) -> tuple[tuple[int, ...], ...]:
    """Decode a SQL Server ``hierarchyid`` written as hex into its path.

    Each level is a tuple of its dot-separated integers: ``"9560"`` → ``((6,), (1,))``,
    i.e. ``/6/1/``. The empty string is the root, ``()``.
    """
    text = hex_value.strip()
    if text.lower().startswith("0x"):
        text = text[2:]
    try:
        raw = bytes.fromhex(text)
    except ValueError:
        raise AdventureWorksError(f"hierarchyid is not hex: {hex_value!r}") from None
    bits = "".join(f"{byte:08b}" for byte in raw)
    levels: list[tuple[int, ...]] = []
    components: list[int] = []
    pos = 0
    while "1" in bits[pos:]:  # what is left after the last level is zero padding
        match = next(
            (
                (minimum, pattern)
                for minimum, pattern in _HIERARCHYID_PATTERNS
                if bits.startswith(pattern[: pattern.index("x")], pos)
                and pos + len(pattern) <= len(bits)
            ),
            None,
        )
        if match is None:
            raise AdventureWorksError(f"unsupported hierarchyid label in {hex_value!r}")
        minimum, pattern = match
        prefix = pattern[: pattern.index("x")]
        value = 0
        for i, kind in enumerate(pattern[len(prefix) :], start=pos + len(prefix)):
            bit = bits[i]
            if kind == "x":
                value = value * 2 + int(bit)
            elif kind == "T":
                label = minimum + value
                if bit == "1":
                    components.append(label)
                    levels.append(tuple(components))
                    components = []
                else:
                    components.append(label - 1)
            elif bit != kind:
                raise AdventureWorksError(f"malformed hierarchyid {hex_value!r}")
        pos += len(pattern)
    if components:
        raise AdventureWorksError(f"hierarchyid ends inside a level: {hex_value!r}")
    return tuple(levels)


def format_hierarchyid(path: tuple[tuple[int, ...], ...]) -> str:
    """The logical representation of a path: ``((6,), (1,))`` → ``"/6/1/"``."""
    return "/" + "".join(".".join(map(str, level)) + "/" for level in path)


# ---------------------------------------------------------------------------- files


def _read(directory: Path, name: str) -> bytes:
    """The content of ``name`` in ``directory``, or of its gzip-compressed copy ``name.gz``."""
    path = directory / name
    if path.is_file():
        return path.read_bytes()
    packed = directory / f"{name}.gz"
    if not name.endswith(".gz") and packed.is_file():
        try:
            return gzip.decompress(packed.read_bytes())
        except (OSError, EOFError):
            raise AdventureWorksError(f"not a gzip file: {packed}") from None
    raise AdventureWorksError(f"missing AdventureWorks file: {path}")


def _read_tsv(directory: Path, name: str, columns: tuple[str, ...]) -> pl.DataFrame:
    """A header-less, tab-delimited, unquoted file, every column as a string."""
    frame = pl.read_csv(
        io.BytesIO(_read(directory, name)),
        separator="\t",
        has_header=False,
        new_columns=list(columns),
        schema_overrides=dict.fromkeys(columns, pl.String),
        quote_char=None,
        empty_string_is_null=True,
    )
    if frame.width != len(columns):
        raise AdventureWorksError(f"{name}: expected {len(columns)} columns, got {frame.width}")
    return frame


def _lines(directory: Path, name: str, width: int) -> list[list[str]]:
    """A small header-less, tab-delimited, unquoted text file, as lists of fields."""
    text = _read(directory, name).decode("utf-8")
    rows = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line:
            continue
        fields = line.split("\t")
        if len(fields) != width:
            raise AdventureWorksError(f"{name}:{number}: expected {width} fields")
        rows.append(fields)
    return rows


def _date(text: str, where: str) -> date:
    """``YYYY-MM-DD`` or ``YYYY-MM-DD 00:00:00``."""
    day, _, time = text.partition(" ")
    if time not in ("", "00:00:00"):
        raise AdventureWorksError(f"{where}: expected a date at midnight, got {text!r}")
    try:
        return date.fromisoformat(day)
    except ValueError:
        raise AdventureWorksError(f"{where}: bad date {text!r}") from None


def _optional_int(text: str) -> int | None:
    return int(text) if text else None


def _read_person_names(directory: Path) -> dict[int, tuple[str, str, str]]:
    """(first, middle, last) by BusinessEntityID from the UTF-16 ``+|``/``&|`` Person file."""
    raw = gzip.decompress(_read(directory, "Person.csv.gz"))
    if not raw.startswith(b"\xff\xfe"):
        raise AdventureWorksError("Person.csv.gz: expected UTF-16LE with a byte order mark")
    records = raw[2:].decode("utf-16-le").split("&|\r\n")
    header = records[0].split("+|")
    if tuple(header) != _PERSON_COLUMNS:
        raise AdventureWorksError(f"Person.csv.gz: unexpected header {header!r}")
    names: dict[int, tuple[str, str, str]] = {}
    for number, record in enumerate(records[1:], start=2):
        if not record:
            continue
        fields = record.split("+|")
        if len(fields) != len(_PERSON_COLUMNS):
            raise AdventureWorksError(f"Person.csv.gz: record {number} has {len(fields)} fields")
        names[int(fields[0])] = (fields[4], fields[5], fields[6])
    return names


# -------------------------------------------------------------------------- readers


def _read_orders(directory: Path) -> pl.DataFrame:
    raw = gzip.decompress(_read(directory, "SalesOrderHeader.csv.gz"))
    header, _, body = raw.partition(b"\r\n")
    names = tuple(name.strip() for name in header.decode("ascii").split("\t"))
    if names != _ORDER_COLUMNS:
        raise AdventureWorksError(f"SalesOrderHeader.csv.gz: unexpected header {names!r}")
    frame = pl.read_csv(
        io.BytesIO(body),
        separator="\t",
        has_header=False,
        new_columns=list(_ORDER_COLUMNS),
        schema_overrides=dict.fromkeys(_ORDER_COLUMNS, pl.String),
        quote_char=None,
        eol_char="\n",
        empty_string_is_null=True,
    )
    # CRLF rows: the \r stays on the last column (ModifiedDate), which is not used.
    checks = {
        "SalesOrderID is missing": pl.col("SalesOrderID").is_not_null(),
        "OrderDate is not a date at midnight": pl.col("OrderDate").str.contains(
            r"^[0-9]{4}-[0-9]{2}-[0-9]{2} 00:00:00$"
        ),
        "OnlineOrderFlag is not 0 or 1": pl.col("OnlineOrderFlag").is_in(["0", "1"]),
        "CustomerID is missing": pl.col("CustomerID").is_not_null(),
        "TerritoryID is missing": pl.col("TerritoryID").is_not_null(),
        "SubTotal is not an amount with at most 4 decimals": pl.col("SubTotal").str.contains(
            _AMOUNT_RE
        ),
    }
    numbered = frame.with_row_index("line", offset=2)
    for reason, check in checks.items():
        bad = numbered.filter(~check.fill_null(value=False))
        if bad.height:
            raise AdventureWorksError(
                f"SalesOrderHeader.csv.gz:{bad['line'][0]}: {reason} "
                f"({bad.height} such rows in all)"
            )
    online = pl.col("OnlineOrderFlag") == "1"
    subtotal_e4 = _amount_e4_expr("SubTotal")
    orders = frame.select(
        pl.col("SalesOrderID").cast(pl.Int64).alias("sales_order_id"),
        pl.col("SalesOrderNumber").alias("sales_order_number"),
        pl.col("OrderDate").str.slice(0, 10).str.to_date("%Y-%m-%d").alias("order_date"),
        online.alias("online"),
        pl.when(online)
        .then(pl.lit(CHANNEL_E_COMMERCE))
        .otherwise(pl.lit(CHANNEL_DISTRIBUTORS))
        .alias("channel"),
        pl.col("SalesPersonID").cast(pl.Int64).alias("sales_person_id"),
        pl.col("CustomerID").cast(pl.Int64).alias("customer_id"),
        pl.col("TerritoryID").cast(pl.Int64).alias("territory_id"),
        subtotal_e4.alias("subtotal_e4"),
        _e4_to_cents_expr(subtotal_e4).alias("subtotal_cents"),
    ).sort("sales_order_id")
    if orders["sales_order_id"].is_duplicated().any():
        raise AdventureWorksError("SalesOrderHeader.csv.gz: duplicate SalesOrderID")
    if orders.schema != ORDER_SCHEMA:
        raise AssertionError(f"orders schema drifted: {orders.schema}")
    return orders


def _email_local_part(first: str, last: str) -> str:
    folded = unicodedata.normalize("NFKD", f"{first}.{last}")
    ascii_text = folded.encode("ascii", "ignore").decode("ascii").lower()
    parts = [re.sub(r"[^a-z0-9]+", "-", part).strip("-") for part in ascii_text.split(".")]
    return ".".join(part for part in parts if part)


def _read_people(directory: Path, names: Mapping[int, tuple[str, str, str]]) -> tuple[Person, ...]:
    employees = {int(row[0]): row for row in _lines(directory, "Employee.csv", 16)}
    sales_people = {int(row[0]): row for row in _lines(directory, "SalesPerson.csv", 9)}
    paths: dict[tuple[tuple[int, ...], ...], int] = {}
    decoded: dict[int, tuple[tuple[int, ...], ...]] = {}
    for employee_id, row in employees.items():
        path = decode_hierarchyid(row[3])
        if len(path) != int(row[4]):
            raise AdventureWorksError(
                f"Employee {employee_id}: node {row[3]!r} has depth {len(path)}, "
                f"OrganizationLevel says {row[4]}"
            )
        if path in paths:
            raise AdventureWorksError(f"Employee {employee_id}: node {row[3]!r} is not unique")
        paths[path] = employee_id
        decoded[employee_id] = path

    wanted = sorted({_CEO_ID, _VP_SALES_ID, *sales_people})
    missing = [i for i in wanted if i not in employees]
    if missing:
        raise AdventureWorksError(f"Employee.csv: no row for {missing}")
    people = []
    used: set[str] = set()
    for person_id in wanted:
        row = employees[person_id]
        if person_id not in names:
            raise AdventureWorksError(f"Person.csv.gz: no row for {person_id}")
        first, middle, last = names[person_id]
        path = decoded[person_id]
        manager_id = paths.get(path[:-1]) if path else None
        if path and manager_id is None:
            raise AdventureWorksError(f"Employee {person_id}: no employee at the parent node")
        local = _email_local_part(first, last) or f"person-{person_id}"
        candidate, n = local, 1
        while candidate in used:
            n += 1
            candidate = f"{local}{n}"
        used.add(candidate)
        sales_row = sales_people.get(person_id)
        people.append(
            Person(
                business_entity_id=person_id,
                first_name=first,
                middle_name=middle or None,
                last_name=last,
                job_title=row[5],
                hire_date=_date(row[9], f"Employee {person_id} HireDate"),
                manager_id=manager_id,
                organization_node=row[3].upper(),
                org_path=format_hierarchyid(path),
                level=len(path),
                email=f"{candidate}@{EMAIL_DOMAIN}",
                is_sales_person=sales_row is not None,
                territory_id=_optional_int(sales_row[1]) if sales_row else None,
            )
        )
    return tuple(people)


def _read_territories(directory: Path) -> tuple[Territory, ...]:
    return tuple(
        sorted(
            (
                Territory(territory_id=int(r[0]), name=r[1], country=r[2], group=r[3])
                for r in _lines(directory, "SalesTerritory.csv", 10)
            ),
            key=lambda t: t.territory_id,
        )
    )


def _read_territory_history(directory: Path) -> tuple[TerritoryAssignment, ...]:
    rows = sorted(_lines(directory, "SalesTerritoryHistory.csv", 7), key=lambda r: int(r[0]))
    return tuple(
        TerritoryAssignment(
            sales_person_id=int(r[1]),
            territory_id=int(r[2]),
            start_date=_date(r[3], f"SalesTerritoryHistory {r[0]} StartDate"),
            end_date=_date(r[4], f"SalesTerritoryHistory {r[0]} EndDate") if r[4] else None,
        )
        for r in rows
    )


def _read_quotas(directory: Path) -> tuple[Quota, ...]:
    rows = sorted(_lines(directory, "SalesPersonQuotaHistory.csv", 6), key=lambda r: int(r[0]))
    quotas = []
    seen: set[tuple[int, date]] = set()
    for r in rows:
        person_id = int(r[1])
        quota_date = _date(r[2], f"SalesPersonQuotaHistory {r[0]} QuotaDate")
        quarter = (quota_date.month - 1) // 3 + 1
        quarter_start = date(quota_date.year, 3 * quarter - 2, 1)
        if (person_id, quarter_start) in seen:
            raise AdventureWorksError(
                f"SalesPersonQuotaHistory {r[0]}: second quota of {person_id} in {quarter_start}"
            )
        seen.add((person_id, quarter_start))
        quotas.append(
            Quota(
                sales_person_id=person_id,
                quota_date=quota_date,
                quarter_start=quarter_start,
                year=quota_date.year,
                quarter=quarter,
                amount_cents=e4_to_cents(parse_amount_e4(r[3])),
            )
        )
    return tuple(sorted(quotas, key=lambda q: (q.sales_person_id, q.quota_date)))


def _read_customers(
    directory: Path, names: Mapping[int, tuple[str, str, str]]
) -> tuple[Customer, ...]:
    customers = _read_tsv(directory, "Customer.csv", _CUSTOMER_COLUMNS)
    stores = pl.read_csv(
        io.BytesIO(_read(directory, "Store.csv")),
        separator="\t",
        has_header=False,
        new_columns=list(_STORE_COLUMNS),
        schema_overrides=dict.fromkeys(_STORE_COLUMNS, pl.String),
        quote_char='"',
        empty_string_is_null=True,
    )
    store_rows = {
        int(r[0]): (r[1], _optional_int(r[2] or ""))
        for r in stores.select("BusinessEntityID", "Name", "SalesPersonID").iter_rows()
    }
    result = []
    for customer_id, person, store, territory, account in customers.select(
        "CustomerID", "PersonID", "StoreID", "TerritoryID", "AccountNumber"
    ).iter_rows():
        person_id = _optional_int(person or "")
        store_id = _optional_int(store or "")
        person_name = None
        if person_id is not None:
            if person_id not in names:
                raise AdventureWorksError(f"Customer {customer_id}: no person {person_id}")
            first, _middle, last = names[person_id]
            person_name = f"{first} {last}"
        store_name, store_seller = None, None
        if store_id is not None:
            if store_id not in store_rows:
                raise AdventureWorksError(f"Customer {customer_id}: no store {store_id}")
            store_name, store_seller = store_rows[store_id]
        if store_name is not None:
            kind = CustomerKind.STORE if person_name is None else CustomerKind.STORE_CONTACT
            display_name = store_name
        elif person_name is not None:
            kind, display_name = CustomerKind.INDIVIDUAL, person_name
        else:
            raise AdventureWorksError(f"Customer {customer_id}: neither person nor store")
        result.append(
            Customer(
                customer_id=int(customer_id),
                kind=kind,
                display_name=display_name,
                territory_id=int(territory),
                person_id=person_id,
                store_id=store_id,
                person_name=person_name,
                store_sales_person_id=store_seller,
                account_number=account,
            )
        )
    return tuple(sorted(result, key=lambda c: c.customer_id))


def load(directory: Path = SHIPPED) -> Sample:
    """Read the AdventureWorks files in ``directory``: the dataset's ``raw/`` folder, or by
    default the compressed copy shipped with Pacte."""
    directory = Path(directory)
    if not directory.is_dir():
        raise AdventureWorksError(f"not a directory: {directory}")
    names = _read_person_names(directory)
    return Sample(
        people=_read_people(directory, names),
        territories=_read_territories(directory),
        sales_territory_history=_read_territory_history(directory),
        customers=_read_customers(directory, names),
        orders=_read_orders(directory),
        quotas=_read_quotas(directory),
    )
