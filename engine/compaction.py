"""Keeping long-lived instances small: finished iterations of standard loops are forgotten.

A loop subprocess (standardLoopCharacteristics) keeps every finished iteration — its task and its
whole subprocess — although their data was merged into the loop task when each ended
(StandardLoopTask.merge_child). A hazard chased fifty times would carry fifty rounds in its state,
and every load and save would grow with them. Removing them keeps state and work per step flat;
the audit trail keeps the history.
"""
from __future__ import annotations

from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import StandardLoopTask
from SpiffWorkflow.util.task import TaskState


def forget_finished_iterations(workflow) -> int:
    """Drop finished, merged iterations of running loops; returns how many were dropped."""
    dropped = 0
    for loop in workflow.get_tasks(state=TaskState.STARTED, spec_class=StandardLoopTask):
        merged = set(loop.internal_data.get("merged", []))
        for child in list(loop.children):
            if str(child.id) in merged and child.has_state(TaskState.FINISHED_MASK) and not child.children:
                _forget(workflow, loop, child)
                dropped += 1
    return dropped


def _forget(top, loop, child) -> None:
    if child.id in top.subprocesses:
        top.delete_subprocess(child)           # also the subprocesses nested inside it
    child.workflow.tasks.pop(child.id, None)
    loop._children.remove(child.id)
