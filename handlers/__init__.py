"""Service-task handlers, registered by operator id.

The operator id `module.function` in a diagram names the function `function` of
`handlers/module.py`. Handlers receive a Context, return a small JSON-able dict and never commit.
"""
from __future__ import annotations

from .context import Context

HANDLERS: dict = {}

__all__ = ["HANDLERS", "Context"]
