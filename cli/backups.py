"""Commands that copy the service's data: backup and restore (database and files together), and moving
the files of a local folder into PostgreSQL."""
from __future__ import annotations

import sys
from pathlib import Path

import click

import services
from services import backup as backups
from services import files as file_moving
from services.access import SYSTEM

from . import main, refused, with_runtime


@main.command()
@click.argument("dest", type=click.Path(path_type=Path))
@with_runtime
def backup(rt, dest):
    """Copy the database (one consistent snapshot) and then the files it names into the new folder DEST."""
    try:
        manifest = backups.backup(rt, dest)
    except services.ServiceError as err:
        raise refused(err) from None
    where = "in the database" if manifest["files_in_database"] else "copied"
    count = len(manifest["files_in_database"] or manifest["files"])
    click.echo(f"backup written to {dest}: {manifest['dialect']} database, {count} files {where}")


@main.command()
@click.argument("source", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Replace the current database without asking.")
@with_runtime
def restore(rt, source, yes):
    """Replace the database with the backup in SOURCE, add its files, then verify the audit trail and
    every file (exit 1 when something does not match). Stop the server and the schedulers first."""
    if not yes:
        click.confirm(f"Replace the database of this service with the backup in {source}?", abort=True)
    try:
        report = backups.restore(rt, source)
    except services.ServiceError as err:
        raise refused(err) from None
    for line in report["audit"] + report["files"]:
        click.echo(f"PROBLEM {line}")
    click.echo(f"restored from {source}: {report['events']} audit events checked, "
               f"{len(report['audit'])} audit problems, {len(report['files'])} file problems")
    sys.exit(1 if report["audit"] or report["files"] else 0)


@main.group()
def files():
    """The stored photos, signatures and documents."""


@files.command("migrate")
@click.option("--folder", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="The folder to move (default: DATA_DIR/files).")
@with_runtime
def migrate_files(rt, folder):
    """Move the files of the local folder into PostgreSQL and verify every hash (exit 1 on a problem).
    The folder is left in place; running it again is harmless."""
    try:
        report = file_moving.migrate_folder(rt, SYSTEM, folder)
    except services.ServiceError as err:
        raise refused(err) from None
    for line in report.problems:
        click.echo(f"PROBLEM {line}")
    click.echo(f"{report.moved} files moved into the database, {report.present} already there, "
               f"{len(report.problems)} problems")
    sys.exit(1 if report.problems else 0)


@files.command("collect")
@click.option("--hours", type=click.FloatRange(min=0), default=None,
              help="Remove orphans older than this many hours (default: ORPHAN_FILE_HOURS, 24).")
@with_runtime
def collect_files(rt, hours):
    """Remove stored files that no attachment or document names (left by requests that rolled back)."""
    report = file_moving.collect_orphans(rt, SYSTEM, hours=hours)
    if rt.files.kind == "database":
        click.echo(f"files are kept in the database with their rows: nothing to collect "
                   f"({report.unnamed_in_database} files no row names)")
    else:
        click.echo(f"{report.removed} orphan files removed, {report.recent} younger than the grace period kept")
