"""Access rules of the sales pages and API (read by pacte/tests/test_access.py)."""

from __future__ import annotations

from typing import Any

from pacte.testing.access import ADMIN, Route, register_api, register_pages
from pacte.testing.cast import Cast


def channel(c: Cast) -> dict[str, Any]:
    return {"uuid": c.channel.uuid}


def job(c: Cast) -> dict[str, Any]:
    from pacte.sales.models import ImportJob

    return {"uuid": ImportJob.objects.create(workspace=c.workspace, status="failed").uuid}


def rule(c: Cast) -> dict[str, Any]:
    from pacte.sales.models import CreditRule

    return {
        "uuid": CreditRule.objects.create(
            workspace=c.workspace, channel=c.channel, owner=c.seller
        ).uuid
    }


def sale(c: Cast) -> dict[str, Any]:
    from pacte.sales.import_jobs import ingest_records
    from pacte.sales.models import Sale

    ingest_records(
        workspace=c.workspace,
        actor=None,
        records=[
            (
                1,
                {
                    "external_id": "probe",
                    "date": "2026-01-05",
                    "amount": "10",
                    "channel": "field",
                    "seller": c.seller.user.email,
                },
            )
        ],
    )
    return {"sale_id": Sale.objects.for_workspace(c.workspace).get(external_id="probe").uuid}


def _api(fn: Any, key: str) -> Any:
    return lambda c: {key: fn(c)["uuid"]}


register_pages(
    {
        "sales:list": Route("member"),
        "sales:channels": Route(ADMIN),
        "sales:channel_edit": Route(ADMIN, obj=channel),
        "sales:imports": Route(ADMIN),
        "sales:import_map": Route(ADMIN, obj=job),
        "sales:import_job": Route(ADMIN, obj=job),
        "sales:import_cancel": Route(ADMIN, obj=job),
        "sales:import_errors": Route(ADMIN, obj=job),
        "sales:rules": Route(ADMIN),
        "sales:rule_edit": Route(ADMIN, obj=rule),
        "sales:rule_delete": Route(ADMIN, obj=rule),
        "sales:rates": Route(ADMIN),
    }
)

register_api(
    {
        ("GET", "/api/v1/sales/channels"): Route("member"),
        ("POST", "/api/v1/sales/channels"): Route(
            ADMIN,
            body=lambda c: {"code": "partners", "name_en": "Partners", "name_fr": "Partenaires"},
        ),
        ("PATCH", "/api/v1/sales/channels/{channel_id}"): Route(
            ADMIN, obj=_api(channel, "channel_id"), body=lambda c: {"name_en": "Field"}
        ),
        ("GET", "/api/v1/sales/sales"): Route("member"),
        ("POST", "/api/v1/sales/sales/ingest"): Route(ADMIN, body=lambda c: {}),
        ("DELETE", "/api/v1/sales/sales/{sale_id}"): Route(ADMIN, obj=sale),
        ("GET", "/api/v1/sales/imports"): Route(ADMIN),
        ("GET", "/api/v1/sales/imports/{job_id}"): Route(ADMIN, obj=_api(job, "job_id")),
        ("POST", "/api/v1/sales/imports/{job_id}/cancel"): Route(ADMIN, obj=_api(job, "job_id")),
        ("GET", "/api/v1/sales/rules"): Route(ADMIN),
        ("POST", "/api/v1/sales/rules"): Route(
            ADMIN, body=lambda c: {"channel": str(c.channel.uuid), "owner": str(c.seller.uuid)}
        ),
        ("PATCH", "/api/v1/sales/rules/{rule_id}"): Route(
            ADMIN, obj=_api(rule, "rule_id"), body=lambda c: {"priority": 5, "version": 1}
        ),
        ("DELETE", "/api/v1/sales/rules/{rule_id}"): Route(ADMIN, obj=_api(rule, "rule_id")),
        ("GET", "/api/v1/sales/rates"): Route(ADMIN),
        ("POST", "/api/v1/sales/rates"): Route(
            ADMIN, body=lambda c: [{"currency": "CHF", "date": "2026-01-01", "rate": "1.05"}]
        ),
        ("GET", "/api/v1/sales/currency-settings"): Route(ADMIN),
        ("PUT", "/api/v1/sales/currency-settings"): Route(
            ADMIN, body=lambda c: {"missing_rate": "previous"}
        ),
    }
)
