"""A customer register import at scale (SQLite file database in a temp folder, or PostgreSQL with --pg URL).

What is measured, with --rows rows (default 10,000) in an .xlsx and in a GBK CSV:

  start           services.customer_import.start: the file read and parsed once, its rows kept with the job
  first step      the first 200 rows applied (what the page shows as its first progress)
  all steps       every step until the job is done
  parse count     how many times the file was parsed in all (the goal: 1)

Run: .venv/bin/python bench/customer_import.py [--rows N] [--pg postgresql://postgres@127.0.0.1/test]
"""
from __future__ import annotations

import argparse
import contextlib
import io
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.append(str(ROOT / "tests"))

from openpyxl import Workbook  # noqa: E402
from sqlalchemy import select  # noqa: E402

import services  # noqa: E402
from benchlib import pg_schema  # noqa: E402
from engine import FixedClock  # noqa: E402
from engine.database import make_engine  # noqa: E402
from records import Job, User  # noqa: E402
from services import customer_files, customer_import, migrate  # noqa: E402
from web_support import seed_people  # noqa: E402

HEADER = ["户号", "客户名称", "用电地址", "供电单位编码", "重要等级", "高危", "行业", "电压等级kV", "联系人", "联系电话"]


def _rows(n: int) -> list[list[str]]:
    return [[f"36{k:08d}", f"吉安测试客户{k}", f"吉州区测试路{k}号", "JA-JZ", "二级", "否", "制造业", "10", "刘工",
             f"139{k:08d}"] for k in range(n)]


def _xlsx(rows) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    for row in [HEADER, *rows]:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _csv_gbk(rows) -> bytes:
    return "\r\n".join(",".join(r) for r in [HEADER, *rows]).encode("gbk")


def run(url: str, data: bytes, name: str, folder: Path) -> dict:
    sa = make_engine(url)
    migrate.upgrade(sa)
    sa.dispose()
    clock = FixedClock("2026-03-02T01:00:00+00:00")
    rt = services.build({"ENV": "testing", "SECRET_KEY": "bench", "DATABASE_URL": url, "DATA_DIR": str(folder),
                         "CLOCK": clock})
    with rt.sessions() as session:
        if session.scalars(select(User)).first() is None:
            seed_people(session, clock.now())
    parsed = []
    table = customer_files._table
    customer_files._table = lambda raw: parsed.append(1) or table(raw)
    try:
        with rt.sessions() as session:
            admin = session.scalars(select(User).where(User.username == "admin")).one()
            t0 = time.perf_counter()
            job_id = customer_import.start(rt, session, admin, name, io.BytesIO(data)).id
            t_start = time.perf_counter() - t0
        steps, t_first = 0, None
        while True:
            with rt.sessions() as session:
                job = session.get(Job, job_id)
                if job.status == "done":
                    report = job.report
                    break
                customer_import.step(rt, session, job)
                steps += 1
                if t_first is None:
                    t_first = time.perf_counter() - t0
        total = time.perf_counter() - t0
    finally:
        customer_files._table = table
        rt.sa.dispose()
    return {"start": t_start, "first": t_first, "total": total, "steps": steps, "parses": len(parsed),
            "created": report["created"] + report["updated"], "rejected": len(report["rejected"])}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--pg", help="a PostgreSQL URL to run on instead of SQLite")
    args = parser.parse_args()
    rows = _rows(args.rows)
    for label, data, name in (("xlsx", _xlsx(rows), "register.xlsx"), ("csv-gbk", _csv_gbk(rows), "register.csv")):
        with tempfile.TemporaryDirectory() as tmp, \
                (pg_schema(args.pg, "bench_import") if args.pg else contextlib.nullcontext(None)) as pg_url:
            url = pg_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
            r = run(url, data, name, Path(tmp) / "data")
            print(f"{label:8} {args.rows} rows ({len(data) // 1024} KB): start {r['start']:.2f} s, first progress "
                  f"{r['first']:.2f} s, all {r['steps']} steps {r['total']:.2f} s, parse count {r['parses']}, "
                  f"{r['created']} imported, {r['rejected']} rejected")


if __name__ == "__main__":
    main()
