from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = "Recompute the sales cube from raw sales and report any difference (exit 1 if any)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--workspace", help="Slug of one workspace (default: all).")
        parser.add_argument("--repair", action="store_true", help="Rebuild a cube that differs.")

    def handle(self, *args: Any, **options: Any) -> None:
        from pacte.accounts.models import Workspace
        from pacte.sales.cube import rebuild_cube, verify

        workspaces = Workspace.objects.order_by("slug")
        if options["workspace"]:
            workspaces = workspaces.filter(slug=options["workspace"])
            if not workspaces.exists():
                raise CommandError(f"No workspace with the slug {options['workspace']!r}.")
        failed = 0
        for ws in workspaces:
            problems = verify(ws)
            if problems:
                failed += 1
                self.stdout.write(f"{ws.slug}: {len(problems)} difference(s)")
                for line in problems[:50]:
                    self.stdout.write(f"  {line}")
                if options["repair"]:
                    rebuild_cube(ws)
                    self.stdout.write(f"  rebuilt the cube of {ws.slug}")
            else:
                self.stdout.write(f"{ws.slug}: the cube matches the sales")
        if failed:
            raise CommandError(f"{failed} workspace(s) with differences.")
