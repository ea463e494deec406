"""Write contention: other users' writes while one user submits an inspection with the most findings.

What is measured, over real HTTP against `gridsafe serve` (gunicorn, --workers one-thread workers, default 4)
with `gridsafe scheduler` running beside it (interval 2 s), on a fresh database with the real diagrams
(bpmn/) and bench_minimal.bpmn deployed:

  - one inspector submits the 现场检查 task of a planned inspection with the form's maximum number of
    findings (forms/inspection_execute.schema.json: 200), one photo each, through
    POST /api/v1/tasks/<id>/complete. The submission commits the findings as pending rows; the request
    then opens hazard files one transaction each for HAZARD_FILING_REQUEST_SECONDS, and the scheduler's
    ticks open the rest (services.hazard_filing);
  - meanwhile --writers other users (inspectors of the same team, each with an API token), each in a
    loop: start a bench_minimal instance (POST /api/v1/processes/instances) and complete its task
    (POST /api/v1/tasks/<id>/complete). Every call's time (send to last byte) and status are kept.

Printed: the same writes for --baseline seconds before the submission (idle), then during the fan-out
(from sending the submission until every finding has its file): count, p50, p95, max of "complete a
task" and of all writes, errors (any status other than the expected one, or a connection failure), the
submission's own time and the fan-out's. Goal: p95 of completing a task < 500 ms and no error, on SQLite
and on PostgreSQL.

Run: .venv/bin/python bench/write_contention.py                  (SQLite)
     .venv/bin/python bench/write_contention.py --postgres       (SQLite, then PostgreSQL)
     .venv/bin/python bench/write_contention.py --findings 50 --writers 2
"""
from __future__ import annotations

import argparse
import contextlib
import http.client
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))

from benchlib import pct, pg_schema  # noqa: E402
from http_throughput import GRIDSAFE, free_port, gridsafe, server, stop  # noqa: E402

PG_BASE_URL = "postgresql://postgres@127.0.0.1:5432/test"
BRANCH, TEAM, CUSTOMER = "BENCH-BR", "BENCH-T1", "3609990001"
SUBMITTER, PASSWORD = "bench_insp", "bench-password-42"
GOAL_MS = 500.0


# --- setup ----------------------------------------------------------------------------------------

def folders(tmp: Path) -> tuple[Path, Path]:
    """The diagrams (the real ones and bench_minimal) and the forms (the real ones and bench's)."""
    bpmn, forms = tmp / "bpmn", tmp / "forms"
    bpmn.mkdir()
    forms.mkdir()
    for path in [*(ROOT / "bpmn").iterdir(), BENCH / "diagrams" / "minimal" / "bench_minimal.bpmn"]:
        if path.suffix in (".bpmn", ".dmn"):
            shutil.copy(path, bpmn)
    for path in [*(ROOT / "forms").glob("*.json"), *(BENCH / "forms").glob("*.json")]:
        shutil.copy(path, forms)
    return bpmn, forms


def seed(env: dict) -> tuple[str, list]:
    """Branch, team, a 一级 customer of the team, and its periodic inspection (its process waits at 现场检查).
    Returns (the execution task's id, its checklist)."""
    from datetime import timedelta

    from sqlalchemy import select

    from engine import HumanTask
    from records import Branch, Customer, Team
    from services import planning
    from webui import create_app, db
    app = create_app({"ENV": "development", "DATABASE_URL": env["GRIDSAFE_DATABASE_URL"],
                      "DATA_DIR": env["GRIDSAFE_DATA_DIR"], "BPMN_DIR": env["GRIDSAFE_BPMN_DIR"],
                      "FORMS_DIR": env["GRIDSAFE_FORMS_DIR"]})
    rt = app.extensions["gridsafe.runtime"]
    with app.app_context():
        session = db.session()
        branch = Branch(code=BRANCH, name="基准县公司", kind="county")
        session.add(branch)
        session.flush()
        team = Team(code=TEAM, name="基准检查组", branch_id=branch.id)
        session.add(team)
        session.flush()
        now = rt.now()
        customer = Customer(number=CUSTOMER, name="基准医院", address="基准路 1 号", branch_id=branch.id,
                            importance="first", high_risk=False, industry="医疗卫生", contacts=[],
                            default_team_id=team.id, created_at=now, updated_at=now)
        session.add(customer)
        session.commit()
        ins = planning.create(rt, session, customer, kind="periodic", due=rt.today() + timedelta(days=10),
                              planned_from=rt.today(), actor="bench")
        task = session.scalars(select(HumanTask).where(HumanTask.instance_id == ins.instance_id,
                                                       HumanTask.status == "ready")).one()
        result = task.id, task.prefill["checklist"]
    app.extensions["gridsafe.sa"].dispose()
    return result


def prepare(env: dict, writers: int) -> tuple[str, list, str, list[str]]:
    """init, the data, the users and their tokens: (task id, checklist, submitter's token, writers' tokens)."""
    gridsafe(env, "init")
    task_id, checklist = seed(env)
    tokens = []
    for name in [SUBMITTER] + [f"bench_w{n}" for n in range(1, writers + 1)]:
        gridsafe(env, "user", "create", name, "--role", "inspector", "--team", TEAM, "--branch", BRANCH,
                 "--password", PASSWORD)
        tokens.append(gridsafe(env, "token", "create", name).strip().splitlines()[-1])
    return task_id, checklist, tokens[0], tokens[1:]


@contextlib.contextmanager
def scheduler(env: dict, log: Path):
    """`gridsafe scheduler` in its own process group, stopped however we leave."""
    with log.open("wb") as out:
        proc = subprocess.Popen([str(GRIDSAFE), "scheduler", "--interval", "2"], env=env, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
    try:
        yield proc
    finally:
        stop(proc)


# --- HTTP -----------------------------------------------------------------------------------------

def call(port: int, token: str, method: str, path: str, body=None, *, content_type="application/json",
         timeout: float = 900) -> tuple[int, bytes, float]:
    """(status, body, seconds); status 0 when the connection failed."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    payload = json.dumps(body).encode() if content_type == "application/json" and body is not None else body
    started = time.perf_counter()
    try:
        conn.request(method, path, body=payload, headers={"Authorization": f"Bearer {token}",
                                                          "Content-Type": content_type})
        response = conn.getresponse()
        data = response.read()
        return response.status, data, time.perf_counter() - started
    except (OSError, http.client.HTTPException) as err:
        return 0, str(err).encode(), time.perf_counter() - started
    finally:
        conn.close()


def upload(port: int, token: str, kind: str, data: bytes, name: str) -> str:
    boundary = "benchboundary7f3a"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\n{kind}\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n"
            f"Content-Type: application/octet-stream\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
    status, answer, _ = call(port, token, "POST", "/api/v1/attachments", body,
                             content_type=f"multipart/form-data; boundary={boundary}")
    if status != 201:
        raise SystemExit(f"uploading a {kind} answered {status}: {answer[:300]!r}")
    return json.loads(answer)["id"]


def image(fmt: str, color) -> bytes:
    from PIL import Image
    buffer = io.BytesIO()
    Image.new("RGB", (120, 90), color).save(buffer, fmt)
    return buffer.getvalue()


class Writers:
    """Other users in a loop: start a bench_minimal instance, complete its task; every call recorded."""

    def __init__(self, port: int, tokens: list[str]):
        self.port, self.tokens = port, tokens
        self.records: list[tuple[float, str, int, float]] = []      # (when, call, status, seconds)
        self.halt = threading.Event()
        self.threads = [threading.Thread(target=self._loop, args=(t, n), daemon=True) for n, t in enumerate(tokens)]

    def start(self):
        for t in self.threads:
            t.start()

    def stop(self):
        self.halt.set()
        for t in self.threads:
            t.join(120)

    def _loop(self, token: str, n: int):
        i = 0
        while not self.halt.is_set():
            i += 1
            status, body, seconds = call(self.port, token, "POST", "/api/v1/processes/instances",
                                         {"process_id": "bench_minimal", "business_key": f"W{n}-{i:05d}",
                                          "data": {"team": TEAM}}, timeout=60)
            self.records.append((time.monotonic(), "start", 0 if status != 201 else 201, seconds))
            if status != 201:
                time.sleep(0.2)
                continue
            task = json.loads(body)["ready_tasks"][0]["id"]
            status, _body, seconds = call(self.port, token, "POST", f"/api/v1/tasks/{task}/complete",
                                          {"data": {"passed": True, "note": "基准"}}, timeout=60)
            self.records.append((time.monotonic(), "complete", 0 if status != 200 else 200, seconds))

    def between(self, since: float, until: float) -> list:
        return [r for r in self.records if since <= r[0] <= until]


def summary(records: list, what: str | None) -> str:
    picked = [r for r in records if what is None or r[1] == what]
    if not picked:
        return "none"
    ms = [r[3] * 1000 for r in picked]
    errors = sum(1 for r in picked if r[2] == 0)
    return (f"n={len(picked)} p50={pct(ms, 0.5):.0f} ms p95={pct(ms, 0.95):.0f} ms max={max(ms):.0f} ms "
            f"errors={errors}")


def pending_counter(url: str):
    """A function giving (filed, pending) findings, read without holding any lock."""
    from sqlalchemy import create_engine, text
    sa = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))

    def count():
        with sa.connect() as conn:
            rows = dict(conn.execute(text("SELECT status, count(*) FROM pending_finding GROUP BY status")).all())
        return rows.get("filed", 0) + rows.get("error", 0), rows.get("pending", 0)
    return count, sa


# --- the run --------------------------------------------------------------------------------------

def run(kind: str, args) -> bool:
    tmp = Path(tempfile.mkdtemp(prefix="gs-contention-"))
    try:
        with contextlib.ExitStack() as stack:
            url = (f"sqlite:///{tmp / 'gridsafe.db'}" if kind == "sqlite"
                   else stack.enter_context(pg_schema(args.pg_url, "gs_bench_i17f")))
            bpmn, forms = folders(tmp)
            env = {**os.environ, "GRIDSAFE_ENV": "development", "GRIDSAFE_DATABASE_URL": url,
                   "GRIDSAFE_DATA_DIR": str(tmp / "data"), "GRIDSAFE_BPMN_DIR": str(bpmn),
                   "GRIDSAFE_FORMS_DIR": str(forms), "GRIDSAFE_LOG_FORMAT": "text", "GRIDSAFE_LOG_LEVEL": "WARNING",
                   "GRIDSAFE_WORKERS": str(args.workers), "GRIDSAFE_SCHEDULER_INTERVAL_SECONDS": "2",
                   "PYTHONPATH": str(ROOT)}
            task_id, checklist, submitter, tokens = prepare(env, args.writers)
            port = args.port or free_port()
            stack.enter_context(server(env, port, tmp / "serve.log", args.workers))
            stack.enter_context(scheduler(env, tmp / "scheduler.log"))
            photo = upload(port, submitter, "photo", image("JPEG", (150, 90, 40)), "p.jpg")
            signature = upload(port, submitter, "signature", image("PNG", (10, 20, 80)), "s.png")
            data = {"checklist": [dict(row, result="pass") for row in checklist], "conclusion": "多处隐患",
                    "second_inspector": "王检查", "inspector_signature": signature,
                    "second_inspector_signature": signature, "customer_name": "王电工",
                    "customer_signature": signature,
                    "findings": [{"item_code": "EN02", "location": f"{n + 1}号配电室", "description": f"发现问题 {n + 1}",
                                  "photos": [photo]} for n in range(args.findings)]}
            count, sa = pending_counter(url)
            stack.callback(sa.dispose)
            writers = Writers(port, tokens)
            writers.start()
            stack.callback(writers.stop)
            time.sleep(args.baseline)
            sent = time.monotonic()
            status, answer, seconds = call(port, submitter, "POST", f"/api/v1/tasks/{task_id}/complete",
                                           {"data": data})
            if status != 200:
                raise SystemExit(f"the submission answered {status}: {answer[:500]!r}")
            answered = time.monotonic()
            filed, pending = count()
            while (pending or filed < args.findings) and time.monotonic() - sent < args.timeout:
                time.sleep(0.5)
                filed, pending = count()
            done = time.monotonic()
            writers.stop()
            idle, busy = writers.between(sent - args.baseline, sent), writers.between(sent, done)
            print(f"[{kind}] {args.findings} findings, {args.writers} other users, {args.workers} workers; "
                  f"load average {os.getloadavg()[0]:.1f}")
            print(f"  submission answered in {seconds:.1f} s; every file opened {done - sent:.1f} s after sending "
                  f"({filed} filed, {pending} waiting{' — TIMED OUT' if pending else ''}); request answered at "
                  f"+{answered - sent:.1f} s")
            print(f"  idle      complete a task: {summary(idle, 'complete')}")
            print(f"  fan-out   complete a task: {summary(busy, 'complete')}")
            print(f"  fan-out   all writes:      {summary(busy, None)}")
            ms = [r[3] * 1000 for r in busy if r[1] == "complete"]
            ok = bool(ms) and pct(ms, 0.95) < GOAL_MS and all(r[2] for r in busy) and not pending
            print(f"  goal p95 < {GOAL_MS:.0f} ms, zero errors: {'met' if ok else 'NOT met'}")
            return ok
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument("--postgres", action="store_true", help="also on PostgreSQL (a temporary schema)")
    parser.add_argument("--no-sqlite", action="store_true", help="with --postgres: PostgreSQL only")
    parser.add_argument("--pg-url", default=PG_BASE_URL, help=f"PostgreSQL server (default {PG_BASE_URL})")
    parser.add_argument("--findings", type=int, default=None, help="findings submitted (default: the form's maximum)")
    parser.add_argument("--writers", type=int, default=3, help="other users writing meanwhile (default 3)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (default 4)")
    parser.add_argument("--baseline", type=float, default=8.0, help="seconds of writes before the submission")
    parser.add_argument("--timeout", type=float, default=900.0, help="give up waiting for the files after this")
    parser.add_argument("--port", type=int, default=None)
    args = parser.parse_args()
    if args.findings is None:
        from forms import fields, load
        args.findings = fields.max_items(load("inspection_execute.schema.json")["properties"]["findings"])
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    results = [] if args.no_sqlite else [run("sqlite", args)]
    if args.postgres:
        results.append(run("postgres", args))
    sys.exit(0 if all(results) else 1)


if __name__ == "__main__":
    main()
