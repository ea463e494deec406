"""Keeping a child process alive: `gridsafe serve --with-scheduler` restarts a scheduler that died."""
from __future__ import annotations

import signal
import subprocess
import threading
import time
from typing import Callable


class Keeper:
    """Start `command` and start it again whenever it exits, until stop(); restarts that come quickly
    one after the other wait longer each time (doubling, at most `longest` seconds)."""

    def __init__(self, command: list[str], *, env: dict | None = None, echo: Callable[[str], None] = print,
                 first_wait: float = 1.0, longest: float = 60.0, healthy_after: float = 60.0):
        self.command, self.env, self.echo = command, env, echo
        self.first_wait, self.longest, self.healthy_after = first_wait, longest, healthy_after
        self.child: subprocess.Popen | None = None
        self.restarts = 0
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._keep, name="keeper", daemon=True)

    def start(self) -> "Keeper":
        self._spawn()
        self._thread.start()
        return self

    def _spawn(self) -> None:
        self.child = subprocess.Popen(self.command, env=self.env)
        self.started_at = time.monotonic()
        self.echo(f"{' '.join(self.command[-1:])} started (pid {self.child.pid})")

    def _keep(self) -> None:
        wait = self.first_wait
        while not self._stopping.is_set():
            code = self.child.wait()
            if self._stopping.is_set():
                return
            if time.monotonic() - self.started_at >= self.healthy_after:
                wait = self.first_wait                  # it ran well for a while: restart at once
            self.echo(f"{' '.join(self.command[-1:])} (pid {self.child.pid}) exited with status {code}; "
                      f"starting it again in {wait:g} s")
            if self._stopping.wait(wait):
                return
            self.restarts += 1
            self._spawn()
            wait = min(self.longest, wait * 2)

    def stop(self, timeout: float = 30) -> None:
        self._stopping.set()
        child = self.child
        if child is not None and child.poll() is None:
            child.send_signal(signal.SIGTERM)
            try:
                child.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
        self._thread.join(timeout=5)
