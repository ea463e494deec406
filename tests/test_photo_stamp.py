"""Photos in documents carry a stamp (time, place, file number) drawn on a copy; the original is kept."""
from __future__ import annotations

import hashlib
import io

import pytest
from docx import Document as Docx
from PIL import Image
from sqlalchemy import select

from handlers.photo_stamp import position_of, stamp, taken_at
from inspection_support import InspectionWorld
from records import Document


def _photo(exif_time: str | None = None) -> bytes:
    img = Image.new("RGB", (800, 600), (200, 220, 240))
    out = io.BytesIO()
    exif = Image.Exif()
    if exif_time:
        exif.get_ifd(0x8769)[36867] = exif_time
    img.save(out, "JPEG", exif=exif.tobytes() if exif_time else b"")
    return out.getvalue()


def test_the_stamp_darkens_a_band_at_the_bottom_and_leaves_the_top_as_it_was():
    original = _photo()
    stamped = Image.open(io.BytesIO(stamp(original, ["2026-03-02 09:12 拍摄", "吉安市中心人民医院 配电室", "档案 YH-1"])))
    assert stamped.size == (800, 600)
    top, bottom = stamped.getpixel((400, 20)), stamped.getpixel((790, 595))
    assert all(abs(a - b) < 12 for a, b in zip(top, (200, 220, 240)))
    assert sum(bottom) < sum(top) / 2
    assert stamp(b"not a photo", ["x"]) == b"not a photo"


def test_the_capture_time_and_place_come_from_the_exif():
    assert taken_at(_photo("2026:03:02 09:12:30")).isoformat() == "2026-03-02T09:12:30"
    assert taken_at(_photo()) is None and taken_at(b"nothing") is None
    img, exif, out = Image.new("RGB", (40, 30)), Image.Exif(), io.BytesIO()
    exif.get_ifd(0x8825).update({1: "N", 2: (27.0, 6.0, 49.68), 3: "E", 4: (114.0, 59.0, 33.36)})
    img.save(out, "JPEG", exif=exif.tobytes())
    lat, lon = position_of(out.getvalue())
    assert abs(lat - 27.1138) < 1e-4 and abs(lon - 114.9926) < 1e-4
    assert position_of(_photo()) is None


@pytest.fixture
def world(sessions, clock, tmp_path):
    return InspectionWorld(sessions, clock, tmp_path)


def test_the_worksheet_prints_finding_photos_stamped_and_the_stored_photo_is_unchanged(world):
    ins = world.plan()
    finding = world.finding("EP02")
    original = world.files.get(finding["photos"][0])
    world.execute(ins, [finding], fail_items=("B02",))
    with world.sessions() as s:
        row = s.scalars(select(Document).where(Document.kind == "inspection_worksheet")).one()
    doc = Docx(io.BytesIO(world.files.get(row.sha256)))
    images = [p.blob for p in doc.part.package.parts if p.content_type.startswith("image/")]
    assert hashlib.sha256(original).hexdigest() == finding["photos"][0]           # kept as it was
    assert original not in images                                                  # printed stamped instead
    widths = {Image.open(io.BytesIO(b)).size for b in images}
    assert Image.open(io.BytesIO(original)).size in widths
