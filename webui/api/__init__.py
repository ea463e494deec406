"""The JSON API under /api/v1, documented by flask-smorest (OpenAPI 3 at /api/v1/openapi.json).

Bearer tokens (`gridsafe token create USER`); the same permissions and validation as the pages;
errors as application/problem+json.
"""
from __future__ import annotations

import http

from flask import request
from flask_smorest import Api as SmorestApi
from flask_smorest.utils import prepare_response

from ..errors import problem, render_page_error, too_large
from .schemas import PROBLEM, ProblemSchema

API_PREFIX = "/api/v1"


class Api(SmorestApi):
    """flask-smorest with RFC 9457 problem documents for API errors (and documented as such: every error
    response is application/problem+json) and pages for the rest."""

    ERROR_SCHEMA = ProblemSchema

    def _register_responses(self):
        for status in http.HTTPStatus:
            response = {"description": status.phrase}
            if status >= 400:
                response["schema"] = self.ERROR_SCHEMA
            prepare_response(response, self.spec, PROBLEM)
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "An error: a problem document (RFC 9457)", "schema": self.ERROR_SCHEMA}
        prepare_response(response, self.spec, PROBLEM)
        self.spec.components.response("DEFAULT_ERROR", response, lazy=True)

    def handle_http_exception(self, error):
        if not request.path.startswith("/api/"):
            return render_page_error(error)
        data = getattr(error, "data", None) or {}
        errors = data.get("errors") or data.get("messages")
        if isinstance(errors, dict) and set(errors) <= {"json", "query", "form", "files", "headers"}:
            errors = {k: v for part in errors.values() for k, v in (part.items() if isinstance(part, dict) else [])}
        detail = too_large() if error.code == 413 else data.get("message") or error.description
        return problem(error.code or 500, error.name, detail, errors=errors or None)


api = Api()
BLUEPRINTS = ("processes", "tasks", "instances", "messages", "attachments", "people_api", "hazards_api", "models_api",
              "risk_api", "outbox_api", "kpi_api", "trips_api", "api-docs")


def init_app(app) -> None:
    app.config.update(
        API_TITLE="GridSafe API", API_VERSION="v1", OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX=API_PREFIX, OPENAPI_JSON_PATH="openapi.json",
        API_SPEC_OPTIONS={
            "info": {"description": "电力高危及重要客户安全隐患管控 — processes, tasks, instances, messages, "
                                    "attachments, people. Authenticate with `Authorization: Bearer <token>`."},
            "security": [{"bearerAuth": []}],
            "components": {"securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}}},
        },
    )
    api.init_app(app)
    from . import (attachments, hazards, instances, kpi, messages, models, outbox, people, processes, risk, tasks,
                   trips)
    for module in (processes, tasks, instances, messages, attachments, people, hazards, models, risk, outbox, kpi,
                   trips):
        api.register_blueprint(module.blp)
