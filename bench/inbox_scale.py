"""The inbox and the instance list at scale: request time with 1,000,000 finished tasks in the tables.

What is measured: the time the app takes to answer (in-process, Flask test client, so no network
and no server; the time is taken around each request, all middleware included) for

  inbox page      GET /?scope=team                     an inspector's "my teams'" inbox (HTML)
  inbox API       GET /api/v1/tasks?scope=team         the same through the JSON API (bearer token)
  instances error GET /admin/instances?status=error    the admin's instance list, filtered (HTML)
  instances run.  GET /admin/instances?status=running
  (and, for information, GET /api/v1/instances?status=error|running with the admin's token)

median and p95 over --requests requests each (after a few warm-up requests), at two sizes:

  small  10,000 completed + 200 open human tasks          } over 50 teams in 5 county branches,
  large  1,000,000 completed + 20,000 open human tasks    } one process instance per task

Instances of completed tasks are mostly `completed` (2% waiting, 1% error, some terminated and
suspended); those of open tasks `running`. 80% of the tasks are in lane inspector for a team, 15%
leader for a county branch, 5% specialist; 10% of the open ones are held by a teammate, 10% have no
due date. The rows are bulk-inserted with driver-level executemany through SQLAlchemy Core
(batches of 10,000, one transaction), not through the engine; the people are created like
tests/web_support.py does (an inspector in one of the 50 teams, an admin). Each instance's `state`
is the real JSON of a finished bench_minimal instance (~3 KB). PostgreSQL gets VACUUM ANALYZE after
the load (autovacuum would soon); SQLite gets no ANALYZE, as the app never runs it
(--sqlite-analyze shows the difference).

Goals: p95 under 50 ms at the large size, and at most 2x the p95 of the small size.

Also printed: the number of SQL statements per request and the time spent executing them ("SQL
med": cursor.execute only; on SQLite, rows that are stepped while fetching, e.g. a streaming scan,
are not in it), and the query plans of the inbox queries (EXPLAIN QUERY PLAN on SQLite, EXPLAIN
(ANALYZE, BUFFERS) on PostgreSQL), so one can see whether the indexes are used.

Run: .venv/bin/python bench/inbox_scale.py             (SQLite file database in a temp folder)
     .venv/bin/python bench/inbox_scale.py --postgres  (a fresh schema on 127.0.0.1:5432/test, dropped after)
"""
from __future__ import annotations

import argparse
import contextlib
import functools
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))

from sqlalchemy import create_engine, event, select, text  # noqa: E402

from benchlib import pct, pg_schema  # noqa: E402

import forms  # noqa: E402
from engine import Definition, Engine, FixedClock, HumanTask, ModelVersion, ProcessInstance  # noqa: E402
from engine.database import make_engine, make_session_factory  # noqa: E402
from engine.models import UTCDateTime  # noqa: E402
from records import Branch, Team, User, tokens  # noqa: E402
from services import migrate  # noqa: E402
from webui import create_app  # noqa: E402

DIAGRAM = BENCH / "diagrams" / "minimal" / "bench_minimal.bpmn"
FORMS_DIR = BENCH / "forms"
PG_BASE_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
NOW = "2026-03-02T01:00:00+00:00"
SIZES = {"small": (10_000, 200), "large": (1_000_000, 20_000)}   # (completed tasks, open tasks)
BATCH = 10_000
COUNTIES, TEAMS_PER_COUNTY = 5, 10                                # 50 teams
INSPECTOR_TEAM = "T07"
PASSWORD = "bench-password-42"
GOAL_P95_MS, GOAL_RATIO = 50.0, 2.0
# Process ids of the synthetic rows: bench_minimal is deployed for real, the others are extra versions.
PROCESSES = {"bench_minimal": "Benchmark minimal", "periodic_inspection": "周期检查",
             "hazard_rectification": "隐患整改", "supervision_order": "督办单", "acceptance": "验收销号"}
TASK_TITLES = ["现场检查", "整改报告", "复查验收", "督办确认", "领导审批"]
ENDPOINTS = [  # (label, who, url, goal applies)
    ("inbox page  GET /?scope=team", "insp", "/?scope=team", True),
    ("inbox API   GET /api/v1/tasks?scope=team", "insp-api", "/api/v1/tasks?scope=team", True),
    ("instances   GET /admin/instances?status=error", "admin", "/admin/instances?status=error", True),
    ("instances   GET /admin/instances?status=running", "admin", "/admin/instances?status=running", True),
    ("(info) API  GET /api/v1/instances?status=error", "admin-api", "/api/v1/instances?status=error", False),
    ("(info) API  GET /api/v1/instances?status=running", "admin-api", "/api/v1/instances?status=running", False),
]


# --- databases ------------------------------------------------------------------------------------

@contextlib.contextmanager
def sqlite_database(folder: Path, name: str):
    """A fresh SQLite file; yields its URL."""
    path = folder / f"inbox-{name}.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    try:
        yield f"sqlite:///{path}"
    finally:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)


@contextlib.contextmanager
def postgres_database(base_url: str, name: str):
    """A fresh schema on the PostgreSQL server, dropped afterwards; yields the URL that uses it."""
    with pg_schema(base_url, f"gs_bench_inbox_{name}") as url:
        yield url


# --- seeding --------------------------------------------------------------------------------------

def state_templates() -> str:
    """The state JSON of one real finished bench_minimal instance (used for every synthetic row)."""
    with tempfile.TemporaryDirectory() as tmp:
        sa = make_engine(f"sqlite:///{tmp}/probe.db")
        migrate.upgrade(sa)
        sessions = make_session_factory(sa)
        eng = Engine(clock=FixedClock(NOW), form_check=functools.partial(forms.problem, folder=FORMS_DIR))
        with sessions() as s:
            assert eng.deploy_source(s, DIAGRAM.name, DIAGRAM.read_bytes(), "bench").status == "deployed"
        with sessions() as s:
            inst = eng.start_instance(s, "bench_minimal", actor="bench", data={"team": INSPECTOR_TEAM})
            task_id = s.scalars(select(HumanTask.id).where(HumanTask.instance_id == inst.id)).one()
        with sessions() as s:
            state = eng.complete_task(s, task_id, {"passed": True}, "bench").state
        sa.dispose()
    return state


def seed_people(app, clock) -> dict[str, str]:
    """Branches, 50 teams, one member per team, the inspector and the admin; API tokens for both."""
    from webui import db
    with app.app_context():
        session = db.session()
        company = Branch(code="BC", name="吉安供电公司", kind="company")
        session.add(company)
        session.flush()
        counties, teams = [], []
        for c in range(1, COUNTIES + 1):
            county = Branch(code=f"BC-{c:02d}", name=f"县公司{c}", kind="county", parent_id=company.id)
            session.add(county)
            session.flush()
            counties.append(county)
            for t in range(TEAMS_PER_COUNTY):
                code = f"T{(c - 1) * TEAMS_PER_COUNTY + t + 1:02d}"
                teams.append(Team(code=code, name=f"检查组{code}", branch_id=county.id))
        session.add_all(teams)
        session.flush()
        probe = User()
        probe.set_password(PASSWORD)   # scrypt is slow: hash once, share it

        def user(username, roles, team_list, branch):
            u = User(username=username, display_name=username.upper(), created_at=clock.now(), locale="zh_CN",
                     branch=branch, teams=team_list, active=True, password_hash=probe.password_hash)
            u.set_roles(roles)
            session.add(u)
            return u

        by_code = {t.code: t for t in teams}
        home = next(c for c in counties if c.id == by_code[INSPECTOR_TEAM].branch_id)
        inspector = user("insp", ["inspector"], [by_code[INSPECTOR_TEAM]], home)
        admin = user("admin", ["admin"], [], company)
        for t in teams:
            user(f"mate_{t.code}", ["inspector"], [t], next(c for c in counties if c.id == t.branch_id))
        session.flush()
        out = {"insp": tokens.create(session, inspector, "bench", clock.now())[1],
               "admin": tokens.create(session, admin, "bench", clock.now())[1]}
        session.commit()
    return out


def seed_models(app) -> dict[str, int]:
    """Deploy bench_minimal through the engine; the other process ids get synthetic versions."""
    from webui import db, engine_of
    with app.app_context():
        session = db.session()
        assert engine_of(app).deploy_source(session, DIAGRAM.name, DIAGRAM.read_bytes(), "bench").status == "deployed"
        versions = dict(session.execute(select(Definition.definition_id, Definition.model_version_id)).all())
        now = engine_of(app).clock.now()
        for pid, title in PROCESSES.items():
            if pid in versions:
                continue
            mv = ModelVersion(name=pid, kind="bpmn", version=1, content_hash=uuid.uuid4().hex * 2,
                              source="<synthetic/>", spec_json=None, process_ids=[pid], dependencies={},
                              deployed_at=now, deployed_by="bench")
            session.add(mv)
            session.flush()
            session.add(Definition(kind="process", definition_id=pid, title=title, model_version_id=mv.id))
            versions[pid] = mv.id
        session.commit()
    return versions


def _rows(completed: int, open_: int, versions: dict, state: str, now: datetime, seed: int = 7):
    """Batches of (instance rows, task rows): completed tasks first (oldest), then the open ones."""
    rng = random.Random(seed)
    teams = [f"T{i:02d}" for i in range(1, COUNTIES * TEAMS_PER_COUNTY + 1)]
    county_of = {t: f"BC-{(int(t[1:]) - 1) // TEAMS_PER_COUNTY + 1:02d}" for t in teams}
    pids = list(PROCESSES)
    total = completed + open_
    first = now - timedelta(days=730)
    step = timedelta(days=670) / max(completed, 1)          # completed ones: over the last two years
    open_step = timedelta(days=60) / max(open_, 1)            # open ones: the last 60 days
    instances, tasks = [], []
    for i in range(total):
        is_open = i >= completed
        created = (now - timedelta(days=60) + (i - completed) * open_step) if is_open else first + i * step
        team = rng.choice(teams)
        r = rng.random()
        lane, group = ("inspector", team) if r < 0.80 else ("leader", county_of[team]) if r < 0.95 else \
            ("specialist", None if rng.random() < 0.5 else "BC")
        pid = rng.choice(pids)
        key = f"YH-{i + 1:08d}"
        customer = f"90{rng.randrange(1, 20000):08d}"
        if is_open:
            status, t_status, done_at, done_by, assignee = "running", "ready", None, None, None
            if rng.random() < 0.10:
                assignee = f"mate_{team}"                        # taken by a teammate: out of the team queue
            due = None if rng.random() < 0.10 else now + timedelta(hours=rng.uniform(-20 * 24, 30 * 24))
            wake = None
        else:
            s = rng.random()
            status = "completed" if s < 0.96 else "waiting" if s < 0.98 else "error" if s < 0.99 else \
                "terminated" if s < 0.997 else "suspended"
            t_status = "cancelled" if status == "terminated" or rng.random() < 0.03 else "completed"
            done_at = created + timedelta(hours=rng.uniform(1, 240))
            done_by = None if t_status == "cancelled" else f"mate_{team}"
            assignee, due = None, created + timedelta(days=7)
            wake = now + timedelta(days=rng.uniform(1, 30)) if status == "waiting" else None
        iid = i + 1
        instances.append({
            "id": iid, "process_id": pid, "model_version_id": versions[pid], "business_key": key,
            "title": PROCESSES[pid], "subject": customer, "status": status, "state": state, "lock_version": 3,
            "next_wake_at": wake, "started_by": "spec", "created_at": created,
            "updated_at": done_at or created, "completed_at": done_at if status == "completed" else None,
            "error_message": "the SMS gateway did not answer" if status == "error" else None,
            "error_element": "notify" if status == "error" else None, "error_task_id": None,
            "error_traceback": "Traceback (most recent call last): ...\nTimeoutError" if status == "error" else None,
            "suspended_reason": "waiting for the customer" if status == "suspended" else None,
            "audit_seq": 3, "audit_hash": "0" * 64})
        tasks.append({
            "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)), "instance_id": iid, "process_id": pid,
            "element_id": "check", "title": TASK_TITLES[i % len(TASK_TITLES)], "lane": lane,
            "candidate_team": group, "assignee": assignee, "form": "minimal.schema.json", "ui_form": None,
            "due_at": due, "business_key": key, "subject": customer, "instance_title": PROCESSES[pid],
            "instructions": None, "status": t_status, "created_at": created, "completed_at": done_at,
            "completed_by": done_by, "lock_version": 2 if is_open else 3})
        if len(instances) == BATCH:
            yield instances, tasks
            instances, tasks = [], []
    if instances:
        yield instances, tasks


def _driver_sql(table, dialect: str) -> tuple[str, list[str]]:
    """INSERT statement of all columns with the driver's placeholders, and the column order."""
    columns = [c.name for c in table.columns]
    mark = "?" if dialect == "sqlite" else "%s"
    return f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({', '.join([mark] * len(columns))})", columns


def _sqlite_time(value):
    """What SQLAlchemy's SQLite DateTime stores (naive UTC text with microseconds)."""
    if value is None:
        return None
    return value.astimezone(timezone.utc).replace(tzinfo=None).isoformat(" ", "microseconds")


def _pg_time(value):
    return None if value is None else value.astimezone(timezone.utc).replace(tzinfo=None)


def seed_tasks(url: str, completed: int, open_: int, versions: dict, state: str, now: datetime) -> float:
    """Bulk inserts: Core executemany at the driver level (values converted here, as the models' types
    would), in batches of BATCH, in one transaction. Returns seconds taken."""
    sa = create_engine(url)
    if sa.dialect.name == "sqlite":      # a plain connection for the bulk load: no WAL, a large page cache

        @event.listens_for(sa, "connect")
        def _pragmas(dbapi_connection, _record):
            cursor = dbapi_connection.cursor()
            for pragma in ("journal_mode=DELETE", "synchronous=OFF", "cache_size=-500000", "temp_store=MEMORY"):
                cursor.execute(f"PRAGMA {pragma}")
            cursor.close()
    convert = _sqlite_time if sa.dialect.name == "sqlite" else _pg_time
    plans = []
    for table in (ProcessInstance.__table__, HumanTask.__table__):
        sql, columns = _driver_sql(table, sa.dialect.name)
        times = [i for i, c in enumerate(columns) if isinstance(table.c[c].type, UTCDateTime)]
        # columns this script does not know (added later) get their scalar default, else NULL
        defaults = {c: getattr(table.c[c].default, "arg", None) if getattr(table.c[c].default, "is_scalar", False)
                    else None for c in columns}
        plans.append((sql, columns, times, defaults))
    started = time.perf_counter()
    done = 0
    with sa.begin() as conn:
        for batches in _rows(completed, open_, versions, state, now):
            for (sql, columns, times, defaults), rows in zip(plans, batches):
                tuples = []
                for row in rows:
                    values = [row[c] if c in row else defaults[c] for c in columns]
                    for i in times:
                        values[i] = convert(values[i])
                    tuples.append(tuple(values))
                conn.exec_driver_sql(sql, tuples)
            done += len(batches[1])
            if done % 200_000 == 0:
                print(f"    {done:>9,} tasks ... {time.perf_counter() - started:5.1f} s", flush=True)
        if sa.dialect.name == "postgresql":   # the engine inserts instances with the sequence later
            conn.execute(text("SELECT setval(pg_get_serial_sequence('process_instance', 'id'), "
                              "(SELECT max(id) FROM process_instance))"))
    if sa.dialect.name == "postgresql":
        with sa.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))   # what autovacuum does soon after a bulk load
    sa.dispose()
    return time.perf_counter() - started


# --- measuring ------------------------------------------------------------------------------------

def work_around_pager_bug(app) -> bool:
    """admin/instances.html does `{% set _ = args.update(...) %}` in its pager, which rebinds gettext `_`
    to None, so the page fails (500) whenever there is a next page. To time the page anyway, this
    process renders an in-memory copy with that variable renamed (the file is not touched). Returns
    whether the bug was found (then the report says so)."""
    from jinja2 import ChoiceLoader, DictLoader
    name = "admin/instances.html"
    source, _filename, _uptodate = app.jinja_env.loader.get_source(app.jinja_env, name)
    if "{% set _ = " not in source:
        return False
    patched = source.replace("{% set _ = ", "{% set _pager = ")
    app.jinja_env.loader = ChoiceLoader([DictLoader({name: patched}), app.jinja_env.loader])
    return True


class SqlMeter:
    """Records the statements the app's engine executes (text, parameters, seconds)."""

    def __init__(self, sa):
        self.calls: list = []
        self._started = 0.0
        event.listen(sa, "before_cursor_execute", self._before)
        event.listen(sa, "after_cursor_execute", self._after)

    def _before(self, _conn, _cursor, _statement, _parameters, _context, _executemany):
        self._started = time.perf_counter()

    def _after(self, _conn, _cursor, statement, parameters, _context, _executemany):
        self.calls.append((statement, parameters, time.perf_counter() - self._started))

    def take(self) -> list:
        calls, self.calls = self.calls, []
        return calls


def measure(app, clients: dict, meter: SqlMeter, requests: int, warmup: int) -> dict:
    """{label: {median, p95, sql_median, queries, statements}} for every endpoint.

    Round-robin over the endpoints (one request each per round), so that a noisy neighbour on this
    small machine hits all of them alike."""
    samples = {label: {"times": [], "sql": [], "queries": []} for label, *_ in ENDPOINTS}
    for round_ in range(warmup + requests):
        for label, who, url, _goal in ENDPOINTS:
            client, headers = clients[who]
            meter.take()
            started = time.perf_counter()
            response = client.get(url, headers=headers)
            elapsed = (time.perf_counter() - started) * 1000
            calls = meter.take()
            assert response.status_code == 200, (url, response.status_code, response.get_data(as_text=True)[:300])
            if round_ >= warmup:
                samples[label]["times"].append(elapsed)
                samples[label]["sql"].append(sum(c[2] for c in calls) * 1000)
                samples[label]["queries"].append(len(calls))
    out = {}
    for label, who, url, _goal in ENDPOINTS:
        client, headers = clients[who]
        meter.take()
        client.get(url, headers=headers)
        s = samples[label]
        out[label] = {"median": statistics.median(s["times"]), "p95": pct(s["times"], 0.95),
                      "sql_median": statistics.median(s["sql"]), "queries": statistics.median(s["queries"]),
                      "statements": meter.take()}
    return out


def profile(app, clients: dict, match: str, requests: int) -> None:
    """Profile `requests` requests of each endpoint whose label contains `match` (pyinstrument, else cProfile)."""
    for label, who, url, _goal in ENDPOINTS:
        if match not in label:
            continue
        client, headers = clients[who]
        print(f"\n--- profile of {requests} x {label} ---")
        try:
            from pyinstrument import Profiler
        except ImportError:
            import cProfile
            import pstats
            prof = cProfile.Profile()
            prof.enable()
            for _ in range(requests):
                client.get(url, headers=headers)
            prof.disable()
            pstats.Stats(prof).sort_stats("cumulative").print_stats(40)
            continue
        profiler = Profiler(interval=0.0005)
        profiler.start()
        for _ in range(requests):
            client.get(url, headers=headers)
        profiler.stop()
        print(profiler.output_text(unicode=False, color=False, show_all=False))


def explain(app, statements: list, title: str, *, analyze: bool = True) -> None:
    """Print the plan of every statement that reads human_task or process_instance."""
    sa = app.extensions["gridsafe.sa"]
    print(f"\n--- {title} ---")
    for statement, parameters, seconds in statements:
        if "human_task" not in statement and "process_instance" not in statement:
            continue
        print(f"\n[{seconds * 1000:6.2f} ms] {' '.join(statement.split())[:400]}")
        print(f"  parameters: {parameters}")
        with sa.execution_options(gridsafe_read_only=True).connect() as conn:
            if sa.dialect.name == "sqlite":
                rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()
                depth = {0: 0}
                for node, parent, _unused, detail in rows:
                    depth[node] = depth.get(parent, 0) + 1
                    print("  " + "  " * depth[node] + detail)
            else:
                prefix = "EXPLAIN (ANALYZE, BUFFERS) " if analyze else "EXPLAIN "
                for (line,) in conn.exec_driver_sql(prefix + statement, parameters).all():
                    print("  " + line)


def run_size(name: str, url: str, folder: Path, args, state: str) -> dict:
    completed, open_ = SIZES[name]
    if name == "large":
        completed, open_ = args.large_completed, args.large_open
    print(f"\n=== {name}: {completed:,} completed + {open_:,} open human tasks, {completed + open_:,} instances "
          f"({'PostgreSQL' if url.startswith('postgresql') else 'SQLite'}) ===", flush=True)
    sa = make_engine(url)
    migrate.upgrade(sa)
    sa.dispose()
    clock = FixedClock(NOW)
    config = {"ENV": "testing", "SECRET_KEY": "bench-secret", "DATABASE_URL": url, "DATA_DIR": str(folder / "data"),
              "FORMS_DIR": str(FORMS_DIR), "CLOCK": clock, "WTF_CSRF_ENABLED": False}
    app = create_app(config)
    api_tokens = seed_people(app, clock)
    versions = seed_models(app)
    app.extensions["gridsafe.sa"].dispose()
    print(f"  seeding {completed + open_:,} tasks and instances (batches of {BATCH:,}) ...", flush=True)
    seconds = seed_tasks(url, completed, open_, versions, state, clock.now())
    print(f"  seeded in {seconds:.1f} s ({(completed + open_) * 2 / seconds:,.0f} rows/s)", flush=True)
    if args.sqlite_analyze and url.startswith("sqlite"):
        with make_engine(url).begin() as conn:
            conn.exec_driver_sql("ANALYZE")
        print("  ANALYZE done (sqlite_stat1)")
    app = create_app(config)             # a fresh app: nothing cached from seeding
    if work_around_pager_bug(app):
        print("  NOTE: webui/templates/admin/instances.html fails with a 500 when there is a next page "
              "(`{% set _ = ...%}` shadows gettext); timing an in-memory copy with that one name changed")
    meter = SqlMeter(app.extensions["gridsafe.sa"])
    clients = {}
    for who in ("insp", "admin"):
        client = app.test_client()
        response = client.post("/login", data={"username": who, "password": PASSWORD})
        assert response.status_code == 302, f"login of {who} failed: {response.status_code}"
        clients[who] = (client, {})
        clients[f"{who}-api"] = (app.test_client(), {"Authorization": f"Bearer {api_tokens[who]}"})
    load_before = os.getloadavg()[0]
    results = measure(app, clients, meter, args.requests, args.warmup)
    print(f"  load average (1 min) before/after measuring: {load_before:.2f} / {os.getloadavg()[0]:.2f} "
          f"on {os.cpu_count()} CPUs (anything else running makes the numbers noisy)")
    print(f"  {'endpoint':<50} {'median':>8} {'p95':>8} {'SQL med':>8} {'queries':>8}")
    for label, r in results.items():
        print(f"  {label:<50} {r['median']:7.1f}ms {r['p95']:7.1f}ms {r['sql_median']:7.1f}ms {r['queries']:>8.0f}")
    if args.show_sql:
        for label, r in results.items():
            print(f"\n  statements of one request, {label}:")
            for statement, _params, seconds in r["statements"]:
                print(f"    {seconds * 1000:7.2f} ms  {' '.join(statement.split())[:160]}")
    if args.profile is not None and name == args.profile_size:
        profile(app, clients, args.profile, args.requests)
    if name == "large" or args.explain_small:
        explain(app, results[ENDPOINTS[0][0]]["statements"],
                f"{name}: plans of the inbox queries (GET /?scope=team, as the inspector)")
        if args.explain_instances:
            explain(app, results[ENDPOINTS[2][0]]["statements"],
                    f"{name}: plans of the instance list queries (GET /admin/instances?status=error)")
    app.extensions["gridsafe.sa"].dispose()
    return results


def report(results: dict, backend: str) -> None:
    print(f"\n=== results ({backend}; ms, in-process request time) ===")
    have_small, have_large = "small" in results, "large" in results
    head = f"{'endpoint':<50}"
    if have_small:
        head += f" {'small med':>9} {'small p95':>9}"
    if have_large:
        head += f" {'large med':>9} {'large p95':>9} {'p95<50ms':>9}"
    if have_small and have_large:
        head += f" {'ratio':>6} {'<=2x':>5}"
    print(head)
    met_all = True
    for label, _who, _url, goal in ENDPOINTS:
        line = f"{label:<50}"
        if have_small:
            s = results["small"][label]
            line += f" {s['median']:9.1f} {s['p95']:9.1f}"
        if have_large:
            big = results["large"][label]
            ok = big["p95"] < GOAL_P95_MS
            line += f" {big['median']:9.1f} {big['p95']:9.1f} {('met' if ok else 'NOT met') if goal else '-':>9}"
            met_all &= ok or not goal
        if have_small and have_large:
            ratio = results["large"][label]["p95"] / results["small"][label]["p95"]
            ok = ratio <= GOAL_RATIO
            line += f" {ratio:5.1f}x {('met' if ok else 'NOT') if goal else '-':>5}"
            met_all &= ok or not goal
        print(line)
    print(f"goals (p95 < {GOAL_P95_MS:.0f} ms at the large size; large p95 <= {GOAL_RATIO:.0f}x small p95):",
          "all met" if met_all else "NOT all met")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog="\n".join(__doc__.splitlines()[2:]))
    parser.add_argument("--postgres", action="store_true", help="run on PostgreSQL (a temporary schema)")
    parser.add_argument("--pg-url", default=PG_BASE_URL, help=f"PostgreSQL server (default {PG_BASE_URL})")
    parser.add_argument("--sizes", default="small,large", help="comma-separated: small, large (default both)")
    parser.add_argument("--large-completed", type=int, default=SIZES["large"][0], help="completed tasks (large)")
    parser.add_argument("--large-open", type=int, default=SIZES["large"][1], help="open tasks (large)")
    parser.add_argument("--requests", type=int, default=100, help="measured requests per endpoint (default 100)")
    parser.add_argument("--warmup", type=int, default=5, help="warm-up requests per endpoint (default 5)")
    parser.add_argument("--sqlite-analyze", action="store_true",
                        help="run ANALYZE after seeding SQLite (the app never does; off by default)")
    parser.add_argument("--show-sql", action="store_true", help="print the statements of one request per endpoint")
    parser.add_argument("--explain-small", action="store_true", help="also print the plans at the small size")
    parser.add_argument("--explain-instances", action="store_true",
                        help="also print the plans of the instance list queries")
    parser.add_argument("--profile", metavar="TEXT", default=None,
                        help="profile the endpoints whose label contains TEXT (e.g. 'status=running')")
    parser.add_argument("--profile-size", default="large", help="size at which to profile (default large)")
    parser.add_argument("--workdir", type=Path, default=None, help="folder for the SQLite files (default: a temp folder)")
    args = parser.parse_args()
    sizes = [s.strip() for s in args.sizes.split(",") if s.strip()]
    unknown = set(sizes) - set(SIZES)
    if unknown:
        parser.error(f"unknown size(s): {', '.join(sorted(unknown))}")
    state = state_templates()
    backend = "PostgreSQL" if args.postgres else "SQLite (file, WAL, synchronous=NORMAL)"
    results = {}
    with tempfile.TemporaryDirectory(dir=args.workdir) as tmp:
        folder = Path(tmp)
        for name in sizes:
            database = postgres_database(args.pg_url, name) if args.postgres else sqlite_database(folder, name)
            with database as url:
                results[name] = run_size(name, url, folder, args, state)
    report(results, backend)


if __name__ == "__main__":
    main()
