"""Real processes for tests: a database of the test's own, Pacte subprocesses (workers,
schedulers, scripts) on it, and reads of its rows without Django.

SQLite by default; PostgreSQL in the PostgreSQL pass (``DATABASE_URL`` set by
``tools/with_postgres.py``), where each test gets a database of its own."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]

SETUP = """
import django; django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from pacte.testing.cast import build_cast
build_cast()
"""


@contextmanager
def own_database(tmp_path: Path, name: str = "proc", template: str = "") -> Iterator[str]:
    """The URL of a database for this test alone (dropped afterwards on PostgreSQL): empty, or
    a copy of ``template`` (a URL this function gave before)."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        path = tmp_path / f"{name}.sqlite3"
        if template:  # the backup API: a copy of the file would miss what is still in its WAL
            with (
                sqlite3.connect(template.removeprefix("sqlite:///")) as src,
                sqlite3.connect(path) as dst,
            ):
                src.backup(dst)
        yield f"sqlite:///{path}"
        return
    import psycopg

    base, _, _db = url.rpartition("/")
    admin = f"{base}/postgres".replace("postgres://", "postgresql://", 1)
    db = f"pacte_{name}_{os.getpid()}"
    copy = f" TEMPLATE {template.rpartition('/')[2]}" if template else ""
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {db}{copy}")
    try:
        yield f"{base}/{db}"
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")


@contextmanager
def test_database_copy(tmp_path: Path) -> Iterator[str]:
    """The URL of a copy of pytest-django's test database, migrated once for the session and
    empty between tests: a template for :func:`own_database` that saves a subprocess the
    minutes of an empty database's migrations. Call it from a session fixture (on PostgreSQL
    it closes Django's connection, which must not be inside a test's transaction)."""
    from django.db import connection

    name = str(connection.settings_dict["NAME"])
    test_name = connection.settings_dict.get("TEST", {}).get("NAME")
    if name != test_name and not name.startswith("test_"):  # Django's prefix
        raise RuntimeError("no test database: mark the test with pytest.mark.django_db")
    if connection.vendor == "sqlite":
        path = tmp_path / "migrated.sqlite3"
        with sqlite3.connect(name) as src, sqlite3.connect(path) as dst:
            src.backup(dst)
        yield f"sqlite:///{path}"
        return
    import psycopg

    url = os.environ["DATABASE_URL"]
    base, _, _db = url.rpartition("/")
    admin = f"{base}/postgres".replace("postgres://", "postgresql://", 1)
    db = f"pacte_migrated_{os.getpid()}"
    connection.close()  # a template database has no other session
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")
        deadline = time.monotonic() + 10
        while True:  # a live server's thread may still be closing its connection
            try:
                conn.execute(f'CREATE DATABASE {db} TEMPLATE "{name}"')
                break
            except psycopg.errors.ObjectInUse:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
    try:
        yield f"{base}/{db}"
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")


class Deployment:
    """Pacte processes sharing one database, with the database task backend and short leases."""

    def __init__(self, url: str, tmp_path: Path, **env: str) -> None:
        self.url = url
        self.env = {
            **os.environ,
            "DATABASE_URL": url,
            "DJANGO_SETTINGS_MODULE": "pacte.settings",
            "PACTE_ENV": "development",
            "PACTE_VAR_DIR": str(tmp_path / "var"),
            "PACTE_TASKS_BACKEND": "pacte.jobs.backend.DatabaseBackend",
            "PACTE_WORKER_HEARTBEAT_SECONDS": "0.5",
            "PACTE_JOB_LEASE_SECONDS": "3",
            "PACTE_WORKER_POLL_SECONDS": "0.1",
            "PACTE_JOB_RETRY_SECONDS": "0.2",
            "PACTE_LOG_LEVEL": "INFO",
            **env,
        }
        self.env.pop("PROMETHEUS_MULTIPROC_DIR", None)
        self.started: list[subprocess.Popen[str]] = []
        self.logs = tmp_path

    def script(self, code: str, *args: str, timeout: float = 300) -> str:
        done = subprocess.run(
            [sys.executable, "-c", code, *args],
            env=self.env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        return done.stdout

    def ready_script(self, code: str) -> subprocess.Popen[str]:
        """Start ``code`` (which prints "ready" once Django is set up, then reads its input) so
        that it can act the moment the test writes to it."""
        proc = subprocess.Popen(
            [sys.executable, "-c", code],
            env=self.env,
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        self.started.append(proc)
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "ready"
        return proc

    def setup(self) -> None:
        self.script(SETUP)

    def start(self, *args: str, name: str = "worker") -> subprocess.Popen[str]:
        log = open(self.logs / f"{name}.log", "w")  # noqa: SIM115 - closed with the process
        proc = subprocess.Popen(
            [sys.executable, "-m", "pacte", *args],
            env=self.env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self.started.append(proc)
        return proc

    def log(self, name: str = "worker") -> str:
        return (self.logs / f"{name}.log").read_text()

    def stop_all(self) -> None:
        """SIGKILL every process started here with its children: each leads a process group
        of its own (``start_new_session``), so a granian web process's workers, which outlive
        their parent, end with it."""
        for proc in self.started:
            # the group may be gone already (the test killed and reaped it)
            with suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        if self.url.startswith("sqlite:///"):
            with sqlite3.connect(self.url.removeprefix("sqlite:///"), timeout=30) as conn:
                return conn.execute(sql.replace("%s", "?"), params).fetchall()
        import psycopg

        with psycopg.connect(self.url.replace("postgres://", "postgresql://", 1)) as conn:
            return conn.execute(sql, params).fetchall()

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        if self.url.startswith("sqlite:///"):
            with sqlite3.connect(self.url.removeprefix("sqlite:///"), timeout=30) as conn:
                conn.execute(sql.replace("%s", "?"), params)
            return
        import psycopg

        with psycopg.connect(self.url.replace("postgres://", "postgresql://", 1)) as conn:
            conn.execute(sql, params)

    def wait_for(
        self, check: Callable[[], bool], *, timeout: float = 120, every: float = 0.02
    ) -> None:
        deadline = time.monotonic() + timeout
        while not check():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout} s")
            time.sleep(every)
