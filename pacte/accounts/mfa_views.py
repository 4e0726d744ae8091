"""The second step of a password login (filled in by the two-factor commit)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse


def begin_second_step(request: HttpRequest, user: Any, next_url: str) -> HttpResponse | None:
    return None
