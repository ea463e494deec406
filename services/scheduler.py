"""The loop that `gridsafe scheduler` runs: one tick (services.jobs.run_tick) now, then one every
interval, until SIGTERM or Ctrl-C. Several may run at once against PostgreSQL: each job claims its
period and each timer or message its row, so nothing runs twice. Imports no web framework.

The loop does not die with the database: a tick that fails (the database is unreachable, a bug in a
job) is logged in one clear line and tried again after a backoff that doubles up to
SCHEDULER_MAX_BACKOFF_SECONDS, then the regular interval resumes.
"""
from __future__ import annotations

import logging
import os
import signal
import socket
import time

from engine import transient

from . import jobs, logs

LOG = logging.getLogger("gridsafe.scheduler")


def run(rt, *, name: str | None = None, interval: int | None = None, once: bool = False, echo=print,
        sleep=None) -> bool:
    """Tick now, then every `interval` seconds (default SCHEDULER_INTERVAL_SECONDS); `once`: one tick.
    `echo(line)` is told about ticks that fired timers or met errors, and about failed ticks;
    `sleep(seconds)` waits between ticks (default: in short steps, so that SIGTERM stops it soon).
    Returns whether the last tick succeeded."""
    name = name or rt.config.get("SCHEDULER_NAME") or f"{socket.gethostname()}:{os.getpid()}"
    interval = interval or rt.config["SCHEDULER_INTERVAL_SECONDS"]
    longest = max(interval, rt.config.get("SCHEDULER_MAX_BACKOFF_SECONDS", 300))
    stop: list = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(True))
    failures, ok = 0, True
    if not once:
        echo(f"scheduler {name} running; Ctrl-C to stop")
    try:
        while not stop:
            started = time.monotonic()
            ok = tick(rt, name, echo)
            if ok:
                failures, wait = 0, interval
            else:
                failures += 1
                wait = min(longest, interval * 2 ** (failures - 1))
                echo(f"{time.strftime('%H:%M:%S')} next try in {wait} s (failed ticks in a row: {failures})")
            if once:
                return ok
            left = started + wait - time.monotonic()
            if sleep is not None:
                sleep(left)
                continue
            while not stop and left > 0:
                time.sleep(min(0.5, left))
                left = started + wait - time.monotonic()
    except KeyboardInterrupt:
        pass
    return ok


def tick(rt, name: str, echo=print) -> bool:
    """One tick; False (logged, never raised) when it failed."""
    try:
        with logs.request_id(logs.new_id("tick-")):       # the tick's log lines and audit events share it
            report = jobs.run_tick(rt, name)
    except Exception as err:  # noqa: BLE001 - the loop outlives any failure of one tick
        first_line = str(err).splitlines()[0] if str(err) else type(err).__name__
        if transient.is_outage(err):
            line = f"{time.strftime('%H:%M:%S')} tick failed: the database is unreachable ({first_line})"
            LOG.error(line)
        else:
            line = f"{time.strftime('%H:%M:%S')} tick failed: {type(err).__name__}: {first_line}"
            LOG.exception(line)
        echo(line)
        return False
    if report.get("fired") or report.get("errors"):
        echo(f"{time.strftime('%H:%M:%S')} {report}")
    return True
