"""GridSafe's use cases, one module per area. Pages, the JSON API, the CLI and the scheduler call these.

Every public function takes the acting user (or `access.SYSTEM`) and is the one place that decides
what that actor may read or change: lists are filtered by scope inside their SQL query, and a
single object outside the actor's scope is answered like one that does not exist (`NotFound`),
before anything is written.

Imports run one way: `services → records, engine, forms, handlers`. Nothing here imports Flask or
`webui`, so the scheduler runs these without a web framework.
"""
from .errors import Conflict, Forbidden, Invalid, NotFound, NotYet, ServiceError
from .runtime import Runtime, build

__all__ = ["Runtime", "build", "ServiceError", "NotFound", "Forbidden", "Invalid", "Conflict", "NotYet"]
