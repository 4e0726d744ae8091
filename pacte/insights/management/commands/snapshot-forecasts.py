"""``pacte snapshot-forecasts [--workspace SLUG] [--month 2026-04]``: store each seller's year
forecast as of the end of a month (default: last month), for accuracy tracking. Idempotent."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from pacte.accounts.models import Workspace
from pacte.errors import DomainError
from pacte.insights import services


class Command(BaseCommand):
    help = "Snapshot every seller's year forecast as of the end of a month."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--workspace", default=None)
        parser.add_argument("--month", default=None, help="2026-04 (default: last month)")

    def handle(self, *args: Any, **options: Any) -> None:
        from pacte.insights.views import parse_month

        qs = Workspace.objects.all()
        if options["workspace"]:
            qs = qs.filter(slug=options["workspace"])
            if not qs.exists():
                raise CommandError(f"No workspace with slug {options['workspace']!r}.")
        for ws in qs:
            try:
                month = parse_month(ws, options["month"]) if options["month"] else None
            except DomainError as exc:
                raise CommandError(exc.message) from None
            n = services.snapshot_forecasts(workspace=ws, as_of=month)
            self.stdout.write(f"{ws.slug}: {n} forecasts stored")
