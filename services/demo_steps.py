"""Small steps the demo loaders share: drawing a photo or a signature, storing it, completing a task."""
from __future__ import annotations

import io
import random

from PIL import Image, ImageDraw
from sqlalchemy import select

from engine import HumanTask
from records import attachments


def image(kind: str, seed: int) -> bytes:
    rnd = random.Random(seed)
    if kind == "signature":
        canvas = Image.new("RGB", (420, 150), "white")
        draw = ImageDraw.Draw(canvas)
        points = [(20 + i * 18, 75 + rnd.randint(-40, 40)) for i in range(22)]
        draw.line(points, fill=(15, 25, 90), width=4)
        buffer = io.BytesIO()
        canvas.save(buffer, "PNG")
        return buffer.getvalue()
    canvas = Image.new("RGB", (640, 480), (rnd.randint(90, 160), rnd.randint(90, 160), rnd.randint(90, 160)))
    draw = ImageDraw.Draw(canvas)
    for _ in range(12):
        x, y = rnd.randint(0, 600), rnd.randint(0, 440)
        draw.rectangle([x, y, x + rnd.randint(20, 120), y + rnd.randint(20, 90)],
                       outline=(240, 240, 240), width=3)
    buffer = io.BytesIO()
    canvas.save(buffer, "JPEG", quality=80)
    return buffer.getvalue()


def store(rt, session, eng, kind: str, seed: int) -> str:
    """A drawn photo or signature kept as an attachment (committed), its id."""
    row = attachments.store_image(session, rt.files, image(kind, seed), kind=kind, actor="jiancha1",
                                  now=eng.clock.now(), max_bytes=20_000_000)
    session.commit()
    return row.id


def complete(session, eng, instance_id, element, data, actor):
    """Complete the instance's ready task at this element, as the actor."""
    task = session.scalars(select(HumanTask).where(HumanTask.instance_id == instance_id,
                                                   HumanTask.element_id == element,
                                                   HumanTask.status == "ready")).one()
    eng.complete_task(session, task.id, data, actor)
