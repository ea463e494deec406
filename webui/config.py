"""Every setting of the service with its default, in one place; GRIDSAFE_<NAME> overrides each.

Read once by create_app. Tests pass a dict instead.
"""
from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = ROOT / "instance"
DEFAULT_SECRET_KEY = "dev-only-secret-change-me"

DEFAULTS: dict = {
    "ENV": "development",                     # development | production
    "SECRET_KEY": DEFAULT_SECRET_KEY,
    "DATABASE_URL": f"sqlite:///{INSTANCE / 'gridsafe.db'}",
    "DATA_DIR": str(INSTANCE / "data"),
    "BPMN_DIR": str(ROOT / "bpmn"),
    "FORMS_DIR": str(ROOT / "forms"),
    "SQLITE_SYNCHRONOUS": "NORMAL",           # NORMAL survives a process crash; FULL a power loss too
    "DB_BUSY_TIMEOUT_MS": 30000,
    "HOST": "127.0.0.1",
    "PORT": 8000,
    "WORKERS": 2,
    "SCHEDULER_INTERVAL_SECONDS": 30,
    "SCHEDULER_NAME": "",                     # defaults to host:pid
    "SCHEDULER_MAX_LAG_SECONDS": 300,         # /healthz reports 'lagging' beyond this
    "MAX_MODEL_BYTES": 2 * 1024 * 1024,
    "MAX_UPLOAD_BYTES": 10 * 1024 * 1024,     # one photo or signature
    "MAX_REQUEST_BYTES": 64 * 1024 * 1024,    # a whole form submission with its photos
    "LOGIN_RATE_LIMIT": "10 per minute",      # failed or not, per address and user name
    "RATELIMIT_STORAGE_URI": "memory://",     # per process; e.g. redis://127.0.0.1:6379 to share
    "DEFAULT_LOCALE": "zh_CN",
    "TIMEZONE": "Asia/Shanghai",
}


def _coerce(name: str, raw: str, default):
    if isinstance(default, bool):
        return raw.strip().lower() in ("1", "true", "yes", "on")
    if isinstance(default, int):
        try:
            return int(raw)
        except ValueError:
            raise ValueError(f"GRIDSAFE_{name} must be a whole number, not {raw!r}") from None
    return raw


def load(overrides: dict | None = None, environ=os.environ) -> dict:
    """DEFAULTS, then GRIDSAFE_* variables, then the overrides (tests)."""
    config = dict(DEFAULTS)
    for name, default in DEFAULTS.items():
        raw = environ.get(f"GRIDSAFE_{name}")
        if raw is not None and raw != "":
            config[name] = _coerce(name, raw, default)
    config.update(overrides or {})
    check(config)
    return config


def check(config: dict) -> None:
    """Refuse settings that are unsafe or impossible, with the fix in the message."""
    if config["ENV"] not in ("development", "production", "testing"):
        raise ValueError(f"GRIDSAFE_ENV must be development, testing or production, not {config['ENV']!r}")
    if config["ENV"] != "development" and config["SECRET_KEY"] == DEFAULT_SECRET_KEY:
        raise RuntimeError("refusing to start: GRIDSAFE_SECRET_KEY is the development default. "
                           "Set GRIDSAFE_SECRET_KEY to a long random value (e.g. `python -c "
                           "'import secrets; print(secrets.token_hex(32))'`).")
