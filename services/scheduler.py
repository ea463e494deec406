"""The loop that `gridsafe scheduler` runs: one tick (services.jobs.run_tick) now, then one every
interval, until SIGTERM or Ctrl-C. Several may run at once against PostgreSQL: each job claims its
period and each timer or message its row, so nothing runs twice. Imports no web framework.
"""
from __future__ import annotations

import os
import signal
import socket
import time

from . import jobs, logs


def run(rt, *, name: str | None = None, interval: int | None = None, once: bool = False, echo=print) -> None:
    """Tick now, then every `interval` seconds (default SCHEDULER_INTERVAL_SECONDS); `once`: one tick.
    `echo(line)` is told about ticks that fired timers or met errors."""
    import schedule

    name = name or rt.config.get("SCHEDULER_NAME") or f"{socket.gethostname()}:{os.getpid()}"
    stop: list = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(True))

    def tick() -> None:
        with logs.request_id(logs.new_id("tick-")):       # the tick's log lines and audit events share it
            report = jobs.run_tick(rt, name)
        if report.get("fired") or report.get("errors"):
            echo(f"{time.strftime('%H:%M:%S')} {report}")

    tick()
    if once:
        return
    schedule.every(interval or rt.config["SCHEDULER_INTERVAL_SECONDS"]).seconds.do(tick)
    echo(f"scheduler {name} running; Ctrl-C to stop")
    try:
        while not stop:
            schedule.run_pending()
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
