"""The `gridsafe` command: init, serve, scheduler, tick, bpmn lint, audit verify, demo.

`scheduler` and `tick` run the services on a runtime of their own and never import Flask; the other
commands run inside the web app (built on first use), so Flask is imported inside them only.
"""
from __future__ import annotations

import functools
import os
import signal
import subprocess
import sys
from pathlib import Path

import click

import services
from engine import FixedClock, parse_instant
from records import ROLES
from services import jobs, migrate
from services import scheduler as scheduler_loop


@click.group()
@click.pass_context
def main(ctx):
    """GridSafe: safety-hazard control of high-risk and important power customers.

    Settings come from GRIDSAFE_* environment variables (see services/config.py).
    """
    ctx.ensure_object(dict)


def with_appcontext(command):
    """Run the command inside the app (built from the environment, or the one tests pass in obj)."""
    @functools.wraps(command)
    @click.pass_context
    def wrapper(ctx, *args, **kwargs):
        app = (ctx.obj or {}).get("app")
        if app is None:
            from . import create_app
            app = create_app()
        with app.app_context():
            return command(*args, **kwargs)
    return wrapper


def with_runtime(command):
    """Pass the command a runtime without the web app: the one of the app tests pass in obj, else one
    built from the settings."""
    @functools.wraps(command)
    @click.pass_context
    def wrapper(ctx, *args, **kwargs):
        app = (ctx.obj or {}).get("app")
        rt = app.extensions["gridsafe.runtime"] if app is not None else services.build()
        return command(rt, *args, **kwargs)
    return wrapper


def _app():
    from flask import current_app
    return current_app


def _config() -> dict:
    return _app().config["GRIDSAFE"]


def _session():
    from . import db
    return db.session()


def _engine():
    from . import engine_of
    return engine_of(_app())


def _clock_at(rt, now: str | None, example: str = ""):
    """The runtime reading a fixed clock at `now` (ISO 8601), or unchanged without it."""
    if not now:
        return rt
    try:
        return rt.with_clock(FixedClock(parse_instant(now)))
    except ValueError:
        raise click.BadParameter(f"{now!r} is not an ISO 8601 instant{example}", param_hint="--now") from None


def deploy_diagrams(actor: str = "system") -> list:
    """Deploy every diagram of the bpmn folder (unchanged files are skipped) and print the outcome."""
    results = _engine().deploy_folder(_session(), Path(_config()["BPMN_DIR"]), actor)
    for result in results:
        click.echo(str(result), err=result.status == "invalid")
    return results


@main.command()
@click.option("--strict", is_flag=True, help="Exit with status 1 when a diagram is not deployed.")
@with_appcontext
def init(strict):
    """Create or upgrade the database schema, load the hazard dictionary, deploy the diagrams of bpmn/."""
    migrate.upgrade(_app().extensions["gridsafe.sa"])
    click.echo("database schema is up to date")
    from records import dictionary
    session = _session()
    added = dictionary.seed(session, _engine().clock.now())
    session.commit()
    if added:
        click.echo(f"hazard dictionary: {added} items loaded")
    results = deploy_diagrams()
    if strict and any(r.status == "invalid" for r in results):
        sys.exit(1)


@main.command()
@click.option("--host", default=None, help="Interface to listen on (default GRIDSAFE_HOST, 127.0.0.1).")
@click.option("--port", default=None, type=int, help="Port (default GRIDSAFE_PORT, 8000).")
@click.option("--workers", default=None, type=int, help="gunicorn worker processes (default GRIDSAFE_WORKERS).")
@click.option("--with-scheduler", is_flag=True, help="Also run `gridsafe scheduler` as a child process.")
@with_appcontext
def serve(host, port, workers, with_scheduler):
    """Serve the web app and API with gunicorn (diagrams are deployed first)."""
    config = _config()
    deploy_diagrams()
    # Nothing of this process's database use may outlive the deploy: gunicorn's master keeps this
    # process (and forks workers from it), and an open transaction would hold SQLite's write lock.
    from . import db
    db.release()
    _app().extensions["gridsafe.sa"].dispose()
    host, port = host or config["HOST"], port or config["PORT"]
    child = None
    if with_scheduler:
        child = subprocess.Popen([sys.executable, "-m", "webui.cli", "scheduler"], env=os.environ.copy())
        click.echo(f"scheduler started (pid {child.pid})")
    click.echo(f"GridSafe on http://{host}:{port}/")
    try:
        from .server import run_gunicorn
        run_gunicorn(host, port, workers or config["WORKERS"])
    finally:
        if child is not None:
            child.send_signal(signal.SIGTERM)
            child.wait(timeout=30)


@main.command()
@click.option("--interval", default=None, type=int, help="Seconds between ticks (default GRIDSAFE_SCHEDULER_INTERVAL_SECONDS).")
@click.option("--once", is_flag=True, help="Run one tick and exit.")
@with_runtime
def scheduler(rt, interval, once):
    """Fire due timers and run periodic jobs, every INTERVAL seconds, until stopped."""
    scheduler_loop.run(rt, interval=interval, once=once, echo=click.echo)


@main.command()
@click.option("--now", "now", default=None, help="Run what is due as of this ISO 8601 instant (default: now).")
@with_runtime
def tick(rt, now):
    """Run everything due once: timers, then the periodic jobs."""
    rt = _clock_at(rt, now, ", e.g. 2026-12-01T08:00:00+08:00")
    report = jobs.run_tick(rt, "tick")
    click.echo(report)
    if report.get("errors"):
        sys.exit(1)


@main.command()
@click.option("--now", "now", default=None, help="Plan as of this ISO 8601 instant (default: now).")
@with_appcontext
def plan(now):
    """Create the periodic inspections that are due (next due = last done + cycle, 15 days ahead)."""
    from services import planning
    rt = _clock_at(_app().extensions["gridsafe.runtime"], now)
    today = rt.today()
    report = planning.generate(rt, today)
    click.echo(f"{today}: {len(report.created)} inspections created"
               + (f" ({', '.join(report.created)})" if report.created else "")
               + (f", {report.skipped} already created by another planner" if report.skipped else ""))


@main.group()
def bpmn():
    """Diagrams: lint."""


@bpmn.command("lint")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@with_appcontext
def bpmn_lint(files):
    """Check diagrams the way deploying does; exit 1 if any has a problem."""
    eng = _engine()
    bad = 0
    for file in files:
        problems = eng.lint_source(_session(), Path(file).name, Path(file).read_bytes())
        for problem in problems:
            click.echo(f"{file}:{problem.line or '?'}: [{problem.element_id or '-'}] {problem.message}")
        bad += bool(problems)
        if not problems:
            click.echo(f"{file}: ok")
    sys.exit(1 if bad else 0)


@main.group()
def audit():
    """The audit trail: verify."""


@audit.command("verify")
@with_appcontext
def audit_verify():
    """Recompute every hash chain; exit 1 if an event was edited, inserted or deleted."""
    count, breaks = _engine().verify_audit(_session())
    for item in breaks:
        click.echo(f"BROKEN {item}")
    click.echo(f"{count} events checked, {len(breaks)} problems")
    sys.exit(1 if breaks else 0)


@main.group()
def user():
    """Users: create."""


@user.command("create")
@click.argument("username")
@click.option("--name", "display_name", help="Display name (default: the user name).")
@click.option("--role", "roles", multiple=True, type=click.Choice(ROLES), required=True,
              help="A role; repeat for several.")
@click.option("--branch", help="Branch code.")
@click.option("--team", "teams", multiple=True, help="Team code; repeat for several.")
@click.option("--mobile", help="Mobile number (for SMS warnings).")
@click.option("--email", help="E-mail address.")
@click.option("--locale", type=click.Choice(["zh_CN", "en"]), default="zh_CN", show_default=True)
@click.password_option(help="Password (asked for when not given).")
@with_appcontext
def user_create(username, display_name, roles, branch, teams, mobile, email, locale, password):
    """Create a user who can sign in."""
    from sqlalchemy import select

    from engine import audit
    from records import Branch, Team, User
    session = _session()
    if session.scalar(select(User.id).where(User.username == username)):
        raise click.ClickException(f"the user {username} already exists")
    if len(password) < 8:
        raise click.ClickException("the password needs at least 8 characters")
    found_branch = session.scalar(select(Branch).where(Branch.code == branch)) if branch else None
    if branch and found_branch is None:
        raise click.ClickException(f"there is no branch {branch}")
    found_teams = session.scalars(select(Team).where(Team.code.in_(teams))).all()
    missing = set(teams) - {t.code for t in found_teams}
    if missing:
        raise click.ClickException(f"there is no team {', '.join(sorted(missing))}")
    now = _engine().clock.now()
    new = User(username=username, display_name=display_name or username, locale=locale, mobile=mobile,
               email=email, active=True, created_at=now, branch=found_branch, teams=list(found_teams))
    new.set_password(password)
    new.set_roles(roles)
    session.add(new)
    audit.record(session, f"user:{username}", at=now, actor="cli", action="user.created",
                 after={"username": username, "roles": sorted(roles), "branch": branch, "teams": sorted(teams)})
    session.commit()
    click.echo(f"user {username} created with roles {', '.join(sorted(roles))}")


@main.group()
def token():
    """API tokens: create, list, revoke."""


@token.command("create")
@click.argument("username")
@click.option("--name", default="api", show_default=True, help="What the token is for.")
@with_appcontext
def token_create(username, name):
    """Create an API token for USERNAME and print it (it is shown only once)."""
    from engine import audit
    from records import people, tokens
    session = _session()
    found = people.user_by_name(session, username)
    if found is None:
        raise click.ClickException(f"there is no user {username}")
    now = _engine().clock.now()
    row, text = tokens.create(session, found, name, now)
    audit.record(session, f"user:{username}", at=now, actor="cli", action="token.created",
                 after={"name": name, "hint": row.hint})
    session.commit()
    click.echo(text)


@token.command("list")
@click.argument("username")
@with_appcontext
def token_list(username):
    """List USERNAME's tokens: id, name, first characters, created, revoked."""
    from records import people, tokens
    session = _session()
    found = people.user_by_name(session, username)
    if found is None:
        raise click.ClickException(f"there is no user {username}")
    rows = tokens.of_user(session, found)
    if not rows:
        click.echo(f"{username} has no API tokens")
    for row in rows:
        state = f"revoked {row.revoked_at:%Y-%m-%d %H:%M} UTC" if row.revoked_at else "live"
        click.echo(f"{row.id}\t{row.name}\t{row.hint}...\tcreated {row.created_at:%Y-%m-%d %H:%M} UTC\t{state}")


@token.command("revoke")
@click.argument("token_id", type=int)
@click.option("--reason", required=True, help="Why (kept in the audit trail), e.g. 'tablet lost'.")
@with_appcontext
def token_revoke(token_id, reason):
    """Revoke the token TOKEN_ID (see `gridsafe token list`): every later call with it gets 401."""
    from engine import audit
    from records import tokens
    session = _session()
    now = _engine().clock.now()
    row = tokens.revoke(session, token_id, now)
    if row is None:
        raise click.ClickException(f"there is no live token {token_id} (see `gridsafe token list USERNAME`)")
    audit.record(session, f"user:{row.user.username}", at=now, actor="cli", action="token.revoked",
                 after={"name": row.name, "hint": row.hint}, reason=reason)
    session.commit()
    click.echo(f"token {token_id} ({row.name}, {row.hint}...) of {row.user.username} revoked")


@main.command()
@with_appcontext
def demo():
    """Load the demo data (idempotent: running it twice changes nothing)."""
    from . import demo as demo_data
    for line in demo_data.load(_app()):
        click.echo(line)


if __name__ == "__main__":
    main()
