"""Indicators (domain.md §8) and team assessments for other systems: the dashboard's numbers as JSON."""
from __future__ import annotations

from flask import request
from flask_login import current_user
from flask_smorest import Blueprint, abort
from marshmallow import Schema, fields, validate
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from records import indicators
from records.assessments import AssessmentRun

from .. import db, kpi_views
from ..dashboard_tables import group_names
from ..work import local_today

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
    by = fields.String(load_default="team", validate=validate.OneOf(kpi_views.GROUPS))


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


class GroupSchema(Schema):
    key = fields.Raw(allow_none=True)
    label = fields.String()
    indicators = fields.List(fields.Nested(RateSchema))


class BreakdownSchema(Schema):
    period = fields.String()
    by = fields.String()
    groups = fields.List(fields.Nested(GroupSchema))


def _scope():
    q = kpi_views.parse(request.args, local_today())
    scope = kpi_views.scope_for(db.session(), current_user, q)
    if scope is None:
        abort(400, message=" ".join(q.errors))
    return q, scope


def _rates(rates: dict) -> list:
    return [{"key": i.key, "name": i.name_zh, "num": rates[i.key].num, "den": rates[i.key].den,
             "rate": rates[i.key].value, "percent": rates[i.key].percent()} for i in indicators.INDICATORS
            if i.key in rates]


@blp.get("/kpi")
@blp.arguments(KpiArgs, location="query", as_kwargs=True)
@blp.response(200, KpiSchema)
def get_kpi(**_args):
    """The indicators of a period within the caller's branches (filters as on the dashboard)."""
    q, scope = _scope()
    session = db.session()
    rates = indicators.compute(session, scope)[None]
    days = indicators.close_days(session, scope)
    return {"period": q.label, "first_day": q.first_day, "last_day": q.last_day, "as_of": scope.as_of,
            "running": scope.running, "indicators": _rates(rates),
            "close_days": {k: {"average_days": v[0], "closed": v[1]} for k, v in days.items()}}


@blp.get("/kpi/breakdown")
@blp.arguments(KpiArgs, location="query", as_kwargs=True)
@blp.response(200, BreakdownSchema)
def get_breakdown(**_args):
    """The indicators per team, branch, customer class or industry (by=)."""
    q, scope = _scope()
    session = db.session()
    rows = indicators.compute(session, scope, group=q.by)
    names = group_names(session, q.by, set(rows))
    return {"period": q.label, "by": q.by,
            "groups": [{"key": key, "label": str(names[key][0]), "indicators": _rates(rates)}
                       for key, rates in sorted(rows.items(), key=lambda kv: str(names[kv[0]][0]))]}


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
    """Team assessments, newest first, with each team's scorecard."""
    return db.session().scalars(select(AssessmentRun).order_by(AssessmentRun.first_day.desc()).limit(60)
                                .options(selectinload(AssessmentRun.scores))).all()
