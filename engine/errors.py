"""What can go wrong when someone calls the engine, in terms the caller can act on.

Conflict errors mean "somebody else changed this first": nothing was written, reload and retry.
"""


class EngineError(Exception):
    """Base of every refusal by the engine; nothing was changed."""

    status = 400


class NotFound(EngineError):
    status = 404


class UnknownProcess(NotFound):
    """No deployed process has this id."""


class UnknownInstance(NotFound):
    """No instance has this id."""


class UnknownTask(NotFound):
    """No user task has this id."""


class NoSubscriber(NotFound):
    """No instance is waiting for this message with this correlation key."""


class Conflict(EngineError):
    status = 409


class TaskNotReady(Conflict):
    """The task was completed, cancelled or is not ready any more."""


class ConcurrentUpdate(Conflict):
    """Another call changed the instance in between; nothing of this call was kept."""


class InstanceNotActive(Conflict):
    """The instance is suspended, in error, completed or terminated."""


class InvalidRequest(EngineError):
    """The request itself is wrong (bad data, missing reason, ...)."""


class AmbiguousDefinition(Conflict):
    """Two models define the same process or decision id: which one to run is not guessed."""
