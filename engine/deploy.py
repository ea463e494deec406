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

from sqlalchemy import bindparam, select

from . import audit, tables
from .errors import UnknownProcess
from .lint import lint_bpmn, lint_dmn
from .models import Definition, ModelVersion
from .serializer import dump_specs, load_specs
from .specs import BPMN_NS, SPIFF_NS, ModelInvalid, Problem, compile_bpmn, compile_dmn, kind_of, read_xml


@dataclass
class DeployResult:
    """What happened to one file: deployed, unchanged or invalid (with its problems)."""

    name: str
    kind: str | None
    status: str
    version: int | None = None
    problems: list[Problem] = field(default_factory=list)

    def __str__(self) -> str:
        if self.status == "invalid":
            return f"{self.name}: NOT deployed\n" + "\n".join(f"  {p}" for p in self.problems)
        return f"{self.name}: {self.status} (version {self.version})"


def latest_version(session, name: str) -> ModelVersion | None:
    """The newest deployed version of a file, or None."""
    return session.scalars(select(ModelVersion).where(ModelVersion.name == name)
                           .order_by(ModelVersion.version.desc()).limit(1)).first()


_definition = Definition.__table__
_LATEST_DEFINITION = (select(_definition.c.model_version_id, _definition.c.title)
                      .where(_definition.c.kind == bindparam("kind"),
                             _definition.c.definition_id == bindparam("definition_id"))
                      .order_by(_definition.c.model_version_id.desc()).limit(1))


def latest_definition(session, kind: str, definition_id: str):
    """(model_version_id, title) of the newest deployed process or decision. Raises UnknownProcess."""
    found = session.connection().execute(_LATEST_DEFINITION, {"kind": kind, "definition_id": definition_id}).first()
    if found is None:
        raise UnknownProcess(f"no {kind} with id {definition_id!r} is deployed")
    return found


def _latest_of_kind(session, kind: str) -> list[ModelVersion]:
    newest = {}
    for mv in session.scalars(select(ModelVersion).where(ModelVersion.kind == kind).order_by(ModelVersion.version)):
        newest[mv.name] = mv
    return list(newest.values())


def validate(engine, session, filename: str, data: bytes):
    """Lint and compile one file against the deployed others.

    Returns (kind, root, compiled, dependency hashes). Raises ModelInvalid.
    """
    root = read_xml(data, filename, engine.max_model_bytes)
    try:
        kind = kind_of(root)
    except ModelInvalid as err:
        raise ModelInvalid([Problem(filename, p.line, p.element_id, p.message) for p in err.problems]) from None
    if kind == "dmn":
        problems = lint_dmn(root, filename)
        if problems:
            raise ModelInvalid(problems)
        compiled = compile_dmn(filename, root)
        problems = _checked_decisions(engine, filename, compiled)
        if problems:
            raise ModelInvalid(problems)
        return kind, root, compiled, {}
    problems = lint_bpmn(root, filename, operators=engine.operators, check_form=engine.form_check)
    if problems:
        raise ModelInvalid(problems)
    name = Path(filename).stem
    dmns = _latest_of_kind(session, "dmn")
    others = [mv for mv in _latest_of_kind(session, "bpmn") if mv.name != name]
    compiled = compile_bpmn((filename, root), [(f"{mv.name}.bpmn", read_xml(mv.source.encode(), mv.name))
                                               for mv in others],
                            [(f"{mv.name}.dmn", read_xml(mv.source.encode(), mv.name)) for mv in dmns])
    deps = {mv.name: mv.content_hash for mv in dmns if set(mv.process_ids) & compiled.decisions}
    deps.update({mv.name: mv.content_hash for mv in others if set(mv.process_ids) & compiled.called})
    return kind, root, compiled, deps


def _checked_decisions(engine, filename: str, compiled: dict) -> list[Problem]:
    """The deployer's own checks of a table (e.g. its sample cases), given TableViews; a failing hook is
    a problem of the file, never a crash of the deploy."""
    if not engine.check_decisions:
        return []
    try:
        return list(engine.check_decisions(Path(filename).stem, tables.views(engine, compiled)))
    except Exception as err:  # noqa: BLE001 - the hook is the deployer's code; report, do not crash
        return [Problem(filename, None, None, f"the decision check could not run: {type(err).__name__}: {err}")]


def deploy_source(engine, session, filename: str, data: bytes, actor: str, comment: str | None = None) -> DeployResult:
    """Deploy one file if it is valid and changed; commits. Never raises for a bad file."""
    name = Path(filename).stem
    try:
        kind, _root, compiled, deps = validate(engine, session, filename, data)
    except ModelInvalid as err:
        session.rollback()
        return DeployResult(name, None, "invalid", problems=err.problems)
    digest = _content_hash(data, deps)
    latest = latest_version(session, name)
    if latest is not None and latest.content_hash == digest:
        version = latest.version          # read before rollback: after it, reading would open a transaction
        session.rollback()
        return DeployResult(name, kind, "unchanged", version)
    mv = _store(engine, session, name, kind, data, compiled, deps, digest, actor, comment,
                (latest.version if latest else 0) + 1)
    session.commit()
    result = DeployResult(name, kind, "deployed", mv.version)
    if kind == "dmn":
        _redeploy_dependents(engine, session, name, actor)
    return result


def deploy_folder(engine, session, folder: Path, actor: str) -> list[DeployResult]:
    """Deploy every .dmn then every .bpmn file of a folder (tables first: processes call them)."""
    files = sorted(folder.glob("*.dmn")) + sorted(folder.glob("*.bpmn"))
    return [deploy_source(engine, session, path.name, path.read_bytes(), actor) for path in files]


def _content_hash(data: bytes, deps: dict) -> str:
    digest = hashlib.sha256(data)
    if deps:
        digest.update(json.dumps(sorted(deps.items())).encode())
    return digest.hexdigest()


def _store(engine, session, name, kind, data, compiled, deps, digest, actor, comment, version) -> ModelVersion:
    now = engine.clock.now()
    if kind == "dmn":
        ids, spec_json, titles = sorted(compiled), None, {d: d for d in compiled}
    else:
        ids = sorted(compiled.processes)
        spec_json = {pid: dump_specs(*compiled.processes[pid]) for pid in ids}
        titles = compiled.titles
    mv = ModelVersion(name=name, kind=kind, version=version, content_hash=digest, source=data.decode("utf-8"),
                      spec_json=spec_json, process_ids=ids, dependencies=deps, deployed_at=now,
                      deployed_by=actor, comment=comment)
    session.add(mv)
    session.flush()
    for definition_id in ids:
        session.add(Definition(kind="decision" if kind == "dmn" else "process", definition_id=definition_id,
                               title=titles.get(definition_id), model_version_id=mv.id))
    audit.record(session, f"model:{name}", at=now, actor=actor, action="model.deployed",
                 after={"version": version, "kind": kind, "content_hash": digest, "definitions": ids,
                        "dependencies": deps}, reason=comment)
    return mv


def _redeploy_dependents(engine, session, dmn_name: str, actor: str) -> None:
    for mv in _latest_of_kind(session, "bpmn"):
        if dmn_name in (mv.dependencies or {}):
            deploy_source(engine, session, f"{mv.name}.bpmn", mv.source.encode("utf-8"), actor,
                          comment=f"uses the new version of {dmn_name}")


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
