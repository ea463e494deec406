"""Real `gridsafe` processes (init, serve, scheduler) against a PostgreSQL database of their own, for the
tests of several nodes and of crashes: start them, wait for them with a deadline, kill them (kill -9 too),
and talk to them over HTTP as a browser or an API client would. Every process runs in its own process
group, so stopping one stops its gunicorn workers with it."""
from __future__ import annotations

import io
import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import requests
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from conftest import PG_BASE_URL, postgres_reason

ROOT = Path(__file__).resolve().parent.parent
SECRET = "multi-node-test-secret-0123456789abcdefghijkl"      # the same on every node, as in production
CSRF = re.compile(r'name="csrf-token" content="([^"]+)"|name="csrf_token"[^>]*value="([^"]+)"')

__all__ = ["own_database", "Cluster", "Client", "wait_until", "postgres_reason", "photo_bytes"]


def wait_until(check, seconds: float, what: str, every: float = 0.2):
    """check()'s first true value, trying until `seconds` have passed; then fail saying `what` did not happen."""
    deadline = time.monotonic() + seconds
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"within {seconds:g} s: {what}")
        time.sleep(every)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def own_database(tag: str):
    """A fresh schema of the PostgreSQL test database named after `tag` (e.g. the branch) and a random
    suffix, as a URL whose connections use it and carry the same name as application_name (so that an outage
    can end exactly these connections); dropped after. (A schema, not a database: dropping a database forces
    a checkpoint, seconds on a busy server.)"""
    name = f"gs_{tag}_{uuid.uuid4().hex[:8]}"
    # pre-ping: after a server restart in the test, the drop must not use the pooled, dead connection
    admin = create_engine(PG_BASE_URL, isolation_level="AUTOCOMMIT", pool_pre_ping=True,
                          connect_args={"connect_timeout": 5, "application_name": f"{name}-admin"})
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{name}"'))
    try:
        yield make_url(PG_BASE_URL).update_query_dict({"options": f"-csearch_path={name}",
                                                       "application_name": name}).render_as_string(hide_password=False)
    finally:
        terminate_connections(name)
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))
        admin.dispose()


def terminate_connections(url_or_name: str) -> int:
    """End every server connection of own_database's `url` (found by its application_name): an outage of
    this installation's database and of nothing else on the server."""
    name = make_url(url_or_name).query.get("application_name") if "://" in url_or_name else url_or_name
    sa = create_engine(PG_BASE_URL, isolation_level="AUTOCOMMIT")
    with sa.connect() as conn:
        ended = conn.execute(text("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                                  "WHERE application_name = :name AND pid <> pg_backend_pid()"),
                             {"name": name}).scalar()
    sa.dispose()
    return ended


class Process:
    """One started command (its own process group) and its log file."""

    def __init__(self, name: str, args: list[str], env: dict, log: Path):
        self.name, self.args, self.env, self.log = name, args, env, log
        self.popen: subprocess.Popen | None = None

    def start(self) -> "Process":
        with open(self.log, "ab") as out:
            self.popen = subprocess.Popen([sys.executable, "-m", "cli", *self.args], cwd=ROOT, env=self.env,
                                          stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        return self

    @property
    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def kill9(self) -> None:
        """kill -9 of the whole process group: the master and its workers die mid-request, as in a crash."""
        self._signal(signal.SIGKILL)
        self.popen.wait(timeout=10)

    def stop(self, seconds: float = 10) -> None:
        if not self.alive:
            self._signal(signal.SIGKILL)             # workers a killed master left behind
            return
        self._signal(signal.SIGTERM)
        try:
            self.popen.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            self._signal(signal.SIGKILL)
            self.popen.wait(timeout=10)

    def _signal(self, sig) -> None:
        try:
            os.killpg(self.popen.pid, sig)
        except (ProcessLookupError, PermissionError):
            pass

    def tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


class Cluster:
    """Nodes and schedulers of one GridSafe installation: the same settings (database, secret key) for all."""

    def __init__(self, url: str, workdir: Path, **settings):
        self.workdir = Path(workdir)
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("GRIDSAFE_", "PROMETHEUS_"))}
        self.env.update({"PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1", "GRIDSAFE_ENV": "testing",
                         "GRIDSAFE_SECRET_KEY": SECRET, "GRIDSAFE_DATABASE_URL": url,
                         "GRIDSAFE_INSTANCE_DIR": str(self.workdir), "GRIDSAFE_DATA_DIR": str(self.workdir / "data"),
                         "GRIDSAFE_LOG_LEVEL": "WARNING", "GRIDSAFE_LOG_FORMAT": "text",
                         "GRIDSAFE_SCHEDULER_INTERVAL_SECONDS": "1"})
        self.env.update({f"GRIDSAFE_{k}": str(v) for k, v in settings.items()})
        self.url = url
        self.processes: list[Process] = []

    def run(self, *args: str, seconds: float = 120) -> str:
        """Run a command to its end; its output, or fail with it."""
        done = subprocess.run([sys.executable, "-m", "cli", *args], cwd=ROOT, env=self.env, capture_output=True,
                              text=True, timeout=seconds)
        assert done.returncode == 0, f"gridsafe {' '.join(args)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
        return done.stdout

    def serve(self, name: str, workers: int = 1, port: int | None = None, wait: bool = True) -> "Node":
        """Start `gridsafe serve` as node `name`; with wait, return once it answers."""
        node = Node(self, name, port or free_port(), workers)
        self.processes.append(node.process)
        return node.start(wait=wait)

    def scheduler(self, name: str) -> Process:
        env = {**self.env, "GRIDSAFE_SCHEDULER_NAME": name}
        process = Process(name, ["scheduler"], env, self.workdir / f"{name}.log").start()
        self.processes.append(process)
        return process

    def stop(self, seconds: float = 8) -> None:
        """SIGTERM to all at once, SIGKILL to whatever still runs `seconds` later."""
        for process in self.processes:
            if process.alive:
                process._signal(signal.SIGTERM)
        deadline = time.monotonic() + seconds
        for process in self.processes:
            try:
                process.popen.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
            process._signal(signal.SIGKILL)          # also workers a killed master left behind
            process.popen.wait(timeout=10)

    def logs(self) -> str:
        return "\n".join(f"--- {p.name} ---\n{p.tail()}" for p in self.processes)


class Node:
    """One `gridsafe serve` on its own port (standing in for one machine)."""

    def __init__(self, cluster: Cluster, name: str, port: int, workers: int):
        self.name, self.port = name, port
        self.base = f"http://127.0.0.1:{port}"
        # the node's metrics folder in the test's own: one that kill -9 leaves behind goes with the test's files
        env = {**cluster.env, "PROMETHEUS_MULTIPROC_DIR": str(cluster.workdir / f"{name}-metrics")}
        self.process = Process(name, ["serve", "--port", str(port), "--workers", str(workers)], env,
                               cluster.workdir / f"{name}.log")

    def start(self, wait: bool = True) -> "Node":
        self.process.start()
        return self.wait() if wait else self

    def wait(self, seconds: float = 60) -> "Node":
        wait_until(self._answers, seconds, f"{self.name} answers on {self.base}\n{self.process.tail()}", every=0.3)
        return self

    def _answers(self) -> bool:
        if not self.process.alive:
            raise AssertionError(f"{self.name} exited:\n{self.process.tail()}")
        try:
            return requests.get(f"{self.base}/login", timeout=2).status_code == 200
        except requests.RequestException:
            return False


class Client:
    """A person's browser (cookies, CSRF tokens) or an API client (bearer token), on any node."""

    def __init__(self, token: str | None = None):
        self.http = requests.Session()
        if token:
            self.http.headers["Authorization"] = f"Bearer {token}"

    def _csrf(self, url: str) -> str:
        page = self.http.get(url, timeout=10)
        found = CSRF.search(page.text)
        assert found, f"no CSRF token on {url} ({page.status_code})"
        return found.group(1) or found.group(2)

    def login(self, node: Node, username: str, password: str) -> int:
        token = self._csrf(f"{node.base}/login")
        return self.http.post(f"{node.base}/login", data={"username": username, "password": password,
                                                          "csrf_token": token},
                              allow_redirects=False, timeout=10).status_code

    def logout(self, node: Node) -> int:
        token = self._csrf(f"{node.base}/profile")
        return self.http.post(f"{node.base}/logout", data={"csrf_token": token}, allow_redirects=False,
                              timeout=10).status_code

    def signed_in(self, node: Node) -> bool:
        return self.http.get(f"{node.base}/profile", allow_redirects=False, timeout=10).status_code == 200

    def api(self, node: Node, method: str, path: str, timeout: float = 30, **kwargs) -> requests.Response:
        return self.http.request(method, f"{node.base}/api/v1{path}", timeout=timeout, **kwargs)


def photo_bytes(width: int = 400, height: int = 300) -> bytes:
    """A real PNG of random pixels (about width*height*3 bytes, so more than one stored chunk)."""
    from PIL import Image
    buffer = io.BytesIO()
    Image.frombytes("RGB", (width, height), os.urandom(width * height * 3)).save(buffer, "PNG")
    return buffer.getvalue()


def seed(url: str, workdir: Path) -> dict[str, str]:
    """The people and customers of hazard_support.seed (company JA, county JA-JZ, team JA-T1, insp1, head1,
    sup1, lead1; the hospital 3600100001) and a process owner owner1, on a database `gridsafe init` made;
    returns API tokens of insp1, head1 and owner1."""
    import services
    from hazard_support import seed as seed_organisation
    from records import Branch, User
    from services import people
    from services.access import SYSTEM
    from web_support import _password_hash
    from sqlalchemy import select
    rt = services.build({"ENV": "testing", "SECRET_KEY": SECRET, "DATABASE_URL": url,
                         "DATA_DIR": str(Path(workdir) / "seed-data")})
    try:
        with rt.sessions() as session:
            now = rt.now()
            seed_organisation(session, now)
            owner = User(username="owner1", display_name="周流程", password_hash=_password_hash(), created_at=now,
                         branch=session.scalars(select(Branch).where(Branch.code == "JA")).one(), active=True,
                         locale="zh_CN")
            owner.set_roles(["process_owner"])
            session.add(owner)
            session.commit()
        tokens = {}
        for username in ("insp1", "head1", "owner1"):
            with rt.sessions() as session:
                tokens[username] = people.create_token(rt, session, SYSTEM, username, "test")
        return tokens
    finally:
        rt.sa.dispose()


def init_here(url: str, workdir: Path, bpmn_dir: Path | None = None) -> None:
    """What `gridsafe init` does (migrate, load the dictionary, deploy the diagrams), in this process: a
    command's start-up costs seconds on a busy machine. (test_multi_node runs the command itself.)"""
    import services
    from services import maintenance
    rt = services.build({"ENV": "testing", "SECRET_KEY": SECRET, "DATABASE_URL": url,
                         "DATA_DIR": str(Path(workdir) / "seed-data"),
                         **({"BPMN_DIR": str(bpmn_dir)} if bpmn_dir else {})})
    try:
        maintenance.upgrade_schema(rt)
        maintenance.seed_dictionary(rt)
        assert all(r.status != "invalid" for r in maintenance.deploy_folder(rt))
    finally:
        rt.sa.dispose()


def quick_notice_timer(source: str, seconds: int = 3) -> str:
    """hazard_lifecycle.bpmn whose notice delivery deadline (the first timer) is `seconds` after the notice,
    so that the schedulers fire it while the test waits."""
    old = "<bpmn:timeDate>hazard['deadline']</bpmn:timeDate>"
    assert old in source
    return source.replace(old, f'<bpmn:timeDuration>"PT{seconds}S"</bpmn:timeDuration>', 1)


def children(pid: int) -> list[int]:
    """The child processes of `pid` (a gunicorn master's workers)."""
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def diagrams_with_quick_notice(folder: Path, seconds: int = 2) -> Path:
    """A copy of bpmn/ whose hazard lifecycle's notice deadline is `seconds` after the notice (for
    GRIDSAFE_BPMN_DIR): timers come due while the test runs."""
    import shutil
    target = Path(folder) / "bpmn"
    shutil.copytree(ROOT / "bpmn", target)
    lifecycle = target / "hazard_lifecycle.bpmn"
    lifecycle.write_text(quick_notice_timer(lifecycle.read_text(encoding="utf-8"), seconds), encoding="utf-8")
    return target
