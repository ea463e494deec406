"""Running the app under gunicorn (the production server) from `gridsafe serve`."""
from __future__ import annotations

import os

from gunicorn.app.base import BaseApplication


# gunicorn >= 25 opens a control socket at one path per user: a second node on the same machine would
# take it over from the first. GridSafe does not use it.
OPTIONAL = {"control_socket_disable": True}


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


def _worker_exited(server, worker) -> None:
    """A dead worker's live figures (gauges) leave /metrics; its counts stay summed in."""
    from prometheus_client import multiprocess
    multiprocess.mark_process_dead(worker.pid)


def run_gunicorn(host: str, port: int, workers: int, config: dict | None = None) -> None:
    """Serve with `workers` processes; their metrics meet in PROMETHEUS_MULTIPROC_DIR (set by the caller)."""
    from services import logs
    options = {"bind": f"{host}:{port}", "workers": workers, "worker_class": "sync",
               "timeout": 120, "graceful_timeout": 20,     # no access log: the app logs each request (tracing)
               "logconfig_dict": logs.gunicorn_logconfig(config or {}), **OPTIONAL}
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        options["child_exit"] = _worker_exited
    _Gunicorn(options).run()
