"""Grid trips caused by customers (因客户原因引起电网跳闸) as the API sees them: one customer's trips, and
recording one. HTTP only: services.trips decides the reach (a customer out of it is absent: 404) and
checks the input; each recorded trip is one transaction with its audit event."""
from __future__ import annotations

from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from services import trips

from .. import current, db

blp = Blueprint("trips_api", __name__, url_prefix="/api/v1",
                description="Grid trips caused by customers (因客户原因引起电网跳闸次数)")


class TripSchema(Schema):
    id = fields.Integer()
    customer = fields.Function(lambda row: row.customer.number)
    occurred_at = fields.DateTime()
    cause = fields.String()
    hazard = fields.Function(lambda row: row.hazard.file_number if row.hazard else None)
    recorded_by = fields.String()
    recorded_at = fields.DateTime()


class TripInSchema(Schema):
    occurred_on = fields.String(required=True, validate=validate.Length(min=10, max=10),
                                metadata={"description": "the local day, YYYY-MM-DD"})
    occurred_time = fields.String(load_default=None, validate=validate.Length(max=5),
                                  metadata={"description": "the local time, HH:MM (noon when not given)"})
    cause = fields.String(required=True, validate=validate.Length(min=1, max=trips.CAUSE_MAX))
    hazard = fields.String(load_default=None, validate=validate.Length(max=40),
                           metadata={"description": "the file number of the hazard behind the trip, if any"})


@blp.get("/customers/<number>/trips")
@blp.response(200, TripSchema(many=True))
def list_customer_trips(number):
    """The trips of one customer in your scope, newest first (at most 500)."""
    return trips.for_customer(current.runtime(), db.session(), current.actor(), number)


@blp.post("/customers/<number>/trips")
@blp.arguments(TripInSchema)
@blp.response(201, TripSchema)
def record_customer_trip(args, number):
    """Record a grid trip the customer caused: the day (and time), the cause, the hazard file behind it if
    any (the same customer's). It counts among the indicators of its period."""
    return trips.record_for_customer(current.runtime(), db.session(), current.actor(), number, **args)
