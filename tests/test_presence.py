"""Proof of presence: which visits are flagged (far from the customer, no position, device clock off)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

from handlers.presence import distance_m, flags

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
HOSPITAL = SimpleNamespace(gps_lat=27.1133, gps_lon=114.9922)
SETTINGS = {"PRESENCE_MAX_DISTANCE_M": 500, "PRESENCE_MAX_CLOCK_SKEW_S": 300}


def fix(lat, lon, accuracy=15):
    return {"at": NOW.isoformat(), "lat": lat, "lon": lon, "accuracy": accuracy}


def test_distances_are_great_circle_metres():
    assert abs(distance_m(27.0, 115.0, 28.0, 115.0) - 111_195) < 50            # one degree of latitude
    assert distance_m(27.1133, 114.9922, 27.1133, 114.9922) == 0


def test_a_visit_at_the_customer_with_a_right_clock_is_not_flagged():
    presence = {"arrived": fix(27.1140, 114.9925), "left": fix(27.1130, 114.9920),
                "device_clock": (NOW + timedelta(seconds=40)).isoformat()}
    assert flags(presence, HOSPITAL, NOW, SETTINGS) == []


def test_a_departure_far_from_the_customer_is_flagged_with_the_distance_in_words():
    presence = {"arrived": fix(27.1140, 114.9925), "left": fix(27.1400, 114.9922)}
    found = flags(presence, HOSPITAL, NOW, SETTINGS)
    assert [f["kind"] for f in found] == ["far"] and found[0]["at"] == "left"
    assert 2900 < found[0]["distance_m"] < 3000 and "3.0 公里" in found[0]["text"] and "离开" in found[0]["text"]
    assert flags(presence, HOSPITAL, NOW, {**SETTINGS, "PRESENCE_MAX_DISTANCE_M": 5000}) == []   # configurable


def test_no_position_and_a_skewed_device_clock_are_flagged():
    found = flags({"device_clock": (NOW - timedelta(minutes=12)).isoformat()}, HOSPITAL, NOW, SETTINGS)
    assert [f["kind"] for f in found] == ["no_position", "clock"]
    assert found[1]["skew_s"] == -720 and "12 分钟" in found[1]["text"]


def test_a_customer_without_a_recorded_location_flags_only_the_clock():
    nowhere = SimpleNamespace(gps_lat=None, gps_lon=None)
    assert flags({"arrived": fix(30.0, 120.0)}, nowhere, NOW, SETTINGS) == []
