"""Grid trips caused by customers (因客户原因引起电网跳闸次数): recorded per customer (when, cause, the hazard
behind it if any) and counted among the indicators, per period, branch and customer's team — on the
March world of tests/kpi_support.py (read on 2026-04-10)."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from kpi_support import make_app
from records import CustomerTrip
from web_support import api_token, csrf_of, signed_in
from webui import db


@pytest.fixture
def app(sqlite_url, tmp_path):
    return make_app(sqlite_url, tmp_path / "data")


def _record(client, **values):
    form = {"csrf_token": csrf_of(client, "/trips"), "customer": "", "occurred_on": "", "occurred_time": "",
            "cause": "", "hazard": "", **values}
    return client.post("/trips", data=form)


def _count(app) -> int:
    with app.app_context():
        return db.session().scalar(select(func.count()).select_from(CustomerTrip))


def _trips_table(page: str) -> dict:
    section = re.search(r'id="table-trips".*?</section>', page, re.S).group(0)
    return dict(re.findall(r"<tr><td>([^<]+)</td><td[^>]*>(?:<a [^>]+>)?(\d+)", section))


def test_trips_are_recorded_per_customer_and_counted_per_period_and_branch(app):
    spec = signed_in(app, "spec")
    assert _record(spec, customer="C2", occurred_on="2026-03-15", occurred_time="14:20",
                   cause="用户10kV开关柜绝缘击穿，越级跳闸", hazard="H3").status_code == 302
    assert _record(spec, customer="C1", occurred_on="2026-03-31", occurred_time="23:30",
                   cause="用户保护定值不配合").status_code == 302
    assert _record(spec, customer="C1", occurred_on="2026-04-01", occurred_time="00:10",
                   cause="同一故障再次跳闸").status_code == 302           # April in Ji'an
    with app.app_context():
        rows = db.session().scalars(select(CustomerTrip).order_by(CustomerTrip.occurred_at)).all()
        assert [(r.customer.number, r.hazard.file_number if r.hazard else None) for r in rows] == \
            [("C2", "H3"), ("C1", None), ("C1", None)]
    lead = signed_in(app, "lead")
    page = lead.get("/dashboard?period=2026-03&by=branch").get_data(as_text=True)
    assert _trips_table(page) == {"吉州区供电公司": "1", "青原区供电公司": "1", "Total": "2"}
    listed = lead.get("/trips?period=2026-03").get_data(as_text=True)
    assert "越级跳闸" in listed and "保护定值不配合" in listed and "再次跳闸" not in listed
    token = {"Authorization": f"Bearer {api_token(app, 'lead')}"}
    assert lead.get("/api/v1/kpi?period=2026-03", headers=token).get_json()["customer_trips"] == 2
    assert lead.get("/api/v1/kpi?period=2026-04", headers=token).get_json()["customer_trips"] == 1
    groups = lead.get("/api/v1/kpi/breakdown?period=2026-03&by=team", headers=token).get_json()["groups"]
    assert sorted((g["label"], g["customer_trips"]) for g in groups) == [("吉州一组", 1), ("青原一组", 1)]
    # the customer's file lists its trips with the hazard behind them
    file = spec.get("/customers/C2").get_data(as_text=True)
    assert "越级跳闸" in file and ">H3</a>" in file
    # the county leader of 青原 counts only their own county's trip
    county = signed_in(app, "cnty")
    assert _trips_table(county.get("/dashboard?period=2026-03&by=branch").get_data(as_text=True)) == \
        {"青原区供电公司": "1", "Total": "1"}


@pytest.mark.parametrize("values,field", [
    ({"customer": "C9"}, "没有该户号的客户|There is no customer"),
    ({"occurred_on": "2026-04-11"}, "future"),
    ({"occurred_on": "11.04.2026"}, "YYYY-MM-DD"),
    ({"cause": ""}, "caused the trip"),
    ({"hazard": "H1"}, "another customer"),            # H1 is C1's
])
def test_a_trip_that_cannot_be_right_is_refused_with_the_reason_and_nothing_written(app, values, field):
    spec = signed_in(app, "spec")
    form = {"customer": "C2", "occurred_on": "2026-03-15", "cause": "越级跳闸", **values}
    response = _record(spec, **form)
    assert response.status_code == 422 and re.search(field, response.get_data(as_text=True))
    assert _count(app) == 0


def test_only_specialists_record_trips(app):
    assert _record(signed_in(app, "insp"), customer="C1", occurred_on="2026-03-15", cause="x").status_code == 403
    assert _record(signed_in(app, "lead"), customer="C1", occurred_on="2026-03-15", cause="x").status_code == 403
    assert _count(app) == 0
