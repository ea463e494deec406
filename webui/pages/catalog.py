"""The hazard dictionary and the customer register (the part hazards need): pages only; the forms are in
catalog_forms, the decisions in services.dictionary and services.customers."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from services import Conflict, Invalid, customers, dictionary, vocabulary

from ..current import actor, runtime
from ..db import session
from .catalog_forms import CustomerForm, ItemForm, show_errors, values_of

bp = Blueprint("catalog", __name__)


@bp.get("/dictionary")
def dictionary_index():
    """The hazard dictionary (newest version of each item)."""
    return render_template("catalog/dictionary.html", items=dictionary.items(runtime(), session(), actor()),
                           severity_names=vocabulary.SEVERITY_NAMES)


@bp.route("/dictionary/<code>", methods=["GET", "POST"])
def dictionary_item(code):
    """Edit an item: saving adds a new version; hazards keep the version they were filed with."""
    rt = runtime()
    item = dictionary.editable_item(rt, session(), actor(), code)
    if request.method == "GET":
        form = ItemForm(obj=item)
        form.version.data = str(item.version)
        return render_template("catalog/item_form.html", form=form, item=item)
    form = ItemForm()
    if form.validate_on_submit():
        try:
            new = dictionary.revise(rt, session(), actor(), code, values_of(form, dictionary.ITEM_FIELDS),
                                    form.version.data)
        except (Invalid, Conflict) as err:
            show_errors(form, err)
        else:
            flash(_("%(code)s saved as version %(version)s.", code=new.code, version=new.version), "success")
            return redirect(url_for("catalog.dictionary_index"))
    return render_template("catalog/item_form.html", form=form, item=item), 422


@bp.get("/customers")
def customers_index():
    """The customer register (the customers in your reach) with each customer's current risk grade."""
    listed = customers.customer_list(runtime(), session(), actor(), request.args.get("q") or "")
    return render_template("catalog/customers.html", **listed)


@bp.get("/customers/<number>")
def customer_page(number):
    """一户一档: the customer's profile, risk grade, inspections, hazards and documents."""
    rt = runtime()
    page = customers.customer_page(rt, session(), actor(), number)
    return render_template("catalog/customer.html", c=page["customer"], grade=page["grade"],
                           grade_reasons=page["grade_reasons"],
                           inspections=page["inspections"], hazards=page["hazards"], documents=page["documents"],
                           trips=page["trips"],
                           severity_names=vocabulary.SEVERITY_NAMES, hazard_status=vocabulary.HAZARD_STATUS_NAMES,
                           inspection_status=vocabulary.INSPECTION_STATUS_NAMES, kinds=vocabulary.INSPECTION_KIND_NAMES, today=rt.today())


@bp.route("/customers/new", methods=["GET", "POST"])
def customer_new():
    """Register a customer (in a branch of yours)."""
    form = _with_choices(CustomerForm())
    return _customer_form(form, None)


@bp.route("/customers/<number>/edit", methods=["GET", "POST"])
def customer_edit(number):
    """Edit a customer (a change of class, temporary window or high-risk flag is graded again at once)."""
    customer, values = customers.editable(runtime(), session(), actor(), number)
    form = _with_choices(CustomerForm(data=values) if request.method == "GET" else CustomerForm())
    return _customer_form(form, customer)


def _with_choices(form):
    choices = customers.form_choices(runtime(), session(), actor())
    form.branch_id.choices = choices["branches"]
    form.default_team_id.choices = [(0, "—")] + choices["teams"]
    return form


def _customer_form(form, customer):
    if form.validate_on_submit():
        rt, values = runtime(), values_of(form, customers.FORM_FIELDS)
        try:
            if customer is None:
                saved = customers.create(rt, session(), actor(), values)
            else:
                saved = customers.update(rt, session(), actor(), customer.number, values, form.lock_version.data)
        except (Invalid, Conflict) as err:
            show_errors(form, err)
        else:
            flash(_("Customer %(name)s saved.", name=saved.name), "success")
            return redirect(url_for("catalog.customer_page", number=saved.number))
    status = 422 if request.method == "POST" else 200
    return render_template("catalog/customer_form.html", form=form, customer=customer), status
