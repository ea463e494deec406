"""Running the app under gunicorn (the production server) from `gridsafe serve`, with a watchdog that ends
a worker whose request runs too long."""
from __future__ import annotations

import logging
import os
import threading
import time

from gunicorn.app.base import BaseApplication

from services import heap

LOG = logging.getLogger("gridsafe.server")

# gunicorn >= 25 opens a control socket at one path per user: a second node on the same machine would
# take it over from the first. GridSafe does not use it.
OPTIONAL = {"control_socket_disable": True}

# Connections stay open between requests: a sync worker closes each one after its answer, so every API
# call of an integration (and every request nginx forwards) paid a new TCP connection and gunicorn's
# accept. One thread per worker, as with sync workers: the app still answers one request at a time per
# process. Idle connections are kept longer than nginx keeps its upstream ones (60 s by default), so
# nginx closes them first and never sends a POST on a connection gunicorn has just closed.
KEEP_ALIVE = {"worker_class": "gthread", "threads": 1, "keepalive": 75}
# gunicorn's own timeout now only catches a worker whose main loop stalls (or that does not boot): its
# requests run in a thread beside that loop, so the watchdog below times them.
WORKER_TIMEOUT = 120


class _Gunicorn(BaseApplication):
    def __init__(self, options: dict):
        self.options = options
        super().__init__()

    def load_config(self):
        for key, value in self.options.items():
            if key in OPTIONAL and key not in self.cfg.settings:
                continue                    # an older gunicorn without that setting
            self.cfg.set(key, value)

    def load(self):
        from . import create_app
        return create_app()


class Watchdog:
    """The requests running in one worker process (one per thread) and a thread that ends the process when
    one has run longer than `limit` seconds, as a sync worker was killed: the arbiter starts a fresh one."""

    def __init__(self, limit: float):
        self.limit = limit
        self.running: dict[int, tuple[float, dict]] = {}     # thread id -> (start, WSGI environ)

    def wrap(self, app):
        """The WSGI app, timed from its call to gunicorn's post_request (the answer written out)."""
        def timed(environ, start_response):
            self.running[threading.get_ident()] = (time.monotonic(), environ)
            return app(environ, start_response)
        return timed

    def finished(self) -> None:
        self.running.pop(threading.get_ident(), None)

    def overdue(self, now: float) -> tuple[float, dict] | None:
        """(seconds run, environ) of the longest-running request past the limit, if any."""
        late = [(now - start, environ) for start, environ in self.running.copy().values()
                if now - start > self.limit]
        return max(late, key=lambda found: found[0]) if late else None

    def start(self) -> "Watchdog":
        threading.Thread(target=self._watch, name="request-watchdog", daemon=True).start()
        return self

    def _watch(self) -> None:
        while True:
            time.sleep(min(1.0, self.limit / 4))
            late = self.overdue(time.monotonic())
            if late:
                self._end(*late)

    def _end(self, seconds: float, environ: dict) -> None:
        rid = environ.get("gridsafe.request_id")
        LOG.error("%s %s has run %.1f s, past the limit of %g s (GRIDSAFE_REQUEST_TIMEOUT_SECONDS): worker %s "
                  "ends, its connections close, and gunicorn starts a fresh one", environ.get("REQUEST_METHOD"),
                  environ.get("PATH_INFO"), seconds, self.limit, os.getpid(),
                  extra={"event": "request_timeout", "method": environ.get("REQUEST_METHOD"),
                         "path": environ.get("PATH_INFO"), "seconds": round(seconds, 1), "request_id": rid})
        # Not sys.exit: the interpreter would wait for the hung thread before exiting. Nothing is lost that a
        # crash would keep: an open transaction is rolled back by the database.
        os._exit(1)


def _watch_requests(limit: float) -> dict:
    """gunicorn hooks that time every request of each worker against `limit` seconds (and settle the
    worker's heap once its app is loaded: services.heap)."""
    def post_worker_init(worker):               # the worker has loaded the app (create_app)
        worker.gridsafe_watchdog = Watchdog(limit).start()
        worker.wsgi = worker.gridsafe_watchdog.wrap(worker.wsgi)
        heap.settle()

    def post_request(worker, req, environ, resp):
        worker.gridsafe_watchdog.finished()

    return {"post_worker_init": post_worker_init, "post_request": post_request}


def _worker_exited(server, worker) -> None:
    """A dead worker's live figures (gauges) leave /metrics; its counts stay summed in."""
    from prometheus_client import multiprocess
    multiprocess.mark_process_dead(worker.pid)


def run_gunicorn(host: str, port: int, workers: int, config: dict | None = None) -> None:
    """Serve with `workers` processes; their metrics meet in PROMETHEUS_MULTIPROC_DIR (set by the caller)."""
    from services import logs
    config = config or {}
    options = {"bind": f"{host}:{port}", "workers": workers, **KEEP_ALIVE,
               "timeout": WORKER_TIMEOUT, "graceful_timeout": 20,   # no access log: the app logs each request
               "logconfig_dict": logs.gunicorn_logconfig(config), **OPTIONAL,
               **_watch_requests(float(config.get("REQUEST_TIMEOUT_SECONDS") or 120))}
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        options["child_exit"] = _worker_exited
    _Gunicorn(options).run()
