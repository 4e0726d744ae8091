"""``pacte worker``'s loop: django-tasks-db's worker with heartbeats, leases and retries.

django-tasks-db claims a job with ``SELECT … FOR UPDATE SKIP LOCKED`` (an exclusive transaction
on SQLite) and runs it; it has no notion of a worker that dies mid-job, nor of retrying. This
module adds the smallest layer that makes jobs durable:

- a heartbeat row per worker, beaten by a thread every ``PACTE_WORKER_HEARTBEAT_SECONDS``,
  naming the job the worker holds (its lease);
- every worker, between jobs, queues again the running jobs whose worker was not seen for
  ``PACTE_JOB_LEASE_SECONDS`` (``queue.requeue_expired``), up to ``PACTE_JOB_MAX_ATTEMPTS``;
- a transient database error (a restarted server, a lock timeout) puts the job back with a
  growing delay; any other error, or the last attempt, fails it and calls the task's give-up
  handler, which ends its user-visible row with a message;
- a database that cannot be reached is waited for, with a clear line in the log.
"""

from __future__ import annotations

import contextlib
import logging
import os
import random
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError, close_old_connections
from django.db import connection as db_connection
from django.tasks.base import TaskContext, TaskResultStatus
from django.tasks.signals import task_finished, task_started
from django.utils import timezone
from django.utils.crypto import get_random_string
from django.utils.module_loading import autodiscover_modules
from django_tasks_db.management.commands.db_worker import Worker as DatabaseWorker
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction, is_locked_database_exception

from pacte.jobs import queue
from pacte.jobs.backend import CHANNEL
from pacte.jobs.models import WorkerHeartbeat

logger = logging.getLogger("pacte.jobs")

#: Errors worth another attempt: the database went away or a lock could not be had in time.
TRANSIENT = (OperationalError, InterfaceError)


def new_worker_id() -> str:
    return f"{socket.gethostname()[:40]}-{os.getpid()}-{get_random_string(6)}"[:64]


class Heartbeat(threading.Thread):
    """Writes the worker's ``last_seen`` (and the job it holds) every few seconds, on its own
    database connection, until stopped."""

    def __init__(self, worker_id: str, every: float) -> None:
        super().__init__(name="pacte-heartbeat", daemon=True)
        self.worker_id = worker_id
        self.every = every
        self.task_id: Any = None
        self.halt = threading.Event()

    def run(self) -> None:
        try:
            while not self.halt.wait(self.every):
                self.beat()
        finally:
            db_connection.close()

    def beat(self) -> None:
        try:
            found = WorkerHeartbeat.objects.filter(worker_id=self.worker_id).update(
                last_seen=timezone.now(), task_id=self.task_id
            )
            if not found:  # forgotten while the database was away: announce ourselves again
                register(self.worker_id, task_id=self.task_id)
        except DatabaseError as exc:
            logger.warning("Worker %s: heartbeat not written (%s)", self.worker_id, exc)
            db_connection.close()


def lower_priority() -> int:
    """Lower this process's CPU priority by ``PACTE_WORKER_NICE`` and return its niceness.

    A worker on a machine it shares with web processes (or with the database) then takes the
    processor only when they leave it: an import slows other companies' pages less. Call it
    before the process starts threads (the heartbeat, Polars' pool): on Linux a thread inherits
    the niceness of the thread that starts it, and ``nice`` changes the calling thread's."""
    step = settings.PACTE_WORKER_NICE
    return os.nice(step) if step else os.nice(0)


#: Hosts that mean "the database server runs on this machine" (a path is a Unix socket).
LOCAL_HOSTS = frozenset({"", "localhost", "127.0.0.1", "::1"})
_reniced: dict[int, bool] = {}  # backend pid → reniced


def lower_database_priority() -> bool:
    """Give this process's PostgreSQL backend the niceness ``PACTE_WORKER_NICE`` too, when the
    server runs on this machine: an import's SQL (its COPY, its merges) then yields the CPU to
    the backends serving page requests, as the worker's own Python does. Needs the right to
    renice another user's process (root, the server's OS user, or ``CAP_SYS_NICE``, e.g.
    systemd's ``AmbientCapabilities=CAP_SYS_NICE``); without it, or with the database on
    another machine, nothing changes. Returns whether the backend runs at that niceness."""
    step = settings.PACTE_WORKER_NICE
    if not step or db_connection.vendor != "postgresql":
        return False
    host = str(db_connection.settings_dict.get("HOST") or "")
    if host not in LOCAL_HOSTS and not host.startswith("/"):
        return False
    with db_connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = int(cursor.fetchone()[0])
    if pid not in _reniced:  # once per connection: a refusal is logged once
        _reniced[pid] = renice_backend(pid, step)
    return _reniced[pid]


def renice_backend(pid: int, niceness: int) -> bool:
    """Set process ``pid``'s niceness to at least ``niceness`` if it is a PostgreSQL backend of
    this machine (a server in a container of its own shows pids of another namespace: its
    ``pid`` may be anything here, hence the check of the process's name)."""
    try:
        name = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    if not name.startswith(b"postgres"):
        return False
    try:
        os.setpriority(os.PRIO_PROCESS, pid, max(niceness, os.getpriority(os.PRIO_PROCESS, pid)))
    except OSError as exc:  # not allowed (no CAP_SYS_NICE), or the backend is gone
        logger.info("Database backend %s keeps its priority (%s)", pid, exc)
        return False
    return True


def register(worker_id: str, *, task_id: Any = None) -> None:
    WorkerHeartbeat.objects.update_or_create(
        worker_id=worker_id,
        defaults={
            "hostname": socket.gethostname()[:255],
            "pid": os.getpid(),
            "last_seen": timezone.now(),
            "task_id": task_id,
        },
    )


def listen(channel: str) -> Any:
    """A connection of its own (autocommit) that LISTENs on ``channel`` (PostgreSQL)."""
    import psycopg

    params = db_connection.get_connection_params()
    keys = ("dbname", "user", "password", "host", "port")
    conn = psycopg.connect(**{k: params[k] for k in keys if params.get(k)}, autocommit=True)
    conn.execute(f"LISTEN {channel}")
    return conn


def close_if_broken() -> None:
    """Drop this thread's database connection when it no longer answers (a restarted server):
    the next query opens a new one."""
    if db_connection.connection is not None and not db_connection.is_usable():
        db_connection.close()


def database_trouble(exc: BaseException) -> str:
    """One line that says what is wrong with the database, for the log."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if "no such table" in text or "does not exist" in text:
        return f"the database is not migrated ({text}): run `pacte migrate`"
    return f"the database cannot be reached ({text})"


class Worker(DatabaseWorker):
    """django-tasks-db's worker with heartbeats, leases, retries and an optional scheduler."""

    def __init__(self, *, scheduler: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.scheduler = scheduler
        self.heartbeat = Heartbeat(self.worker_id, settings.PACTE_WORKER_HEARTBEAT_SECONDS)
        self._next_sweep = 0.0
        self._next_tick = 0.0
        self.listener: Any = None

    # ------------------------------------------------------------------ the loop

    def run(self) -> None:
        # Import what the jobs run now, not in the first job's time.
        autodiscover_modules("tasks", "services")
        self._wait_for_database(lambda: register(self.worker_id))
        self.heartbeat.start()
        logger.info(
            "Worker %s started (lease %ss, heartbeat %ss, niceness %s%s)",
            self.worker_id,
            settings.PACTE_JOB_LEASE_SECONDS,
            settings.PACTE_WORKER_HEARTBEAT_SECONDS,
            os.nice(0),
            ", scheduler" if self.scheduler else "",
        )
        failures = 0
        try:
            while self.running:
                close_old_connections()
                try:
                    self._housekeeping()
                    result = self._claim()
                except DatabaseError as exc:
                    if isinstance(exc, OperationalError) and is_locked_database_exception(exc):
                        time.sleep(random.uniform(0.001, 0.02))  # SQLite busy: try again soon
                        continue
                    else:
                        failures += 1
                        self._database_down(exc, failures)
                        continue
                failures = 0
                if result is not None:
                    self.run_task(result)
                elif self.batch:
                    logger.info("No more jobs for worker %s: exiting.", self.worker_id)
                    return
                if self.max_tasks is not None and self._run_tasks >= self.max_tasks:
                    return
                close_old_connections()
                if self.running and result is None:
                    self._idle()
        finally:
            if self.listener is not None:
                self.listener.close()
            self.heartbeat.halt.set()
            with contextlib.suppress(DatabaseError):
                WorkerHeartbeat.objects.filter(worker_id=self.worker_id).delete()

    def _idle(self) -> None:
        """Wait for the next look at the queue: the poll interval, cut short on PostgreSQL by
        the NOTIFY of an enqueue (``pacte.jobs.backend``)."""
        if db_connection.vendor != "postgresql" or not self.interval:
            time.sleep(self.interval)
            return
        try:
            if self.listener is None:
                self.listener = listen(CHANNEL)
            for _notice in self.listener.notifies(timeout=self.interval, stop_after=1):
                pass
        except Exception as exc:  # psycopg.Error: fall back to polling, reconnect next time
            logger.warning("Worker %s: not listening for new jobs (%s)", self.worker_id, exc)
            if self.listener is not None:
                self.listener.close()
            self.listener = None
            time.sleep(self.interval)

    def _wait_for_database(self, action: Callable[[], object]) -> None:
        failures = 0
        while True:
            try:
                action()
                return
            except DatabaseError as exc:
                failures += 1
                self._database_down(exc, failures)

    def _database_down(self, exc: BaseException, failures: int) -> None:
        delay = min(30.0, 0.5 * 2 ** min(failures, 6))
        logger.error(
            "Worker %s: %s; trying again in %.0f s.",
            self.worker_id,
            database_trouble(exc),
            delay,
        )
        db_connection.close()
        time.sleep(delay)

    def _housekeeping(self) -> None:
        now = time.monotonic()
        if now >= self._next_sweep:
            self._next_sweep = now + settings.PACTE_WORKER_HEARTBEAT_SECONDS
            queue.requeue_expired()
        if self.scheduler and now >= self._next_tick:
            from pacte.jobs import scheduler

            self._next_tick = now + settings.PACTE_SCHEDULER_SECONDS
            scheduler.tick()

    def _claim(self) -> DBTaskResult | None:
        tasks = DBTaskResult.objects.ready().filter(backend_name=self.backend_name)
        if not self.process_all_queues:
            tasks = tasks.filter(queue_name__in=self.queue_names)
        if self.excluded_queue_names:
            tasks = tasks.exclude(queue_name__in=self.excluded_queue_names)
        with exclusive_transaction(tasks.db):
            result = tasks.get_locked()
            if result is None:
                return None
            result.claim(self.worker_id)
            WorkerHeartbeat.objects.filter(worker_id=self.worker_id).update(
                task_id=result.id, last_seen=timezone.now()
            )
            self.heartbeat.task_id = result.id
        return result

    # ------------------------------------------------------------------ one job

    def run_task(self, db_task_result: DBTaskResult) -> None:
        result = db_task_result
        self.running_task = True
        started = time.monotonic()
        try:
            with contextlib.suppress(DatabaseError):
                lower_database_priority()
            value = self._call(result)
        except (KeyboardInterrupt, SystemExit):
            # A forced stop: leave the job to another worker at once.
            self._record(result, "lost", started, lambda r: queue.put_back(r, delay=0))
            raise
        except TRANSIENT as exc:
            close_if_broken()
            attempts = queue.attempts_of(result)
            if attempts < settings.PACTE_JOB_MAX_ATTEMPTS:
                delay = queue.retry_delay(attempts)
                logger.warning(
                    "Job %s (%s) attempt %s hit a transient error, retried in %.0f s: %s",
                    result.id,
                    result.task_name,
                    attempts,
                    delay,
                    exc,
                )
                self._record(result, "retried", started, lambda r: queue.put_back(r, delay=delay))
            else:
                logger.error(
                    "Job %s (%s) failed after %s attempts: %s",
                    result.id,
                    result.task_name,
                    attempts,
                    exc,
                )
                self._fail(result, exc, started, "retries_exhausted")
        except Exception as exc:
            logger.exception("Job %s (%s) failed", result.id, result.task_path)
            self._fail(result, exc, started, "failed")
        else:
            rows = int(value.get("rows", 0)) if isinstance(value, dict) else 0
            self._record(
                result, "successful", started, lambda r: r.set_successful(value), rows=rows
            )
            self._signal_finished(result)
        finally:
            self.heartbeat.task_id = None
            self.running_task = False
            self._run_tasks += 1

    def _call(self, result: DBTaskResult) -> Any:
        task = result.task
        task_result = result.task_result
        task_started.send(sender=type(task.get_backend()), task_result=task_result)
        if task.takes_context:
            return task.call(
                TaskContext(task_result=task_result), *task_result.args, **task_result.kwargs
            )
        return task.call(*task_result.args, **task_result.kwargs)

    def _fail(self, result: DBTaskResult, exc: BaseException, started: float, reason: str) -> None:
        if self._record(result, "failed", started, lambda r: r.set_failed(exc)):
            queue.give_up(result, reason)
            self._signal_finished(result)

    def _signal_finished(self, result: DBTaskResult) -> None:
        try:
            task_finished.send(
                sender=type(result.task.get_backend()), task_result=result.task_result
            )
        except Exception:
            logger.exception("Job %s: a task_finished receiver failed", result.id)

    def _record(
        self,
        result: DBTaskResult,
        outcome: str,
        started: float,
        write: Callable[[DBTaskResult], None],
        *,
        rows: int = 0,
    ) -> bool:
        """Write the job's outcome if the job is still ours (a worker that lost its lease while
        the database was away must not overwrite the attempt that took over), release the
        lease and count the job, in one transaction. The database may be away: retried for up
        to a lease, after which the lease takes the job back. True when written."""
        seconds = time.monotonic() - started
        deadline = time.monotonic() + settings.PACTE_JOB_LEASE_SECONDS
        wait = 0.5
        while True:
            try:
                with exclusive_transaction():
                    current = DBTaskResult.objects.select_for_update().filter(pk=result.pk).first()
                    ours = (
                        current is not None
                        and current.status == TaskResultStatus.RUNNING
                        and (current.worker_ids or [None])[-1] == self.worker_id
                    )
                    if ours:
                        write(result)
                        queue.count(result.task_name, outcome, seconds, rows)
                    else:
                        logger.warning(
                            "Job %s was taken over by another worker: this attempt's outcome "
                            "(%s) is dropped",
                            result.id,
                            outcome,
                        )
                    WorkerHeartbeat.objects.filter(worker_id=self.worker_id).update(
                        task_id=None, last_seen=timezone.now()
                    )
                return ours
            except DatabaseError as exc:
                close_if_broken()
                if time.monotonic() + wait > deadline:
                    logger.error(
                        "Job %s: outcome %s not written (%s); its lease will bring it back",
                        result.id,
                        outcome,
                        exc,
                    )
                    return False
                time.sleep(wait)
                wait = min(wait * 2, 10.0)
