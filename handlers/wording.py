"""The words official documents use for what the records hold as codes: people by name and post (the
system as 系统), event kinds, severities, and a customer's risk grade as a sentence.

Documents are read by customers and government clerks: no login name, internal code, English word or
formula reaches them through this module (tests/test_document_wording.py reads every document back).
"""
from __future__ import annotations

import re

from sqlalchemy import select

from records import people
from records.customers import CLASS_NAMES
from records.dictionary import HazardItem, SEVERITY_NAMES

SYSTEM_NAMES = {"scheduler", "system", "SYSTEM", "seed", "engine", "demo", ""}
EVENT_NAMES = {
    "registered": "建档", "notice_signed": "告知书签收", "notice_refused": "告知书拒签",
    "rectification_started": "开始整改", "overdue": "逾期未整改", "supervised": "送达督导单",
    "escalated_to_leader": "报告主管领导", "assistance_visit": "技术服务", "extension_approved": "延期获批",
    "extension_refused": "延期未获批准", "rectification_reported": "客户报告整改完成", "accepted": "验收合格",
    "acceptance_failed": "验收不合格", "rectification_resumed": "重新整改", "closed": "销号",
    "close_refused": "销号未获批准", "reported": "报告政府主管部门", "cancelled": "撤销",
    "refused_to_rectify": "客户拒不整改", "delivery_overdue": "告知书逾期未送达",
    "rectification_refused": "客户拒不整改", "notice_overdue": "告知书逾期未送达", "order_issued": "签发督导单",
    "report_prepared": "报告文书已生成", "government_reply": "政府主管部门回复", "cancel_requested": "申请撤销",
    "cancel_refused": "撤销申请未获批准",
}


def user_of(session, username: str | None) -> people.StaffName | None:
    return people.staff_named(session, username) if username and username not in SYSTEM_NAMES else None


def user_by_display_name(session, name: str | None) -> people.StaffName | None:
    """The one user with this real name (a name typed on a form), None when none or several."""
    if not name:
        return None
    found = people.staff_with_display_name(session, name.strip())
    return found[0] if len(found) == 1 else None


def person(session, username: str | None, *, post: bool = True) -> str:
    """A member of staff by real name (and post); the scheduler or the engine as 系统. A name typed on a
    form (not a login) is printed as typed."""
    if not username or username in SYSTEM_NAMES:
        return "系统"
    user = people.staff_named(session, username)
    if user is None:
        return username
    return f"{user.display_name}（{user.post}）" if post and user.post else user.display_name


def inspector(session, username: str | None) -> str:
    """An inspector by name with the number of the 用电检查证 when the profile holds one."""
    user = user_of(session, username)
    if user is None:
        return person(session, username)
    return f"{user.display_name}（检查证号：{user.warrant_number}）" if user.warrant_number else user.display_name


def event_name(kind: str) -> str:
    return EVENT_NAMES.get(kind, "处理记录")


# -- the grade's reasons in a sentence ---------------------------------------------------------------

_DECISIVE = re.compile(r"^([ABC]): ([A-Z]{2}\d{2}) (一般|较大|重大) at (\S+)$")
_BY_SCORE = re.compile(r"^([ABC]): S = .*= ([\d.]+)$")
_MODIFIER = re.compile(r"^([A-Z]{2}\d{2}) (.+)$")
_RAISED = re.compile(r"(一般|较大|重大)→(一般|较大|重大)（([^）]+)）")


def item_names(session, codes) -> dict[str, str]:
    """The newest Chinese name of each dictionary code."""
    rows = session.execute(select(HazardItem.code, HazardItem.name_zh, HazardItem.version)
                           .where(HazardItem.code.in_(set(codes))).order_by(HazardItem.version)).all()
    return {code: name for code, name, _version in rows}


def grade_reasons(session, customer, drivers: list[str] | None, names: dict[str, str] | None = None) -> str:
    """The stored drivers of a grade as one sentence, e.g. "一级客户存在1项重大隐患（IL01 自备电源…）已逾期".
    The score formula is left out (the detail view shows it to specialists). `names` (item_names of the
    codes) saves the query when a page words many grades."""
    decisive, by_score, notes = [], None, {}
    for line in drivers or []:
        if m := _DECISIVE.match(line):
            decisive.append((m.group(2), m.group(3), m.group(4)))
        elif m := _BY_SCORE.match(line):
            by_score, grade_of = m.group(2), m.group(1)
        elif (m := _MODIFIER.match(line)) and not line.startswith("S ="):
            notes.setdefault(m.group(1), []).append(m.group(2))
        elif not re.search(r"[A-Za-z=×]", line):
            notes.setdefault("", []).append(line)          # already words: printed as they are
    codes = [c for c, _s, _k in decisive] + list(notes)
    names = item_names(session, codes) if names is None else names
    klass = CLASS_NAMES.get(customer.importance or "", "") if customer is not None else ""
    klass = (decisive[0][2] if decisive else klass) or "高危"
    parts = []
    if decisive:
        severity = decisive[0][1]
        listed = "、".join(f"{c} {names.get(c, '')}".strip() for c, _s, _k in decisive)
        overdue = sum(1 for c, _s, _k in decisive if any("逾期" in n for n in notes.get(c, [])))
        tail = "已逾期" if overdue == len(decisive) else (f"，其中{overdue}项已逾期" if overdue else "")
        parts.append(f"{klass}客户存在{len(decisive)}项{severity}隐患（{listed}）{tail}")
    elif by_score:
        parts.append(f"{klass}客户存在多项未销号隐患，累计风险达到{grade_of}级")
    for code, words in notes.items():
        for note in words:
            if not code:
                parts.append(note)
            elif m := _RAISED.search(note):
                parts.append(f"{code} {names.get(code, '')}因{m.group(3)}由{m.group(1)}隐患升为{m.group(2)}隐患")
            elif "逾期" in note and not any(code == c for c, _s, _k in decisive):
                parts.append(f"{code} {names.get(code, '')}已逾期")
    return "；".join(parts)


_MATRIX_LINE = re.compile(r"^([ABC]): ([A-Z]{2}\d{2}) (\S+) at (\S+)$")
_SCORE_LINE = re.compile(r"^([ABC]): (S = .*)$")


def calculation(drivers: list[str] | None) -> list[str]:
    """A grade's working for specialists, in Chinese: the table's rule that decided and the score formula
    ("矩阵：IL01 重大隐患在一级客户 → A级", "分值：S = 1.2 × (20) = 24 → A级")."""
    lines = []
    for line in drivers or []:
        if m := _MATRIX_LINE.match(line):
            lines.append(f"矩阵：{m.group(2)} {m.group(3)}隐患在{m.group(4)}客户 → {m.group(1)}级")
        elif m := _SCORE_LINE.match(line):
            lines.append(f"分值：{m.group(2)} → {m.group(1)}级")
        else:
            lines.append(line)
    return lines


def severity_name(severity: str | None) -> str:
    return SEVERITY_NAMES.get(severity or "", "—")
