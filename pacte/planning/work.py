"""Cascade runs made by a worker: a workspace with many sellers computes and stores its draft
runs in the background (``PACTE_BACKGROUND_CASCADE_SELLERS``); a smaller one in the request,
as before, since its run is ready in well under a second."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.conf import settings

from pacte.accounts.models import Membership, Workspace
from pacte.jobs import work
from pacte.jobs.models import BackgroundJob
from pacte.planning import cascade, runs


def in_background(workspace: Workspace) -> bool:
    """Whether a new run of ``workspace`` goes to a worker: more active sellers than the
    setting (0 sends every run to a worker; -1 none)."""
    limit = settings.PACTE_BACKGROUND_CASCADE_SELLERS
    if limit < 0:
        return False
    if limit == 0:
        return True
    sellers = Membership.objects.for_workspace(workspace).filter(is_seller=True, is_active=True)
    return sellers[: limit + 1].count() > limit


def start_run(
    *,
    workspace: Workspace,
    actor: Membership | None,
    fiscal_year: int,
    parameters: Mapping[str, Any],
) -> BackgroundJob:
    """Queue a draft run; its parameters are checked now, so that a mistake is shown on the
    form rather than in a failed job."""
    cascade.parse_params(parameters, currency=workspace.currency)
    return work.start(
        workspace=workspace,
        actor=actor,
        kind="cascade",
        params={"fiscal_year": fiscal_year, "parameters": dict(parameters)},
    )


def create_run(job: BackgroundJob) -> dict[str, Any]:
    """The job's runner: the same ``create_run`` as in the request."""
    run = runs.create_run(
        workspace=job.workspace,
        actor=job.created_by,
        fiscal_year=int(job.params["fiscal_year"]),
        parameters=job.params["parameters"],
    )
    return {"run": str(run.uuid), "number": run.number, "rows": run.seller_count}
