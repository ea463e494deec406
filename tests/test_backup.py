"""`gridsafe backup` → a disaster → `gridsafe restore`: the database and the files come back together,
and the restore verifies the audit trail and every file the database names."""
from __future__ import annotations

import hashlib
import shutil

import pytest
from click.testing import CliRunner
from sqlalchemy import func, insert, select

from engine import AuditEvent, ModelVersion
from records import Attachment, Document
from services import backup as backups
from services import runtime as wiring
from web_support import png

ROOT_BPMN = __import__("pathlib").Path(__file__).resolve().parent.parent / "bpmn"


def build(db_url, data, clock):
    return wiring.build({"ENV": "testing", "SECRET_KEY": "k", "DATABASE_URL": db_url, "DATA_DIR": str(data),
                         "CLOCK": clock})


def fill(rt, clock):
    with rt.sessions() as s:
        assert rt.engine.deploy_source(s, "risk_grade.dmn", (ROOT_BPMN / "risk_grade.dmn").read_bytes(),
                                       "owner").status == "deployed"
    photo, document = png(), b"PK\x03\x04 a document"
    digest = rt.files.put(photo)
    doc_digest = rt.files.put(document)
    with rt.sessions() as s:
        s.execute(insert(Attachment).values(id=digest, kind="photo", content_type="image/png", size=len(photo),
                                            created_by="insp", created_at=clock.now()))
        s.execute(insert(Document).values(kind="notice", number="N-1", subject="YH-1", version=1, sha256=doc_digest,
                                          size=len(document), filename="n.docx", created_at=clock.now(),
                                          created_by="insp"))
        s.commit()
    return digest, doc_digest


def counts(rt):
    with rt.read_sessions() as s:
        return {m.__name__: s.scalar(select(func.count()).select_from(m))
                for m in (AuditEvent, ModelVersion, Attachment, Document)}


def test_backup_then_restore_into_an_empty_service_brings_back_database_and_files(db_url, tmp_path, clock):
    rt = build(db_url, tmp_path / "data", clock)
    digests = fill(rt, clock)
    before = counts(rt)
    runner = CliRunner()
    made = runner.invoke(__import__("cli").main, ["backup", str(tmp_path / "bk")], obj={"rt": rt})
    assert made.exit_code == 0, made.output
    assert backups.check_folder(tmp_path / "bk") == []
    rt.sa.dispose()
    # the disaster: the files are gone and the database is emptied
    shutil.rmtree(tmp_path / "data")
    if db_url.startswith("sqlite"):
        (tmp_path / "gridsafe.db").unlink()
        for extra in ("-wal", "-shm"):
            (tmp_path / f"gridsafe.db{extra}").unlink(missing_ok=True)
    else:
        from conftest import _truncate_pg
        _truncate_pg(db_url)
    fresh = build(db_url, tmp_path / "data", clock)
    done = runner.invoke(__import__("cli").main, ["restore", str(tmp_path / "bk"), "--yes"], obj={"rt": fresh})
    assert done.exit_code == 0, done.output
    assert "0 audit problems, 0 file problems" in done.output
    assert counts(fresh) == before and before["AuditEvent"] > 0
    for digest in digests:
        assert hashlib.sha256(fresh.files.get(digest)).hexdigest() == digest
    fresh.sa.dispose()


def test_a_damaged_backup_is_refused_and_a_missing_file_after_restore_is_reported(sqlite_url, tmp_path, clock):
    rt = build(sqlite_url, tmp_path / "data", clock)
    digest, _ = fill(rt, clock)
    backups.backup(rt, tmp_path / "bk")
    with pytest.raises(backups.BackupFailed, match="not empty"):
        backups.backup(rt, tmp_path / "bk")
    damaged = tmp_path / "bk" / "files" / digest[:2] / digest[2:4] / digest
    damaged.write_bytes(b"not the photo")
    assert any(digest in p for p in backups.check_folder(tmp_path / "bk"))
    with pytest.raises(backups.BackupFailed, match="cannot be restored"):
        backups.restore(rt, tmp_path / "bk")
    rt.files.path(digest).unlink()                     # the live store lost a file
    report = backups.verify(rt)
    assert report["audit"] == [] and any(digest in p for p in report["files"])
    rt.sa.dispose()
