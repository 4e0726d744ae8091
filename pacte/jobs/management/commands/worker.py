"""``pacte worker [--with-scheduler] [--batch] [--max-tasks N]``: run background jobs.

Start as many as the machines allow, on any machine that reaches the database: they share the
queue, and a job whose worker dies is taken up by another after the lease
(``PACTE_JOB_LEASE_SECONDS``). SIGTERM or Ctrl-C finishes the current job, then exits; a second
one stops at once (the job is queued again)."""

from __future__ import annotations

import logging
from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django_tasks_db.management.commands.db_worker import valid_interval, valid_max_tasks

from pacte.jobs.queue import uses_database_queue
from pacte.jobs.worker import Worker, lower_priority, new_worker_id


class Command(BaseCommand):
    help = "Run background jobs (imports, digests, reminders, snapshots) from the queue."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--with-scheduler",
            action="store_true",
            help="Also start due schedules, as `pacte scheduler` does (make run does this).",
        )
        parser.add_argument(
            "--interval",
            type=valid_interval,
            default=None,
            help="Seconds between looks at an empty queue (default PACTE_WORKER_POLL_SECONDS).",
        )
        parser.add_argument(
            "--batch", action="store_true", help="Run the jobs waiting now, then exit."
        )
        parser.add_argument(
            "--max-tasks", type=valid_max_tasks, default=None, help="Exit after this many jobs."
        )
        parser.add_argument("--worker-id", default=None, help="Unique name (default: host-pid).")
        parser.add_argument(
            "--queue-name", default="*", help="Queues to serve, comma-separated (default: all)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not uses_database_queue():
            raise CommandError(
                "PACTE_TASKS_BACKEND is not a database backend (pacte.jobs.backend.DatabaseBackend): "
                "there is no queue for `pacte worker` to serve."
            )
        lower_priority()  # before any thread starts (see lower_priority)
        logging.getLogger("pacte.jobs").setLevel(
            logging.WARNING if options["verbosity"] == 0 else logging.INFO
        )
        interval = options["interval"]
        worker = Worker(
            queue_names=options["queue_name"].split(","),
            interval=settings.PACTE_WORKER_POLL_SECONDS if interval is None else interval,
            batch=options["batch"],
            backend_name="default",
            startup_delay=False,
            max_tasks=options["max_tasks"],
            worker_id=(options["worker_id"] or new_worker_id())[:64],
            excluded_queue_names=[],
            scheduler=options["with_scheduler"],
        )
        worker.configure_signals()
        worker.run()
