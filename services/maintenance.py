"""Keeping the installation itself: the database schema, the hazard dictionary and the diagrams of the
bpmn folder brought up to date (`gridsafe init`, `gridsafe serve`), and the audit trail verified."""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import inspect as schema_of
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from engine import ModelVersion, Problem
from records import dictionary

from . import form_versions, migrate, model_bundles, scenarios
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
    """Store the changed forms of the forms folder, then deploy every diagram of the bpmn folder (unchanged
    files are skipped); the outcome of each diagram, after the forms that were stored, kept or refused."""
    with rt.sessions() as session:
        shipped = form_versions.ship_folder(rt, session, actor)
        return shipped + rt.engine.deploy_folder(session, Path(rt.config["BPMN_DIR"]), actor)


def deploy_files(rt, files: list[Path], actor: str = "system") -> list:
    """Deploy the given files on purpose (`gridsafe bpmn deploy`), callees first, even over a newer version
    from the modeler (the audit event says which version it replaces)."""
    files, texts = _scenario_files(files)
    with scenarios.given(texts), rt.sessions() as session:
        return rt.engine.deploy_files(session, [(p.name, p.read_bytes()) for p in files], actor,
                                      comment="deployed from files with `gridsafe bpmn deploy`")


def _scenario_files(files: list[Path]) -> tuple[list[Path], dict]:
    """(the diagram files, {model name: scenario text} of the .scenarios.json files among them)."""
    texts = {scenarios.model_name(p): p.read_text(encoding="utf-8") for p in files if p.name.endswith(scenarios.SUFFIX)}
    return [p for p in files if not p.name.endswith(scenarios.SUFFIX)], texts


def export_models(rt, folder: Path) -> list[Path]:
    """Write the newest deployed version of every model to `folder` (for review and version control), with
    the forms its user tasks name (forms/) and a table's sample cases; files that hold it already are kept."""
    written = []

    def write(path: Path, content: bytes) -> None:
        if not path.is_file() or path.read_bytes() != content:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
            written.append(path)

    bpmn_dir = Path(rt.config["BPMN_DIR"])
    with rt.read_sessions() as session:
        newest = {}
        for mv in session.scalars(select(ModelVersion).order_by(ModelVersion.name, ModelVersion.version)):
            newest[mv.name] = mv
        for mv in newest.values():
            write(folder / f"{mv.name}.{mv.kind}", mv.source.encode("utf-8"))
            cases = bpmn_dir / f"{mv.name}.cases.json"
            if mv.kind == "dmn" and cases.is_file():
                write(folder / cases.name, cases.read_bytes())
            tests, _origin = scenarios.stored_text(session, bpmn_dir, mv.name) if mv.kind == "bpmn" else (None, None)
            if tests is not None:
                write(folder / f"{mv.name}{scenarios.SUFFIX}", tests.encode("utf-8"))
            for form, content in form_versions.for_export(rt, session, mv):
                write(folder / "forms" / form, content)
    return written


def lint_files(rt, files: list[Path]) -> dict[str, list]:
    """The problems of each file that would stop it from deploying (empty lists when it would deploy).

    Works without a database: calls resolve among the files given, the deployed models when there is a
    database, and the bpmn folder."""
    files, texts = _scenario_files(files)
    zips = [p for p in files if p.suffix.lower() == ".zip"]
    sources = [(str(path), path.read_bytes()) for path in files if path not in zips]
    folder = Path(rt.config["BPMN_DIR"])
    unknown = {f"{name}{scenarios.SUFFIX}": [Problem(f"{name}{scenarios.SUFFIX}", None, None,
                                                     f"no diagram {name}.bpmn is given with these scenarios")]
               for name in texts if name not in {Path(f).stem for f, _data in sources}}
    with scenarios.given(texts, only=True):          # lint runs the scenarios it is given, no others
        if not _has_models(rt):
            return {**rt.engine.lint_files(None, sources, folder), **_lint_zips(rt, None, zips), **unknown}
        with rt.sessions() as session:
            return {**rt.engine.lint_files(session, sources, folder), **_lint_zips(rt, session, zips), **unknown}


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
