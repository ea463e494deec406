"""Models: the library, what the modeler offers, validate, deploy, diff, and migrating instances."""
from __future__ import annotations

from flask import jsonify
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from services import drafts, instance_migration, modeling

from .. import db
from ..current import actor, runtime
from .schemas import problem_response

blp = Blueprint("models_api", __name__, url_prefix="/api/v1/models",
                description="Process and decision models: versions, validation, deployment, migration")
NAME = validate.Regexp(modeling.NAME.pattern)


class SourceSchema(Schema):
    name = fields.String(required=True, validate=NAME)
    source = fields.String(required=True, validate=validate.Length(min=1))
    comment = fields.String(load_default=None, validate=validate.Length(max=1000))


class DiffArgs(Schema):
    from_ = fields.Integer(data_key="from", load_default=None)
    to = fields.Integer(load_default=None)


class TargetArgs(Schema):
    to = fields.Integer(load_default=None)


class ExpectedSchema(Schema):
    id = fields.Integer(required=True)
    lock_version = fields.Integer(required=True)


class MigrateSchema(Schema):
    to = fields.Integer(required=True)
    instances = fields.List(fields.Nested(ExpectedSchema), required=True, validate=validate.Length(min=1))
    reason = fields.String(load_default=None, validate=validate.Length(max=1000))


def _version_json(mv, counts) -> dict:
    total, unfinished = counts.get(mv.id, (0, 0))
    return {"model_version_id": mv.id, "version": mv.version, "kind": mv.kind, "content_hash": mv.content_hash,
            "deployed_at": mv.deployed_at.isoformat(), "deployed_by": mv.deployed_by, "comment": mv.comment,
            "definitions": mv.process_ids, "instances": total, "unfinished_instances": unfinished}


@blp.get("")
@blp.response(200)
def list_models():
    """Every model file with its versions (who, when, content hash, instances) and whether a draft exists."""
    models = modeling.library(runtime(), db.session(), actor())
    return jsonify([{"name": m.name, "kind": m.kind, "draft": m.draft is not None,
                     "versions": [_version_json(mv, m.counts) for mv in m.versions]} for m in models])


@blp.get("/handlers")
@blp.response(200)
def list_handlers():
    """The operators a service task may call, with their parameters (from the handler signatures)."""
    return jsonify(modeling.handler_catalog(runtime(), db.session(), actor()))


@blp.get("/forms")
@blp.response(200)
def list_forms():
    """The JSON Schema and UI schema files a user task may name."""
    return jsonify(modeling.form_catalog(runtime(), db.session(), actor()))


@blp.get("/<name>/versions/<int:version>")
@blp.response(200)
def get_model_version(name, version):
    """One version with its source."""
    view = modeling.version_view(runtime(), db.session(), actor(), name, version)
    mv = view.version
    return jsonify({**_version_json(mv, {mv.id: view.counts}), "name": mv.name, "source": mv.source})


@blp.post("/validate")
@blp.arguments(SourceSchema)
@blp.response(200)
def validate_model(args):
    """The problems that would stop this diagram from deploying, each with its element id (empty: valid)."""
    return jsonify({"problems": drafts.validate(runtime(), db.session(), actor(), args["name"], args["source"])})


@blp.post("/deploy")
@blp.arguments(SourceSchema)
@blp.response(201)
@blp.alt_response(200, description="Unchanged: the newest version has this content")
@blp.alt_response(**problem_response(422, "Invalid: not deployed; the problems say why"))
def deploy_model(args):
    """Deploy a diagram as the next version of `name` if it passes validation."""
    result = drafts.deploy(runtime(), db.session(), actor(), args["name"], args["source"], args["comment"])
    body = {"status": result.status, "version": result.version, "problems": [p.as_dict() for p in result.problems]}
    return jsonify(body), {"deployed": 201, "unchanged": 200}.get(result.status, 422)


@blp.get("/<name>/diff")
@blp.arguments(DiffArgs, location="query")
@blp.response(200)
def diff_model_versions(args, name):
    """Elements added, removed and changed from one version to another (default: the last two)."""
    found = modeling.diff(runtime(), db.session(), actor(), name, args["from_"] or None, args["to"] or None)
    return jsonify(found.changes)


@blp.get("/<name>/versions/<int:version>/migration")
@blp.arguments(TargetArgs, location="query")
@blp.response(200)
def check_migration(args, name, version):
    """Dry run: per unfinished instance of this version, can it move to `to` (default: newest), or why not."""
    run = instance_migration.dry_run(runtime(), db.session(), actor(), name, version, args["to"] or None,
                                     strict=True)
    return jsonify({"from": run.source.version, "to": run.target.version,
                    "instances": [c.as_dict() for c in run.checks]})


@blp.post("/<name>/versions/<int:version>/migration")
@blp.arguments(MigrateSchema)
@blp.response(200)
def migrate_instances(args, name, version):
    """Migrate the listed instances (with the lock_version the dry run reported); one result each."""
    expected = {i["id"]: i["lock_version"] for i in args["instances"]}
    done = instance_migration.migrate(runtime(), db.session(), actor(), name, version, args["to"], expected,
                                      args["reason"])
    return jsonify({"from": done.source.version, "to": done.target.version, "results": done.results})
