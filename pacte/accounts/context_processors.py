from __future__ import annotations

from django.http import HttpRequest


def member(request: HttpRequest) -> dict[str, object]:
    return {"member": getattr(request, "member", None)}
