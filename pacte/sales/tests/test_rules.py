"""Crediting rules: fallback owners, account managers, overlays, re-crediting on change."""

from __future__ import annotations

import pytest

from pacte.audit.models import AuditEvent
from pacte.errors import DomainError, StaleVersion
from pacte.sales import cube, services
from pacte.sales.models import Credit, CubeCell, Customer
from pacte.sales.tests.helpers import import_file, rows

pytestmark = pytest.mark.django_db


def test_ecommerce_sales_without_seller_go_to_the_territory_owner(cast, channels, write_csv):
    services.create_rule(
        workspace=cast.workspace,
        actor=cast.admin,
        channel=channels["e-commerce"],
        territory="West",
        owner=cast.other_seller,
    )
    services.create_rule(
        workspace=cast.workspace,
        actor=cast.admin,
        channel=channels["e-commerce"],
        owner=cast.seller,
    )
    job = import_file(
        cast.workspace,
        write_csv(
            rows("W1,2026-01-01,10,e-commerce,,,,,west", "W2,2026-01-01,10,e-commerce,,,,,East")
        ),
    )
    assert job.status == "done", job.errors
    owners = dict(Credit.objects.values_list("sale__external_id", "seller_id"))
    assert owners == {"W1": cast.other_seller.pk, "W2": cast.seller.pk}


def test_distributor_sales_go_to_the_accounts_channel_manager(cast, channels, write_csv):
    Customer.objects.create(workspace=cast.workspace, name="Big Distri", channel_manager=cast.lead)
    services.create_rule(
        workspace=cast.workspace,
        actor=cast.admin,
        channel=channels["distributors"],
        target="account",
    )
    job = import_file(
        cast.workspace, write_csv(rows("K1,2026-01-01,10,distributors,,,,Big Distri,"))
    )
    assert job.status == "done", job.errors
    assert Credit.objects.get().seller_id == cast.lead.pk


def test_changing_a_rule_recredits_its_sales_and_updates_the_cube(cast, channels, write_csv):
    rule = services.create_rule(
        workspace=cast.workspace,
        actor=cast.admin,
        channel=channels["e-commerce"],
        owner=cast.seller,
    )
    import_file(
        cast.workspace,
        write_csv(
            rows(
                "R1,2026-01-01,10,e-commerce,,,,,",
                "R2,2026-01-01,7,e-commerce,other@acme.example,,,,",
            )
        ),
    )
    services.update_rule(rule=rule, actor=cast.admin, version=1, owner=cast.lead)
    owners = dict(Credit.objects.values_list("sale__external_id", "seller_id"))
    assert owners == {"R1": cast.lead.pk, "R2": cast.other_seller.pk}  # row credit untouched
    assert not CubeCell.objects.filter(seller=cast.seller).exists()
    assert AuditEvent.objects.filter(action="creditrule.updated").count() == 1
    assert cube.verify(cast.workspace) == []
    with pytest.raises(StaleVersion):
        services.update_rule(rule=rule, actor=cast.admin, version=1, priority=3)


def test_a_rule_that_would_leave_sales_without_credit_cannot_be_deleted(cast, channels, write_csv):
    rule = services.create_rule(
        workspace=cast.workspace,
        actor=cast.admin,
        channel=channels["e-commerce"],
        owner=cast.seller,
    )
    import_file(cast.workspace, write_csv(rows("S1,2026-01-01,10,e-commerce,,,,,")))
    with pytest.raises(DomainError) as exc:
        services.delete_rule(rule=rule, actor=cast.admin)
    assert exc.value.code == "sales_without_credit"
    assert Credit.objects.count() == 1


def test_overlay_rules_add_overlay_credit_outside_company_totals(cast, channels, write_csv):
    services.create_rule(
        workspace=cast.workspace,
        actor=cast.admin,
        channel=channels["field"],
        kind="overlay",
        owner=cast.lead,
    )
    import_file(cast.workspace, write_csv(rows("O1,2026-01-01,10,field,seller@acme.example,,,,")))
    lead_cell = CubeCell.objects.get(seller=cast.lead)
    assert (lead_cell.split_amount, lead_cell.overlay_amount) == (0, 1000)
    assert sum(c.split_amount for c in CubeCell.objects.all()) == 1000
    services.delete_rule(rule=services.CreditRule.objects.get(), actor=cast.admin)
    assert not CubeCell.objects.filter(seller=cast.lead).exists()
    assert cube.verify(cast.workspace) == []


def test_a_rule_change_recredits_only_the_sales_of_its_channel(cast, channels, write_csv):
    ecom = services.create_rule(
        workspace=cast.workspace,
        actor=cast.admin,
        channel=channels["e-commerce"],
        owner=cast.seller,
    )
    services.create_rule(
        workspace=cast.workspace,
        actor=cast.admin,
        channel=channels["distributors"],
        owner=cast.other_seller,
    )
    services.create_rule(
        workspace=cast.workspace,
        actor=cast.admin,
        channel=channels["field"],
        kind="overlay",
        owner=cast.lead,
    )
    job = import_file(
        cast.workspace,
        write_csv(
            rows(
                "E1,2026-01-01,10,e-commerce,,,,,",
                "E2,2026-02-01,20,e-commerce,,,,,",
                "D1,2026-01-01,30,distributors,,,,,",
                "F1,2026-01-01,40,field,seller@acme.example,,,,",
            )
        ),
    )
    assert job.status == "done", job.errors
    untouched = sorted(
        Credit.objects.exclude(sale__channel=channels["e-commerce"]).values_list(
            "sale_id", "seller_id", "kind", "amount"
        )
    )
    assert len(untouched) == 3  # D1's rule credit, F1's row credit and rule overlay
    services.update_rule(rule=ecom, actor=cast.admin, version=ecom.version, owner=cast.lead)
    after = sorted(
        Credit.objects.exclude(sale__channel=channels["e-commerce"]).values_list(
            "sale_id", "seller_id", "kind", "amount"
        )
    )
    assert after == untouched  # same credits (keyed by sale, seller and kind)
    ecom_credits = Credit.objects.filter(sale__channel=channels["e-commerce"])
    assert sorted(ecom_credits.values_list("sale__external_id", "seller_id", "amount")) == [
        ("E1", cast.lead.pk, 1000),
        ("E2", cast.lead.pk, 2000),
    ]
    assert cube.verify(cast.workspace) == []


def test_a_territory_rule_matches_territories_in_any_case(cast, channels, write_csv):
    job = import_file(
        cast.workspace,
        write_csv(
            rows(
                "T1,2026-01-01,10,field,seller@acme.example,,,,Île-de-France",
                "T2,2026-01-01,20,field,seller@acme.example,,,,Bretagne",
            )
        ),
    )
    assert job.status == "done", job.errors
    services.create_rule(
        workspace=cast.workspace,
        actor=cast.admin,
        territory="ÎLE-DE-FRANCE",
        kind="overlay",
        owner=cast.lead,
    )
    overlays = Credit.objects.filter(kind="overlay")
    assert list(overlays.values_list("sale__external_id", "seller_id")) == [("T1", cast.lead.pk)]
    assert cube.verify(cast.workspace) == []
