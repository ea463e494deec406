"""Commands that run the service: init, serve, scheduler, tick, plan, demo."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import click

from services import jobs, logs, maintenance, planning
from services import scheduler as scheduler_loop

from . import clock_at, main, with_runtime


def deploy_diagrams(rt) -> list:
    """Deploy the bpmn folder and print each outcome (invalid ones on stderr)."""
    results = maintenance.deploy_folder(rt)
    for result in results:
        click.echo(str(result), err=result.status == "invalid")
    return results


@main.command()
@click.option("--strict", is_flag=True, help="Exit with status 1 when a diagram is not deployed.")
@with_runtime
def init(rt, strict):
    """Create or upgrade the database schema, load the hazard dictionary, deploy the diagrams of bpmn/."""
    maintenance.upgrade_schema(rt)
    click.echo("database schema is up to date")
    added = maintenance.seed_dictionary(rt)
    if added:
        click.echo(f"hazard dictionary: {added} item versions added")
    results = deploy_diagrams(rt)
    if strict and any(r.status == "invalid" for r in results):
        sys.exit(1)


@main.command()
@click.option("--host", default=None, help="Interface to listen on (default GRIDSAFE_HOST, 127.0.0.1).")
@click.option("--port", default=None, type=int, help="Port (default GRIDSAFE_PORT, 8000).")
@click.option("--workers", default=None, type=int, help="gunicorn worker processes (default GRIDSAFE_WORKERS).")
@click.option("--with-scheduler", is_flag=True, help="Also run `gridsafe scheduler` as a child process.")
@with_runtime
def serve(rt, host, port, workers, with_scheduler):
    """Serve the web app and API with gunicorn (diagrams are deployed first)."""
    config = rt.config
    logs.configure(config)
    deploy_diagrams(rt)
    # Nothing of this process's database use may outlive the deploy: gunicorn's master keeps this
    # process (and forks workers from it), and an open connection would be shared with the workers.
    rt.sa.dispose()
    host, port = host or config["HOST"], port or config["PORT"]
    child = None
    if with_scheduler:
        child = subprocess.Popen([sys.executable, "-m", "cli", "scheduler"], env=os.environ.copy())
        click.echo(f"scheduler started (pid {child.pid})")
    click.echo(f"GridSafe on http://{host}:{port}/")
    metrics_dir = _metrics_dir()
    try:
        from webui.server import run_gunicorn       # the one command that needs the web app
        run_gunicorn(host, port, workers or config["WORKERS"], config)
    finally:
        if child is not None:
            child.send_signal(signal.SIGTERM)
            child.wait(timeout=30)
        if metrics_dir:
            shutil.rmtree(metrics_dir, ignore_errors=True)


def _metrics_dir() -> str | None:
    """The gunicorn workers' shared metrics folder: the operator's PROMETHEUS_MULTIPROC_DIR (emptied: one
    per `gridsafe serve`), or a fresh one removed at exit. Set before the web app (and prometheus_client)
    is imported, since prometheus_client reads it once."""
    given = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if given:
        Path(given).mkdir(parents=True, exist_ok=True)
        for stale in Path(given).glob("*.db"):
            stale.unlink()
        return None
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="gridsafe-metrics-")
    return os.environ["PROMETHEUS_MULTIPROC_DIR"]


@main.command()
@click.option("--interval", default=None, type=int,
              help="Seconds between ticks (default GRIDSAFE_SCHEDULER_INTERVAL_SECONDS).")
@click.option("--once", is_flag=True, help="Run one tick and exit.")
@with_runtime
def scheduler(rt, interval, once):
    """Fire due timers and run periodic jobs, every INTERVAL seconds, until stopped."""
    logs.configure(rt.config)
    scheduler_loop.run(rt, interval=interval, once=once, echo=click.echo)


@main.command()
@click.option("--now", "now", default=None, help="Run what is due as of this ISO 8601 instant (default: now).")
@with_runtime
def tick(rt, now):
    """Run everything due once: timers, then the periodic jobs."""
    rt = clock_at(rt, now, ", e.g. 2026-12-01T08:00:00+08:00")
    report = jobs.run_tick(rt, "tick")
    click.echo(report)
    if report.get("errors"):
        sys.exit(1)


@main.command()
@click.option("--now", "now", default=None, help="Plan as of this ISO 8601 instant (default: now).")
@with_runtime
def plan(rt, now):
    """Create the periodic inspections that are due (next due = last done + cycle, 15 days ahead)."""
    rt = clock_at(rt, now)
    today = rt.today()
    report = planning.generate(rt, today)
    click.echo(f"{today}: {len(report.created)} inspections created"
               + (f" ({', '.join(report.created)})" if report.created else "")
               + (f", {report.skipped} already created by another planner" if report.skipped else ""))


@main.command()
@with_runtime
def demo(rt):
    """Load the demo data (idempotent: running it twice changes nothing)."""
    from services import demo as demo_data
    for line in demo_data.load(rt):
        click.echo(line)
