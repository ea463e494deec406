"""What one step looks up once: the people a document names (records.people.staff_named, kept for the
transaction) and a stored file's presence (DatabaseStore.exists). Looked up once, and never stale: a
user added or renamed in the transaction, a savepoint rolled back, the next transaction — each is seen."""
from __future__ import annotations

import contextlib

import pytest
from sqlalchemy import event, select

from handlers import wording
from records import DatabaseStore, User, people
from web_support import seed_people


@contextlib.contextmanager
def selects(session):
    """The SELECT statements the session's connection runs inside the block."""
    seen: list[str] = []
    bind = session.get_bind()

    def count(conn, cursor, statement, *_args):
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append(statement)
    event.listen(bind, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(bind, "before_cursor_execute", count)


@pytest.fixture
def staff(sessions, clock):
    with sessions() as s:
        seed_people(s, clock.now())
    return sessions


def test_a_person_named_twice_in_a_transaction_is_read_once(staff):
    with staff() as s:
        with selects(s) as seen:
            first = wording.person(s, "insp1")
            again = wording.inspector(s, "insp1")
            missing = [wording.person(s, "李检查"), wording.person(s, "李检查")]
        assert first == again == "INSP1"
        assert missing == ["李检查", "李检查"]            # a typed name is printed as typed
        assert len(seen) == 2                              # one SELECT each for insp1 and 李检查, no roles, no teams


def test_a_user_renamed_or_added_in_the_transaction_is_printed_as_now(staff, clock):
    with staff() as s:
        assert wording.person(s, "insp1") == "INSP1" and wording.person(s, "newbie") == "newbie"
        s.scalars(select(User).where(User.username == "insp1")).one().display_name = "王检查"
        s.add(User(username="newbie", display_name="李新", password_hash="x", created_at=clock.now()))
        assert wording.person(s, "insp1") == "王检查"
        assert wording.person(s, "newbie") == "李新"
        assert wording.user_by_display_name(s, "李新").username == "newbie"


def test_the_next_transaction_reads_again(staff):
    with staff() as s, staff() as other:
        assert wording.person(s, "insp2") == "INSP2"
        s.commit()
        other.scalars(select(User).where(User.username == "insp2")).one().post = "班长"
        other.commit()
        assert wording.person(s, "insp2") == "INSP2（班长）"


def test_two_people_of_one_name_are_nobody_until_one_is_renamed(staff):
    with staff() as s:
        for name in ("insp1", "insp2"):
            s.scalars(select(User).where(User.username == name)).one().display_name = "张伟"
        s.flush()
        assert wording.user_by_display_name(s, "张伟") is None
        s.scalars(select(User).where(User.username == "insp2")).one().display_name = "张伟2"
        assert wording.user_by_display_name(s, "张伟").username == "insp1"


def test_a_stored_file_is_checked_once_and_a_rolled_back_one_is_not_believed(sessions):
    store = DatabaseStore(sessions.kw["bind"])
    with sessions() as s:
        kept = store.put(b"photo-bytes", s)
        with selects(s) as seen:
            assert store.exists(kept, s) and store.exists(kept, s)
        assert seen == []                                  # written in this transaction: known present
        savepoint = s.begin_nested()
        lost = store.put(b"signature-bytes", s)
        savepoint.rollback()
        assert not store.exists(lost, s)                   # its row went with the savepoint
        assert store.exists(kept, s)
        s.commit()
    with sessions() as s:
        with selects(s) as seen:
            assert store.exists(kept, s) and store.exists(kept, s)
        assert len(seen) == 1


def test_which_of_several_files_are_stored_is_one_query(sessions):
    store = DatabaseStore(sessions.kw["bind"])
    with sessions() as s:
        stored = [store.put(f"photo-{i}".encode(), s) for i in range(3)]
        s.commit()
    with sessions() as s:
        with selects(s) as seen:
            found = store.present([*stored, "0" * 64, None], s)
            assert all(store.exists(d, s) for d in stored)
        assert found == set(stored)
        assert len(seen) == 1
        assert not store.exists("0" * 64, s)        # an absent file is asked again: it may be stored later


def test_a_team_head_is_read_once_by_id_and_seen_changed(staff):
    with staff() as s:
        head = s.scalars(select(User).where(User.username == "insp1")).one()
        head_id = head.id
        s.commit()
    with staff() as s:
        with selects(s) as seen:
            assert people.staff_by_id(s, head_id).mobile is None
            assert people.staff_by_id(s, head_id).username == "insp1"
        assert len(seen) == 1
        s.get(User, head_id).mobile = "13800000000"
        assert people.staff_by_id(s, head_id).mobile == "13800000000"


def test_links_to_attachments_are_made_once_in_one_statement(sessions, tmp_path, clock):
    from records import FolderStore, attachments
    from records.attachments import AttachmentLink
    from web_support import png
    files = FolderStore(tmp_path / "files")
    with sessions() as s:
        photos = [attachments.store_image(s, files, png(color=color), kind="photo", actor="insp1", now=clock.now(),
                                          max_bytes=1 << 20).id for color in ((200, 0, 0), (0, 0, 200))]
        s.commit()
    with sessions() as s:
        attachments.link(s, [photos[0], "f" * 64, None], kind="hazard", object_id=7, branch_id=1, team_id=2)
        with selects(s) as seen:
            attachments.link(s, photos, kind="hazard", object_id=7, branch_id=1, team_id=2)
        attachments.link(s, photos, kind="hazard", object_id=7, branch_id=1, team_id=2)
        s.commit()
        assert len(seen) == 1                    # which are stored and not yet linked, in one query
        rows = s.execute(select(AttachmentLink.attachment_id, AttachmentLink.object_id, AttachmentLink.team_id)).all()
    assert sorted(rows) == sorted((p, "7", 2) for p in photos)


def test_a_documents_inspectors_logins_and_typed_names_are_read_in_one_query(staff):
    from types import SimpleNamespace

    from handlers.documents import inspectors_text
    with staff() as s:
        s.scalars(select(User).where(User.username == "insp2")).one().display_name = "李检查"
        s.flush()
        with selects(s) as seen:
            text = inspectors_text(SimpleNamespace(session=s), "insp1", "李检查", "王某", "insp1")
            assert wording.user_by_display_name(s, "李检查").username == "insp2"
            assert wording.person(s, "王某") == "王某"
        assert text == "INSP1、李检查、王某"                # a typed name of one user is that user; of none, as typed
        assert len(seen) == 1
