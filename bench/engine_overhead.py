"""Engine overhead: bare SpiffWorkflow vs GridSafe's engine on the same lifecycle-like process.

(a) bare SpiffWorkflow 3.2.0, its default script engine, state-only JSON saved and loaded at each
    of the three steps (create, complete `report`, complete `inspect`), specs parsed once;
(b) GridSafe's engine: each step one transaction on a SQLite file (WAL; synchronous as given), with
    the human-task projection, message subscriptions, next_wake_at, the audit event and the
    RestrictedPython script environment; the task to complete is looked up in the projection.

Run: make bench   (or .venv/bin/python bench/engine_overhead.py --lifecycles 400)
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from SpiffWorkflow.bpmn import BpmnWorkflow  # noqa: E402
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment  # noqa: E402
from SpiffWorkflow.util.task import TaskState  # noqa: E402
from sqlalchemy import bindparam, select  # noqa: E402

from engine import Engine, FixedClock, HumanTask  # noqa: E402
from engine.database import make_engine, make_session_factory  # noqa: E402
from engine.serializer import dump_state, load_state  # noqa: E402
from engine.specs import compile_bpmn, read_xml  # noqa: E402
from services import migrate  # noqa: E402

DIAGRAM = Path(__file__).resolve().parent / "diagrams" / "bench_lifecycle.bpmn"
START = {"severity": 3, "label": "配电室闭锁", "team": "T01"}


def grade(severity):
    return {"grade": "A" if severity >= 3 else "C"}


def render(label):
    return {"document": f"notice for {label}", "sha256": "0" * 64}


class _BareEnvironment(TaskDataEnvironment):
    def call_service(self, context, operation_name, operation_params, **kwargs):
        params = {k: v["value"] for k, v in operation_params.items()}
        fn = grade if operation_name == "bench.grade" else render
        return json.dumps(fn(**params))


class _BareEngine(PythonScriptEngine):
    def call_service(self, task, **kwargs):
        return self.environment.call_service(task.data, **kwargs)


def bare_lifecycles(n: int) -> float:
    spec, sps = compile_bpmn((DIAGRAM.name, read_xml(DIAGRAM.read_bytes(), DIAGRAM.name)), [], []) \
        .processes["bench_lifecycle"]
    script_engine = _BareEngine(environment=_BareEnvironment())

    def round_trip(wf):
        wf = load_state(dump_state(wf), spec, sps)
        wf.script_engine = script_engine
        return wf

    def complete(wf, data):
        task = wf.get_next_task(state=TaskState.READY, manual=True)
        task.data.update(data)
        task.run()
        wf.do_engine_steps()

    started = time.perf_counter()
    for _ in range(n):
        wf = BpmnWorkflow(spec, sps, script_engine=script_engine)
        wf.task_tree.data.update(START)
        wf.do_engine_steps()
        wf = round_trip(wf)
        complete(wf, {"note": "done"})
        wf = round_trip(wf)
        complete(wf, {"passed": True})
        wf = round_trip(wf)
        assert wf.is_completed()
    return n / (time.perf_counter() - started)


def engine_lifecycles(n: int, synchronous: str, folder: Path) -> float:
    path = folder / f"bench-{synchronous}.db"
    path.unlink(missing_ok=True)
    sa = make_engine(f"sqlite:///{path}", sqlite_synchronous=synchronous)
    migrate.upgrade(sa)
    sessions = make_session_factory(sa)
    eng = Engine(handlers={"bench.grade": lambda ctx, severity: grade(severity),
                           "bench.render": lambda ctx, label: render(label)},
                 clock=FixedClock("2026-11-28T00:00:00Z"))
    with sessions() as s:
        assert eng.deploy_source(s, DIAGRAM.name, DIAGRAM.read_bytes(), "bench").status == "deployed"

    tasks = HumanTask.__table__
    ready_task = select(tasks.c.id).where(tasks.c.instance_id == bindparam("instance_id"), tasks.c.status == "ready")

    def complete(instance_id, data):
        with sessions() as s:
            task_id = s.execute(ready_task, {"instance_id": instance_id}).scalar_one()
            return eng.complete_task(s, task_id, data, "inspector")

    started = time.perf_counter()
    for i in range(n):
        with sessions() as s:
            instance_id = eng.start_instance(s, "bench_lifecycle", actor="bench", business_key=f"YH-{i}",
                                             data=START).id
        complete(instance_id, {"note": "done"})
        assert complete(instance_id, {"passed": True}).status == "completed"
    rate = n / (time.perf_counter() - started)
    sa.dispose()
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lifecycles", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    runs: dict = {"bare": [], "NORMAL": [], "FULL": []}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        bare_lifecycles(20)
        engine_lifecycles(20, "NORMAL", folder)   # warm up imports, caches, the file system
        for _ in range(args.repeat):              # interleaved, so a noisy neighbour hits all alike
            runs["bare"].append(bare_lifecycles(args.lifecycles))
            runs["NORMAL"].append(engine_lifecycles(args.lifecycles, "NORMAL", folder))
            runs["FULL"].append(engine_lifecycles(args.lifecycles, "FULL", folder))
    med = {k: statistics.median(v) for k, v in runs.items()}
    ratio = {k: statistics.median(b / a for a, b in zip(runs["bare"], runs[k])) for k in ("NORMAL", "FULL")}
    print(f"lifecycles per run: {args.lifecycles}, runs: {args.repeat} (medians; ratio = median of paired runs)")
    print(f"(a)  bare SpiffWorkflow, state-only JSON at each step: {med['bare']:7.1f} lifecycles/s"
          f"  ({1000 / med['bare'] / 3:.2f} ms per step)")
    print(f"(b)  engine, SQLite WAL, synchronous=NORMAL          : {med['NORMAL']:7.1f} lifecycles/s"
          f"  ({1000 / med['NORMAL'] / 3:.2f} ms per step) = {ratio['NORMAL']:.0%} of (a)  [commits survive a process crash]")
    print(f"(b') engine, SQLite WAL, synchronous=FULL            : {med['FULL']:7.1f} lifecycles/s"
          f"  ({1000 / med['FULL'] / 3:.2f} ms per step) = {ratio['FULL']:.0%} of (a)  [and a power loss]")
    print("runs:", {k: [round(x, 1) for x in v] for k, v in runs.items()})
    print("goal (b) >= 40% of (a):", "met" if ratio["NORMAL"] >= 0.4 else "NOT met")


if __name__ == "__main__":
    main()
