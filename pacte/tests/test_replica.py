"""Reads from a real PostgreSQL streaming replica (started here from the machine's binaries:
initdb, pg_basebackup -R, a second port): read-your-writes through the cube version, fallback
to the primary when the replica lags or is down, writes never on the replica."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from pacte.replica import REPLICA, ReplicaRouter
from pacte.testing import replica as harness

ROOT = Path(__file__).resolve().parents[2]
# The test database is what the primary starts from (see ``pair``): pytest-django creates it
# only for the tests that use it.
pytestmark = pytest.mark.django_db


def _run(pair: harness.Pair, *args: str) -> dict:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "pacte.settings",
        "DATABASE_URL": pair.url(pair.primary_port),
        "DATABASE_REPLICA_URL": pair.url(pair.replica_port),
        "PACTE_REPLICA_MAX_LAG": "1",
        "PACTE_ENV": "test",
    }
    done = subprocess.run(
        [sys.executable, "-m", "pacte.testing.replica", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def pair(django_db_setup: None, django_db_blocker: Any) -> Iterator[harness.Pair]:
    """A primary holding a copy of the test database (migrated once for the session), and its
    replica. The PostgreSQL pass only: it is the same test on SQLite, and a pair of servers
    with a migrated copy costs minutes there."""
    if connection.vendor != "postgresql":
        pytest.skip("the PostgreSQL pass runs the replica test (tools/with_postgres.py)")
    bindir = harness.find_binaries()
    if bindir is None:
        message = "SKIPPED: no PostgreSQL binaries (initdb, pg_basebackup) for the replica test"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        warnings.warn(message, stacklevel=1)
        pytest.skip(message)
    started = harness.start_pair(bindir)
    try:
        try:
            with django_db_blocker.unblock():
                harness.copy_database(started, connection.settings_dict)
        except subprocess.CalledProcessError as exc:  # pg_dump older than the server
            warnings.warn(f"replica test: migrating, no copy ({exc.stderr!r})", stacklevel=1)
            env = {
                **os.environ,
                "DATABASE_URL": started.url(started.primary_port),
                "PACTE_ENV": "test",
            }
            subprocess.run(
                [sys.executable, "-m", "pacte", "migrate", "--no-input", "-v0"],
                env=env,
                cwd=ROOT,
                check=True,
                timeout=600,
            )
        yield started
    finally:
        started.stop()


def test_reads_follow_the_replica_only_when_it_is_fresh(pair):
    seen = _run(pair)
    assert seen["caught_up"]
    assert seen["fresh_read_on"] == REPLICA
    # the reader's own write made a cube version the paused replica lacks: the primary
    assert seen["stale_used_replica"] is False
    assert seen["stale_read_version"] == seen["expected_version"]
    assert any("replica behind the cube of workspace" in line for line in seen["lines"])
    assert seen["resumed"]
    assert seen["lagging_usable"] is False
    assert any(
        "replica lags" in line and "reading from the primary" in line for line in seen["lines"]
    )
    assert seen["write_routed_to"] == "default"
    assert any("read from the replica refused there" in line for line in seen["lines"])
    assert seen["replica_refused_write"]


def test_a_replica_that_is_down_sends_reads_to_the_primary(pair):
    pair.stop_one("replica")
    try:
        seen = _run(pair, "down")
    finally:
        pair.start("replica", pair.replica_port)
    assert seen["used"] is False
    assert seen["name"]
    assert any("replica unavailable, reading from the primary" in line for line in seen["lines"])


def test_the_router_never_migrates_nor_writes_on_the_replica():
    router = ReplicaRouter()
    assert router.allow_migrate(REPLICA, "sales") is False
    assert router.allow_migrate("default", "sales") is True
    assert router.db_for_write(object) == "default"
    assert router.db_for_read(object) is None  # outside reads_from_replica: the primary
