"""Whether the staff can do the templates a plan uses at all (FORMAT.md section 7).

A step role nobody holds, a store whose activities need a role nobody there holds, and a
step whose `load` is above the `capacity` of everyone who could do it are bad input, not
infeasibility: they are found here, before any scheduling, and named in the plan file.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from scheduler.errors import Problems
from scheduler.plan.fields import close_matches
from scheduler.plan.model import ActivitySpec, StaffMember, Step, Template


def works_for(person: StaffMember, store: str | None) -> bool:
    """Whether `person` works for `store` (staff without `stores` work for every store)."""
    return store is None or person.stores is None or store in person.stores


def check_staffing(
    activities: Sequence[ActivitySpec],
    templates: Mapping[str, Template],
    staff: Sequence[StaffMember],
    problems: Problems,
) -> None:
    """Record every role, store and load of the used templates the staff cannot cover."""
    _missing_roles(activities, templates, staff, problems)
    reported: set[tuple[object, ...]] = set()
    for spec in activities:
        template = templates.get(spec.template)
        if template is None:
            continue
        for step in template.steps:
            holders = [p for p in staff if step.role in p.roles]
            if holders:
                _check_store(spec, template, step, holders, problems, reported)
                _check_load(spec, template, step, holders, problems, reported)


def _missing_roles(
    activities: Sequence[ActivitySpec],
    templates: Mapping[str, Template],
    staff: Sequence[StaffMember],
    problems: Problems,
) -> None:
    """One mistake per step role nobody holds, at the first activity that needs it."""
    held = sorted({role for person in staff for role in person.roles})
    needed: dict[str, tuple[int, str, list[str]]] = {}  # role -> (activity, template, steps)
    for spec in activities:
        template = templates.get(spec.template)
        for step in template.steps if template else ():
            if step.role in held:
                continue
            _, _, steps = needed.setdefault(step.role, (spec.index, template.id, []))
            if f"{template.id}.{step.id}" not in steps:
                steps.append(f"{template.id}.{step.id}")
    for role, (index, template_id, steps) in needed.items():
        hint = close_matches(role, held)
        expected = f"needed by {', '.join(steps)}; roles on the staff: {', '.join(held) or 'none'}"
        if hint:
            expected = f"did you mean {hint[0]}? " + expected
        problems.add(
            f"activities[{index}].template",
            template_id,
            f"no staff member has role {role}",
            expected,
        )


def _check_store(
    spec: ActivitySpec,
    template: Template,
    step: Step,
    holders: Sequence[StaffMember],
    problems: Problems,
    reported: set[tuple[object, ...]],
) -> None:
    """Someone holding the step's role works for the activity's store."""
    if spec.store is None or any(works_for(p, spec.store) for p in holders):
        return
    if ("store", spec.store, step.role) in reported:
        return
    reported.add(("store", spec.store, step.role))
    problems.add(
        f"activities[{spec.index}].store",
        spec.store,
        f"no staff member with role {step.role} works for this store",
        f"needed by {template.id}.{step.id}; add the store to someone's `stores`",
    )


def _check_load(
    spec: ActivitySpec,
    template: Template,
    step: Step,
    holders: Sequence[StaffMember],
    problems: Problems,
    reported: set[tuple[object, ...]],
) -> None:
    """Someone who may do the step has a capacity of at least its load."""
    able = [p for p in holders if works_for(p, spec.store)]
    owner = next((p for p in able if p.id == spec.owner), None)
    if owner is not None:
        able = [owner]  # the owner does every step of the roles they hold (rule 1)
    if not able or max(p.capacity for p in able) >= step.load:
        return
    key = ("load", template.id, step.id, tuple(p.id for p in able))
    if key in reported:
        return
    reported.add(key)
    capacities = ", ".join(f"{p.id} {p.capacity}" for p in able)
    problems.add(
        f"activities[{spec.index}].template",
        template.id,
        f"step {step.id} has load {step.load}, above the capacity of everyone who may do it",
        f"load at most the capacity of someone with role {step.role}: {capacities}",
    )
