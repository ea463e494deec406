"""Deploying diagram files as immutable model versions, and finding the version to run.

A file is a new version when its content, or the content of a file it depends on (a DMN table it
calls, a process it calls), changed. A file that fails lint or parsing is not deployed; the
previous version stays in use. Running instances always stay on the version they started on.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree
from sqlalchemy import and_, bindparam, distinct, func, select
from sqlalchemy.orm import defer

from . import audit, statements, tables
from .errors import AmbiguousDefinition, UnknownProcess
from .lint import SCHEMA_PROBLEM, lint_bpmn, lint_dmn
from .models import Definition, ModelVersion
from .serializer import dump_specs, load_specs
from .resolve import Pool, Source, dependency_order, forms_used, source_of
from .specs import BPMN_NS, SPIFF_NS, ModelInvalid, Problem, compile_bpmn, compile_dmn, read_xml


@dataclass
class DeployResult:
    """What happened to one file: deployed, unchanged, kept (a newer version from the modeler stays)
    or invalid (with its problems)."""

    name: str
    kind: str | None
    status: str
    version: int | None = None
    problems: list[Problem] = field(default_factory=list)
    note: str | None = None

    def __str__(self) -> str:
        if self.status == "invalid":
            return f"{self.name}: NOT deployed\n" + "\n".join(f"  {p}" for p in self.problems)
        if self.status == "kept":
            return f"{self.name}: kept version {self.version}, {self.note}"
        return f"{self.name}: {self.status} (version {self.version})"


FROM_FILES = "file"          # ModelVersion.origin of a version shipped from the bpmn folder or `bpmn deploy`


def latest_version(session, name: str) -> ModelVersion | None:
    """The newest deployed version of a file, or None."""
    return session.scalars(select(ModelVersion).where(ModelVersion.name == name)
                           .order_by(ModelVersion.version.desc()).limit(1)).first()


_definition = Definition.__table__
_newer = ModelVersion.__table__.alias("newer")
_version = ModelVersion.__table__
_OWNED = (_definition.join(_version, _version.c.id == _definition.c.model_version_id),
          and_(_definition.c.kind == bindparam("kind"), _definition.c.definition_id == bindparam("definition_id"),
               ~select(_newer.c.id).where(_newer.c.name == _version.c.name,
                                          _newer.c.version > _version.c.version).exists()))
_OWNING_MODELS = select(_version.c.name).distinct().select_from(_OWNED[0]).where(_OWNED[1])
# the newest definition and how many models' newest versions define it, in one statement (every start asks)
_LATEST_DEFINITION = (select(_definition.c.model_version_id, _definition.c.title,
                             select(func.count(distinct(_version.c.name))).select_from(_OWNED[0])
                             .where(_OWNED[1]).scalar_subquery().label("owners"), statements.MODELS_DEPLOYED)
                      .where(_definition.c.kind == bindparam("kind"),
                             _definition.c.definition_id == bindparam("definition_id"))
                      .order_by(_definition.c.model_version_id.desc()).limit(1))


def latest_definition(session, kind: str, definition_id: str):
    """(model_version_id, title) of the newest deployed process or decision. Raises UnknownProcess, or
    AmbiguousDefinition when the newest versions of two models both define it (never run either silently)."""
    params = {"kind": kind, "definition_id": definition_id}
    found = session.connection().execute(_LATEST_DEFINITION, params).first()
    if found is None:
        raise UnknownProcess(f"no {kind} with id {definition_id!r} is deployed")
    if found.owners > 1:
        owners = session.connection().execute(_OWNING_MODELS, params).scalars().all()
        raise AmbiguousDefinition(f"the {kind} id {definition_id!r} is defined by the models "
                                  f"{', '.join(sorted(owners))}; deploy one of them without it first")
    return found


def _latest_all(session) -> list[ModelVersion]:
    """The newest version of every model (their specs are not loaded: only the source is needed here)."""
    newest = (select(ModelVersion.name, func.max(ModelVersion.version).label("version"))
              .group_by(ModelVersion.name).subquery())
    return list(session.scalars(select(ModelVersion).join(newest, and_(ModelVersion.name == newest.c.name,
                                                                     ModelVersion.version == newest.c.version))
                                .options(defer(ModelVersion.spec_json)).order_by(ModelVersion.name)))


def deployed_pool(engine, session, pool: Pool | None = None) -> Pool:
    """The newest version of every deployed model (added to `pool` after what it holds)."""
    pool = pool if pool is not None else Pool()
    for mv in _latest_all(session):
        data = mv.source.encode("utf-8")
        try:
            root = read_xml(data, mv.name, max(engine.max_model_bytes, len(data) + 1))
        except ModelInvalid:
            continue
        pool.add(Source(mv.name, mv.kind, root, mv.content_hash))
    return pool


def validate(engine, session, filename: str, data: bytes, pool: Pool | None = None, form_check=None, *,
             scenarios: bool = True):
    """Lint and compile one file against the models it calls (in `pool`, else the deployed ones), then run
    its scenarios (unless `scenarios` is False).

    Every problem found is reported at once. Returns (kind, root, compiled, dependency hashes, warnings).
    Raises ModelInvalid (with the warnings too) when there is a problem that is not a warning.
    """
    source = source_of(filename, data, engine.max_model_bytes)
    pool = pool if pool is not None else deployed_pool(engine, session)
    root, kind = source.root, source.kind
    problems = _duplicates(source, pool, filename)
    deps, missing = pool.direct(source)
    problems += [Problem(filename, None, None, _missing(k, i)) for k, i in missing]
    if kind == "dmn":
        problems = lint_dmn(root, filename) + problems
        try:
            compiled = compile_dmn(filename, root)
            problems += _checked_decisions(engine, filename, compiled)
        except ModelInvalid as err:
            problems += err.problems
        if problems:
            raise ModelInvalid(problems)
        return kind, root, compiled, {}, []
    problems = lint_bpmn(root, filename, operators=engine.operators,
                         check_form=form_check or _form_check(engine, session), zone=engine.zone) + problems
    compiled = None
    if not missing and not any(p.message.startswith(SCHEMA_PROBLEM) for p in problems):
        needed = pool.needed(source)
        try:
            compiled = compile_bpmn((filename, root), [(f"{s.name}.bpmn", s.root) for s in needed if s.kind == "bpmn"],
                                    [(f"{s.name}.dmn", s.root) for s in needed if s.kind == "dmn"])
        except ModelInvalid as err:
            problems += [p for p in err.problems if p.message not in {q.message for q in problems}]
    if scenarios and compiled is not None and not any(not p.warning for p in problems):
        problems += _checked_processes(engine, session, filename, data, pool)
    if any(not p.warning for p in problems):
        raise ModelInvalid(problems)
    return kind, root, compiled, {dep.name: dep.content_hash for dep in deps}, problems


def _duplicates(source: Source, pool: Pool, filename: str) -> list[Problem]:
    what, kind = ("process", "bpmn") if source.kind == "bpmn" else ("decision", "dmn")
    problems = []
    for definition_id in sorted(source.defines):
        for owner in pool.owners(kind, definition_id, besides=source.name):
            problems.append(Problem(filename, None, definition_id,
                                    f"the {what} id {definition_id!r} is already used by the model {owner.name!r}; "
                                    f"give this {what} another id, or change it in {owner.name!r}"))
    return problems


def _missing(kind: str, definition_id: str) -> str:
    what = "process" if kind == "bpmn" else "decision table"
    return (f"calls the {what} {definition_id!r}, which is neither deployed nor among the files given "
            "(deploy or lint the file that defines it together with this one)")


def _checked_decisions(engine, filename: str, compiled: dict) -> list[Problem]:
    """The deployer's own checks of a table (e.g. its sample cases), given TableViews; a failing hook is
    a problem of the file, never a crash of the deploy."""
    if not engine.check_decisions:
        return []
    try:
        return list(engine.check_decisions(Path(filename).stem, tables.views(engine, compiled)))
    except Exception as err:  # noqa: BLE001 - the hook is the deployer's code; report, do not crash
        return [Problem(filename, None, None, f"the decision check could not run: {type(err).__name__}: {err}")]


def _checked_processes(engine, session, filename: str, data: bytes, pool: Pool) -> list[Problem]:
    """The deployer's scenarios of a process file, run with the models of `pool` (its callees, the tables its
    handlers ask); a failing hook is a problem of the file, never a crash of the deploy."""
    if not engine.check_processes:
        return []
    name = Path(filename).stem
    models = [(f"{s.name}.{s.kind}", etree.tostring(s.root)) for s in pool.by_name.values() if s.name != name]
    try:
        return list(engine.check_processes(name, data, models, session))
    except Exception as err:  # noqa: BLE001 - the hook is the deployer's code; report, do not crash
        return [Problem(filename, None, None, f"the scenarios could not run: {type(err).__name__}: {err}")]


def deploy_source(engine, session, filename: str, data: bytes, actor: str, comment: str | None = None, *,
                  origin: str = FROM_FILES, _cascade: frozenset = frozenset(),
                  scenarios_when_new: bool = True) -> DeployResult:
    """Deploy one file if it is valid and changed; commits. Never raises for a bad file. The models that
    call it get a new version too (their specs embed what they call). A changed process deploys only if its
    scenarios pass (the first version of a model too, unless `scenarios_when_new` is False)."""
    name = Path(filename).stem
    try:
        pool = deployed_pool(engine, session)
        kind, root, compiled, deps, _warnings = validate(engine, session, filename, data, pool, scenarios=False)
    except ModelInvalid as err:
        session.rollback()
        return DeployResult(name, None, "invalid", problems=err.problems)
    shown = bound_forms(engine, session, root, kind, deps)
    digest = _content_hash(data, deps, shown)
    latest = latest_version(session, name)
    if latest is not None and latest.content_hash == digest:
        version = latest.version          # read before rollback: after it, reading would open a transaction
        session.rollback()
        return DeployResult(name, kind, "unchanged", version)
    run = kind == "bpmn" and (latest is not None or scenarios_when_new)
    failed = [p for p in _checked_processes(engine, session, filename, data, pool) if not p.warning] if run else []
    if failed:                            # a scenario fails: nothing changes (only what changed is run)
        session.rollback()
        return DeployResult(name, None, "invalid", problems=failed)
    mv = _store(engine, session, name, kind, data, compiled, deps, digest, actor, comment,
                (latest.version if latest else 0) + 1, origin, shown)
    session.commit()
    result = DeployResult(name, kind, "deployed", mv.version)
    _redeploy_dependents(engine, session, name, actor, _cascade | {name})
    return result


def deploy_folder(engine, session, folder: Path, actor: str) -> list[DeployResult]:
    """Deploy the files of a folder that changed since they were last shipped, callees first. A model whose
    newest version was deployed from the modeler keeps it (`deploy_files` replaces it on purpose). A process's
    scenarios run when its file changed, not for the first version of a fresh installation (the shipped
    scenarios pass as shipped: tests/test_process_scenarios.py)."""
    paths = sorted(folder.glob("*.dmn")) + sorted(folder.glob("*.bpmn"))
    return _deploy_many(engine, session, [(p.name, p.read_bytes()) for p in paths], actor, None, FROM_FILES,
                        keep_newer=True)


def deploy_files(engine, session, files: list[tuple[str, bytes]], actor: str, comment: str | None = None,
                 origin: str = FROM_FILES) -> list[DeployResult]:
    """Deploy several files together, callees first, each as the new version of its model (audited)."""
    return _deploy_many(engine, session, files, actor, comment, origin, keep_newer=False)


def _deploy_many(engine, session, files, actor, comment, origin, *, keep_newer: bool) -> list[DeployResult]:
    results, sources = [], {}
    for filename, data in files:
        try:
            source = source_of(filename, data, engine.max_model_bytes)
        except ModelInvalid as err:
            results.append(DeployResult(Path(filename).stem, None, "invalid", problems=err.problems))
            continue
        sources[id(source)] = (filename, data, source)
    for source in dependency_order([s for _f, _d, s in sources.values()]):
        filename, data, _ = sources[id(source)]
        latest = latest_version(session, source.name)
        if latest is not None and latest.origin != origin and keep_newer:
            results.append(DeployResult(source.name, source.kind, "kept", latest.version, note=_kept_note(
                latest, data, session)))
            session.rollback()
            continue
        why = comment
        if latest is not None and latest.origin != origin:
            why = "; ".join(filter(None, [comment, f"replaces version {latest.version} "
                                                    f"({latest.origin or 'unknown origin'}, by {latest.deployed_by})"]))
        results.append(deploy_source(engine, session, filename, data, actor, why, origin=origin,
                                     scenarios_when_new=not keep_newer))
    return results


def lint_files(engine, session, files: list[tuple[str, bytes]], folder: Path | None = None,
               form_check=None) -> dict[str, list]:
    """Every problem of every file at once (empty lists for files that would deploy). Calls resolve among
    the files given, then the deployed models (when there is a session), then the files of `folder`;
    forms through `form_check` (default: the engine's)."""
    pool = Pool()
    for filename, data in files:
        try:
            pool.add(source_of(filename, data, engine.max_model_bytes))
        except ModelInvalid:
            pass                                   # reported below, with the file's other problems
    if session is not None:
        deployed_pool(engine, session, pool)
    for path in (sorted(folder.glob("*.dmn")) + sorted(folder.glob("*.bpmn")) if folder else []):
        try:
            pool.add(source_of(path.name, path.read_bytes(), engine.max_model_bytes))
        except (ModelInvalid, OSError):
            pass
    found = {}
    for filename, data in files:
        try:
            found[filename] = validate(engine, session, filename, data, pool, form_check)[4]
        except ModelInvalid as err:
            found[filename] = err.problems
        except Exception as err:  # noqa: BLE001 - lint reports, it never ends in a traceback
            found[filename] = [Problem(filename, None, None, f"could not be checked: {type(err).__name__}: {err}")]
    if session is not None:
        session.rollback()
    return found


def _kept_note(latest: ModelVersion, data: bytes, session) -> str:
    shipped = session.scalars(select(ModelVersion.source).where(
        ModelVersion.name == latest.name, ModelVersion.origin == FROM_FILES)
        .order_by(ModelVersion.version.desc()).limit(1)).first()
    changed = "the file is unchanged" if shipped == data.decode("utf-8", "replace") else "the file differs"
    return (f"deployed by {latest.deployed_by} on {latest.deployed_at:%Y-%m-%d %H:%M} UTC in the modeler ({changed}; "
            f"`gridsafe bpmn deploy FILE` replaces it)")


def _content_hash(data: bytes, deps: dict, shown: dict | None = None) -> str:
    digest = hashlib.sha256(data)
    if deps:
        digest.update(json.dumps(sorted(deps.items())).encode())
    if shown:                                   # a changed form is a new version of the diagrams showing it
        digest.update(json.dumps(sorted(shown.items())).encode())
    return digest.hexdigest()


def _form_check(engine, session):
    """How lint checks a form name: through the versioned forms (in this session) when there are any."""
    if engine.form_store is None:
        return engine.form_check
    return lambda name: engine.form_store.problem(session, name)


def bound_forms(engine, session, root, kind: str, deps: dict) -> dict:
    """{form name: content hash} a new version of this diagram shows: its own user tasks' current forms and
    the ones its called models' newest versions show (their tasks run in its instances too)."""
    if engine.form_store is None or kind != "bpmn":
        return {}
    shown = {}
    for dep in sorted(deps):
        latest = latest_version(session, dep)
        shown.update((latest.forms or {}) if latest is not None else {})
    shown.update(engine.form_store.versions(session, forms_used(root)))
    return shown


def _store(engine, session, name, kind, data, compiled, deps, digest, actor, comment, version,
           origin, shown=None) -> ModelVersion:
    now = engine.clock.now()
    if kind == "dmn":
        ids, spec_json, titles = sorted(compiled), None, {d: d for d in compiled}
    else:
        ids = sorted(compiled.processes)
        spec_json = {pid: dump_specs(*compiled.processes[pid]) for pid in ids}
        titles = compiled.titles
    mv = ModelVersion(name=name, kind=kind, version=version, content_hash=digest, source=data.decode("utf-8"),
                      spec_json=spec_json, process_ids=ids, dependencies=deps, deployed_at=now,
                      deployed_by=actor, comment=comment, origin=origin, forms=shown or None)
    session.add(mv)
    session.flush()
    for definition_id in ids:
        session.add(Definition(kind="decision" if kind == "dmn" else "process", definition_id=definition_id,
                               title=titles.get(definition_id), model_version_id=mv.id))
    audit.record(session, f"model:{name}", at=now, actor=actor, action="model.deployed",
                 after={"version": version, "kind": kind, "content_hash": digest, "definitions": ids,
                        "dependencies": deps, "origin": origin, **({"forms": shown} if shown else {})},
                 reason=comment)
    return mv


def _redeploy_dependents(engine, session, name: str, actor: str, cascade: frozenset) -> None:
    """A new version of the models calling `name` (once each per deploy, so a cycle of calls ends)."""
    for mv in _latest_all(session):
        if mv.kind == "bpmn" and name in (mv.dependencies or {}) and mv.name not in cascade:
            deploy_source(engine, session, f"{mv.name}.bpmn", mv.source.encode("utf-8"), actor,
                          comment=f"uses the new version of {name}", origin=mv.origin or FROM_FILES,
                          _cascade=cascade)


def process_properties(source: str, process_id: str) -> dict[str, str]:
    """The extension properties a diagram declares on one process element (name → value)."""
    root = read_xml(source.encode("utf-8"), "model", max_bytes=len(source.encode("utf-8")) + 1)
    for process in root.iter(f"{{{BPMN_NS}}}process"):
        if process.get("id") == process_id:
            found = {}
            for extensions in process.findall(f"{{{BPMN_NS}}}extensionElements"):
                for prop in extensions.iter(f"{{{SPIFF_NS}}}property"):
                    if prop.get("name"):
                        found[prop.get("name")] = prop.get("value") or ""
            return found
    return {}


class SpecCache:
    """Parsed specs per (model version, process id): a version is restored from JSON once."""

    def __init__(self, size: int = 128):
        self.size = size
        self._specs: dict = {}
        self._properties: dict = {}

    def properties(self, session, model_version_id: int, process_id: str) -> dict[str, str]:
        """A process's own extension properties (versions are immutable: read once per version)."""
        key = (model_version_id, process_id)
        found = self._properties.get(key)
        if found is None:
            mv = session.get(ModelVersion, model_version_id)
            found = process_properties(mv.source, process_id) if mv is not None and mv.kind == "bpmn" else {}
            if len(self._properties) >= self.size * 8:
                self._properties.pop(next(iter(self._properties)))
            self._properties[key] = found
        return dict(found)

    def get(self, session, model_version_id: int, process_id: str):
        key = (model_version_id, process_id)
        found = self._specs.get(key)
        if found is None:
            mv = session.get(ModelVersion, model_version_id)
            found = load_specs(mv.spec_json[process_id])
            if len(self._specs) >= self.size:
                self._specs.pop(next(iter(self._specs)))
            self._specs[key] = found
        return found
