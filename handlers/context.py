"""The context a service-task handler receives: everything it may touch, passed in, never global."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable


@dataclass
class Context:
    """The open session (never committed by a handler), the clock, who acts, on which instance."""

    session: Any
    clock: Any
    actor: str
    instance_id: int
    business_key: str | None
    element_id: str | None
    audit: Callable[..., None]
    describe: Callable[..., None] = lambda **_: None
    start_process: Callable[..., int] | None = None
    decide: Callable[[str, dict], tuple] | None = None     # (decision id, inputs) -> (outputs, "file vN")
    settings: dict = field(default_factory=dict)
    files: Any = None

    def now(self) -> datetime:
        return self.clock.now()
