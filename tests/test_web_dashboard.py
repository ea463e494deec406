"""The dashboard, its Excel export, the lists behind its numbers, the periodic reports and the KPI API,
on the March world of tests/kpi_support.py (expected values worked out in test_kpi_indicators.py)."""
from __future__ import annotations

import io
import re
from html.parser import HTMLParser

import pytest
from docx import Document as Docx
from openpyxl import load_workbook
from sqlalchemy import select

import kpi_support
from kpi_support import make_app
from records import Document, ReportLog
from web_support import api_token, csrf_of, signed_in
from services.indicator_tables import BUILDERS
from webui import db, excel


@pytest.fixture
def app(sqlite_url, tmp_path):
    return make_app(sqlite_url, tmp_path / "data")


class Tables(HTMLParser):
    """{table key: [[cell text, ...], ...]} of the dashboard's data tables (body rows)."""

    def __init__(self):
        super().__init__()
        self.tables, self.key, self.row, self.cell, self.in_body = {}, None, None, None, False
        self.links = []          # (number shown, the link behind it)
        self.href = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "section" and (attrs.get("id") or "").startswith("table-"):
            self.key = attrs["id"][6:]
            self.tables[self.key] = []
        elif tag == "tbody":
            self.in_body = True
        elif tag == "tr" and self.key and self.in_body:
            self.row = []
        elif tag == "td" and self.row is not None:
            self.cell = ""
        elif tag == "a" and self.cell is not None:
            self.href = attrs.get("href")

    def handle_endtag(self, tag):
        if tag == "a" and self.href and self.cell is not None:
            self.links.append((self.cell.strip(), self.href))
            self.href = None
        if tag == "td" and self.cell is not None:
            self.row.append(self.cell.strip())
            self.cell = None
        elif tag == "tr" and self.row is not None:
            if self.row and "empty" not in self.row[0]:
                self.tables[self.key].append(self.row)
            self.row = None
        elif tag == "tbody":
            self.in_body = False
        elif tag == "section":
            self.key = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell += data


def page_tables(html: str, links: bool = False):
    parser = Tables()
    parser.feed(html)
    return (parser.tables, parser.links) if links else parser.tables


def listed(client, href: str) -> int:
    """How many hazards (or inspections) the list behind a link holds."""
    text = client.get(href).get_data(as_text=True)
    found = re.search(r'id="total">\D*(\d+)', text) or re.search(r'<p class="muted">\D*(\d+)', text)
    return int(found.group(1))


def sheet_rows(sheet) -> list:
    return [[excel.shown(c.value, c.number_format) for c in row] for row in sheet.iter_rows(min_row=3)]


def test_the_leader_sees_the_three_indicators_with_links_to_the_lists_behind_them(app):
    leader = signed_in(app, "lead")
    page = leader.get("/dashboard?period=2026-03").get_data(as_text=True)
    cards = re.findall(r'data-kpi="(\w+)">.*?kpi-value">(?:<a href="([^"]+)">)?([^<]+)', page, re.S)
    assert [(k, text) for k, _href, text in cards] == [("filing", "60.0%"), ("elimination", "25.0%"),
                                                        ("monitoring", "16.7%")]
    tables = page_tables(page)
    assert tables["indicators"][0] == ["Filing rate", "60.0%", "3", "5", "2"] or \
        tables["indicators"][0][1:] == ["60.0%", "3", "5", "2"]
    # the list behind "not filed" and behind "not under monitoring" holds exactly those hazards
    unfiled = leader.get("/hazards?kpi=unfiled&period=2026-03").get_data(as_text=True)
    assert sorted(re.findall(r">(H\d+)</a>", unfiled)) == ["H4", "H5"] and 'id="kpi-filter"' in unfiled
    gaps = leader.get("/hazards?kpi=unmonitored&period=2026-03").get_data(as_text=True)
    assert sorted(re.findall(r">(H\d+)</a>", gaps)) == ["H11", "H2", "H3", "H5", "H9"]   # H2: order not delivered
    late = leader.get("/dashboard/inspections?kpi=periodic_late&period=2026-03").get_data(as_text=True)
    assert re.findall(r"<td>(I\d)</td>", late) == ["I2"]
    assert 'hx-get="/dashboard/trend?period=2026-03' in page
    trend = leader.get("/dashboard/trend?period=2026-03").get_data(as_text=True)
    assert page_tables(trend)["trend"][-1][:4] == ["2026-03", "5", "2", "6"] and 'id="trend-data"' in trend
    # every count on the dashboard links to a list of exactly that many
    _tables, links = page_tables(page + trend, links=True)
    counts = [(text, href) for text, href in links if text.isdigit()]
    assert len(counts) > 30
    for text, href in counts:
        assert listed(leader, href) == int(text), href


def test_the_excel_export_holds_the_numbers_of_the_page(app):
    leader = signed_in(app, "lead")
    for query in ("period=2026-03&by=team", "period=2026-Q1&by=class", "from=2026-03-05&to=2026-03-31&by=branch"):
        tables = page_tables(leader.get(f"/dashboard?{query}").get_data(as_text=True))
        tables.update(page_tables(leader.get(f"/dashboard/trend?{query}").get_data(as_text=True)))
        response = leader.get(f"/dashboard/export?{query}&table=all")
        assert response.status_code == 200 and response.mimetype == excel.XLSX
        book = load_workbook(io.BytesIO(response.data))
        assert len(book.worksheets) == len(BUILDERS)
        for key, sheet in zip(BUILDERS, book.worksheets):
            assert sheet_rows(sheet) == tables[key], (query, key)
    one = load_workbook(io.BytesIO(leader.get("/dashboard/export?period=2026-03&table=indicators").data))
    assert sheet_rows(one.worksheets[0]) == page_tables(leader.get("/dashboard?period=2026-03")
                                                        .get_data(as_text=True))["indicators"]
    assert one.worksheets[0]["A1"].value.endswith("2026-03")
    assert leader.get("/dashboard/export?period=2026-03&table=nope").status_code == 404


@pytest.mark.parametrize("query,words", [
    ("period=2027-01", "lies in the future"), ("period=2026-13", "no month"), ("period=soon", "Give the period"),
    ("from=2026-03-20&to=2026-03-01", "starts after it ends"), ("from=2026-02-30", "is not a date"),
    ("period=2026-03&branch=XX", "no branch XX"), ("period=2026-03&team=NOPE", "no team NOPE"),
    ("period=2026-03&klass=gold", "customer class"),
])
def test_bad_periods_and_filters_get_a_message_and_no_number(app, query, words):
    leader = signed_in(app, "lead")
    response = leader.get(f"/dashboard?{query}")
    text = response.get_data(as_text=True)
    assert response.status_code == 400 and words in text and "kpi-value" not in text
    assert leader.get(f"/dashboard/export?{query}").status_code == 400
    assert leader.get(f"/dashboard/trend?{query}").status_code == 400


def test_an_empty_period_and_a_team_without_members_show_dashes_not_numbers(app):
    leader = signed_in(app, "lead")
    for query in ("period=2025-06", "period=2026-03&team=T3"):
        response = leader.get(f"/dashboard?{query}")
        assert response.status_code == 200
        tables = page_tables(response.get_data(as_text=True))
        assert all(row[1] == "—" and row[2] == "0" and row[3] == "0" for row in tables["indicators"]), query
        assert "nan" not in response.get_data(as_text=True).lower()


def test_a_county_leader_sees_the_county_and_an_inspector_nothing(app):
    county = signed_in(app, "cnty")               # leader of JA-QY: only C2's hazards (H3, H9)
    tables = page_tables(county.get("/dashboard?period=2026-03").get_data(as_text=True))
    assert tables["indicators"][0][1:4] == ["100.0%", "2", "2"]
    assert signed_in(app, "insp").get("/dashboard").status_code == 403
    supervisor = signed_in(app, "sup")
    assert supervisor.get("/dashboard?period=2026-03").status_code == 200
    assert supervisor.post("/summaries", data={"csrf_token": csrf_of(supervisor, "/summaries"), "kind": "periodic",
                                               "period": "2026-Q1"}).status_code == 403


def _tables(data: bytes) -> list:
    return [[[c.text for c in r.cells] for r in t.rows] for t in Docx(io.BytesIO(data)).tables]


def test_a_quarters_report_holds_the_right_counts_and_is_archived_and_logged(app):
    leader = signed_in(app, "lead")
    response = leader.post("/summaries", data={"csrf_token": csrf_of(leader, "/summaries"), "kind": "periodic",
                                               "period": "2026-Q1"}, follow_redirects=True)
    assert response.status_code == 200 and "YHTJ-JA-2026-Q1" in response.get_data(as_text=True)
    with app.app_context():
        session = db.session()
        doc = session.scalars(select(Document).where(Document.kind == "periodic_summary")).one()
        log = session.scalars(select(ReportLog).where(ReportLog.document_id == doc.id)).one()
        assert (log.reason, log.status) == ("periodic_summary", "pending") and "发展和改革委员会" in log.recipient
        data = app.extensions["gridsafe.files"].get(doc.sha256)
    tables = _tables(data)
    severity = next(t for t in tables if t[0][:3] == ["等级", "新发现", "销号"])
    # Q1: 9 discovered (H1–H6 without H7/H8, H9, H10, H11), closed H10, H1, H4; open at the end H2, H3, H5, H6,
    # H9, H11, of which H2 and H11 overdue; H3 reported
    assert severity[1:] == [["一般", "5", "3", "2", "1", "0"], ["较大", "2", "0", "2", "1", "0"],
                            ["重大", "2", "0", "2", "0", "1"], ["合计", "9", "3", "6", "2", "1"]]
    rates = {row[0]: row[1:] for row in next(t for t in tables if t[0][0] == "指标")[1:]}
    assert rates["一患一档建档率"] == ["77.8%", "7", "9"] and rates["隐患消除率"] == ["33.3%", "3", "9"]
    assert rates["隐患监控率"] == ["16.7%", "1", "6"]
    customers = next(t for t in tables if t[0][0] == "客户名称")
    assert sorted(r[1] for r in customers[1:]) == ["C1", "C2"]
    assert b"word/media/" in data                                   # the trend chart is embedded
    # the report appears in the report log, where it can be marked submitted
    assert "YHTJ-JA-2026-Q1" in leader.get("/reports").get_data(as_text=True)


def test_the_annual_report_and_bad_report_requests(app):
    leader = signed_in(app, "lead")
    token = csrf_of(leader, "/summaries")
    done = leader.post("/summaries", data={"csrf_token": token, "kind": "annual", "year": "2026"}, follow_redirects=True)
    assert "YHNB-JA-2026" in done.get_data(as_text=True)
    for form, words in (({"kind": "annual", "year": "2031"}, "lies in the future"),
                        ({"kind": "periodic", "period": "2026"}, "a month (2026-03) or a quarter"),
                        ({"kind": "periodic", "period": "2026-03", "branch": "XX"}, "no branch XX")):
        text = leader.post("/summaries", data={"csrf_token": token, **form}, follow_redirects=True).get_data(as_text=True)
        assert words in text, form
    with app.app_context():
        docs = db.session().scalars(select(Document.number).where(Document.kind.in_(["periodic_summary",
                                                                                     "annual_report"]))).all()
        assert docs == ["YHNB-JA-2026"]


def test_the_api_gives_the_dashboards_numbers(app):
    headers = {"Authorization": f"Bearer {api_token(app, 'lead')}"}
    client = app.test_client()
    body = client.get("/api/v1/kpi?period=2026-03", headers=headers).get_json()
    filing = next(i for i in body["indicators"] if i["key"] == "filing")
    assert (filing["num"], filing["den"], filing["rate"], filing["percent"]) == (3, 5, 0.6, "60.0%")
    assert body["close_days"]["general"] == {"average_days": 18.5, "closed": 2} and body["running"] is False
    empty = client.get("/api/v1/kpi?period=2025-06", headers=headers).get_json()
    assert all(i["rate"] is None and i["percent"] == "—" for i in empty["indicators"])
    teams = client.get("/api/v1/kpi/breakdown?period=2026-03&by=team", headers=headers).get_json()
    assert {g["label"]: next(i["den"] for i in g["indicators"] if i["key"] == "filing")
            for g in teams["groups"]} == {"吉州一组": 3, "青原一组": 2}
    bad = client.get("/api/v1/kpi?period=2027-01", headers=headers)
    assert bad.status_code == 400 and bad.mimetype == "application/problem+json" and "future" in bad.get_json()["detail"]
    insp = {"Authorization": f"Bearer {api_token(app, 'insp')}"}
    assert client.get("/api/v1/kpi", headers=insp).status_code == 403


def test_a_report_of_an_empty_month_says_so_and_shows_dashes(app):
    leader = signed_in(app, "lead")
    leader.post("/summaries", data={"csrf_token": csrf_of(leader, "/summaries"), "kind": "periodic",
                                    "period": "2025-06"})
    with app.app_context():
        doc = db.session().scalars(select(Document).where(Document.kind == "periodic_summary")).one()
        data = app.extensions["gridsafe.files"].get(doc.sha256)
    body = "\n".join(p.text for p in Docx(io.BytesIO(data)).paragraphs)
    assert "本期未发现新的隐患" in body and "新发现隐患0项" in body
    rates = next(t for t in _tables(data) if t[0][0] == "指标")
    assert all(row[1] == "—" and row[3] == "0" for row in rates[1:])


def test_the_chart_falls_back_to_english_labels_without_a_chinese_font(monkeypatch):
    from handlers import charts
    monkeypatch.setattr(charts, "cjk_font", lambda: None)
    png = charts.bar_chart(["2026-01", "2026-02"], {"发现": [1, 2]}, title=("趋势", "Trend"), fallback={"发现": "found"})
    assert png[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_inspections_behind_a_number_page_through_more_than_one_page(app):
    """55 periodic inspections due in March: the list behind the number shows 50, then the rest."""
    from datetime import date

    from records import Customer, Inspection
    from services.indicators import PAGE_SIZE
    with app.app_context():
        session = db.session()
        customer = session.scalars(select(Customer).where(Customer.number == "C1")).one()
        for n in range(55):
            session.add(Inspection(number=f"P{n:03d}", customer_id=customer.id, kind="periodic",
                                   team_id=customer.default_team_id, planned_from=date(2026, 2, 1),
                                   due_date=date(2026, 3, 2), status="completed", completed_on=date(2026, 3, 1),
                                   checklist_template="*:*", created_by="spec", created_at=kpi_support.at("02-01")))
        session.commit()
    leader = signed_in(app, "lead")
    url = "/dashboard/inspections?kpi=periodic_due&period=2026-03"
    first = leader.get(url)
    assert first.status_code == 200 and PAGE_SIZE == 50
    text = first.get_data(as_text=True)
    total = int(re.search(r'id="total">(\d+)', text).group(1))
    assert total == 57 and len(re.findall(r"<td>P\d{3}</td>", text)) == 50
    assert "page=2" in text and 'rel="next"' in text
    second = leader.get(url + "&page=2").get_data(as_text=True)
    assert len(re.findall(r"<td>(?:P\d{3}|I\d)</td>", second)) == total - 50 and 'rel="prev"' in second
    zero = leader.get(url + "&page=0").get_data(as_text=True)
    assert re.findall(r"<td>P\d{3}</td>", zero) == re.findall(r"<td>P\d{3}</td>", text)   # page 0 is page 1
