"""Keys ready for distribution by workspace (Citus): every unique key of a workspace table
includes the workspace, every table is classified, no reference table points at a workspace
table (``pacte.distribution``; the plan is in docs/deployment.md)."""

from __future__ import annotations

from pacte import distribution


def test_every_unique_key_of_a_workspace_table_includes_the_workspace():
    assert distribution.keys_without_workspace() == [], (
        "A unique key of a workspace table lacks `workspace`: make it "
        "UniqueConstraint(fields=['workspace', ...]) (see docs/deployment.md, Distribution plan)"
    )


def test_every_table_is_a_workspace_table_or_a_listed_reference_table():
    assert distribution.unclassified_tables() == [], (
        "A table has no `workspace` foreign key: add one (a WorkspaceModel), or list it in "
        "pacte.distribution.REFERENCE_TABLES with the reason"
    )


def test_foreign_keys_join_co_located_rows_or_reference_tables():
    keys = distribution.foreign_keys()
    broken = [k for k in keys if k.kind == "broken"]
    assert broken == [], (
        "a reference table points at a workspace table, or a key at a table of neither kind"
    )
    co_located = {(k.source, k.target) for k in keys if k.kind == "co-located"}
    # the hot joins of the figures: credits to their sale, cube cells to their seller and team
    assert ("sales.Credit.sale", "sales.Sale") in co_located
    assert ("sales.CubeCell.seller", "accounts.Membership") in co_located
    assert ("sales.TeamCell.unit", "org.Unit") in co_located
    assert ("accounts.Membership.user", "accounts.User") in {
        (k.source, k.target) for k in keys if k.kind == "to a reference table"
    }


def test_the_keys_widened_for_distribution_are_in_place():
    sale = {c.name: getattr(c, "fields", ()) for c in _model("sales.Sale")._meta.constraints}
    credit = {c.name: getattr(c, "fields", ()) for c in _model("sales.Credit")._meta.constraints}
    assert sale["sale_unique_uuid"] == ("workspace", "uuid")
    assert "credit_unique_seller" not in credit  # now the primary key
    credit_pk = _model("sales.Credit")._meta.pk
    assert credit_pk.field_names == ("workspace", "sale", "seller", "kind")
    assert not _model("sales.Sale")._meta.get_field("uuid").unique


def test_a_key_without_the_workspace_is_caught(monkeypatch):
    from django.db import models

    model = _model("sales.Channel")
    bad = models.UniqueConstraint(fields=["code"], name="channel_code_alone")
    monkeypatch.setattr(model._meta, "constraints", [*model._meta.constraints, bad])
    assert distribution.keys_without_workspace() == [
        "sales.Channel constraint channel_code_alone ('code',)"
    ]


def _model(label: str):
    from django.apps import apps

    return apps.get_model(label)


def test_a_composite_primary_key_without_the_workspace_is_caught(monkeypatch):
    pk = _model("sales.Credit")._meta.pk
    monkeypatch.setattr(pk, "field_names", ("sale", "seller", "kind"))
    assert distribution.keys_without_workspace() == [
        "sales.Credit primary key ('sale', 'seller', 'kind')"
    ]
