"""Tasks for the tests of the worker (importable by path, as a worker imports them)."""

from __future__ import annotations

from django.db import OperationalError
from django.tasks import task

#: attempts seen by ``flaky``, per key
SEEN: dict[str, int] = {}


@task
def flaky(key: str, failures: int) -> dict[str, int]:
    """Fails with a transient database error ``failures`` times, then succeeds."""
    SEEN[key] = SEEN.get(key, 0) + 1
    if SEEN[key] <= failures:
        raise OperationalError("server closed the connection unexpectedly")
    return {"rows": 7}


@task
def broken() -> None:
    raise ValueError("a bug")
