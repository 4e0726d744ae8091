from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = (
        "Load a sample company: `load-sample adventureworks` (idempotent), from the copy shipped "
        "with Pacte or, with --from DIR, from a folder of the AdventureWorks files."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("sample", choices=["adventureworks"])
        parser.add_argument(
            "--from",
            dest="directory",
            type=Path,
            default=None,
            help="A folder of the AdventureWorks files (by default the shipped copy).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from pacte.samples.adventureworks import AdventureWorksError
        from pacte.samples.services import load_adventureworks

        try:
            ws, job, created = load_adventureworks(options["directory"])
        except (AdventureWorksError, FileNotFoundError) as exc:
            raise CommandError(str(exc)) from exc
        if job.status != "done":
            raise CommandError(f"The orders were refused: {job.message} {job.errors[:5]}")
        verb = "Created" if created else "Already loaded:"
        self.stdout.write(
            f"{verb} workspace “{ws.name}” (slug {ws.slug}). Orders: {job.created_count} new, "
            f"{job.updated_count} changed, {job.unchanged_count} unchanged."
        )
