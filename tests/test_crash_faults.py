"""Crashes under load, with real processes on PostgreSQL: while API clients open hazards, upload photos and
deliver notices on two nodes (and the schedulers fire the notices' 2-second deadlines), a web worker of node A
is killed with kill -9, then node B and scheduler s1 whole (both started again), then the database goes away
for a moment. Afterwards every acknowledged write is there, no idempotency key opened two hazards, no timer
fired twice, no instance's projections disagree with its state, nothing was put in error, and every stored
file and its row agree.

The database outage: with GRIDSAFE_TEST_PG_RESTART_CMD set (e.g. `pg_ctlcluster 15 main restart`, for a
server of one's own) the PostgreSQL server is restarted; otherwise every connection of this test's own
installation is ended with pg_terminate_backend (what a restart does to them), leaving the other users of
a shared server alone. The test records which it did (`outage` in the junit properties, and its output)."""
from __future__ import annotations

import os
import random
import signal
import subprocess
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import pytest
import requests
from sqlalchemy import func, select

from process_support import Client, Cluster, children, diagrams_with_quick_notice, init_here, own_database, \
    photo_bytes, postgres_reason, seed, terminate_connections, wait_until
from web_support import png

pytestmark = [pytest.mark.postgres,
              pytest.mark.skipif(postgres_reason() is not None, reason=postgres_reason() or "")]

RESTART_CMD = os.environ.get("GRIDSAFE_TEST_PG_RESTART_CMD", "")
RETRYABLE = {409, 500, 502, 503, 504}       # 409 on opening: "still being filed" by the first request


@dataclass
class Ledger:
    """What the clients were told: acknowledged writes, and every answer that was not expected."""

    keys: set = field(default_factory=set)                # idempotency keys sent
    opened: dict = field(default_factory=dict)            # key -> (file number, instance id), acknowledged
    uploads: set = field(default_factory=set)              # digests acknowledged
    completed: set = field(default_factory=set)            # task ids acknowledged done
    conflicts: set = field(default_factory=set)            # task ids answered 409 (done by an earlier try)
    server_errors: list = field(default_factory=list)      # 500s: never acceptable
    unexpected: list = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


class Worker(threading.Thread):
    """One API client: open a hazard (photo uploaded first), deliver every other notice at once (the others
    are left for the timer), retrying on the other node whenever a node or the database is away."""

    def __init__(self, n: int, cluster, ledger: Ledger, stop: threading.Event):
        super().__init__(name=f"client-{n}", daemon=True)
        self.n, self.cluster, self.ledger, self.stop_event = n, cluster, ledger, stop
        self.client = Client(cluster.tokens["insp1"])
        self.count = 0

    def call(self, method: str, path: str, ok: set, give_up: float = 40, **kwargs):
        """The first answer in `ok` (or another 4xx), trying node after node until `give_up` seconds."""
        deadline, nodes = time.monotonic() + give_up, [self.cluster.a, self.cluster.b]
        turn = self.n
        while time.monotonic() < deadline:
            node = nodes[turn % 2]
            turn += 1
            try:
                answer = self.client.api(node, method, path, timeout=20, **kwargs)
            except requests.RequestException:
                time.sleep(0.2)
                continue
            if answer.status_code == 500:
                with self.ledger.lock:
                    self.ledger.server_errors.append(f"{method} {path} on {node.name}: {answer.text[:300]}")
            if answer.status_code in ok or answer.status_code not in RETRYABLE:
                return answer
            time.sleep(0.3)
        return None

    def upload(self) -> str | None:
        image = photo_bytes(48 + self.n, 32 + self.count % 7)
        answer = self.call("POST", "/attachments", {201}, files={"file": ("p.png", image, "image/png")},
                           data={"kind": "photo"})
        if answer is not None and answer.status_code == 201:
            with self.ledger.lock:
                self.ledger.uploads.add(answer.json()["id"])
            return answer.json()["id"]
        return None

    def open(self, photo: str) -> dict | None:
        key = uuid.uuid4().hex
        with self.ledger.lock:
            self.ledger.keys.add(key)
        answer = self.call("POST", "/hazards", {201}, headers={"Idempotency-Key": key},
                           json={"customer": "3600100001", "item_code": "EP02", "location": f"{self.n}号配电室",
                                 "description": "自备应急电源容量不足", "photos": [photo]})
        if answer is None or answer.status_code != 201:
            self._unexpected("open", answer)
            return None
        body = answer.json()
        with self.ledger.lock:
            self.ledger.opened[key] = (body["file_number"], body["instance_id"])
        return body

    def deliver(self, dossier: dict, signature: str) -> None:
        if not dossier["open_tasks"]:
            return
        task = dossier["open_tasks"][0]
        answer = self.call("POST", f"/tasks/{task['id']}/complete", {200, 409},
                           json={"data": {"signer_name": "王电工", "signature": signature}})
        with self.ledger.lock:
            if answer is not None and answer.status_code == 200:
                self.ledger.completed.add(task["id"])
            elif answer is not None and answer.status_code == 409:
                self.ledger.conflicts.add(task["id"])
            else:
                self._unexpected("deliver", answer)

    def _unexpected(self, what, answer) -> None:
        self.ledger.unexpected.append(f"{what}: {answer.status_code if answer is not None else 'no answer'} "
                                      f"{answer.text[:300] if answer is not None else ''}")

    def run(self) -> None:
        signature = None
        try:
            while not self.stop_event.is_set():
                signature = signature or self._signature()
                photo = self.upload()
                if self.stop_event.is_set():
                    break
                dossier = self.open(photo) if photo else None
                if dossier is not None and signature and self.count % 2 == 0:
                    self.deliver(dossier, signature)
                self.count += 1
        except Exception as exc:  # noqa: BLE001 - the test reports it instead of a thread dying unseen
            with self.ledger.lock:
                self.ledger.unexpected.append(f"{self.name} stopped: {type(exc).__name__}: {exc}")

    def _signature(self) -> str | None:
        answer = self.call("POST", "/attachments", {201}, files={"file": ("s.png", png(), "image/png")},
                           data={"kind": "signature"})
        return answer.json()["id"] if answer is not None and answer.status_code == 201 else None


def outage(url: str) -> str:
    if RESTART_CMD:
        subprocess.run(RESTART_CMD, shell=True, check=True, timeout=60)
        return f"PostgreSQL restarted ({RESTART_CMD})"
    ended = terminate_connections(url)
    return f"pg_terminate_backend: {ended} connections of this installation ended (set GRIDSAFE_TEST_PG_RESTART_CMD " \
           "to restart the server instead)"


def test_kill_9_and_a_database_outage_under_load_lose_no_acknowledged_work(tmp_path, record_property):
    ledger, stop, began = Ledger(), threading.Event(), time.monotonic()

    def phase(what: str) -> None:
        print(f"{time.monotonic() - began:5.1f} s  {what}", flush=True)
    with own_database("i18") as url:
        bpmn = diagrams_with_quick_notice(tmp_path)
        cluster = Cluster(url, tmp_path, BPMN_DIR=bpmn, SCHEDULER_MAX_BACKOFF_SECONDS=2,
                          LOGIN_ADDRESS_RATE_LIMIT="500 per minute")
        workers: list[Worker] = []
        try:
            init_here(url, tmp_path, bpmn)
            cluster.tokens = seed(url, tmp_path)
            cluster.a, cluster.b = cluster.serve("A", workers=2, wait=False), cluster.serve("B", wait=False)
            s1, s2 = cluster.scheduler("s1"), cluster.scheduler("s2")
            cluster.a.wait(), cluster.b.wait()
            phase("nodes answer")
            workers = [Worker(n, cluster, ledger, stop) for n in range(4)]
            for worker in workers:
                worker.start()
            wait_until(lambda: len(ledger.opened) >= 3, 60, "the clients opened a few hazards")
            phase("kill -9: a worker of A, node B, scheduler s1")

            os.kill(random.choice(children(cluster.a.process.popen.pid)), signal.SIGKILL)   # one worker of A
            cluster.b.process.kill9()                                    # all of node B, mid-request
            s1.kill9()
            mark = len(ledger.opened)
            cluster.b.start(wait=False)                                  # started again at once, as systemd
            s1.start()                                                   # would; A serves alone meanwhile
            wait_until(lambda: len(ledger.opened) > mark, 60, "node A served on alone")
            cluster.b.wait()
            phase("B answers again (s1 started again)")

            what = outage(url)
            record_property("outage", what)
            phase(what)
            mark = len(ledger.opened)
            wait_until(lambda: len(ledger.opened) >= mark + 2, 60, "the clients went on after the outage")
        finally:
            stop.set()
            for worker in workers:
                worker.join(timeout=45)
            phase("load stopped")
            if any(w.is_alive() for w in workers) or ledger.unexpected or ledger.server_errors:
                print(cluster.logs())
        try:
            check(cluster, url, ledger, tmp_path)
            assert s1.alive and s2.alive, "a scheduler died"
            for node in (cluster.a, cluster.b):                    # the database answers, a scheduler beats
                wait_until(lambda: requests.get(f"{node.base}/healthz", timeout=5).status_code == 200, 30,
                           f"/healthz of {node.name} answers 200")
        except BaseException:
            print(cluster.logs())
            raise
        finally:
            cluster.stop()


def check(cluster, url, ledger, tmp_path) -> None:
    import services
    from engine import ACTIVE_STATUSES, AuditEvent, HumanTask, ProcessInstance
    from process_support import SECRET
    from records import Hazard
    from records.files import FileChunk
    from services import backup, maintenance
    assert not ledger.server_errors, ledger.server_errors[:3]
    assert not ledger.unexpected, ledger.unexpected[:3]
    rt = services.build({"ENV": "testing", "SECRET_KEY": SECRET, "DATABASE_URL": url,
                         "DATA_DIR": str(tmp_path / "check-data")})
    try:
        # the schedulers catch up: every notice left undelivered is past its 2-second deadline, and no timer
        # that is due is left (the schedulers tick every second)
        time.sleep(3)

        def caught_up():
            with rt.read_sessions() as s:
                return not s.scalar(select(func.count()).select_from(ProcessInstance).where(
                    ProcessInstance.status.in_(ACTIVE_STATUSES),
                    ProcessInstance.next_wake_at < datetime.now(timezone.utc)))
        wait_until(caught_up, 45, "the schedulers fired every due timer")
        with rt.read_sessions() as s:
            files = dict(s.execute(select(Hazard.file_number, Hazard.instance_id)).all())
            for file_number, instance_id in ledger.opened.values():
                assert files.get(file_number) == instance_id, f"acknowledged {file_number} is missing"
            assert len(files) <= len(ledger.keys), "an idempotency key opened two hazards"
            assert len({f for f, _ in ledger.opened.values()}) == len(ledger.opened)
            done = dict(s.execute(select(HumanTask.id, HumanTask.status).where(
                HumanTask.id.in_(ledger.completed | ledger.conflicts))).all())
            assert all(done.get(t) == "completed" for t in ledger.completed | ledger.conflicts), done
            fired = s.execute(select(AuditEvent.instance_id, func.count()).where(
                AuditEvent.action == "timer.fired", AuditEvent.element_id == "notice_late")
                .group_by(AuditEvent.instance_id)).all()
            undelivered = set(s.scalars(select(Hazard.instance_id).where(Hazard.notified_at.is_(None))))
            assert undelivered <= {i for i, _ in fired}, "an undelivered notice's deadline did not fire"
            assert all(n == 1 for _, n in fired), "a notice deadline fired twice"     # (a late delivery: once too)
            failed = s.execute(select(ProcessInstance.id, ProcessInstance.error_message)
                               .where(ProcessInstance.status == "error")).all()
            assert not failed, failed
            for digest in ledger.uploads:
                assert rt.files.intact(digest, s), f"acknowledged upload {digest} is missing or damaged"
            stored = set(s.scalars(select(FileChunk.sha256).where(FileChunk.seq == 0)))
            assert stored <= backup.referenced_digests(s), "a stored file no row names"
        report = backup.verify(rt)
        assert report["audit"] == [] and report["files"] == [], report
        checked, disagreements = maintenance.verify_projections(rt)
        assert checked >= len(ledger.opened) and disagreements == [], [str(d) for d in disagreements[:5]]
        print(f"{len(ledger.opened)} hazards opened, {len(ledger.completed)} notices delivered, "
              f"{len(ledger.uploads)} uploads, {len(fired)} notice deadlines fired once each, {checked} instances "
              f"checked")
    finally:
        rt.sa.dispose()
