"""The task backend: django-tasks-db's, which on PostgreSQL also wakes the idle workers at once.

An idle ``pacte worker`` looks at the queue every ``PACTE_WORKER_POLL_SECONDS``; on PostgreSQL
it also LISTENs on a channel that every enqueue NOTIFYs. NOTIFY is transactional: the workers
wake when the transaction that enqueued the job commits, not before (the job is visible then).
"""

from __future__ import annotations

from typing import Any

from django.db import connections
from django_tasks_db.backend import DatabaseBackend as BaseDatabaseBackend
from django_tasks_db.backend import TaskResult
from django_tasks_db.models import DBTaskResult

#: The channel the workers LISTEN on.
CHANNEL = "pacte_jobs"


class DatabaseBackend(BaseDatabaseBackend):
    def enqueue(self, task: Any, args: Any, kwargs: Any) -> TaskResult[Any, Any]:
        result: TaskResult[Any, Any] = super().enqueue(task, args, kwargs)
        connection = connections[DBTaskResult.objects.db]
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(f"NOTIFY {CHANNEL}")
        return result
