"""Risk grading and warning delivery at scale (SQLite file database in a temp folder).

What is measured, with --customers customers (default 3,000) of which a third have 1 to 4 open hazards
(random dictionary items, a quarter of them past their deadline, some supervised):

  grade all       services.risk.daily: every customer with open hazards graded through risk_grade.dmn,
                  one transaction each, warnings written to the outbox (first run: every grade is new)
  daily again     the same job the same day, forced (nothing changes: nothing written)
  risk list       services.risk.risk_list as the system (no scope) and as a county inspector (the scope
                  filter inside the query), first page of 50 and the A filter (median of 20 calls)
  deliver         services.outbox.deliver_due: the pending SMS to a local HTTP gateway (http.server on
                  loopback, answering at once), per message

Run: .venv/bin/python bench/risk_scale.py [--customers N]
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import random
import statistics
import sys
import tempfile
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.append(str(ROOT / "tests"))

from sqlalchemy import select  # noqa: E402

from engine import FixedClock  # noqa: E402
from engine.database import make_engine, make_session_factory  # noqa: E402
from records import Customer, FileStore, Hazard, Team, User, dictionary, outbox  # noqa: E402
from services import access, config, migrate, outbox as outbox_service, risk  # noqa: E402
from services.runtime import Runtime, build_engine  # noqa: E402


def _gateway():
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            body = b'{"ok": true}'
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _load(sessions, clock, count: int) -> None:
    from hazard_support import seed
    rnd = random.Random(7)
    with sessions() as s:
        ids = seed(s, clock.now())
        for n, user in enumerate(s.scalars(select(User))):
            user.mobile, user.email = f"139{n:08d}", f"{user.username}@bench.example"
        dictionary.seed(s, clock.now())
        s.commit()
        items = dictionary.current_items(s)
        base = s.get(Customer, ids["hospital"])
        team = s.get(Team, ids["team"])
        now = clock.now()
        for n in range(count):
            s.add(Customer(number=f"36{n:08d}", name=f"客户{n}", branch_id=base.branch_id, default_team_id=team.id,
                           importance=rnd.choice(["special", "first", "second", "second", None]),
                           high_risk=rnd.random() < 0.3, contacts=[], created_at=now, updated_at=now))
        s.flush()
        customers = s.scalars(select(Customer)).all()
        number = 0
        for c in customers[: count // 3]:
            for _ in range(rnd.randint(1, 4)):
                item, number = rnd.choice(items), number + 1
                late = rnd.random() < 0.25
                deadline = now + timedelta(days=-3 if late else rnd.randint(5, 90))
                s.add(Hazard(file_number=f"B-{number:06d}", customer_id=c.id, branch_id=c.branch_id, team_id=team.id,
                             item_code=item.code, item=item.snapshot(), severity=item.severity_for(c.importance),
                             location="配电室", description="bench", photos=[], status="rectifying",
                             deadline=deadline, original_deadline=deadline,
                             supervision_count=1 if late and rnd.random() < 0.5 else 0, opened_by="bench",
                             opened_at=now))
        s.commit()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=3000)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="risk-bench-"))
    sa = make_engine(f"sqlite:///{folder / 'bench.db'}")
    migrate.upgrade(sa)
    sessions = make_session_factory(sa)
    clock = FixedClock("2026-03-02T01:00:00+00:00")
    settings = config.load({"ENV": "testing", "SECRET_KEY": "x", "DATA_DIR": str(folder)}, environ={})
    files = FileStore(folder / "files")
    eng = build_engine(settings, clock, files)
    rt = Runtime(config=settings, engine=eng, files=files, sa=sa, sessions=sessions, read_sessions=sessions)
    _load(sessions, clock, args.customers)
    with sessions() as s:
        for name in ("risk_grade.dmn",):
            assert eng.deploy_source(s, name, (ROOT / "bpmn" / name).read_bytes(), "bench").status == "deployed"
    started = time.perf_counter()
    report = risk.daily(rt, force=True)
    first = time.perf_counter() - started
    started = time.perf_counter()
    again = risk.daily(rt, force=True)
    second = time.perf_counter() - started
    print(f"grade all     {report['graded']} customers in {first:.1f} s ({first / report['graded'] * 1000:.1f} ms each), "
          f"{report['changed']} new grades, {len(report['errors'])} errors")
    print(f"daily again   {again['graded']} customers in {second:.1f} s, {again['updated']} rows written")
    for label, who, q in (("risk list", None, risk.RiskQuery()), ("risk list A", None, risk.RiskQuery(status="A")),
                          ("scoped list", "insp1", risk.RiskQuery()), ("scoped A", "insp1", risk.RiskQuery(status="A"))):
        times = []
        with sessions() as s:
            actor = access.SYSTEM if who is None else s.scalars(select(User).where(User.username == who)).one()
            for _ in range(20):
                t = time.perf_counter()
                rows, total, counts = risk.risk_list(rt, s, actor, q)
                times.append(time.perf_counter() - t)
        print(f"{label:13} median {statistics.median(times) * 1000:.1f} ms over {total} rows; counts {json.dumps(counts)}")
    server = _gateway()
    with sessions() as s:
        pending = len(outbox.due(s, clock.now(), 100000))
    started = time.perf_counter()
    sms = {**settings, "SMS_URL": f"http://127.0.0.1:{server.server_address[1]}/"}
    sent = outbox_service.deliver_due(dataclasses.replace(rt, config=sms), limit=100000)
    took = time.perf_counter() - started
    server.shutdown()
    print(f"deliver       {sent['sent']} SMS of {pending} due in {took:.1f} s ({took / max(1, sent['sent']) * 1000:.1f} ms "
          f"each); {sent['failed']} e-mails failed (no SMTP configured)")


if __name__ == "__main__":
    main()
