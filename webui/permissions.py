"""The role matrix: who may reach which page or API endpoint. One table, enforced before every request.

An endpoint missing from ACCESS is refused (deny by default). What a role may do with one object
(complete *this* task) is decided by the services (services.access) on top of this table.
"""
from __future__ import annotations

from flask import current_app, redirect, request, url_for
from flask_login import current_user

from services.vocabulary import ROLES

PUBLIC = "public"
STAFF = frozenset(ROLES)            # anyone signed in with at least one role
ADMIN = frozenset({"admin"})
REASSIGNERS = frozenset({"specialist", "admin"})
MODELLERS = frozenset({"process_owner", "admin"})
OBSERVERS = frozenset({"admin", "process_owner"})
KPI_READERS = frozenset({"leader", "specialist", "supervisor", "admin"})

ACCESS: dict[str, object] = {
    "static": PUBLIC,
    "health.healthz": PUBLIC,
    "metrics.metrics": ADMIN,
    "status.index": ADMIN,           # or a scraper with GRIDSAFE_METRICS_TOKEN (webui/metrics.py)
    "auth.login": PUBLIC,
    "auth.logout": PUBLIC,
    "auth.language": PUBLIC,
    "auth.profile": STAFF,
    "offline.service_worker": PUBLIC,
    "offline.manifest": PUBLIC,
    "offline.favicon": PUBLIC,
    "inbox.index": STAFF,
    "inbox.task": STAFF,
    "inbox.complete": STAFF,
    "inbox.submit": STAFF,
    "inbox.upload_photo": STAFF,
    "inbox.save_draft": STAFF,
    "inbox.claim": STAFF,
    "inbox.release": STAFF,
    "inbox.reassign": REASSIGNERS,
    "inbox.attachment": STAFF,
    "admin.instances": OBSERVERS,
    "admin.instance": OBSERVERS,
    "admin.instance_action": ADMIN,
    "diagrams.instance_diagram": OBSERVERS,
    "diagrams.element": OBSERVERS,
    "diagrams.source": MODELLERS,
    "diagrams.heatmap": OBSERVERS,
    "models.library": MODELLERS,
    "models.version": MODELLERS,
    "models.download": MODELLERS,
    "models.diff": MODELLERS,
    "models.form_list": MODELLERS,
    "models.form_preview": MODELLERS,
    "models.form_new": MODELLERS,
    "models.form_editor": MODELLERS,
    "models.form_editor_preview": MODELLERS,
    "models.form_editor_deploy": MODELLERS,
    "modeler.new": MODELLERS,
    "modeler.create": MODELLERS,
    "modeler.upload": MODELLERS,
    "modeler.editor": MODELLERS,
    "modeler.save_draft": MODELLERS,
    "modeler.discard_draft": MODELLERS,
    "modeler.validate": MODELLERS,
    "modeler.deploy": MODELLERS,
    "scenarios.page": MODELLERS,
    "scenarios.save": MODELLERS,
    "scenarios.run": MODELLERS,
    "migration.dry_run": MODELLERS,
    "migration.run": ADMIN,
    "migration.run_one": ADMIN,
    "people.users": ADMIN,
    "people.user_new": ADMIN,
    "people.user_edit": ADMIN,
    "people.token_revoke": ADMIN,
    "people.teams": ADMIN,
    "people.team_new": ADMIN,
    "people.team_edit": ADMIN,
    "people.branches": ADMIN,
    "people.branch_new": ADMIN,
    "people.branch_edit": ADMIN,
    "hazards.index": STAFF,
    "hazards.dossier_page": STAFF,
    "hazards.new": frozenset({"inspector", "specialist"}),
    "hazards.cancel": frozenset({"specialist", "admin"}),
    "hazards.decide_cancellation": frozenset({"leader", "specialist"}),    # services.cancellations decides who
    "hazards.cancellation_list": frozenset({"leader", "specialist", "admin"}),
    "hazards.document": STAFF,
    "hazards.document_state": STAFF,
    "catalog.dictionary_index": STAFF,
    "catalog.dictionary_item": frozenset({"specialist", "admin"}),
    "catalog.customers_index": STAFF,
    "catalog.customer_new": frozenset({"specialist", "admin"}),
    "catalog.customer_edit": frozenset({"specialist", "admin"}),
    "catalog.customer_page": STAFF,
    "inspections.index": STAFF,
    "inspections.detail": STAFF,
    "inspections.to_verify": KPI_READERS,
    "inspections.new": frozenset({"specialist", "admin"}),
    "inspections.job": frozenset({"specialist", "admin"}),
    "inspections.job_step": frozenset({"specialist", "admin"}),
    "inspections.customer_import": frozenset({"specialist", "admin"}),
    "inspections.customer_import_template": frozenset({"specialist", "admin"}),
    "inspections.plan": STAFF,
    "inspections.plan_run": frozenset({"specialist", "admin"}),
    "inspections.plan_cycles": frozenset({"specialist", "admin"}),
    "inspections.plan_listing": frozenset({"specialist", "admin"}),
    "reports.index": frozenset({"leader", "supervisor", "specialist", "admin"}),
    "reports.submit": frozenset({"leader", "specialist", "admin"}),
    "reports.reply": frozenset({"leader", "specialist", "admin"}),
    "reports.notifications": STAFF,
    "risk.index": STAFF,
    "risk.customer": STAFF,
    "risk.regrade": frozenset({"specialist", "admin"}),
    "outbox.index": ADMIN,
    "outbox.retry": ADMIN,
    "outbox.retry_failed": ADMIN,
    "outbox.retry_render": ADMIN,
    "outbox.retry_failed_renders": ADMIN,
    "reports.read_all": STAFF,
    # indicators, periodic reports, team assessment (issue 8): leaders, specialists, supervisors read
    "dashboard.index": KPI_READERS,
    "dashboard.export": KPI_READERS,
    "dashboard.trend": KPI_READERS,
    "dashboard.inspections": KPI_READERS,
    "trips.index": KPI_READERS,
    "trips.record": frozenset({"specialist", "admin"}),
    "summaries.index": KPI_READERS,
    "summaries.generate": frozenset({"leader", "specialist", "admin"}),
    "assessments.index": KPI_READERS,
    "assessments.detail": KPI_READERS,
    "assessments.export": KPI_READERS,
    "assessments.start_by_hand": frozenset({"leader", "admin"}),
    # JSON API (bearer tokens)
    "api-docs.openapi_json": PUBLIC,
    "processes.list_processes": STAFF,
    "processes.start_instance": frozenset({"specialist", "inspector", "admin"}),
    "tasks.list_tasks": STAFF,
    "tasks.get_task": STAFF,
    "tasks.claim_task": STAFF,
    "tasks.release_task": STAFF,
    "tasks.assign_task": REASSIGNERS,
    "tasks.complete_task": STAFF,
    "instances.list_instances": OBSERVERS,
    "instances.get_instance": OBSERVERS,
    "instances.act_on_instance": ADMIN,
    "models_api.list_models": MODELLERS,
    "models_api.list_handlers": MODELLERS,
    "models_api.list_forms": MODELLERS,
    "models_api.get_model_version": MODELLERS,
    "models_api.validate_model": MODELLERS,
    "models_api.deploy_model": MODELLERS,
    "models_api.diff_model_versions": MODELLERS,
    "models_api.check_migration": MODELLERS,
    "models_api.migrate_instances": ADMIN,
    "messages.deliver_message": frozenset({"specialist", "inspector", "admin"}),
    "attachments.upload_attachment": STAFF,
    "attachments.download_attachment": STAFF,
    "people_api.me": STAFF,
    "people_api.list_users": ADMIN,
    "people_api.list_teams": STAFF,
    "hazards_api.list_hazards": STAFF,
    "hazards_api.get_hazard": STAFF,
    "hazards_api.open_hazard_api": frozenset({"inspector", "specialist"}),
    "hazards_api.download_document": STAFF,
    "hazards_api.list_reports": frozenset({"leader", "supervisor", "specialist", "admin"}),
    "hazards_api.submit_report": frozenset({"leader", "specialist", "admin"}),
    "hazards_api.reply_report": frozenset({"leader", "specialist", "admin"}),
    "hazards_api.request_cancellation": frozenset({"specialist", "admin"}),
    "hazards_api.list_cancellations": frozenset({"leader", "specialist", "admin"}),
    "hazards_api.decide_cancellation": frozenset({"leader", "specialist"}),
    "risk_api.list_risk": STAFF,
    "risk_api.get_customer_risk": STAFF,
    "outbox_api.list_outbox": ADMIN,
    "outbox_api.retry_message": ADMIN,
    "kpi_api.get_kpi": KPI_READERS,
    "kpi_api.get_breakdown": KPI_READERS,
    "kpi_api.list_assessments": KPI_READERS,
    "trips_api.list_customer_trips": STAFF,
    "trips_api.record_customer_trip": frozenset({"specialist", "admin"}),
}


def allowed(endpoint: str | None, user) -> bool:
    """Whether `user` (or an anonymous visitor) may reach the endpoint at all."""
    rule = ACCESS.get(endpoint or "")
    if rule is None:
        return False
    if rule == PUBLIC:
        return True
    return bool(getattr(user, "is_authenticated", False)) and bool(user.roles & rule)


def is_api(endpoint: str | None) -> bool:
    return bool(endpoint) and request.path.startswith("/api/")


def enforce():
    """before_request: anonymous → sign in (pages) or 401 (API); signed in without the role → 403."""
    endpoint = request.endpoint
    if endpoint is None:
        return None                       # 404 follows
    user = current_user
    if allowed(endpoint, user):
        return None
    if endpoint not in ACCESS:
        current_app.logger.error("endpoint %s is not in the role matrix; refused", endpoint)
    from .errors import problem
    if not getattr(user, "is_authenticated", False):
        if request.path.startswith("/api/"):
            return problem(401, "Sign-in required", "Send an API token: Authorization: Bearer <token>.")
        return redirect(url_for("auth.login", next=request.full_path if request.query_string else request.path))
    if request.path.startswith("/api/"):
        return problem(403, "Forbidden", "Your roles do not allow this.")
    from flask import abort
    abort(403)

