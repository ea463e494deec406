"""In Chromium: the modeler and the DMN editor speak Chinese by default (palette, context pad, replace menu,
properties panel, decision table headers), show the codes in decision table cells with their Chinese labels,
and speak English to a user who chose English."""
from __future__ import annotations

import re

import pytest

from browser_support import LiveServer, shot, sign_in

pytestmark = pytest.mark.browser

# words that are names, not English sentences: notations, standards, and the codes a modeller types
ALLOWED = {"BPMN", "DMN", "DRD", "ID", "ISO", "UTC", "QName", "FEEL"}
# the decision table's variables as the table names them (what the grading handler passes)
DMN_NAMES = {"worst_severity", "customer_class", "score", "grade", "basis"}

COLLECT_BPMN = """() => {
  const texts = [];
  const add = (where, text) => { if (text && text.trim()) texts.push([where, text.trim()]); };
  document.querySelectorAll('.djs-palette .entry').forEach((e) => add('palette', e.getAttribute('title') || e.getAttribute('aria-label')));
  document.querySelectorAll('.djs-context-pad .entry').forEach((e) => add('context pad', e.getAttribute('title') || e.getAttribute('aria-label')));
  document.querySelectorAll('.djs-popup .entry').forEach((e) => add('replace menu', e.getAttribute('title') || e.textContent));
  document.querySelectorAll('.djs-popup .djs-popup-search input').forEach((e) => add('replace menu', e.placeholder));
  document.querySelectorAll('.bio-properties-panel-header-type').forEach((e) => add('panel header', e.textContent));
  document.querySelectorAll('.bio-properties-panel-group-header-title').forEach((e) => add('group', e.textContent));
  document.querySelectorAll('.bio-properties-panel-placeholder-text').forEach((e) => add('panel', e.textContent));
  document.querySelectorAll('.bio-properties-panel-label').forEach((e) => {
    // a handler parameter's label is its name in the handler (code the modeller types)
    if (!(e.getAttribute('for') || '').startsWith('bio-properties-panel-gs-param-')) add('entry', e.textContent);
  });
  document.querySelectorAll('.bio-properties-panel select').forEach((s) => {
    if (s.id.startsWith('bio-properties-panel-gs-')) return;     // handler ids, form files: code
    s.querySelectorAll('option').forEach((o) => add(`option of ${s.id}`, o.textContent));
  });
  return texts;
}"""

COLLECT_DMN = """() => {
  const texts = [];
  const add = (where, text) => { if (text && text.trim()) texts.push([where, text.trim()]); };
  document.querySelectorAll('.tjs-table thead th, .decision-table-header, .decision-table-properties')
    .forEach((e) => add('table header', e.innerText));
  document.querySelectorAll('.dmn-decision-table-container [title]').forEach((e) => {
    if (!e.closest('.bjs-powered-by, .powered-by')) add('title', e.getAttribute('title'));   // bpmn.io's logo stays as its licence asks
  });
  return texts;
}"""


def english_words(texts, allowed=frozenset()) -> list:
    """(where, text, word) for each word of Latin letters that is neither allowed nor a code (snake_case)."""
    found = []
    texts = list(dict.fromkeys(texts))
    for where, text in texts:
        for word in re.findall(r"[A-Za-z][A-Za-z0-9_.-]*", text):
            if word in ALLOWED or word in allowed or "_" in word or re.fullmatch(r"[A-Z]{1,2}\d*", word):
                continue
            found.append((where, text, word))
    return found


def test_the_english_word_finder_catches_an_untranslated_label():
    assert english_words([("entry", "名称")]) == []
    assert english_words([("entry", "编号（ID）"), ("entry", "worst_severity"), ("cell", "A")]) == []
    assert english_words([("group", "General")]) == [("group", "General", "General")]
    assert english_words([("title", "规则 Hit policy")])[0][2] == "Hit"


def _texts(page, script: str) -> list:
    return [tuple(pair) for pair in page.evaluate(script)]


def _select(page, element_id: str) -> None:
    page.evaluate("""(id) => {
      const modeler = window.gridsafeEditor.modeler;
      modeler.get('selection').select(modeler.get('elementRegistry').get(id));
    }""", element_id)
    page.wait_for_selector(f'.bio-properties-panel-header-label, .bio-properties-panel-header-type')
    for header in page.locator(".bio-properties-panel-group-header:not(.open)").all():
        header.click()                                             # every group open: all its entries drawn


def test_the_bpmn_modeler_and_its_properties_panel_speak_chinese(hazard_app, chromium, tmp_path):
    errors = []
    with LiveServer(hazard_app) as server:
        page = chromium.new_page(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
        page.on("pageerror", lambda err: errors.append(str(err)))
        sign_in(page, server, "owner")
        page.goto(f"{server.url}/models/hazard_lifecycle/edit")
        page.wait_for_selector(".editor-status[data-state=ready]")
        texts = _texts(page, COLLECT_BPMN)                       # the palette and the process's own panel
        assert any(where == "palette" for where, _t in texts) and any(where == "group" for where, _t in texts), texts
        # a service task, a user task, a timer on a boundary, a gateway's flow, a lane, the process
        for element in ("register", "deliver_notice", "notice_late", "rd_refuse", "report_gw", "lane_inspector"):
            _select(page, element)
            texts += _texts(page, COLLECT_BPMN)
        page.click('g.djs-element[data-element-id="deliver_notice"]', position={"x": 20, "y": 20})
        page.wait_for_selector(".djs-context-pad .entry")
        texts += _texts(page, COLLECT_BPMN)
        page.click('.djs-context-pad .entry[data-action="replace"]')
        page.wait_for_selector(".djs-popup .entry")
        texts += _texts(page, COLLECT_BPMN)
        shot(page, tmp_path, "modeler-chinese.png")
        untranslated = page.evaluate("() => [...(window.gridsafeUntranslated || [])]")
    assert not errors
    wheres = {where for where, _t in texts}
    assert {"palette", "context pad", "replace menu", "panel header", "group", "entry"} <= wheres, wheres
    assert ("entry", "名称") in texts and ("group", "定时器") in texts and ("panel header", "用户任务") in texts
    assert not english_words(texts), english_words(texts)
    assert not untranslated, f"strings bpmn-js asked for and i18n-zh.js lacks: {untranslated}"


def test_the_dmn_editor_speaks_chinese_and_labels_the_codes_in_the_cells(hazard_app, chromium, tmp_path):
    errors = []
    with LiveServer(hazard_app) as server:
        page = chromium.new_page(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
        page.on("pageerror", lambda err: errors.append(str(err)))
        sign_in(page, server, "owner")
        page.goto(f"{server.url}/models/risk_grade/edit")
        page.wait_for_selector(".editor-status[data-state=ready]")
        page.wait_for_selector("td[data-gs-label]")
        texts = _texts(page, COLLECT_DMN)
        header = " ".join(text for _w, text in texts)
        labels = page.evaluate("""() => Object.fromEntries([...document.querySelectorAll('td[data-gs-label]')]
            .map((td) => [td.textContent.trim(), td.dataset.gsLabel]))""")
        shown = page.evaluate("""() => getComputedStyle(document.querySelector('td[data-gs-label]'), '::after')
            .content""")
        shot(page, tmp_path, "dmn-chinese.png")
        untranslated = page.evaluate("() => [...(window.gridsafeUntranslated || [])]")
        page.goto(f"{server.url}/models/risk_grade/versions/1")            # the read-only view of a version too
        page.wait_for_selector("#version-diagram .viewer-status[data-state=shown]", state="attached")
        version_head = page.inner_text("#version-diagram .tjs-table thead")
        page.wait_for_selector("#version-diagram td[data-gs-label]")
        version_major = page.get_attribute('#version-diagram td[data-gs-label]', "data-gs-label")
    assert not errors
    assert "条件" in version_head and "When" not in version_head, version_head
    assert version_major in labels.values()
    assert "命中策略" in header and "条件" in header and "结论" in header and "注释" in header, header
    assert not english_words(texts, DMN_NAMES), english_words(texts, DMN_NAMES)
    assert labels['"major"'] == "重大隐患" and labels['"special"'] == "特级客户" and labels['"A"'] == "A级（红色）", labels
    assert labels['"matrix"'] == "按矩阵定级" and labels["-"] == "任意", labels
    assert shown.strip('"') in labels.values()
    assert not untranslated, f"strings dmn-js asked for and i18n-zh.js lacks: {untranslated}"


def test_a_user_who_chose_english_gets_the_modeler_in_english(hazard_app, chromium):
    with LiveServer(hazard_app) as server:
        page = chromium.new_page(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
        sign_in(page, server, "owner")
        page.click("form.lang button[value=en]")
        page.goto(f"{server.url}/models/hazard_lifecycle/edit")
        page.wait_for_selector(".editor-status[data-state=ready]")
        assert page.get_attribute('.djs-palette [data-action="create.task"]', "aria-label") == "Create task"
        _select(page, "register")
        assert page.text_content(".bio-properties-panel-header-type") == "Service Task"
        page.goto(f"{server.url}/models/risk_grade/edit")
        page.wait_for_selector("td[data-gs-label]")
        assert "When" in page.inner_text(".tjs-table thead") and "Hit policy" in page.inner_text(".decision-table-properties")
        assert page.get_attribute('td[data-gs-label]', "data-gs-label").isascii()
