"""The reference topology as real processes on PostgreSQL: two granian web processes, two
``pacte worker --with-scheduler``. A file uploaded through web 1 is imported by the worker
that took it; that worker is killed (SIGKILL) and the other completes the import once the
lease expires; web 2 reads the result. A due digest is sent exactly once with two schedulers.
Every connection of the application is terminated on the server and web and workers recover.

Runs in the PostgreSQL pass of ``make test`` (``tools/with_postgres.py``); skipped on SQLite,
whose one file is not what several machines share."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from pacte.jobs.tests.test_worker_processes import DUE_DIGEST, write_sales
from pacte.testing.processes import ROOT, SETUP, Deployment, own_database

# The subprocesses start from a copy of the test database (``migrated_database``), which
# pytest-django creates only for the tests marked as using it.
pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

ROWS = 20_000
PASSWORD = "correct-horse-battery-staple"
ADMIN = "admin@acme.example"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Web:
    """A granian web process (one worker) on a free port, with a signed-in session."""

    def __init__(self, dep: Deployment, name: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.name = name
        log = open(dep.logs / f"{name}.log", "w")  # noqa: SIM115 - closed with the process
        self.proc = subprocess.Popen(
            [
                str(Path(sys.executable).with_name("granian")),
                "--interface",
                "wsgi",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--workers",
                "1",
                "--blocking-threads",
                "2",
                "--log-level",
                "warning",
                "pacte.wsgi:application",
            ],
            env=dep.env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Deployment.stop_all ends its workers with it
        )
        dep.started.append(self.proc)  # type: ignore[arg-type]
        self.session = requests.Session()

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                requests.get(self.url + "/healthz", timeout=30)
                return
            except (requests.ConnectionError, requests.Timeout):
                assert self.proc.poll() is None, f"{self.name} exited"
                assert time.monotonic() < deadline, f"{self.name} did not answer"
                time.sleep(0.1)

    def csrf(self, path: str) -> str:
        page = self.session.get(self.url + path, timeout=30)
        assert page.status_code == 200, (path, page.status_code)
        found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        assert found, f"no form on {path}"
        return found.group(1)

    def post(self, path: str, data: dict[str, str], **kwargs: object) -> requests.Response:
        data = {"csrfmiddlewaretoken": self.csrf(path), **data}
        return self.session.post(
            self.url + path,
            data=data,
            headers={"Referer": self.url + path},
            allow_redirects=False,
            timeout=60,
            **kwargs,  # type: ignore[arg-type]
        )

    def sign_in(self) -> None:
        r = self.post("/account/login/", {"username": ADMIN, "password": PASSWORD})
        assert r.status_code == 302, r.text[-2000:]

    def healthz(self) -> int:
        try:
            return requests.get(self.url + "/healthz", timeout=10).status_code
        except requests.RequestException:
            return 0

    def upload(self, path: Path, source: str) -> str:
        """Upload a sales file and map its columns: the import is queued. Its uuid."""
        with path.open("rb") as f:
            r = self.post("/sales/imports/", {"source": source}, files={"file": (path.name, f)})
        assert r.status_code == 302, r.text[-2000:]
        map_path = r.headers["Location"]
        fields = {f"map_{k}": k for k in ("external_id", "date", "amount", "channel", "seller")}
        fields |= {"map_split": "split", "date_order": "auto", "amount_style": "auto"}
        r = self.post(map_path, fields)
        assert r.status_code == 302, r.text[-3000:]
        return map_path.rstrip("/").split("/")[-2]

    def import_page(self, uuid: str) -> str:
        page = self.session.get(f"{self.url}/sales/imports/{uuid}/", timeout=30)
        assert page.status_code == 200
        return page.text


@pytest.fixture
def deployment(tmp_path: Path, migrated_database: str) -> Iterator[Deployment]:
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        pytest.skip("the PostgreSQL pass runs the topology (tools/with_postgres.py)")
    with own_database(tmp_path, "topology", template=migrated_database) as url:
        # PACTE_ENV=test: static files without a manifest, quick password hashes.
        dep = Deployment(
            url,
            tmp_path,
            PACTE_ENV="test",
            PACTE_SCHEDULER_SECONDS="0.5",
            PACTE_DB_CONN_MAX_AGE="600",
        )
        try:
            yield dep
        finally:
            dep.stop_all()


def task_of(dep: Deployment, suffix: str) -> list[tuple[str, list[str]]]:
    return [
        (status, workers)
        for status, workers in dep.query(
            "SELECT status, worker_ids FROM django_tasks_database_dbtaskresult "
            "WHERE task_path LIKE %s ORDER BY enqueued_at",
            [f"%{suffix}"],
        )
    ]


def import_status(dep: Deployment, uuid: str) -> str:
    return str(dep.query("SELECT status FROM sales_importjob WHERE uuid = %s", [uuid])[0][0])


def test_two_webs_two_workers_survive_a_killed_worker_and_a_lost_database(deployment, tmp_path):
    dep = deployment
    started = time.monotonic()
    # The web processes load while the database is migrated; the digest is due from the start.
    webs = [Web(dep, "web1"), Web(dep, "web2")]
    dep.script(
        SETUP + DUE_DIGEST.replace("import datetime, django; django.setup()", "import datetime")
    )
    workers = {
        name: dep.start("worker", "--with-scheduler", "--worker-id", name, name=name)
        for name in ("w1", "w2")
    }
    for web in webs:
        web.wait_ready()
    web1, web2 = webs
    setup = time.monotonic() - started

    # Uploaded and mapped through web 1. The worker that took the import is killed mid-import;
    # the other completes it once the lease has expired.
    web1.sign_in()
    uuid = web1.upload(write_sales(tmp_path / "sales.csv", ROWS), "topology")
    dep.wait_for(lambda: [s for s, _w in task_of(dep, "run_import_task")] == ["RUNNING"])
    ((_status, holders),) = task_of(dep, "run_import_task")
    victim = holders[-1]
    survivor = "w2" if victim == "w1" else "w1"
    workers[victim].send_signal(signal.SIGKILL)
    workers[victim].wait(timeout=30)
    # What systemd does: the killed worker comes back (two schedulers again).
    workers[victim] = dep.start(
        "worker", "--with-scheduler", "--worker-id", f"{victim}b", name=f"{victim}b"
    )
    dep.wait_for(
        lambda: task_of(dep, "run_import_task")[0][0] == "SUCCESSFUL", timeout=90, every=0.1
    )
    assert import_status(dep, uuid) == "done"
    assert task_of(dep, "run_import_task")[0][1] in ([victim, survivor], [victim, f"{victim}b"])
    assert "lost its worker" in dep.log(survivor) + dep.log(f"{victim}b")

    # Web 2 (another process, another session) reads the result.
    web2.sign_in()
    assert "Imported: 20,000 new, 0 changed, 0 unchanged." in web2.import_page(uuid)
    assert dep.query("SELECT COUNT(*) FROM sales_sale")[0][0] == ROWS

    # The due digest, two schedulers from the start: one run, one e-mail per member.
    dep.wait_for(
        lambda: dep.query("SELECT COUNT(*) FROM jobs_schedulerun WHERE status = 'done'")[0][0] == 1,
        timeout=60,
        every=0.1,
    )
    members = dep.query(
        "SELECT COUNT(*) FROM accounts_membership m JOIN accounts_workspace w "
        "ON w.id = m.workspace_id WHERE w.slug = 'acme' AND m.is_active"
    )[0][0]
    assert dep.query("SELECT COUNT(*) FROM jobs_schedulerun")[0][0] == 1
    assert len(task_of(dep, "run_schedule_task")) == 1
    sent = sum(
        dep.log(name).count("Subject: Your week in Pacte: Acme")
        for name in ("w1", "w2", f"{victim}b")
    )
    assert sent == members

    # Every connection of the application is cut on the server: both webs answer again, and a
    # file uploaded through web 2 is imported by a worker.
    terminated = dep.query(
        "SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity "
        "WHERE datname = current_database() AND pid <> pg_backend_pid()"
    )[0][0]
    assert terminated >= 4  # two webs, two workers (each with its heartbeat and listener)
    for web in webs:
        dep.wait_for(lambda web=web: web.healthz() == 200, timeout=30, every=0.2)
    again = web2.upload(write_sales(tmp_path / "more.csv", 10), "after")
    dep.wait_for(lambda: import_status(dep, again) == "done", timeout=60, every=0.1)
    assert "Imported: 10 new" in web1.import_page(again)
    assert all(w.poll() is None for w in workers.values()), "a worker died"
    total = time.monotonic() - started
    print(f"topology: set-up {setup:.1f} s, all {total:.1f} s")
    assert total - setup < 60
