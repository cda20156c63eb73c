"""`init`: a blank plan workbook, and conversions between plan files and workbooks.

`init_plan(target)` writes a workbook with the sheets of FORMAT.md section 8, their
headers, an example row each and drop-down lists; `init_plan(target, source)` converts a
plan file into a workbook or a workbook into a plan file (by the target's suffix), after
checking the source as `plan` would. Template folders are rewritten relative to the
target, so that the converted plan finds the same templates.
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from scheduler.errors import BadInput
from scheduler.plan.loading import available_templates, load_plan, load_template
from scheduler.plan.model import LANGUAGES, WEEKDAYS
from scheduler.plan.workbook_cells import COLUMNS, PLAN_KEYS, is_workbook
from scheduler.plan.workbook_read import read_workbook
from scheduler.plan.workbook_write import CellTextError, DropDowns, write_workbook
from scheduler.plan.yamlfile import read_mapping
from scheduler.versions.atomic import write_text
from scheduler.workdays.festivals import FESTIVAL_KEYS

YAML_SUFFIXES = (".yaml", ".yml")

# What `init PLAN.xlsx` fills in: one example row per sheet, a plan that validates.
EXAMPLE_PLAN: dict[str, Any] = {
    "name": "My store 2027",
    "timezone": "Asia/Shanghai",
    "start": date(2027, 1, 1),
    "end": date(2027, 12, 31),
    "language": "zh",
    "calendar": {"workdays": list(WEEKDAYS[:5]), "holidays": "CN"},
    "stores": [{"id": "tmall", "name": "天猫旗舰店"}],
    "roles": [{"id": "operations", "name": {"en": "Operations", "zh": "运营"}}],
    "staff": [
        {
            "id": "zhang_wei",
            "name": "张伟",
            "email": "zhang.wei@example.com",
            "roles": ["operations", "design", "promotion", "customer_service"],
            "capacity": 100,
            "leave": [{"from": date(2027, 5, 6), "to": date(2027, 5, 7)}],
        }
    ],
    "activities": [
        {
            "id": "spring_launch",
            "template": "theme_launch",
            "store": "tmall",
            "start": date(2027, 4, 1),
            "title": "春季上新",
        }
    ],
}


def init_plan(target: str | Path, source: str | Path | None = None, force: bool = False) -> Path:
    """Write a plan to `target`: a blank workbook (.xlsx) with example rows, or with
    `source` that plan converted (a YAML plan to a workbook, a workbook to YAML).

    Raises BadInput when `source` has mistakes, `target` exists (without `force`) or has
    a suffix that is neither .xlsx nor .yaml; nothing is written then."""
    target = Path(target)
    wants_workbook = is_workbook(target)
    if not wants_workbook and target.suffix.lower() not in YAML_SUFFIXES:
        raise BadInput.single(
            str(target),
            "",
            "",
            "neither a workbook nor a YAML file",
            "a name ending in .xlsx or .yaml",
        )
    if not wants_workbook and source is None:
        raise BadInput.single(
            str(target), "", "", "init writes a blank workbook", "PLAN.xlsx, or --from PLAN.xlsx"
        )
    if target.exists() and not force:
        raise BadInput.single(
            str(target), "", "", "already exists", "another file name, or --force to overwrite it"
        )
    if source is None:
        data, folders = EXAMPLE_PLAN, ()
    else:
        source = Path(source)
        folders = load_plan(source).template_dirs  # checked as `plan` checks it
        data = _rebased(plan_data(source), source, target)
    if wants_workbook:
        try:
            write_workbook(target, data, drop_downs(data, folders))
        except CellTextError as bad:
            raise BadInput.single(
                str(source), bad.key_path, bad.value, "a control character", "text a cell can hold"
            ) from None
    else:
        write_text(target, plan_yaml(data, source))
    return target


def plan_data(path: Path) -> dict:
    """The data of plan file or workbook `path` as the YAML loader gives it (BadInput when
    it cannot be read)."""
    if is_workbook(path):
        book = read_workbook(path, str(path))
        data, problems = book.data, book.cells.located(book.problems, str(path))
    else:
        data, problems = read_mapping(path, str(path), "a plan")
    if data is None or problems:
        raise BadInput(problems)
    return data


def plan_yaml(data: dict, source: Path | None = None) -> str:
    """Plan `data` as the text of a plan file, keys in the order of FORMAT.md section 4."""
    head = f"# Plan converted from {source.name} by promo-scheduler init\n" if source else ""
    return head + yaml.safe_dump(
        _ordered(data), allow_unicode=True, sort_keys=False, default_flow_style=None, width=100
    )


def drop_downs(data: dict, folders: tuple[Path, ...] = ()) -> DropDowns:
    """The drop-down lists of a workbook for plan `data` with template folders `folders`:
    every template there and bundled, the roles their steps and the plan name, the
    festival keys, the plan's stores."""
    templates = available_templates(folders)
    roles = {str(r["id"]) for r in data.get("roles") or [] if isinstance(r, dict) and r.get("id")}
    for person in data.get("staff") or []:
        if isinstance(person, dict) and isinstance(person.get("roles"), list):
            roles.update(str(r) for r in person["roles"])
    for file in templates.values():
        try:
            roles.update(step.role for step in load_template(file).steps)
        except BadInput:
            continue  # a broken template nobody uses here: no roles from it
    stores = [str(s["id"]) for s in data.get("stores") or [] if isinstance(s, dict) and s.get("id")]
    return DropDowns(
        templates=sorted(templates),
        roles=sorted(roles),
        festivals=list(FESTIVAL_KEYS),
        stores=stores,
        languages=list(LANGUAGES),
    )


def _rebased(data: dict, source: Path, target: Path) -> dict:
    """`data` with its template folders relative to `target` instead of `source`."""
    folders = data.get("templates")
    if not isinstance(folders, list):
        return data
    moved = []
    for folder in folders:
        if isinstance(folder, str) and not Path(folder).expanduser().is_absolute():
            where = (source.parent / Path(folder).expanduser()).resolve()
            folder = Path(os.path.relpath(where, target.parent.resolve())).as_posix()
        moved.append(folder)
    return {**data, "templates": moved}


_TOP_ORDER = ("name", "timezone", "start", "end", "language", "templates", "calendar")
_ITEM_ORDER = {
    "stores": COLUMNS["Stores"],
    "roles": ("id", "name"),
    "staff": (*COLUMNS["Staff"], "leave"),
    "activities": COLUMNS["Activities"],
}


def _ordered(data: dict) -> dict:
    """`data` with keys in the order people read a plan file."""
    calendar_keys = [target[-1] for target in PLAN_KEYS.values() if target[0] == "calendar"]
    ordered: dict[str, Any] = {k: data[k] for k in _TOP_ORDER if k in data}
    if isinstance(ordered.get("calendar"), dict):
        section = ordered["calendar"]
        ordered["calendar"] = {k: section[k] for k in calendar_keys if k in section}
    for key, order in _ITEM_ORDER.items():
        if isinstance(data.get(key), list):
            ordered[key] = [
                {k: item[k] for k in order if k in item} if isinstance(item, dict) else item
                for item in data[key]
            ]
    ordered.update({k: v for k, v in data.items() if k not in ordered})
    return ordered
