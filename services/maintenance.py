"""Keeping the installation itself: the database schema, the hazard dictionary and the diagrams of the
bpmn folder brought up to date (`gridsafe init`, `gridsafe serve`), and the audit trail verified."""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import inspect as schema_of
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from engine import ModelVersion
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


def deploy_files(rt, files: list[Path], actor: str = "system") -> list:
    """Deploy the given files on purpose (`gridsafe bpmn deploy`), callees first, even over a newer version
    from the modeler (the audit event says which version it replaces)."""
    with rt.sessions() as session:
        return rt.engine.deploy_files(session, [(p.name, p.read_bytes()) for p in files], actor,
                                      comment="deployed from files with `gridsafe bpmn deploy`")


def export_models(rt, folder: Path) -> list[Path]:
    """Write the newest deployed version of every model to `folder` (for review and version control)."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    with rt.read_sessions() as session:
        newest = {}
        for mv in session.scalars(select(ModelVersion).order_by(ModelVersion.name, ModelVersion.version)):
            newest[mv.name] = mv
        for mv in newest.values():
            path = folder / f"{mv.name}.{mv.kind}"
            if not path.is_file() or path.read_text(encoding="utf-8") != mv.source:
                path.write_text(mv.source, encoding="utf-8")
                written.append(path)
    return written


def lint_files(rt, files: list[Path]) -> dict[str, list]:
    """The problems of each file that would stop it from deploying (empty lists when it would deploy).

    Works without a database: calls resolve among the files given, the deployed models when there is a
    database, and the bpmn folder."""
    sources = [(str(path), path.read_bytes()) for path in files]
    folder = Path(rt.config["BPMN_DIR"])
    if not _has_models(rt):
        return rt.engine.lint_files(None, sources, folder)
    with rt.sessions() as session:
        return rt.engine.lint_files(session, sources, folder)


def _has_models(rt) -> bool:
    url = rt.sa.url
    if url.get_backend_name() == "sqlite" and url.database and not Path(url.database).is_file():
        return False                         # asking would create an empty database file
    try:
        return schema_of(rt.sa).has_table("model_version")
    except SQLAlchemyError:
        return False


def verify_audit(rt) -> tuple[int, list]:
    """(events checked, breaks): every hash chain of the audit trail recomputed."""
    with rt.read_sessions() as session:
        return rt.engine.verify_audit(session)
