"""An in-process task backend for the embedded set-up: tasks run on a small thread pool.

Production deployments point ``PACTE_TASKS_BACKEND`` at a worker-based backend instead. Tasks are
idempotent and record their progress in job rows, so a restart loses no data: an interrupted
job is simply run again.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from django.db import close_old_connections
from django.tasks.backends.immediate import ImmediateBackend
from django.tasks.base import Task, TaskResult, TaskResultStatus
from django.utils.crypto import get_random_string

_pool: ThreadPoolExecutor | None = None
_lock = threading.Lock()


def _executor() -> ThreadPoolExecutor:
    global _pool
    with _lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="pacte-task")
        return _pool


class ThreadBackend(ImmediateBackend):
    """Like Django's immediate backend, but the task body runs on a background thread."""

    def enqueue(self, task: Task, args: Any, kwargs: Any) -> TaskResult:
        self.validate_task(task)
        task_result: TaskResult = TaskResult(
            task=task,
            id=get_random_string(32),
            status=TaskResultStatus.READY,
            enqueued_at=None,
            started_at=None,
            last_attempted_at=None,
            finished_at=None,
            args=args,
            kwargs=kwargs,
            backend=self.alias,
            errors=[],
            worker_ids=[],
        )

        def run() -> None:
            close_old_connections()
            try:
                self._execute_task(task_result)  # type: ignore[attr-defined]
            finally:
                close_old_connections()

        _executor().submit(run)
        return task_result
