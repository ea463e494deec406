"""The hazard lifecycle at work and at scale.

1. lifecycle  The whole on-time path of hazard_lifecycle.bpmn driven through the engine API with the
              real handlers, forms, risk table and documents (.docx rendered and archived): open with
              two photos -> deliver the notice (signature) -> report rectified -> accept on site
              (after-photos, signature) -> the team head approves the close-out. Each step is one
              engine transaction, as the web layer makes it. Prints hazards per second and the median
              of every step; one notice is read back with python-docx to show it is a real file.
2. list       GET /hazards (the HTML list, Flask test client, all middleware) with 200,000 hazards in
              the table over 5 county branches, 50 teams and 2,000 customers (opened over three
              years): page 1 unfiltered, open ones, overdue ones, by customer, by file
              number fragment, a deep page; as the specialist (sees all), a team inspector and a
              county supervisor. Hazards older than 180 days are closed (97%) or cancelled; the
              younger ones have every status. Median and p95 over --requests requests.
              Goal: p95 under 100 ms.
3. chase      One hazard chased 50 times (deadline passes -> supervision order delivered, 50 rounds):
              milliseconds per round at rounds 1, 10 and 50 and the size of the stored state; the
              goal is flat: round 50 costs about what round 1 does.

Part 1 runs three times by default (--render all): documents rendered in each step (inline, the old
way); queued by the steps and rendered meanwhile by a render worker in another process (deferred: on a
small machine the worker takes CPU from the steps); queued by the steps and rendered by the worker once
they are done (queued: what the steps cost when the renders run on spare capacity, e.g. another node).
It prints each rate against inline (goal >= 3x), each step's median and p95 (goal: a step that makes a
document < 25 ms p95) and how long the worker needed after the last step.

The rows of part 2 are bulk-inserted with SQLAlchemy Core (batches of 10,000, one transaction), not
through the engine; PostgreSQL gets VACUUM ANALYZE after the load (autovacuum would soon), SQLite
gets ANALYZE only with --sqlite-analyze (the scheduler runs it daily).

Run: .venv/bin/python bench/hazard_lifecycle.py              (SQLite file databases in a temp folder)
     .venv/bin/python bench/hazard_lifecycle.py --postgres   (also a fresh schema on 127.0.0.1:5432/test)
     options: --lifecycles 100 --hazards 200000 --requests 40 --only lifecycle|list|chase
              --render all|inline|deferred|queued
"""
from __future__ import annotations

import argparse
import contextlib
import io
import os
import random
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from datetime import timedelta
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))      # the same driver the lifecycle tests use

import docx  # noqa: E402
from sqlalchemy import event, func, select, text  # noqa: E402

from benchlib import pct, pg_schema  # noqa: E402

from engine import FixedClock  # noqa: E402
from engine.database import make_engine, make_session_factory  # noqa: E402
from records import Branch, Customer, Document, Hazard, Team, User, dictionary  # noqa: E402
from services import heap, migrate  # noqa: E402
from webui import create_app  # noqa: E402

PG_BASE_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
NOW = "2026-03-02T01:00:00+00:00"
PASSWORD = "bench-password-1"


# --- databases ------------------------------------------------------------------------------------

@contextlib.contextmanager
def database(kind: str, folder: Path, name: str):
    """A fresh, migrated database (SQLite file or PostgreSQL schema, dropped after); yields its URL."""
    with contextlib.ExitStack() as stack:
        url = f"sqlite:///{folder / (name + '.db')}" if kind == "sqlite" else \
            stack.enter_context(pg_schema(PG_BASE_URL, f"gs_bench_{name}"))
        sa = make_engine(url)
        migrate.upgrade(sa)
        sa.dispose()
        yield url


class AllDiagrams:
    """HazardWorld deploying every table and diagram of bpmn/ (the risk table the lifecycle calls too)."""

    @staticmethod
    def make(sessions, clock, folder, render: str | None = None):
        from hazard_support import HazardWorld
        from services import config
        from services.runtime import build_engine

        class World(HazardWorld):
            DIAGRAMS = ()

            def __init__(self, *args):
                super().__init__(*args)
                with self.sessions() as s:
                    results = self.engine.deploy_folder(s, ROOT / "bpmn", "bench")
                    bad = [r for r in results if r.status not in ("deployed", "unchanged")]
                    assert not bad, [str(r) for r in bad]
                if render:                   # DOCUMENTS_RENDER: inline (the old way) or worker_only
                    self.settings = config.load({**self.settings, "DOCUMENTS_RENDER": render}, environ={})
                    self.engine = build_engine(self.settings, clock, self.files)
        return World(sessions, clock, folder)


def render_worker(url: str, folder: str, stop, drained) -> None:
    """A dedicated render worker (its own process, as on another node): sweeps until told to stop."""
    from services import rendering, runtime
    rt = runtime.build({"ENV": "testing", "SECRET_KEY": "bench", "DATABASE_URL": url, "DATA_DIR": folder,
                        "DOCUMENTS_RENDER": "worker_only", "RUN_SCENARIOS": False}, clock=FixedClock(NOW))
    rt.engine.clock.set("2030-01-01T00:00:00+00:00")   # every job is due whatever the steps' clock says
    while True:
        stopping = stop.is_set()
        if not rendering.render_due(rt)["rendered"]:
            if stopping:
                break
            time.sleep(0.02)                            # a bench poll; the app wakes its worker instead
    drained.set()


# --- 1. lifecycles --------------------------------------------------------------------------------

def lifecycles(url: str, folder: Path, n: int, render: str = "inline") -> dict:
    """render: inline (each step renders its documents, the old way), deferred (steps queue them; a render
    worker in another process renders them meanwhile) or queued (the worker starts after the last step);
    the time the worker needed after the last step is reported too."""
    import multiprocessing
    sa = make_engine(url)
    sessions = make_session_factory(sa)
    clock = FixedClock(NOW)
    world = AllDiagrams.make(sessions, clock, folder, "inline" if render == "inline" else "worker_only")
    heap.settle()                   # as a server worker does once its app is loaded (services.heap)
    worker = None
    context = multiprocessing.get_context("spawn")
    stop, drained = context.Event(), context.Event()
    if render != "inline":
        worker = context.Process(target=render_worker, args=(url, str(folder), stop, drained), daemon=True)
    if render == "deferred":
        worker.start()
    photos = [world.photo(1), world.photo(2)]
    after = [world.photo(11), world.photo(12)]
    signature = world.signature()
    steps: dict[str, list[float]] = defaultdict(list)
    statements: dict[str, int] = defaultdict(int)        # SQL statements the steps sent, per step label
    current = [None]

    @event.listens_for(sa, "before_cursor_execute")
    def count(*_args):
        if current[0] is not None:
            statements[current[0]] += 1

    def timed(label, fn, *args, **kwargs):
        current[0] = label
        started = time.perf_counter()
        try:
            result = fn(*args, **kwargs)
        finally:
            current[0] = None
        steps[label].append((time.perf_counter() - started) * 1000)
        return result

    def complete(iid, element, data, actor="insp1"):
        task = world.task(iid, element)
        with sessions() as s:
            return timed(element, world.engine.complete_task, s, task.id, data, actor)

    def one():
        iid = timed("open (files, grades, the notice)", world.open, "EP02", "hospital",
                    photos=photos)
        complete(iid, "deliver_notice", {"signer_name": "王电工", "signer_post": "电气主管", "signature": signature})
        complete(iid, "follow_up", {"action": "rectified", "measures": "增购 200kW 发电机",
                                    "completed_on": clock.now().date().isoformat()})
        complete(iid, "accept_on_site", {"method": "on_site", "second_inspector": "李检查", "checks": "复核",
                                         "result": "pass", "after_photos": after, "signer_name": "王电工",
                                         "customer_signature": signature})
        complete(iid, "close_approval", {"approved": "yes", "comment": "同意销号"}, actor="head1")
        return iid

    for _ in range(3):       # warm-up: caches, first-render costs
        one()
    steps.clear()
    statements.clear()
    started = time.perf_counter()
    last = None
    for _ in range(n):
        last = one()
        clock.advance(minutes=5)
    seconds = time.perf_counter() - started
    drain = 0.0
    if render == "queued":
        worker.start()
    if worker is not None:
        stop.set()
        drained.wait(600)
        drain = time.perf_counter() - started - seconds
        worker.join(30)
    with sessions() as s:
        hazard = s.scalars(select(Hazard).where(Hazard.instance_id == last)).one()
        assert hazard.status == "closed", hazard.status
        documents = s.scalar(select(func.count()).select_from(Document))
        notice = s.scalars(select(Document).where(Document.hazard_id == hazard.id, Document.kind == "hazard_notice")
                           .order_by(Document.version.desc())).first()
        text_of_notice = "\n".join(p.text for p in docx.Document(io.BytesIO(world.files.get(notice.sha256))).paragraphs)
        assert hazard.file_number in text_of_notice
        pending = s.scalar(select(func.count()).select_from(Document).where(Document.sha256.is_(None)))
    sa.dispose()
    assert not pending, f"{pending} documents were not rendered"
    return {"n": n, "seconds": seconds, "per_second": n / seconds, "documents": documents, "drain": drain,
            "steps": {k: (statistics.median(v), pct(v, 0.95), statements[k] / len(v)) for k, v in steps.items()}}


# --- 2. the list at 200,000 -----------------------------------------------------------------------

def seed_list(url: str, hazards: int, clock, analyze: bool = False) -> dict:
    """Branches, teams, people, customers through the ORM; hazards by Core bulk insert."""
    sa = make_engine(url)
    sessions = make_session_factory(sa)
    rng = random.Random(11)
    now = clock.now()
    with sessions() as s:
        dictionary.seed(s, now)
        items = [i for i in dictionary.current_items(s)]
        company = Branch(code="JA", name="吉安供电公司", kind="company")
        s.add(company)
        s.flush()
        counties, teams = [], []
        for c in range(1, 6):
            county = Branch(code=f"JA-C{c}", name=f"县公司{c}", kind="county", parent_id=company.id)
            s.add(county)
            s.flush()
            counties.append(county)
            for t in range(10):
                teams.append(Team(code=f"T{(c - 1) * 10 + t + 1:02d}", name=f"检查组{c}-{t + 1}", branch_id=county.id))
        s.add_all(teams)
        s.flush()
        probe = User()
        probe.set_password(PASSWORD)

        def user(username, role, branch, team_list):
            u = User(username=username, display_name=username, password_hash=probe.password_hash, created_at=now,
                     branch=branch, active=True, locale="zh_CN", teams=team_list)
            u.set_roles([role])
            s.add(u)

        user("spec", "specialist", company, [])
        user("insp", "inspector", counties[0], [teams[0]])
        user("sup", "supervisor", counties[0], [])
        customers = []
        for k in range(2000):
            team = teams[k % 50]
            customers.append(Customer(number=f"36001{k:05d}", name=f"客户{k}", branch_id=team.branch_id,
                                      importance=("special", "first", "second", "temporary")[k % 4], contacts=[],
                                      default_team_id=team.id, created_at=now, updated_at=now))
        s.add_all(customers)
        s.commit()
        customer_rows = [(c.id, c.number, c.branch_id, c.default_team_id) for c in customers]
        item_rows = [(i.code, i.default_severity, {"code": i.code, "name_zh": i.name_zh}) for i in items]
    statuses = ["closed"] * 75 + ["rectifying"] * 10 + ["overdue"] * 4 + ["supervising"] * 3 + \
               ["pending_acceptance"] * 4 + ["found"] * 2 + ["cancelled"] * 2
    started = time.perf_counter()
    with sa.begin() as conn:
        batch = []
        for k in range(hazards):
            cid, _number, branch_id, team_id = customer_rows[rng.randrange(len(customer_rows))]
            code, severity, item = item_rows[rng.randrange(len(item_rows))]
            opened = now - timedelta(minutes=rng.randrange(3 * 365 * 24 * 60))
            deadline = opened + timedelta(days=rng.choice((7, 15, 30, 90)))
            # old hazards are settled; the open ones are the recent ones (as in the field)
            status = rng.choice(statuses) if now - opened < timedelta(days=180) else \
                ("closed" if rng.random() < 0.97 else "cancelled")
            year = opened.year
            batch.append({"file_number": f"YH-{branch_id:02d}-{year}-{k + 1:07d}", "customer_id": cid,
                          "branch_id": branch_id, "team_id": team_id, "item_code": code, "item": item,
                          "severity": severity, "location": "配电室", "description": "bench", "photos": [],
                          "after_photos": [], "status": status, "deadline": deadline, "original_deadline": deadline,
                          "supervision_count": 0, "refused_to_sign": False, "reported_to_government": False,
                          "opened_by": "insp", "opened_at": opened,
                          "closed_at": deadline if status == "closed" else None, "lock_version": 1})
            if len(batch) == 10_000:
                conn.execute(Hazard.__table__.insert(), batch)
                batch = []
        if batch:
            conn.execute(Hazard.__table__.insert(), batch)
    seconds = time.perf_counter() - started
    if sa.dialect.name == "postgresql":
        with sa.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    elif analyze:
        with sa.begin() as conn:
            conn.exec_driver_sql("ANALYZE")          # what the scheduler's daily job does
    sa.dispose()
    return {"seconds": seconds, "customer": customer_rows[7][1]}


def hazard_list(url: str, folder: Path, hazards: int, requests: int, analyze: bool = False) -> dict:
    clock = FixedClock(NOW)
    print(f"  seeding {hazards:,} hazards ...", flush=True)
    seeded = seed_list(url, hazards, clock, analyze)
    print(f"  seeded in {seeded['seconds']:.1f} s", flush=True)
    app = create_app({"ENV": "testing", "SECRET_KEY": "bench", "DATABASE_URL": url, "DATA_DIR": str(folder / "data"),
                      "CLOCK": clock, "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False})
    clients = {}
    for who in ("spec", "insp", "sup"):
        client = app.test_client()
        response = client.post("/login", data={"username": who, "password": PASSWORD})
        assert response.status_code == 302, f"login of {who} failed"
        clients[who] = client
    urls = [("spec", "/hazards"), ("spec", "/hazards?status=open"), ("spec", "/hazards?overdue=1"),
            ("spec", f"/hazards?customer={seeded['customer']}"), ("spec", "/hazards?q=2025-00012"),
            ("spec", "/hazards?status=closed&page=200"), ("insp", "/hazards?status=open"),
            ("sup", "/hazards?status=open"), ("sup", "/hazards?severity=major")]
    times: dict = defaultdict(list)
    for round_ in range(3 + requests):
        for who, path in urls:
            started = time.perf_counter()
            response = clients[who].get(path)
            elapsed = (time.perf_counter() - started) * 1000
            assert response.status_code == 200, (path, response.status_code)
            if round_ >= 3:
                times[(who, path)].append(elapsed)
    app.extensions["gridsafe.sa"].dispose()
    return {key: (statistics.median(v), pct(v, 0.95)) for key, v in times.items()}


# --- 3. chase 50 ----------------------------------------------------------------------------------

def chase(url: str, folder: Path) -> dict:
    from engine import ProcessInstance
    sa = make_engine(url)
    sessions = make_session_factory(sa)
    clock = FixedClock(NOW)
    world = AllDiagrams.make(sessions, clock, folder)
    iid = world.open(item_code="EN03")
    world.sign(iid)
    rounds = {}
    for n in range(1, 51):
        world.clock.set(world.hazard(iid).deadline)
        started = time.perf_counter()
        fired = world.tick(seconds=1).fired
        world.supervise(iid)
        elapsed = (time.perf_counter() - started) * 1000
        assert fired == 1
        if n in (1, 10, 50):
            with sessions() as s:
                rounds[n] = (elapsed, len(s.get(ProcessInstance, iid).state))
    sa.dispose()
    return rounds


# --- main -----------------------------------------------------------------------------------------

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lifecycles", type=int, default=100)
    parser.add_argument("--hazards", type=int, default=200_000)
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--postgres", action="store_true", help="also on PostgreSQL (127.0.0.1:5432/test)")
    parser.add_argument("--only", choices=("lifecycle", "list", "chase"))
    parser.add_argument("--render", choices=("all", "inline", "deferred", "queued"), default="all",
                        help="documents rendered in the step (inline, the old way) or after it by a render "
                             "worker running meanwhile (deferred) or once the steps are done (queued)")
    parser.add_argument("--sqlite-analyze", action="store_true",
                        help="ANALYZE the SQLite list database after seeding (the scheduler does it daily)")
    args = parser.parse_args()
    backends = ["sqlite"] + (["postgresql"] if args.postgres else [])
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for kind in backends:
            label = "SQLite (WAL)" if kind == "sqlite" else "PostgreSQL"
            if args.only in (None, "lifecycle"):
                rates = {}
                for render in (("inline", "deferred", "queued") if args.render == "all" else (args.render,)):
                    os.sync()   # what the phase before wrote (documents, WAL) reaches the disk before, not during, this one
                    with database(kind, folder, f"life_{kind}_{render}") as url:
                        r = lifecycles(url, folder / f"life_{kind}_{render}", args.lifecycles, render)
                    rates[render] = r["per_second"]
                    print(f"\n== lifecycle, {label}, documents {render}: {r['n']} hazards opened to closed in "
                          f"{r['seconds']:.1f} s = {r['per_second']:.2f} hazards/s ({r['documents']} documents "
                          f"archived in all" + (f"; the worker finished {r['drain']:.1f} s after the last step)"
                                                if render != "inline" else ")"))
                    for step, (median, p95, sent) in r["steps"].items():
                        print(f"   {step:<45} median {median:7.1f} ms   p95 {p95:7.1f} ms   {sent:5.1f} statements")
                for render in ("deferred", "queued"):
                    if render in rates and "inline" in rates:
                        print(f"   {render} / inline: {rates[render] / rates['inline']:.2f}x hazards/s (goal >= 3x)")
            if args.only in (None, "list"):
                print(f"\n== hazard list, {label}, {args.hazards:,} hazards")
                with database(kind, folder, f"list_{kind}") as url:
                    r = hazard_list(url, folder / f"list_{kind}", args.hazards, args.requests, args.sqlite_analyze)
                for (who, path), (median, p95) in r.items():
                    print(f"   {who:<5} {path:<45} median {median:6.1f} ms   p95 {p95:6.1f} ms")
                print(f"   worst p95: {max(p for _m, p in r.values()):.1f} ms (goal < 100 ms)")
            if args.only in (None, "chase"):
                with database(kind, folder, f"chase_{kind}") as url:
                    r = chase(url, folder / f"chase_{kind}")
                print(f"\n== chased 50 times, {label}: per round (timer fires + order delivered)")
                for n, (ms, size) in r.items():
                    print(f"   round {n:>2}: {ms:6.1f} ms, stored state {size:,} bytes")


if __name__ == "__main__":
    main()
