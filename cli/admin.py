"""Commands for administrators: diagrams (lint), the audit trail (verify), users and API tokens."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from records import ROLES
from services import ServiceError, maintenance, people, snapshots
from services.access import SYSTEM

from . import main, refused, with_runtime


@main.group()
def bpmn():
    """Diagrams: lint, deploy, export."""


@bpmn.command("lint")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@with_runtime
def bpmn_lint(rt, files):
    """Check diagrams (.bpmn, .dmn, or a .zip of several with their forms) the way deploying does, together
    (calls between them resolve), without needing a database; print every problem and warning of every
    file; exit 1 if any has a problem. A NAME.scenarios.json given with NAME.bpmn runs its scenarios."""
    bad = 0
    for file, problems in maintenance.lint_files(rt, [Path(f) for f in files]).items():
        for problem in problems:
            warning = "warning: " if problem.warning else ""
            click.echo(f"{file}:{problem.line or '?'}: [{problem.element_id or '-'}] {warning}{problem.message}")
        errors = [p for p in problems if not p.warning]
        bad += bool(errors)
        if not errors:
            click.echo(f"{file}: ok")
    sys.exit(1 if bad else 0)


@bpmn.command("deploy")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@with_runtime
def bpmn_deploy(rt, files):
    """Deploy diagrams as the new version of their models, callees first, even over a version deployed
    in the modeler (audited); exit 1 if any is not deployed. A changed process deploys only if its
    scenarios pass (NAME.scenarios.json when given, else the saved ones or the file in bpmn/)."""
    results = maintenance.deploy_files(rt, [Path(f) for f in files])
    for result in results:
        click.echo(str(result), err=result.status == "invalid")
    sys.exit(1 if any(r.status == "invalid" for r in results) else 0)


@bpmn.command("export")
@click.argument("folder", type=click.Path(file_okay=False))
@with_runtime
def bpmn_export(rt, folder):
    """Write the newest deployed version of every diagram and table to FOLDER, with the forms its user
    tasks name (FOLDER/forms), a table's sample cases and a process's scenarios (for review and version
    control); files that already hold it are left alone."""
    written = maintenance.export_models(rt, Path(folder))
    for path in written:
        click.echo(f"wrote {path}")
    click.echo(f"{len(written)} files written")


@main.group()
def audit():
    """The audit trail: verify."""


@audit.command("verify")
@with_runtime
def audit_verify(rt):
    """Recompute every hash chain and check every instance's projections (open tasks, status, wake-up time,
    subscriptions) against its stored state; exit 1 if an event was edited, inserted or deleted, or a
    projection disagrees."""
    count, breaks = maintenance.verify_audit(rt)
    for item in breaks:
        click.echo(f"BROKEN {item}")
    click.echo(f"{count} events checked, {len(breaks)} problems")
    instances, disagreements = maintenance.verify_projections(rt)
    for item in disagreements:
        click.echo(f"DISAGREES {item}")
    click.echo(f"{instances} instances checked, {len(disagreements)} projections disagree")
    sys.exit(1 if breaks or disagreements else 0)


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
@click.option("--post", help="Post (职务), printed after the name on documents.")
@click.option("--warrant", "warrant_number", help="Inspection warrant number (用电检查证号), printed on documents.")
@click.option("--locale", type=click.Choice(["zh_CN", "en"]), default="zh_CN", show_default=True)
@click.password_option(help="Password (asked for when not given).")
@with_runtime
def user_create(rt, username, display_name, roles, branch, teams, mobile, email, post, warrant_number, locale,
                password):
    """Create a user who can sign in."""
    with rt.sessions() as session:
        try:
            people.create_user(rt, session, SYSTEM, username=username, display_name=display_name, roles=roles,
                               branch=branch, teams=teams, password=password, mobile=mobile, email=email,
                               locale=locale, post=post, warrant_number=warrant_number)
        except ServiceError as err:
            raise refused(err) from None
    click.echo(f"user {username} created with roles {', '.join(sorted(roles))}")


@main.group()
def token():
    """API tokens: create, list, revoke."""


@token.command("create")
@click.argument("username")
@click.option("--name", default="api", show_default=True, help="What the token is for.")
@with_runtime
def token_create(rt, username, name):
    """Create an API token for USERNAME and print it (it is shown only once)."""
    with rt.sessions() as session:
        try:
            click.echo(people.create_token(rt, session, SYSTEM, username, name))
        except ServiceError as err:
            raise refused(err) from None


@token.command("list")
@click.argument("username")
@with_runtime
def token_list(rt, username):
    """List USERNAME's tokens: id, name, first characters, created, revoked."""
    with rt.read_sessions() as session:
        try:
            rows = people.user_tokens(session, people.user_by_name_or_404(session, username))
        except ServiceError as err:
            raise refused(err) from None
        if not rows:
            click.echo(f"{username} has no API tokens")
        for row in rows:
            state = f"revoked {row.revoked_at:%Y-%m-%d %H:%M} UTC" if row.revoked_at else "live"
            click.echo(f"{row.id}\t{row.name}\t{row.hint}...\tcreated {row.created_at:%Y-%m-%d %H:%M} UTC\t{state}")


@token.command("revoke")
@click.argument("token_id", type=int)
@click.option("--reason", required=True, help="Why (kept in the audit trail), e.g. 'tablet lost'.")
@with_runtime
def token_revoke(rt, token_id, reason):
    """Revoke the token TOKEN_ID (see `gridsafe token list`): every later call with it gets 401."""
    with rt.sessions() as session:
        try:
            row = people.revoke_token_by_id(rt, session, SYSTEM, token_id, reason)
        except ServiceError as err:
            raise refused(err) from None
        click.echo(f"token {token_id} ({row.name}, {row.hint}...) of {row.user.username} revoked")


@main.group()
def indicators():
    """The indicators' month-end snapshots."""


@indicators.command("snapshot")
@click.option("--month", help="Count this closed month again (YYYY-MM), and the run of its year that holds it; "
                                "without it, close every month due and its year's run.")
@with_runtime
def indicators_snapshot(rt, month):
    """Count the indicators of ended months once, and each year's months to date as one run, as the
    scheduler does daily; --month counts one again (after a correction of past records)."""
    if month:
        try:
            rows = snapshots.rewrite(rt, SYSTEM, month)
        except ServiceError as err:
            raise refused(err) from None
        click.echo(f"{month}: {rows} rows counted")
        return
    report = snapshots.close_due(rt)
    click.echo(f"closed {', '.join(report.months)} ({report.rows} rows)" if report.months else "no month to close")
