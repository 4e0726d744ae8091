"""Second factors (filled in by the two-factor commit)."""

from __future__ import annotations

from pacte.accounts.models import User


def has_second_factor(user: User) -> bool:
    return False
