"""The inspection app on a tablet: taps to do an inspection, time to keep a tap, bytes to open it.

What is measured, in Debian's Chromium driven by Playwright at 768 × 1024, against the app with the
real diagrams and forms (SQLite in a temporary folder, werkzeug in a thread):

1. taps: from the inbox to the submitted form for the hospital's 28-item checklist (一级) with one
   failed item (tests/inspection_walk.py: open the task, 不合格, type the location, photo, 其余合格,
   second inspector, three signatures, customer's name, submit). Every click, typed field, photo and
   signature counts one. Goal: at most 12 (the old form took about 45).
2. tap → IndexedDB: for each of the 28 answer taps of a second task, the time from the tap's input
   event to the IndexedDB write having completed (measured in the page; window.gridsafeSavedIn).
   Goal: p95 < 50 ms.
3. bytes: what the network carried (encoded, i.e. compressed when the server compressed it) to open
   the inspection task the first time with an empty cache: the task page and everything it loads.
   Goal: < 400 KB.

Run: .venv/bin/python bench/inspection_taps.py
"""
from __future__ import annotations

import argparse
import logging
import sys
import tempfile
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from benchlib import pct  # noqa: E402


def _app(folder: Path):
    from engine import FixedClock
    from engine.database import make_engine
    from inspection_walk import make_app
    from services import migrate
    url = f"sqlite:///{folder / 'gridsafe.db'}"
    sa = make_engine(url)
    migrate.upgrade(sa)
    sa.dispose()
    clock = FixedClock("2026-03-02T01:00:00+00:00")
    return make_app(url, folder / "data", clock), clock


def _bytes_to_open(context, page, server) -> tuple[int, int]:
    """(bytes over the wire, responses) to open the first task in the inbox with an empty cache."""
    session = context.new_cdp_session(page)
    session.send("Network.enable")
    session.send("Network.clearBrowserCache")
    counted = {"bytes": 0, "responses": 0}

    def finished(event):
        counted["bytes"] += int(event.get("encodedDataLength", 0))
        counted["responses"] += 1
    session.on("Network.loadingFinished", finished)
    page.click("text=现场用电检查")
    page.wait_for_selector("form.task-form[data-ready]")
    page.wait_for_load_state("networkidle")
    return counted["bytes"], counted["responses"]


def main() -> int:
    argparse.ArgumentParser(description=__doc__.split("\n")[0]).parse_args()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    from browser_support import LiveServer, browser, sign_in
    from inspection_walk import item, plan, walk_one_failed_item
    from web_support import jpeg
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        app, clock = _app(folder)
        photo = folder / "配电室.jpg"
        photo.write_bytes(jpeg(1600, 1200))
        playwright, chromium = browser()
        try:
            with LiveServer(app) as server:
                plan(app, clock)
                context = chromium.new_context(viewport={"width": 768, "height": 1024}, locale="zh-CN")
                page = context.new_page()
                sign_in(page, server, "insp1")
                taps = walk_one_failed_item(page, server, photo)
                print(f"taps for a 28-item inspection with one failed item: {taps.count} (goal <= 12)")
                for line in taps.log:
                    print(f"  {line}")
                plan(app, clock)
                page.goto(f"{server.url}/")
                wire, responses = _bytes_to_open(context, page, server)
                print(f"bytes to open the task the first time: {wire / 1024:.1f} KB in {responses} responses "
                      f"(goal < 400 KB)")
                for index in range(28):
                    page.click(item(index, "pass"))
                    page.wait_for_timeout(30)
                page.wait_for_timeout(300)
                times = page.evaluate("window.gridsafeSavedIn")
                print(f"tap -> IndexedDB over {len(times)} taps: median {pct(times, 0.5):.1f} ms, "
                      f"p95 {pct(times, 0.95):.1f} ms, max {max(times):.1f} ms (goal p95 < 50 ms)")
                context.close()
        finally:
            chromium.close()
            playwright.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
