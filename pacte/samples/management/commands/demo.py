from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.test.utils import override_settings

from pacte.accounts.models import Workspace
from pacte.samples import demo


class Command(BaseCommand):
    help = "Load the demo company once (deterministic with --seed, size with --sellers)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--seed", type=int, default=42)
        parser.add_argument("--sellers", type=int, default=40)
        parser.add_argument("--slug", default=demo.DEMO_SLUG)
        parser.add_argument(
            "--reset", action="store_true", help="Delete and reload the demo workspace."
        )
        parser.add_argument(
            "--quiet-logins", action="store_true", help="Do not print the demo logins."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        slug = options["slug"]
        if options["sellers"] < 1:
            raise CommandError("--sellers must be at least 1.")
        existing = Workspace.objects.filter(slug=slug).first()
        if existing is not None and options["reset"]:
            with transaction.atomic():
                from pacte.org.models import Placement, Unit

                Placement.objects.for_workspace(existing).delete()
                Unit.objects.for_workspace(existing).update(lead=None, parent=None)
                existing.delete()
            existing = None
        plan = demo.generate(seed=options["seed"], sellers=options["sellers"])
        if existing is not None:
            self.stdout.write(
                f"The demo company “{existing.name}” is already loaded (slug {slug})."
            )
        else:
            start = time.perf_counter()
            demo.load(plan, slug=slug)
            self.stdout.write(
                f"Loaded the demo company “{plan.name}”: {len(plan.people)} people, "
                f"{len(plan.units)} units in {time.perf_counter() - start:.1f} s."
            )
        workspace = Workspace.objects.get(slug=slug)
        start = time.perf_counter()
        job = demo.load_sales(plan, workspace, seed=options["seed"])
        if getattr(job, "status", "") != "done":
            raise CommandError(f"The demo sales were refused: {getattr(job, 'errors', [])[:3]}")
        self.stdout.write(
            f"Sales history: {job.created_count} new, {job.unchanged_count} unchanged "  # type: ignore[attr-defined]
            f"in {time.perf_counter() - start:.1f} s."
        )
        start = time.perf_counter()
        # The demo's own proposals notify handlers; keep those e-mails out of the console.
        with override_settings(
            MAILERS={"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
        ):
            plans = demo.load_plans(workspace, seed=options["seed"])
        if plans["runs"]:
            self.stdout.write(
                f"Targets: {plans['runs']} fiscal years cascaded and published; "
                f"{plans['objectives']} objectives proposed in {time.perf_counter() - start:.1f} s."
            )
        if not options["quiet_logins"]:
            self.stdout.write(f"\nDemo logins (password: {demo.DEMO_PASSWORD}):")
            for role, email in plan.logins():
                self.stdout.write(f"  {role:<10} {email}")
