"""Customer risk grading (domain.md §5.2): explainable, rule-first, then a score.

1. The effective severity of each open hazard: the dictionary snapshot's severity for the customer's
   class today (or the inspector's raised one); overdue (past its rectification deadline, counted from
   the notice's delivery and moved only by an approved extension; a 督导单 does not end it) doubles its
   weight; failed supervision (still open past the 督导单 deadline), a refusal to sign or a refusal to
   rectify (拒不整改) raises it one level.
2. The class factor (a temporary class counts only inside its window).
3. S = factor × Σ weight × overdue multiplier, then the decision table bpmn/risk_grade.dmn (matrix
   and thresholds, edited by the process owner) decides the grade.

The grade is stored with its score, its drivers in words, the table's version and the time; a
changed grade goes to handlers/warnings.py. The table is reached through ctx.decide.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import and_, select
from sqlalchemy.orm import lazyload

from records import customers, dictionary, risk
from records.hazards import OPEN, Hazard

from . import warnings
from .context import Context, local_today

DECISION = "risk_grade"
INPUTS = ("worst_severity", "customer_class", "score", "open_hazards", "overdue_hazards")
CLASSES = ("special", "first", "second", "temporary", "high_risk", "none")
FACTORS = {"special": 1.5, "first": 1.2, "second": 1.0, "temporary": 1.2, "high_risk": 1.0, "none": 1.0}
OVERDUE_MULTIPLIER = 2
CLASS_WORDS = {"special": "特级", "first": "一级", "second": "二级", "temporary": "临时性", "high_risk": "高危未定级",
               "none": "未定级"}
SEVERITY_WORDS = dictionary.SEVERITY_NAMES


class GradingError(ValueError):
    """The customer cannot be graded (unknown customer, a table that answers nonsense)."""


@dataclass(frozen=True)
class Facts:
    """What grading needs of one open hazard."""

    code: str
    base: str                          # severity before the supervision rule
    overdue: bool = False              # past its rectification deadline, no approved extension
    supervision_failed: bool = False   # still open past the 督导单 deadline
    refused: bool = False              # the customer refused to sign the notice
    refused_rectify: bool = False      # the customer refused to rectify (拒不整改)


@dataclass(frozen=True)
class Effective:
    facts: Facts
    severity: str
    weight: float


def _rank(severity: str) -> int:
    return dictionary.SEVERITIES.index(severity)


def effective(facts: Facts, multiplier: float = OVERDUE_MULTIPLIER) -> Effective:
    """Step 1: raise one level on failed supervision or refusal (capped at 重大); overdue multiplies the weight."""
    severity = facts.base
    if facts.supervision_failed or facts.refused or facts.refused_rectify:
        severity = dictionary.SEVERITIES[min(_rank(severity) + 1, len(dictionary.SEVERITIES) - 1)]
    weight = dictionary.WEIGHTS[severity] * (multiplier if facts.overdue else 1)
    return Effective(facts, severity, weight)


def customer_class(customer, today: date) -> str:
    """Step 2's class: special/first/second, temporary inside its window, else high_risk or none."""
    klass = customer.effective_class(today)
    if klass:
        return klass
    return "high_risk" if customer.high_risk else "none"


def facts_of(hazard: Hazard, klass: str | None, now: datetime) -> Facts:
    """The facts of a stored hazard for a customer of effective class `klass` (None: not graded).

    The base severity is the one its dictionary snapshot gives at the customer today: by class, raised
    by the snapshot's rules (e.g. NE01 at a mine); a rule added to the item later does not apply."""
    item = hazard.item or {}
    customer = hazard.customer
    base = (dictionary.severity_of(item, klass, industry=customer.industry, high_risk=bool(customer.high_risk))
            if item.get("default_severity") and item.get("top_severity") else None)
    base = base or hazard.severity
    if hazard.severity_reason and _rank(hazard.severity) > _rank(base):
        base = hazard.severity           # the inspector raised it, with a reason
    overdue = hazard.late_at(now)
    # past a 督导单's deadline: recorded when its timer fired, or now, before the timer has run
    failed = overdue and (bool(hazard.supervision_failed) or hazard.supervision_count >= 1 and hazard.overdue_at(now))
    return Facts(hazard.item_code, base, overdue=overdue, supervision_failed=failed,
                 refused=bool(hazard.refused_to_sign), refused_rectify=bool(hazard.refused_to_rectify))


def assess(klass: str, facts: list[Facts], factors: dict | None = None,
           multiplier: float = OVERDUE_MULTIPLIER) -> tuple[dict, list[Effective], str]:
    """(the table's inputs, each hazard's effective severity and weight, the score formula in words)."""
    rows = [effective(f, multiplier) for f in facts]
    factor = float((factors or FACTORS).get(klass, 1.0))
    score = round(factor * sum(r.weight for r in rows), 2)
    worst = max((r.severity for r in rows), key=_rank, default="none")
    inputs = {"worst_severity": worst, "customer_class": klass, "score": score, "open_hazards": len(rows),
              "overdue_hazards": sum(1 for r in rows if r.facts.overdue)}
    terms = " + ".join(f"{r.weight:g}" for r in rows) or "0"
    return inputs, rows, f"S = {factor:g} × ({terms}) = {score:g}"


def drivers(grade: str | None, basis: str, klass: str, rows: list[Effective], formula: str) -> list[str]:
    """The grade in words: what decided it first ("A: IL01 重大 at 一级"), then the score and modifiers."""
    if grade is None:
        return []
    worst = max((r.severity for r in rows), key=_rank, default=None)
    if basis == "score":
        out = [f"{grade}: {formula}"]
    else:
        out = [f"{grade}: {r.facts.code} {SEVERITY_WORDS[r.severity]} at {CLASS_WORDS[klass]}"
               for r in rows if r.severity == worst] or [f"{grade}: {formula}"]
        out.append(formula)
    for r in rows:
        notes = []
        if r.severity != r.facts.base:
            why = ("督导期限已过仍未整改" if r.facts.supervision_failed else
                   "拒不整改" if r.facts.refused_rectify else "拒签")
            notes.append(f"{SEVERITY_WORDS[r.facts.base]}→{SEVERITY_WORDS[r.severity]}（{why}）")
        if r.facts.overdue:
            notes.append(f"逾期×{r.weight / dictionary.WEIGHTS[r.severity]:g}")
        if notes:
            out.append(f"{r.facts.code} " + "，".join(notes))
    return out


def case_inputs(case: dict, factors: dict | None = None, multiplier: float = OVERDUE_MULTIPLIER) -> dict:
    """The table's inputs for a sample case given as a customer class and its hazards (see risk_grade.cases.json).
    Raises ValueError with what is wrong in the case."""
    klass = case.get("customer_class")
    if klass not in CLASSES:
        raise ValueError(f"customer_class must be one of {', '.join(CLASSES)}, not {klass!r}")
    facts = []
    for h in case.get("hazards") or []:
        if h.get("severity") not in dictionary.SEVERITIES:
            raise ValueError(f"hazard {h.get('code', '?')}: severity must be one of {', '.join(dictionary.SEVERITIES)}")
        facts.append(Facts(str(h.get("code", "?")), h["severity"], overdue=bool(h.get("overdue")),
                           supervision_failed=bool(h.get("supervision_failed")), refused=bool(h.get("refused")),
                           refused_rectify=bool(h.get("refused_rectify"))))
    return assess(klass, facts, {**FACTORS, **(factors or {})}, multiplier)[0]


def _factors(ctx: Context) -> dict:
    return {**FACTORS, **(ctx.settings.get("RISK_CLASS_FACTORS") or {})}


def _open_hazards_and_grade(session, customer_id: int) -> tuple[list[Hazard], risk.CustomerGrade | None]:
    """(the customer's open hazards by id, its current grade) in one query: read after the lock, so both
    are what the grading that held it committed. The hazards without their eager joins (customer, branch,
    team and theirs: a row of some 150 columns each): the grading reads their own columns and their customer,
    the one already in the session, which the many-to-one finds there without a query."""
    Customer, Grade = customers.Customer, risk.CustomerGrade
    rows = session.execute(
        select(Hazard, Grade).select_from(Customer)
        .outerjoin(Hazard, and_(Hazard.customer_id == Customer.id, Hazard.status.in_(OPEN)))
        .outerjoin(Grade, and_(Grade.customer_id == Customer.id, Grade.current.is_(True)))
        .where(Customer.id == customer_id).order_by(Hazard.id).options(lazyload("*"))).all()
    hazards = list(dict.fromkeys(h for h, _ in rows if h is not None))
    return hazards, next((g for _, g in rows if g is not None), None)


def grade(ctx: Context, customer_id, reason: str = "event") -> dict:
    """Grade a customer from its open hazards through the decision table; store it; warn on a change."""
    # the customer's row is locked (PostgreSQL): two gradings of one customer never both become current;
    # SQLite has no row locks (its writers take turns), so the statement would only cost a round trip there
    if ctx.session.get_bind().dialect.name != "sqlite":
        ctx.session.execute(select(customers.Customer.id).where(customers.Customer.id == int(customer_id))
                            .with_for_update())
    customer = ctx.session.get(customers.Customer, int(customer_id))
    if customer is None:
        raise GradingError(f"there is no customer {customer_id}")
    if ctx.decide is None:
        raise GradingError("risk grading needs the decision table, and this context cannot evaluate one")
    now, today = ctx.now(), local_today(ctx)
    open_hazards, current = _open_hazards_and_grade(ctx.session, customer.id)
    klass = customer_class(customer, today)
    facts = [facts_of(h, customer.effective_class(today), now) for h in open_hazards]
    inputs, rows, formula = assess(klass, facts, _factors(ctx),
                                   float(ctx.settings.get("RISK_OVERDUE_MULTIPLIER", OVERDUE_MULTIPLIER)))
    outputs, version = ctx.decide(DECISION, inputs)
    value = outputs.get("grade") or None
    if value not in (None, *risk.GRADES):
        raise GradingError(f"the decision table {version} answered grade {value!r}; it must answer A, B, C or None")
    words = drivers(value, outputs.get("basis") or "matrix", klass, rows, formula)
    row, previous = risk.store(ctx.session, customer.id, grade=value, score=inputs["score"], drivers=words,
                               model_version=version, reason=reason, now=now, open_hazards=len(rows),
                               previous=current)
    old = previous.grade if previous else None
    warned = None
    if row is not previous:
        ctx.audit("risk.graded", before={"grade": old, "score": previous.score if previous else None},
                  after={"grade": value, "score": inputs["score"], "drivers": words, "model_version": version,
                         "reason": reason, "customer": customer.number})
        warned = warnings.on_change(ctx, customer, row, old) if old != value else warnings.on_growth(ctx, customer, row)
    return {"grade": value, "score": inputs["score"], "drivers": words, "previous": old, "model_version": version,
            "stored": row is not previous, "changed": old != value, "warning": warned}
