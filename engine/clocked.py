"""Timer event definitions that read the runtime's clock instead of datetime.now().

SpiffWorkflow 3.2.0 evaluates timers against the wall clock. These subclasses take "now" from
the script engine attached to the workflow (ScriptEngine.clock), so `gridsafe tick --now` and the
tests move time without sleeping. specs.py swaps them in after parsing; the serializer knows them.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    DurationTimerEventDefinition,
    TimeDateEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.util.task import TaskState


def _now(my_task) -> datetime:
    clock = getattr(my_task.workflow.top_workflow.script_engine, "clock", None)
    return clock.now() if clock is not None else datetime.now(timezone.utc)


def _zone(my_task):
    return getattr(my_task.workflow.top_workflow.script_engine, "zone", None) or timezone.utc


def _fired(my_task) -> bool:
    # Tell the runtime that a timer made a task ready, so it runs the engine once more.
    my_task.workflow.top_workflow.script_engine.timer_fired = True
    return True


def _as_text(value, expression):
    if isinstance(value, datetime):
        return value.isoformat()
    if not isinstance(value, str):
        raise ValueError(f"timer expression {expression!r} gave {value!r}; it must give an ISO 8601 text")
    return value


def _instant(text: str, zone=timezone.utc) -> datetime:
    """An ISO 8601 instant in UTC; a time without a zone is read in `zone` (the company's, for diagrams)."""
    dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return (dt.replace(tzinfo=zone) if dt.tzinfo is None else dt).astimezone(timezone.utc)


class ClockedTimeDate(TimeDateEventDefinition):
    """timeDate: fires once the instant given by the expression has passed."""

    def has_fired(self, my_task):
        value = my_task._get_internal_data("event_value")
        if value is None:
            raw = my_task.workflow.script_engine.evaluate(my_task, self.expression)
            value = _instant(_as_text(raw, self.expression), _zone(my_task)).isoformat()
            my_task._set_internal_data(event_value=value)
        if not my_task._get_internal_data("event_fired", False) and _instant(value) <= _now(my_task):
            my_task._set_internal_data(event_fired=_fired(my_task))
        return my_task._get_internal_data("event_fired", False)


class ClockedDuration(DurationTimerEventDefinition):
    """timeDuration: fires the given duration after the event started waiting."""

    def has_fired(self, my_task):
        value = my_task._get_internal_data("event_value")
        if value is None:
            raw = my_task.workflow.script_engine.evaluate(my_task, self.expression)
            parsed = TimerEventDefinition.parse_iso_duration(_as_text(raw, self.expression))
            start = _now(my_task)
            value = (start + TimerEventDefinition.get_timedelta_from_start(parsed, start)).isoformat()
            my_task._set_internal_data(event_value=value)
        if not my_task._get_internal_data("event_fired", False) and _instant(value) <= _now(my_task):
            my_task._set_internal_data(event_fired=_fired(my_task))
        return my_task._get_internal_data("event_fired", False)


class ClockedCycle(CycleTimerEventDefinition):
    """timeCycle (R<n>/<duration> or R<n>/<start>/<duration>): fires each period."""

    def cycle_complete(self, my_task):
        value = my_task._get_internal_data("event_value")
        now = _now(my_task)
        if value is None:
            raw = my_task.workflow.script_engine.evaluate(my_task, self.expression)
            cycles, start, duration = _parse_cycle(_as_text(raw, self.expression), now, _zone(my_task))
            value = {"cycles": cycles, "next": start.isoformat(), "duration": duration.total_seconds()}
        ready = False
        if value["cycles"] != 0:
            next_event = _instant(value["next"])
            if next_event <= now:
                value["next"] = (next_event + timedelta(seconds=value["duration"])).isoformat()
                value["cycles"] -= 1
                ready = _fired(my_task)
        else:
            my_task.internal_data.pop("event_value", None)
            my_task.internal_data["event_fired"] = True
        my_task._set_internal_data(event_value=value)
        return ready


def _parse_cycle(expression: str, now: datetime, zone=timezone.utc):
    parts = expression.upper().replace("--", "/").strip("R").split("/")
    cycles = int(parts[0]) if parts[0] else -1
    first = TimerEventDefinition.parse_time_or_duration(parts[1])
    if isinstance(first, datetime):
        first = (first.replace(tzinfo=zone) if first.tzinfo is None else first).astimezone(timezone.utc)
        duration = TimerEventDefinition.get_timedelta_from_start(
            TimerEventDefinition.parse_iso_duration(parts[2]), first)
        return cycles, first, duration
    if len(parts) == 3:
        raise ValueError(f"unsupported cycle {expression!r}: use R<n>/<duration> or R<n>/<start>/<duration>")
    duration = TimerEventDefinition.get_timedelta_from_start(first, now)
    return cycles, now + duration, duration


CLOCKED = {
    TimeDateEventDefinition: ClockedTimeDate,
    DurationTimerEventDefinition: ClockedDuration,
    CycleTimerEventDefinition: ClockedCycle,
}


def _clocked(definition):
    if isinstance(definition, MultipleEventDefinition):
        definition.event_definitions = [_clocked(d) for d in definition.event_definitions]
        return definition
    cls = CLOCKED.get(type(definition))
    if cls is None:
        return definition
    return cls(definition.name, definition.expression, description=definition.description)


def use_clocked_timers(spec) -> None:
    """Swap every timer definition of a parsed process spec for its clocked subclass."""
    for task_spec in spec.task_specs.values():
        definition = getattr(task_spec, "event_definition", None)
        if definition is not None:
            task_spec.event_definition = _clocked(definition)


def timer_due_times(workflow) -> list[tuple[datetime, object]]:
    """(due instant, task) of every waiting timer, earliest first (engine-notes.md §5)."""
    out = []
    for task in list(workflow.event_manager.tasks.values()):
        if not task.has_state(TaskState.WAITING):
            continue
        definition = task.task_spec.event_definition
        defs = definition.event_definitions if isinstance(definition, MultipleEventDefinition) else [definition]
        if not any(isinstance(d, TimerEventDefinition) for d in defs):
            continue
        value = task.internal_data.get("event_value")
        if isinstance(value, dict):
            value = value.get("next") if value.get("cycles") != 0 else None
        if value:
            out.append((_instant(value), task))
    return sorted(out, key=lambda pair: pair[0])
