"""Which models a diagram needs, and the order to deploy several in.

A diagram names what it needs by id: a call activity names a process (`calledElement`), a business
rule task a decision (`spiffworkflow:calledDecisionId`). A `Pool` holds the models those ids are
looked up in, in order of precedence (the files being linted or deployed first, then the deployed
versions, then the bpmn folder): the first model that defines an id is the one used. A file's
dependencies are the models its own elements call, never the whole pool.
"""
from __future__ import annotations

from dataclasses import dataclass
from graphlib import CycleError, TopologicalSorter

from .specs import BPMN_NS, SPIFF_NS, ModelInvalid, kind_of, read_xml


def defined_ids(root, kind: str) -> list[str]:
    """The process ids (BPMN) or decision ids (DMN) a document defines."""
    if kind == "bpmn":
        return [p.get("id") for p in root.iter(f"{{{BPMN_NS}}}process") if p.get("id")]
    return [d.get("id") for d in root.iter() if isinstance(d.tag, str) and d.tag.endswith("}decision")
            and d.get("id")]


def called_ids(root, kind: str) -> tuple[set[str], set[str]]:
    """(process ids, decision ids) the document's own elements call."""
    if kind != "bpmn":
        return set(), set()
    processes = {c.get("calledElement") for c in root.iter(f"{{{BPMN_NS}}}callActivity") if c.get("calledElement")}
    decisions = {(d.text or "").strip() for d in root.iter(f"{{{SPIFF_NS}}}calledDecisionId")}
    return processes, decisions - {""}


def forms_used(root) -> set[str]:
    """The form files (JSON Schema and UI schema) a BPMN document's user tasks name."""
    return {p.get("value") for p in root.iter(f"{{{SPIFF_NS}}}property")
            if p.get("name") in ("formJsonSchemaFilename", "formUiSchemaFilename") and p.get("value")}


@dataclass
class Source:
    """One model: its name (the file name without extension), kind and parsed XML."""

    name: str
    kind: str
    root: object
    content_hash: str | None = None       # of the deployed version; None for a file not deployed

    def __post_init__(self):
        self.defines = set(defined_ids(self.root, self.kind))
        self.calls_processes, self.calls_decisions = called_ids(self.root, self.kind)


def source_of(filename: str, data: bytes, max_bytes: int) -> Source:
    """A file as a Source. Raises ModelInvalid when it cannot be read."""
    root = read_xml(data, filename, max_bytes)
    stem = filename.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    try:
        return Source(stem, kind_of(root), root)
    except ModelInvalid as err:
        raise ModelInvalid([p.__class__(filename, p.line, p.element_id, p.message) for p in err.problems]) from None


class Pool:
    """Models to resolve ids in; the first one added under a name, and the first that defines an id, wins."""

    def __init__(self, sources=()):
        self.by_name: dict[str, Source] = {}
        for source in sources:
            self.add(source)

    def add(self, source: Source) -> None:
        self.by_name.setdefault(source.name, source)

    def owners(self, kind: str, definition_id: str, *, besides: str | None = None) -> list[Source]:
        """The models (other than `besides`) that define a process ('bpmn') or decision ('dmn') id."""
        return [s for s in self.by_name.values()
                if s.kind == kind and s.name != besides and definition_id in s.defines]

    def owner(self, kind: str, definition_id: str, besides: str | None = None) -> Source | None:
        found = self.owners(kind, definition_id, besides=besides)
        return found[0] if found else None

    def direct(self, source: Source) -> tuple[list[Source], list[tuple[str, str]]]:
        """(the models `source` calls, the (kind, id) it calls that no model defines)."""
        found, missing = {}, []
        wanted = [("bpmn", p) for p in sorted(source.calls_processes - source.defines)]
        wanted += [("dmn", d) for d in sorted(source.calls_decisions)]
        for kind, definition_id in wanted:
            owner = self.owner(kind, definition_id, besides=source.name)
            if owner is None:
                missing.append((kind, definition_id))
            else:
                found[owner.name] = owner
        return list(found.values()), missing

    def needed(self, source: Source) -> list[Source]:
        """Every model `source` needs to compile: what it calls, what those call, and so on."""
        seen, todo = {}, [source]
        while todo:
            for dep in self.direct(todo.pop())[0]:
                if dep.name not in seen and dep.name != source.name:
                    seen[dep.name] = dep
                    todo.append(dep)
        return list(seen.values())


def dependency_order(sources: list[Source]) -> list[Source]:
    """Callees before callers (tables first); files unrelated to each other by name. A cycle of calls
    keeps the name order (deploying reports what cannot be resolved)."""
    ordered = sorted(sources, key=lambda s: (s.kind != "dmn", s.name))
    pool = Pool(ordered)
    graph = TopologicalSorter()
    for source in ordered:
        graph.add(source.name, *[dep.name for dep in pool.direct(source)[0]])
    try:
        names = list(graph.static_order())
    except CycleError:
        return ordered
    return [pool.by_name[name] for name in names if name in pool.by_name]
