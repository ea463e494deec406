"""What the time and memory budget of diagram code costs: one script run in the sandbox process, one
risk decision (bpmn/risk_grade.dmn, whose cells are plain comparisons evaluated in place), and one
non-plain expression (sent to the sandbox).

Run: .venv/bin/python bench/sandbox_overhead.py [--seconds 5]
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine import FixedClock, tables  # noqa: E402
from engine.budget import Budget  # noqa: E402
from engine.specs import compile_dmn, read_xml  # noqa: E402
from handlers import risk  # noqa: E402


def rate(seconds: float, work) -> float:
    work()
    n, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        work()
        n += 1
    return (time.perf_counter() - started) / n * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5)
    args = parser.parse_args()
    now = datetime(2026, 3, 2, tzinfo=timezone.utc)
    source = (ROOT / "bpmn" / "risk_grade.dmn").read_text()
    table = compile_dmn("risk_grade.dmn", read_xml(source.encode(), "risk_grade.dmn"))["risk_grade"]
    eng = type("E", (), {"clock": FixedClock(now)})()
    cases = json.loads((ROOT / "bpmn" / "risk_grade.cases.json").read_text())["cases"]
    inputs = [c["inputs"] if "inputs" in c else risk.case_inputs(c, None, 2) for c in cases]
    ms = rate(args.seconds, lambda: [tables.evaluate_table(eng, table, "risk_grade", i) for i in inputs])
    print(f"risk decision                 : {ms / len(inputs):.3f} ms each")
    context = {"severity": 3, "items": list(range(50))}
    script = rate(args.seconds, lambda: Budget().run("exec", "total = sum(items)", dict(context), {}, now))
    print(f"script in the sandbox         : {script:.3f} ms each")
    expression = rate(args.seconds, lambda: Budget().run("eval", "len(items) > 3", context, {}, now))
    print(f"non-plain expression (sandbox): {expression:.3f} ms each")


if __name__ == "__main__":
    main()
