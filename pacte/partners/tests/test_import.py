"""Partner sales through the one import path: a partner column credits the partner's seat,
with an overlay to its channel manager; an unknown code is a located refusal."""

from __future__ import annotations

import pytest

from pacte.partners.tests.helpers import distributors, make_partner
from pacte.sales.import_jobs import ingest_records
from pacte.sales.models import Credit, CubeCell, ImportStatus, Sale
from pacte.testing.cast import Cast

pytestmark = pytest.mark.django_db


def _row(n: int, **extra: str) -> tuple[int, dict[str, str]]:
    return (
        n,
        {
            "external_id": f"P{n}",
            "date": "2026-03-05",
            "amount": "1000.00",
            "channel": "distributors",
            **extra,
        },
    )


def test_partner_column_credits_the_partner_and_its_channel_manager(cast: Cast) -> None:
    partner = make_partner(cast)
    job = ingest_records(
        workspace=cast.workspace,
        actor=cast.admin,
        records=[
            _row(1, partner="ALPINE"),
            _row(2, seller=partner.seat.user.email),  # the seat by its address: same credits
            _row(3, partner="alpine", overlay=cast.lead.user.email),  # named once only
        ],
    )
    assert job.status == ImportStatus.DONE, job.errors
    credits = Credit.objects.filter(workspace=cast.workspace).order_by("sale__external_id", "kind")
    seen = [(c.sale.external_id, c.seller_id, c.kind, c.amount) for c in credits]
    assert seen == [
        ("P1", cast.lead.pk, "overlay", 100_000),
        ("P1", partner.seat_id, "split", 100_000),
        ("P2", cast.lead.pk, "overlay", 100_000),
        ("P2", partner.seat_id, "split", 100_000),
        ("P3", cast.lead.pk, "overlay", 100_000),
        ("P3", partner.seat_id, "split", 100_000),
    ]
    cells = CubeCell.objects.for_workspace(cast.workspace)
    assert sum(c.split_amount for c in cells) == 300_000  # company revenue counted once
    assert sum(c.overlay_amount for c in cells if c.seller_id == cast.lead.pk) == 300_000
    # A re-import of the same rows changes nothing.
    again = ingest_records(
        workspace=cast.workspace, actor=cast.admin, records=[_row(1, partner="alpine")]
    )
    assert again.unchanged_count == 1


def test_unknown_partner_code_is_refused_with_its_line(cast: Cast) -> None:
    make_partner(cast)
    distributors(cast)
    job = ingest_records(
        workspace=cast.workspace,
        actor=cast.admin,
        records=[_row(1, partner="alpine"), _row(2, partner="nobody")],
    )
    assert job.status == ImportStatus.FAILED
    assert [(e["line"], e["column"], e["code"]) for e in job.errors] == [
        (2, "partner", "unknown_partner")
    ]
    assert not Sale.objects.for_workspace(cast.workspace).exists()
