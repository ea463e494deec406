"""Chinese first, English available: every UI string has its translation; times show in the company's zone.

Three checkers find text that would reach people in English: a catalog entry without Chinese, English
text written into a template outside `_()` / trans, and an English sentence a handler or service puts into
an error, a message, an SMS or an e-mail without `_()`. Each is tested on a planted string, so a checker
that stops finding anything fails too."""
from __future__ import annotations

import ast
import re
from html.parser import HTMLParser
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


# -- checkers -----------------------------------------------------------------------------------------

CJK = re.compile(r"[\u4e00-\u9fff]")
SENTENCE = re.compile(r"[A-Za-z]{2,}(?:[ ,'-]+[A-Za-z]{2,}){2,}")       # three English words in a row
# words a Chinese page may show as they are: the language switch, units, formats and product names
ALLOWED_WORDS = {"English", "kW", "kV", "kVA", "kWh", "docx", "xlsx", "pdf", "csv", "zip", "bpmn", "dmn", "json",
                 "Excel", "Python", "WebP", "PostgreSQL"}
JINJA = re.compile(r"\{%-?\s*trans\b.*?\{%-?\s*endtrans\s*-?%\}|\{#.*?#\}|\{\{.*?\}\}|\{%.*?%\}", re.S)
VISIBLE_ATTRIBUTES = {"placeholder", "title", "aria-label", "alt", "label"}
MESSAGE_ERRORS = {"Invalid", "Conflict", "Forbidden", "NotFound", "ServiceError"}
MESSAGE_KEYS = {"message", "subject", "body", "sms", "email", "text", "detail", "summary"}


def english_words(text: str) -> list[str]:
    """The English words of a text people read: not abbreviations (GPS, PDF), units or allowed names."""
    if text.lstrip().startswith("{"):                           # a JSON example in a placeholder
        return []
    return [w for w in re.findall(r"(?<![.\w])[A-Za-z][A-Za-z'-]+", text)         # one letter: v2, S, A级
            if w not in ALLOWED_WORDS and not w.isupper() and not re.fullmatch(r"[A-Z][A-Z0-9-]*s?", w)]


class _VisibleText(HTMLParser):
    """Text nodes and visible attributes of HTML whose Jinja parts were blanked (with their line numbers)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found, self._hidden = [], 0

    def handle_starttag(self, tag, attrs):
        self._hidden += tag in ("script", "style")
        values = dict(attrs)
        for name, value in attrs:
            shown = name in VISIBLE_ATTRIBUTES or (tag == "input" and name == "value"
                                                   and values.get("type") in ("submit", "button"))
            if value and shown:
                self.found.append((self.getpos()[0], value))

    def handle_endtag(self, tag):
        self._hidden -= self._hidden > 0 and tag in ("script", "style")

    def handle_data(self, data):
        data = re.sub(r'[\w-]+="[^"]*"', " ", data)            # attributes a macro writes outside a tag
        if not self._hidden and data.strip():
            self.found.append((self.getpos()[0], data.strip()))


def english_in_template(source: str) -> list[tuple[int, str]]:
    """(line, text) of each English text a template writes itself (outside {{ _() }}, trans and tags)."""
    blanked = JINJA.sub(lambda m: " " + "\n" * m.group(0).count("\n"), source)
    parser = _VisibleText()
    parser.feed(blanked)
    return [(line, text) for line, text in parser.found if english_words(text)]


def _literal(node) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):                         # an f-string: its written parts
        return " ".join(v.value for v in node.values if isinstance(v, ast.Constant))
    return None


def english_messages_in_python(source: str) -> list[tuple[int, str]]:
    """(line, text) of each English sentence put, without _(), into what reaches people: a service error
    (Invalid, Conflict, Forbidden, NotFound), or a message/subject/body/sms/email/text/detail field."""
    found = []

    def check(node):
        text = _literal(node)
        if text and SENTENCE.search(text) and not CJK.search(text):
            found.append((node.lineno, text))
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
            if name in MESSAGE_ERRORS and node.args:
                check(node.args[0])
            for keyword in node.keywords:
                if keyword.arg in MESSAGE_KEYS:
                    check(keyword.value)
        elif isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values):
                if isinstance(key, ast.Constant) and key.value in MESSAGE_KEYS:
                    check(value)
    return found


def untranslated_in_catalog(catalog) -> list[str]:
    """Catalog entries without a usable Chinese text: empty, fuzzy, or an English sentence copied over."""
    bad = []
    for message in catalog:
        if not message.id:
            continue                                            # the header
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        texts = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy or not all(texts) or (SENTENCE.search(ids[0]) and not all(CJK.search(t) for t in texts)):
            bad.append(ids[0])
    return bad


def test_every_catalog_entry_has_its_chinese_text():
    with CATALOG.open("rb") as f:
        bad = untranslated_in_catalog(read_po(f))
    assert not bad, "translate in messages.po: " + "; ".join(bad[:20])


def test_templates_write_no_english_text_of_their_own():
    found = [f"{path.relative_to(ROOT)}:{line}: {text!r}" for path in sorted((ROOT / "webui" / "templates").rglob("*.html"))
             for line, text in english_in_template(path.read_text(encoding="utf-8"))]
    assert not found, "wrap in {{ _() }}: " + "; ".join(found[:20])


def test_handlers_services_and_pages_give_people_no_untranslated_english_sentence():
    """(The JSON API, webui/api, answers programs and keeps its messages in English.)"""
    found = [f"{path.relative_to(ROOT)}:{line}: {text!r}"
             for folder in ("handlers", "services", "webui", "webui/pages") for path in sorted((ROOT / folder).glob("*.py"))
             for line, text in english_messages_in_python(path.read_text(encoding="utf-8"))]
    assert not found, "wrap in _() or write it in Chinese: " + "; ".join(found[:20])


def test_the_checkers_find_planted_english():
    from babel.messages.catalog import Catalog
    template = ('<p>{{ _("Tasks") }}</p>\n<p>Nothing to do today</p>\n<input placeholder="Search customers">\n'
                '{% if x %}<span title="{{ _(\'Due\') }}">截止 · kW · GPS · English</span>{% endif %}')
    assert english_in_template(template) == [(2, "Nothing to do today"), (3, "Search customers")]
    assert english_in_template('<button value="complete">{{ _("Submit") }}</button><textarea placeholder=\'{"k": "v"}\'>'
                               "</textarea><script>const a = 'not shown';</script>") == []
    python = ("from .i18n import _\n"
              "def f(n):\n"
              "    raise Invalid(_('This is translated, fine.'))\n"
              "def g(n):\n"
              "    raise Conflict(f'the instance {n} is not waiting any more')\n"
              "def h(n):\n"
              "    return {'sms': '【供电公司】请于3日内整改', 'subject': 'Your hazard is overdue'}\n"
              "def k(n):\n"
              "    notify(user, body=f'Customer {n} was graded again')\n")
    assert [line for line, _text in english_messages_in_python(python)] == [5, 7, 9]
    catalog = Catalog(locale="zh_Hans_CN")
    catalog.add("Tasks", "待办")
    catalog.add("Save the draft now", "")
    catalog.add("Hand this task to someone else", "Hand this task to someone else")
    catalog.add("Excel", "Excel")
    catalog.add("Due", "截止", flags=["fuzzy"])
    assert untranslated_in_catalog(catalog) == ["Save the draft now", "Hand this task to someone else", "Due"]


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
