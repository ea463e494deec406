"""SMS texts: an instruction a team head acts on in one read — whose, what, which file, what to do by when —
within one 70-character segment (a Chinese SMS of up to 70 characters is sent as one message).

Each text is tried in shorter forms until one fits; the customer's name is shortened only as the last
resort. Builds text only: no session, no writes.
"""
from __future__ import annotations

from datetime import date

SEGMENT = 70
COLOURS = {"A": "红色", "B": "黄色", "C": "蓝色"}


def day(d: date) -> str:
    return f"{d.month}月{d.day}日"


def signature(company: str | None) -> str:
    return f"【{company or '供电公司'}】"


def _fit(forms: list, name: str) -> str:
    """The first form (a function of the customer's name) within one segment; else the shortest with the
    name cut to fit."""
    for form in forms:
        text = form(name)
        if len(text) <= SEGMENT:
            return text
    shortest = min(forms, key=lambda f: len(f(name)))
    over = len(shortest(name)) - SEGMENT
    return shortest(name[:max(2, len(name) - over - 1)] + "…")


def _action(first_due: date | None, today: date) -> tuple[str, str]:
    """(long, short) of what to do by when, from the earliest deadline of the open hazards."""
    if first_due is None:
        return "请核实隐患情况。", "请核实。"
    if first_due < today:
        return f"已于{day(first_due)}逾期，请即督办。", f"{day(first_due)}已逾期，请即督办。"
    return f"请督促于{day(first_due)}前整改。", f"请于{day(first_due)}前整改。"


def _hazards(files: list[str]) -> str:
    if not files:
        return "无未销号隐患"
    return f"隐患{files[0]}" + (f"等{len(files)}项" if len(files) > 1 else "")


def risk_raised(company, name: str, grade: str, files: list[str], first_due: date | None, today: date) -> str:
    """A customer's grade went up: the head is to see that its hazards are fixed by the earliest deadline."""
    sig, what = signature(company), _hazards(files)
    long, short = _action(first_due, today)
    return _fit([lambda n: f"{sig}{COLOURS[grade]}预警：{n}升为{grade}级，{what}，{long}",
                 lambda n: f"{sig}{n}风险升为{grade}级，{what}，{long}",
                 lambda n: f"{sig}{n}升为{grade}级，{what}，{short}"], name)


def risk_reminder(company, name: str, grade: str, since: date, files: list[str], first_due: date | None,
                  today: date) -> str:
    """Still at grade A or B: the same instruction, with how long it has lasted."""
    sig, what = signature(company), _hazards(files)
    long, short = _action(first_due, today)
    return _fit([lambda n: f"{sig}{n}自{day(since)}起仍为{grade}级（{COLOURS[grade]}预警），{what}，{long}",
                 lambda n: f"{sig}{n}仍为{grade}级，{what}，{long}",
                 lambda n: f"{sig}{n}仍为{grade}级，{what}，{short}"], name)


def risk_lowered(company, name: str, number: str, old: str, grade: str | None) -> str:
    """Information only: nothing to do."""
    sig, now = signature(company), f"{grade}级" if grade else "无风险等级"
    return _fit([lambda n: f"{sig}{n}（户号{number}）风险等级由{old}级降为{now}，仅告知，无需处理。",
                 lambda n: f"{sig}{n}风险由{old}级降为{now}，仅告知，无需处理。"], name)


def inspection_overdue(company, name: str, number: str, due: date, today: date) -> str:
    """A periodic inspection passed its due date: the head is to have it done today."""
    sig, late = signature(company), (today - due).days
    return _fit([lambda n: f"{sig}{n}周期检查（工作单{number}）应于{day(due)}前完成，已逾期{late}天，请今日安排检查。",
                 lambda n: f"{sig}{n}周期检查{number}应于{day(due)}前完成，请今日安排检查。",
                 lambda n: f"{sig}{n}检查{number}已逾期（{day(due)}），请今日安排。"], name)
