"""The queue's part of /healthz: waiting jobs, the oldest wait, live workers."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import DatabaseError

from pacte.jobs.queue import queue_state, uses_database_queue


def jobs_health() -> tuple[dict[str, Any], bool]:
    """The jobs section of /healthz and whether it is healthy: failing when jobs wait and no
    worker is alive, or the oldest has waited longer than PACTE_HEALTH_MAX_WAIT_SECONDS."""
    if not uses_database_queue():
        return {"status": "ok", "backend": settings.TASKS["default"]["BACKEND"]}, True
    try:
        state = queue_state()
    except DatabaseError:
        return {"status": "unavailable"}, False
    healthy = not state.stalled
    return {
        "status": "ok" if healthy else "failing",
        "waiting": state.waiting,
        "running": state.running,
        "oldest_wait_seconds": round(state.oldest_wait, 1)
        if state.oldest_wait is not None
        else None,
        "workers": {
            "alive": state.workers_alive,
            "busy": state.workers_busy,
            "last_seen": state.last_seen.isoformat() if state.last_seen else None,
            "lease_seconds": state.lease,
        },
    }, healthy
