"""Print a new key for PACTE_ENCRYPTION_KEYS."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from pacte.encryption import generate_key


class Command(BaseCommand):
    help = "Print a new Fernet key for PACTE_ENCRYPTION_KEYS (put it first to rotate)."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(generate_key())
