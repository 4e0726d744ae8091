"""Re-encrypt every stored secret with the newest key of PACTE_ENCRYPTION_KEYS."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

from pacte.accounts.models import IdentityProvider, SecondFactor
from pacte.encryption import reencrypt


class Command(BaseCommand):
    help = (
        "Re-encrypt stored secrets with the first key of PACTE_ENCRYPTION_KEYS; afterwards the "
        "older keys can be removed."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        count = 0
        with transaction.atomic():
            for provider in IdentityProvider.objects.select_for_update().exclude(
                client_secret_encrypted=""
            ):
                provider.client_secret_encrypted = reencrypt(provider.client_secret_encrypted)
                provider.save(update_fields=["client_secret_encrypted"])
                count += 1
            for provider in IdentityProvider.objects.select_for_update().exclude(
                sp_key_encrypted=""
            ):
                provider.sp_key_encrypted = reencrypt(provider.sp_key_encrypted)
                provider.save(update_fields=["sp_key_encrypted"])
                count += 1
            for factor in SecondFactor.objects.select_for_update().exclude(secret_encrypted=""):
                factor.secret_encrypted = reencrypt(factor.secret_encrypted)
                factor.save(update_fields=["secret_encrypted"])
                count += 1
        self.stdout.write(f"{count} secret(s) re-encrypted with the newest key.")
