"""Activity template files (`templates/activities/<id>.yaml`, FORMAT.md sections 2-3).

`load_template` reads and checks one file: its fields, its steps, the offsets and lags
they use, the steps named in `after` and that `after` has no cycle. Every mistake of the
file is reported at once, named by the file's path.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import networkx as nx

from scheduler.errors import InputProblem, Problems
from scheduler.plan.fields import Fields, join_path, one_of, written
from scheduler.plan.model import (
    KINDS,
    MAX_DURATION,
    MAX_ID_LENGTH,
    MAX_LIVE_DAYS,
    MAX_OFFSET,
    After,
    LocalText,
    Offset,
    Step,
    Template,
)
from scheduler.plan.yamlfile import read_mapping

TEMPLATE_FIELDS = ("id", "name", "kind", "live_days", "steps")
STEP_FIELDS = ("id", "name", "role", "duration", "load", "after", "earliest", "due", "strict")

OFFSET = re.compile(r"(start|end)(?:([+-])([0-9]+)(d|wd))?")
OFFSET_EXPECTED = "ANCHOR[+|-]N UNIT without spaces: start or end, d or wd, e.g. start-30d"
LIMIT_EXPECTED = f"N at most {MAX_OFFSET['d']} for d, {MAX_OFFSET['wd']} for wd"
LAG = re.compile(r"([a-z][a-z0-9_]*)(?:\+([0-9]+)(d|wd))?")
LAG_EXPECTED = "a step id, or step+N UNIT with N >= 0 and UNIT d or wd, e.g. photos+2wd"
_NO_NAME = LocalText("", "")  # stands in for a missing name; such a template is never returned


def load_template(path: Path) -> Template:
    """The activity template in file `path`; raises `BadInput` with all its mistakes."""
    problems = Problems(path)
    template = read_template(path, problems.found)
    problems.raise_if_any()
    assert template is not None
    return template


def read_template(path: Path, found: list[InputProblem]) -> Template | None:
    """The template in `path`, or None when it has mistakes (appended to `found`)."""
    problems = Problems(path)
    data, unreadable = read_mapping(path, str(path), "a template: id, name, kind, steps")
    problems.extend(unreadable)
    template = _template(Fields(problems, "", data), path) if data is not None else None
    found.extend(problems.found)
    return None if problems else template


def parse_offset(text: str) -> Offset | None:
    """The offset `start-30d`, `end+2wd`, `start` ... as data; None if it is not one."""
    match = OFFSET.fullmatch(text)
    if not match:
        return None
    anchor, sign, number, unit = match.groups()
    amount = int(number or 0) * (-1 if sign == "-" else 1)
    return Offset(anchor=anchor, amount=amount, unit=unit or "d", text=text)


def parse_after(text: str) -> After | None:
    """The predecessor `photos`, `photos+2wd`, `stock+10d` ... as data; None if not one."""
    match = LAG.fullmatch(text)
    if not match:
        return None
    step, number, unit = match.groups()
    return After(step=step, lag=int(number or 0), unit=unit or "wd", text=text)


def _template(fields: Fields, path: Path) -> Template:
    fields.only(TEMPLATE_FIELDS)
    template_id = fields.ident("id", required=True)
    if template_id is not None and template_id != path.stem:
        fields.add("id", template_id, f"not the file name {path.name}", "id equal to the file name")
    name = fields.local_text("name", required=True)
    kind = fields.text("kind", required=True, what=one_of(KINDS))
    if kind is not None and kind not in KINDS:
        fields.add("kind", kind, "unknown kind", one_of(KINDS, kind))
    live_days = fields.integer("live_days", 1, MAX_LIVE_DAYS, default=1, unit="calendar days")
    sections = list(fields.mappings("steps", True, "a list of steps"))
    steps = [_step(section) for section in sections]
    if fields.data.get("steps") == []:
        fields.add("steps", [], "no steps", "a list of at least one step")
    _check_unique_steps(fields, sections, steps)
    _check_after(fields, sections, steps)
    return Template(
        id=template_id or path.stem,
        name=name or _NO_NAME,
        kind=kind or "",
        live_days=live_days or 1,
        steps=tuple(steps),
        source=path,
    )


def _step(fields: Fields) -> Step:
    fields.only(STEP_FIELDS)
    due = _offset(fields, "due")
    strict = fields.boolean("strict")
    if strict and due is None and not fields.has("due"):
        fields.add("strict", strict, "strict without a due", "a `due` to keep, or no strict")
    return Step(
        id=fields.ident("id", required=True) or "",
        name=fields.local_text("name", required=True) or _NO_NAME,
        role=fields.text("role", required=True, what="a role key, e.g. design", limit=MAX_ID_LENGTH)
        or "",
        duration=fields.integer("duration", 1, MAX_DURATION, required=True, unit="working days")
        or 1,
        load=fields.integer("load", 1, 100, default=100) or 100,
        after=_afters(fields),
        earliest=_offset(fields, "earliest"),
        due=due,
        strict=strict,
    )


def _offset(fields: Fields, key: str) -> Offset | None:
    value = fields.data.get(key)
    if value is None:
        return None
    offset = parse_offset(value) if isinstance(value, str) else None
    if offset is None:
        fields.add(key, value, "not an offset", OFFSET_EXPECTED)
    elif abs(offset.amount) > MAX_OFFSET[offset.unit]:
        fields.add(key, value, "offset out of range", LIMIT_EXPECTED)
        return None
    return offset


def _afters(fields: Fields) -> tuple[After, ...]:
    found = []
    path = fields.at("after")
    for index, item in enumerate(fields.items("after", what="a list of step ids")):
        after = parse_after(item) if isinstance(item, str) else None
        if after is None:
            fields.problems.add(
                join_path(path, index), written(item), "not a step or lag", LAG_EXPECTED
            )
        elif after.lag > MAX_OFFSET[after.unit]:
            fields.problems.add(join_path(path, index), item, "lag out of range", LIMIT_EXPECTED)
        else:
            found.append(after)
    return tuple(found)


def _check_unique_steps(fields: Fields, sections: Sequence[Fields], steps: Sequence[Step]) -> None:
    """Step ids are unique within the template."""
    first: dict[str, str] = {}
    for section, step in zip(sections, steps, strict=True):
        if step.id in first:
            also = f"also {first[step.id]}.id"
            section.add("id", step.id, f"duplicate id ({also})", "unique step ids")
        elif step.id:
            first[step.id] = section.path


def _check_after(fields: Fields, sections: Sequence[Fields], steps: Sequence[Step]) -> None:
    """`after` names steps of this template, and no step waits for itself."""
    ids = [step.id for step in steps if step.id]
    for section in sections:
        items = section.data.get("after")
        for position, item in enumerate(items if isinstance(items, list) else ()):
            after = parse_after(item) if isinstance(item, str) else None
            if after is not None and after.step not in ids:
                where = f"after[{position}]"
                section.add(where, item, "unknown step", one_of(ids, after.step))
    path_of = {step.id: section.path for section, step in zip(sections, steps, strict=True)}
    if len(path_of) < len(steps):
        return  # a missing or repeated step id: the graph is not known yet
    for cycle in _cycles(steps):
        fields.problems.add(
            f"{path_of[cycle[0]]}.after",
            " -> ".join([*cycle, cycle[0]]),
            "cycle in after",
            "a step cannot wait for itself, directly or through other steps",
        )


def _cycles(steps: Sequence[Step]) -> list[list[str]]:
    """One cycle (step ids, each waiting for the next) per tangle of steps in `after`."""
    graph: Any = nx.DiGraph()
    graph.add_nodes_from(s.id for s in steps)
    for step in steps:
        graph.add_edges_from((step.id, a.step) for a in step.after if a.step in graph)
    order = {s.id: i for i, s in enumerate(steps)}
    found = []
    for component in nx.strongly_connected_components(graph):
        first = min(component, key=order.__getitem__)
        if len(component) > 1 or graph.has_edge(first, first):
            cycle = [edge[0] for edge in nx.find_cycle(graph.subgraph(component), source=first)]
            turn = cycle.index(min(cycle, key=order.__getitem__))
            found.append(cycle[turn:] + cycle[:turn])
    return sorted(found, key=lambda cycle: order[cycle[0]])
