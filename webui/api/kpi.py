"""Indicators (domain.md §8) and team assessments for other systems: the dashboard's numbers as JSON,
within the caller's reach (services.indicators, services.assessment)."""
from __future__ import annotations

from flask import request
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from services import assessment, indicators

from .. import current, db

blp = Blueprint("kpi_api", __name__, url_prefix="/api/v1", description="Indicators and team assessments")


class KpiArgs(Schema):
    period = fields.String(load_default=None, metadata={"description": "2026-03, 2026-Q1 or 2026 (default: this month)"})
    date_from = fields.String(data_key="from", load_default=None, metadata={"description": "first day, YYYY-MM-DD"})
    date_to = fields.String(data_key="to", load_default=None, metadata={"description": "last day, YYYY-MM-DD"})
    branch = fields.String(load_default=None, validate=validate.Length(max=40))
    team = fields.String(load_default=None, validate=validate.Length(max=40))
    klass = fields.String(load_default=None, validate=validate.OneOf(["special", "first", "second", "temporary",
                                                                      "none"]))
    industry = fields.String(load_default=None, validate=validate.Length(max=100))
    by = fields.String(load_default="team", validate=validate.OneOf(indicators.GROUPS))


class RateSchema(Schema):
    key = fields.String()
    name = fields.String()
    num = fields.Integer()
    den = fields.Integer()
    rate = fields.Float(allow_none=True, metadata={"description": "num ÷ den; null when den is 0"})
    percent = fields.String(metadata={"description": "as shown on the dashboard ('—' when den is 0)"})


class KpiSchema(Schema):
    period = fields.String()
    first_day = fields.Date()
    last_day = fields.Date()
    as_of = fields.DateTime()
    running = fields.Boolean()
    indicators = fields.List(fields.Nested(RateSchema))
    close_days = fields.Dict(keys=fields.String(), values=fields.Dict())
    customer_trips = fields.Integer(metadata={"description": "grid trips caused by customers (因客户原因引起电网跳闸次数)"})


class GroupSchema(Schema):
    key = fields.Raw(allow_none=True)
    label = fields.String()
    indicators = fields.List(fields.Nested(RateSchema))
    customer_trips = fields.Integer()


class BreakdownSchema(Schema):
    period = fields.String()
    by = fields.String()
    groups = fields.List(fields.Nested(GroupSchema))


@blp.get("/kpi")
@blp.arguments(KpiArgs, location="query", as_kwargs=True)
@blp.response(200, KpiSchema)
def get_kpi(**_args):
    """The indicators of a period within the caller's branches (filters as on the dashboard; a branch or
    team outside the caller's reach: 404)."""
    return indicators.numbers(current.runtime(), db.session(), current.actor(), request.args)


@blp.get("/kpi/breakdown")
@blp.arguments(KpiArgs, location="query", as_kwargs=True)
@blp.response(200, BreakdownSchema)
def get_breakdown(**_args):
    """The indicators per team, branch, customer class or industry (by=)."""
    return indicators.breakdown(current.runtime(), db.session(), current.actor(), request.args)


class ScoreSchema(Schema):
    team = fields.String(attribute="team_code")
    team_name = fields.String()
    members = fields.Integer()
    components = fields.Dict()
    computed_score = fields.Float(allow_none=True)
    leader_score = fields.Float(allow_none=True)
    comment = fields.String(allow_none=True)
    rank = fields.Integer(allow_none=True)


class RunSchema(Schema):
    id = fields.Integer()
    period = fields.String()
    status = fields.String()
    first_day = fields.Date()
    last_day = fields.Date()
    weights = fields.Dict()
    published_at = fields.DateTime(allow_none=True)
    scores = fields.List(fields.Nested(ScoreSchema))


@blp.get("/assessments")
@blp.response(200, RunSchema(many=True))
def list_assessments():
    """Team assessments in the caller's reach, newest first, with the scorecards of the teams in reach."""
    return assessment.runs_for_api(current.runtime(), db.session(), current.actor())
