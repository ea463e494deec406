"""/metrics in the Prometheus text format, for administrators or a scraper holding GRIDSAFE_METRICS_TOKEN.

Two kinds of figures:
- per process, measured as they happen: request latency per route, engine call duration per operation.
  Under `gridsafe serve` (several gunicorn workers) they are kept in PROMETHEUS_MULTIPROC_DIR and summed
  over the workers at scrape time (prometheus_client's multiprocess mode), so any worker answers the same.
- read from the database at scrape time (services.status): instances by status, open and overdue user
  tasks, timer lag, each scheduler's last beat, outbox backlog and failures per channel, documents
  rendered, database size. They are the same on every node, whichever one is scraped.
"""
from __future__ import annotations

import functools
import hmac
import os
import time

from flask import Blueprint, Response, current_app, g, request
from flask_login import current_user
from prometheus_client import CollectorRegistry, Histogram, generate_latest, multiprocess
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from services import access, status

from . import db
from .current import runtime

bp = Blueprint("metrics", __name__)

PROCESS = CollectorRegistry(auto_describe=True)       # this process's measurements (not the global registry)
REQUESTS = Histogram("gridsafe_http_request_duration_seconds", "Time to answer a request, per route",
                     ["route", "method", "status"], registry=PROCESS)
ENGINE_CALLS = Histogram("gridsafe_engine_call_duration_seconds", "Time of one engine call, per operation",
                         ["operation", "outcome"], registry=PROCESS)
ENGINE_OPERATIONS = ("start_instance", "complete_task", "deliver_message", "claim_task", "release_task",
                     "assign_task", "fire_due_timers", "evaluate_decision", "decide", "retry", "skip", "suspend",
                     "resume", "terminate", "deploy_source", "deploy_folder", "migrate_instance",
                     "migrate_instances")


def init_app(app, engine) -> None:
    """Time every request and every engine call of this app; serve /metrics."""
    app.before_request(_start)
    app.before_request(_scrape_with_token)
    app.after_request(_observe)
    instrument(engine)
    app.register_blueprint(bp)


def instrument(engine) -> None:
    """Time each public operation of this engine object. Its class becomes a subclass whose methods time
    the call (the engine's own code is untouched; a copy made by with_clock is a plain Engine again)."""
    engine.__class__ = _timed_class(type(engine))


@functools.lru_cache(maxsize=None)
def _timed_class(base: type) -> type:
    if getattr(base, "timed", False):
        return base
    methods = {name: _timed(name, getattr(base, name)) for name in ENGINE_OPERATIONS if hasattr(base, name)}
    return type(f"Timed{base.__name__}", (base,), {**methods, "timed": True, "__module__": __name__})


def _timed(name, method):
    @functools.wraps(method)
    def call(*args, **kwargs):
        started, outcome = time.perf_counter(), "error"
        try:
            result = method(*args, **kwargs)
            outcome = "ok"
            return result
        finally:
            ENGINE_CALLS.labels(name, outcome).observe(time.perf_counter() - started)
    return call


def _start() -> None:
    g.metrics_started = time.perf_counter()


def _observe(response):
    started = g.pop("metrics_started", None)
    if started is not None:
        route = request.url_rule.rule if request.url_rule is not None else "<unmatched>"
        REQUESTS.labels(route, request.method, str(response.status_code)).observe(time.perf_counter() - started)
    return response


@bp.get("/metrics")
def metrics():
    """The figures as text, for an administrator's session (the role matrix lets only them here)."""
    return _answer(current_user._get_current_object())


def _scrape_with_token():
    """A scraper's bearer token is checked before the role matrix (it has no session): the right one gets
    the figures, a wrong one 401. Without a bearer header the matrix decides (administrators only)."""
    if request.endpoint != "metrics.metrics" or not request.headers.get("Authorization", "").startswith("Bearer "):
        return None
    token = current_app.config["GRIDSAFE"].get("METRICS_TOKEN") or ""
    presented = request.headers["Authorization"][7:].strip()
    if token and hmac.compare_digest(presented.encode(), token.encode()):
        return _answer(access.SYSTEM)
    return Response("401 Unauthorized: the bearer token is not GRIDSAFE_METRICS_TOKEN\n", 401,
                    {"WWW-Authenticate": 'Bearer realm="metrics"'}, mimetype="text/plain")


def _answer(actor) -> Response:
    state = status.snapshot(runtime(), db.session(), actor)        # Forbidden (403) for a non-administrator
    database = CollectorRegistry(auto_describe=True)
    database.register(_Families(families(state)))
    body = generate_latest(_process_registry()) + generate_latest(database)
    return Response(body, 200, {"Content-Type": CONTENT_TYPE_LATEST, "Cache-Control": "no-store"})


def _process_registry() -> CollectorRegistry:
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return PROCESS
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    return registry


class _Families:
    def __init__(self, items):
        self.items = items

    def collect(self):
        return self.items


def families(state: dict) -> list:
    """The database's figures as Prometheus metric families."""
    out = []
    instances = GaugeMetricFamily("gridsafe_instances", "Process instances by status", labels=["status"])
    for name, count in sorted(state["instances"].items()):
        instances.add_metric([name], count)
    out.append(instances)
    out.append(GaugeMetricFamily("gridsafe_user_tasks_open", "User tasks waiting for a person",
                                 value=state["tasks"]["open"]))
    out.append(GaugeMetricFamily("gridsafe_user_tasks_overdue", "Open user tasks past their due time",
                                 value=state["tasks"]["overdue"]))
    out.append(GaugeMetricFamily("gridsafe_timer_lag_seconds", "How late the oldest due timer is",
                                 value=state["timer_lag_seconds"]))
    beats = GaugeMetricFamily("gridsafe_scheduler_last_beat_timestamp_seconds", "Last tick of each scheduler",
                              labels=["node"])
    ages = GaugeMetricFamily("gridsafe_scheduler_beat_age_seconds", "Seconds since each scheduler's last tick",
                             labels=["node"])
    took = GaugeMetricFamily("gridsafe_scheduler_last_tick_duration_seconds", "How long each scheduler's last tick "
                             "took (its timers and jobs)", labels=["node"])
    failed = GaugeMetricFamily("gridsafe_scheduler_last_tick_errors", "Errors met by each scheduler's last tick",
                               labels=["node"])
    for beat in state["schedulers"]:
        beats.add_metric([beat["name"]], beat["last_tick"].timestamp())
        ages.add_metric([beat["name"]], beat["age_seconds"])
        took.add_metric([beat["name"]], (beat["duration_ms"] or 0) / 1000)
        failed.add_metric([beat["name"]], beat["errors"] or 0)
    out += [beats, ages, took, failed]
    outbox = GaugeMetricFamily("gridsafe_outbox_messages", "Undelivered outbox messages per channel: pending "
                               "(backlog), retrying (pending after a failed attempt), failed", labels=["channel", "state"])
    for channel, counts in sorted(state["outbox"].items()):
        for name, count in sorted(counts.items()):
            outbox.add_metric([channel, name], count)
    out.append(outbox)
    documents = CounterMetricFamily("gridsafe_documents_rendered", "Official documents rendered, per kind",
                                    labels=["kind"])
    for kind, count in sorted(state["documents"].items()):
        documents.add_metric([kind], count)
    out.append(documents)
    if state["database"].get("size") is not None:
        out.append(GaugeMetricFamily("gridsafe_database_size_bytes", "Size of the database",
                                     value=state["database"]["size"]))
    out.append(GaugeMetricFamily("gridsafe_disk_free_bytes", "Free space where files are kept",
                                 value=state["disk"]["free"]))
    gaps = GaugeMetricFamily("gridsafe_workday_calendar_uncovered", "1 for a year (this or the coming one) whose "
                             "holidays nobody gives", labels=["year"])
    for year in state["calendar"]["gaps"]:
        gaps.add_metric([str(year)], 1)
    out.append(gaps)
    return out
