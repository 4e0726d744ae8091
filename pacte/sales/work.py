"""Rule changes run by a worker: a workspace with many sales credits them again in the
background (``PACTE_BACKGROUND_RECREDIT_SALES``), the change and its re-crediting in one
transaction as when done in the request."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from pacte.accounts.models import Membership, Workspace
from pacte.errors import DomainError
from pacte.jobs import work
from pacte.jobs.models import BackgroundJob
from pacte.sales import services
from pacte.sales.models import Channel, CreditRule, Sale


def in_background(workspace: Workspace) -> bool:
    """Whether a rule change of ``workspace`` goes to a worker: more sales than the setting
    (a count on the workspace's index; 0 sends every change to a worker)."""
    limit = settings.PACTE_BACKGROUND_RECREDIT_SALES
    if limit < 0:
        return False
    if limit == 0:
        return True
    return Sale.objects.for_workspace(workspace)[: limit + 1].count() > limit


def _params(fields: dict[str, Any]) -> dict[str, Any]:
    """The rule's fields as JSON: the channel and the person by their public id."""
    out = dict(fields)
    for name in ("channel", "owner"):
        if name in out:
            out[name] = str(out[name].uuid) if out[name] is not None else None
    return out


def start_rule_change(
    *,
    workspace: Workspace,
    actor: Membership | None,
    op: str,
    rule: CreditRule | None = None,
    version: int | None = None,
    fields: dict[str, Any] | None = None,
) -> BackgroundJob:
    """Queue ``create``, ``update`` or ``delete`` of a rule (checked by the same service, on
    the worker)."""
    return work.start(
        workspace=workspace,
        actor=actor,
        kind="rule_change",
        params={
            "op": op,
            "rule": str(rule.uuid) if rule is not None else None,
            "version": version,
            "fields": _params(fields or {}),
        },
    )


def _fields(workspace: Workspace, raw: dict[str, Any]) -> dict[str, Any]:
    fields = dict(raw)
    if fields.get("channel"):
        channel = Channel.objects.for_workspace(workspace).filter(uuid=fields["channel"]).first()
        if channel is None:
            raise DomainError(
                _("This channel is not in the workspace."), code="not_found", field="channel"
            )
        fields["channel"] = channel
    elif "channel" in fields:
        fields["channel"] = None
    if fields.get("owner"):
        owner = Membership.objects.for_workspace(workspace).filter(uuid=fields["owner"]).first()
        if owner is None:
            raise DomainError(
                _("This person is not in the workspace."), code="not_found", field="owner"
            )
        fields["owner"] = owner
    elif "owner" in fields:
        fields["owner"] = None
    return fields


def apply_rule_change(job: BackgroundJob) -> dict[str, Any]:
    """The job's runner: one rule change of a workspace at a time (the workspace row is
    locked), so that two re-creditings never interleave."""
    workspace = Workspace.objects.select_for_update().get(pk=job.workspace_id)
    params = job.params
    op = params["op"]
    fields = _fields(workspace, params.get("fields") or {})
    actor = job.created_by
    if op == "create":
        rule = services.create_rule(workspace=workspace, actor=actor, **fields)
        return {"rule": str(rule.uuid)}
    found = CreditRule.objects.for_workspace(workspace).filter(uuid=params["rule"]).first()
    if found is None:
        raise DomainError(_("This rule no longer exists."), code="not_found")
    if op == "update":
        services.update_rule(rule=found, actor=actor, version=params["version"], **fields)
        return {"rule": str(found.uuid)}
    services.delete_rule(rule=found, actor=actor, version=params["version"])
    return {"rule": str(params["rule"])}
