"""Processes: the deployed versions (and whether you may start one), and starting an instance with data
where the diagram lets your role start it."""
from __future__ import annotations

from flask_smorest import Blueprint

from services import processes, work

from .. import current, db
from .schemas import ProcessSchema, StartedSchema, StartSchema, problem_response

blp = Blueprint("processes", __name__, url_prefix="/api/v1/processes", description="Deployed processes")


@blp.get("")
@blp.response(200, ProcessSchema(many=True))
def list_processes():
    """Every deployed version of every process, newest first; `startable`: you may start it here."""
    return processes.list_processes(current.runtime(), db.session(), current.actor())


@blp.post("/instances")
@blp.arguments(StartSchema)
@blp.response(201, StartedSchema)
@blp.alt_response(**problem_response(404, "No such process is deployed, or its diagram does not let your role "
                                        "start it"))
def start_instance(args):
    """Start the newest version of a process whose diagram declares your role in `startableBy`, with
    initial data; returns the tasks now ready for you."""
    rt, actor, session = current.runtime(), current.actor(), db.session()
    instance = processes.start(rt, session, actor, args["process_id"], business_key=args["business_key"],
                               data=args["data"], title=args["title"], subject=args["subject"])
    return {"instance": instance, "ready_tasks": work.ready_for(rt, session, actor, instance)}
