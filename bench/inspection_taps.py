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
4. offline reopen: the same task page reloaded with the network off (context.set_offline) after the
   service worker took it along: requests that reached the network (must be 0) and whether the form
   came up with its answers.

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


class _Counted:
    """The app's WSGI callable, counting the body bytes it sends (after compression) and the responses."""

    def __init__(self, wsgi):
        self.wsgi, self.bytes, self.responses = wsgi, 0, 0

    def __call__(self, environ, start_response):
        self.responses += 1
        for chunk in self.wsgi(environ, start_response):
            self.bytes += len(chunk)
            yield chunk


def _bytes_to_open(app, chromium, server) -> tuple[int, int, object, object]:
    """(bytes the server sent, responses) from signing in on a fresh tablet to the inspection task's
    form being ready and the network quiet: the login and inbox pages, the task page, every script and
    style, the service worker and what it takes along. Returns the context and page too."""
    from browser_support import sign_in
    counter = _Counted(app.wsgi_app)
    app.wsgi_app = counter
    try:
        context = chromium.new_context(viewport={"width": 768, "height": 1024}, locale="zh-CN")
        page = context.new_page()
        sign_in(page, server, "insp1")
        page.click("text=现场用电检查")
        page.wait_for_selector("form.task-form[data-ready]")
        page.wait_for_load_state("networkidle")
        page.wait_for_timeout(500)
    finally:
        app.wsgi_app = counter.wsgi
    return counter.bytes, counter.responses, context, page


def _reopen_offline(context, page) -> tuple[int, int, bool]:
    """(requests that went to the network, requests served by the service worker, form ready) for a
    reload of the task page without network."""
    page.wait_for_function("navigator.serviceWorker.controller !== null")
    page.reload()                                              # through the service worker: kept
    page.wait_for_selector("form.task-form[data-ready]")
    page.wait_for_load_state("networkidle")
    served = {"network": 0, "worker": 0}

    def answered(response):
        served["worker" if response.from_service_worker else "network"] += 1
    page.on("response", answered)
    page.on("requestfailed", lambda request: served.__setitem__("network", served["network"] + 1))
    context.set_offline(True)
    page.reload()
    ready = page.wait_for_selector("form.task-form[data-ready]", timeout=10000) is not None
    context.set_offline(False)
    page.remove_listener("response", answered)
    return served["network"], served["worker"], ready


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
                context.close()
                plan(app, clock)                # a second task, opened in a fresh browser profile
                wire, responses, context, page = _bytes_to_open(app, chromium, server)
                print(f"bytes to open the task the first time (from signing in, service worker included): "
                      f"{wire / 1024:.1f} KB in {responses} responses (goal < 400 KB)")
                network, worker, ready = _reopen_offline(context, page)
                print(f"reopen offline: {network} requests to the network, {worker} served by the service worker, "
                      f"form ready: {ready} (goal: 0 to the network)")
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
