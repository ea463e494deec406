"""Who reaches which customer's grid trips (因客户原因引起电网跳闸) through the API: listing one customer's
trips and recording one, for every role, on a customer of the actor's own county and one of the other
county. A customer out of scope is answered like an absent one (404), and a refused write changes no row
and no audit event.

Organisation (web_support): company JA with counties JA-JZ and JA-JA; insp1/insp2 in team JA-T1 of JA-JZ,
insp3 in JA-T2 of JA-JA; sup and lead in JA-JZ; spec, owner and admin at the company. Added here:
spec_jz, a specialist of the county JA-JZ.
"""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from engine import AuditEvent
from hazard_support import seed_second_county
from records import Customer, CustomerTrip
from web_support import api_token
from webui import db

JZ, JA = "3600100001", "3600200001"           # the hospital of JA-JZ (team JA-T1); a factory of JA-JA (JA-T2)
COUNTIES = {"JA-JZ": JZ, "JA-JA": JA}
REACHES = {"spec": {"JA-JZ", "JA-JA"}, "owner": {"JA-JZ", "JA-JA"}, "admin": {"JA-JZ", "JA-JA"},
           "insp1": {"JA-JZ"}, "insp2": {"JA-JZ"}, "sup": {"JA-JZ"}, "lead": {"JA-JZ"}, "spec_jz": {"JA-JZ"},
           "insp3": {"JA-JA"}}
RECORDERS = {"spec", "spec_jz", "admin"}
CELLS = [(user, county) for user in sorted(REACHES) for county in sorted(COUNTIES)]


@pytest.fixture
def world(hazard_app):
    """Both counties have a customer with one trip recorded last week."""
    rt = hazard_app.extensions["gridsafe.runtime"]
    with hazard_app.app_context():
        session = db.session()
        now = rt.now()
        seed_second_county(session, now, JA)
        for number in (JZ, JA):
            customer = session.scalars(select(Customer).where(Customer.number == number)).one()
            session.add(CustomerTrip(customer_id=customer.id, occurred_at=now - timedelta(days=7),
                                     cause=f"{customer.name}进线开关短路", recorded_by="spec", recorded_at=now))
        session.commit()
    return hazard_app


def _writes(app) -> dict:
    with app.app_context():
        session = db.session()
        return {model.__name__: session.scalar(select(func.count()).select_from(model))
                for model in (CustomerTrip, AuditEvent)}


@pytest.mark.parametrize("user,county", CELLS)
def test_a_customers_trips_are_listed_only_within_scope(world, user, county):
    number = COUNTIES[county]
    response = world.test_client().get(f"/api/v1/customers/{number}/trips",
                                       headers={"Authorization": f"Bearer {api_token(world, user)}"})
    if county in REACHES[user]:
        assert response.status_code == 200
        [trip] = response.get_json()
        assert trip["customer"] == number and trip["cause"].endswith("进线开关短路")
    else:
        assert response.status_code == 404 and response.mimetype == "application/problem+json"
        assert "进线开关短路" not in response.get_data(as_text=True)


@pytest.mark.parametrize("user,county", CELLS)
def test_recording_a_trip_reaches_only_customers_in_scope_and_a_refusal_writes_nothing(world, user, county):
    number = COUNTIES[county]
    headers = {"Authorization": f"Bearer {api_token(world, user)}"}
    day = (world.extensions["gridsafe.runtime"].today() - timedelta(days=1)).isoformat()
    before = _writes(world)
    response = world.test_client().post(f"/api/v1/customers/{number}/trips", headers=headers,
                                        json={"occurred_on": day, "occurred_time": "08:30",
                                              "cause": "客户变压器故障越级跳闸"})
    if user not in RECORDERS:
        assert response.status_code == 403 and _writes(world) == before
    elif county not in REACHES[user]:
        assert response.status_code == 404 and _writes(world) == before
    else:
        assert response.status_code == 201, response.get_json()
        body = response.get_json()
        assert body["customer"] == number and body["cause"] == "客户变压器故障越级跳闸" and body["hazard"] is None
        assert _writes(world) == {"CustomerTrip": before["CustomerTrip"] + 1, "AuditEvent": before["AuditEvent"] + 1}
        with world.app_context():
            event = db.session().scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
        assert event.action == "customer.trip" and event.actor == user


def test_a_trip_with_bad_input_is_refused_by_the_field_and_writes_nothing(world):
    headers = {"Authorization": f"Bearer {api_token(world, 'spec')}"}
    before = _writes(world)
    client = world.test_client()
    future = (world.extensions["gridsafe.runtime"].today() + timedelta(days=2)).isoformat()
    response = client.post(f"/api/v1/customers/{JZ}/trips", headers=headers,
                           json={"occurred_on": future, "cause": "短路"})
    assert response.status_code == 422 and "occurred_on" in response.get_json()["errors"]
    response = client.post(f"/api/v1/customers/{JZ}/trips", headers=headers,
                           json={"occurred_on": "2026-03-01", "cause": "短路", "hazard": "YH-NONE-1"})
    assert response.status_code == 422 and "hazard" in response.get_json()["errors"]
    assert client.post(f"/api/v1/customers/{JZ}/trips", headers=headers, json={"cause": "x"}).status_code == 422
    assert _writes(world) == before
