"""Proof of presence: where and when the device was at arrival and departure, against the customer's
recorded location and the server's clock. Nothing is blocked: a visit that does not fit is flagged for
the specialist to verify, with the inspector's explanation beside it. Owns no transaction."""
from __future__ import annotations

import math
from datetime import datetime
from zoneinfo import ZoneInfo

from .context import zone

EARTH_M = 6_371_000


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_M * math.asin(math.sqrt(min(1.0, a)))


def _when(value) -> datetime | None:
    try:
        found = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return found if found.tzinfo else None


def flags(presence: dict | None, customer, now: datetime, settings: dict) -> list[dict]:
    """What makes this visit one to verify: positions farther from the customer than the configured
    distance, no position at all, or a device clock off the server's by more than the allowed skew."""
    presence = presence or {}
    limit = float(settings.get("PRESENCE_MAX_DISTANCE_M", 500))
    skew_limit = float(settings.get("PRESENCE_MAX_CLOCK_SKEW_S", 300))
    found = []
    points = [(name, presence.get(name) or {}) for name in ("arrived", "left")]
    points = [(name, p) for name, p in points if p.get("lat") is not None and p.get("lon") is not None]
    if not points:
        found.append({"kind": "no_position", "text": "设备未提供到场位置"})
    elif customer.gps_lat is not None and customer.gps_lon is not None:
        for name, p in points:
            metres = distance_m(float(p["lat"]), float(p["lon"]), customer.gps_lat, customer.gps_lon)
            if metres > limit:
                found.append({"kind": "far", "at": name, "distance_m": round(metres),
                              "text": f"{'到达' if name == 'arrived' else '离开'}位置距客户登记位置约 "
                                      f"{_distance_text(metres)}（允许 {_distance_text(limit)}）"})
    device = _when(presence.get("device_clock"))
    if device is not None:
        skew = (device - now).total_seconds()
        if abs(skew) > skew_limit:
            found.append({"kind": "clock", "skew_s": round(skew),
                          "text": f"设备时钟与服务器相差约 {round(abs(skew) / 60)} 分钟"})
    return found


def _distance_text(metres: float) -> str:
    return f"{metres / 1000:.1f} 公里" if metres >= 1000 else f"{round(metres)} 米"


def record(ctx, ins, result: dict) -> dict:
    """Keep the server's clock beside the device's and the flags on the inspection (and its result)."""
    presence = dict(result.get("presence") or {})
    presence["server_clock"] = ctx.now().isoformat()
    found = flags(presence, ins.customer, ctx.now(), ctx.settings)
    presence["flags"] = found
    ins.needs_verification = bool(found)
    return presence


def presence_lines(ctx, presence: dict) -> list[tuple[str, str | None]]:
    """The worksheet's lines about the visit: device times and positions, the check, the explanation."""
    zone_info = ZoneInfo(zone(ctx))

    def fix(p: dict) -> str | None:
        at = _when(p.get("at"))
        if at is None or p.get("lat") is None:
            return None
        return (f"{at.astimezone(zone_info).strftime('%Y-%m-%d %H:%M')}，{float(p['lat']):.5f}, {float(p['lon']):.5f}"
                + (f"（精度 ±{round(float(p['accuracy']))} 米）" if p.get("accuracy") is not None else ""))

    flagged = presence.get("flags") or []
    return [("到达（设备记录）", fix(presence.get("arrived") or {})), ("离开（设备记录）", fix(presence.get("left") or {})),
            ("到场核验", "；".join(f["text"] for f in flagged) + "，待专责核验" if flagged else "时间和位置相符"),
            ("情况说明", presence.get("explanation"))]
