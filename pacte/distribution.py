"""The distribution plan of the tables, read from the models: which tables are distributed by
``workspace_id`` (a distributed PostgreSQL such as Citus), which are reference tables (copied
to every node) or stay on the coordinator, and which keys would stop a table from being
distributed. ``pacte/tests/test_distribution.py`` fails on a key that lacks the workspace;
``docs/deployment.md`` ("Distribution plan") explains what a Citus deployment does with it.

A *workspace table* is a model with a ``workspace`` foreign key to ``accounts.Workspace``. Citus
requires every unique key of a distributed table to include the distribution column, and
co-locates the rows that foreign keys join when both sides carry it.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.apps import apps
from django.db import models

#: Tables without a workspace, and why: copied to every node (reference), or kept on the
#: coordinator only (local: infrastructure that no workspace query joins).
REFERENCE_TABLES: dict[str, str] = {
    "accounts.Workspace": "reference: the tenants, one small row each, joined by every table",
    "accounts.User": "reference: a person signs in once and may belong to several workspaces",
    "accounts.SecondFactor": "reference: a person's passkeys and codes, with the person",
    "accounts.LoginThrottle": "reference: throttling counters keyed by hashed address",
    "auth.Permission": "reference: Django's permission catalogue",
    "auth.Group": "reference: Django's groups (unused by Pacte's roles)",
    "contenttypes.ContentType": "reference: Django's model catalogue",
    "sessions.Session": "local: sessions, read by key on every request",
    "jobs.WorkerHeartbeat": "local: the workers' liveness rows",
    "jobs.TaskStat": "local: task counters of the metrics endpoint",
    "django_tasks_database.DBTaskResult": "local: the task queue (ids, no workspace join)",
}
TENANT_TABLE = "accounts.Workspace"
#: One-to-one links to a member, the only unique keys of workspace tables that do not name the
#: workspace: a member belongs to one workspace, so ``(membership_id)`` and ``(workspace_id,
#: membership_id)`` are the same key; a Citus deployment recreates the index with the workspace
#: first (docs/deployment.md). Their reverse one-to-one accessors (``member.scim_user``,
#: ``member.invitation``) are used by the SCIM and invitation code.
ONE_TO_ONE_TO_A_MEMBER = {
    "accounts.ScimUser.membership",
    "accounts.Invitation.membership",
    "planning.Delegation.run",  # one delegation per cascade run (merged from main)
    "partners.Partner.seat",  # a partner's one seat (``membership.partner_seat``)
    "partners.PartnerPerson.membership",  # a partner's person belongs to one partner
}


@dataclass(frozen=True)
class ForeignKey:
    source: str  # app_label.Model.field
    target: str  # app_label.Model
    kind: str  # "co-located", "to a reference table", "broken"


def _label(model: type[models.Model]) -> str:
    return model._meta.label


def _concrete_models() -> list[type[models.Model]]:
    return [
        m
        for m in apps.get_models()
        if m._meta.managed and not m._meta.proxy and not m._meta.abstract
    ]


def is_workspace_table(model: type[models.Model]) -> bool:
    try:
        field = model._meta.get_field("workspace")
    except Exception:
        return False
    return bool(field.is_relation and _label(field.related_model) == TENANT_TABLE)  # type: ignore[arg-type]


def workspace_tables() -> list[str]:
    return sorted(_label(m) for m in _concrete_models() if is_workspace_table(m))


def unclassified_tables() -> list[str]:
    """Tables that are neither workspace tables, the tenant table nor listed reference tables:
    a new model must say where it goes."""
    return sorted(
        _label(m)
        for m in _concrete_models()
        if not is_workspace_table(m) and _label(m) not in REFERENCE_TABLES
    )


def keys_without_workspace() -> list[str]:
    """Unique keys of workspace tables (other than the surrogate ``id``) that lack the
    workspace: each would stop the table from being distributed by ``workspace_id``."""
    out: list[str] = []
    for model in _concrete_models():
        if not is_workspace_table(model):
            continue
        label = _label(model)
        pk = model._meta.pk
        if isinstance(pk, models.CompositePrimaryKey) and "workspace" not in pk.field_names:
            out.append(f"{label} primary key {pk.field_names}")
        for field in model._meta.concrete_fields:
            if field.primary_key or not field.unique or field.name == "workspace":
                continue
            if f"{label}.{field.name}" not in ONE_TO_ONE_TO_A_MEMBER:
                out.append(f"{label}.{field.name} (unique=True)")
        for constraint in model._meta.constraints:
            if isinstance(constraint, models.UniqueConstraint) and (
                not constraint.fields or "workspace" not in constraint.fields
            ):
                out.append(f"{label} constraint {constraint.name} {constraint.fields}")
        for together in model._meta.unique_together:
            if "workspace" not in together:
                out.append(f"{label} unique_together {together}")
    return sorted(out)


def foreign_keys() -> list[ForeignKey]:
    """Every foreign key of a workspace table or of a reference table, with what it joins:
    between workspace tables both sides carry ``workspace_id`` (co-located when joined on it);
    a reference table must not point at a workspace table (Citus refuses it)."""
    out: list[ForeignKey] = []
    for model in _concrete_models():
        label = _label(model)
        source_ws = is_workspace_table(model)
        if not source_ws and label not in REFERENCE_TABLES:
            continue
        for field in model._meta.concrete_fields:
            if not field.is_relation or field.name == "workspace":
                continue
            target = field.related_model
            if target is None or isinstance(target, str):  # not resolved: no model to check
                continue
            name = _label(target)
            if is_workspace_table(target):
                kind = "co-located" if source_ws else "broken"
            elif name in REFERENCE_TABLES:
                kind = "to a reference table"
            else:
                kind = "broken"
            out.append(ForeignKey(f"{label}.{field.name}", name, kind))
    return sorted(out, key=lambda fk: fk.source)
