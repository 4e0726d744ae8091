"""Hook points other features attach to (outbound webhooks, later). Called explicitly by the
sync engine, never through signals."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pacte.sources.models import Connection, SyncRun


def sync_finished(connection: Connection | None, run: SyncRun) -> None:
    """A sync ended (done or failed); ``connection`` is None when it was deleted meanwhile.
    Called after the sync's transaction committed. A no-op for now."""
    return None
