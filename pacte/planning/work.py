"""Cascade runs made by a worker: a workspace with many sellers computes and stores its draft
runs, publishes them and re-runs them for a new target in the background
(``PACTE_BACKGROUND_CASCADE_SELLERS``); a smaller one in the request, as before, since its run
is ready in well under a second."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from pacte.accounts.models import Membership, Workspace
from pacte.errors import DomainError
from pacte.jobs import work
from pacte.jobs.models import BackgroundJob
from pacte.planning import cascade, runs
from pacte.planning.models import CascadeRun

#: ``params["replaces"]`` of a publication that publishes whatever run is the reference then.
ANY = "*"


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


def start_publish(
    *, run: CascadeRun, actor: Membership | None, version: int | None, replaces: Any
) -> BackgroundJob:
    """Queue the publication of a draft; the version and the reference the publisher was
    shown are checked on the worker, so that a run changed or published in between ends the
    job "failed" with the reason."""
    return work.start(
        workspace=run.workspace,
        actor=actor,
        kind="publish",
        params={
            "run": str(run.uuid),
            "version": version,
            "replaces": ANY if replaces is runs.ANY_REFERENCE else (str(replaces or "") or None),
        },
    )


def start_rerun(*, run: CascadeRun, actor: Membership | None) -> BackgroundJob:
    """Queue a re-run of the published ``run`` for the company target as it is then."""
    return work.start(
        workspace=run.workspace, actor=actor, kind="rerun", params={"run": str(run.uuid)}
    )


def _run_of(job: BackgroundJob) -> CascadeRun:
    found = (
        CascadeRun.objects.for_workspace(job.workspace)
        .select_related("workspace")
        .filter(uuid=job.params["run"])
        .first()
    )
    if found is None:
        raise DomainError(_("This run no longer exists."), code="not_found")
    return found


def publish_run(job: BackgroundJob) -> dict[str, Any]:
    """The job's runner: the same ``publish_run`` as in the request."""
    replaces = job.params.get("replaces")
    run = runs.publish_run(
        run=_run_of(job),
        actor=job.created_by,
        version=job.params.get("version"),
        replaces=runs.ANY_REFERENCE if replaces == ANY else replaces,
    )
    return {"run": str(run.uuid), "number": run.number, "rows": run.seller_count}


def rerun_for_target(job: BackgroundJob) -> dict[str, Any]:
    """The job's runner: the same ``rerun_for_target`` as in the request."""
    run = runs.rerun_for_target(run=_run_of(job), actor=job.created_by)
    return {"run": str(run.uuid), "number": run.number, "rows": run.seller_count}
