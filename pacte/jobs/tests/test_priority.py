"""A worker lowers its CPU priority (``PACTE_WORKER_NICE``) before it starts any thread, so that
an import yields the processor to the web processes of the same machine."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from pacte.jobs import worker


@pytest.mark.parametrize(("setting", "step"), [(10, 10), (0, 0)])
def test_a_worker_lowers_its_priority_by_the_setting(monkeypatch, settings, setting, step) -> None:
    settings.PACTE_WORKER_NICE = setting
    calls: list[int] = []

    def nice(n: int) -> int:
        calls.append(n)
        return 10 + n

    monkeypatch.setattr(worker.os, "nice", nice)
    assert worker.lower_priority() == 10 + step
    assert calls == [step]


def test_the_worker_command_lowers_its_priority_before_its_threads_start(
    monkeypatch, settings
) -> None:
    from pacte.jobs.management.commands import worker as command

    events: list[str] = []
    monkeypatch.setattr(command, "uses_database_queue", lambda: True)
    monkeypatch.setattr(command, "lower_priority", lambda: events.append("nice"))
    monkeypatch.setattr(command.Worker, "configure_signals", lambda self: None)
    monkeypatch.setattr(command.Worker, "run", lambda self: events.append("run"))
    call_command("worker", "--batch", verbosity=0)
    assert events == ["nice", "run"]
