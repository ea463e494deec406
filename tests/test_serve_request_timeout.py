"""`gridsafe serve` keeps connections open and still ends a request that hangs: a real gunicorn on loopback
whose /healthz sleeps on demand (?sleep=S, patched in only here), with GRIDSAFE_REQUEST_TIMEOUT_SECONDS=2."""
from __future__ import annotations

import http.client
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from process_support import children, free_port, wait_until

ROOT = Path(__file__).resolve().parent.parent
LIMIT = 2
SERVE_WITH_SLOW_HEALTHZ = """
import sys, time
from flask import request
from services import health
real = health.check
def check(*args, **kwargs):
    time.sleep(float(request.args.get("sleep", 0)))
    return real(*args, **kwargs)
health.check = check
from cli import main
main(sys.argv[1:], prog_name="gridsafe")
"""


class Server:
    def __init__(self, popen: subprocess.Popen, port: int, log: Path):
        self.popen, self.port, self.log = popen, port, log

    def connect(self, timeout: float = 30) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)

    def get(self, conn, path: str, **headers) -> http.client.HTTPResponse:
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        response.read()
        return response

    def answers(self) -> bool:
        assert self.popen.poll() is None, f"gridsafe serve exited:\n{self.log.read_text(errors='replace')}"
        try:
            return self.get(self.connect(timeout=2), "/login").status == 200
        except OSError:
            return False

    def worker(self) -> int | None:
        pids = children(self.popen.pid)
        return pids[0] if len(pids) == 1 else None


@pytest.fixture
def server(sqlite_url, tmp_path):
    port, log = free_port(), tmp_path / "serve.log"
    env = {**{k: v for k, v in os.environ.items() if not k.startswith(("GRIDSAFE_", "PROMETHEUS_"))},
           "PYTHONPATH": str(ROOT), "GRIDSAFE_DATABASE_URL": sqlite_url, "GRIDSAFE_DATA_DIR": str(tmp_path / "data"),
           "GRIDSAFE_LOG_FORMAT": "text", "GRIDSAFE_REQUEST_TIMEOUT_SECONDS": str(LIMIT)}
    with open(log, "wb") as out:
        popen = subprocess.Popen([sys.executable, "-c", SERVE_WITH_SLOW_HEALTHZ, "serve", "--port", str(port),
                                  "--workers", "1"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                 start_new_session=True)
    served = Server(popen, port, log)
    try:
        wait_until(served.answers, 60, "gridsafe serve answers")
        yield served
    finally:
        if popen.poll() is None:
            os.killpg(popen.pid, signal.SIGTERM)
            try:
                popen.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(popen.pid, signal.SIGKILL)
                popen.wait(timeout=10)


def test_a_request_past_the_timeout_ends_its_worker_and_a_fresh_one_answers_the_next(server):
    hung = server.worker()
    conn = server.connect()
    started = time.monotonic()
    with pytest.raises(ConnectionError):                    # closed (or reset) under the waiting client
        server.get(conn, "/healthz?sleep=3600", **{"X-Request-ID": "hung-request-1"})
    assert LIMIT < time.monotonic() - started < LIMIT + 5
    fresh = wait_until(lambda: server.worker() not in (None, hung) and server.worker(), 30, "a fresh worker")
    assert server.get(server.connect(), "/login").status == 200
    assert server.worker() == fresh
    log = server.log.read_text(errors="replace")
    said = [line for line in log.splitlines() if "past the limit" in line]
    assert len(said) == 1, log
    assert " ERROR " in said[0] and "[hung-request-1]" in said[0] and "GET /healthz" in said[0], said
    assert f"past the limit of {LIMIT} s" in said[0] and f"worker {hung} ends" in said[0], said


def test_a_connection_stays_open_and_idle_time_on_it_is_not_counted(server):
    worker, conn = server.worker(), server.connect()
    assert server.get(conn, "/login").status == 200
    kept = conn.sock
    assert kept is not None                                   # not closed after the answer
    time.sleep(LIMIT + 1.5)                                   # idle longer than a request may run
    answer = server.get(conn, "/healthz?sleep=0.5")            # a request under the limit
    assert answer.status in (200, 503) and conn.sock is kept    # 503: no scheduler beats here
    assert server.worker() == worker
    assert "past the limit" not in server.log.read_text(errors="replace")


def test_a_request_under_way_is_answered_when_the_server_stops(server):
    answers = []

    def slow():
        answers.append(server.get(server.connect(), "/healthz?sleep=1"))
    request = threading.Thread(target=slow)
    request.start()
    time.sleep(0.4)
    os.killpg(server.popen.pid, signal.SIGTERM)
    request.join(timeout=15)
    assert answers and answers[0].status in (200, 503), server.log.read_text(errors="replace")
    assert server.popen.wait(timeout=30) == 0


def test_a_worker_settles_its_heap_once_its_app_is_loaded():
    """What the worker holds after loading the app is frozen out of the collector's full walks
    (services.heap); objects made later are still collected."""
    import gc
    import weakref

    from webui.server import _watch_requests

    class Worker:
        wsgi = staticmethod(lambda environ, start_response: [b""])

    gc.unfreeze()
    worker = Worker()
    _watch_requests(3600)["post_worker_init"](worker)
    try:
        assert gc.get_freeze_count() > 10_000 and worker.wsgi is not Worker.wsgi
        made_later = Worker()
        made_later.itself = made_later                # a cycle made after the freeze is still collected
        gone = weakref.ref(made_later)
        del made_later
        gc.collect()
        assert gone() is None
    finally:
        gc.unfreeze()
