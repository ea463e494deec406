"""Process scenarios: the tests a process file must pass before it deploys (the engine's check_processes hook).

Beside bpmn/<name>.bpmn, bpmn/<name>.scenarios.json lists scenarios; once a process owner saves them in
the browser, the saved text (records.model_scenarios) takes the file's place. A scenario gives the start
data, then steps in order: a user task completed with data (by element id or name), the clock moved to the
next timer or by a duration (timers fire as the scheduler would), a message delivered; and the expected
end: the status, the end event, the elements visited in order (others may come between), selected
variables, the tasks still waiting.

Each scenario runs on its own throw-away in-memory SQLite database holding the demo's people and customers
and the hazard dictionary, with the real engine and handlers, the diagram under validation and the models
deployed besides it (its callees, the tables its handlers ask), under the script budget of the sandbox.
A failing scenario blocks the deploy and names the step with what was expected and what happened.

Values in the data may be placeholders: "$photo" and "$signature" (a fresh image stored as an attachment),
"$customer:<number>" (the customer's id), "$business_key" (the root instance's), "$today" / "$today+N"
(the day, N days later, as yyyy-mm-dd), "$prefill:<key>" (what the task's form starts with under key;
"$prefill:checklist:result=pass" sets a field in each row). A process that a GridSafe service starts (an
inspection, a team assessment) is started by that service: "start": {"service": "inspection",
"customer": "3608010001"}.
"""
from __future__ import annotations

import hashlib
import io
import json
import re
import sqlite3
import tempfile
import threading
import time
from collections import OrderedDict
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import jsonschema
from sqlalchemy import create_engine, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import StaticPool

from engine import FixedClock, HumanTask, ProcessInstance, Problem, parse_instant
from engine.database import _sqlite_setup, make_session_factory
from records import Customer, attachments, dictionary, findings, model_scenarios, store_for

SUFFIX = ".scenarios.json"
START = "2026-03-02T09:00:00+08:00"        # a Monday; a scenario may start elsewhere ("start": {"at": ...})
DEFAULT_ACTOR = "jiancha1"                 # the demo's head of team JA-JZ-1
MAX_SECONDS = 60.0                         # one scenario file, all scenarios together (processor time)
DURATION = re.compile(r"^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?)?$")

STARTERS = {"inspection": "planning.create (an inspection of a customer, planned for the 20th)",
            "assessment": "assessment.start (the team assessment of a finished period)"}

_step = {"type": "object", "additionalProperties": False, "minProperties": 1, "properties": {
    "task": {"type": "string", "minLength": 1, "maxLength": 200},
    "data": {"type": "object"},
    "actor": {"type": "string", "minLength": 1, "maxLength": 100},
    "timer": {"type": "string", "maxLength": 200},
    "advance": {"type": "string", "pattern": DURATION.pattern},
    "message": {"type": "string", "minLength": 1, "maxLength": 200},
    "key": {"type": ["string", "null"], "maxLength": 200},
    "payload": {"type": "object"},
    "note": {"type": "string"}},
    "oneOf": [{"required": ["task"]}, {"required": ["timer"]}, {"required": ["advance"]},
              {"required": ["message"]}]}

SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "GridSafe process scenarios",
    "type": "object", "additionalProperties": False, "required": ["scenarios"],
    "properties": {
        "process": {"type": "string", "minLength": 1, "maxLength": 200},
        "scenarios": {"type": "array", "maxItems": 50, "items": {
            "type": "object", "additionalProperties": False, "required": ["name", "expect"],
            "properties": {
                "name": {"type": "string", "minLength": 1, "maxLength": 200},
                "start": {"type": "object", "additionalProperties": False, "properties": {
                    "at": {"type": "string", "format": "date-time"},
                    "actor": {"type": "string", "minLength": 1, "maxLength": 100},
                    "business_key": {"type": "string", "maxLength": 200},
                    "data": {"type": "object"},
                    "service": {"enum": list(STARTERS)},
                    "customer": {"type": "string", "maxLength": 30},
                    "kind": {"type": "string", "maxLength": 30},
                    "period": {"type": "string", "maxLength": 10}}},
                "steps": {"type": "array", "maxItems": 200, "items": _step},
                "expect": {"type": "object", "additionalProperties": False, "minProperties": 1, "properties": {
                    "status": {"enum": ["completed", "waiting", "running", "suspended", "error", "terminated"]},
                    "end": {"type": "string", "minLength": 1},
                    "path": {"type": "array", "items": {"type": "string", "minLength": 1}},
                    "waiting": {"type": "array", "items": {"type": "string", "minLength": 1}},
                    "variables": {"type": "object"}}}}}}}}

# set by `gridsafe bpmn lint/deploy` for scenario files named on the command line: ({model name: text}, only)
# where `only` means that no other scenarios run (lint runs the scenarios it is given)
GIVEN: ContextVar[tuple] = ContextVar("given_scenarios", default=({}, False))


@contextmanager
def given(texts: dict, *, only: bool = False):
    """Within the block, the scenarios of these models are these texts (and no others when `only`)."""
    token = GIVEN.set((dict(texts), only))
    try:
        yield
    finally:
        GIVEN.reset(token)


def model_name(path) -> str:
    """The model a scenario file is for: hazard_lifecycle.scenarios.json -> hazard_lifecycle."""
    return Path(path).name[:-len(SUFFIX)]


class ScenarioError(Exception):
    """One step did not go as the scenario says (the message says what was expected and what happened)."""

    def __init__(self, message: str, element_id: str | None = None):
        super().__init__(message)
        self.element_id = element_id


@dataclass
class Outcome:
    """One scenario's run."""

    name: str
    ok: bool
    seconds: float
    step: int | None = None          # 0: the start; None: the expected end, or the file itself
    element_id: str | None = None
    message: str = ""


@dataclass
class Report:
    """All scenarios of one process file; `problems` are the file's own (unreadable, not valid)."""

    source: str | None               # "modeler", "file", "given" or None (no scenarios)
    outcomes: list = field(default_factory=list)
    problems: list = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.problems and all(o.ok for o in self.outcomes)


# ---- where the scenarios of a model are -------------------------------------------------------

def stored_text(session, folder: Path, name: str) -> tuple[str | None, str | None]:
    """(text, where from): the file named on the command line, else the text saved in the browser, else
    the file beside the diagram; (None, None) when the model has none."""
    texts, only = GIVEN.get()
    if name in texts:
        return texts[name], "given"
    if only:
        return None, None
    if session is not None:
        try:
            row = model_scenarios.get(session, name)
        except SQLAlchemyError:             # a database from before the table (lint of an old copy)
            row = None
        if row is not None:
            return row.source, "modeler"
    path = Path(folder) / f"{name}{SUFFIX}"
    if path.is_file():
        return path.read_text(encoding="utf-8"), "file"
    return None, None


def parse(text: str) -> dict:
    """The scenarios of a text, checked against SCHEMA; ValueError with every reason otherwise."""
    try:
        spec = json.loads(text)
    except ValueError as err:
        raise ValueError(f"the scenarios are not valid JSON: {err}") from None
    validator = jsonschema.Draft202012Validator(SCHEMA, format_checker=jsonschema.FormatChecker())
    errors = sorted(validator.iter_errors(spec), key=lambda e: list(e.absolute_path))
    if errors:
        raise ValueError("; ".join(f"{'/'.join(str(p) for p in e.absolute_path) or '(top)'}: {e.message}"
                                   for e in errors[:10]))
    names = [s["name"] for s in spec["scenarios"]]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ValueError(f"two scenarios are named {twice[0]!r}; give each its own name")
    return spec


# ---- the deploy hook --------------------------------------------------------------------------

def check(name: str, data: bytes, models: list, session, *, config: dict, make_engine) -> list[Problem]:
    """Problems of the process file `name` (content `data`) from its scenarios; empty when it may deploy.
    make_engine(config, clock, files) builds the engine a scenario runs on (services.runtime.build_engine)."""
    text, source = stored_text(session, Path(config["BPMN_DIR"]), name)
    if text is None:
        return []
    report = run_text(config, name, data, models, text, source, make_engine=make_engine)
    return problems_of(name, report)


def problems_of(name: str, report: Report) -> list[Problem]:
    file = f"{name}.bpmn"
    found = [Problem(file, None, None, message) for message in report.problems]
    for outcome in report.outcomes:
        if not outcome.ok:
            where = ("at the start" if outcome.step == 0 else
                     f"step {outcome.step}" if outcome.step else "the expected end")
            found.append(Problem(file, None, outcome.element_id,
                                 f"scenario «{outcome.name}» fails, {where}: {outcome.message}"))
    return found


def run_text(config: dict, name: str, data: bytes, models: list, text: str, source: str | None = None, *,
             make_engine) -> Report:
    """Run every scenario of `text` against the diagram `data` with `models` deployed besides it."""
    digest = hashlib.sha256(json.dumps([name, text, sorted(models)], default=bytes.hex).encode() + data).hexdigest()
    with _LOCK:
        if digest not in _REPORTS:
            _REPORTS[digest] = _run_text(config, name, data, models, text, source, make_engine)
            while len(_REPORTS) > 32:
                _REPORTS.popitem(last=False)
        report = _REPORTS[digest]
        return Report(source, report.outcomes, report.problems, report.seconds)


def _run_text(config: dict, name: str, data: bytes, models: list, text: str, source: str | None,
              make_engine) -> Report:
    began, spent = time.monotonic(), time.process_time()
    report = Report(source)
    try:
        spec = parse(text)
    except ValueError as err:
        report.problems.append(f"{name}{SUFFIX}: {err}")
        return report
    try:
        template = _template(config, make_engine, [*models, (f"{name}.bpmn", data)], f"{name}.bpmn")
    except ScenarioError as err:
        report.problems.append(str(err))
        return report
    process = spec.get("process") or _first_process(data, config)
    for scenario in spec["scenarios"]:
        if time.process_time() - spent > MAX_SECONDS:
            report.outcomes.append(Outcome(scenario["name"], False, 0.0, None, None,
                                           f"not run: the scenarios of this file took more than {MAX_SECONDS:.0f} s "
                                           "of processor time"))
            continue
        report.outcomes.append(run_one(config, make_engine, template, process, scenario))
    report.seconds = time.monotonic() - began
    return report


def _first_process(data: bytes, config: dict) -> str:
    from engine import read_xml
    from engine.specs import BPMN_NS
    root = read_xml(data, "model", max(config["MAX_MODEL_BYTES"], len(data) + 1))
    ids = [p.get("id") for p in root.iter(f"{{{BPMN_NS}}}process") if p.get("isExecutable") != "false"]
    if not ids:
        raise ScenarioError("the file defines no executable process")
    return ids[0]


# ---- the throw-away database ------------------------------------------------------------------

_BASE: dict = {}                               # "bytes": the migrated, seeded database (once per process)
_TEMPLATES: OrderedDict = OrderedDict()        # digest of the models -> the database with them deployed
_REPORTS: OrderedDict = OrderedDict()          # the same diagram, models and scenarios run once per process
_SCRATCH: dict = {}                            # the one in-memory connection every run loads its copy into
_LOCK = threading.RLock()                      # one run at a time per process (it is one connection)


def _open(image: bytes | None):
    """The scratch database holding a fresh copy of `image` (empty when None). One SQLAlchemy engine is kept
    for the process, so that its compiled statements are reused from run to run."""
    if not _SCRATCH:
        raw = sqlite3.connect(":memory:", check_same_thread=False)
        sa = create_engine("sqlite://", creator=lambda: raw, poolclass=StaticPool)
        _sqlite_setup(sa, "OFF", 1000)
        _SCRATCH.update(raw=raw, sa=sa)
    if image is not None:
        _SCRATCH["raw"].deserialize(image)
    return _SCRATCH["raw"], _SCRATCH["sa"]


def _base(config: dict) -> bytes:
    if "bytes" not in _BASE:
        from . import demo, migrate
        raw, sa = _open(None)
        migrate.upgrade(sa)
        now = parse_instant(START)
        with make_session_factory(sa)() as session:
            demo._people(session, now)
            demo._customers(session, now)
            dictionary.seed(session, now)
            session.commit()
        _BASE["bytes"] = raw.serialize()
    return _BASE["bytes"]


def _scratch_engine(config: dict, make_engine, clock, files):
    eng = make_engine(config, clock, files)
    eng.check_processes = None               # never the scenarios of the scenarios
    eng.check_decisions = None               # the tables were checked where they were deployed
    return eng


def _template(config: dict, make_engine, files: list, filename: str) -> bytes:
    """The base database with `files` deployed (callees first); ScenarioError when `filename` cannot be."""
    digest = hashlib.sha256()
    for name, content in sorted(files):
        digest.update(name.encode() + b"\0" + content + b"\0")
    key = digest.hexdigest()
    if key in _TEMPLATES:
        _TEMPLATES.move_to_end(key)
        return _TEMPLATES[key]
    raw, sa = _open(_base(config))
    with tempfile.TemporaryDirectory() as folder:
        eng = _scratch_engine(config, make_engine, FixedClock(START), store_for(sa, Path(folder)))
        with make_session_factory(sa)() as session:
            results = eng.deploy_files(session, files, "scenario")
    for result in results:
        if result.status == "invalid" and f"{result.name}.bpmn" == filename:
            raise ScenarioError("the diagram could not be deployed for its scenarios: "
                                + "; ".join(p.message for p in result.problems))
    image = raw.serialize()
    _TEMPLATES[key] = image
    while len(_TEMPLATES) > 4:
        _TEMPLATES.popitem(last=False)
    return image


# ---- one scenario -----------------------------------------------------------------------------

def run_one(config: dict, make_engine, template: bytes, process_id: str, scenario: dict) -> Outcome:
    """Run one scenario on a fresh copy of the template database."""
    began = time.monotonic()
    raw, sa = _open(template)
    try:
        with tempfile.TemporaryDirectory() as folder:
            run = _Run(config, make_engine, sa, Path(folder), scenario)
            run.play(process_id)
        return Outcome(scenario["name"], True, time.monotonic() - began)
    except ScenarioError as err:
        return Outcome(scenario["name"], False, time.monotonic() - began, run.step if "run" in locals() else 0,
                       err.element_id, str(err))
    except Exception as err:  # noqa: BLE001 - one scenario that cannot run is its failure, not a crash
        return Outcome(scenario["name"], False, time.monotonic() - began, run.step if "run" in locals() else 0,
                       None, f"the scenario could not run: {type(err).__name__}: {err}")


class _Run:
    """The state of one scenario while it plays: the clock, the database, the root instance."""

    def __init__(self, config: dict, make_engine, sa, folder: Path, scenario: dict):
        start = scenario.get("start") or {}
        try:
            self.clock = FixedClock(start.get("at") or START)
        except ValueError:
            raise ScenarioError(f"the start time {start.get('at')!r} is not an ISO date and time") from None
        self.sessions = make_session_factory(sa)
        self.files = store_for(sa, folder / "files")
        self.engine = _scratch_engine(config, make_engine, self.clock, self.files)
        self.zone = self.engine.zone
        self.scenario, self.start, self.config, self.sa = scenario, start, config, sa
        self.step, self.root, self.images = 0, None, 0

    def play(self, process_id: str) -> None:
        try:
            self.root = self.started(process_id)
        except ScenarioError:
            raise
        except Exception as err:  # noqa: BLE001 - reported as the scenario's failure
            raise ScenarioError(f"the process {process_id!r} could not start: {err}") from None
        self.failed()
        for number, step in enumerate(self.scenario.get("steps") or [], start=1):
            self.step = number
            if "task" in step:
                self.task(step)
            elif "timer" in step:
                self.timer(step["timer"])
            elif "advance" in step:
                self.advance(step["advance"])
            else:
                self.message(step)
            self.failed(step.get("task") or step.get("timer") or step.get("message"))
        self.step = None
        self.expect(self.scenario["expect"])

    def started(self, process_id: str) -> int:
        """The root instance: started with the data given, or by the GridSafe service that starts it."""
        actor = self.start.get("actor") or DEFAULT_ACTOR
        service = self.start.get("service")
        if service is None:
            data = self.resolve(self.start.get("data") or {})
            with self.sessions() as session:
                return self.engine.start_instance(session, process_id, actor=actor,
                                                  business_key=self.start.get("business_key"), data=data).id
        from . import assessment, planning
        rt = _ScratchRuntime(self.config, self.engine, self.files)
        with self.sessions() as session:
            if service == "inspection":
                number = self.start.get("customer") or "3608010001"
                customer = session.scalars(select(Customer).where(Customer.number == number)).first()
                if customer is None:
                    raise ScenarioError(f"there is no demo customer {number}")
                due = rt.today().replace(day=20)
                made = planning.create(rt, session, customer, kind=self.start.get("kind") or "periodic", due=due,
                                       planned_from=due, actor=actor)
                return made.instance_id
            run, _created = assessment._start(rt, session, self.start.get("period") or "2026-02", actor)
            session.commit()
            return run.instance_id

    # -- steps ---------------------------------------------------------------------------------
    def task(self, step: dict) -> None:
        wanted = step["task"]
        with self.sessions() as session:
            ready = session.execute(select(HumanTask.id, HumanTask.element_id, HumanTask.title, HumanTask.prefill)
                                    .where(HumanTask.status == "ready")
                                    .order_by(HumanTask.created_at, HumanTask.id)).all()
            session.rollback()
        match = [t for t in ready if wanted in (t.element_id, t.title)]
        if not match:
            raise ScenarioError(f"expected the task {wanted!r} to be ready; ready are: "
                                f"{self._names(ready) or 'none'} ({self._status()})", wanted)
        self.prefill = match[0].prefill or {}
        data = self.resolve(step.get("data") or {})
        with self.sessions() as session:
            try:
                self.engine.complete_task(session, match[0].id, data, step.get("actor") or DEFAULT_ACTOR)
            except Exception as err:  # noqa: BLE001
                raise ScenarioError(f"completing the task {wanted!r} failed: {err}", match[0].element_id) from None
        self._file_queued()

    def _file_queued(self) -> None:
        """What the request does after a submission's commit: open the hazard files its findings queued
        (services.hazard_filing), each in its own transaction, here without a time limit."""
        from . import hazard_filing
        rt = _ScratchRuntime(self.config, self.engine, self.files, self.sa)
        with self.sessions() as session:
            for inspection_id in findings.inspections_waiting(session, 100):
                while hazard_filing.file_one(rt, session, inspection_id) is not None:
                    pass

    def timer(self, element: str) -> None:
        with self.sessions() as session:
            due = session.scalars(select(ProcessInstance.next_wake_at)
                                  .where(ProcessInstance.next_wake_at.is_not(None))
                                  .order_by(ProcessInstance.next_wake_at).limit(1)).first()
            session.rollback()
        if due is None:
            raise ScenarioError(f"expected a timer{' ' + repr(element) if element else ''} to wait; none does "
                                f"({self._status()})", element or None)
        before = self._visits(element) if element else 0
        self.clock.set(max(due, self.clock.now()) + timedelta(seconds=1))
        self._fire()
        if element and self._visits(element) <= before:
            raise ScenarioError(f"moved the clock to {self._local(self.clock.now())}: the timer {element!r} did not "
                                f"fire ({self._status()})", element)

    def advance(self, text: str) -> None:
        days, hours, minutes = (int(g or 0) for g in DURATION.match(text).groups())
        self.clock.advance(days=days, hours=hours, minutes=minutes)
        self._fire()

    def message(self, step: dict) -> None:
        key = self.resolve(step.get("key"))
        with self.sessions() as session:
            try:
                self.engine.deliver_message(session, step["message"], key, self.resolve(step.get("payload") or {}),
                                            step.get("actor") or DEFAULT_ACTOR)
            except Exception as err:  # noqa: BLE001
                raise ScenarioError(f"the message {step['message']!r} could not be delivered: {err}") from None

    def _fire(self) -> None:
        for _round in range(20):             # what a scheduler does, tick after tick, at this moment
            if not self.engine.fire_due_timers(self.sessions).fired:
                return

    # -- the end -------------------------------------------------------------------------------
    def expect(self, expect: dict) -> None:
        with self.sessions() as session:
            instance = session.get(ProcessInstance, self.root)
            status = instance.status
            session.rollback()
        seen = self._trace()
        if "status" in expect and status != expect["status"]:
            raise ScenarioError(f"expected the status {expect['status']!r}, the instance is {status!r}"
                                + (f" waiting at {self._waiting()}" if self._waiting() else ""))
        if "end" in expect and expect["end"] not in seen["ends"]:
            raise ScenarioError(f"expected to end at {expect['end']!r}; "
                                + (f"it ended at {', '.join(seen['ends'])}" if seen["ends"] else
                                   f"it reached no end event ({self._status()})"), expect["end"])
        if "path" in expect:
            self._path(expect["path"], seen["path"])
        if "waiting" in expect and sorted(expect["waiting"]) != sorted(self._waiting_ids()):
            raise ScenarioError(f"expected the tasks {sorted(expect['waiting'])} to wait; waiting are "
                                f"{sorted(self._waiting_ids())}")
        for path, wanted in (expect.get("variables") or {}).items():
            got = _lookup(seen["data"], path)
            if got != wanted:
                raise ScenarioError(f"expected {path} = {_show(wanted)}, it is {_show(got)}")

    @staticmethod
    def _path(expected: list, actual: list) -> None:
        at = 0
        for number, element in enumerate(expected):
            try:
                at = actual.index(element, at) + 1
            except ValueError:
                after = f" after {expected[number - 1]!r}" if number else ""
                raise ScenarioError(f"expected the path to visit {element!r}{after}; it visited "
                                    f"{' → '.join(actual)}", element) from None

    # -- looking -------------------------------------------------------------------------------
    def _trace(self) -> dict:
        with self.sessions() as session:
            return self.engine.visited(session, self.root)

    def _visits(self, element: str) -> int:
        with self.sessions() as session:
            ids = session.scalars(select(ProcessInstance.id)).all()
            session.rollback()
        total = 0
        for instance_id in ids:
            with self.sessions() as session:
                total += self.engine.visited(session, instance_id)["path"].count(element)
        return total

    def failed(self, element: str | None = None) -> None:
        with self.sessions() as session:
            broken = session.execute(select(ProcessInstance.error_element, ProcessInstance.error_message)
                                     .where(ProcessInstance.status == "error")
                                     .order_by(ProcessInstance.id).limit(1)).first()
            session.rollback()
        if broken is not None:
            raise ScenarioError(f"the instance failed at {broken.error_element or element or '?'}: "
                                f"{broken.error_message}", broken.error_element or element)

    def _status(self) -> str:
        with self.sessions() as session:
            status = session.get(ProcessInstance, self.root).status
            session.rollback()
        waiting = self._waiting()
        return f"the instance is {status}" + (f", waiting at {waiting}" if waiting else "")

    def _waiting_ids(self) -> list[str]:
        with self.sessions() as session:
            found = session.scalars(select(HumanTask.element_id).where(HumanTask.status == "ready")
                                    .order_by(HumanTask.created_at)).all()
            session.rollback()
        return list(found)

    def _waiting(self) -> str:
        return ", ".join(self._waiting_ids())

    @staticmethod
    def _names(tasks) -> str:
        return ", ".join(f"{t.element_id} ({t.title})" for t in tasks)

    def _local(self, moment: datetime) -> str:
        return moment.astimezone(self.zone).strftime("%Y-%m-%d %H:%M")

    # -- placeholders --------------------------------------------------------------------------
    def resolve(self, value):
        if isinstance(value, dict):
            return {k: self.resolve(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        if not isinstance(value, str) or not value.startswith("$"):
            return value
        if value == "$business_key":
            with self.sessions() as session:
                found = session.get(ProcessInstance, self.root).business_key
                session.rollback()
            return found
        if value.startswith("$prefill:"):
            return self._prefilled(value)
        if value in ("$photo", "$signature"):
            return self._image(value[1:])
        if value.startswith("$customer:"):
            with self.sessions() as session:
                found = session.scalars(select(Customer.id).where(Customer.number == value[10:])).first()
                session.rollback()
            if found is None:
                raise ScenarioError(f"{value}: there is no such customer among the demo customers")
            return found
        match = re.fullmatch(r"\$today(?:([+-])(\d+))?", value)
        if match:
            days = int(match.group(2) or 0) * (-1 if match.group(1) == "-" else 1)
            return (self.clock.now().astimezone(self.zone).date() + timedelta(days=days)).isoformat()
        return value

    def _prefilled(self, value: str):
        """$prefill:<key> is what the task's form starts with under key; $prefill:<key>:<field>=<value> the
        same rows, each with field set (e.g. every checklist item passed)."""
        parts = value.split(":", 2)
        found = json.loads(json.dumps(getattr(self, "prefill", {}).get(parts[1])))
        if found is None:
            raise ScenarioError(f"{value}: the task's form starts with no {parts[1]!r}")
        if len(parts) == 3 and "=" in parts[2] and isinstance(found, list):
            name, _, text = parts[2].partition("=")
            found = [dict(row, **{name: text}) if isinstance(row, dict) else row for row in found]
        return found

    def _image(self, kind: str) -> str:
        from PIL import Image
        self.images += 1
        buffer = io.BytesIO()
        Image.new("RGB", (80, 60), (self.images * 37 % 256, 120, 40)).save(
            buffer, "JPEG" if kind == "photo" else "PNG")
        with self.sessions() as session:
            row = attachments.store_image(session, self.files, buffer.getvalue(), kind=kind, actor=DEFAULT_ACTOR,
                                          now=self.clock.now(), max_bytes=10_000_000)
            session.commit()
            return row.id


@dataclass
class _ScratchRuntime:
    """What the services that start a process ask of a runtime (services.runtime.Runtime's shape)."""

    config: dict
    engine: object
    files: object
    sa: object = None

    def now(self) -> datetime:
        return self.engine.clock.now()

    def today(self):
        return self.now().astimezone(self.engine.zone).date()


def _lookup(data, path: str):
    for part in path.split("."):
        if isinstance(data, dict):
            data = data.get(part)
        elif isinstance(data, list) and part.isdigit() and int(part) < len(data):
            data = data[int(part)]
        else:
            return None
    return data


def _show(value) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


__all__ = ["SCHEMA", "SUFFIX", "GIVEN", "Report", "Outcome", "check", "parse", "run_text", "stored_text",
           "problems_of"]
