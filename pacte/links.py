"""Absolute links for what leaves the site (e-mails): ``PACTE_BASE_URL`` + path."""

from __future__ import annotations

from django.conf import settings


def absolute(path: str) -> str:
    """``path`` under Pacte's public address; the path alone when none is configured."""
    if not path or path.startswith(("http://", "https://")):
        return path
    base = str(getattr(settings, "PACTE_BASE_URL", "") or "").rstrip("/")
    return base + path if base else path
