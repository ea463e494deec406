"""The web forms of the dictionary and the customer register: they parse and check the input's format;
services.dictionary and services.customers check what the values mean."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (BooleanField, DateField, FloatField, HiddenField, IntegerField, SelectField, StringField,
                     TextAreaField)
from wtforms.validators import InputRequired, Length, NumberRange, Optional, Regexp

from services import vocabulary

SEVERITY_CHOICES = [(s, n) for s, n in vocabulary.SEVERITY_NAMES.items()]
MOBILE = Regexp(r"^1\d{10}$", message=_l("Enter an 11-digit mobile number starting with 1."))


class ItemForm(FlaskForm):
    name_zh = StringField(_l("Name (Chinese)"), [InputRequired(), Length(max=200)])
    name_en = StringField(_l("Name (English)"), [InputRequired(), Length(max=200)])
    category = StringField(_l("Category"), [InputRequired(), Length(max=40)])
    default_severity = SelectField(_l("Default severity"), choices=SEVERITY_CHOICES)
    top_severity = SelectField(_l("Severity at special and class-1 customers"), choices=SEVERITY_CHOICES)
    deadline_days = IntegerField(_l("Days to rectify"), [InputRequired(), NumberRange(min=0, max=365)])
    interim_required = BooleanField(_l("Interim measures required"))
    legal_basis = TextAreaField(_l("Legal basis"), [Optional(), Length(max=1000)])
    notes = TextAreaField(_l("Notes"), [Optional(), Length(max=1000)])
    active = BooleanField(_l("Active"), default=True)
    version = HiddenField()


class CustomerForm(FlaskForm):
    number = StringField(_l("Customer number (户号)"), [InputRequired(), Length(max=20),
                                                       Regexp(r"^\d{6,20}$", message=_l("Digits only (6 to 20)."))])
    name = StringField(_l("Name"), [InputRequired(), Length(max=200)])
    address = StringField(_l("Address"), [Optional(), Length(max=300)])
    branch_id = SelectField(_l("Branch"), coerce=int)
    importance = SelectField(_l("Importance class"), choices=[("", "—")] + list(vocabulary.CUSTOMER_CLASS_NAMES.items()))
    temporary_from = DateField(_l("Temporary from"), [Optional()])
    temporary_to = DateField(_l("Temporary until"), [Optional()])
    high_risk = BooleanField(_l("High-risk industry"))
    industry = StringField(_l("Industry"), [Optional(), Length(max=100)])
    legal_representative = StringField(_l("Legal representative"), [Optional(), Length(max=60)])
    contact_name = StringField(_l("Contact"), [Optional(), Length(max=60)])
    contact_post = StringField(_l("Contact's post"), [Optional(), Length(max=60)])
    contact_mobile = StringField(_l("Contact's mobile"), [Optional(), MOBILE])
    default_team_id = SelectField(_l("Default team"), coerce=int)
    government_list_ref = StringField(_l("Government list reference"), [Optional(), Length(max=100)])
    supply_voltage_kv = FloatField(_l("Supply voltage (kV)"), [Optional(), NumberRange(min=0.2, max=1000)])
    power_sources = IntegerField(_l("Number of supply sources"), [Optional(), NumberRange(min=0, max=10)])
    supply_mode = StringField(_l("Supply mode"), [Optional(), Length(max=40)])
    capacity_kva = FloatField(_l("Capacity (kVA)"), [Optional(), NumberRange(min=0)])
    security_load_kw = FloatField(_l("Security load (kW)"), [Optional(), NumberRange(min=0)])
    emergency_power_kw = FloatField(_l("Emergency power (kW)"), [Optional(), NumberRange(min=0)])
    emergency_power_type = StringField(_l("Emergency power type"), [Optional(), Length(max=40)])
    interlock_status = StringField(_l("Interlock"), [Optional(), Length(max=40)])
    non_electrical_measures = BooleanField(_l("Non-electrical safety measures in place"))
    emergency_plan = BooleanField(_l("Outage emergency plan"))
    electricians = IntegerField(_l("Electricians"), [Optional(), NumberRange(min=0, max=500)])
    gps_lat = FloatField(_l("Latitude"), [Optional(), NumberRange(min=-90, max=90)])
    gps_lon = FloatField(_l("Longitude"), [Optional(), NumberRange(min=-180, max=180)])
    cycle_months = IntegerField(_l("Own inspection cycle (months)"), [Optional(), NumberRange(min=1, max=60)])
    lock_version = HiddenField()


def values_of(form, names) -> dict:
    """The parsed values of these fields."""
    return {name: getattr(form, name).data for name in names}


def show_errors(form, err) -> None:
    """Put a service's refusal on the form: field errors beside their fields, the rest above."""
    placed = False
    for name, message in (getattr(err, "errors", None) or {}).items():
        field = getattr(form, name, None)
        if field is not None and hasattr(field, "errors"):
            field.errors = list(field.errors or []) + [message]
            placed = True
    if not placed:
        form.form_errors.append(err.message)
