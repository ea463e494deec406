"""A live server for browser tests and Debian's Chromium driven by Playwright."""
from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


class LiveServer:
    """The app served by werkzeug in a thread on a free loopback port."""

    def __init__(self, app):
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.thread.join(timeout=10)


def browser():
    """A Playwright Chromium (Debian's build); skips the test with the reason when it cannot start."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    if not shutil.which("chromium") and not shutil.os.path.exists(CHROMIUM):
        pytest.skip("Debian's chromium is not installed (make test installs it with apt)")
    playwright = sync_api.sync_playwright().start()
    try:
        return playwright, playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    except Exception as err:  # noqa: BLE001 - report why the browser could not start
        playwright.stop()
        pytest.skip(f"Chromium did not start: {err}")


def sign_in(page, server, username: str) -> None:
    """Sign in through the login form and wait for the inbox."""
    from web_support import PASSWORD
    page.goto(f"{server.url}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("#sign-in")
    page.wait_for_url(f"{server.url}/")


def draw_signature(page, selector: str = "canvas.signature-pad") -> None:
    """Draw a zigzag on a signature canvas with the mouse, as a finger would."""
    canvas = page.locator(selector)
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    page.mouse.move(box["x"] + 20, box["y"] + 30)
    page.mouse.down()
    for step in range(1, 20):
        page.mouse.move(box["x"] + 20 + step * 12, box["y"] + 30 + (step % 5) * 9)
    page.mouse.up()


def shot(page, tmp_path, name: str) -> None:
    """A full-page screenshot (into GRIDSAFE_SCREENSHOTS when set, to look at after the run)."""
    page.screenshot(path=str(Path(os.environ.get("GRIDSAFE_SCREENSHOTS", tmp_path)) / name), full_page=True)


_KEPT_VALUE = """([name, value]) => new Promise((done) => { const open = indexedDB.open('gridsafe');
  open.onerror = () => done(false);
  open.onsuccess = () => { const all = open.result.transaction('task-forms').objectStore('task-forms').getAll();
    all.onsuccess = () => done(all.result.some((r) => (r.fields[name] || []).includes(value))); }; })"""


def wait_kept(page, name: str, value: str) -> None:
    """Wait until the task form on the device (IndexedDB) holds this value for this field: what the last tap
    or entry saved, instead of sleeping and hoping the save is done."""
    page.wait_for_function(_KEPT_VALUE, arg=[name, value])
