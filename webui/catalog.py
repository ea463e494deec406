"""Specialists keep the hazard dictionary and the customer register (the part hazards need)."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from wtforms import (BooleanField, DateField, FloatField, HiddenField, IntegerField, SelectField, StringField,
                     TextAreaField)
from wtforms.validators import InputRequired, Length, NumberRange, Optional, Regexp, ValidationError

from engine import audit
from records import Branch, Customer, Document, Hazard, Inspection, Team, customers, dictionary, inspections, risk
from records import hazards as hazards_module
from services import risk as grading

from . import current, db, engine_of, planning
from .work import local_today

bp = Blueprint("catalog", __name__)
SEVERITY_CHOICES = [(s, n) for s, n in dictionary.SEVERITY_NAMES.items()]


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

    def validate_top_severity(self, field):
        if dictionary.SEVERITIES.index(field.data) < dictionary.SEVERITIES.index(self.default_severity.data):
            raise ValidationError(_("The severity at special and class-1 customers cannot be lower than the default."))


@bp.get("/dictionary")
def dictionary_index():
    """The hazard dictionary (newest version of each item)."""
    items = dictionary.current_items(db.session())
    return render_template("catalog/dictionary.html", items=items, severity_names=dictionary.SEVERITY_NAMES)


@bp.route("/dictionary/<code>", methods=["GET", "POST"])
def dictionary_item(code):
    """Edit an item: saving adds a new version; hazards keep the version they were filed with."""
    session = db.session()
    items = {i.code: i for i in dictionary.current_items(session)}
    item = items.get(code[:10]) or abort(404)
    form = ItemForm(obj=item) if request.method == "GET" else ItemForm()
    if request.method == "GET":
        form.version.data = str(item.version)
    elif form.validate_on_submit():
        if form.version.data != str(item.version):
            form.form_errors.append(_("Someone else changed this item meanwhile; reload and try again."))
        else:
            changes = {name: getattr(form, name).data for name in (
                "name_zh", "name_en", "category", "default_severity", "top_severity", "deadline_days",
                "interim_required", "legal_basis", "notes", "active")}
            now = engine_of(current_app).clock.now()
            new = dictionary.revise(session, code, changes, current_user.username, now)
            audit.record(session, f"dictionary:{code}", at=now, actor=current_user.username,
                         action="dictionary.revised", before=item.snapshot(), after={**changes, "version": new.version})
            try:
                session.commit()
            except IntegrityError:
                session.rollback()
                form.form_errors.append(_("Someone else changed this item meanwhile; reload and try again."))
            else:
                flash(_("%(code)s saved as version %(version)s.", code=code, version=new.version), "success")
                return redirect(url_for("catalog.dictionary_index"))
    return render_template("catalog/item_form.html", form=form, item=item), 422 if request.method == "POST" else 200


# --- customers ---------------------------------------------------------------------------------------

MOBILE = Regexp(r"^1\d{10}$", message=_l("Enter an 11-digit mobile number starting with 1."))


class CustomerForm(FlaskForm):
    number = StringField(_l("Customer number (户号)"), [InputRequired(), Length(max=20),
                                                       Regexp(r"^\d{6,20}$", message=_l("Digits only (6 to 20)."))])
    name = StringField(_l("Name"), [InputRequired(), Length(max=200)])
    address = StringField(_l("Address"), [Optional(), Length(max=300)])
    branch_id = SelectField(_l("Branch"), coerce=int)
    importance = SelectField(_l("Importance class"), choices=[("", "—")] + list(customers.CLASS_NAMES.items()))
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

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        if self.importance.data == "temporary":     # Optional() on the dates would skip a field validator
            if not self.temporary_from.data or not self.temporary_to.data:
                self.temporary_to.errors.append(_("A temporary class needs its window: from and until."))
                return False
            if self.temporary_to.data < self.temporary_from.data:
                self.temporary_to.errors.append(_("The window ends before it starts."))
                return False
        return valid


def _customer_choices(form, session):
    form.branch_id.choices = [(b.id, f"{b.name} ({b.code})") for b in session.scalars(select(Branch).order_by(Branch.code))]
    form.default_team_id.choices = [(0, "—")] + [(t.id, f"{t.name} ({t.code})") for t in
                                                 session.scalars(select(Team).order_by(Team.code))]


PROFILE_FIELDS = ("government_list_ref", "supply_voltage_kv", "power_sources", "supply_mode", "capacity_kva",
                  "security_load_kw", "emergency_power_kw", "emergency_power_type", "interlock_status",
                  "non_electrical_measures", "emergency_plan", "electricians", "gps_lat", "gps_lon", "cycle_months")
CUSTOMER_FIELDS = ("number", "name", "address", "branch_id", "importance", "temporary_from", "temporary_to",
                   "high_risk", "industry", "legal_representative", "contacts", "default_team_id") + PROFILE_FIELDS


def _apply(customer, form, now):
    for name in ("number", "name", "address", "branch_id", "temporary_from", "temporary_to", "high_risk", "industry",
                 "legal_representative") + PROFILE_FIELDS:
        value = getattr(form, name).data
        setattr(customer, name, value.strip() if isinstance(value, str) else value)
    customer.importance = form.importance.data or None
    customer.default_team_id = form.default_team_id.data or None
    contact = {"name": form.contact_name.data, "post": form.contact_post.data, "mobile": form.contact_mobile.data}
    customer.contacts = [contact] if any(contact.values()) else []
    customer.updated_at = now


@bp.get("/customers")
def customers_index():
    """The customer register with each customer's current risk grade."""
    session = db.session()
    q = (request.args.get("q") or "").strip()[:60]
    query = select(Customer).order_by(Customer.number)
    if q:
        query = query.where(or_(Customer.number == q, Customer.name.like(f"%{q.replace('%', '')}%")))
    rows = session.scalars(query.limit(200)).all()
    grades = {g.customer_id: g for g in session.scalars(select(risk.CustomerGrade).where(
        risk.CustomerGrade.current.is_(True), risk.CustomerGrade.customer_id.in_([c.id for c in rows])))}
    total = session.scalar(select(func.count()).select_from(Customer))
    return render_template("catalog/customers.html", rows=rows, grades=grades, q=q, total=total)


def _customer_page(form, customer, session, creating):
    if form.validate_on_submit():
        now = engine_of(current_app).clock.now()
        before = None if creating else {n: getattr(customer, n) for n in CUSTOMER_FIELDS}
        try:
            if not creating and form.lock_version.data != str(customer.lock_version):
                raise StaleDataError("lock_version")
            old_class = customer.importance
            _apply(customer, form, now)
            if not creating and customer.importance != old_class:
                planning.recompute_after_class_change(session, current_app.config["GRIDSAFE"], customer,
                                                      local_today())
            if creating:
                customer.created_at = now
                session.add(customer)
            audit.record(session, f"customer:{customer.number}", at=now, actor=current_user.username,
                         action="customer.created" if creating else "customer.changed", before=before,
                         after={n: getattr(customer, n) for n in CUSTOMER_FIELDS})
            grading.after_customer_edit(current.runtime(), session, customer, before, current_user.username)
            session.commit()
            flash(_("Customer %(name)s saved.", name=customer.name), "success")
            return redirect(url_for("catalog.customer_page", number=customer.number))
        except StaleDataError:
            session.rollback()
            form.form_errors.append(_("Someone else changed this record meanwhile; reload and try again."))
        except IntegrityError:
            session.rollback()
            form.number.errors.append(_("A customer with this number already exists."))
        except grading.GradingFailed as err:
            session.rollback()
            form.form_errors.append(_("The risk grade could not be computed, so nothing was saved: %(error)s",
                                      error=str(err)))
    status = 422 if request.method == "POST" else 200
    return render_template("catalog/customer_form.html", form=form, customer=None if creating else customer), status


@bp.route("/customers/new", methods=["GET", "POST"])
def customer_new():
    """Register a customer."""
    session = db.session()
    form = CustomerForm()
    _customer_choices(form, session)
    return _customer_page(form, Customer(), session, creating=True)


@bp.get("/customers/<number>")
def customer_page(number):
    """一户一档: the customer's profile, risk grade, inspections, hazards and documents."""
    session = db.session()
    customer = customers.by_number(session, number[:20]) or abort(404)
    return render_template("catalog/customer.html", c=customer,
                           grade=risk.current_grade(session, customer.id),
                           inspections=session.scalars(select(Inspection).where(Inspection.customer_id == customer.id)
                                                       .order_by(Inspection.due_date.desc()).limit(50)).all(),
                           hazards=session.scalars(select(Hazard).where(Hazard.customer_id == customer.id)
                                                   .order_by(Hazard.opened_at.desc()).limit(100)).all(),
                           documents=session.scalars(select(Document).where(Document.customer_id == customer.id)
                                                     .order_by(Document.created_at.desc()).limit(100)).all(),
                           severity_names=dictionary.SEVERITY_NAMES, hazard_status=hazards_module.STATUS_NAMES,
                           inspection_status=inspections.STATUS_NAMES, kinds=inspections.KIND_NAMES,
                           today=local_today())


@bp.route("/customers/<number>/edit", methods=["GET", "POST"])
def customer_edit(number):
    """Edit a customer (a change of class, temporary window or high-risk flag is graded again at once)."""
    session = db.session()
    customer = customers.by_number(session, number[:20]) or abort(404)
    form = CustomerForm(obj=customer) if request.method == "GET" else CustomerForm()
    _customer_choices(form, session)
    if request.method == "GET":
        form.importance.data = customer.importance or ""
        form.default_team_id.data = customer.default_team_id or 0
        first = (customer.contacts or [{}])[0]
        form.contact_name.data, form.contact_post.data = first.get("name"), first.get("post")
        form.contact_mobile.data = first.get("mobile")
        form.lock_version.data = str(customer.lock_version)
    return _customer_page(form, customer, session, creating=False)
