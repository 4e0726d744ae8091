"""Tests of the AdventureWorks reader against the sample files, read in place.

Expected figures are computed independently here, with the ``csv``/``gzip`` modules and
``Decimal``, never through the module under test. The files live outside the repository
(``../shared/datasets/adventureworks/raw`` from the repository root, or ``$PACTE_AW_DIR``).
"""

from __future__ import annotations

import csv
import gzip
import os
from collections import Counter, defaultdict
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path

import polars as pl
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from pacte.samples import adventureworks as aw

AW_DIR = Path(
    os.environ.get("PACTE_AW_DIR")
    or Path(__file__).resolve().parents[3].parent / "shared/datasets/adventureworks/raw"
)
needs_data = pytest.mark.skipif(
    not (AW_DIR / "SalesOrderHeader.csv.gz").is_file(),
    reason=f"AdventureWorks sample not found in {AW_DIR} (set PACTE_AW_DIR to its raw/ folder)",
)

CENT = Decimal("0.01")


def to_cents(amount: Decimal) -> int:
    return int(amount.quantize(CENT, rounding=ROUND_HALF_EVEN) * 100)


# --------------------------------------------------------------- independent reading


@pytest.fixture(scope="module")
def file_orders() -> list[dict[str, str]]:
    with gzip.open(AW_DIR / "SalesOrderHeader.csv.gz", "rt", encoding="ascii", newline="") as f:
        reader = csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
        header = [name.strip() for name in next(reader)]
        return [dict(zip(header, row, strict=True)) for row in reader]


@pytest.fixture(scope="module")
def file_quotas() -> list[list[str]]:
    text = (AW_DIR / "SalesPersonQuotaHistory.csv").read_text(encoding="ascii")
    return [line.split("\t") for line in text.split("\n") if line]


@pytest.fixture(scope="module")
def file_names() -> dict[int, tuple[str, str]]:
    text = gzip.decompress((AW_DIR / "Person.csv.gz").read_bytes()).decode("utf-16")
    names = {}
    for record in text.split("&|\r\n")[1:]:
        if record:
            fields = record.split("+|")
            names[int(fields[0])] = (fields[4], fields[6])
    return names


@pytest.fixture(scope="module")
def sample() -> aw.Sample:
    return aw.load(AW_DIR)


def channel_of(row: dict[str, str]) -> str:
    return {"1": "e-commerce", "0": "distributors"}[row["OnlineOrderFlag"]]


# ------------------------------------------------------------------------------ orders


@needs_data
def test_order_counts_per_channel(sample, file_orders):
    counts = dict(sample.orders.group_by("channel").len().iter_rows())
    assert counts == {"e-commerce": 27_659, "distributors": 3_806}
    assert sample.orders.height == len(file_orders) == 31_465
    assert counts == dict(Counter(channel_of(row) for row in file_orders))
    assert sample.orders["sales_order_id"].is_unique().all()


@needs_data
def test_orders_have_the_documented_schema(sample):
    assert sample.orders.schema == aw.ORDER_SCHEMA


@needs_data
def test_every_order_matches_its_file_row(sample, file_orders):
    expected = {
        int(row["SalesOrderID"]): (
            date.fromisoformat(row["OrderDate"][:10]),
            row["OnlineOrderFlag"] == "1",
            int(row["SalesPersonID"]) if row["SalesPersonID"] else None,
            int(row["CustomerID"]),
            int(row["TerritoryID"]),
            int(Decimal(row["SubTotal"]) * 10_000),
            to_cents(Decimal(row["SubTotal"])),
        )
        for row in file_orders
    }
    actual = {
        row[0]: row[1:]
        for row in sample.orders.select(
            "sales_order_id",
            "order_date",
            "online",
            "sales_person_id",
            "customer_id",
            "territory_id",
            "subtotal_e4",
            "subtotal_cents",
        ).iter_rows()
    }
    assert actual == expected


@needs_data
def test_subtotal_per_channel_is_exact(sample, file_orders):
    exact: dict[str, Decimal] = defaultdict(Decimal)
    cents: dict[str, int] = defaultdict(int)
    for row in file_orders:
        exact[channel_of(row)] += Decimal(row["SubTotal"])
        cents[channel_of(row)] += to_cents(Decimal(row["SubTotal"]))
    totals = sample.orders.group_by("channel").agg(
        pl.col("subtotal_e4").sum(), pl.col("subtotal_cents").sum()
    )
    for channel, e4, cent_total in totals.iter_rows():
        assert Decimal(e4) / 10_000 == exact[channel]
        assert cent_total == cents[channel]
    # pinned, as a cross-check for other engineers (sum of per-order cents)
    assert dict(totals.select("channel", "subtotal_cents").iter_rows()) == {
        "e-commerce": 2_935_867_789,
        "distributors": 8_048_770_419,
    }


@needs_data
def test_subtotal_per_channel_per_year(sample, file_orders):
    expected: dict[tuple[str, int], int] = defaultdict(int)
    expected_e4: dict[tuple[str, int], Decimal] = defaultdict(Decimal)
    for row in file_orders:
        key = (channel_of(row), int(row["OrderDate"][:4]))
        expected[key] += to_cents(Decimal(row["SubTotal"]))
        expected_e4[key] += Decimal(row["SubTotal"]) * 10_000
    actual = sample.orders.group_by("channel", pl.col("order_date").dt.year().alias("year")).agg(
        pl.col("subtotal_cents").sum(), pl.col("subtotal_e4").sum()
    )
    assert {(c, y): cents for c, y, cents, _ in actual.iter_rows()} == expected
    assert {(c, y): Decimal(e4) for c, y, _, e4 in actual.iter_rows()} == expected_e4
    assert expected == {  # pinned: cents, sum of per-order cents
        ("distributors", 2011): 877_855_205,
        ("distributors", 2012): 2_713_370_142,
        ("distributors", 2013): 3_289_035_167,
        ("distributors", 2014): 1_168_509_905,
        ("e-commerce", 2011): 386_312_046,
        ("e-commerce", 2012): 639_059_992,
        ("e-commerce", 2013): 1_073_212_778,
        ("e-commerce", 2014): 837_282_973,
    }


@needs_data
def test_totals_per_sales_person(sample, file_orders):
    expected: dict[int, int] = defaultdict(int)
    counts: Counter[int] = Counter()
    for row in file_orders:
        if row["SalesPersonID"]:
            expected[int(row["SalesPersonID"])] += to_cents(Decimal(row["SubTotal"]))
            counts[int(row["SalesPersonID"])] += 1
    actual = (
        sample.orders.filter(pl.col("sales_person_id").is_not_null())
        .group_by("sales_person_id")
        .agg(pl.col("subtotal_cents").sum(), pl.len())
    )
    assert {p: c for p, c, _ in actual.iter_rows()} == expected
    assert {p: n for p, _, n in actual.iter_rows()} == counts
    assert set(expected) == set(range(274, 291))
    # pinned figures for a few people (cents, sum of per-order cents)
    assert expected[274] == 109_212_381
    assert expected[276] == 1_036_700_752
    assert expected[285] == 17_252_442
    assert expected[290] == 450_988_893


@needs_data
def test_channels_and_sales_people(sample):
    orders = sample.orders
    online = orders.filter(pl.col("online"))
    reseller = orders.filter(~pl.col("online"))
    assert online["sales_person_id"].null_count() == online.height
    assert reseller["sales_person_id"].null_count() == 0
    assert set(online["channel"].unique()) == {aw.CHANNEL_E_COMMERCE}
    assert set(reseller["channel"].unique()) == {aw.CHANNEL_DISTRIBUTORS}


@needs_data
def test_order_date_range(sample):
    dates = sample.orders["order_date"]
    assert (dates.min(), dates.max()) == (date(2011, 5, 31), date(2014, 6, 30))
    reseller = sample.orders.filter(~pl.col("online"))["order_date"]
    assert reseller.max() == date(2014, 5, 1)
    assert reseller.n_unique() == 40


@needs_data
def test_order_territory_is_the_customer_territory(sample):
    customers = sample.customers_by_id
    kinds = Counter(
        (online, customers[customer_id].kind)
        for online, customer_id, territory_id in sample.orders.select(
            "online", "customer_id", "territory_id"
        ).iter_rows()
        if customers[customer_id].territory_id == territory_id
    )
    assert kinds == {
        (True, aw.CustomerKind.INDIVIDUAL): 27_659,
        (False, aw.CustomerKind.STORE_CONTACT): 3_806,
    }


# ----------------------------------------------------------------------------- quotas


@needs_data
def test_quota_counts(sample, file_quotas):
    assert len(sample.quotas) == len(file_quotas) == 163
    per_person = Counter(q.sales_person_id for q in sample.quotas)
    assert per_person == Counter(int(row[1]) for row in file_quotas)
    assert per_person == {
        **dict.fromkeys(range(274, 284), 12),
        284: 7,
        **dict.fromkeys((285, 286, 288), 4),
        **dict.fromkeys((287, 289, 290), 8),
    }


@needs_data
def test_quotas_map_to_calendar_quarters(sample, file_quotas):
    expected = {
        (int(row[1]), date.fromisoformat(row[2][:10])): to_cents(Decimal(row[3]))
        for row in file_quotas
    }
    assert {(q.sales_person_id, q.quota_date): q.amount_cents for q in sample.quotas} == expected
    for q in sample.quotas:
        assert q.quarter_start <= q.quota_date
        assert (q.quota_date.year, (q.quota_date.month - 1) // 3 + 1) == (q.year, q.quarter)
        assert q.quarter_start == date(q.year, 3 * q.quarter - 2, 1)
    quarters = sorted({(q.year, q.quarter) for q in sample.quotas})
    assert (quarters[0], quarters[-1], len(quarters)) == ((2011, 2), (2014, 1), 12)
    pairs = [(q.sales_person_id, q.quarter_start) for q in sample.quotas]
    assert len(pairs) == len(set(pairs))
    alberts_2014q1 = next(
        q for q in sample.quotas if q.sales_person_id == 287 and (q.year, q.quarter) == (2014, 1)
    )
    assert alberts_2014q1.amount_cents == 100_000


# ----------------------------------------------------------------------------- people


@needs_data
def test_sales_organisation_people(sample, file_names):
    ids = [p.business_entity_id for p in sample.people]
    assert ids == [1, 273, *range(274, 291)]
    assert [p.business_entity_id for p in sample.sales_people] == list(range(274, 291))
    for person in sample.people:
        assert (person.first_name, person.last_name) == file_names[person.business_entity_id]
    by_id = sample.people_by_id
    assert by_id[1].full_name == "Ken Sánchez"
    assert by_id[282].full_name == "José Saraiva"
    assert by_id[273].job_title == "Vice President of Sales"
    assert by_id[274].job_title == "North American Sales Manager"
    assert by_id[275].hire_date == date(2011, 5, 31)
    assert by_id[274].territory_id is None
    assert by_id[276].territory_id == 4


@needs_data
def test_manager_tree(sample):
    managers = {p.business_entity_id: p.manager_id for p in sample.people}
    assert managers[1] is None
    assert managers[273] == 1
    reports: dict[int, set[int]] = defaultdict(set)
    for person, manager in managers.items():
        if manager is not None:
            reports[manager].add(person)
    assert reports == {
        1: {273},
        273: {274, 285, 287},
        274: set(range(275, 285)),
        285: {286},
        287: {288, 289, 290},
    }
    paths = {p.business_entity_id: p.org_path for p in sample.people}
    assert paths[1] == "/"
    assert paths[273] == "/6/"
    assert paths[284] == "/6/1/10/"
    assert paths[290] == "/6/3/3/"
    assert all(p.level == p.org_path.count("/") - 1 for p in sample.people)


@needs_data
def test_emails_are_ascii_and_unique(sample):
    emails = [p.email for p in sample.people]
    assert len(set(emails)) == len(emails)
    assert all(e.isascii() and e.endswith("@adventure-works.example") for e in emails)
    by_id = sample.people_by_id
    assert by_id[274].email == "stephen.jiang@adventure-works.example"
    assert by_id[1].email == "ken.sanchez@adventure-works.example"
    assert by_id[282].email == "jose.saraiva@adventure-works.example"


# ----------------------------------------------------------------- customers, territories


@needs_data
def test_customers(sample):
    assert len(sample.customers) == 19_820
    assert Counter(c.kind for c in sample.customers) == {
        aw.CustomerKind.INDIVIDUAL: 18_484,
        aw.CustomerKind.STORE: 701,
        aw.CustomerKind.STORE_CONTACT: 635,
    }
    by_id = sample.customers_by_id
    assert by_id[1].display_name == "A Bike Store"
    assert by_id[1].kind is aw.CustomerKind.STORE
    for customer in sample.customers:
        if customer.kind is aw.CustomerKind.INDIVIDUAL:
            assert customer.display_name == customer.person_name
            assert customer.store_id is None
        else:
            assert customer.store_id is not None
            assert (customer.person_id is None) == (customer.kind is aw.CustomerKind.STORE)


@needs_data
def test_territories(sample):
    assert [t.territory_id for t in sample.territories] == list(range(1, 11))
    groups = Counter(t.group for t in sample.territories)
    assert groups == {"North America": 6, "Europe": 3, "Pacific": 1}
    assert sample.territories_by_id[10].name == "United Kingdom"
    assert sample.territories_by_id[10].country == "GB"
    history = sample.sales_territory_history
    assert len(history) == 17
    open_280 = [h for h in history if h.sales_person_id == 280]
    assert [h.end_date for h in open_280] == [date(2012, 9, 29)]


# ------------------------------------------------------------------------ hierarchyid


@pytest.mark.parametrize(
    ("hex_value", "path"),
    [
        ("", "/"),
        ("58", "/1/"),
        ("94", "/6/"),
        ("9560", "/6/1/"),
        ("956B", "/6/1/1/"),
        ("957540", "/6/1/10/"),
        ("95EF", "/6/3/3/"),
        ("59FB0540", "/1/-2.18/"),  # the example of [MS-SSCLRT] 3.2
    ],
)
def test_decode_hierarchyid_samples(hex_value, path):
    assert aw.format_hierarchyid(aw.decode_hierarchyid(hex_value)) == path


# An encoder written from the published bit patterns, to round-trip the decoder.
PATTERNS = [
    (0, 3, "01xxT"),
    (4, 7, "100xxT"),
    (8, 15, "101xxxT"),
    (16, 79, "110xx0x1xxxT"),
    (80, 1103, "1110xxx0xxx0x1xxxT"),
    (-8, -1, "00111xxxT"),
    (-72, -9, "0010xx0x1xxxT"),
]


def encode(levels: list[list[int]]) -> str:
    bits = ""
    for level in levels:
        for i, label in enumerate(level):
            last = i == len(level) - 1
            value = label if last else label + 1
            lo, _hi, pattern = next(p for p in PATTERNS if p[0] <= value <= p[1])
            width = pattern.count("x")
            offset = format(value - lo, f"0{width}b")
            out, k = "", 0
            for ch in pattern:
                if ch == "x":
                    out += offset[k]
                    k += 1
                elif ch == "T":
                    out += "1" if last else "0"
                else:
                    out += ch
            bits += out
    bits += "0" * (-len(bits) % 8)
    return bytes(int(bits[i : i + 8], 2) for i in range(0, len(bits), 8)).hex().upper()


@given(
    st.lists(
        st.lists(st.integers(min_value=-70, max_value=1100), min_size=1, max_size=3),
        max_size=6,
    )
)
def test_decode_hierarchyid_round_trips(levels):
    assert aw.decode_hierarchyid(encode(levels)) == tuple(tuple(level) for level in levels)


def test_decode_hierarchyid_refuses_garbage():
    with pytest.raises(aw.AdventureWorksError):
        aw.decode_hierarchyid("zz")
    with pytest.raises(aw.AdventureWorksError):
        aw.decode_hierarchyid("50")  # 01 01 0 000: a level that never ends


# ---------------------------------------------------------------------------- amounts

amounts = st.decimals(
    min_value=Decimal("-10000000"), max_value=Decimal("10000000"), places=4, allow_nan=False
)


@given(amounts)
@example(Decimal("0.0050"))
@example(Decimal("-0.0150"))
def test_amount_parsing_and_rounding_are_exact(amount):
    text = format(amount, "f")
    units = aw.parse_amount_e4(text)
    assert Decimal(units) / 10_000 == amount
    assert aw.e4_to_cents(units) == to_cents(amount)


@given(st.lists(amounts, max_size=50))
@example([Decimal(t) for t in ("0.005", "0.015", "0.025", "-0.005", "-0.015", "-0.025")])
@example([Decimal(t) for t in ("1.2349", "1.2351", "-1.2349", "-1.2351", "7", "-0", "0.0001")])
def test_vectorised_amounts_match_decimal(values):
    frame = pl.DataFrame({"a": [format(v, "f") for v in values]}, schema={"a": pl.String})
    e4 = aw._amount_e4_expr("a")
    out = frame.select(e4.alias("e4"), aw._e4_to_cents_expr(e4).alias("cents"))
    assert out["e4"].to_list() == [int(v * 10_000) for v in values]
    assert out["cents"].to_list() == [to_cents(v) for v in values]


@pytest.mark.parametrize("text", ["1.23456", "1,5", "", "1e3", "--1", "1."])
def test_parse_amount_refuses_non_amounts(text):
    with pytest.raises(aw.AdventureWorksError):
        aw.parse_amount_e4(text)


def test_half_even_per_order():
    assert [aw.e4_to_cents(u) for u in (50, 150, 250, 51, -50, -150, 149)] == [
        0,
        2,
        2,
        1,
        0,
        -2,
        1,
    ]


# ----------------------------------------------------------------------------- errors


def test_missing_directory_is_a_clear_error(tmp_path):
    with pytest.raises(aw.AdventureWorksError, match="not a directory"):
        aw.load(tmp_path / "nowhere")
    with pytest.raises(aw.AdventureWorksError, match="missing AdventureWorks file"):
        aw.load(tmp_path)


def test_bad_subtotal_is_reported_with_its_line(tmp_path):
    header = "\t".join(["SalesOrderID", *("    " + c for c in aw._ORDER_COLUMNS[1:])])
    good = ["1", "8", "2011-05-31 00:00:00", *[""] * 16, "10.5", *[""] * 6]
    bad = [*good]
    bad[0], bad[19] = "2", "10.12345"
    for row in (good, bad):
        row[6], row[10], row[12] = "1", "7", "1"
    body = "\r\n".join([header, "\t".join(good), "\t".join(bad)]) + "\r\n"
    (tmp_path / "SalesOrderHeader.csv.gz").write_bytes(gzip.compress(body.encode("ascii")))
    with pytest.raises(aw.AdventureWorksError, match=r"csv\.gz:3: SubTotal"):
        aw._read_orders(tmp_path)
    bad[19] = "10.1234"
    body = "\r\n".join([header, "\t".join(good), "\t".join(bad)]) + "\r\n"
    (tmp_path / "SalesOrderHeader.csv.gz").write_bytes(gzip.compress(body.encode("ascii")))
    orders = aw._read_orders(tmp_path)
    assert orders["subtotal_e4"].to_list() == [105_000, 101_234]
    assert orders["subtotal_cents"].to_list() == [1050, 1012]


def test_a_compressed_copy_that_is_not_gzip_is_a_clear_error(tmp_path):
    (tmp_path / "SalesPerson.csv.gz").write_bytes(b"not gzip")
    with pytest.raises(aw.AdventureWorksError, match="not a gzip file"):
        aw._lines(tmp_path, "SalesPerson.csv", 9)


# --------------------------------------------------------------------- the shipped copy


def _content(directory: Path, name: str) -> bytes:
    """A file's content as the data set holds it, read without the module under test."""
    path = directory / name
    if path.is_file():
        return path.read_bytes()
    return gzip.decompress((directory / f"{name}.gz").read_bytes())


def test_the_shipped_copy_holds_every_file_compressed_with_its_licence():
    shipped = aw.SHIPPED
    for name in aw.FILES:
        stored = name if name.endswith(".gz") else f"{name}.gz"
        assert (shipped / stored).is_file(), stored
        assert not (shipped / name).is_file() or name == stored, f"{name} is not compressed"
    licence = (shipped / "LICENSE").read_text(encoding="utf-8")
    assert "MIT License" in licence
    assert "Copyright (c) Microsoft Corporation." in licence
    assert "Permission is hereby granted, free of charge" in licence


@needs_data
def test_the_shipped_copy_is_byte_for_byte_the_data_set():
    for name in aw.FILES:
        assert _content(aw.SHIPPED, name) == (AW_DIR / name).read_bytes(), name


@needs_data
def test_the_shipped_copy_gives_the_same_figures(sample):
    shipped = aw.load()
    assert shipped.people == sample.people
    assert shipped.territories == sample.territories
    assert shipped.sales_territory_history == sample.sales_territory_history
    assert shipped.customers == sample.customers
    assert shipped.quotas == sample.quotas
    assert shipped.orders.equals(sample.orders)


def test_the_shipped_copy_figures_match_sums_read_from_its_files():
    """Without the data set's folder (a fresh clone): totals of the shipped copy against sums
    computed here from its own files with csv, gzip and Decimal."""
    packed = _content(aw.SHIPPED, "SalesOrderHeader.csv.gz")
    text = gzip.decompress(packed).decode("ascii").replace("\r\n", "\n")
    reader = csv.reader(text.splitlines(), delimiter="\t", quoting=csv.QUOTE_NONE)
    header = [name.strip() for name in next(reader)]
    cents: dict[str, int] = defaultdict(int)
    per_person: dict[int, int] = defaultdict(int)
    for values in reader:
        row = dict(zip(header, values, strict=True))
        amount = to_cents(Decimal(row["SubTotal"]))
        cents[channel_of(row)] += amount
        if row["SalesPersonID"]:
            per_person[int(row["SalesPersonID"])] += amount
    quota_rows = [
        line.split("\t")
        for line in _content(aw.SHIPPED, "SalesPersonQuotaHistory.csv").decode("ascii").split("\n")
        if line
    ]
    sample = aw.load()
    totals = dict(sample.orders.group_by("channel").agg(pl.col("subtotal_cents").sum()).iter_rows())
    assert totals == cents
    people = (
        sample.orders.drop_nulls("sales_person_id")
        .group_by("sales_person_id")
        .agg(pl.col("subtotal_cents").sum())
    )
    assert dict(people.iter_rows()) == per_person
    assert len(sample.quotas) == len(quota_rows) == 163
    assert sum(q.amount_cents for q in sample.quotas) == sum(
        to_cents(Decimal(r[3])) for r in quota_rows
    )


def test_every_shipped_file_is_package_data():
    """The wheel carries the copy: pyproject's package-data globs cover every shipped file."""
    import tomllib

    root = Path(__file__).resolve().parents[3]
    config = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    globs = config["tool"]["setuptools"]["package-data"]["pacte.samples"]
    package = root / "pacte" / "samples"
    covered = {path for pattern in globs for path in package.glob(pattern)}
    assert covered == {path for path in aw.SHIPPED.iterdir() if path.is_file()}
