"""Stamps on photos in documents: the capture time, the place and the file number drawn by the server
on a copy (the stored original is never changed). Owns no transaction."""
from __future__ import annotations

import io
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from PIL import Image, ImageDraw, ImageFont, ImageOps, UnidentifiedImageError

from records import attachments

from .context import zone

FONTS = ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
         "/usr/share/fonts/truetype/arphic/uming.ttc")
EXIF_IFD, TAKEN, CHANGED, GPS_IFD = 0x8769, 36867, 306, 0x8825


def _font(size: int, path: str | None):
    for candidate in ([path] if path else []) + list(FONTS):
        if candidate and Path(candidate).is_file():
            return ImageFont.truetype(candidate, size)
    return ImageFont.load_default(size)            # no CJK font installed: Latin digits still print


def taken_at(data: bytes) -> datetime | None:
    """The camera's capture time from EXIF (DateTimeOriginal, else DateTime), as the camera's local time."""
    try:
        with Image.open(io.BytesIO(data)) as img:
            exif = img.getexif()
    except (UnidentifiedImageError, OSError):
        return None
    raw = exif.get_ifd(EXIF_IFD).get(TAKEN) or exif.get(CHANGED)
    try:
        return datetime.strptime(str(raw).strip("\x00 "), "%Y:%m:%d %H:%M:%S") if raw else None
    except ValueError:
        return None


def position_of(data: bytes) -> tuple[float, float] | None:
    """(latitude, longitude) from the photo's EXIF GPS (the camera's, or the page's written by the device)."""
    try:
        with Image.open(io.BytesIO(data)) as img:
            gps = img.getexif().get_ifd(GPS_IFD)
        lat = sum(float(v) / 60 ** i for i, v in enumerate(gps[2])) * (-1 if gps.get(1) == "S" else 1)
        lon = sum(float(v) / 60 ** i for i, v in enumerate(gps[4])) * (-1 if gps.get(3) == "W" else 1)
    except (UnidentifiedImageError, OSError, KeyError, TypeError, ValueError, ZeroDivisionError):
        return None
    return lat, lon


def stamp(data: bytes, lines: list[str], font_path: str | None = None) -> bytes:
    """A JPEG copy of the photo with the lines on a dark band at the bottom; the photo itself if it
    cannot be read."""
    try:
        with Image.open(io.BytesIO(data)) as img:
            picture = ImageOps.exif_transpose(img).convert("RGB")
    except (UnidentifiedImageError, OSError):
        return data
    size = max(12, picture.width // 36)
    font = _font(size, font_path)
    band = int(len(lines) * size * 1.4 + size * 0.6)
    overlay = Image.new("RGBA", picture.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    draw.rectangle((0, picture.height - band, picture.width, picture.height), fill=(0, 0, 0, 150))
    for index, line in enumerate(lines):
        draw.text((size // 2, picture.height - band + size * 0.3 + index * size * 1.4), line, font=font,
                  fill=(255, 255, 255, 255))
    stamped = Image.alpha_composite(picture.convert("RGBA"), overlay).convert("RGB")
    out = io.BytesIO()
    stamped.save(out, "JPEG", quality=88)
    return out.getvalue()


def for_document(ctx, digest: str, data: bytes | None, place: str, numbers: str) -> bytes | None:
    """A stored photo as a document prints it: stamped with its capture time (the EXIF's, else when it
    was received), the place (and the position in its EXIF) and the file numbers."""
    if data is None:
        return None
    row = ctx.session.get(attachments.Attachment, digest)
    when = taken_at(data)
    shot = when.strftime("%Y-%m-%d %H:%M 拍摄") if when else (
        row.created_at.astimezone(ZoneInfo(zone(ctx))).strftime("%Y-%m-%d %H:%M 上传") if row else "")
    where = position_of(data)
    place = " ".join(x for x in (place, f"（{where[0]:.5f}, {where[1]:.5f}）" if where else None) if x)
    return stamp(data, [x for x in (shot, place, numbers) if x], ctx.settings.get("STAMP_FONT") or None)
