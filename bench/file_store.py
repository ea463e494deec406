"""File store: upload and download of a 400 KB photo, folder (SQLite) vs database (PostgreSQL), one run.

What is measured: the JSON API in-process (Flask's test client, no HTTP server), one user with a
bearer token:
  POST /api/v1/attachments      multipart `file` = a JPEG of about 400 KB (a different one each time,
                                so every upload really stores bytes; the image is checked by Pillow
                                on both stores alike)
  GET  /api/v1/attachments/<id> the whole body read (a streamed response)
On SQLite (a file, WAL) the bytes go to DATA_DIR/files; on PostgreSQL (a fresh schema on
127.0.0.1:5432/test, dropped after) they are rows of file_chunk written in the upload's transaction.
Printed per store: median and p95 of each call in milliseconds, and the photo size.

Run: .venv/bin/python bench/file_store.py                      (both stores)
     .venv/bin/python bench/file_store.py --photos 200 --db postgresql
"""
from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "bench")]

from PIL import Image  # noqa: E402

from benchlib import pct, pg_schema  # noqa: E402
from engine import FixedClock  # noqa: E402
from services import migrate  # noqa: E402
from web_support import api_token, seed_people  # noqa: E402

PG = os.environ.get("GRIDSAFE_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
TARGET = 400 * 1024


def photo(seed: int, side: int) -> bytes:
    """A JPEG of random-ish pixels (a different one per seed)."""
    rnd = os.urandom(side * side * 3)
    buffer = io.BytesIO()
    Image.frombytes("RGB", (side, side), rnd).save(buffer, "JPEG", quality=60 + seed % 2)
    return buffer.getvalue()


def side_for_target() -> int:
    """The square size whose random JPEG is about 400 KB."""
    side = 300
    while len(photo(0, side)) < TARGET:
        side += 10
    return side


def run(url: str, data_dir: Path, photos: list[bytes]) -> dict:
    from sqlalchemy import create_engine

    from webui import create_app, db
    sa = create_engine(url)
    migrate.upgrade(sa)
    sa.dispose()
    clock = FixedClock("2026-03-02T01:00:00+00:00")
    app = create_app({"ENV": "production", "SECRET_KEY": "bench", "DATABASE_URL": url, "DATA_DIR": str(data_dir),
                      "CLOCK": clock})
    with app.app_context():
        seed_people(db.session(), clock.now())
        db.session().commit()
    headers = {"Authorization": f"Bearer {api_token(app, 'insp1')}"}
    client = app.test_client()
    store = type(app.extensions["gridsafe.runtime"].files).__name__
    ups, downs = [], []
    for i, body in enumerate(photos):
        t0 = time.perf_counter()
        up = client.post("/api/v1/attachments", headers=headers, content_type="multipart/form-data",
                         data={"kind": "photo", "file": (io.BytesIO(body), f"p{i}.jpg")})
        t1 = time.perf_counter()
        assert up.status_code == 201, up.get_data(as_text=True)
        down = client.get(f"/api/v1/attachments/{up.get_json()['id']}", headers=headers)
        got = down.get_data()
        t2 = time.perf_counter()
        assert down.status_code == 200 and got == body and down.mimetype == "image/jpeg"
        if i >= 5:                                  # warm-up
            ups.append((t1 - t0) * 1000)
            downs.append((t2 - t1) * 1000)
    app.extensions["gridsafe.runtime"].sa.dispose()
    return {"store": store, "up": ups, "down": downs}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--photos", type=int, default=100)
    parser.add_argument("--db", choices=("both", "sqlite", "postgresql"), default="both")
    args = parser.parse_args()
    side = side_for_target()
    photos = [photo(i, side) for i in range(args.photos + 5)]
    print(f"{len(photos)} photos of {side}x{side} px, {statistics.median(map(len, photos)) / 1024:.0f} KB median "
          f"(first 5 are warm-up)")
    with tempfile.TemporaryDirectory() as tmp:
        results = []
        if args.db in ("both", "sqlite"):
            results.append(("SQLite", run(f"sqlite:///{tmp}/bench.db", Path(tmp) / "sqlite-data", photos)))
        if args.db in ("both", "postgresql"):
            with pg_schema(PG, "bench_files") as url:
                results.append(("PostgreSQL", run(url, Path(tmp) / "pg-data", photos)))
    for name, r in results:
        print(f"{name:10} {r['store']:13} upload   median {statistics.median(r['up']):6.1f} ms  "
              f"p95 {pct(r['up'], 0.95):6.1f} ms")
        print(f"{'':10} {'':13} download median {statistics.median(r['down']):6.1f} ms  "
              f"p95 {pct(r['down'], 0.95):6.1f} ms")


if __name__ == "__main__":
    main()
