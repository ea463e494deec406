"""A period of several months (a quarter, the year to date) counted from its closed months' snapshots and
the rest of it computed: records.kpi.hazard_counts answers such a period through here, with the counts
the computation from the records gives (tests/test_indicator_snapshots.py compares both). Queries only.

The period P is split into its closed months m1..mk (a run of whole months from P's first day, each with
a snapshot of P's settings; the first of them may be a run of months kept as one, records/snapshots.py:
the year to date is then one run and its rest) and the rest R, from the end of mk to P's as_of (empty for
a period that has ended and been closed). Per set:
- A set whose hazards each belong to one month (discovered, filed, notified in time, 重大 discovered and
  reported in time: the month of discovery; closed, closed on time: of the close-out; notified, signed:
  of the notice): the months' counts, plus R's counted over the hazards discovered (closed, notified) in
  R, plus the hazards that were pending in a month (in the set's base and not in the set at the month's
  end, and able to join it later: records.snapshot_counts.pending) counted as of P's end. A hazard in
  such a set at its month's end stays in it.
- Open at P's start: the first month's count. to_eliminate = open at the start + discovered; unfiled =
  discovered − filed; discovered_closed = discovered − those of them still open at P's end.
- Open, monitored, unmonitored and overdue at P's end: P's state at its end, counted over the hazards
  open then.
- The sets of events in the period (went overdue, acceptance due, reported): the hazards with such an
  event in a closed month or in R. Supervised (accepted) in time: those of them without a late event,
  which is an event a month kept as late (its days up and unanswered at the month's end: for good), or
  one whose days were not up at its month's end, or in R, found late as of P's end. The months' counts,
  but for the few hazards a month cannot decide alone (an event in two months is one hazard of P; one
  undecided at its month's end; one with an event in R), which are taken off their months and counted
  over P (_events).
- A hazard cancelled after its month closed and before P's end is in that month's counts and in none of
  P's: its counts in each such month are computed again and taken off.
The inspection sets the same way (compose_inspections): the months' counts and R's, less an inspection
cancelled after its month closed.
"""
from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable

from sqlalchemy import not_, select, true, union_all

from . import snapshots
from .hazards import Hazard, HazardEvent
from .inspections import Inspection
from .kpi_conditions import (ANSWERED, days_up, event_hazards, in_ids, inspections_concerned, unanswered,
                             unindexed)
from .kpi_scope import Scope, local_midnight, next_month

PARTITION = {"discovered": ("discovered", "filed", "notified_in_time", "major_discovered", "major_reported"),
             "closed": ("closed", "closed_on_time"), "notified": ("notified", "signed")}
FAMILY = {name: family for family, names in PARTITION.items() for name in names}
COLUMN = {"discovered": Hazard.opened_at, "closed": Hazard.closed_at, "notified": Hazard.notified_at}
PENDING = ("filed", "signed", "notified_in_time", "major_reported")
# pending sets that look up their hazards' working days in a query of their own (records.kpi_conditions):
# over P that query reads every hazard discovered in P, over the pending hazards a few hundred
OWN_LOOKUPS = ("notified_in_time", "major_reported")
AT_END = ("open_at_end", "monitored", "unmonitored", "overdue_at_end")
FIRST = ("open_at_start",)
DERIVED = {"unfiled": ("discovered", "filed"), "to_eliminate": ("open_at_start", "discovered"),
           "discovered_closed": ("discovered",)}
EVENTS = {"went_overdue": ("overdue", "supervised_in_time"),        # a set of hazards with an event in P: its
          "acceptance_due": ("rectification_reported", "accepted_in_time"),   # kind, and its in-time set
          "reported": ("reported", None)}
IN_TIME = {in_time: base for base, (_kind, in_time) in EVENTS.items() if in_time}
LATE, OPEN = ":late", ":open"            # the pending names of an in-time set's late and undecided hazards
RECOUNT = ":recount"                     # of an event's set: its hazards a longer period counts again (_events)
STILL_OPEN = "discovered_still_open"     # discovered in P and open at its end (not a set of records.kpi)
OPEN_INSPECTIONS = "inspection_open"      # a month's inspections due in it and open at its close (their ids)

# live(scope, names, where, each, concern, open_now): {group key: {name: count}} of the named sets over the
# scope's hazards (its filters, those it or `concern` concerns; concern=False: `where` says which) that meet
# `where`; each[name](a function that builds the set's condition) gives the condition counted instead;
# open_now: `where` is of the hazards still open (a way to read them); where None: as records.kpi computes
# the scope
Live = Callable[..., dict]


@dataclass(frozen=True)
class Plan:
    scopes: list[Scope]           # P's closed months, each read as of its end, with P's filters and settings

    @property
    def months(self) -> list[str]:
        """The key of each ('YYYY-MM', or a run's 'YYYY-MM~YYYY-MM'), as the snapshots name them."""
        return [snapshots.period_key(m.first_day, m.last_day) for m in self.scopes]

    @property
    def rest(self) -> datetime:
        """The end of the last: P's rest runs from here to its as_of."""
        return self.scopes[-1].end

    def rest_of(self, scope: Scope) -> Scope:
        """P's rest R as a period of its own, with P's filters and as_of."""
        return dataclasses.replace(scope, first_day=self.scopes[-1].last_day + timedelta(days=1), start=self.rest,
                                   cache={})


def plan(session, scope: Scope) -> Plan | None:
    """The closed months P is read from, or None (compute P from the records): P starts on a month's first
    day, is longer than a month, and its first month is closed with P's settings. Asked once per scope (its
    hazards' and its inspections' counts read the same months)."""
    if "plan" not in scope.cache:
        scope.cache["plan"] = _plan(session, scope)
    return scope.cache["plan"]


def _plan(session, scope: Scope) -> Plan | None:
    if scope.first_day.day != 1 or scope.future:
        return None
    candidates = []
    first = scope.first_day
    while True:
        following = next_month(first)
        end = local_midnight(following, scope.zone)
        if following - timedelta(days=1) > scope.last_day or end > scope.as_of:
            break
        candidates.append(dataclasses.replace(scope, first_day=first, last_day=following - timedelta(days=1),
                                              start=local_midnight(first, scope.zone), end=end, as_of=end,
                                              live=False, cache={}))
        first = following
    if not candidates or (len(candidates) == 1 and candidates[0].end >= scope.end):
        return None                   # nothing closed in it, or P is one month (read from its snapshot)
    key, names = snapshots.settings_key(scope), Plan(candidates).months
    runs = [snapshots.period_key(candidates[0].first_day, c.last_day) for c in candidates]
    kept = dict(session.execute(select(snapshots.IndicatorMonth.month, snapshots.IndicatorMonth.settings).where(
        snapshots.IndicatorMonth.month.in_(names + runs[1:]))).all())
    chosen, index = [], 0
    for last in range(len(candidates) - 1, 0, -1):       # the longest run of P's first months kept as one
        if kept.get(runs[last]) == key:
            run = candidates[last]
            chosen = [dataclasses.replace(candidates[0], last_day=run.last_day, end=run.end, as_of=run.as_of)]
            index = last + 1
            break
    while index < len(names) and kept.get(names[index]) == key:
        chosen.append(candidates[index])
        index += 1
    return Plan(chosen) if chosen else None


def compose(session, scope: Scope, names, group, chosen: Plan, live: Live, recount: Callable[..., dict]) -> dict:
    """{group key: {set name: count}} of P, as records.kpi.hazard_counts answers. recount(part, base, late,
    ids): what P's months counted of an event's sets over the hazards `ids` (records.kpi.kept_counts)."""
    names = list(names)
    wanted = set(names)
    for name in names:
        wanted |= set(DERIVED.get(name, ()))
    out: dict = {}
    add = functools.partial(_add, out)
    summed = sorted(n for n in wanted if n in FAMILY)
    first = [n for n in FIRST if n in wanted]
    events = {base: [n for n in (base, in_time) if n and n in wanted] for base, (_kind, in_time) in EVENTS.items()}
    kept = sorted({*summed, *first, *(n for part in events.values() for n in part)})
    per_month = snapshots.counts_per_month(session, scope, chosen.months, snapshots.HAZARD, kept, group) \
        if kept else {}                  # what the months counted, read once: each part below sums its own

    def months_counted(names: list, months: list) -> None:
        for month in months if names else ():     # none asked (e.g. sets of P's end only): none read
            add({key: {n: values[n] for n in names} for key, values in per_month[month].items()})
    months_counted(summed, chosen.months)
    months_counted(first, chosen.months[:1])
    cancelled = session.execute(select(Hazard.id, Hazard.opened_at, Hazard.notified_at, Hazard.closed_at,
                                       Hazard.cancelled_at).where(Hazard.cancelled_at >= chosen.scopes[0].end,
                                                                  Hazard.cancelled_at < scope.as_of)).all()
    _take_off_cancelled(chosen, cancelled, summed, first, live, add)
    if chosen.rest < scope.as_of:
        rest = chosen.rest_of(scope)     # its sets' lookups (e.g. notices in time) over R's hazards alone
        for family, members in PARTITION.items():
            part = [n for n in members if n in wanted]
            if part:
                column = COLUMN[family]
                add(live(rest, part, [column >= chosen.rest, column < scope.as_of], concern=scope))
    pending = [n for n in PENDING if n in wanted and n not in OWN_LOOKUPS]
    if pending:                          # one pass over the pending hazards, each set over its own
        ids = {n: snapshots.pending(chosen.months, n) for n in pending}
        add(live(scope, pending, [Hazard.id.in_(union_all(*ids.values()))],
                 {n: (lambda kept: lambda own: Hazard.id.in_(kept) & own())(ids[n]) for n in pending}))
    for name in (n for n in OWN_LOOKUPS if n in wanted):       # a pass of its own, the scope narrowed to them
        ids = tuple(session.scalars(snapshots.pending(chosen.months, name)))
        if ids:
            add(live(dataclasses.replace(scope, hazard_ids=ids, cache={}), [name], []))
    for base, (kind, in_time) in EVENTS.items():
        part = events[base]
        if part:
            months_counted(part, chosen.months)
            _events(session, scope, chosen, base, kind, in_time, part, group, live, recount, add,
                    {c.id for c in cancelled})
    at_end = [n for n in AT_END if n in wanted] + (["discovered"] if "discovered_closed" in wanted else [])
    if at_end:
        # open at P's end: still open, or closed since. Two passes, one range of the state index each (as
        # an OR, PostgreSQL reads the table's pages of the 36,500 open hazards: 46 -> 11 ms at 200,000
        # hazards); and as each of these sets is of hazards open at the end, not the loose "concerned"
        # condition, which would be an OR again
        for open_now, still_open in ((True, Hazard.closed_at.is_(None)), (False, Hazard.closed_at >= scope.as_of)):
            add(live(scope, at_end, [still_open, Hazard.opened_at < scope.as_of], concern=False, open_now=open_now),
                rename={"discovered": STILL_OPEN})
    other = [n for n in names if n not in FAMILY and n not in AT_END and n not in FIRST and n not in DERIVED
             and n not in EVENTS and n not in IN_TIME]
    if other:                            # a set this module does not know: computed
        add(live(scope, other, None))
    for values in out.values():
        discovered = values.get("discovered", 0)
        values["unfiled"] = discovered - values.get("filed", 0)
        values["to_eliminate"] = values.get("open_at_start", 0) + discovered
        values["discovered_closed"] = discovered - values.get(STILL_OPEN, 0)
    answer = {key: {n: values.get(n, 0) for n in names} for key, values in out.items()}
    if group is None and None not in answer:
        answer[None] = dict.fromkeys(names, 0)
    return answer


def compose_inspections(session, scope: Scope, names, group, chosen: Plan, live: Callable[..., dict]) -> dict:
    """{group key: {set name: count}} of P's inspection sets. Each inspection of a set belongs to one month
    (of its due date; completed: of its completion), and its membership is decided at that month's end (done
    by its due date or not), so P's counts are its closed months' counts and its rest's computed
    (live(scope, where)), less what a month counted of the inspections cancelled since it closed (a customer
    taken off the plan: its planned visits, late ones too, are cancelled; each month keeps the ids of those
    open at its end, OPEN_INSPECTIONS). live(scope, where, cancelled=True) counts the cancelled too."""
    out: dict = {}
    add = functools.partial(_add, out)
    add(snapshots.counts(session, scope, chosen.months, snapshots.INSPECTION, names, group))
    rest = chosen.rest_of(scope)
    if rest.first_day <= scope.last_day:
        add(live(rest, inspections_concerned(rest)))
    cancelled = session.execute(
        select(snapshots.IndicatorPending.month, snapshots.IndicatorPending.hazard_id)
        .join(Inspection, Inspection.id == snapshots.IndicatorPending.hazard_id)
        .where(snapshots.IndicatorPending.month.in_(chosen.months), snapshots.IndicatorPending.name == OPEN_INSPECTIONS,
               Inspection.status == "cancelled")).all()       # few, or none
    for month, name in zip(chosen.scopes, chosen.months):
        ids = [i for m, i in cancelled if m == name]
        if ids:
            add(live(month, [Inspection.id.in_(ids)], cancelled=True), sign=-1)
    answer = {key: {n: values.get(n, 0) for n in names} for key, values in out.items()}
    if group is None:
        answer.setdefault(None, dict.fromkeys(names, 0))
    return answer


def _add(out: dict, counts: dict, sign: int = 1, rename: dict | None = None) -> None:
    """Add {group key: {name: count}} into `out` (sign -1: take off), some names renamed."""
    for key, values in counts.items():
        target = out.setdefault(key, {})
        for name, value in values.items():
            name = (rename or {}).get(name, name)
            target[name] = target.get(name, 0) + sign * value


def _take_off_cancelled(chosen: Plan, cancelled: list, summed: list, first: list, live: Live, add) -> None:
    """The counts, in the months they were read from, of the hazards cancelled after their month's end and
    before P's end (few: a cancellation is approved soon after the hazard was raised in error). Each is
    counted again in the months it can count in (of its discovery, notice and close-out, and the first:
    open at P's start), with the month's scope narrowed to these hazards, so that the sets' own lookups
    stay small."""
    if not (summed or first):
        return
    for index, month in enumerate(chosen.scopes):
        def counted(c) -> bool:
            return ((index == 0 and c.opened_at < month.start)
                    or any(t is not None and month.start <= t < month.end
                           for t in (c.opened_at, c.notified_at, c.closed_at)))
        ids = tuple(c.id for c in cancelled if c.cancelled_at >= month.end and counted(c))
        names = summed + (first if index == 0 else [])
        if ids and names:
            add(live(dataclasses.replace(month, hazard_ids=ids, cache={}), names, []), sign=-1)


def _events(session, scope: Scope, chosen: Plan, base: str, kind: str, in_time: str | None, part: list, group,
            live: Live, recount, add, cancelled: set) -> None:
    """The hazards with a `kind` event in P (the set `base`) and those of them answered in time (`in_time`): the
    months' counts (added by the caller), corrected for the few hazards whose months cannot decide them alone
    (`special`): those each month kept as such (RECOUNT: with an event in an earlier month too, as in P each is one
    hazard, or before P, which is harmless; or closed before the month, so not among its hazards but among P's),
    undecided at their month's end (in_time:open), with an event in the rest, or cancelled since their month closed.
    Their counts in the months, where the months kept them (base: the month's ids; in time: not among its late ids),
    are taken off (in one pass: recount), and they are counted over P. Measured at 200,000 hazards, the year to
    date: 3,000 special hazards of 14,500 with an overdue event."""
    kept = snapshots.IndicatorPending
    rows = session.connection()          # plain rows: a few thousand ids, without the ORM's work per row
    marked = rows.execute(select(kept.name, kept.hazard_id).where(
        kept.month.in_(chosen.months), kept.name.in_([base + RECOUNT] + ([in_time + OPEN] if in_time else [])))).all()
    undecided = sorted({i for name, i in marked if name != base + RECOUNT})
    rest = (set(rows.scalars(event_hazards(scope, kind, HazardEvent.at >= chosen.rest)).all())
            if chosen.rest < scope.as_of else set())
    special = {i for _name, i in marked} | rest | cancelled
    if not special:
        return
    in_months = sorted(set(rows.scalars(select(kept.hazard_id).where(       # looked up by hazard
        unindexed(kept.month).in_(chosen.months), kept.name == base, in_ids(kept.hazard_id, sorted(special)))).all()))
    if in_months:
        add(recount(part, base, in_time + LATE if in_time else None, in_months), sign=-1)
    members = rest.union(in_months)
    if members:
        narrowed = dataclasses.replace(scope, hazard_ids=tuple(sorted(members)), cache={})
        each = {base: lambda own: true()}
        if in_time:
            each[in_time] = lambda own: not_(_late(narrowed, chosen, in_time, undecided))
        add(live(narrowed, part, [], each))


def _late(scope: Scope, chosen: Plan, in_time: str, undecided: list):
    """The hazard has a late event in P (see the module's docstring): one the months kept as late, one of
    the `undecided` hazards' (their events looked up by hazard), or one in the rest (its answers looked for
    from the rest's start: PostgreSQL otherwise hashes every answer of P)."""
    rule = ANSWERED[in_time]
    late = [snapshots.pending(chosen.months, in_time + LATE),     # each its own lookup: an OR of them
            unanswered(scope, rule, in_ids(HazardEvent.hazard_id, undecided), days_up(scope, rule))]
    if chosen.rest < scope.as_of:
        rest = chosen.rest_of(scope)
        late.append(unanswered(rest, rule, days_up(rest, rule)))
    return Hazard.id.in_(union_all(*late))
