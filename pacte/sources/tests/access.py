"""Access rules of the data source pages and API (read by pacte/tests/test_access.py)."""

from __future__ import annotations

from typing import Any

from pacte.testing.access import ADMIN, Route, register_api, register_pages
from pacte.testing.cast import Cast


def connection(c: Cast) -> Any:
    from pacte.sources.models import Connection
    from pacte.sources.services import create_connection

    found = Connection.objects.for_workspace(c.workspace).filter(name="Probe").first()
    if found is None:
        found, _ = create_connection(
            workspace=c.workspace,
            actor=c.admin,
            kind="https",
            name="Probe",
            config={"url": "https://crm.invalid/deals", "auth": "none"},
            every="off",
        )
    return found


def run(c: Cast) -> Any:
    from pacte.sources.models import SyncRun

    conn = connection(c)
    found = SyncRun.objects.for_workspace(c.workspace).filter(connection=conn).first()
    return found or SyncRun.objects.create(
        workspace=c.workspace,
        connection=conn,
        connection_name=conn.name,
        mode="dry_run",
        status="done",
    )


def page_obj(c: Cast) -> dict[str, Any]:
    return {"uuid": connection(c).uuid}


def api_obj(c: Cast) -> dict[str, Any]:
    return {"connection_id": connection(c).uuid}


register_pages(
    {
        "sources:index": Route(ADMIN),
        "sources:create": Route(ADMIN),
        "sources:detail": Route(ADMIN, obj=page_obj),
        "sources:edit": Route(ADMIN, obj=page_obj),
        "sources:mapping": Route(ADMIN, obj=page_obj),
        "sources:delete": Route(ADMIN, obj=page_obj),
        "sources:sync": Route(ADMIN, obj=page_obj),
        "sources:test": Route(ADMIN, obj=page_obj),
        "sources:rotate_secret": Route(ADMIN, obj=page_obj),
        "sources:run": Route(ADMIN, obj=lambda c: {"uuid": connection(c).uuid, "run": run(c).uuid}),
        # Signed by the remote system, not a member's session (test_webhooks.py).
        "sources:webhook": Route("public", obj=page_obj),
    }
)

register_api(
    {
        ("GET", "/api/v1/sources"): Route(ADMIN),
        ("POST", "/api/v1/sources"): Route(
            ADMIN,
            body=lambda c: {
                "kind": "https",
                "name": "API probe",
                "config": {"url": "https://crm.invalid/x", "auth": "none"},
                "every": "off",
            },
        ),
        ("GET", "/api/v1/sources/{connection_id}"): Route(ADMIN, obj=api_obj),
        ("PATCH", "/api/v1/sources/{connection_id}"): Route(
            ADMIN, obj=api_obj, body=lambda c: {"name": "Probe 2"}
        ),
        ("DELETE", "/api/v1/sources/{connection_id}"): Route(ADMIN, obj=api_obj),
        ("POST", "/api/v1/sources/{connection_id}/test"): Route(ADMIN, obj=api_obj),
        ("GET", "/api/v1/sources/{connection_id}/mapping"): Route(ADMIN, obj=api_obj),
        ("PUT", "/api/v1/sources/{connection_id}/mapping"): Route(
            ADMIN, obj=api_obj, body=lambda c: {"name": "Probe fields", "mapping": {"amount": "x"}}
        ),
        ("GET", "/api/v1/sources/{connection_id}/syncs"): Route(ADMIN, obj=api_obj),
        ("POST", "/api/v1/sources/{connection_id}/syncs"): Route(
            ADMIN, obj=api_obj, body=lambda c: {"mode": "dry_run"}
        ),
        ("GET", "/api/v1/sources/{connection_id}/syncs/{sync_id}"): Route(
            ADMIN, obj=lambda c: {"connection_id": connection(c).uuid, "sync_id": run(c).uuid}
        ),
    }
)
