"""``pacte export attainment --workspace SLUG --by seller,quarter --format csv``."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from pacte.accounts.models import Workspace
from pacte.errors import DomainError
from pacte.insights import exports, periods


class Command(BaseCommand):
    help = (
        "Export attainment: one row per group and period (target, objective, actual, attainment)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("what", choices=["attainment"])
        parser.add_argument("--workspace", required=True, help="workspace slug")
        parser.add_argument(
            "--by",
            default="company,year",
            help="a group (company, team, seller, channel) "
            "and a period (month, quarter, ytd, year), e.g. seller,quarter",
        )
        parser.add_argument(
            "--year", default=None, help="fiscal year, e.g. FY2027 (default: current)"
        )
        parser.add_argument("--format", dest="fmt", choices=["csv", "xlsx"], default="csv")
        parser.add_argument(
            "--output", default="-", help="file to write (default: stdout; xlsx needs a file)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        ws = Workspace.objects.filter(slug=options["workspace"]).first()
        if ws is None:
            raise CommandError(f"No workspace with slug {options['workspace']!r}.")
        try:
            group, period = exports.parse_by(options["by"])
            choice = periods.resolve_period(ws, options["year"])
        except DomainError as exc:
            raise CommandError(exc.message) from None
        if choice.kind != "year":
            raise CommandError("--year takes a fiscal year such as FY2027.")
        table = exports.attainment_rows(ws, choice, group, period)
        if options["fmt"] == "xlsx":
            if options["output"] == "-":
                raise CommandError("Give --output FILE.xlsx for an Excel export.")
            data = exports.to_xlsx(table, "attainment")
        else:
            data = exports.to_csv(table)
        if options["output"] == "-":
            sys.stdout.write(data.decode("utf-8"))
            sys.stdout.flush()
        else:
            with open(options["output"], "wb") as fh:
                fh.write(data)
            self.stderr.write(f"{len(table.rows)} rows written to {options['output']}")
