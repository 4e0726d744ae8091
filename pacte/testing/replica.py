"""A throwaway PostgreSQL primary and its streaming replica, started from the machine's
binaries (``initdb``, ``pg_basebackup -R``, two ports) as an unprivileged user, as
``tools/with_postgres.py`` starts its throwaway server; and the scenario the replica test runs
against them in a process of its own (``python -m pacte.testing.replica``, with
``DATABASE_URL`` and ``DATABASE_REPLICA_URL`` set), printing its observations as JSON.
"""

from __future__ import annotations

import glob
import json
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


def find_binaries() -> Path | None:
    for initdb in sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True):
        if Path(initdb).with_name("pg_basebackup").exists():
            return Path(initdb).parent
    found = shutil.which("pg_basebackup")
    return Path(found).parent if found and shutil.which("initdb") else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _unprivileged_prefix() -> tuple[list[str], str | None]:
    if os.geteuid() != 0:
        return [], None
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
        except KeyError:
            continue
        return ["runuser", "-u", name, "--"], name
    return [], None


@dataclass
class Pair:
    """A running primary and replica (``stop`` ends both and removes their files)."""

    bindir: Path
    root: Path
    primary_port: int
    replica_port: int
    prefix: list[str] = field(default_factory=list)

    def url(self, port: int) -> str:
        return f"postgres://postgres@127.0.0.1:{port}/pacte"

    def _ctl(self, name: str, *args: str) -> None:
        subprocess.run(
            [*self.prefix, str(self.bindir / "pg_ctl"), "-D", str(self.root / name), *args],
            check=True,
            stdout=subprocess.DEVNULL,
            env={**os.environ, "LC_ALL": "C.UTF-8"},
        )

    def start(self, name: str, port: int) -> None:
        options = f"-p {port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._ctl(name, "-l", str(self.root / f"{name}.log"), "-o", options, "-w", "start")

    def stop_one(self, name: str) -> None:
        self._ctl(name, "-m", "fast", "stop")

    def stop(self) -> None:
        for name in ("replica", "primary"):
            subprocess.run(
                [
                    *self.prefix,
                    str(self.bindir / "pg_ctl"),
                    "-D",
                    str(self.root / name),
                    "-m",
                    "immediate",
                    "stop",
                ],
                check=False,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        shutil.rmtree(self.root, ignore_errors=True)


def start_pair(bindir: Path) -> Pair:
    """initdb a primary, create the ``pacte`` database, copy it with ``pg_basebackup -R``
    (a standby that streams from the primary) and start both."""
    prefix, user = _unprivileged_prefix()
    root = Path(tempfile.mkdtemp(prefix="pacte-replica-"))
    if user is not None:
        shutil.chown(root, user=user)
    pair = Pair(bindir, root, _free_port(), _free_port(), prefix)
    env = {**os.environ, "LC_ALL": "C.UTF-8"}
    run = [*prefix]
    subprocess.run(
        [
            *run,
            str(bindir / "initdb"),
            "-D",
            str(root / "primary"),
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
        ],
        check=True,
        stdout=subprocess.DEVNULL,
        env=env,
    )
    pair.start("primary", pair.primary_port)
    host = ["-h", "127.0.0.1", "-p", str(pair.primary_port), "-U", "postgres"]
    subprocess.run([*run, str(bindir / "createdb"), *host, "pacte"], check=True, env=env)
    subprocess.run(
        [
            *run,
            str(bindir / "pg_basebackup"),
            *host,
            "-D",
            str(root / "replica"),
            "-R",
            "-X",
            "stream",
            "-c",
            "fast",
        ],
        check=True,
        env=env,
    )
    pair.start("replica", pair.replica_port)
    return pair


def copy_database(pair: Pair, source: Mapping[str, Any]) -> None:
    """``pg_dump`` the database of ``source`` (a Django ``settings_dict``) into the primary's
    ``pacte`` database, which the replica follows: seconds, where running the migrations on an
    empty database takes minutes (the migration state is rendered anew for every operation).
    Raises ``CalledProcessError`` when the dump is refused (a server newer than these
    binaries)."""
    bindir = pair.bindir
    dump = [str(bindir / "pg_dump"), "--no-owner", "--no-privileges", "-d", str(source["NAME"])]
    for flag, key in (("-h", "HOST"), ("-p", "PORT"), ("-U", "USER")):
        if source.get(key):
            dump += [flag, str(source[key])]
    env = {**os.environ, "LC_ALL": "C.UTF-8"}
    if source.get("PASSWORD"):
        env["PGPASSWORD"] = str(source["PASSWORD"])
    dumped = subprocess.run(dump, check=True, capture_output=True, env=env)
    subprocess.run(
        [
            str(bindir / "psql"),
            *("-h", "127.0.0.1", "-p", str(pair.primary_port), "-U", "postgres", "-d", "pacte"),
            *("-q", "-v", "ON_ERROR_STOP=1"),
        ],
        input=dumped.stdout,
        check=True,
        stdout=subprocess.DEVNULL,
        env=env,
    )


# --------------------------------------------------------------------------- the scenario


def _wait(predicate: Any, seconds: float = 20.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def scenario() -> dict[str, Any]:
    """Run in a process whose DATABASE_URL is the primary and DATABASE_REPLICA_URL the replica
    (migrated by the caller): what the router and the freshness check do in each case."""
    import logging

    import django

    django.setup()
    from django.db import DatabaseError, connections
    from django.db.models import F

    from pacte import replica
    from pacte.accounts.models import Workspace
    from pacte.accounts.services import create_workspace

    lines: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(record.getMessage())

    logging.getLogger("pacte.replica").addHandler(Keep())
    logging.getLogger("pacte.replica").setLevel(logging.INFO)
    out: dict[str, Any] = {}
    ws = Workspace.objects.filter(slug="replica").first() or create_workspace(
        name="Replica", slug="replica", currency="EUR"
    )
    out["caught_up"] = _wait(lambda: replica.replica_usable(Workspace.objects.get(pk=ws.pk)))
    with replica.reads_from_replica(Workspace.objects.get(pk=ws.pk)) as used:
        read = Workspace.objects.get(pk=ws.pk)
        out["fresh_read_on"] = read._state.db if used else "primary"
    # a write on the primary while the replica does not replay: the reader's next read must
    # not be stale (its cube version is newer than the replica's)
    with connections["replica"].cursor() as c:
        c.execute("SELECT pg_wal_replay_pause()")
    Workspace.objects.filter(pk=ws.pk).update(cube_version=F("cube_version") + 5)
    mine = Workspace.objects.get(pk=ws.pk)
    with replica.reads_from_replica(mine) as used:
        out["stale_used_replica"] = used
        out["stale_read_version"] = Workspace.objects.get(pk=ws.pk).cube_version
    out["expected_version"] = mine.cube_version
    # lag beyond the bound without a cube change (a rename): the primary, with a log line
    Workspace.objects.filter(pk=ws.pk).update(name="Renamed")
    with connections["replica"].cursor() as c:
        c.execute("SELECT pg_wal_replay_resume()")
    out["resumed"] = _wait(lambda: replica.replica_usable(Workspace.objects.get(pk=ws.pk)))
    with connections["replica"].cursor() as c:
        c.execute("SELECT pg_wal_replay_pause()")
    Workspace.objects.filter(pk=ws.pk).update(name="Renamed again")
    time.sleep(1.5)
    out["lagging_usable"] = replica.replica_usable(Workspace.objects.get(pk=ws.pk))
    with connections["replica"].cursor() as c:
        c.execute("SELECT pg_wal_replay_resume()")
    # a write of a row read from the replica goes to the primary; the replica refuses writes
    _wait(lambda: replica.replica_usable(Workspace.objects.get(pk=ws.pk)))
    from_replica = Workspace.objects.using("replica").get(pk=ws.pk)
    out["write_routed_to"] = replica.ReplicaRouter().db_for_write(Workspace, instance=from_replica)
    try:
        with connections["replica"].cursor() as c:
            c.execute("UPDATE accounts_workspace SET name = 'x' WHERE id = %s", [ws.pk])
        out["replica_refused_write"] = False
    except DatabaseError as exc:
        out["replica_refused_write"] = "read-only" in str(exc)
    connections["replica"].close()
    out["lines"] = lines
    return out


def down_scenario() -> dict[str, Any]:
    """The replica is stopped: the check falls back to the primary with a log line."""
    import logging

    import django

    django.setup()
    from pacte import replica
    from pacte.accounts.models import Workspace
    from pacte.accounts.services import create_workspace

    lines: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(record.getMessage())

    logging.getLogger("pacte.replica").addHandler(Keep())
    ws = Workspace.objects.filter(slug="replica").first() or create_workspace(
        name="Replica", slug="replica", currency="EUR"
    )
    with replica.reads_from_replica(ws) as used:
        name = Workspace.objects.get(pk=ws.pk).name
    return {"used": used, "name": name, "lines": lines}


if __name__ == "__main__":
    import sys

    which = sys.argv[1] if len(sys.argv) > 1 else "scenario"
    print(json.dumps(down_scenario() if which == "down" else scenario()))
