"""``/metrics`` in Prometheus' text format, and the request-latency middleware.

Two sources, so that every figure is right with several web processes on several machines:
- request latency is recorded by each web process into ``PACTE_METRICS_DIR`` (prometheus_client's
  multiprocess mode: the processes of one machine are summed when scraped; scrape each web
  machine);
- queue depth, workers and job counters are read from the database at scrape time (the workers
  keep ``TaskStat`` up to date), so any web process shows the jobs of every worker machine.
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_GET
from prometheus_client import CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4
from prometheus_client.multiprocess import MultiProcessCollector

from pacte.jobs.models import DURATION_BUCKETS, TaskStat
from pacte.jobs.queue import queue_state

METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"})

REQUEST_SECONDS = Histogram(
    "pacte_request_duration_seconds",
    "Time to answer a request, by route (URL name), method and status class.",
    ["route", "method", "status"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)


class RequestMetricsMiddleware:
    """Times every request under the name of the URL pattern it resolved to (``org:person``,
    ``api:…``), never its raw path, so that a million people's pages stay one series."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        start = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        if match is not None:
            route = match.view_name or "unnamed"
        elif request.path.startswith(settings.STATIC_URL or "/static/"):
            route = "static"
        else:
            route = "unmatched"
        method = request.method if request.method in METHODS else "other"
        REQUEST_SECONDS.labels(route, method, f"{response.status_code // 100}xx").observe(
            time.perf_counter() - start
        )
        return response


class DatabaseCollector:
    """Queue, workers and job counters, read when scraped."""

    def collect(self) -> Iterator[Metric]:
        try:
            state = queue_state()
            stats = list(TaskStat.objects.all())
        except DatabaseError:
            up = GaugeMetricFamily("pacte_database_up", "1 when the database answered the scrape.")
            up.add_metric([], 0)
            yield up
            return
        up = GaugeMetricFamily("pacte_database_up", "1 when the database answered the scrape.")
        up.add_metric([], 1)
        yield up
        waiting = GaugeMetricFamily(
            "pacte_jobs_waiting", "Jobs ready to run and not started, by task.", labels=["task"]
        )
        for task, n in sorted(state.waiting_by_task.items()):
            waiting.add_metric([task], n)
        yield waiting
        yield _gauge("pacte_jobs_running", "Jobs being run by a worker.", state.running)
        yield _gauge(
            "pacte_jobs_oldest_wait_seconds",
            "How long the oldest waiting job has waited (0 when none waits).",
            state.oldest_wait or 0.0,
        )
        yield _gauge(
            "pacte_workers_alive",
            "Workers whose heartbeat is within the lease.",
            state.workers_alive,
        )
        yield _gauge("pacte_workers_busy", "Live workers running a job.", state.workers_busy)
        yield _gauge(
            "pacte_worker_last_seen_timestamp_seconds",
            "Unix time of the latest worker heartbeat (0 when none).",
            state.last_seen.timestamp() if state.last_seen else 0.0,
        )
        jobs = CounterMetricFamily(
            "pacte_jobs", "Finished job attempts by task and outcome.", labels=["task", "outcome"]
        )
        rows = CounterMetricFamily(
            "pacte_job_rows", "Rows handled by successful jobs (sales imported).", labels=["task"]
        )
        durations = HistogramMetricFamily(
            "pacte_job_duration_seconds",
            "Duration of job attempts by task and outcome.",
            labels=["task", "outcome"],
        )
        for stat in stats:
            jobs.add_metric([stat.task, stat.outcome], stat.count)
            if stat.rows:
                rows.add_metric([stat.task], stat.rows)
            cumulative, buckets = 0, []
            for i, bound in enumerate(DURATION_BUCKETS):
                cumulative += getattr(stat, f"b{i}")
                buckets.append((str(bound), cumulative))
            buckets.append(("+Inf", stat.count))
            durations.add_metric([stat.task, stat.outcome], buckets, stat.seconds)
        yield jobs
        yield rows
        yield durations


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    gauge = GaugeMetricFamily(name, documentation)
    gauge.add_metric([], value)
    return gauge


def authorised(request: HttpRequest) -> bool:
    expected = f"Bearer {settings.PACTE_METRICS_TOKEN}".encode()
    given = request.headers.get("Authorization", "").encode()
    return hmac.compare_digest(given, expected)


@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus text format; 404 while ``PACTE_METRICS_TOKEN`` is unset, 401 without it."""
    if not settings.PACTE_METRICS_TOKEN:
        raise Http404
    if not authorised(request):
        return HttpResponse(status=401, headers={"WWW-Authenticate": 'Bearer realm="metrics"'})
    registry = CollectorRegistry()
    path = Path(settings.PACTE_METRICS_DIR)
    if path.is_dir():
        MultiProcessCollector(registry, path=str(path))
    registry.register(DatabaseCollector())
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_PLAIN_0_0_4)
