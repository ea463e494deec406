"""Keeping the installation itself: the database schema, the hazard dictionary and the diagrams of the
bpmn folder brought up to date (`gridsafe init`, `gridsafe serve`), and the audit trail verified."""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import inspect as schema_of
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from engine import ModelVersion, Problem
from records import dictionary

from . import migrate, model_bundles
from .access import SYSTEM
from .errors import Invalid


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
    """Write the newest deployed version of every model to `folder` (for review and version control), with
    the forms its user tasks name (forms/) and a table's sample cases; files that hold it already are kept."""
    written = []

    def write(path: Path, content: bytes) -> None:
        if not path.is_file() or path.read_bytes() != content:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
            written.append(path)

    forms_dir, bpmn_dir = Path(rt.config["FORMS_DIR"]), Path(rt.config["BPMN_DIR"])
    with rt.read_sessions() as session:
        newest = {}
        for mv in session.scalars(select(ModelVersion).order_by(ModelVersion.name, ModelVersion.version)):
            newest[mv.name] = mv
        for mv in newest.values():
            write(folder / f"{mv.name}.{mv.kind}", mv.source.encode("utf-8"))
            cases = bpmn_dir / f"{mv.name}.cases.json"
            if mv.kind == "dmn" and cases.is_file():
                write(folder / cases.name, cases.read_bytes())
            for form in sorted(rt.engine.forms_used(mv.source) if mv.kind == "bpmn" else ()):
                if (forms_dir / form).is_file() and "/" not in form and not form.startswith("."):
                    write(folder / "forms" / form, (forms_dir / form).read_bytes())
    return written


def lint_files(rt, files: list[Path]) -> dict[str, list]:
    """The problems of each file that would stop it from deploying (empty lists when it would deploy).

    Works without a database: calls resolve among the files given, the deployed models when there is a
    database, and the bpmn folder."""
    zips = [p for p in files if p.suffix.lower() == ".zip"]
    sources = [(str(path), path.read_bytes()) for path in files if path not in zips]
    folder = Path(rt.config["BPMN_DIR"])
    if not _has_models(rt):
        return {**rt.engine.lint_files(None, sources, folder), **_lint_zips(rt, None, zips)}
    with rt.sessions() as session:
        return {**rt.engine.lint_files(session, sources, folder), **_lint_zips(rt, session, zips)}


def _lint_zips(rt, session, zips: list[Path]) -> dict[str, list]:
    """Each archive's files checked together (as the modeler's upload does), named `archive.zip:file`."""
    found = {}
    for path in zips:
        try:
            checked = model_bundles.lint_bundle(rt, session, SYSTEM, path.read_bytes())
        except Invalid as err:
            found[str(path)] = [Problem(str(path), None, None, err.message)]
            continue
        found.update({f"{path}:{name}": problems for name, problems in checked.problems.items()})
    return found


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


def verify_projections(rt) -> tuple[int, list]:
    """(instances checked, disagreements): the rows every query reads (open tasks, status, wake-up time,
    subscriptions) against each instance's stored state."""
    with rt.read_sessions() as session:
        return rt.engine.check_projections(session)
