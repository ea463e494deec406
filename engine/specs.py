"""Reading diagram files safely and turning them into SpiffWorkflow specs.

A process owner's upload is untrusted: the XML is read with a hardened lxml parser (no DTD, no
entities, no network, a size limit) before SpiffWorkflow sees it.
"""
from __future__ import annotations

import copy
import re
from dataclasses import dataclass

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.spiff.parser import VALIDATOR, SpiffBpmnParser

from .clocked import use_clocked_timers

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
DEFAULT_MAX_BYTES = 2 * 1024 * 1024
_DOCTYPE = re.compile(rb"<!DOCTYPE", re.IGNORECASE)
_NO_DTD = "DOCTYPE declarations and entities are not allowed in diagrams (they can read files or exhaust memory)"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a diagram, said so that a process owner can fix it."""

    file: str
    line: int | None
    element_id: str | None
    message: str
    warning: bool = False          # worth knowing, but does not stop a deploy

    def __str__(self) -> str:
        where = self.file + (f":{self.line}" if self.line else "")
        element = f" [{self.element_id}]" if self.element_id else ""
        return f"{where}{element}: {'warning: ' if self.warning else ''}{self.message}"

    def as_dict(self) -> dict:
        return {"file": self.file, "line": self.line, "element_id": self.element_id, "message": self.message,
                "warning": self.warning}


class ModelInvalid(Exception):
    """A diagram that may not be deployed; .problems says why."""

    def __init__(self, problems: list[Problem]):
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


def read_xml(data: bytes, filename: str, max_bytes: int = DEFAULT_MAX_BYTES):
    """Parse untrusted XML bytes into an lxml root element. Raises ModelInvalid."""
    if len(data) > max_bytes:
        raise ModelInvalid([Problem(filename, None, None,
                                    f"the file is {len(data):,} bytes; the limit is {max_bytes:,} bytes")])
    if _DOCTYPE.search(data[:65536]):
        raise ModelInvalid([Problem(filename, 1, None, _NO_DTD)])
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                             dtd_validation=False, huge_tree=False, remove_comments=False)
    try:
        root = etree.fromstring(data, parser=parser)
    except etree.XMLSyntaxError as err:
        line = err.position[0] if err.position else None
        raise ModelInvalid([Problem(filename, line, None, f"not well-formed XML: {err.msg}")]) from None
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        raise ModelInvalid([Problem(filename, 1, None, _NO_DTD)])
    return root


def kind_of(root) -> str:
    """'bpmn' or 'dmn' from the root element's namespace."""
    qname = etree.QName(root)
    if qname.namespace == BPMN_NS and qname.localname == "definitions":
        return "bpmn"
    if qname.localname == "definitions" and "DMN" in (qname.namespace or "").upper():
        return "dmn"
    raise ModelInvalid([Problem("", root.sourceline, None,
                                "this is neither a BPMN nor a DMN diagram (root element "
                                f"{qname.localname!r} in namespace {qname.namespace!r})")])


def _problem_from(err: Exception, filename: str) -> Problem:
    if isinstance(err, ValidationException):
        line = err.line_number if isinstance(err.line_number, int) else None
        return Problem(err.file_name or filename, line, err.id or None, str(err))
    message = str(err) or err.__class__.__name__
    return Problem(filename, None, getattr(err, "id", None), message)


@dataclass
class Compiled:
    """What a BPMN file compiles to: its processes' specs and what they depend on."""

    processes: dict          # process_id -> (spec, subprocess_specs)
    titles: dict             # process_id -> name shown to people
    decisions: set           # decision ids called by business rule tasks
    called: set              # process ids called by call activities (outside this file)


def compile_bpmn(main: tuple[str, object], others: list[tuple[str, object]],
                 dmns: list[tuple[str, object]]) -> Compiled:
    """Parse one BPMN file (with the other files it may call and the DMN tables) into specs.

    Raises ModelInvalid with the parser's complaint.
    """
    filename, root = main
    parser = SpiffBpmnParser(validator=VALIDATOR)
    try:
        for name, dmn_root in dmns:
            parser.add_dmn_xml(_copy(dmn_root), filename=name)
        parser.add_bpmn_xml(_copy(root), filename=filename)
        own = list(parser.get_process_ids())
        for name, other in others:
            if not set(_process_ids(other)) & set(own):
                parser.add_bpmn_xml(_copy(other), filename=name)
        processes = {}
        for process_id in own:
            spec = parser.get_spec(process_id)
            subprocess_specs = parser.get_subprocess_specs(process_id)
            for s in [spec, *subprocess_specs.values()]:
                use_clocked_timers(s)
            processes[process_id] = (spec, subprocess_specs)
        titles = {pid: parser.get_process_parser(pid).get_name() for pid in own}
        decisions = set(parser.get_dmn_dependencies())
        called = set(parser.get_process_dependencies()) - set(own)
    except (SpiffWorkflowException, etree.LxmlError, KeyError, ValueError, TypeError, AttributeError) as err:
        raise ModelInvalid([_problem_from(err, filename)]) from None
    if not processes:
        raise ModelInvalid([Problem(filename, root.sourceline, None,
                                    "the file has no executable process (isExecutable=\"true\")")])
    return Compiled(processes, titles, decisions, called)


def compile_dmn(filename: str, root) -> dict:
    """Parse one DMN file; returns {decision_id: DMNEngine}. Raises ModelInvalid."""
    parser = SpiffBpmnParser(validator=VALIDATOR)
    try:
        parser.add_dmn_xml(_copy(root), filename=filename)
        return {decision_id: parser.get_engine(decision_id, None) for decision_id in parser.dmn_parsers}
    except (SpiffWorkflowException, etree.LxmlError, KeyError, ValueError, TypeError, AttributeError,
            IndexError) as err:
        raise ModelInvalid([_problem_from(err, filename)]) from None


def _process_ids(root) -> list[str]:
    return [p.get("id") for p in root.iter(f"{{{BPMN_NS}}}process")]


def _copy(root):
    # SpiffWorkflow's validator rewrites some tags in place; keep the caller's tree pristine.
    return copy.deepcopy(root)
