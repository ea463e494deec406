"""Files where the records are: on PostgreSQL photos, signatures and documents are rows (file_chunk),
written in the transaction of the row that names them and streamed back byte for byte; a local folder
moves into the database with `gridsafe files migrate`, every hash checked."""
from __future__ import annotations

import hashlib
import io
import os

import pytest
from click.testing import CliRunner
from PIL import Image
from sqlalchemy import func, insert, select

import cli
from records import Attachment, DatabaseStore, FileChunk, FolderStore, attachments, documents
from records.files import CHUNK_BYTES
from services import runtime as wiring
from web_support import api_token, png, seed_people

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg(pg_url):
    from conftest import _truncate_pg
    _truncate_pg(pg_url)
    return pg_url


def build(url, data, clock):
    return wiring.build({"ENV": "testing", "SECRET_KEY": "k", "DATABASE_URL": url, "DATA_DIR": str(data),
                         "CLOCK": clock})


def noisy_photo(size=400) -> bytes:
    """A PNG of random pixels: larger than one chunk, so order and joins matter."""
    buffer = io.BytesIO()
    Image.frombytes("RGB", (size, size), os.urandom(size * size * 3)).save(buffer, "PNG")
    return buffer.getvalue()


def chunk_count(rt, digest) -> int:
    with rt.read_sessions() as s:
        return s.scalar(select(func.count()).select_from(FileChunk).where(FileChunk.sha256 == digest))


def test_the_store_follows_the_database(pg, sqlite_url, tmp_path, clock):
    on_pg, on_sqlite = build(pg, tmp_path / "a", clock), build(sqlite_url, tmp_path / "b", clock)
    assert isinstance(on_pg.files, DatabaseStore) and isinstance(on_sqlite.files, FolderStore)
    on_pg.sa.dispose(), on_sqlite.sa.dispose()


def test_a_photo_uploaded_on_postgresql_is_served_back_byte_for_byte_with_its_type(pg, tmp_path, clock):
    from webui import create_app, db
    app = create_app({"ENV": "testing", "SECRET_KEY": "k", "DATABASE_URL": pg, "DATA_DIR": str(tmp_path / "data"),
                      "CLOCK": clock})
    with app.app_context():
        seed_people(db.session(), clock.now())
        db.session().commit()
    headers = {"Authorization": f"Bearer {api_token(app, 'insp1')}"}
    photo = noisy_photo(600)
    assert len(photo) > 2 * CHUNK_BYTES
    client = app.test_client()
    up = client.post("/api/v1/attachments", headers=headers, content_type="multipart/form-data",
                     data={"kind": "photo", "file": (io.BytesIO(photo), "p.png")})
    assert up.status_code == 201, up.get_json()
    digest = up.get_json()["id"]
    again = client.post("/api/v1/attachments", headers=headers, content_type="multipart/form-data",
                        data={"kind": "photo", "file": (io.BytesIO(photo), "same.png")})
    assert again.get_json()["id"] == digest
    down = client.get(f"/api/v1/attachments/{digest}", headers=headers)
    assert down.status_code == 200 and down.is_streamed
    assert down.mimetype == "image/png" and down.content_length == len(photo)
    assert down.get_data() == photo
    rt = app.extensions["gridsafe.runtime"]
    assert chunk_count(rt, digest) == -(-len(photo) // CHUNK_BYTES)      # stored once, deduplicated
    body = os.urandom(CHUNK_BYTES + 5)                                 # a generated document, two chunks
    with rt.sessions() as s:
        doc = documents.archive(s, rt.files, body, kind="annual_report", number="BG-1", subject="2026",
                                filename="年度报告.docx", actor="spec", now=clock.now())
        s.commit()
        doc_id = doc.id
    got = client.get(f"/api/v1/documents/{doc_id}", headers={"Authorization": f"Bearer {api_token(app, 'spec')}"})
    assert got.status_code == 200 and got.get_data() == body
    assert got.mimetype == documents.DOCX and got.headers["Content-Disposition"].startswith("attachment")
    assert not (tmp_path / "data" / "files").exists()                  # nothing in a local folder


def test_a_document_round_trips_and_another_node_reads_it(pg, tmp_path, clock):
    node_a, node_b = build(pg, tmp_path / "a", clock), build(pg, tmp_path / "b", clock)
    body = os.urandom(3 * CHUNK_BYTES + 17)
    with node_a.sessions() as s:
        doc = documents.archive(s, node_a.files, body, kind="hazard_notice", number="N-1", subject="YH-1",
                                filename="告知书.docx", actor="insp1", now=clock.now())
        s.commit()
        digest = doc.sha256
    with node_b.files.open(digest) as stream:
        assert stream.read() == body
    with node_b.read_sessions() as s:
        assert node_b.files.get(digest, s) == body and node_b.files.intact(digest, s)
    node_a.sa.dispose(), node_b.sa.dispose()


def test_a_row_and_its_file_commit_or_roll_back_together(pg, tmp_path, clock):
    rt = build(pg, tmp_path / "data", clock)
    photo = noisy_photo(300)
    digest = hashlib.sha256(photo).hexdigest()
    with rt.sessions() as s:
        attachments.store_image(s, rt.files, photo, kind="photo", actor="insp1", now=clock.now(), max_bytes=10 << 20)
        s.flush()
        assert rt.files.exists(digest, s)              # written in this transaction...
        assert not rt.files.exists(digest)             # ...which nobody else sees yet
        s.rollback()
    with rt.read_sessions() as s:
        assert s.get(Attachment, digest) is None and not rt.files.exists(digest, s)
    assert chunk_count(rt, digest) == 0
    with rt.sessions() as s:
        attachments.store_image(s, rt.files, photo, kind="photo", actor="insp1", now=clock.now(), max_bytes=10 << 20)
        s.commit()
    with rt.read_sessions() as s:
        assert s.get(Attachment, digest) is not None and rt.files.get(digest, s) == photo
    rt.sa.dispose()


def test_files_migrate_moves_a_folder_into_the_database_and_verifies_it(pg, tmp_path, clock):
    rt = build(pg, tmp_path / "data", clock)
    folder = FolderStore(tmp_path / "data" / "files")
    blobs = [noisy_photo(200), png(), b"PK\x03\x04 an old document"]
    digests = [folder.put(b) for b in blobs]
    with rt.sessions() as s:
        s.execute(insert(Attachment).values(id=digests[0], kind="photo", content_type="image/png",
                                            size=len(blobs[0]), created_by="insp1", created_at=clock.now()))
        s.commit()
    run = CliRunner().invoke(cli.main, ["files", "migrate"], obj={"rt": rt})
    assert run.exit_code == 0, run.output
    assert "3 files moved into the database, 0 already there, 0 problems" in run.output
    with rt.read_sessions() as s:
        assert [rt.files.get(d, s) for d in digests] == blobs
    rerun = CliRunner().invoke(cli.main, ["files", "migrate"], obj={"rt": rt})
    assert rerun.exit_code == 0 and "0 files moved into the database, 3 already there" in rerun.output
    assert chunk_count(rt, digests[0]) == -(-len(blobs[0]) // CHUNK_BYTES)
    rt.sa.dispose()


def test_files_migrate_reports_a_damaged_file_and_one_a_row_names_but_nobody_has(pg, tmp_path, clock):
    rt = build(pg, tmp_path / "data", clock)
    folder = FolderStore(tmp_path / "data" / "files")
    damaged = folder.put(png(70, 40))
    folder.path(damaged).write_bytes(b"not the photo any more")
    lost = hashlib.sha256(b"never stored").hexdigest()
    with rt.sessions() as s:
        s.execute(insert(Attachment).values(id=lost, kind="photo", content_type="image/png", size=12,
                                            created_by="insp1", created_at=clock.now()))
        s.commit()
    run = CliRunner().invoke(cli.main, ["files", "migrate"], obj={"rt": rt})
    assert run.exit_code == 1
    assert f"PROBLEM file {damaged} in the folder is damaged" in run.output
    assert f"PROBLEM file {lost} named by the database is missing" in run.output
    assert chunk_count(rt, damaged) == 0
    rt.sa.dispose()


def test_files_migrate_is_refused_on_sqlite(sqlite_url, tmp_path, clock):
    rt = build(sqlite_url, tmp_path / "data", clock)
    run = CliRunner().invoke(cli.main, ["files", "migrate"], obj={"rt": rt})
    assert run.exit_code == 1 and "local folder" in run.output
    rt.sa.dispose()


def test_a_rolled_back_requests_file_is_collected_once_past_its_grace_and_named_files_stay(sqlite_url, tmp_path,
                                                                                           clock):
    from services import access, jobs
    from services import files as file_moving
    rt = build(sqlite_url, tmp_path / "data", clock)
    with rt.sessions() as s:                                  # a request that stored its photo and committed
        kept = attachments.store_image(s, rt.files, noisy_photo(), kind="photo", actor="insp1", now=rt.now(),
                                       max_bytes=10 << 20)
        s.commit()
        kept = kept.id
    with rt.sessions() as s:                                  # one that failed after writing the file
        lost = attachments.store_image(s, rt.files, noisy_photo(300), kind="photo", actor="insp1", now=rt.now(),
                                       max_bytes=10 << 20).id
        s.rollback()
    in_flight = noisy_photo(200)
    young = rt.files.put(in_flight)                            # a request still in flight: not named yet
    day_old = os.stat(rt.files.path(kept)).st_mtime - 2 * 86400
    for digest in (kept, lost):
        os.utime(rt.files.path(digest), (day_old, day_old))

    assert jobs.daily_files(rt) == 1                          # the scheduler's daily run
    assert not rt.files.exists(lost)
    assert rt.files.intact(kept) and rt.files.intact(young)
    assert jobs.daily_files(rt) is None                       # once a day
    report = file_moving.collect_orphans(rt, access.SYSTEM)
    assert (report.removed, report.recent) == (0, 1)

    os.utime(rt.files.path(young), (day_old, day_old))
    rt.files.put(in_flight)                                    # the same bytes stored again: fresh, not collected
    run = CliRunner().invoke(cli.main, ["files", "collect"], obj={"rt": rt})
    assert run.exit_code == 0, run.output
    assert "0 orphan files removed, 1 younger" in run.output and rt.files.intact(young)
    run = CliRunner().invoke(cli.main, ["files", "collect", "--hours", "0"], obj={"rt": rt})
    assert "1 orphan files removed" in run.output and not rt.files.exists(young) and rt.files.intact(kept)


def test_files_in_postgresql_are_not_collected_but_counted(pg, tmp_path, clock):
    from services import access
    from services import files as file_moving
    rt = build(pg, tmp_path / "data", clock)
    with rt.sessions() as s:
        attachments.store_image(s, rt.files, noisy_photo(), kind="photo", actor="insp1", now=rt.now(),
                                max_bytes=10 << 20)
        s.commit()
    rt.files.put(b"no row names this file")                    # as a restore would, outside a request
    report = file_moving.collect_orphans(rt, access.SYSTEM, hours=0)
    assert (report.removed, report.unnamed_in_database) == (0, 1)
    with rt.read_sessions() as s:
        assert s.scalar(select(func.count()).select_from(FileChunk).where(FileChunk.seq == 0)) == 2
