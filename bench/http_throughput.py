"""HTTP throughput: instances started and completed per second through the JSON API of `gridsafe serve`.

What is measured: the production server (`gridsafe serve`: gunicorn, GRIDSAFE_WORKERS one-thread workers,
default 2, keeping connections open between requests) on a fresh database with only
bench/diagrams/minimal/bench_minimal.bpmn deployed (start → script task `count = 1` → user task in lane
"inspector" offered to the user's team → exclusive gateway → end; form bench/forms/minimal.schema.json).
ONE client, one call at a time over http.client, runs for each instance

  POST /api/v1/processes/instances      {"process_id": "bench_minimal", "business_key": ..., "data": {"team": ...}}
  POST /api/v1/tasks/<id>/complete      {"data": {"passed": ..., "note": ...}}   (the id from "ready_tasks")

and checks the instance ends `completed` (the "two-call" figure). In the same run, alternating batch by
batch on the same server, the integration sequence (the "five-call" figure), by an integration account
(roles inspector and process_owner, same team, its own token: process owners may read instances):

  POST /api/v1/processes/instances      start
  GET  /api/v1/tasks?process=bench_minimal   list the tasks (the new one is the only ready one)
  GET  /api/v1/tasks/<id>               read the task (with its form)
  POST /api/v1/tasks/<id>/complete      complete it
  GET  /api/v1/instances/<id>           read the instance (checks it is `completed`)

Then, in the same run, the server stopped, the app in this process (Flask's test client on the same
database) runs --server-sequences five-call sequences and prints the per-call server time (p50, p95)
of each call, the reads above all (no HTTP, no gunicorn: what the app itself spends). Printed: completed instances per second (after a warm-up,
--repeat batches of --instances on the same server, the median batch), and the latency of each
call (median, p95), on SQLite (a file, WAL, synchronous=NORMAL) and on PostgreSQL (a fresh schema
on 127.0.0.1:5432/test, dropped after).

Setup as an operator would do it: `gridsafe init`, a branch and a team (SQL through the app's
models), `gridsafe user create`, `gridsafe token create`, then `gridsafe serve` with GRIDSAFE_*
variables. The server runs in its own process group and is always stopped (also on Ctrl-C).
On SQLite the script checks that the idle server does not hold the write lock (see
write_lock_stuck); if it does, it says so and measures again with a documented work-around.

Diagnosis: --in-process runs the same calls through Flask's test client (no HTTP, no gunicorn) and
counts SQL statements; add --profile for a cProfile profile (top functions by own time, then the
app's own functions by cumulative time).

Goal on this 2-core machine: at least 84 instances/s on SQLite and 58/s on PostgreSQL.

Run: .venv/bin/python bench/http_throughput.py                 (SQLite, then PostgreSQL)
     .venv/bin/python bench/http_throughput.py --db sqlite --instances 300 --repeat 3
"""
from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402

from benchlib import pct, pg_schema  # noqa: E402

GRIDSAFE = Path(sys.executable).with_name("gridsafe")
DIAGRAMS = BENCH / "diagrams" / "minimal"          # only bench_minimal.bpmn: `serve` deploys it at start
FORMS = BENCH / "forms"
PROCESS_ID = "bench_minimal"
BRANCH, TEAM, USER = "BENCH-BR", "BENCH-T1", "bench_insp"
INTEGRATION_USER = "bench_integ"                    # the five-call sequence: may also read instances
CALLS = ("start", "list", "read_task", "complete", "read_instance")
READS = ("list", "read_task", "read_instance")
SERVER_GOALS = {"sqlite": 3.0, "postgres": 5.0}     # ms, p50 server time of each read, in-process
PASSWORD = "bench-password-42"
PG_BASE_URL = "postgresql://postgres@127.0.0.1:5432/test"
GOALS = {"sqlite": 84.0, "postgres": 58.0}          # instances per second


# --- the database and the server ------------------------------------------------------------------

@contextlib.contextmanager
def database(kind: str, folder: Path, pg_url: str):
    """A fresh database; yields its GRIDSAFE_DATABASE_URL (PostgreSQL: a schema dropped afterwards)."""
    if kind == "sqlite":
        yield f"sqlite:///{folder / 'gridsafe.db'}"
        return
    with pg_schema(pg_url, "gs_bench_http") as url:
        yield url


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def gridsafe(env: dict, *args: str) -> str:
    """Run a `gridsafe` command; its output, or exit with it when the command fails."""
    done = subprocess.run([str(GRIDSAFE), *args], env=env, capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        raise SystemExit(f"`gridsafe {' '.join(args)}` failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    return done.stdout


def create_branch_and_team(env: dict) -> None:
    """`gridsafe user create` needs an existing branch and team: make them through the app's models."""
    from records import Branch, Team
    from webui import create_app, db
    app = create_app({"ENV": "development", "DATABASE_URL": env["GRIDSAFE_DATABASE_URL"],
                      "DATA_DIR": env["GRIDSAFE_DATA_DIR"], "BPMN_DIR": env["GRIDSAFE_BPMN_DIR"],
                      "FORMS_DIR": env["GRIDSAFE_FORMS_DIR"]})
    with app.app_context():
        session = db.session()
        branch = Branch(code=BRANCH, name="基准县公司", kind="county")
        session.add(branch)
        session.flush()
        session.add(Team(code=TEAM, name="基准检查组", branch_id=branch.id))
        session.commit()
    app.extensions["gridsafe.sa"].dispose()


def prepare(env: dict, empty_bpmn_dir: Path | None = None) -> tuple[str, str]:
    """init, branch and team, the inspector and the integration account, an API token each.
    Returns (the inspector's token, the integration account's token).

    empty_bpmn_dir: run `init` with this (empty) diagrams folder, so that `serve` deploys the diagram
    itself (the work-around for the stuck write lock, see write_lock_stuck)."""
    gridsafe({**env, "GRIDSAFE_BPMN_DIR": str(empty_bpmn_dir)} if empty_bpmn_dir else env, "init")
    create_branch_and_team(env)
    gridsafe(env, "user", "create", USER, "--role", "inspector", "--team", TEAM, "--branch", BRANCH,
             "--password", PASSWORD)
    gridsafe(env, "user", "create", INTEGRATION_USER, "--role", "inspector", "--role", "process_owner",
             "--team", TEAM, "--branch", BRANCH, "--password", PASSWORD)
    return (gridsafe(env, "token", "create", USER).strip().splitlines()[-1],
            gridsafe(env, "token", "create", INTEGRATION_USER).strip().splitlines()[-1])


@contextlib.contextmanager
def server(env: dict, port: int, log: Path, workers: int | None):
    """`gridsafe serve` in its own process group; stopped (SIGTERM, then SIGKILL) however we leave."""
    args = [str(GRIDSAFE), "serve", "--port", str(port)] + (["--workers", str(workers)] if workers else [])
    with log.open("wb") as out:
        proc = subprocess.Popen(args, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_until_up(proc, port, log)
        yield proc
    finally:
        stop(proc)


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)       # the group we started: gunicorn's master and workers
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


def wait_until_up(proc: subprocess.Popen, port: int, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"`gridsafe serve` exited ({proc.returncode}):\n{log.read_text(errors='replace')[-3000:]}")
        with contextlib.suppress(OSError, http.client.HTTPException):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status in (200, 503):
                conn.close()
                return
        time.sleep(0.2)
    raise SystemExit(f"`gridsafe serve` did not answer within {timeout:.0f} s:\n{log.read_text(errors='replace')[-3000:]}")


class StuckWriteLock(Exception):
    """The server holds SQLite's write lock while idle: every write would wait for the busy timeout."""


def write_lock_stuck(url: str) -> bool:
    """Whether some connection holds SQLite's write lock although no request is running.

    Known cause: when `serve` finds the diagrams unchanged (they were deployed by `init`),
    engine/deploy.py:deploy_source reads `latest.version` after `session.rollback()`; the rollback
    expired `latest`, so the read reloads it in a new transaction (BEGIN IMMEDIATE on SQLite) which
    `serve` never ends: its app context, and the session, live as long as gunicorn."""
    import sqlite3
    conn = sqlite3.connect(url[len("sqlite:///"):], timeout=1.0, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("ROLLBACK")
        return False
    except sqlite3.OperationalError as err:
        if "locked" in str(err):
            return True
        raise
    finally:
        conn.close()


# --- the client -----------------------------------------------------------------------------------

class Client:
    """One connection, reused while the server keeps it open (a server that closes it after each
    response, as gunicorn's sync workers did, makes http.client reconnect on the next request)."""

    def __init__(self, port: int, token: str):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json",
                        "Accept": "application/json"}

    def post(self, path: str, body: dict, expect: int) -> tuple[dict, float]:
        """(JSON answer, seconds from sending to the last byte)."""
        return self._call("POST", path, json.dumps(body).encode(), expect)

    def get(self, path: str, expect: int = 200) -> tuple[dict, float]:
        return self._call("GET", path, None, expect)

    def _call(self, method: str, path: str, payload: bytes | None, expect: int) -> tuple[dict, float]:
        started = time.perf_counter()
        try:
            self.conn.request(method, path, body=payload, headers=self.headers)
            response = self.conn.getresponse()
        except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
            self.conn.close()                      # the server closed a kept connection: once more
            self.conn.request(method, path, body=payload, headers=self.headers)
            response = self.conn.getresponse()
        data = response.read()
        elapsed = time.perf_counter() - started
        if response.will_close:
            self.conn.close()
        if response.status != expect:
            raise SystemExit(f"{method} {path} answered {response.status}, not {expect}: {data[:500]!r}")
        return json.loads(data), elapsed

    def close(self) -> None:
        self.conn.close()


def one_instance(client: Client, i: int) -> tuple[float, float]:
    """Start an instance and complete its user task. (start seconds, complete seconds)."""
    started, t_start = client.post("/api/v1/processes/instances",
                                   {"process_id": PROCESS_ID, "business_key": f"HB-{i:06d}", "data": {"team": TEAM}},
                                   201)
    tasks = started["ready_tasks"]
    if len(tasks) != 1 or started["instance"]["status"] != "running":
        raise SystemExit(f"instance {started['instance']['id']}: expected one ready task, got {started}")
    done, t_complete = client.post(f"/api/v1/tasks/{tasks[0]['id']}/complete",
                                   {"data": {"passed": i % 2 == 0, "note": "基准"}}, 200)
    if done["instance"]["status"] != "completed" or done["ready_tasks"]:
        raise SystemExit(f"instance {done['instance']['id']} did not complete: {done}")
    return t_start, t_complete


def one_sequence(client, i: int) -> dict[str, float]:
    """The integration sequence: start, list the tasks, read the task, complete, read the instance.
    Seconds of each call, by name (CALLS)."""
    times = {}
    started, times["start"] = client.post("/api/v1/processes/instances",
                                          {"process_id": PROCESS_ID, "business_key": f"HS-{i:06d}",
                                           "data": {"team": TEAM}}, 201)
    instance_id = started["instance"]["id"]
    listed, times["list"] = client.get(f"/api/v1/tasks?process={PROCESS_ID}")
    mine = [t for t in listed["items"] if t["instance_id"] == instance_id]
    if len(mine) != 1:
        raise SystemExit(f"instance {instance_id}: expected its one task in the list, got {listed}")
    task, times["read_task"] = client.get(f"/api/v1/tasks/{mine[0]['id']}")
    if task["id"] != mine[0]["id"] or not task.get("form_schema"):
        raise SystemExit(f"task {mine[0]['id']}: unexpected answer {task}")
    _done, times["complete"] = client.post(f"/api/v1/tasks/{task['id']}/complete",
                                           {"data": {"passed": i % 2 == 0, "note": "基准"}}, 200)
    read, times["read_instance"] = client.get(f"/api/v1/instances/{instance_id}")
    if read["status"] != "completed":
        raise SystemExit(f"instance {instance_id} did not complete: {read}")
    return times


class InProcessClient:
    """The same calls through Flask's test client in this process: the app without HTTP and gunicorn."""

    def __init__(self, env: dict, token: str):
        from sqlalchemy import event

        from services import heap
        from webui import create_app
        self.app = create_app({"ENV": "development", "DATABASE_URL": env["GRIDSAFE_DATABASE_URL"],
                               "DATA_DIR": env["GRIDSAFE_DATA_DIR"], "BPMN_DIR": env["GRIDSAFE_BPMN_DIR"],
                               "FORMS_DIR": env["GRIDSAFE_FORMS_DIR"]})
        self.client = self.app.test_client()
        heap.settle()                       # as a gunicorn worker does once its app is loaded
        self.headers = {"Authorization": f"Bearer {token}"}
        self.statements = 0
        self.show_sql = False
        event.listen(self.app.extensions["gridsafe.sa"], "after_cursor_execute", self._count)

    def _count(self, _conn, _cursor, statement, *_args):
        self.statements += 1
        if self.show_sql:
            print("   ", " ".join(statement.split())[:200])

    def post(self, path: str, body: dict, expect: int) -> tuple[dict, float]:
        started = time.perf_counter()
        response = self.client.post(path, json=body, headers=self.headers)
        elapsed = time.perf_counter() - started
        if response.status_code != expect:
            raise SystemExit(f"POST {path} answered {response.status_code}, not {expect}: {response.data[:500]!r}")
        return response.get_json(), elapsed

    def get(self, path: str, expect: int = 200) -> tuple[dict, float]:
        started = time.perf_counter()
        response = self.client.get(path, headers=self.headers)
        elapsed = time.perf_counter() - started
        if response.status_code != expect:
            raise SystemExit(f"GET {path} answered {response.status_code}, not {expect}: {response.data[:500]!r}")
        return response.get_json(), elapsed

    def as_token(self, token: str) -> "InProcessClient":
        self.headers = {"Authorization": f"Bearer {token}"}
        return self

    def close(self) -> None:
        self.app.extensions["gridsafe.sa"].dispose()


def drive(client, seq_client, args) -> dict:
    """Warm up, then --repeat batches of --instances of each kind, alternating the two-call batch and
    the five-call batch on the same server: per-call milliseconds and instances/s of each batch."""
    for i in range(args.warmup):
        one_instance(client, i)
        one_sequence(seq_client, i)
    out = {"starts": [], "completes": [], "rates": [], "seq": {c: [] for c in CALLS}, "seq_rates": []}
    i = args.warmup
    for _batch in range(args.repeat):
        began = time.perf_counter()
        for k in range(i, i + args.instances):
            t_start, t_complete = one_instance(client, k)
            out["starts"].append(t_start * 1000)
            out["completes"].append(t_complete * 1000)
        out["rates"].append(args.instances / (time.perf_counter() - began))
        began = time.perf_counter()
        for k in range(i, i + args.instances):
            for call, seconds in one_sequence(seq_client, k).items():
                out["seq"][call].append(seconds * 1000)
        out["seq_rates"].append(args.instances / (time.perf_counter() - began))
        i += args.instances
    return out


def server_times(env: dict, token: str, args) -> dict[str, list[float]]:
    """Per-call server time (ms) of the five-call sequence through the app in this process (the HTTP
    server stopped): what the app itself spends on each call."""
    client = InProcessClient(env, token)
    try:
        for i in range(args.warmup):
            one_sequence(client, 900_000 + i)
        times: dict[str, list[float]] = {c: [] for c in CALLS}
        for i in range(args.server_sequences):
            for call, seconds in one_sequence(client, 950_000 + i).items():
                times[call].append(seconds * 1000)
        return times
    finally:
        client.close()


def summary(d: dict, **extra) -> dict:
    s, c = d["starts"], d["completes"]
    return {"rate": statistics.median(d["rates"]), "rates": d["rates"], "work_around": False, **extra,
            "start_median": statistics.median(s), "start_p95": pct(s, 0.95),
            "complete_median": statistics.median(c), "complete_p95": pct(c, 0.95),
            "seq_rate": statistics.median(d["seq_rates"]), "seq_rates": d["seq_rates"],
            "seq": {k: (statistics.median(v), pct(v, 0.95)) for k, v in d["seq"].items()}}


def run(kind: str, args, work_around: bool = False) -> dict:
    """Set up, serve, drive; the results of one database kind. Raises StuckWriteLock (SQLite)."""
    with tempfile.TemporaryDirectory(prefix=f"gs-http-{kind}-") as tmp:
        folder = Path(tmp)
        with database(kind, folder, args.pg_url) as url:
            port = args.port or free_port()
            env = {k: v for k, v in os.environ.items() if not k.startswith("GRIDSAFE_")}
            # the `gridsafe` commands run this tree's code (the venv's editable install may point at another)
            env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
            env.update(GRIDSAFE_DATABASE_URL=url, GRIDSAFE_DATA_DIR=str(folder / "data"),
                       GRIDSAFE_BPMN_DIR=str(DIAGRAMS), GRIDSAFE_FORMS_DIR=str(FORMS), GRIDSAFE_PORT=str(port),
                       GRIDSAFE_ENV="development")
            empty = folder / "no-diagrams"
            empty.mkdir()
            token, seq_token = prepare(env, empty if work_around else None)
            if args.in_process:
                client = InProcessClient(env, token)
                seq_client = InProcessClient(env, seq_token)
                try:
                    if args.profile:
                        import cProfile
                        profiler = cProfile.Profile()
                        profiler.enable()
                    before = client.statements
                    measured = drive(client, seq_client, args)
                    if args.show_sql:
                        client.show_sql = seq_client.show_sql = True
                        print("  the statements of one instance (start, then complete):")
                        one_instance(client, 10**6)
                        print("  the statements of one five-call sequence:")
                        one_sequence(seq_client, 10**6)
                        client.show_sql = seq_client.show_sql = False
                    statements = (client.statements - before) / (args.warmup + args.instances * args.repeat)
                    if args.profile:
                        import pstats
                        profiler.disable()
                        pstats.Stats(profiler).sort_stats("tottime").print_stats(35)
                        ours = "/(" + "|".join(("engine", "records", "services", "webui", "handlers")) + ")/"
                        pstats.Stats(profiler).sort_stats("cumulative").print_stats(str(ROOT) + ours, 45)
                finally:
                    client.close()
                    seq_client.close()
                return summary(measured, statements=statements)
            log = folder / "serve.log"
            try:
                with server(env, port, log, args.workers):
                    if kind == "sqlite" and write_lock_stuck(url):
                        raise StuckWriteLock()
                    client, seq_client = Client(port, token), Client(port, seq_token)
                    try:
                        measured = drive(client, seq_client, args)
                    finally:
                        client.close()
                        seq_client.close()
            except SystemExit:
                print(f"--- end of the server log ({kind}) ---\n{log.read_text(errors='replace')[-4000:]}", flush=True)
                raise
            finally:
                if args.keep_log and log.exists():
                    Path(args.keep_log).mkdir(parents=True, exist_ok=True)
                    (Path(args.keep_log) / f"serve-{kind}.log").write_bytes(log.read_bytes())
            server_ms = server_times(env, seq_token, args) if args.server_sequences else None
    result = summary(measured, work_around=work_around)
    if server_ms:
        result["server"] = {k: (statistics.median(v), pct(v, 0.95)) for k, v in server_ms.items()}
    return result


def postgres_answers(pg_url: str) -> bool:
    try:
        sa = create_engine(pg_url.replace("postgresql://", "postgresql+psycopg://", 1),
                           connect_args={"connect_timeout": 3})
        with sa.connect() as conn:
            conn.execute(text("SELECT 1"))
        sa.dispose()
        return True
    except Exception as err:  # noqa: BLE001 - any failure means "not available here"
        print(f"PostgreSQL at {pg_url} does not answer ({type(err).__name__}); skipped")
        return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog="\n".join(__doc__.splitlines()[2:]))
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both",
                        help="which database (default both)")
    parser.add_argument("--instances", type=int, default=300, help="measured instances per batch (default 300)")
    parser.add_argument("--repeat", type=int, default=3,
                        help="measured batches of --instances on the same server; the median batch rate is "
                             "reported (default 3: this small VM is noisy)")
    parser.add_argument("--warmup", type=int, default=30, help="instances before measuring (default 30)")
    parser.add_argument("--workers", type=int, default=None,
                        help="gunicorn workers (default: the service's GRIDSAFE_WORKERS default, 2)")
    parser.add_argument("--port", type=int, default=None, help="server port (default: a free one)")
    parser.add_argument("--pg-url", default=PG_BASE_URL, help=f"PostgreSQL server (default {PG_BASE_URL})")
    parser.add_argument("--no-work-around", action="store_true",
                        help="when `serve` holds SQLite's write lock (see write_lock_stuck), report it and stop "
                             "instead of re-running with `init` given an empty diagrams folder")
    parser.add_argument("--in-process", action="store_true",
                        help="diagnosis: the same calls through Flask's test client in this process "
                             "(no HTTP, no gunicorn); also counts SQL statements per instance")
    parser.add_argument("--profile", action="store_true", help="with --in-process: a cProfile profile")
    parser.add_argument("--show-sql", action="store_true", help="with --in-process: print one instance's statements")
    parser.add_argument("--server-sequences", type=int, default=300,
                        help="five-call sequences through the app in this process after the server run, for the "
                             "per-call server time (default 300; 0: skip)")
    parser.add_argument("--keep-log", metavar="DIR", default=None, help="copy the server logs into DIR")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))   # run the finally blocks: stop the server
    kinds = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    results = {}
    for kind in kinds:
        if kind == "postgres" and not postgres_answers(args.pg_url):
            continue
        print(f"{kind}: {args.warmup} warm-up + {args.repeat} x {args.instances} measured instances, one client "
              f"(load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs) ...", flush=True)
        try:
            results[kind] = run(kind, args)
        except StuckWriteLock:
            print("  PROBLEM: the idle `gridsafe serve` holds SQLite's write lock, so every write request waits "
                  "GRIDSAFE_DB_BUSY_TIMEOUT_MS (30 s) and fails with 500 'database is locked'.\n"
                  "  Cause: engine/deploy.py deploy_source, branch 'unchanged': `latest.version` is read after "
                  "session.rollback(),\n  which reopens a transaction (BEGIN IMMEDIATE) in the session that "
                  "`serve` keeps open for gunicorn's lifetime.\n"
                  "  Work-around for this run: a fresh database, `gridsafe init` with an empty diagrams folder, "
                  "so that `serve` deploys the diagram itself (that path commits).", flush=True)
            if args.no_work_around:
                continue
            results[kind] = run(kind, args, work_around=True)
    print(f"load average at the end: {os.getloadavg()[0]:.2f} (anything else running makes the numbers noisy)")
    how = "in-process (Flask test client, no HTTP)" if args.in_process else \
        f"gridsafe serve ({args.workers or 'default'} workers)"
    print(f"\n=== HTTP throughput: {how}, one client, {args.repeat} x {args.instances} instances "
          f"(start + complete each); inst/s = median of the batches ===")
    print(f"{'database':<10} {'inst/s':>7} {'start med':>10} {'start p95':>10} {'compl med':>10} {'compl p95':>10}"
          f" {'goal':>7}  result")
    for kind, r in results.items():
        ok = r["rate"] >= GOALS[kind]
        notes = []
        if r["work_around"]:
            notes.append("init without diagrams: see PROBLEM above")
        notes.append("batches: " + ", ".join(f"{x:.1f}" for x in r["rates"]) + "/s")
        if "statements" in r:
            notes.append(f"{r['statements']:.0f} SQL statements per instance")
        print(f"{kind:<10} {r['rate']:7.1f} {r['start_median']:8.2f}ms {r['start_p95']:8.2f}ms "
              f"{r['complete_median']:8.2f}ms {r['complete_p95']:8.2f}ms {GOALS[kind]:6.0f}/s  "
              f"{'met' if ok else 'NOT met'}" + "".join(f"  ({n})" for n in notes))
    print(f"\n=== the integration sequence, five calls each (start, list, read task, complete, read instance), "
          f"alternating with the batches above; inst/s = median of the batches; ms: p50/p95 per call ===")
    print(f"{'database':<10} {'inst/s':>7} " + " ".join(f"{c:>15}" for c in CALLS) + "  batches")
    for kind, r in results.items():
        print(f"{kind:<10} {r['seq_rate']:7.1f} "
              + " ".join(f"{r['seq'][c][0]:6.2f}/{r['seq'][c][1]:6.2f}ms" for c in CALLS)
              + "  " + ", ".join(f"{x:.1f}" for x in r["seq_rates"]) + "/s")
    if any("server" in r for r in results.values()):
        print(f"\n=== server time per call, in-process (Flask test client on the same database, "
              f"{args.server_sequences} sequences); ms p50/p95; goal: reads p50 <= "
              + ", ".join(f"{v:.0f} ms {k}" for k, v in SERVER_GOALS.items()) + " ===")
        print(f"{'database':<10} " + " ".join(f"{c:>15}" for c in CALLS) + "  reads")
        for kind, r in results.items():
            if "server" not in r:
                continue
            ok = all(r["server"][c][0] <= SERVER_GOALS[kind] for c in READS)
            print(f"{kind:<10} " + " ".join(f"{r['server'][c][0]:6.2f}/{r['server'][c][1]:6.2f}ms" for c in CALLS)
                  + f"  {'met' if ok else 'NOT met'}")


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:   # the server was stopped by the finally blocks on the way out
        print("\ninterrupted; the server is stopped", file=sys.stderr)
        sys.exit(130)
