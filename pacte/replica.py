"""Reads of insights pages and exports from a PostgreSQL streaming replica.

With ``DATABASE_REPLICA_URL`` set, the views wrapped in :func:`replica_reads` read through the
``replica`` connection, but only when it is safe, checked once per request by one small query
on the replica (:func:`replica_usable`):

- the replica holds at least the workspace's cube version as the primary gave it at the start
  of the request (``Workspace.cube_version``, bumped in the transaction of every change to the
  sales): the figures are never older than what the reader's own last import, re-crediting or
  edit produced — read-your-writes;
- it lags the primary by at most ``PACTE_REPLICA_MAX_LAG`` seconds (nothing left to replay
  counts as no lag, however long the primary has been idle);
- it answers (``connect_timeout``: ``PACTE_REPLICA_CONNECT_TIMEOUT``).

Otherwise the request reads from the primary and one line on the ``pacte.replica`` logger
says why. Writes always go to the primary (:class:`ReplicaRouter`); a write of a row that was
read from the replica is sent to the primary too, with a log line; migrations never run on the
replica (a streaming replica follows the primary's schema by itself).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import wraps
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections

REPLICA = "replica"
logger = logging.getLogger("pacte.replica")
_reading: ContextVar[bool] = ContextVar("pacte_replica_reads", default=False)

#: Seconds the replica is behind: 0 when it has replayed everything it received.
LAG_SQL = (
    "SELECT CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0 "
    "ELSE COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 0) END, "
    "(SELECT cube_version FROM accounts_workspace WHERE id = %s)"
)


def configured() -> bool:
    return REPLICA in settings.DATABASES


def replica_usable(workspace: Any) -> bool:
    """Whether this request may read ``workspace``'s figures from the replica (see the module's
    docstring); logs why not when it may not."""
    try:
        with connections[REPLICA].cursor() as c:
            c.execute(LAG_SQL, [workspace.pk])
            lag, version = c.fetchone()
    except DatabaseError as exc:
        logger.warning("replica unavailable, reading from the primary: %s", str(exc).strip())
        connections[REPLICA].close()
        return False
    if version is None or version < workspace.cube_version:
        logger.info(
            "replica behind the cube of workspace %s (version %s < %s), reading from the primary",
            workspace.pk,
            version,
            workspace.cube_version,
        )
        return False
    if float(lag) > settings.PACTE_REPLICA_MAX_LAG:
        logger.warning(
            "replica lags %.1f s (over %.1f s), reading from the primary",
            float(lag),
            settings.PACTE_REPLICA_MAX_LAG,
        )
        return False
    return True


@contextmanager
def reads_from_replica(workspace: Any) -> Iterator[bool]:
    """Route the reads of the block to the replica when :func:`replica_usable`; yields whether
    they are."""
    if not configured() or not replica_usable(workspace):
        yield False
        return
    token = _reading.set(True)
    try:
        yield True
    finally:
        _reading.reset(token)


def replica_reads[**P, R](view: Callable[P, R]) -> Callable[P, R]:
    """A view whose reads may come from the replica (after ``member_required``: it reads the
    member's workspace)."""

    @wraps(view)
    def wrapped(*args: P.args, **kwargs: P.kwargs) -> R:
        request = args[0]
        member = getattr(request, "member", None)
        if member is None or not configured():
            return view(*args, **kwargs)
        with reads_from_replica(member.workspace):
            return view(*args, **kwargs)

    return wrapped


class ReplicaRouter:
    """Reads inside :func:`reads_from_replica` go to the replica; every write, and every
    migration, to the primary."""

    def db_for_read(self, model: Any, **hints: Any) -> str | None:
        return REPLICA if _reading.get() else None

    def db_for_write(self, model: Any, **hints: Any) -> str:
        instance = hints.get("instance")
        if instance is not None and getattr(instance._state, "db", None) == REPLICA:
            logger.warning(
                "write of a %s read from the replica refused there, sent to the primary",
                model._meta.label,
            )
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        return True

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        return db != REPLICA
