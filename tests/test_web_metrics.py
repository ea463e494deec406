"""/metrics: Prometheus text that the reference parser reads, for administrators or the scraper's token."""
from __future__ import annotations

import pytest
from prometheus_client.parser import text_string_to_metric_families

from web_support import login


def samples(text: str) -> dict:
    """{(name, frozenset(labels)): value} of every sample."""
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def value(parsed: dict, name: str, **labels) -> float:
    """The sum over the samples of `name` whose labels include `labels`."""
    wanted = set(labels.items())
    return sum(v for (n, ls), v in parsed.items() if n == name and wanted <= ls)


@pytest.fixture
def scraper(site):
    site.app.config["GRIDSAFE"]["METRICS_TOKEN"] = "scrape-secret-1"
    return {"Authorization": "Bearer scrape-secret-1"}


def test_metrics_parse_and_count_a_request_and_the_engine_calls(client, site, scraper, clock):
    before = samples(client.get("/metrics", headers=scraper).get_data(as_text=True))
    site.start_visit(key="V-1")                                     # one engine call through the app's engine
    assert client.get("/healthz").status_code == 200
    response = client.get("/metrics", headers=scraper)
    assert response.status_code == 200 and response.mimetype == "text/plain"
    after = samples(response.get_data(as_text=True))
    counted = "gridsafe_http_request_duration_seconds_count"
    assert value(after, counted, route="/healthz", method="GET", status="200") \
        == value(before, counted, route="/healthz", method="GET", status="200") + 1
    started = "gridsafe_engine_call_duration_seconds_count"
    assert value(after, started, operation="start_instance", outcome="ok") \
        == value(before, started, operation="start_instance", outcome="ok") + 1
    assert value(after, "gridsafe_instances", status="waiting") + value(after, "gridsafe_instances", status="running") \
        >= 1
    assert value(after, "gridsafe_user_tasks_open") == 1
    assert ("gridsafe_timer_lag_seconds", frozenset()) in after
    assert value(after, "gridsafe_outbox_messages", channel="sms", state="failed") == 0


def test_a_late_task_a_late_timer_and_a_scheduler_beat_show(client, site, scraper, clock):
    from engine import SchedulerBeat
    from webui import db
    site.start_visit(key="V-1", days=1)
    clock.advance(days=3)                                           # the task's due time passes
    with site.app.app_context():
        db.session().add(SchedulerBeat(name="node-a:1", last_tick_at=clock.now(), last_duration_ms=5, fired=0,
                                       errors=0))
        db.session().commit()
    clock.advance(seconds=90)
    parsed = samples(client.get("/metrics", headers=scraper).get_data(as_text=True))
    assert value(parsed, "gridsafe_user_tasks_overdue") == 1
    assert value(parsed, "gridsafe_scheduler_beat_age_seconds", node="node-a:1") == 90
    assert value(parsed, "gridsafe_scheduler_last_tick_duration_seconds", node="node-a:1") == 0.005


def test_metrics_need_the_token_or_an_administrator(client, site, scraper):
    assert client.get("/metrics").status_code == 302                 # a person is sent to sign in
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    login(client, "insp1")
    assert client.get("/metrics").status_code == 403
    login(client, "admin")
    assert client.get("/metrics").status_code == 200


def test_without_a_configured_token_no_bearer_opens_metrics(client, site):
    assert client.get("/metrics", headers={"Authorization": "Bearer "}).status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer x"}).status_code == 401


def test_the_workers_of_gridsafe_serve_add_up_their_counts(sqlite_url, tmp_path):
    """Two gunicorn workers answer in turn: every scrape, whichever worker answers it, counts all requests."""
    import os
    import signal
    import socket
    import subprocess
    import sys
    import time
    import urllib.request
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**{k: v for k, v in os.environ.items() if not k.startswith(("GRIDSAFE_", "PROMETHEUS_"))},
           "PYTHONPATH": str(root), "GRIDSAFE_DATABASE_URL": sqlite_url, "GRIDSAFE_DATA_DIR": str(tmp_path / "data"),
           "GRIDSAFE_METRICS_TOKEN": "scrape-secret-2", "GRIDSAFE_LOG_LEVEL": "WARNING"}
    server = subprocess.Popen([sys.executable, "-m", "cli", "serve", "--port", str(port), "--workers", "2"],
                              cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=5).read()
                break
            except OSError:
                assert time.monotonic() < deadline, "gridsafe serve did not answer"
                time.sleep(0.3)
        for _ in range(19):
            urllib.request.urlopen(f"{base}/healthz", timeout=5).read()
        scrape = urllib.request.Request(f"{base}/metrics", headers={"Authorization": "Bearer scrape-secret-2"})
        for _ in range(4):
            parsed = samples(urllib.request.urlopen(scrape, timeout=5).read().decode())
            assert value(parsed, "gridsafe_http_request_duration_seconds_count", route="/healthz") == 20
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
