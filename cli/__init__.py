"""The `gridsafe` command, an interface like the web: each command builds a runtime from the settings
(GRIDSAFE_* variables, see services/config.py), calls services and prints the outcome.

Only `serve` loads the web app; the scheduler and every other command run without Flask.
"""
from __future__ import annotations

import functools

import click

import services
from engine import FixedClock, parse_instant
from services import config


@click.group()
@click.pass_context
def main(ctx):
    """GridSafe: safety-hazard control of high-risk and important power customers.

    Settings come from GRIDSAFE_* environment variables (see services/config.py).
    """
    ctx.ensure_object(dict)


def with_runtime(command):
    """Pass the command a runtime: the one tests hand in (obj["rt"], or obj["app"]'s), else one built
    from the settings."""
    @functools.wraps(command)
    @click.pass_context
    def wrapper(ctx, *args, **kwargs):
        obj = ctx.obj or {}
        rt = obj.get("rt") or (obj["app"].extensions["gridsafe.runtime"] if obj.get("app") is not None else None)
        return command(rt or _runtime(), *args, **kwargs)
    return wrapper


def _runtime():
    """A runtime from the settings; a setting refused (services.config.check) is the command's error, its
    message naming the variable and the fix, without a traceback for the administrator to read through."""
    try:
        settings = config.load()
    except (ValueError, RuntimeError) as err:
        raise click.ClickException(str(err)) from None
    return services.build(settings)


def clock_at(rt, now: str | None, example: str = ""):
    """The runtime reading a fixed clock at `now` (ISO 8601), or unchanged without it."""
    if not now:
        return rt
    try:
        return rt.with_clock(FixedClock(parse_instant(now)))
    except ValueError:
        raise click.BadParameter(f"{now!r} is not an ISO 8601 instant{example}", param_hint="--now") from None


def refused(err: services.ServiceError) -> click.ClickException:
    """A use case's refusal as the command's error (exit status 1, the message on stderr)."""
    details = "; ".join(f"{k}: {v}" for k, v in err.errors.items() if k) if err.errors else ""
    return click.ClickException((err.message or type(err).__name__) + (f" ({details})" if details else ""))


from . import admin, backups, running  # noqa: E402,F401  (the commands register themselves on main)
