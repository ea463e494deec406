"""Numbers of the records handed to a customer (告知书, 督导单, 验收及销号记录) in the company's configured form.

A pattern holds {file} (the hazard's file number), {n} (the next number of that kind of record this year,
without gaps), {year}, and for the supervision order {count} (which order of the file it is). The defaults
keep the file number in the record's number: YH-JA-JZ-2026-00001-GZ. A record rendered again (a new
version, a delivered order) keeps the number it was given first. Owns no transaction.
"""
from __future__ import annotations

from sqlalchemy import select

from records import hazards
from records.documents import Document

from .context import local_today

PATTERNS = {     # kind of document -> (setting, default)
    "hazard_notice": ("NOTICE_NUMBER_PATTERN", "{file}-GZ"),
    "supervision_order": ("SUPERVISION_NUMBER_PATTERN", "{file}-DD{count}"),
    "acceptance_record": ("ACCEPTANCE_NUMBER_PATTERN", "{file}-YS"),
}
EXAMPLES = {"hazard_notice": "吉供营销告〔{year}〕{n}号", "supervision_order": "吉供营销督〔{year}〕{n}号",
            "acceptance_record": "{file}-YS"}


def pattern_problem(setting: str, pattern) -> str | None:
    """Why a pattern cannot number records (None when it can): it must tell two records apart."""
    try:
        one = str(pattern).format(file="F1", n=1, year=2026, count=1)
        other = str(pattern).format(file="F2", n=2, year=2026, count=2)
    except (KeyError, IndexError, ValueError, AttributeError):
        one = other = None
    if one is None or one == other or ("{file}" not in str(pattern) and "{n}" not in str(pattern)):
        return (f"GRIDSAFE_{setting} must hold {{file}} (the hazard's file number) or {{n}} (numbered per year), "
                f"and may hold {{year}} and {{count}}, e.g. 吉供营销告〔{{year}}〕{{n}}号, not {pattern!r}")
    return None


def _given(ctx, hazard, kind: str) -> list[str]:
    """The numbers the file's records of this kind were given, first one first."""
    seen: list[str] = []
    for number in ctx.session.scalars(select(Document.number).where(Document.hazard_id == hazard.id,
                                                                     Document.kind == kind)
                                      .order_by(Document.created_at, Document.id)):
        if number not in seen:
            seen.append(number)
    return seen


def record_number(ctx, hazard, kind: str, count: int = 1) -> str:
    """The number of the file's record of this kind (its count-th for orders): the one given before, else
    a new one in the configured pattern."""
    given = _given(ctx, hazard, kind)
    if len(given) >= count:
        return given[count - 1]
    setting, default = PATTERNS[kind]
    pattern = ctx.settings.get(setting) or default
    year = local_today(ctx).year
    n = int(hazards.next_number(ctx.session, "DOC", kind, year).rsplit("-", 1)[1]) if "{n}" in pattern else 0
    return pattern.format(file=hazard.file_number, n=n, year=year, count=count)


def notice_number(ctx, hazard) -> str:
    """The number of the file's notice as printed on it (for the orders that refer to it)."""
    given = _given(ctx, hazard, "hazard_notice")
    if given:
        return given[0]
    setting, default = PATTERNS["hazard_notice"]
    pattern = ctx.settings.get(setting) or default
    return pattern.format(file=hazard.file_number, n="", year=local_today(ctx).year, count=1) \
        if "{n}" not in pattern else hazard.file_number
