"""The `stores`, `roles` and `staff` sections of a plan file (FORMAT.md section 4).

A staff id names the person's calendar file (`calendar/<id>.ics`) and CalDAV collection, so
it may not be the name of another output (`team`, `activities`) or a name Windows keeps for
a device (`con`, `nul`, `com1` ...), in any case.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date

from scheduler.plan.fields import SNAKE_CASE, Fields, one_of
from scheduler.plan.model import MAX_EMAIL_LENGTH, MAX_ID_LENGTH, Leave, Role, StaffMember, Store

STORE_FIELDS = ("id", "name")
ROLE_FIELDS = ("id", "name")
STAFF_FIELDS = ("id", "name", "email", "roles", "capacity", "leave", "stores")
LEAVE_FIELDS = ("from", "to")
# Staff ids that cannot name their calendar file and collection: the team's and the
# activities' calendars, and the names Windows gives to devices whatever the extension.
OUTPUT_NAMES = {"team": "the team's calendar", "activities": "the activities' calendar"}
DEVICE_NAMES = ("con", "prn", "aux", "nul", *(f"{p}{n}" for p in ("com", "lpt") for n in range(10)))
RESERVED_EXPECTED = "a staff id other than team, activities and device names such as con, nul, com1"
# local@domain, neither part empty, without spaces or what an address cannot hold unquoted
EMAIL = re.compile(r"[^\s@<>()\[\]\\,;:\"]+@[^\s@<>()\[\]\\,;:\"]+")
EMAIL_EXPECTED = "name@example.com"


def read_stores(fields: Fields) -> tuple[Store, ...]:
    """The plan's optional `stores` list, ids unique."""
    stores = []
    for section in fields.mappings("stores", False, "a list of {id, name}"):
        section.only(STORE_FIELDS)
        store_id = section.ident("id", required=True)
        if store_id is not None:
            stores.append((section.path, Store(store_id, section.text("name") or store_id)))
    check_unique(fields, [(where, store.id) for where, store in stores])
    return tuple(store for _, store in stores)


def read_roles(fields: Fields) -> tuple[Role, ...]:
    """The plan's optional `roles` list: role keys with their names, keys unique.

    `roles: [{id: design, name: {en: Design, zh: 美工}}]`; a role without a name keeps
    its key in the outputs.
    """
    roles = []
    for section in fields.mappings("roles", False, "a list of {id, name: {en, zh}}"):
        section.only(ROLE_FIELDS)
        key = section.text("id", required=True, what="a role key, e.g. design", limit=MAX_ID_LENGTH)
        if key is not None:
            roles.append((section.path, Role(key, section.local_text("name"))))
    check_unique(fields, [(where, role.id) for where, role in roles])
    return tuple(role for _, role in roles)


def read_staff(fields: Fields, store_ids: list[str] | None) -> tuple[StaffMember, ...]:
    """The plan's `staff` list: each person checked, ids unique.

    `store_ids` are the plan's stores, None when it has no `stores` list.
    """
    people = [
        (section.path, _person(section, store_ids))
        for section in fields.mappings("staff", True, "a list of staff members")
    ]
    if fields.data.get("staff") == []:
        fields.add("staff", [], "no staff", "a list of at least one staff member")
    check_unique(fields, [(where, person.id) for where, person in people])
    return tuple(person for _, person in people)


def _person(section: Fields, store_ids: list[str] | None) -> StaffMember:
    section.only(STAFF_FIELDS)
    return StaffMember(
        id=_staff_id(section),
        name=section.text("name", required=True) or "",
        roles=_roles(section),
        email=_email(section),
        capacity=section.integer("capacity", 1, 100, default=100) or 100,
        leave=tuple(_leave(item) for item in section.mappings("leave", False, "{from, to}")),
        stores=_person_stores(section, store_ids),
    )


def _staff_id(section: Fields) -> str:
    """The person's id: snake_case, and able to name their calendar file."""
    staff_id = section.ident("id", required=True) or ""
    name = staff_id.lower()  # a snake_case id is; the names are refused in any case
    if not SNAKE_CASE.fullmatch(staff_id):
        pass  # recorded as no id already (upper case `Team` or `CON` among them)
    elif name in OUTPUT_NAMES:
        problem = f"the name of another calendar (calendar/{name}.ics is {OUTPUT_NAMES[name]})"
        section.add("id", staff_id, problem, RESERVED_EXPECTED)
    elif name in DEVICE_NAMES:
        problem = "a device name on Windows (no calendar file can have it)"
        section.add("id", staff_id, problem, RESERVED_EXPECTED)
    return staff_id


def _email(section: Fields) -> str | None:
    """The person's email: one address, as a calendar's ATTENDEE can hold it."""
    email = section.text("email", limit=MAX_EMAIL_LENGTH, what=EMAIL_EXPECTED)
    if email is not None and not EMAIL.fullmatch(email):
        section.add("email", email, "not an email address", EMAIL_EXPECTED)
        return None
    return email


def _roles(section: Fields) -> tuple[str, ...]:
    roles = []
    expected = "a non-empty list of role keys, e.g. [operations, design]"
    inner = Fields(section.problems, section.at("roles"), {})
    for index, role in enumerate(section.items("roles", True, expected)):
        if isinstance(role, str) and role.strip():
            if inner.check_text(index, role.strip(), MAX_ID_LENGTH):
                roles.append(role.strip())
        else:
            section.add(f"roles[{index}]", role, "not a role key", "a role key, e.g. design")
    if section.data.get("roles") == []:
        section.add("roles", [], "no roles", expected)
    return tuple(roles)


def _leave(section: Fields) -> Leave:
    """One leave, `from` on or before `to`, both inclusive."""
    section.only(LEAVE_FIELDS)
    first = section.day("from", required=True)
    last = section.day("to", required=True)
    if first and last and first > last:
        section.add("from", first, f"after to {last}", "from on or before to")
    return Leave(first or date.min, last or date.min)


def _person_stores(section: Fields, store_ids: list[str] | None) -> tuple[str, ...] | None:
    """The stores a person works for; None (absent) is every store."""
    if not section.has("stores"):
        return None
    stores = []
    for index, store in enumerate(section.items("stores", what="a list of store ids")):
        if check_store(section, f"stores[{index}]", store, store_ids):
            stores.append(store)
    if section.data.get("stores") == []:
        section.add("stores", [], "no store", "store ids, or no `stores` for every store")
    return tuple(stores)


def check_store(section: Fields, key: str, store: object, store_ids: list[str] | None) -> bool:
    """Whether `store` is one of the plan's store ids, recording it when it is not."""
    if store_ids is None:
        section.add(key, store, "no `stores` list in the plan", "a top-level `stores` list")
        return False
    if store not in store_ids:
        section.add(key, store, "unknown store", one_of(store_ids, store))
        return False
    return True


def check_unique(fields: Fields, ids: Sequence[tuple[str, str]]) -> None:
    """Record each id already used by an earlier item; `ids` holds (item path, id)."""
    first: dict[str, str] = {}
    for where, item_id in ids:
        if item_id and item_id in first:
            fields.problems.add(
                f"{where}.id", item_id, f"duplicate id (also {first[item_id]}.id)", "unique ids"
            )
        first.setdefault(item_id, where)
