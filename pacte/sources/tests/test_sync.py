"""The sync engine against a local server: incremental with a cursor, full reconciliation,
dry run, and every bad input leaving nothing half-written and the cursor where it was."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from pacte.audit.models import AuditEvent
from pacte.objectives.models import Notification
from pacte.sales.cube import verify
from pacte.sales.models import Sale
from pacte.sources import services
from pacte.sources import sync as engine
from pacte.sources.models import Connection, SyncMode, SyncRun
from pacte.sources.tests.conftest import Remote, record
from pacte.sources.tests.fakeserver import FakeServer
from pacte.testing.cast import Cast

pytestmark = pytest.mark.django_db

Sync = Callable[..., SyncRun]


def sales_of(connection: Connection) -> dict[str, int]:
    return dict(Sale.objects.filter(source=connection.source).values_list("external_id", "amount"))


def test_first_sync_stores_every_record_and_moves_the_cursor(
    cast: Cast, source: Connection, remote: tuple[Remote, FakeServer], sync: Sync
) -> None:
    state, _server = remote
    state.pages = [[record(1), record(2)], [record(3)]]
    run = sync(source)
    assert run.status == "done", run.message
    assert (run.new_count, run.changed_count, run.unchanged_count) == (3, 0, 0)
    assert sales_of(source) == {"D-1": 10000, "D-2": 20000, "D-3": 30000}
    source.refresh_from_db()
    assert source.cursor == run.started_at
    assert "modified_since" not in state.seen[0].query
    assert verify(cast.workspace) == []


def test_next_sync_asks_since_the_cursor_minus_the_overlap_and_updates(
    cast: Cast, source: Connection, remote: tuple[Remote, FakeServer], sync: Sync
) -> None:
    state, _server = remote
    state.pages = [[record(1), record(2)]]
    first = sync(source)
    state.seen.clear()
    state.pages = [[record(2, total="250.00"), record(1)]]
    second = sync(source)
    assert second.status == "done", second.message
    assert (second.new_count, second.changed_count, second.unchanged_count) == (0, 1, 1)
    assert first.started_at is not None
    assert second.since == first.started_at - engine.OVERLAP
    assert state.seen[0].param("modified_since") == second.since.isoformat()
    assert sales_of(source)["D-2"] == 25000
    assert AuditEvent.objects.filter(action="sale.updated", object_repr="D-2").count() == 1
    assert verify(cast.workspace) == []


def test_same_record_on_two_pages_is_stored_once(
    source: Connection, remote: tuple[Remote, FakeServer], sync: Sync
) -> None:
    state, _server = remote
    state.pages = [[record(1), record(2)], [record(2, total="222.00")]]
    run = sync(source)
    assert run.status == "done", run.message
    assert run.new_count == 2
    assert sales_of(source) == {"D-1": 10000, "D-2": 22200}


def test_record_in_another_currency_is_refused_located_nothing_written(
    source: Connection, remote: tuple[Remote, FakeServer], sync: Sync
) -> None:
    state, _server = remote
    state.pages = [[record(1), record(2, currency="USD")]]
    run = sync(source)
    assert run.status == "failed"
    assert run.message_code == "has_errors"
    assert [(e["record_id"], e["code"]) for e in run.errors] == [("D-2", "no_rate")]
    assert sales_of(source) == {}
    source.refresh_from_db()
    assert source.cursor is None


def test_expired_credentials_fail_with_auth_keep_the_cursor_and_alert_admins_once(
    cast: Cast, source: Connection, remote: tuple[Remote, FakeServer], sync: Sync
) -> None:
    state, _server = remote
    state.pages = [[record(1)]]
    done = sync(source)
    services.update_connection(
        connection=source, actor=cast.admin, version=None, secrets={"token": "expired"}
    )
    state.pages = [[record(1, total="999.00")]]
    failed = sync(source)
    assert failed.status == "failed"
    assert failed.message_code == "auth"
    assert "401" in failed.message
    source.refresh_from_db()
    assert source.cursor == done.started_at
    assert sales_of(source) == {"D-1": 10000}
    assert Notification.objects.filter(kind="sync_failed", recipient=cast.admin).count() == 1
    sync(source)  # failing again: no second alert
    assert Notification.objects.filter(kind="sync_failed", recipient=cast.admin).count() == 1


def test_a_page_that_times_out_fails_with_timeout(
    source: Connection, remote: tuple[Remote, FakeServer], sync: Sync
) -> None:
    state, server = remote
    state.pages = [[record(1)]]
    server.delays["/deals"] = 3.0
    run = sync(source)
    assert run.status == "failed"
    assert run.message_code == "timeout"
    assert sales_of(source) == {}


def test_renamed_remote_field_is_a_located_schema_error(
    source: Connection, remote: tuple[Remote, FakeServer], sync: Sync
) -> None:
    state, _server = remote
    renamed = record(1)
    renamed["amount_total"] = renamed.pop("total")
    state.pages = [[renamed]]
    run = sync(source)
    assert run.status == "failed"
    assert run.message_code == "schema"
    assert run.errors[0]["field"] == "total"
    assert "total" in run.message
    assert sales_of(source) == {}


def test_full_reconciliation_removes_sales_no_longer_in_scope(
    cast: Cast, source: Connection, remote: tuple[Remote, FakeServer], sync: Sync
) -> None:
    state, _server = remote
    state.pages = [[record(1), record(2), record(3)]]
    sync(source)
    state.pages = [[record(1), record(3, total="333.00"), record(4)]]
    run = sync(source, SyncMode.FULL)
    assert run.status == "done", run.message
    assert (run.new_count, run.changed_count, run.deleted_count, run.unchanged_count) == (
        1,
        1,
        1,
        1,
    )
    assert sales_of(source) == {"D-1": 10000, "D-3": 33300, "D-4": 40000}
    assert AuditEvent.objects.filter(action="sale.deleted", object_repr="D-2").exists()
    source.refresh_from_db()
    assert source.last_full_at == run.started_at
    assert verify(cast.workspace) == []


def test_dry_run_counts_and_previews_without_writing(
    source: Connection, remote: tuple[Remote, FakeServer], sync: Sync
) -> None:
    state, _server = remote
    state.pages = [[record(1)]]
    sync(source)
    source.refresh_from_db()
    cursor = source.cursor
    state.pages = [[record(1, total="111.00"), record(2)]]
    run = sync(source, SyncMode.DRY_RUN)
    assert run.status == "done", run.message
    assert (run.new_count, run.changed_count) == (1, 1)
    assert [(r["external_id"], r["state"]) for r in run.preview] == [
        ("D-1", "existing"),
        ("D-2", "new"),
    ]
    assert sales_of(source) == {"D-1": 10000}
    source.refresh_from_db()
    assert source.cursor == cursor
    assert run.import_job is None


def test_connection_deleted_while_syncing_writes_nothing(
    cast: Cast,
    source: Connection,
    remote: tuple[Remote, FakeServer],
    sync: Sync,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    state, _server = remote
    state.pages = [[record(1)]]
    read = engine.read

    def read_then_delete(*args, **kwargs):  # type: ignore[no-untyped-def]
        got = read(*args, **kwargs)
        services.delete_connection(connection=source, actor=cast.admin, version=None)
        return got

    monkeypatch.setattr(engine, "read", read_then_delete)
    run = sync(source)
    assert run.status == "failed"
    assert run.message_code == "deleted"
    assert "deleted" in run.message
    assert Sale.objects.filter(source=source.source).count() == 0
    assert run.connection_name == "CRM"


def test_unmapped_required_field_is_a_schema_error(
    cast: Cast, source: Connection, remote: tuple[Remote, FakeServer], sync: Sync
) -> None:
    state, _server = remote
    state.pages = [[record(1)]]
    services.update_connection(
        connection=source,
        actor=cast.admin,
        version=None,
        mapping={**source.mapping, "amount": ""},
    )
    run = sync(source)
    assert run.message_code == "schema"
    assert run.errors[0]["field"] == "amount"


def test_other_tools_hear_each_sync_done_or_failed_but_not_a_dry_run(
    cast: Cast,
    source: Connection,
    remote: tuple[Remote, FakeServer],
    sync: Sync,
    django_capture_on_commit_callbacks,
) -> None:
    import json

    from pacte.webhooks.services import create_subscription
    from pacte.webhooks.tests.receiver import receiver

    state, _server = remote
    state.pages = [[record(1), record(2)]]
    with receiver() as rx:
        create_subscription(
            actor=cast.admin,
            name="Ops",
            url=rx.url,
            format="json",
            events=["sync.done", "sync.failed", "import.done"],
        )
        with django_capture_on_commit_callbacks(execute=True):
            sync(source)
            sync(source, mode=SyncMode.DRY_RUN)
            services.update_connection(
                connection=source, actor=cast.admin, version=None, secrets={"token": "expired"}
            )
            sync(source)
        sent = [json.loads(r.body) for r in rx.requests]
    assert [(s["type"], s["data"]["created"]) for s in sent] == [
        ("sync.done", 2),
        ("sync.failed", 0),
    ]
    assert sent[0]["data"]["name"] == source.name
    assert "401" in sent[1]["data"]["message"]
