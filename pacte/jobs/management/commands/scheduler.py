"""``pacte scheduler [--once]``: start due schedules (digests, reminders, snapshots).

Any number may run: a slot is started once, by whichever scheduler inserts its run first."""

from __future__ import annotations

import logging
import signal
import time
from argparse import ArgumentParser
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import DatabaseError, close_old_connections, connection

from pacte.jobs import scheduler
from pacte.jobs.worker import database_trouble

logger = logging.getLogger("pacte.jobs")


class Command(BaseCommand):
    help = "Start due schedules every PACTE_SCHEDULER_SECONDS (any number of these may run)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--once", action="store_true", help="Look once, then exit.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["once"]:
            started = scheduler.tick()
            self.stdout.write(f"{started} run(s) started")
            return
        running = True

        def stop(signum: int, frame: FrameType | None) -> None:
            nonlocal running
            running = False

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        logger.info("Scheduler started (every %ss)", settings.PACTE_SCHEDULER_SECONDS)
        failures = 0
        while running:
            close_old_connections()
            try:
                scheduler.tick()
                failures = 0
                wait = settings.PACTE_SCHEDULER_SECONDS
            except DatabaseError as exc:
                failures += 1
                wait = min(30.0, 0.5 * 2 ** min(failures, 6))
                logger.error("Scheduler: %s; trying again in %.0f s.", database_trouble(exc), wait)
                connection.close()
            deadline = time.monotonic() + wait
            while running and time.monotonic() < deadline:
                time.sleep(min(0.5, wait))
