"""``pacte remind-objectives``: remind sellers who have not proposed their objective yet."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from pacte.accounts.models import Workspace


class Command(BaseCommand):
    help = "Notify (in the app and by e-mail) active sellers who have not proposed yet."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--workspace", help="Workspace slug (default: every workspace).")
        parser.add_argument(
            "--fiscal-year",
            type=int,
            help="Fiscal year (default: the open window's, else next fiscal year).",
        )
        parser.add_argument(
            "--only-open",
            action="store_true",
            help="Skip workspaces whose window for that year is not open today.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from django.utils import timezone

        from pacte.objectives.models import Window
        from pacte.objectives.services import remind

        workspaces = Workspace.objects.order_by("slug")
        if options["workspace"]:
            workspaces = workspaces.filter(slug=options["workspace"])
            if not workspaces.exists():
                raise CommandError(f"No workspace {options['workspace']!r}.")
        today = timezone.localdate()
        total = 0
        for ws in workspaces:
            fy = options["fiscal_year"]
            if fy is None:
                window = (
                    Window.objects.for_workspace(ws)
                    .filter(closes_on__gte=today)
                    .order_by("fiscal_year")
                    .first()
                )
                fy = window.fiscal_year if window else ws.calendar.year_of(today) + 1
            if options["only_open"]:
                window = Window.objects.for_workspace(ws).filter(fiscal_year=fy).first()
                if window is None or not window.opens_on <= today:
                    continue
            count = remind(workspace=ws, fiscal_year=fy)
            total += count
            self.stdout.write(f"{ws.slug} FY{fy}: {count} reminder(s)")
        self.stdout.write(self.style.SUCCESS(f"{total} reminder(s) sent."))
