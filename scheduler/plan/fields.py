"""Typed reading of one YAML mapping's fields, recording every mistake with its key path.

`Fields` is the vocabulary the plan and template validators are written in: each getter
checks one field, records a mistake in the shared `Problems` (file, key path, value as
written, what was expected) and returns a usable fallback, so that one wrong field does
not hide the mistakes after it.
"""

from __future__ import annotations

import difflib
import itertools
import math
import re
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from datetime import date, datetime
from typing import Any

import yaml

from scheduler.errors import VALUE_LIMIT, Problems, shorten
from scheduler.plan.model import MAX_ID_LENGTH, MAX_TEXT_LENGTH, LocalText

# Patterns are matched whole (`fullmatch`): `$` would let a trailing line break through.
SNAKE_CASE = re.compile(r"[a-z][a-z0-9_]*")
SNAKE_CASE_EXPECTED = "snake_case: a-z, 0-9 and _, starting with a letter"
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
DATE_EXPECTED = "a date YYYY-MM-DD"
TEXT_EXPECTED = "one line of text: no line breaks, control characters or lone surrogates"
_REFUSED_CATEGORIES = ("Cc", "Cs", "Zl", "Zp")  # controls, surrogates, line/paragraph breaks
_LINE_BREAKS = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"  # where str.splitlines breaks
_MISSING = object()


def written(value: Any) -> str:
    """`value` the way a user wrote it in YAML: `true`, `2026-03-20`, `[a, b]`, `null`.

    A list or mapping is written in flow style on one line; of a big one only the start
    (what a message shows, see `scheduler.errors.VALUE_LIMIT`) is written.
    """
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, (list, dict)):
        flow = yaml.safe_dump(
            _start_of(value), default_flow_style=True, allow_unicode=True, width=math.inf
        )
        return flow.strip()
    return str(value)


def _start_of(value: Any, depth: int = 0) -> Any:
    """As much of `value` as a message can show: texts cut short and on one line (as
    `shorten` writes them), lists and mappings cut short."""
    if isinstance(value, str):
        return shorten(value, VALUE_LIMIT)
    if isinstance(value, list):
        if depth > 3:
            return ["..."]
        items = [_start_of(item, depth + 1) for item in value[: VALUE_LIMIT // 4]]
        return items + (["..."] if len(value) > len(items) else [])
    if isinstance(value, dict):
        if depth > 3:
            return {"...": "..."}
        first = itertools.islice(value.items(), VALUE_LIMIT // 4)
        return {_start_of(k, depth + 1): _start_of(v, depth + 1) for k, v in first}
    return value


def character_mistake(text: str) -> str | None:
    """What makes `text` unfit for a name or other one-line text of a plan, or None.

    Refused: control characters but tab (C0, DEL, C1: line breaks among them), the line and
    paragraph separators U+2028 and U+2029, and lone surrogates (which no file can hold).
    Other characters, format characters such as bidi marks included, are text.
    """
    for char in text:
        if char != "\t" and unicodedata.category(char) in _REFUSED_CATEGORIES:
            code = ord(char)
            if 0xD800 <= code <= 0xDFFF:
                return f"lone surrogate U+{code:04X}"
            kind = "line break" if char in _LINE_BREAKS else "control character"
            return f"{kind} U+{code:04X}"
    return None


def close_matches(word: Any, choices: Sequence[str]) -> list[str]:
    """The choices that look like a misspelling of `word`, best first."""
    return difflib.get_close_matches(str(word), list(choices), n=3, cutoff=0.6)


def one_of(choices: Sequence[str], word: Any = None) -> str:
    """`did you mean x? one of: a, b, c`, the expectation for a value from a fixed list."""
    choices = list(dict.fromkeys(c for c in choices if c))
    listed = f"one of: {', '.join(choices)}"
    matches = close_matches(word, choices) if word is not None else []
    return f"did you mean {matches[0]}? {listed}" if matches else listed


def join_path(path: str, key: str | int) -> str:
    """The key path of `key` inside `path`: `staff[1]` + `leave` -> `staff[1].leave`."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def as_date(value: Any) -> date | None:
    """`value` as a date when it is one written YAML's way (YYYY-MM-DD), else None."""
    if isinstance(value, datetime):
        return None
    if isinstance(value, date):
        return value
    if isinstance(value, str) and ISO_DATE.fullmatch(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    return None


class Fields:
    """The fields of one YAML mapping at key path `path`, read with their checks."""

    def __init__(self, problems: Problems, path: str, data: Mapping[str, Any], index: int = 0):
        self.problems = problems
        self.path = path
        self.data = data
        self.index = index  # position in its list, when it is a list item

    def at(self, key: str | int) -> str:
        """The key path of `key` in this mapping."""
        return join_path(self.path, key)

    def add(self, key: str | int, value: Any, problem: str, expected: str = "") -> None:
        """Record a mistake in field `key` whose value is `value`."""
        self.problems.add(self.at(key), written(value), problem, expected)

    def has(self, key: str) -> bool:
        """Whether the mapping gives `key` at all (null counts as given)."""
        return key in self.data

    def only(self, allowed: Sequence[str]) -> None:
        """Record every field that is not in `allowed` (typos like `stat:`)."""
        for key, value in self.data.items():
            if key not in allowed:
                self.problems.add(
                    join_path(self.path, str(key)),
                    written(value),
                    "unknown field",
                    one_of(list(allowed), key),
                )

    def raw(self, key: str, required: bool, expected: str) -> Any:
        """The value of `key`, or `_MISSING` (recorded when required) when absent or null."""
        value = self.data.get(key)
        if value is None:
            if required:
                self.problems.add(self.at(key), "", "missing", f"required: {expected}")
            return _MISSING
        return value

    def text(
        self,
        key: str,
        required: bool = False,
        default: str | None = None,
        what: str = "a text",
        limit: int | None = MAX_TEXT_LENGTH,
    ) -> str | None:
        """A text field; numbers (`title: 618`) are taken as the text they are written as.

        The text is one line of at most `limit` characters (spaces around it left out) with
        no control character but tab and no lone surrogate (`character_mistake`); with
        `limit` None, neither is checked here (the caller checks the text its own way).
        """
        value = self.raw(key, required, what)
        if value is _MISSING:
            return default
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            self.add(key, value, "not a text", what)
            return default
        text = str(value).strip()
        if not text:
            self.add(key, value, "empty", what)
            return default
        if limit is not None and not self.check_text(key, text, limit):
            return default
        return text

    def check_text(self, key: str | int, text: str, limit: int = MAX_TEXT_LENGTH) -> bool:
        """Whether `text` (of field or list item `key`) is one line of at most `limit`
        characters without control characters or lone surrogates; records it when not."""
        if len(text) > limit:
            self.add(
                key, text, f"too long ({len(text):,} characters)", f"at most {limit:,} characters"
            )
            return False
        mistake = character_mistake(text)
        if mistake is not None:
            self.add(key, text, f"holds a {mistake}", TEXT_EXPECTED)
            return False
        return True

    def ident(self, key: str, required: bool = False) -> str | None:
        """A snake_case id; a wrongly spelled one is recorded and still returned."""
        value = self.raw(key, required, f"an id ({SNAKE_CASE_EXPECTED})")
        if value is _MISSING:
            return None
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            self.add(key, value, "not an id", SNAKE_CASE_EXPECTED)
            return None
        text = str(value)
        if not SNAKE_CASE.fullmatch(text):
            self.add(key, value, "not a valid id", SNAKE_CASE_EXPECTED)
        elif len(text) > MAX_ID_LENGTH:
            self.add(
                key,
                value,
                f"too long ({len(text):,} characters)",
                f"at most {MAX_ID_LENGTH} characters",
            )
        return text

    def integer(
        self,
        key: str,
        low: int,
        high: int | None = None,
        default: int | None = None,
        required: bool = False,
        unit: str = "",
    ) -> int | None:
        """An integer in low..high (high None: no upper bound); absent gives `default`.

        With a `unit` (`working days`), the expectation reads `an integer >= 1, at most 250
        working days`: the upper bound is a limit of the tool rather than of the field.
        """
        expected = f"an integer {low}..{high}" if high is not None else f"an integer >= {low}"
        if unit and high is not None:
            expected = f"an integer >= {low}, at most {high} {unit}"
        value = self.raw(key, required, expected)
        if value is _MISSING:
            return default
        if isinstance(value, bool) or not isinstance(value, int):
            self.add(key, value, "not an integer", expected)
            return default
        if value < low or (high is not None and value > high):
            self.add(key, value, "out of range", expected)
            return default
        return value

    def boolean(self, key: str, default: bool = False) -> bool:
        """A true/false field."""
        value = self.raw(key, False, "true or false")
        if value is _MISSING:
            return default
        if not isinstance(value, bool):
            self.add(key, value, "not true or false", "true or false")
            return default
        return value

    def day(
        self, key: str, required: bool = False, within: tuple[date, date] | None = None
    ) -> date | None:
        """A date field written YYYY-MM-DD (a date that does not exist is a mistake).

        With `within` (first, last), a date outside that range is a mistake too.
        """
        value = self.raw(key, required, DATE_EXPECTED)
        if value is _MISSING:
            return None
        day = self.check_date(key, value)
        if day is not None and within is not None and not within[0] <= day <= within[1]:
            expected = f"a date from {within[0]} to {within[1]}"
            self.add(key, value, "out of range", expected)
            return None
        return day

    def check_date(self, key: str | int, value: Any) -> date | None:
        """`value` (of field or list item `key`) as a date, recording it when it is none."""
        day = as_date(value)
        if day is None:
            self.add(key, value, "not a valid date", DATE_EXPECTED)
        return day

    def items(self, key: str, required: bool = False, what: str = "a list") -> list[Any]:
        """A list field's items (empty when absent or not a list)."""
        value = self.raw(key, required, what)
        if value is _MISSING:
            return []
        if not isinstance(value, list):
            self.add(key, value, "not a list", what)
            return []
        return value

    def mappings(self, key: str, required: bool, what: str) -> Iterator[Fields]:
        """The `Fields` of each item of a list of mappings; other items are recorded."""
        path = self.at(key)
        for index, item in enumerate(self.items(key, required, what)):
            item_path = join_path(path, index)
            if isinstance(item, dict):
                yield Fields(self.problems, item_path, item, index)
            else:
                self.problems.add(item_path, written(item), "not a mapping", what)

    def dates(self, key: str) -> tuple[date, ...]:
        """A list of dates; wrong items are recorded and left out."""
        found = []
        inner = Fields(self.problems, self.at(key), {})
        for index, item in enumerate(self.items(key, what=f"a list of dates ({DATE_EXPECTED})")):
            day = inner.check_date(index, item)
            if day is not None:
                found.append(day)
        return tuple(found)

    def local_text(self, key: str, required: bool = False) -> LocalText | None:
        """A name `{en: ..., zh: ...}`; a plain text, or only one language, serves for both.

        A number, true/false or a list where the name should be is a mistake (`name: 5`):
        unlike a title, a name is written as text or as a mapping of language to text.
        """
        expected = "a text, or {en: ..., zh: ...}"
        value = self.raw(key, required, expected)
        if value is _MISSING:
            return None
        if not isinstance(value, (dict, str)):  # `name: 5` is no name (a number, a list)
            self.add(key, value, "not a text", expected)
            return None
        if isinstance(value, str):
            text = self.text(key)
            return LocalText(text, text) if text is not None else None
        inner = Fields(self.problems, self.at(key), value)
        inner.only(["en", "zh"])
        en, zh = inner.text("en"), inner.text("zh")
        if en is None and zh is None:
            if not (inner.has("en") or inner.has("zh")):  # else what they hold is recorded
                self.add(key, value, "no name in en or zh", expected)
            return None
        return LocalText(en or zh or "", zh or en or "")
