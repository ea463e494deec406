"""The time and memory budget of diagram code: each engine call's snippets run in a sandbox process.

A pool of small worker processes (engine/sandbox.py run by a clean interpreter) per process of ours;
each worker's address space is capped by RLIMIT_AS at start, and each snippet is given what is left
of its call's time budget: past it, the worker is killed and the call fails with BudgetExceeded
("脚本超出时间/内存限制"), which the runtime turns into the instance's error on that element. A new
worker replaces a killed one at the next snippet. The pool is per process: a forked child (gunicorn's
workers) starts with an empty one.
"""
from __future__ import annotations

import builtins
import io
import os
import pickle
import select
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from . import sandbox

BUDGET_MESSAGE = "脚本超出时间/内存限制"
_WORKER = Path(sandbox.__file__).resolve()
_BOOT = "import runpy, sys; sys.argv = sys.argv[1:]; runpy.run_path(sys.argv[0], run_name='__main__')"
_START_SECONDS = 60


@dataclass(frozen=True)
class Limits:
    """Per engine call: seconds of diagram code in all, megabytes of memory for any one snippet."""

    seconds: float = 2.0
    megabytes: int = 256


class BudgetExceeded(Exception):
    """Diagram code ran past its time or memory budget; nothing it did was kept."""

    def __init__(self, what: str, limits: Limits):
        self.what = what
        super().__init__(f"{BUDGET_MESSAGE}（{what}；每次调用限 {limits.seconds:g} 秒、{limits.megabytes} MB）")


class ScriptFailed(Exception):
    """The script raised something that is not an Exception (KeyboardInterrupt, SystemExit, ...) or not
    one of the built-in exceptions."""


class _SafeUnpickler(pickle.Unpickler):
    """What a script may hand back: plain data and the date/time types, nothing that runs code."""

    ALLOWED = {("builtins", n) for n in ("set", "frozenset", "complex", "bytearray", "range", "slice")} | \
        {("datetime", n) for n in ("datetime", "date", "time", "timedelta", "timezone")} | \
        {("zoneinfo", "ZoneInfo"), ("zoneinfo", "ZoneInfo._unpickle"), ("decimal", "Decimal")}

    def find_class(self, module, name):
        if (module, name) not in self.ALLOWED:
            raise pickle.UnpicklingError(f"a script returned a value of type {module}.{name}")
        return super().find_class(module, name)


class _Worker:
    def __init__(self, megabytes: int):
        self.megabytes = megabytes
        self.process = subprocess.Popen([sys.executable, "-I", "-c", _BOOT, str(_WORKER), str(megabytes)],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0)
        if self.read(_START_SECONDS) != sandbox.READY:
            self.kill()
            raise RuntimeError(f"the script sandbox ({_WORKER.name}) did not start; see the log above")

    def ask(self, payload: bytes, timeout: float) -> bytes | None:
        """The answer frame, or None when the worker did not answer in time or died."""
        try:
            sandbox.write_frame(self.process.stdin, payload)
        except (BrokenPipeError, OSError):
            return None
        return self.read(timeout)

    def read(self, timeout: float) -> bytes | None:
        out = self.process.stdout.fileno()
        deadline = time.monotonic() + timeout
        chunks, wanted, head = [], None, b""
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([out], [], [], left)[0]:
                return None
            data = os.read(out, 1 << 20)
            if not data:
                return None
            if wanted is None:
                head += data
                if len(head) < 4:
                    continue
                wanted, data = int.from_bytes(head[:4], "big"), head[4:]
            chunks.append(data)
            wanted -= len(data)
            if wanted <= 0:
                return b"".join(chunks)

    def kill(self) -> None:
        try:
            self.process.kill()
            self.process.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            pass
        for stream in (self.process.stdin, self.process.stdout):
            try:
                stream.close()
            except OSError:
                pass


class _Pool:
    def __init__(self):
        self.lock = threading.Lock()
        self.idle: list[_Worker] = []

    def take(self, megabytes: int) -> _Worker:
        with self.lock:
            for worker in self.idle:
                if worker.megabytes == megabytes and worker.process.poll() is None:
                    self.idle.remove(worker)
                    return worker
        return _Worker(megabytes)

    def give_back(self, worker: _Worker) -> None:
        with self.lock:
            self.idle.append(worker)

    def forget(self) -> None:
        """In a forked child: the parent's workers are the parent's (their pipes stay open there)."""
        for worker in self.idle:
            for stream in (worker.process.stdin, worker.process.stdout):
                try:
                    stream.close()
                except OSError:
                    pass
        self.idle = []
        self.lock = threading.Lock()


_pool = _Pool()
os.register_at_fork(after_in_child=_pool.forget)


class Budget:
    """What is left of one engine call's budget; every snippet of the call runs through run()."""

    def __init__(self, limits: Limits | None = None):
        self.limits = limits or Limits()
        self.spent = 0.0

    def run(self, kind: str, text: str, context: dict, external: dict, now):
        """Run a snippet in a sandbox worker: its value (eval) or the context it leaves (exec)."""
        left = self.limits.seconds - self.spent
        if left <= 0:
            raise BudgetExceeded("时间", self.limits)
        request = pickle.dumps((kind, text, context, external, now), protocol=pickle.HIGHEST_PROTOCOL)
        worker = _pool.take(self.limits.megabytes)
        started = time.monotonic()
        try:
            answer = worker.ask(request, left)
        except BaseException:           # e.g. Ctrl-C while waiting: the worker's state is unknown
            worker.kill()
            raise
        self.spent += time.monotonic() - started
        if answer is None:
            worker.kill()
            raise BudgetExceeded("时间" if self.spent >= self.limits.seconds else "内存", self.limits)
        try:
            reply = _SafeUnpickler(io.BytesIO(answer)).load()
        except (pickle.UnpicklingError, EOFError, AttributeError, ImportError) as err:
            _pool.give_back(worker)
            raise TypeError(str(err)) from None
        if reply[0] == "budget":
            worker.kill()
            raise BudgetExceeded("内存", self.limits)
        _pool.give_back(worker)
        if reply[0] == "ok":
            return reply[1]
        raise _rebuild(*reply[1:])


def exceeded_in(exc: BaseException | None) -> BudgetExceeded | None:
    """The BudgetExceeded behind SpiffWorkflow's wrapping of a failed snippet, if that is what failed."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, BudgetExceeded):
            return exc
        seen.add(id(exc))
        exc = getattr(exc, "exception", None) or exc.__cause__ or exc.__context__
    return None


def _rebuild(name: str, message: str, line: int | None) -> Exception:
    """The script's exception here: the built-in type when it is an Exception, else ScriptFailed."""
    where = f" (line {line})" if line else ""
    kind = getattr(builtins, name, None)
    if isinstance(kind, type) and issubclass(kind, Exception) and kind.__module__ == "builtins":
        try:
            return kind(f"{message}{where}" if message else f"{name}{where}")
        except TypeError:
            pass
    return ScriptFailed(f"{name}{where}: {message}" if message else f"{name}{where}")
