"""Every setting of the service with its default, in one place; GRIDSAFE_<NAME> overrides each.

Read once by create_app. Tests pass a dict instead.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent       # the checkout, or site-packages when installed from a wheel


def _instance() -> Path:
    """Where the SQLite database and the files go by default: GRIDSAFE_INSTANCE_DIR, else instance/ in the
    checkout, else (installed from a wheel) instance/ in the directory the commands are run from."""
    if os.environ.get("GRIDSAFE_INSTANCE_DIR"):
        return Path(os.environ["GRIDSAFE_INSTANCE_DIR"]).resolve()
    return (ROOT if (ROOT / "setup.cfg").exists() else Path.cwd()) / "instance"


INSTANCE = _instance()
# settings handlers never see (the handlers' context and the render worker get the others)
SECRET_SETTINGS = ("SECRET_KEY", "CLOCK", "EXTRA_HANDLERS", "SMTP_PASSWORD", "SMS_PASSWORD", "SMS_TOKEN",
                   "METRICS_TOKEN")
DEFAULT_SECRET_KEY = "dev-only-secret-change-me"
MIN_SECRET_KEY = 32
_NEW_KEY = ("Set GRIDSAFE_SECRET_KEY to a long random value (e.g. `python -c "
            "'import secrets; print(secrets.token_hex(32))'`).")

DEFAULTS: dict = {
    "ENV": "development",                     # development | production
    "SECRET_KEY": DEFAULT_SECRET_KEY,
    "DATABASE_URL": f"sqlite:///{INSTANCE / 'gridsafe.db'}",
    "DATA_DIR": str(INSTANCE / "data"),
    "BPMN_DIR": str(ROOT / "bpmn"),
    "FORMS_DIR": str(ROOT / "forms"),
    "SQLITE_SYNCHRONOUS": "NORMAL",           # NORMAL survives a process crash; FULL a power loss too
    "DB_BUSY_TIMEOUT_MS": 10000,              # SQLite: a write waits this long for the lock, then 503 Retry-After
    "ORPHAN_FILE_HOURS": 24,                  # a stored file no row names is removed once it is this old
    "SNAPSHOT_BACKFILL_MONTHS": 24,           # ended months the scheduler counts back at most (indicator snapshots)
    "HOST": "127.0.0.1",
    "PORT": 8000,
    "WORKERS": 2,
    "REQUEST_TIMEOUT_SECONDS": 120,           # a request still running this long ends its gunicorn worker (logged)
    "PROXY_HOPS": 0,                          # proxies in front that set X-Forwarded-*; 0: trust none of them
    "SCHEDULER_INTERVAL_SECONDS": 30,
    "HAZARD_FILING_REQUEST_SECONDS": 3,       # an inspection's hazard files opened in its request (one transaction each),
                                              # the rest by the scheduler's next tick
    "SCHEDULER_NAME": "",                     # defaults to host:pid
    "SCHEDULER_MAX_LAG_SECONDS": 300,         # /healthz answers 503 ('lagging') beyond this, by the wall clock
    "SCHEDULER_MAX_BACKOFF_SECONDS": 300,     # failed ticks (database down) are retried at most this far apart
    "LOG_FORMAT": "json",                     # json: one JSON object per line; text: for a terminal
    "LOG_LEVEL": "INFO",
    "ENGINE_LOG_LEVEL": "WARNING",            # SpiffWorkflow's loggers (spiff.*): at INFO a line per task state
                                              # change, with the task's data (customers' names and phones)
    "METRICS_TOKEN": "",                      # a Prometheus scraper sends it as a bearer token to /metrics
    "MAX_MODEL_BYTES": 2 * 1024 * 1024,
    "SCRIPT_TIME_LIMIT_SECONDS": 2,           # diagram code (scripts, conditions, DMN cells) per engine call
    "SCRIPT_MEMORY_LIMIT_MB": 256,            # memory of any one snippet of diagram code
    "RUN_SCENARIOS": True,                    # a process's scenarios run before a changed version deploys
    "MAX_UPLOAD_BYTES": 10 * 1024 * 1024,     # one photo or signature
    "MAX_REQUEST_BYTES": 64 * 1024 * 1024,    # a whole form submission with its photos
    "MAX_IMPORT_ROWS": 20000,                 # data rows of one customer register import
    "LOGIN_RATE_LIMIT": "10 per minute",      # sign-in attempts on one account, right or wrong, all workers
    "LOGIN_ADDRESS_RATE_LIMIT": "30 per minute",   # ... from one address (an office behind one NAT: higher)
    "SESSION_HOURS": 12,                      # a sign-in lasts this long ...
    "REMEMBER_DAYS": 14,                      # ... or this long with "stay signed in on this device"
    "DEFAULT_LOCALE": "zh_CN",
    "COMPANY_NAME": "国网吉安供电公司",       # printed on every official document
    "CONTACT_NAME": "营销部用电检查班",
    "CONTACT_PHONE": "0796-8888000",
    "SECTION_LEADER": "营销部主任",
    "LETTER_NUMBER_PATTERN": "吉供营销〔{year}〕{n}号",   # letters to the government and the superior unit
    "NOTICE_NUMBER_PATTERN": "{file}-GZ",     # 隐患告知书: {file} file number, {n} per year, {year}
    "SUPERVISION_NUMBER_PATTERN": "{file}-DD{count}",   # 督导单: also {count}, the file's n-th order
    "ACCEPTANCE_NUMBER_PATTERN": "{file}-YS",  # 验收及销号记录
    "LETTER_SIGNER": "",                      # 签发人 of the letters; empty: the company's leader by name
    "SUPERVISION_DAYS": 7,                    # the short deadline a supervision order (督导单) sets
    "NOTICE_DELIVERY_DAYS": 1,                # working days to deliver a hazard notice (an item's rule may say otherwise)
    "PLAN_LEAD_DAYS": 15,                     # periodic inspections are created this many days before due
    "PLAN_START": "",                         # go-live date (ISO); empty: the day a customer was registered
    "ASSURANCE_VISIT_DAYS": [15, 7],          # a temporary customer's visit before its assurance period: the window
                                              # from/to (days before the period starts, JSON)
    "ASSURANCE_EVE_DAYS": [2, 1],             # ... and again just before the event (days before, JSON)
    "AUTHORITIES": {"power": "吉安市发展和改革委员会（电力主管部门）", "safety": "吉安市应急管理局",
                    "regulator": "国家能源局华中监管局"},   # who receives government reports (JSON)
    "TIMEZONE": "Asia/Shanghai",
    "CANCEL_APPROVERS": ["leader"],                   # JSON list of roles that approve cancelling a hazard
                                                      # (e.g. ["leader", "specialist"]: never the one who asked)
    "PRESENCE_MAX_DISTANCE_M": 500,           # a visit's positions farther from the customer: to verify
    "PRESENCE_MAX_CLOCK_SKEW_S": 300,         # the device's clock off the server's by more: to verify
    # risk grading (domain.md §5.2; the matrix and thresholds are in bpmn/risk_grade.dmn) and its warnings
    "RISK_CLASS_FACTORS": {"special": 1.5, "first": 1.2, "second": 1.0, "temporary": 1.2, "high_risk": 1.0,
                           "none": 1.0},               # JSON; temporary counts only inside its window
    "RISK_OVERDUE_MULTIPLIER": 2,
    "RISK_REMINDER_DAYS": {"A": 7, "B": 14},          # JSON: reminders while a customer stays in a grade
    "SUPERIOR_UNIT": "国网江西省电力有限公司",          # receives the grade-A report with the AUTHORITIES
    "PUBLIC_URL": "",                                 # e.g. https://gridsafe.example.cn, for links in e-mails
    # notification channels (the outbox is delivered by the scheduler, with retries and backoff)
    "SMTP_HOST": "",                                  # empty: e-mail is not configured (messages wait, visibly)
    "SMTP_PORT": 25,
    "SMTP_USER": "",
    "SMTP_PASSWORD": "",
    "SMTP_FROM": "gridsafe@localhost",
    "SMTP_STARTTLS": False,
    "SMTP_SSL": False,
    "SMS_URL": "",                                    # the SMS gateway: JSON POST {id, mobile, text}
    "SMS_USER": "",                                   # HTTP basic credentials, if the gateway wants them
    "SMS_PASSWORD": "",
    "SMS_TOKEN": "",                                  # or a bearer token
    "DELIVERY_TIMEOUT_SECONDS": 10,
    "OUTBOX_RETRY_BASE_SECONDS": 60,                  # first retry after 1 min, then 2, 4, 8 ... min
    "OUTBOX_RETRY_MAX_SECONDS": 3600,                 # ... at most an hour apart
    "OUTBOX_MAX_ATTEMPTS": 48,                        # then failed until an administrator retries (0: never)
    "OUTBOX_BATCH": 200,                              # messages sent per scheduler tick
    "DOCUMENTS_RENDER": "",                   # background | after_commit | worker_only | inline (services.rendering);
                                              # empty: after_commit when ENV is testing, else background
    "RENDER_RETRY_BASE_SECONDS": 5,           # a failed render is tried again after 5 s, then 10, 20 ... (a
                                              # delivery waits for its document: a database outage must not
                                              # hold it for minutes)
    "RENDER_RETRY_MAX_SECONDS": 3600,         # ... at most an hour apart
    "RENDER_MAX_ATTEMPTS": 8,                 # then failed until an administrator retries (0: never)
    "RENDER_LEASE_SECONDS": 30,               # a claimed render not finished this long after is taken over
                                              # (a render takes about a second; a late one is refused at store)
    "RENDER_BATCH": 50,                       # documents rendered per sweep
    # indicators and team assessment (domain.md §8)
    "KPI_SUPERVISION_DAYS": 3,                        # an overdue hazard's 督导单 is delivered within this
    "KPI_ACCEPTANCE_DAYS": 5,                         # a reported rectification is checked on site within this
    "WORKDAY_CALENDAR": "chinese_calendar",           # the State Council's holidays and 调休 (package); or weekends
    "HOLIDAYS": [],                                   # JSON list of public holidays: "2026-10-01..2026-10-08", ...
    "MAKEUP_WORKDAYS": [],                            # JSON list of weekend days worked in exchange (调休上班)
    "ASSESSMENT_PERIOD": "month",                     # month | quarter: the scheduler starts an assessment after each
    "ASSESSMENT_WEIGHTS": {"inspections_on_time": 25, "monitoring": 20, "hazards_found": 10, "dossier": 15,
                           "notice": 10, "supervision": 10, "acceptance": 10},   # JSON; must add up to 100
}


def _coerce(name: str, raw: str, default):
    if isinstance(default, dict):
        try:
            value = json.loads(raw)
        except ValueError:
            raise ValueError(f"GRIDSAFE_{name} must be a JSON object") from None
        if not isinstance(value, dict):
            raise ValueError(f"GRIDSAFE_{name} must be a JSON object")
        return value
    if isinstance(default, list):
        try:
            value = json.loads(raw)
        except ValueError:
            raise ValueError(f"GRIDSAFE_{name} must be a JSON list, e.g. [\"2026-10-01..2026-10-08\"]") from None
        if not isinstance(value, list):
            raise ValueError(f"GRIDSAFE_{name} must be a JSON list, e.g. [\"2026-10-01..2026-10-08\"]")
        return value
    if isinstance(default, bool):
        return raw.strip().lower() in ("1", "true", "yes", "on")
    if isinstance(default, int):
        try:
            return int(raw)
        except ValueError:
            raise ValueError(f"GRIDSAFE_{name} must be a whole number, not {raw!r}") from None
    return raw


LOG_LEVELS = ("LOG_LEVEL", "ENGINE_LOG_LEVEL")


def load(overrides: dict | None = None, environ=os.environ) -> dict:
    """DEFAULTS, then GRIDSAFE_* variables, then the overrides (tests)."""
    config = dict(DEFAULTS)
    for name, default in DEFAULTS.items():
        raw = environ.get(f"GRIDSAFE_{name}")
        if raw is not None and raw != "":
            config[name] = _coerce(name, raw, default)
    config.update(overrides or {})
    for name in LOG_LEVELS:
        if isinstance(config.get(name), str):
            config[name] = config[name].strip().upper()         # logging knows the names in capitals only
    if not config.get("DOCUMENTS_RENDER"):
        config["DOCUMENTS_RENDER"] = "after_commit" if config["ENV"] == "testing" else "background"
    check(config)
    return config


def check(config: dict) -> None:
    """Refuse settings that are unsafe or impossible, with the fix in the message."""
    if config["ENV"] not in ("development", "production", "testing"):
        raise ValueError(f"GRIDSAFE_ENV must be development, testing or production, not {config['ENV']!r}")
    if config["ENV"] != "development" and config["SECRET_KEY"] == DEFAULT_SECRET_KEY:
        raise RuntimeError("refusing to start: GRIDSAFE_SECRET_KEY is the development default. " + _NEW_KEY)
    key = str(config["SECRET_KEY"])
    if config["ENV"] == "production" and (len(key) < MIN_SECRET_KEY or len(set(key)) < 10):
        raise RuntimeError(f"refusing to start: GRIDSAFE_SECRET_KEY must be at least {MIN_SECRET_KEY} characters "
                           "of random text in production. " + _NEW_KEY)
    _check_assessment(config)
    for name in LOG_LEVELS:
        if config.get(name) not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
            raise ValueError(f"GRIDSAFE_{name} must be DEBUG, INFO, WARNING, ERROR or CRITICAL, "
                             f"not {config.get(name)!r}")
    if config.get("DOCUMENTS_RENDER") not in ("background", "after_commit", "worker_only", "inline"):
        raise ValueError("GRIDSAFE_DOCUMENTS_RENDER must be background, after_commit, worker_only or inline, "
                         f"not {config.get('DOCUMENTS_RENDER')!r}")
    _check_letter_pattern(config.get("LETTER_NUMBER_PATTERN") or "{n}")
    from handlers import numbers
    for setting, default in numbers.PATTERNS.values():
        problem = numbers.pattern_problem(setting, config.get(setting) or default)
        if problem:
            raise ValueError(problem)
    from records import workdays
    workdays.from_settings(config)                    # malformed holidays: refuse to start, say which entry
    for name in ("ASSURANCE_VISIT_DAYS", "ASSURANCE_EVE_DAYS"):
        window = config.get(name)
        if not (isinstance(window, list) and len(window) == 2 and all(type(d) is int for d in window)
                and 60 >= window[0] >= window[1] >= 0):
            raise ValueError(f"GRIDSAFE_{name} must be a JSON list of two whole numbers of days before the "
                             f"assurance period, the earlier first (e.g. [15, 7]), not {window!r}")
    hops = config.get("PROXY_HOPS")
    if isinstance(hops, bool) or not isinstance(hops, int) or not 0 <= hops <= 5:
        raise ValueError(f"GRIDSAFE_PROXY_HOPS must be the number of proxies in front (0 to 5), not {hops!r}")
    days = config.get("NOTICE_DELIVERY_DAYS")
    if isinstance(days, bool) or not isinstance(days, int) or not 0 <= days <= 10:
        raise ValueError(f"GRIDSAFE_NOTICE_DELIVERY_DAYS must be a whole number of working days from 0 to 10, "
                         f"not {days!r}")


def _check_letter_pattern(pattern: str) -> None:
    try:
        if "{n}" not in pattern or pattern.format(year=2026, n=1) == pattern.format(year=2026, n=2):
            raise ValueError
    except (KeyError, IndexError, ValueError):
        raise ValueError("GRIDSAFE_LETTER_NUMBER_PATTERN must hold {n} (the number) and may hold {year}, "
                         "e.g. 吉供营销〔{year}〕{n}号") from None


def _check_assessment(config: dict) -> None:
    from handlers.assessment import weights_problem
    if config.get("ASSESSMENT_PERIOD", "month") not in ("month", "quarter"):
        raise ValueError(f"GRIDSAFE_ASSESSMENT_PERIOD must be month or quarter, not {config['ASSESSMENT_PERIOD']!r}")
    problem = weights_problem(config.get("ASSESSMENT_WEIGHTS"))
    if problem:
        raise ValueError(f"GRIDSAFE_{problem}")
    for name in ("KPI_SUPERVISION_DAYS", "KPI_ACCEPTANCE_DAYS"):
        if not isinstance(config.get(name), int) or config[name] < 0:
            raise ValueError(f"GRIDSAFE_{name} must be a whole number of days, at least 0")
