"""What a web process does once it has started, before its first request."""

from __future__ import annotations

import gc

from django.urls import get_resolver


def freeze_startup() -> None:
    """Load the URLconf (every view and API schema) now rather than on the first request, then
    move everything loaded so far out of the garbage collector's reach: it lives as long as the
    process, and a full collection would otherwise walk it again on whichever request happens
    to trigger one (measured: a 0.5 s pause on a cold insights page at 10,000 sellers; with the
    URLconf left to load after the freeze, 50–75 ms on one cold page in twenty)."""
    get_resolver().url_patterns  # noqa: B018 - imports the URLconf
    gc.collect()  # garbage left by start-up is freed, not frozen
    gc.freeze()
