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


def test_a_postgres_backend_of_this_machine_is_reniced(monkeypatch, tmp_path) -> None:
    calls: list[tuple[int, int]] = []
    monkeypatch.setattr(worker.os, "getpriority", lambda which, pid: 0)
    monkeypatch.setattr(worker.os, "setpriority", lambda which, pid, n: calls.append((pid, n)))
    names = {41: b"postgres: 16/main: pacte pacte 127.0.0.1(5000) idle\x00", 42: b"python\x00"}

    class Proc:
        def __init__(self, path: str) -> None:
            self.pid = int(path.split("/")[2])

        def read_bytes(self) -> bytes:
            if self.pid not in names:
                raise FileNotFoundError(self.pid)
            return names[self.pid]

    monkeypatch.setattr(worker, "Path", Proc)
    assert worker.renice_backend(41, 10)
    assert not worker.renice_backend(42, 10)  # not a PostgreSQL backend (another namespace)
    assert not worker.renice_backend(43, 10)  # no such process here
    assert calls == [(41, 10)]


def test_a_backend_that_may_not_be_reniced_keeps_its_priority(monkeypatch) -> None:
    def refuse(which: int, pid: int, n: int) -> None:
        raise PermissionError("no CAP_SYS_NICE")

    monkeypatch.setattr(worker.os, "getpriority", lambda which, pid: 0)
    monkeypatch.setattr(worker.os, "setpriority", refuse)
    monkeypatch.setattr(
        worker, "Path", lambda path: type("P", (), {"read_bytes": lambda self: b"postgres"})()
    )
    assert not worker.renice_backend(41, 10)


@pytest.mark.django_db
def test_a_worker_on_another_database_or_at_niceness_0_leaves_the_backend(settings) -> None:
    settings.PACTE_WORKER_NICE = 0
    assert not worker.lower_database_priority()
