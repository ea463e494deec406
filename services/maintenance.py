"""Keeping the installation itself: the database schema, the hazard dictionary and the diagrams of the
bpmn folder brought up to date (`gridsafe init`, `gridsafe serve`), and the audit trail verified."""
from __future__ import annotations

from pathlib import Path

from records import dictionary

from . import migrate


def upgrade_schema(rt) -> None:
    """Create or upgrade the database schema (idempotent)."""
    migrate.upgrade(rt.sa)


def seed_dictionary(rt) -> int:
    """Load the hazard dictionary, or add a new version of each item whose content changed; how many."""
    with rt.sessions() as session:
        added = dictionary.seed(session, rt.now())
        session.commit()
        return added


def deploy_folder(rt, actor: str = "system") -> list:
    """Deploy every diagram of the bpmn folder (unchanged files are skipped); the outcome of each."""
    with rt.sessions() as session:
        return rt.engine.deploy_folder(session, Path(rt.config["BPMN_DIR"]), actor)


def lint_files(rt, files: list[Path]) -> dict[str, list]:
    """The problems of each file that would stop it from deploying (empty lists when it would deploy)."""
    with rt.sessions() as session:
        return {str(path): rt.engine.lint_source(session, path.name, path.read_bytes()) for path in files}


def verify_audit(rt) -> tuple[int, list]:
    """(events checked, breaks): every hash chain of the audit trail recomputed."""
    with rt.read_sessions() as session:
        return rt.engine.verify_audit(session)
