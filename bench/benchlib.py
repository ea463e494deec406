"""What the benchmark scripts share: a throw-away PostgreSQL schema and the percentile they report."""
from __future__ import annotations

import contextlib
import uuid

from sqlalchemy import create_engine, text


def pct(values: list[float], q: float) -> float:
    """The q-quantile (0..1) of the values, nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


@contextlib.contextmanager
def pg_schema(base_url: str, prefix: str):
    """A fresh schema on the PostgreSQL server of base_url, dropped afterwards (also on errors); yields
    base_url with that schema as the search path (the same scheme as given: postgresql:// or +psycopg)."""
    schema = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base_url.replace("postgresql://", "postgresql+psycopg://", 1))
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{base_url}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
