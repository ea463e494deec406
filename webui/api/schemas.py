"""Marshmallow schemas of the API's requests and responses (they generate the OpenAPI document)."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from services.errors import INSTANCE_STATUSES

from ..rendering import MAX_PAGE

PROBLEM = "application/problem+json"
SHORT = validate.Length(max=200)
PAGE = validate.Range(min=1, max=MAX_PAGE)
COUNT = validate.Range(min=0, max=2 ** 63 - 1)   # an id or version the database can compare


class ProblemSchema(Schema):
    type = fields.String()
    title = fields.String()
    status = fields.Integer()
    detail = fields.String()
    errors = fields.Dict(keys=fields.String(), values=fields.Raw())

    class Meta:
        unknown = "include"          # a refusal may add members (e.g. problems of a diagram)


def problem_response(status: int, description: str) -> dict:
    """alt_response arguments for a documented refusal."""
    return {"status_code": status, "description": description, "schema": ProblemSchema, "content_type": PROBLEM}


class ProcessSchema(Schema):
    process_id = fields.String()
    title = fields.String(allow_none=True)
    model = fields.String()
    version = fields.Integer()
    model_version_id = fields.Integer()
    deployed_at = fields.DateTime()
    deployed_by = fields.String()
    content_hash = fields.String()
    latest = fields.Boolean()
    startable_by = fields.List(fields.String(), metadata={"description": "roles the diagram lets start it"})
    startable = fields.Boolean(metadata={"description": "you may start it (POST /processes/instances)"})


class StartSchema(Schema):
    process_id = fields.String(required=True, validate=SHORT)
    business_key = fields.String(load_default=None, validate=SHORT)
    subject = fields.String(load_default=None, validate=SHORT)
    title = fields.String(load_default=None, validate=validate.Length(max=300))
    data = fields.Dict(keys=fields.String(), load_default=dict)


class TaskSchema(Schema):
    id = fields.String()
    instance_id = fields.Integer()
    process_id = fields.String()
    element_id = fields.String()
    title = fields.String()
    lane = fields.String(allow_none=True)
    candidate_team = fields.String(allow_none=True)
    assignee = fields.String(allow_none=True)
    form = fields.String(allow_none=True)
    due_at = fields.DateTime(allow_none=True)
    business_key = fields.String(allow_none=True)
    subject = fields.String(allow_none=True)
    instance_title = fields.String(allow_none=True)
    instructions = fields.String(allow_none=True)
    status = fields.String()
    created_at = fields.DateTime()
    completed_at = fields.DateTime(allow_none=True)
    completed_by = fields.String(allow_none=True)


class TaskDetailSchema(TaskSchema):
    form_schema = fields.Dict()
    ui_schema = fields.Dict()


class TaskListArgs(Schema):
    scope = fields.String(load_default="team", validate=validate.OneOf(("mine", "team", "branch", "all")))
    process = fields.String(load_default=None, validate=SHORT)
    customer = fields.String(load_default=None, validate=SHORT)
    due = fields.String(load_default=None, validate=validate.OneOf(("overdue", "today", "week")))
    page = fields.Integer(load_default=1, validate=PAGE)


class TaskPageSchema(Schema):
    total = fields.Integer()
    page = fields.Integer()
    page_size = fields.Integer()
    items = fields.List(fields.Nested(TaskSchema))


class CompleteSchema(Schema):
    data = fields.Dict(keys=fields.String(), required=True)
    expect_version = fields.Integer(load_default=None, validate=COUNT)


class AssignSchema(Schema):
    username = fields.String(load_default=None, validate=validate.Length(max=60))
    reason = fields.String(load_default=None, validate=validate.Length(max=500))


class InstanceSchema(Schema):
    id = fields.Integer()
    process_id = fields.String()
    model_version_id = fields.Integer()
    business_key = fields.String(allow_none=True)
    subject = fields.String(allow_none=True)
    title = fields.String(allow_none=True)
    status = fields.String()
    lock_version = fields.Integer()
    next_wake_at = fields.DateTime(allow_none=True)
    started_by = fields.String()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    completed_at = fields.DateTime(allow_none=True)
    error_message = fields.String(allow_none=True)
    error_element = fields.String(allow_none=True)


class StartedSchema(Schema):
    instance = fields.Nested(InstanceSchema)
    ready_tasks = fields.List(fields.Nested(TaskSchema))


class InstanceDetailSchema(InstanceSchema):
    error_traceback = fields.String(allow_none=True)
    open_tasks = fields.List(fields.Nested(TaskSchema))
    timers = fields.List(fields.Dict())
    messages = fields.List(fields.Dict())
    elements = fields.List(fields.Dict())
    data = fields.Dict()
    events = fields.List(fields.Dict())


class InstanceListArgs(Schema):
    process = fields.String(load_default=None, validate=SHORT)
    version = fields.Integer(load_default=None, validate=COUNT)
    status = fields.String(load_default=None, validate=validate.OneOf(INSTANCE_STATUSES))
    key = fields.String(load_default=None, validate=SHORT)
    started_from = fields.Date(load_default=None, data_key="from")
    started_to = fields.Date(load_default=None, data_key="to")
    page = fields.Integer(load_default=1, validate=PAGE)


class InstancePageSchema(Schema):
    total = fields.Integer()
    page = fields.Integer()
    page_size = fields.Integer()
    items = fields.List(fields.Nested(InstanceSchema))


class ActionSchema(Schema):
    action = fields.String(required=True, validate=validate.OneOf(("retry", "skip", "suspend", "resume",
                                                                    "terminate", "signal")))
    reason = fields.String(required=True, validate=validate.Length(min=1, max=1000))
    data = fields.Dict(keys=fields.String(), load_default=None)


class MessageSchema(Schema):
    name = fields.String(required=True, validate=SHORT)
    correlation_key = fields.String(required=True, validate=SHORT)
    payload = fields.Dict(keys=fields.String(), load_default=dict)


class AttachmentSchema(Schema):
    id = fields.String()
    kind = fields.String()
    content_type = fields.String()
    size = fields.Integer()
    width = fields.Integer(allow_none=True)
    height = fields.Integer(allow_none=True)
    created_by = fields.String()
    created_at = fields.DateTime()


class UploadSchema(Schema):
    kind = fields.String(load_default="photo", validate=validate.OneOf(("photo", "signature")))


class TeamSchema(Schema):
    code = fields.String()
    name = fields.String()
    branch = fields.Function(lambda t: t.branch.code)
    active = fields.Boolean()
    members = fields.Function(lambda t: [m.username for m in t.members])


class UserSchema(Schema):
    username = fields.String()
    display_name = fields.String()
    roles = fields.Function(lambda u: sorted(u.roles))
    branch = fields.Function(lambda u: u.branch.code if u.branch else None)
    teams = fields.Function(lambda u: sorted(t.code for t in u.teams))
    locale = fields.String()
    active = fields.Boolean()
