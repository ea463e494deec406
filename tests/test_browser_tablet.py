"""The main lists at tablet width (768 × 1024): no column squeezed to a character per line, no page wider
than the screen (a wide table scrolls inside its own box), the filters folded away until asked for."""
from __future__ import annotations

import pytest

from browser_support import LiveServer
from demo_support import DEMO_PASSWORD, demo_app, demo_template  # noqa: F401 - fixtures

PAGES = [("zhuanze", "/?scope=all"), ("zhuanze", "/hazards"), ("zhuanze", "/customers"),
         ("zhuanze", "/inspections"), ("zhuanze", "/risk"), ("admin", "/admin/outbox?status=all")]

MEASURE = """() => {
  const narrow = [];
  for (const cell of document.querySelectorAll('main td, main th')) {
    const text = cell.innerText.trim();
    if (text.length < 2 || !cell.checkVisibility()) continue;
    const style = getComputedStyle(cell);
    const inner = cell.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
    if (inner < 1.9 * parseFloat(style.fontSize)) narrow.push(`${text.slice(0, 20)} (${Math.round(inner)}px)`);
  }
  const filters = [...document.querySelectorAll('main form.filters')];
  return {narrow, pageWidth: document.documentElement.scrollWidth, viewport: window.innerWidth,
          openFilters: filters.filter((f) => f.checkVisibility() && f.getBoundingClientRect().height > 0).length,
          filters: filters.length,
          toggles: document.querySelectorAll('main details.filter-toggle > summary').length};
}"""


def _sign_in(page, server, username):
    page.goto(f"{server.url}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("#sign-in")
    page.wait_for_url(f"{server.url}/")


@pytest.mark.parametrize("width", [768])
def test_the_main_lists_fit_a_tablet(demo_app, chromium, width, tmp_path):  # noqa: F811
    problems = []
    with LiveServer(demo_app) as server:
        for username in ("zhuanze", "admin"):
            context = chromium.new_context(viewport={"width": width, "height": 1024}, locale="zh-CN")
            page = context.new_page()
            _sign_in(page, server, username)
            for who, path in PAGES:
                if who != username:
                    continue
                page.goto(f"{server.url}{path}")
                page.wait_for_load_state("networkidle")
                found = page.evaluate(MEASURE)
                if found["narrow"]:
                    problems.append(f"{path}: squeezed cells {found['narrow'][:6]}")
                if found["pageWidth"] > found["viewport"]:
                    problems.append(f"{path}: the page is {found['pageWidth']}px wide on a "
                                    f"{found['viewport']}px screen")
                if found["filters"] and (found["openFilters"] or not found["toggles"]):
                    problems.append(f"{path}: the filters are not folded behind a toggle")
                if found["toggles"]:                              # one tap shows them
                    page.click("main details.filter-toggle > summary")
                    assert page.evaluate(MEASURE)["openFilters"] >= 1, path
            context.close()
    assert not problems, "\n".join(problems)
