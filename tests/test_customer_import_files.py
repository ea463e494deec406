"""The customer register import reads what people have (Chinese Excel's CSV, UTF-8 with or without BOM,
.xlsx whatever its name), refuses what it cannot read with a message, parses a file once, keeps the good
rows when the database refuses one."""
from __future__ import annotations

import io
import zipfile

import pytest
from openpyxl import Workbook
from sqlalchemy import select

import services
from records import Customer, Job, JobRow, User
from services import Invalid, customer_files, customer_import
from services.access import SYSTEM
from web_support import seed_people

HEADER = ["户号", "客户名称", "用电地址", "供电单位编码", "重要等级"]
ROWS = [["3608990101", "吉安市第一中学", "吉州区井冈山大道1号", "JA-JZ", "二级"],
        ["3608990102", "吉安县人民医院", "吉安县敦厚镇", "JA-JA", "一级"]]


def _csv(rows=ROWS, encoding="utf-8") -> bytes:
    return "\r\n".join(",".join(r) for r in [HEADER, *rows]).encode(encoding)


def _xlsx(rows=ROWS) -> bytes:
    book = Workbook()
    for row in [HEADER, *rows]:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize("encoding", ["gb18030", "gbk", "utf-8-sig", "utf-8"])
def test_a_csv_in_chinese_excel_or_utf8_encoding_reads_the_same(encoding):
    rows = customer_import.read_rows(_csv(encoding=encoding))
    assert [(r["number"], r["name"], r["address"], r["importance"]) for r in rows] == \
        [(r[0], r[1], r[2], r[4]) for r in ROWS]


def test_a_workbook_is_read_as_a_workbook_whatever_its_name_says():
    assert customer_import.read_rows(_xlsx())[1]["name"] == "吉安县人民医院"


def _zip(files: dict) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as out:
        for name, data in files.items():
            out.writestr(name, data)
    return buffer.getvalue()


def _broken_workbooks():
    good = zipfile.ZipFile(io.BytesIO(_xlsx()))
    parts = {name: good.read(name) for name in good.namelist()}
    sheet = "xl/worksheets/sheet1.xml"
    return {"not xml types": _zip({"[Content_Types].xml": b"<<<"}),
            "cut sheet": _zip({**parts, sheet: parts[sheet][:100]}),
            "binary workbook part": _zip({**parts, "xl/workbook.xml": b"\x00\x01garbage"}),
            "broken styles": _zip({**parts, "xl/styles.xml": b"<x"}),
            "half a file": _xlsx()[:2000],
            "binary": bytes(range(256)) * 4}


@pytest.mark.parametrize("name", list(_broken_workbooks()))
def test_a_malformed_workbook_is_refused_as_not_a_readable_file(name):
    with pytest.raises(customer_import.ImportRefused, match="readable"):
        customer_import.read_rows(_broken_workbooks()[name])


def test_a_file_over_the_row_limit_is_refused_with_the_limit():
    rows = [[f"36089902{n:02d}", f"客户{n}", "", "JA-JZ", ""] for n in range(6)]
    with pytest.raises(customer_import.ImportRefused, match="5"):
        customer_import.read_rows(_csv(rows), max_rows=5)
    assert len(customer_import.read_rows(_csv(rows[:5]), max_rows=5)) == 5


def test_control_characters_pasted_from_excel_are_dropped_from_cells():
    rows = [["3608990103", "吉安\x0b市\x07第二中学", "", "JA-JZ", ""]]
    assert customer_import.read_rows(_csv(rows))[0]["name"] == "吉安市第二中学"


@pytest.fixture
def rt(db_url, tmp_path, clock):
    runtime = services.build({"ENV": "testing", "SECRET_KEY": "test-secret", "DATABASE_URL": db_url,
                              "DATA_DIR": str(tmp_path / "data"), "CLOCK": clock, "MAX_IMPORT_ROWS": 1000})
    with runtime.sessions() as session:
        seed_people(session, clock.now())
    yield runtime
    runtime.sa.dispose()


def _import(rt, data: bytes, name: str) -> Job:
    with rt.sessions() as session:
        admin = session.scalars(select(User).where(User.username == "admin")).one()
        job_id = customer_import.start(rt, session, admin, name, io.BytesIO(data)).id
    for _ in range(100):
        with rt.sessions() as session:
            job = session.get(Job, job_id)
            if job.status == "done":
                session.expunge(job)
                return job
            customer_import.step(rt, session, job)
    raise AssertionError("the import did not finish")


def test_an_over_long_cell_rejects_its_row_with_the_limit_and_the_good_rows_are_kept(rt):
    rows = [ROWS[0], ["3608990104", "很长的名字" * 50, "", "JA-JZ", ""], ["3608990105", "吉安市图书馆", "长" * 301,
                                                                           "JA-JZ", ""], ROWS[1]]
    job = _import(rt, _csv(rows), "register.csv")
    assert job.report["created"] == 2, job.report
    assert [(r["row"], r["number"]) for r in job.report["rejected"]] == [(3, "3608990104"), (4, "3608990105")]
    assert "200" in job.report["rejected"][0]["reasons"][0] and "300" in job.report["rejected"][1]["reasons"][0]
    with rt.sessions() as session:
        kept = session.scalars(select(Customer.number).order_by(Customer.number)).all()
        assert kept == ["3608990101", "3608990102"]
        assert session.scalars(select(JobRow)).all() == []          # the kept rows go when the job is done


def test_the_file_is_parsed_once_however_many_steps_the_import_takes(rt, monkeypatch):
    parsed = []
    table = customer_files._table
    monkeypatch.setattr(customer_files, "_table", lambda data: parsed.append(1) or table(data))
    rows = [[f"3608991{n:03d}", f"客户{n}", "", "JA-JZ", ""] for n in range(450)]
    job = _import(rt, _xlsx(rows), "register.xlsx")
    assert job.done == job.total == 450 and job.report["created"] == 450
    assert len(parsed) == 1


def test_an_unreadable_upload_is_refused_and_nothing_is_kept(rt):
    with rt.sessions() as session, pytest.raises(Invalid) as refused:
        customer_import.start(rt, session, SYSTEM, "register.xlsx", io.BytesIO(_broken_workbooks()["cut sheet"]))
    assert "file" in refused.value.errors
    with rt.sessions() as session:
        assert session.scalars(select(Job)).all() == []
