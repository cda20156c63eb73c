"""Whether the staff can do the templates a plan uses at all (FORMAT.md section 7).

A step role nobody holds, a store whose activities need a role nobody there holds, and a
step whose `load` is above the `capacity` of everyone who could do it are bad input, not
infeasibility: they are found here, before any scheduling. A role or load is named where it
is written, in the template file at its step (`my_promo.yaml: steps[1].role`), with the
plan's activity that uses it; a store, in the plan file at the activity.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from scheduler.errors import InputProblem, Problems
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
    template_problems: list[InputProblem],
) -> None:
    """Record every role, store and load of the used templates the staff cannot cover: a
    store in `problems` (the plan file's), a role or load in `template_problems`."""
    _missing_roles(activities, templates, staff, problems.file, template_problems)
    reported: set[tuple[object, ...]] = set()
    for spec in activities:
        template = templates.get(spec.template)
        if template is None:
            continue
        for index, step in enumerate(template.steps):
            holders = [p for p in staff if step.role in p.roles]
            if holders:
                _check_store(spec, template, step, holders, problems, reported)
                used_by = _used_by(problems.file, spec)
                where = (template, index)
                _check_load(spec, where, holders, used_by, template_problems, reported)


def _used_by(plan_file: str, spec: ActivitySpec) -> str:
    """`used by plan.yaml activities[3] (my_one)`: the activity that needs a template's step."""
    name = f" ({spec.id})" if spec.id else ""
    return f"used by {plan_file} activities[{spec.index}]{name}"


def _missing_roles(
    activities: Sequence[ActivitySpec],
    templates: Mapping[str, Template],
    staff: Sequence[StaffMember],
    plan_file: str,
    found: list[InputProblem],
) -> None:
    """One mistake per template step whose role nobody holds, at the step's `role` in the
    template file, naming the first activity of the plan that uses the template."""
    held = sorted({role for person in staff for role in person.roles})
    seen: set[str] = set()
    for spec in activities:
        template = templates.get(spec.template)
        if template is None or template.id in seen:
            continue
        seen.add(template.id)
        for index, step in enumerate(template.steps):
            if step.role in held:
                continue
            hint = close_matches(step.role, held)
            expected = (
                f"a role someone on the staff holds: {', '.join(held) or 'none'}; "
                f"{_used_by(plan_file, spec)}"
            )
            if hint:
                expected = f"did you mean {hint[0]}? " + expected
            found.append(
                InputProblem(
                    str(template.source),
                    f"steps[{index}].role",
                    step.role,
                    f"no staff member has role {step.role}",
                    expected,
                )
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
    where: tuple[Template, int],
    holders: Sequence[StaffMember],
    used_by: str,
    found: list[InputProblem],
    reported: set[tuple[object, ...]],
) -> None:
    """Someone who may do the step (the template's step number `where[1]`) has a capacity
    of at least its load; else a mistake at the step's `load` in the template file."""
    template, index = where
    step = template.steps[index]
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
    found.append(
        InputProblem(
            str(template.source),
            f"steps[{index}].load",
            step.load,
            "above the capacity of everyone who may do it",
            f"at most the capacity of someone with role {step.role}: {capacities}; {used_by}",
        )
    )
