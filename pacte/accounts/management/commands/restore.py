from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from pacte import backup


class Command(BaseCommand):
    help = (
        "Restore an archive written by 'pacte backup': the stored files, then the database. "
        "Stop Pacte's web processes and workers first; restart them afterwards."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="The archive to restore.")
        parser.add_argument(
            "--force",
            action="store_true",
            help="Replace a database that already holds data.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            manifest = backup.restore(options["file"], force=options["force"])
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"Restored the {backup.KINDS[manifest.database]} database and {manifest.files} "
            f"stored file(s) from {options['file']} (made by Pacte {manifest.pacte_version} "
            f"on {manifest.created_at}). Run 'pacte migrate' if this Pacte is newer, then "
            "'pacte verify'."
        )
