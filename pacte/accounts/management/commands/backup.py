from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from pacte import backup


class Command(BaseCommand):
    help = (
        "Write one archive of the database (pg_dump or SQLite's backup API) and of the stored "
        "files, with a manifest. Pacte may keep running meanwhile."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="The archive to write (replaced once complete).")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            manifest = backup.backup(options["file"])
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"Backed up the {backup.KINDS[manifest.database]} database and {manifest.files} "
            f"stored file(s) to {options['file']} (Pacte {manifest.pacte_version}, "
            f"{manifest.created_at})."
        )
