"""Documents per second: one render worker (services.rendering.render_due: claim, render from the snapshot,
store by hash, fill the document row, audit, one transaction per job) against bare python-docx making the
same document from the same layout operations with the photos already in memory (no database, no store).

The document is the 隐患告知书 of a real hazard (two stamped photos, the customer's signature), whose
snapshot a step took; --documents copies of its render job are queued, then rendered. Goal: the worker
makes at least 0.8 of the documents per second that bare python-docx makes.

Run: .venv/bin/python bench/document_render.py [--documents 100] [--postgres]
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from sqlalchemy import select  # noqa: E402

from hazard_lifecycle import NOW, AllDiagrams, database  # noqa: E402

from engine import FixedClock  # noqa: E402
from engine.database import make_engine, make_session_factory  # noqa: E402
from handlers import docx_layout  # noqa: E402
from records import Attachment, Document, documents, render_jobs  # noqa: E402
from records.render_jobs import RenderJob  # noqa: E402
from services import rendering  # noqa: E402


class MemoryFiles:
    """The photos and the signature the snapshot names, read once: what bare python-docx gets."""

    def __init__(self, files, session, digests):
        self.blobs = {d: files.get(d, session) for d in digests}

    def exists(self, digest, _session=None):
        return digest in self.blobs

    def get(self, digest, _session=None):
        return self.blobs[digest]


def _digests(value) -> set:
    if isinstance(value, list):
        return set().union(*(_digests(v) for v in value)) if value else set()
    if isinstance(value, dict):
        return {value.get("$file") or value.get("$stamp")} - {None}
    return set()


def run(url: str, folder: Path, n: int) -> dict:
    sa = make_engine(url)
    sessions = make_session_factory(sa)
    clock = FixedClock(NOW)
    world = AllDiagrams.make(sessions, clock, folder, "worker_only")
    iid = world.open("EP02", "hospital")
    world.sign(iid)
    rt = world.rt
    rendering.render_due(rt)                              # what the steps queued
    with sessions() as s:
        notice = s.scalars(select(Document).where(Document.kind == "hazard_notice")
                           .order_by(Document.version.desc())).first()
        snapshot = s.scalars(select(RenderJob.snapshot).where(RenderJob.document_id == notice.id)).one()
        for i in range(n + 3):                            # 3 to warm the worker up
            row = documents.reserve(s, kind="hazard_notice", number=f"{notice.number}-{i}", subject=f"BENCH-{i}",
                                    filename="bench.docx", actor="bench", now=clock.now())
            render_jobs.enqueue(s, row.id, snapshot, actor="bench", now=clock.now())
        s.commit()
        digests = _digests(snapshot)
        attachments = {d: s.get(Attachment, d) for d in digests}
        memory = SimpleNamespace(files=MemoryFiles(world.files, s, digests), settings=dict(world.settings),
                                 session=SimpleNamespace(get=lambda _model, key: attachments.get(key)))

    for _ in range(3):                                    # warm-up: fonts, Pillow, python-docx's template
        docx_layout.replay(snapshot, memory)
    started = time.perf_counter()
    for _ in range(n):
        docx_layout.replay(snapshot, memory)
    bare = n / (time.perf_counter() - started)

    rendering.render_due(rt, limit=3)
    started = time.perf_counter()
    report = rendering.render_due(rt, limit=n)
    worker = n / (time.perf_counter() - started)
    assert report["rendered"] == n, report
    sa.dispose()
    return {"bare": bare, "worker": worker}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--documents", type=int, default=100)
    parser.add_argument("--postgres", action="store_true", help="also on PostgreSQL (127.0.0.1:5432/test)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for kind in ["sqlite"] + (["postgresql"] if args.postgres else []):
            with database(kind, Path(tmp), f"render_{kind}") as url:
                r = run(url, Path(tmp) / f"render_{kind}", args.documents)
            label = "SQLite (WAL)" if kind == "sqlite" else "PostgreSQL"
            print(f"== {args.documents} notices, {label}: bare python-docx {r['bare']:.1f} documents/s, "
                  f"one render worker {r['worker']:.1f} documents/s = {r['worker'] / r['bare']:.2f} (goal >= 0.8)")


if __name__ == "__main__":
    main()
