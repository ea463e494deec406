"""Chinese first, English available: every UI string has its translation; times show in the company's zone."""
from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from web_support import csrf_of, login

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "webui" / "translations" / "zh_Hans_CN" / "LC_MESSAGES" / "messages.po"
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None, "N_": None}


def _extracted() -> set:
    method_map = [("engine/**.py", "python"), ("handlers/**.py", "python"), ("forms/**.py", "python"),
                  ("records/**.py", "python"), ("services/**.py", "python"),
                  ("webui/**.py", "python"), ("webui/templates/**.html", "jinja2")]
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(str(ROOT), method_map=method_map,
                                                                      keywords=KEYWORDS):
        found.add(message[0] if isinstance(message, tuple) else message)
    return found


def test_every_ui_string_has_a_chinese_translation():
    with CATALOG.open("rb") as f:
        catalog = read_po(f)
    translated = {(m.id[0] if isinstance(m.id, tuple) else m.id) for m in catalog
                  if m.id and not m.fuzzy and (all(m.string) if isinstance(m.string, tuple) else m.string)}
    missing = sorted(_extracted() - translated)
    assert not missing, "run pybabel extract/update and translate: " + "; ".join(missing[:20])


def test_times_are_stored_in_utc_and_shown_in_the_company_zone(client, site):
    instance_id = site.start_visit(days=3)                  # the clock is 2026-03-02 01:00 UTC
    task = site.task(instance_id)
    assert task.due_at.isoformat() == "2026-03-05T01:00:00+00:00"
    login(client, "insp1")
    assert "2026-03-05 09:00" in client.get(f"/tasks/{task.id}").get_data(as_text=True)


def test_a_user_can_switch_to_english_and_it_is_remembered(client, site):
    login(client, "insp1")
    client.post("/language", data={"lang": "en", "csrf_token": csrf_of(client, "/")})
    page = client.get("/").get_data(as_text=True)
    assert "My tasks" in page and "我的待办" not in page
    other = site.app.test_client()
    login(other, "insp1")
    assert "My tasks" in other.get("/").get_data(as_text=True)
