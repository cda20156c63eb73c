"""Fixes for a late or impossible plan, each checked by planning the changed plan.

A fix is an RFC 6902 JSON Patch against the plan file's data (FORMAT.md section 6,
`suggestions`): move a leave out of the way, add one person of a role for the weeks that
lack one, move a one-off activity's go-live, or leave out an occurrence (`except`) or a
one-off activity that cannot be prepared; for an impossible plan also cancel a leave of
its conflict, leave out every occurrence of a series whose strict step cannot be met, or
work the days off before a strict due (`calendar.open`). Candidates come from the schedule's own
findings (who was on leave when a late chain waited for them, which role was taken,
which activities cannot be prepared); each is applied, loaded and solved exactly as
`plan` would solve it, so its `late_days` and `status` are what planning the patched plan
gives. Only fixes that leave fewer late days (or make an impossible plan possible) are
kept: the best of each kind, ranked by late days left, then by the size of the change.
At most two candidates of each kind are solved (those addressing the most late days), so
a plan's fixes cost a bounded number of solves. The checks run in rounds through an
executor (scheduler/executors.py): the first candidate of every kind at once, then the
second of each kind whose first did not already leave no late days. An executor that runs
several calls at once (other cores, a cluster) gets every round in one batch, and the
second tries the rounds would skip are ignored: what is kept is the same whether they ran
here one after the other, on this machine's cores or on a cluster.
"""

from __future__ import annotations

import copy
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import jsonpatch

from scheduler.core.bounds import earliest_ends
from scheduler.errors import BadInput
from scheduler.executors import IN_PROCESS, Executor, width_of
from scheduler.plan.loading import load_plan_data, read_plan_file
from scheduler.plan.model import LocalText, Plan
from scheduler.planning.adapter import Compiled
from scheduler.planning.chains import PEOPLE, critical_chain
from scheduler.planning.explain import span, unprepared_activities
from scheduler.planning.subsolve import Outcome, SubSolve
from scheduler.schedule import Schedule

MAX_SUGGESTIONS = 5
TRIES_PER_KIND = 2  # candidates solved per kind: each is one more solve of the plan
MAX_OPEN_DAYS = 10  # days off a fix asks the team to work, at most
FAR = 400  # days: a leave this far before or after the plan is irrelevant to it


@dataclass(frozen=True)
class Candidate:
    """A change to try: its kind, words and patch."""

    kind: str  # leave, staff, move, except, drop
    words: LocalText  # what it changes, in each language
    patch: list[dict[str, Any]]
    size: int  # how big a change it is (days moved, people added), for ranking
    weight: int = 0  # the late days it addresses: the most promising are tried first

    @property
    def text(self) -> str:
        """Its words in both languages, as schedule.json's `text` holds them."""
        return both(self.words)


def both(words: LocalText) -> str:
    """A fix's words as schedule.json's `text` (FORMAT.md section 6): Chinese / English."""
    return f"{words.zh} / {words.en}"


@dataclass(frozen=True)
class Suggestion:
    """A checked fix: the patch, and the late days the patched plan really gets."""

    words: LocalText
    patch: list[dict[str, Any]]
    late_days: int
    status: str

    @property
    def text(self) -> str:
        """Its words in both languages (schedule.json's `text`)."""
        return both(self.words)

    def to_json(self) -> dict[str, Any]:
        """The object stored under `suggestions` in schedule.json."""
        return {
            "text": self.text,
            "patch": self.patch,
            "late_days": self.late_days,
            "status": self.status,
        }


def plan_data(plan: Plan) -> dict[str, Any]:
    """The plan file's data as a patch applies to it: dates as YYYY-MM-DD text."""
    data, _ = read_plan_file(plan.source)  # a workbook: its YAML twin's data
    return _jsonable(data or {})


def suggest_fixes(
    plan: Plan,
    compiled: Compiled,
    schedule: Schedule,
    check: SubSolve,
    executor: Executor = IN_PROCESS,
) -> list[Suggestion]:
    """The checked fixes of a schedule with late tasks or none at all (`check` plans a
    changed plan as the command being run would, through `executor`; TimeoutError when
    the wall-clock limit cut a check short)."""
    data = plan_data(plan)
    current = schedule.late_days if schedule.status in ("optimal", "feasible") else None
    by_kind: dict[str, list[Candidate]] = {}
    for candidate in _candidates(plan, compiled, schedule, data):
        by_kind.setdefault(candidate.kind, []).append(candidate)
    rounds = max((len(c) for c in by_kind.values()), default=0)
    tried = [[(k, c[r]) for k, c in by_kind.items() if r < len(c)] for r in range(rounds)]
    ahead = width_of(executor) > 1 and rounds > 1  # every round at once, on idle workers
    outcomes: dict[str, Outcome | None] = {}
    if ahead:
        outcomes = _outcomes(plan, data, [c for batch in tried for _, c in batch], check, executor)
    best: dict[str, Suggestion] = {}
    sizes: dict[str, int] = {}
    for batch in tried:
        batch = [c for kind, c in batch if not (kind in best and best[kind].late_days == 0)]
        if not ahead and batch:
            outcomes |= _outcomes(plan, data, batch, check, executor)
        for candidate in batch:
            outcome = outcomes[candidate.text]
            checked = None if outcome is None else _checked(candidate, outcome)
            if checked is None or (current is not None and checked.late_days >= current):
                continue
            held = best.get(candidate.kind)
            if held is None or (checked.late_days, candidate.size) < (
                held.late_days,
                sizes[held.text],
            ):
                best[candidate.kind] = checked
                sizes[checked.text] = candidate.size
    ranked = sorted(best.values(), key=lambda s: (s.late_days, sizes[s.text], s.text))
    return ranked[:MAX_SUGGESTIONS]


def _outcomes(
    plan: Plan, data: dict, batch: list[Candidate], check: SubSolve, executor: Executor
) -> dict[str, Outcome | None]:
    """Each candidate's outcome by its text (None when its patch gives no valid plan);
    TimeoutError when the wall-clock limit cut a check short (its late days might not be
    what `plan` gets)."""
    patched = [(c, _patched(plan, data, c)) for c in batch]
    valid = [(c, changed) for c, changed in patched if changed is not None]
    solved = executor.map(check, [changed for _, changed in valid])
    if any(outcome.cut_short for outcome in solved):
        raise TimeoutError
    found: dict[str, Outcome | None] = {c.text: None for c in batch}
    found |= {c.text: outcome for (c, _), outcome in zip(valid, solved, strict=True)}
    return found


def _patched(plan: Plan, data: dict, candidate: Candidate) -> Plan | None:
    """The candidate applied to the plan's data and loaded (None when the patched plan is
    not a valid plan)."""
    patched = jsonpatch.apply_patch(data, candidate.patch)
    try:
        return load_plan_data(patched, plan.source)
    except BadInput:
        return None


def _checked(candidate: Candidate, outcome: Outcome) -> Suggestion | None:
    """The candidate with the late days its patched plan gets (None when it has no
    schedule either)."""
    if not outcome.scheduled:
        return None
    return Suggestion(candidate.words, candidate.patch, outcome.late_days, outcome.status)


def _candidates(plan: Plan, compiled: Compiled, schedule: Schedule, data: dict) -> list[Candidate]:
    """The changes worth trying, from what held the late tasks, in a fixed order."""
    found: list[Candidate] = []
    if schedule.status in ("optimal", "feasible"):
        roots = [(t, critical_chain(compiled, schedule, t.id)[-1]) for t in schedule.late_tasks]
        waits = [(t, root) for t, root in roots if root.held_by == PEOPLE]
        found += _leave_moves(plan, data, waits)
        found += _extra_people(plan, data, [root for _, root in waits])
        unprepared = [a for a, _ in unprepared_activities(schedule)]
        found += _occurrence_changes(compiled, data, unprepared, schedule)
    else:
        found += _conflict_fixes(plan, compiled, data, schedule)
    unique: dict[str, Candidate] = {}
    for candidate in found:
        unique.setdefault(candidate.text, candidate)
    kinds = list(dict.fromkeys(c.kind for c in unique.values()))
    tried = []
    for kind in kinds:
        same = [c for c in unique.values() if c.kind == kind]
        tried += sorted(same, key=lambda c: (-c.weight, c.size, c.text))[:TRIES_PER_KIND]
    return tried


def _leave_moves(plan: Plan, data: dict, waits: list) -> list[Candidate]:
    """For each leave that a waiting chain ran into: move it to after the last due date of
    the late tasks it held up, or shorten it to start then."""
    held: dict[tuple[int, int], date] = {}
    weight: Counter[tuple[int, int]] = Counter()
    for late, root in waits:
        for r, person in enumerate(plan.staff):
            if root.task.role not in person.roles:
                continue
            for k, leave in enumerate(_raw_leave(data, r)):
                first, last = _date(leave.get("from")), _date(leave.get("to"))
                if first is None or last is None:
                    continue
                if first <= root.task.end and last >= root.could_start and late.due:
                    held[(r, k)] = max(held.get((r, k), late.due), late.due)
                    weight[(r, k)] += late.late_days
    moves = []
    for (r, k), until in sorted(held.items()):
        leave = _raw_leave(data, r)[k]
        first, last = _date(leave["from"]), _date(leave["to"])
        new_first = until + timedelta(days=1)
        person = plan.staff[r]
        who = f"{person.name} ({person.id})"
        for new_last, zh, en in [
            (new_first + (last - first), "改到", "move"),
            (last, "缩短为", "shorten"),
        ]:
            if new_last < new_first:
                continue
            moves.append(
                Candidate(
                    "leave",
                    LocalText(
                        f"{en} the leave of {who} {span(first, last)} to "
                        f"{span(new_first, new_last)}",
                        f"{who} 的休假 {span(first, last)} {zh} {span(new_first, new_last)}",
                    ),
                    [
                        {
                            "op": "replace",
                            "path": f"/staff/{r}/leave/{k}/from",
                            "value": str(new_first),
                        },
                        {
                            "op": "replace",
                            "path": f"/staff/{r}/leave/{k}/to",
                            "value": str(new_last),
                        },
                    ],
                    (new_first - first).days + abs((new_last - last).days),
                    weight[(r, k)],
                )
            )
    return moves


def _extra_people(plan: Plan, data: dict, waits: list) -> list[Candidate]:
    """One more person of the role the waiting tasks needed most, for the weeks they waited."""
    if not waits:
        return []
    roles = Counter(w.task.role for w in waits)
    role = sorted(roles, key=lambda r: (-roles[r], r))[0]
    chosen = [w for w in waits if w.task.role == role]
    first = min(w.could_start for w in chosen)
    last = max(w.task.end for w in chosen)
    return _extra_people_for(plan, role, first, last)


def _extra_people_for(plan: Plan, role: str, first: date, last: date) -> list[Candidate]:
    """A new staff member with `role`, on leave but from `first` to `last`."""
    taken = {p.id for p in plan.staff}
    person_id = next(f"extra_{role}_{n}" for n in range(1, 100) if f"extra_{role}_{n}" not in taken)
    role_name = plan.role_name(role)
    person: dict[str, Any] = {
        "id": person_id,
        "name": f"{role_name} +1",
        "roles": [role],
        "leave": [
            {"from": str(plan.start - timedelta(days=FAR)), "to": str(first - timedelta(days=1))},
            {"from": str(last + timedelta(days=1)), "to": str(plan.end + timedelta(days=FAR))},
        ],
    }
    zh = plan.role_name(role, "zh")
    zh = zh if zh != role else f" {role} 人员"
    return [
        Candidate(
            "staff",
            LocalText(
                f"one more person for {plan.role_name(role, 'en')} ({person_id}) "
                f"from {first} to {last}",
                f"{first}..{last} 增加一名{zh} ({person_id})",
            ),
            [{"op": "add", "path": "/staff/-", "value": person}],
            (last - first).days + 1,
        )
    ]


def _occurrence_changes(
    compiled: Compiled, data: dict, unprepared: list, schedule: Schedule
) -> list[Candidate]:
    """For each activity that cannot be prepared: leave it out, or move a one-off later."""
    changes = []
    for activity in unprepared:
        index = next((o.spec.index for o in compiled.occurrences if o.id == activity.id), None)
        if index is None or not isinstance(data.get("activities"), list):
            continue
        raw = data["activities"][index]
        ready = max(
            t.end for t in schedule.tasks if t.activity == activity.id and t.due is not None
        )
        late = sum(t.late_days for t in schedule.tasks if t.activity == activity.id)
        if raw.get("repeat") or raw.get("festival"):
            changes += _leave_out(compiled, data, activity.id, index, late)
            continue
        shift = (ready - activity.start).days + 1
        new_start = activity.start + timedelta(days=shift)
        changes.append(
            Candidate(
                "move",
                LocalText(
                    f"move the go-live of {activity.name} ({activity.id}) from "
                    f"{activity.start} to {new_start}",
                    f"{activity.name} ({activity.id}) 上线改到 {new_start}",
                ),
                [{"op": "replace", "path": f"/activities/{index}/start", "value": str(new_start)}],
                shift,
                late,
            )
        )
        changes += _leave_out(compiled, data, activity.id, index, late)
    return changes


def _leave_out(
    compiled: Compiled, data: dict, occurrence_id: str, index: int, late: int = 0
) -> list[Candidate]:
    """Leave one occurrence out: `except` its date for a series or festival, remove a
    one-off activity."""
    occurrence = next(o for o in compiled.occurrences if o.id == occurrence_id)
    raw = data["activities"][index]
    if raw.get("repeat") or raw.get("festival"):
        dates = [*(raw.get("except") or []), str(occurrence.start)]
        op = "replace" if "except" in raw else "add"
        return [
            Candidate(
                "except",
                LocalText(
                    f"leave out {occurrence.title} of {occurrence.start} ({occurrence.id}, "
                    f"except: {occurrence.start})",
                    f"不做 {occurrence.title} {occurrence.start} 这一期 ({occurrence.id})",
                ),
                [{"op": op, "path": f"/activities/{index}/except", "value": dates}],
                1,
                late,
            )
        ]
    return [
        Candidate(
            "drop",
            LocalText(
                f"leave out {occurrence.title} ({occurrence.id})",
                f"不做 {occurrence.title} ({occurrence.id})",
            ),
            [{"op": "remove", "path": f"/activities/{index}"}],
            len(compiled.occurrences),
            late,
        )
    ]


def _conflict_fixes(
    plan: Plan, compiled: Compiled, data: dict, schedule: Schedule
) -> list[Candidate]:
    """For an impossible plan, from its minimal conflict: cancel each leave of it; for a
    strict step, one more person, leaving its occurrence (or every impossible one of its
    series) out, or working on the days off before its due."""
    fixes = []
    impossible: list[str] | None = None  # the strict steps no schedule can meet, once
    for term in (item.term for item in schedule.explanation):
        kind, _, inner = term.partition("[")
        inner = inner.rstrip("]")
        if kind == "unavailable":
            person_id, _, k = inner.partition("#")
            r = next(i for i, p in enumerate(plan.staff) if p.id == person_id)
            block = compiled.leave_blocks[person_id][int(k)]
            raw = _raw_leave(data, r)
            indices = [
                j
                for j, lv in enumerate(raw)
                if any(
                    _date(lv.get("from")) == b.start and _date(lv.get("to")) == b.end for b in block
                )
            ]
            if not indices:
                continue
            spans = ", ".join(span(b.start, b.end) for b in block)
            person = plan.staff[r]
            fixes.append(
                Candidate(
                    "leave",
                    LocalText(
                        f"cancel the leave of {person.name} ({person.id}) {spans}",
                        f"{person.name} ({person.id}) 取消休假 {spans}",
                    ),
                    [
                        {"op": "remove", "path": f"/staff/{r}/leave/{j}"}
                        for j in sorted(indices, reverse=True)
                    ],
                    sum((b.end - b.start).days + 1 for b in block),
                )
            )
        elif kind == "deadline":
            node = compiled.graph.nodes[inner]
            first, last = node["earliest"] or plan.start, node["due"]
            fixes += _extra_people_for(plan, node["role"], first, last)
            occurrence = next(o for o in compiled.occurrences if o.id == node["occurrence"])
            if impossible is None:
                impossible = _impossible(compiled)
            if isinstance(data.get("activities"), list):
                fixes += _leave_out(compiled, data, occurrence.id, occurrence.spec.index)
                fixes += _leave_out_impossible(compiled, data, occurrence.spec.index, impossible)
            nodes = [compiled.graph.nodes[t] for t in impossible]
            spans = [(n["earliest"] or n["due"], n["due"]) for n in nodes]
            fixes += _open_days(compiled, data, spans or [(node["earliest"] or last, last)])
    return fixes


def _leave_out_impossible(
    compiled: Compiled, data: dict, index: int, impossible: list[str]
) -> list[Candidate]:
    """For a series (`repeat` or `festival` entry `index`): leave out at once every one of
    its occurrences with a strict step in `impossible` (no schedule can finish it in time,
    even with everybody free); the whole entry when that is all of them and others remain."""
    raw = data["activities"][index]
    if not (raw.get("repeat") or raw.get("festival")):
        return []
    doomed = {compiled.graph.nodes[t]["occurrence"] for t in impossible}
    mine = [o for o in compiled.occurrences if o.spec.index == index]
    hit = [o for o in mine if o.id in doomed]
    if not hit:
        return []
    title = hit[0].title
    if len(hit) == len(mine):
        if len(data["activities"]) < 2:
            return []  # a plan needs an activity
        return [
            Candidate(
                "drop",
                LocalText(f"leave out {title}, every occurrence", f"不做 {title}（所有各期）"),
                [{"op": "remove", "path": f"/activities/{index}"}],
                len(mine),
            )
        ]
    if len(hit) < 2:
        return []  # one occurrence: `_leave_out` offers it
    dates = [*(raw.get("except") or []), *(str(o.start) for o in hit)]
    op = "replace" if "except" in raw else "add"
    days = ", ".join(str(o.start) for o in hit)
    zh_days = "、".join(str(o.start) for o in hit)
    return [
        Candidate(
            "except",
            LocalText(
                f"leave out {title} of {days} (except), which cannot be prepared in time",
                f"不做 {title} {zh_days} 这几期（无论如何都来不及准备）",
            ),
            [{"op": op, "path": f"/activities/{index}/except", "value": dates}],
            len(hit),
        )
    ]


def _impossible(compiled: Compiled) -> list[str]:
    """The strict steps that no schedule can finish by their due, even with everybody free
    (their earliest end from dates, lags and leave is past it)."""
    problem = compiled.problem
    ends = earliest_ends(problem)
    return [
        compiled.task_ids[i]
        for i, task in enumerate(problem.tasks)
        if task.deadline is not None and ends[i] > task.deadline
    ]


def _open_days(compiled: Compiled, data: dict, spans: list[tuple[date, date]]) -> list[Candidate]:
    """Work on the days off within `spans` (`calendar.open`), when that is at most
    MAX_OPEN_DAYS days: for strict steps short of working days before their due."""
    calendar = data.get("calendar")
    if not isinstance(calendar, dict):
        return []
    off = sorted(
        {
            first + timedelta(days=k)
            for first, last in spans
            for k in range((last - first).days + 1)
            if not compiled.calendar.is_working(first + timedelta(days=k))
        }
    )
    if not off or len(off) > MAX_OPEN_DAYS:
        return []
    listed = ", ".join(str(d) for d in off)
    zh_listed = "、".join(str(d) for d in off)
    known = [str(d) for d in calendar.get("open") or []]
    value = sorted({*known, *(str(d) for d in off)})
    op = "replace" if "open" in calendar else "add"
    return [
        Candidate(
            "open",
            LocalText(
                f"work on {listed} (calendar.open)", f"{zh_listed} 安排上班（calendar.open）"
            ),
            [{"op": op, "path": "/calendar/open", "value": value}],
            len(off),
        )
    ]


def _raw_leave(data: dict, r: int) -> list[dict]:
    staff = data.get("staff") or []
    if r >= len(staff) or not isinstance(staff[r], dict):
        return []
    return [lv for lv in staff[r].get("leave") or [] if isinstance(lv, dict)]


def _date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        return None


def _jsonable(value: Any) -> Any:
    """A deep copy with dates written YYYY-MM-DD."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    return copy.copy(value)
