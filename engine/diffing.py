"""What changed between two versions of one diagram file: elements added, removed and changed.

BPMN: SpiffWorkflow's SpecDiff per process and subprocess (the same comparison that decides whether
a running instance can move to the new version). DMN: an XML comparison of every element with an id.
Read only.
"""
from __future__ import annotations

from lxml import etree
from SpiffWorkflow.bpmn.util.diff import SpecDiff

from .errors import InvalidRequest
from .models import ModelVersion
from .serializer import REGISTRY
from .specs import read_xml

DI_NAMESPACES = ("http://www.omg.org/spec/BPMN/20100524/DI", "http://www.omg.org/spec/DMN/20191111/DMNDI",
                 "http://www.omg.org/spec/DD/20100524/DC", "http://www.omg.org/spec/DD/20100524/DI")


def diff_versions(eng, session, old_id: int, new_id: int) -> dict:
    """{"old", "new", "added", "removed", "changed"}: element lists, each {element_id, name, process, ...}."""
    old, new = session.get(ModelVersion, old_id), session.get(ModelVersion, new_id)
    if old is None or new is None:
        raise InvalidRequest("unknown model version")
    if old.name != new.name:
        raise InvalidRequest(f"{old.name} and {new.name} are different models")
    out = {"old": {"id": old.id, "version": old.version}, "new": {"id": new.id, "version": new.version},
           "added": [], "removed": [], "changed": []}
    if new.kind == "dmn":
        _xml_diff(old.source, new.source, out)
    else:
        _spec_diff(eng, session, old, new, out)
    return out


def _visible(spec) -> bool:
    return spec.bpmn_id is not None


def _entry(spec, process: str, **extra) -> dict:
    return {"element_id": spec.bpmn_id, "name": spec.bpmn_name or spec.bpmn_id, "process": process,
            "type": type(spec).__name__, **extra}


def _spec_pairs(eng, session, version: ModelVersion) -> dict:
    """{process or subprocess name: spec} of one version (call activities' targets excluded)."""
    found = {}
    for process_id in version.process_ids or []:
        spec, subprocess_specs = eng.specs.get(session, version.id, process_id)
        found[process_id] = spec
        for name, sub in subprocess_specs.items():
            if sub.file == spec.file:            # embedded subprocesses live in this file
                found.setdefault(name, sub)
    return found


def _spec_diff(eng, session, old, new, out) -> None:
    before, after = _spec_pairs(eng, session, old), _spec_pairs(eng, session, new)
    for name in sorted(set(before) | set(after)):
        if name not in after:
            out["removed"].extend(_entry(s, name) for s in before[name].task_specs.values() if _visible(s))
            continue
        if name not in before:
            out["added"].extend(_entry(s, name) for s in after[name].task_specs.values() if _visible(s))
            continue
        diff = SpecDiff(REGISTRY, before[name], after[name])
        out["added"].extend(_entry(s, name) for s in diff.added if _visible(s))
        out["removed"].extend(_entry(s, name) for s in diff.removed if _visible(s))
        for spec, attributes in diff.changed.items():
            if _visible(spec):
                out["changed"].append(_entry(diff.alignment.get(spec) or spec, name, attributes=sorted(attributes)))


def _own_content(node) -> bytes:
    """An element's attributes, text and id-less children; children with ids are compared on their own."""
    copy = etree.Element(node.tag, dict(node.attrib))
    copy.text = (node.text or "").strip()
    for child in node:
        if isinstance(child.tag, str) and child.get("id") is None:
            copy.append(etree.fromstring(etree.tostring(child)))
    return etree.tostring(copy, method="c14n")


def _elements(source: str) -> dict:
    root = read_xml(source.encode("utf-8"), "model")
    found = {}
    for node in root.iter():
        if not isinstance(node.tag, str) or node.get("id") is None:
            continue
        if etree.QName(node).namespace in DI_NAMESPACES:
            continue
        found[node.get("id")] = (etree.QName(node).localname, node.get("name") or node.get("label"),
                                 _own_content(node))
    return found


def _xml_diff(old_source: str, new_source: str, out) -> None:
    before, after = _elements(old_source), _elements(new_source)
    for element_id in sorted(set(before) | set(after)):
        old, new = before.get(element_id), after.get(element_id)
        entry = {"element_id": element_id, "name": (new or old)[1] or element_id, "process": None,
                 "type": (new or old)[0]}
        if old is None:
            out["added"].append(entry)
        elif new is None:
            out["removed"].append(entry)
        elif old[2] != new[2]:
            out["changed"].append({**entry, "attributes": ["content"]})
