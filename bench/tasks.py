"""Tasks the job benchmarks enqueue (importable by the worker processes they start)."""

from __future__ import annotations

from django.tasks import task


@task
def noop() -> None:
    """The smallest job: what is measured is the queue around it."""
