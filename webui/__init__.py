"""The Flask app factory: reads the configuration once and wires engine, handlers, forms and records."""
from __future__ import annotations

import functools
from pathlib import Path

from flask import Flask

import forms
from engine import Engine
from handlers import HANDLERS, Context

from . import config as settings
from . import db


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app; test_config overrides settings (and may carry a CLOCK)."""
    config = settings.load(test_config)
    app = Flask(__name__, instance_path=str(settings.INSTANCE))
    app.config.update(config)
    app.config["GRIDSAFE"] = config
    Path(config["DATA_DIR"]).mkdir(parents=True, exist_ok=True)
    db.init_app(app, config)
    app.extensions["gridsafe.engine"] = build_engine(config, (test_config or {}).get("CLOCK"))
    from . import health
    app.register_blueprint(health.bp)
    return app


def build_engine(config: dict, clock=None) -> Engine:
    """The runtime with GridSafe's handlers, forms folder and settings."""
    forms_dir = Path(config["FORMS_DIR"])
    handler_settings = {k: v for k, v in config.items() if k not in ("SECRET_KEY", "CLOCK")}
    return Engine(
        handlers={**HANDLERS, **config.get("EXTRA_HANDLERS", {})},
        clock=clock,
        context_factory=functools.partial(Context, settings=handler_settings),
        form_check=functools.partial(forms.problem, folder=forms_dir),
        max_model_bytes=config["MAX_MODEL_BYTES"],
    )


def engine_of(app: Flask) -> Engine:
    return app.extensions["gridsafe.engine"]
