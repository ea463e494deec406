"""Customer risk (A/B/C, grey, 未监控) as the API sees them. HTTP only: services.risk decides the scope."""
from __future__ import annotations

from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from services import risk

from .. import current, db
from .schemas import PAGE

blp = Blueprint("risk_api", __name__, url_prefix="/api/v1", description="Customer risk grades and warnings")


class RiskListArgs(Schema):
    status = fields.String(load_default=None, validate=validate.OneOf(risk.STATUSES))
    klass = fields.String(data_key="class", load_default=None, validate=validate.OneOf(risk.CLASS_FILTERS))
    branch = fields.String(load_default=None, validate=validate.Length(max=40))
    q = fields.String(load_default=None, validate=validate.Length(max=60))
    page = fields.Integer(load_default=1, validate=PAGE)


@blp.get("/risk")
@blp.arguments(RiskListArgs, location="query")
@blp.response(200)
def list_risk(args):
    """Customers by risk, worst score first (pages of 50): status A/B/C, none (grey) or gap (未监控), drivers."""
    q = risk.RiskQuery(status=args["status"], klass=args["klass"], branch=args["branch"], q=args["q"],
                       page=args["page"])
    rows, total, counts = risk.risk_list(current.runtime(), db.session(), current.actor(), q)
    return {"total": total, "page": q.page, "page_size": risk.PAGE_SIZE, "counts": counts,
            "items": [row_json(r) for r in rows]}


@blp.get("/risk/<number>")
@blp.response(200)
def get_customer_risk(number):
    """One customer: the current grade with its drivers, the history of grades, the warnings and their delivery."""
    return customer_json(risk.customer_risk(current.runtime(), db.session(), current.actor(), number))


def row_json(row: dict) -> dict:
    c, g = row["customer"], row["grade"]
    return {"number": c.number, "name": c.name, "class": c.importance, "class_name": c.class_name,
            "high_risk": bool(c.high_risk), "branch": c.branch.code, "status": row["status"], "colour": row["colour"],
            "grade": g.grade if g else None, "score": g.score if g else 0.0, "drivers": list(g.drivers or []) if g else [],
            "reasons": row.get("reasons") or "",
            "model_version": g.model_version if g else None,
            "computed_at": g.computed_at.isoformat() if g else None, "open_hazards": row["open_hazards"],
            "next_inspection_due": c.next_inspection_due.isoformat() if c.next_inspection_due else None}


def customer_json(view: dict) -> dict:
    return {**row_json(view["row"]),
            "history": [{"grade": g.grade, "score": g.score, "drivers": g.drivers, "model_version": g.model_version,
                         "reason": g.reason, "computed_at": g.computed_at.isoformat(), "current": g.current}
                        for g in view["history"]],
            "warnings": [{"kind": w.kind, "grade": w.grade, "previous": w.previous, "day": w.day.isoformat(),
                          "recipients": w.recipients, "report_document_id": w.report_document_id,
                          "messages": [{"channel": m.channel, "recipient": m.recipient, "status": m.status,
                                        "last_error": m.last_error} for m in view["messages"].get(w.id, [])]}
                         for w in view["warnings"]],
            "open_hazards_list": [{"file_number": h.file_number, "item_code": h.item_code, "severity": h.severity,
                                   "status": h.status, "deadline": h.deadline.isoformat()} for h in view["hazards"]]}
