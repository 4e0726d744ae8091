"""``pacte send-digests [--workspace SLUG] [--dry-run]``: the weekly e-mail digest."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from pacte.accounts.models import Workspace
from pacte.insights.digests import send_digests


class Command(BaseCommand):
    help = "Send the weekly digest to every member (skipping opted-out members and those without e-mail)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--workspace", default=None)
        parser.add_argument("--dry-run", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        ws = None
        if options["workspace"]:
            ws = Workspace.objects.filter(slug=options["workspace"]).first()
            if ws is None:
                raise CommandError(f"No workspace with slug {options['workspace']!r}.")
        counts = send_digests(workspace=ws, write=self.stdout.write, dry_run=options["dry_run"])
        self.stdout.write(f"{counts['sent']} sent, {counts['skipped']} skipped")
