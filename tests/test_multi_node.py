"""Two app nodes and two schedulers against one PostgreSQL, as real processes (`gridsafe init`, two
`gridsafe serve` on different ports standing in for two machines, two `gridsafe scheduler`): a hazard
driven through both nodes, a diagram deployed through one started by the other, a sign-out and the sign-in
limit that hold on both, files uploaded on one downloaded byte for byte from the other, timers fired once."""
from __future__ import annotations

import hashlib
import time
import uuid

import pytest
from sqlalchemy import create_engine, func, select

from records import Document
from process_support import Client, Cluster, own_database, photo_bytes, postgres_reason, quick_notice_timer, seed, \
    wait_until
from web_support import PASSWORD, png

pytestmark = [pytest.mark.postgres,
              pytest.mark.skipif(postgres_reason() is not None, reason=postgres_reason() or "")]

ROOT_BPMN = __import__("pathlib").Path(__file__).resolve().parent.parent / "bpmn" / "hazard_lifecycle.bpmn"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """Node A, node B and schedulers s1, s2 on a database of their own; every process killed at the end."""
    workdir = tmp_path_factory.mktemp("nodes")
    with own_database("i18") as url:
        nodes = Cluster(url, workdir, LOGIN_RATE_LIMIT="4 per minute", LOGIN_ADDRESS_RATE_LIMIT="500 per minute")
        try:
            nodes.run("init")
            nodes.tokens = seed(url, workdir)
            nodes.a, nodes.b = nodes.serve("A", wait=False), nodes.serve("B", wait=False)
            nodes.s1, nodes.s2 = nodes.scheduler("s1"), nodes.scheduler("s2")
            nodes.a.wait(), nodes.b.wait()
            nodes.sa = create_engine(url)
            yield nodes
        except BaseException:
            print(nodes.logs())
            raise
        finally:
            nodes.stop()
            if getattr(nodes, "sa", None) is not None:
                nodes.sa.dispose()


def upload(client, node, data: bytes, kind: str = "photo") -> str:
    answer = client.api(node, "POST", "/attachments", files={"file": (f"{kind}.png", data, "image/png")},
                        data={"kind": kind})
    assert answer.status_code == 201, answer.text
    return answer.json()["id"]


def open_hazard(client, node, photo: str) -> dict:
    answer = client.api(node, "POST", "/hazards", headers={"Idempotency-Key": uuid.uuid4().hex},
                        json={"customer": "3600100001", "item_code": "EP02", "location": "1号配电室",
                              "description": "自备应急电源容量不足", "photos": [photo]})
    assert answer.status_code == 201, answer.text
    return answer.json()


def scalar(cluster, query):
    with cluster.sa.connect() as conn:
        return conn.execute(query).scalar()


def test_a_hazard_opened_on_one_node_is_carried_on_at_the_other(cluster):
    insp = Client(cluster.tokens["insp1"])
    photo = photo_bytes()
    digest = upload(insp, cluster.a, photo)
    from_b = insp.api(cluster.b, "GET", f"/attachments/{digest}")
    assert from_b.status_code == 200 and from_b.content == photo and from_b.headers["Content-Type"] == "image/png"

    opened = open_hazard(insp, cluster.a, digest)
    assert opened["status"] == "found" and opened["file_number"].startswith("YH-")
    (notice,) = [d for d in opened["documents"] if d["kind"] == "hazard_notice"]
    # rendered right after A's commit, or by a scheduler's sweep that claimed the job first (then A answers
    # before it exists, and a client is told 409, "try again in a moment"); read on B
    def read_on_b():
        answer = insp.api(cluster.b, "GET", f"/documents/{notice['id']}")
        return answer if answer.status_code != 409 else None
    document = wait_until(read_on_b, 10, "the notice was rendered")
    stored = scalar(cluster, select(Document.sha256).where(Document.id == notice["id"]))
    assert document.status_code == 200 and hashlib.sha256(document.content).hexdigest() == stored
    assert notice["sha256"] in (None, stored)

    tasks = insp.api(cluster.b, "GET", "/tasks", params={"scope": "team"}).json()["items"]
    (deliver,) = [t for t in tasks if t["instance_id"] == opened["instance_id"]]
    signature = upload(insp, cluster.b, png(), kind="signature")
    done = insp.api(cluster.b, "POST", f"/tasks/{deliver['id']}/complete",
                    json={"data": {"signer_name": "王电工", "signer_post": "电气主管", "signature": signature}})
    assert done.status_code == 200, done.text
    again = insp.api(cluster.a, "POST", f"/tasks/{deliver['id']}/complete",
                     json={"data": {"signer_name": "王电工", "signature": signature}})
    assert again.status_code == 409                                   # done once, on whichever node
    dossier = insp.api(cluster.a, "GET", f"/hazards/{opened['file_number']}").json()
    assert dossier["status"] == "rectifying" and "notice_signed" in [e["kind"] for e in dossier["timeline"]]


def test_a_diagram_deployed_through_one_node_is_what_the_other_starts_next(cluster):
    from engine import ModelVersion, ProcessInstance
    insp, owner = Client(cluster.tokens["insp1"]), Client(cluster.tokens["owner1"])
    photo = upload(insp, cluster.b, photo_bytes(64, 48))
    before = open_hazard(insp, cluster.b, photo)                  # B has the version from the folder in memory
    deployed = owner.api(cluster.a, "POST", "/models/deploy",
                         json={"name": "hazard_lifecycle", "comment": "notice in 2 s (test)",
                               "source": quick_notice_timer(ROOT_BPMN.read_text(encoding="utf-8"), seconds=2)})
    assert deployed.status_code == 201, deployed.text
    after = open_hazard(insp, cluster.b, photo)

    def version(instance_id):
        return scalar(cluster, select(ModelVersion.version).join(
            ProcessInstance, ProcessInstance.model_version_id == ModelVersion.id).where(ProcessInstance.id == instance_id))
    assert version(after["instance_id"]) == deployed.json()["version"] > version(before["instance_id"])

    # the new version's notice deadline passes 2 s later: one of the two schedulers fires it, once
    wait_until(lambda: insp.api(cluster.a, "GET", f"/hazards/{after['file_number']}").json()["status"] == "overdue",
               40, f"the notice timer of {after['file_number']} fired")
    time.sleep(2)                                                 # both schedulers tick twice more
    from engine import AuditEvent
    fired = scalar(cluster, select(func.count()).select_from(AuditEvent).where(
        AuditEvent.instance_id == after["instance_id"], AuditEvent.action == "timer.fired"))
    timeline = insp.api(cluster.b, "GET", f"/hazards/{after['file_number']}").json()["timeline"]
    assert fired == 1 and [e["kind"] for e in timeline].count("notice_overdue") == 1
    assert insp.api(cluster.a, "GET", f"/hazards/{before['file_number']}").json()["status"] == "found"


def test_both_schedulers_beat(cluster):
    from engine import SchedulerBeat
    wait_until(lambda: {"s1", "s2"} <= set(_beats(cluster, SchedulerBeat)), 30, "s1 and s2 both beat")
    assert cluster.s1.alive and cluster.s2.alive


def _beats(cluster, model):
    with cluster.sa.connect() as conn:
        return conn.execute(select(model.name)).scalars().all()


def test_signing_out_on_one_node_ends_the_session_on_the_other(cluster):
    browser = Client()
    assert browser.login(cluster.a, "head1", PASSWORD) == 302
    assert browser.signed_in(cluster.b)                                # the same cookie, the other machine
    assert browser.logout(cluster.a) == 302
    assert not browser.signed_in(cluster.b) and not browser.signed_in(cluster.a)


def test_the_sign_in_limit_counts_attempts_on_both_nodes(cluster):
    """4 per minute on one account, whichever node the attempts reach."""
    browser = Client()
    nodes = [cluster.a, cluster.b] * 3
    answers = [browser.login(node, "lead1", "wrong") for node in nodes]
    assert answers == [401] * 4 + [429] * 2
    assert Client().login(cluster.b, "lead1", PASSWORD) == 429        # even with the right password, for now
    assert Client().login(cluster.a, "sup1", PASSWORD) == 302         # another account is not held up


def test_the_audit_trail_and_the_projections_check_out_afterwards(cluster, tmp_path):
    """What `gridsafe audit verify` checks (run in this process: a command's start-up costs seconds)."""
    import services
    from process_support import SECRET
    from services import maintenance
    rt = services.build({"ENV": "testing", "SECRET_KEY": SECRET, "DATABASE_URL": cluster.url,
                         "DATA_DIR": str(tmp_path / "data")})
    try:
        events, breaks = maintenance.verify_audit(rt)
        instances, disagreements = maintenance.verify_projections(rt)
    finally:
        rt.sa.dispose()
    assert events and breaks == []
    assert instances >= 3 and disagreements == []
