"""Pages as the demo's people meet them: inbox cards say each thing once and name teams, the outbox tabs
count their own lists, the browser's icon exists."""
from __future__ import annotations

import re

from demo_support import demo_app, demo_client, demo_template  # noqa: F401 - fixtures

CARD = re.compile(r'<a class="card task-card[^"]*" href="[^"]+">(.*?)</a>', re.S)


def test_inbox_cards_name_the_file_once_and_the_team_by_its_name(demo_app):  # noqa: F811
    page = demo_client(demo_app, "jiancha1").get("/?scope=team").get_data(as_text=True)
    cards = CARD.findall(page)
    assert len(cards) >= 5
    for card in cards:
        text = re.sub(r"<[^>]+>", " ", card)
        numbers = re.findall(r"\b(?:YH|JC)-[A-Z]+-[A-Z]+-\d{4}-\d{5}\b", text)
        assert numbers and len(numbers) == len(set(numbers)), text      # each file number once
        assert "吉州用电检查一组" in text and "JA-JZ-1" not in text, text


def test_outbox_tabs_count_the_rows_of_the_list_each_opens(demo_app):  # noqa: F811
    admin = demo_client(demo_app, "admin")
    for channel in ("", "sms", "inapp"):
        page = admin.get(f"/admin/outbox?channel={channel}").get_data(as_text=True)
        tabs = re.findall(r'<a href="([^"]+)" data-view="(\w+)"[^>]*>[^<]*<span class="count" data-count="(\d+)"',
                          page)
        assert [view for _href, view, _n in tabs] == ["undelivered", "pending", "failed", "sent", "all"]
        assert sum(int(n) for *_x, n in tabs) > 0
        for href, view, count in tabs:
            listed = admin.get(href.replace("&amp;", "&")).get_data(as_text=True)
            assert int(count) == len(re.findall(r"<tr data-id=", listed)) or int(count) > 50, (channel, view)
            if channel:
                assert f"channel={channel}" in href
    counts = {channel: dict((v, int(n)) for v, n in re.findall(
        r'data-view="(\w+)"[^>]*>[^<]*<span class="count" data-count="(\d+)"',
        admin.get(f"/admin/outbox?channel={channel}").get_data(as_text=True))) for channel in ("", "sms", "inapp")}
    assert counts["sms"]["all"] + counts["inapp"]["all"] <= counts[""]["all"]
    assert counts["sms"]["all"] != counts[""]["all"] or counts["inapp"]["all"] == 0


def test_the_favicon_is_served_to_anyone(demo_app):  # noqa: F811
    answer = demo_app.test_client().get("/favicon.ico")
    assert answer.status_code == 200 and answer.data[:4] == b"\x00\x00\x01\x00"        # an .ico file
    assert 'href="/favicon.ico"' in demo_client(demo_app, "jiancha1").get("/").get_data(as_text=True)


def test_every_sms_of_the_demo_fits_one_segment_and_names_a_file(demo_app):  # noqa: F811
    from sqlalchemy import select

    from records.outbox import OutboxMessage
    from webui import db
    with demo_app.app_context():
        texts = db.session().scalars(select(OutboxMessage.body).where(OutboxMessage.channel == "sms")).all()
    assert texts
    for text in texts:
        assert len(text) <= 70, text
        assert re.search(r"(?:YH|JC)-[A-Z]+-[A-Z]+-\d{4}-\d{5}|户号\d+", text), text
        assert re.search(r"\d{1,2}月\d{1,2}日", text) or "无需处理" in text, text
