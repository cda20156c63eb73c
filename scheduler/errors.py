"""Errors that carry their context: which file, which key, which value, what was expected.

`BadInput` is raised for anything wrong in a plan or template file (FORMAT.md section 7).
The CLI turns it into one line per mistake and exit code 2. Whatever a file holds, each
message stays one line: line breaks and other control characters are escaped (`\\n`,
`\\x00`, `\\u2028`), the value is cut to `VALUE_LIMIT` characters and the other parts to
`TEXT_LIMIT`, each with an ellipsis.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

VALUE_LIMIT = 60  # characters of a value shown in a message
TEXT_LIMIT = 500  # characters of a message's file, key path, problem or expectation
ELLIPSIS = "..."
_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


@dataclass(frozen=True)
class InputProblem:
    """One mistake in an input file, located by its key path (list items counted from 0)."""

    file: str
    path: str
    value: Any
    problem: str
    expected: str = ""

    def __str__(self) -> str:
        value = shorten(_as_written(self.value), VALUE_LIMIT)
        parts = [shorten(self.file)]
        if self.path:
            parts.append(shorten(self.path))
        if value != "":
            parts.append(value)
        text = ": ".join(parts) + f": {shorten(self.problem)}"
        if self.expected:
            text += f" ({shorten(self.expected)})"
        return text


def _as_written(value: Any) -> str:
    if value is None:
        return ""
    return str(value)


def shorten(text: str, limit: int = TEXT_LIMIT) -> str:
    """`text` on one line and at most `limit` characters long, as a message shows it.

    Characters that are not printable (line breaks, tabs, NUL, U+2028 ...) are escaped the
    way Python writes them; a longer text is cut and ends with an ellipsis. Only the first
    `limit` characters are looked at, so a value of 50 MB costs nothing.
    """
    pieces = [_escaped(char) for char in text[: limit + 1]]
    if len(text) <= limit and sum(map(len, pieces)) <= limit:
        return "".join(pieces)
    kept, length = [], 0
    for piece in pieces:
        if length + len(piece) > limit - len(ELLIPSIS):
            break
        kept.append(piece)
        length += len(piece)
    return "".join(kept) + ELLIPSIS


def _escaped(char: str) -> str:
    if char.isprintable():
        return char
    if char in _ESCAPES:
        return _ESCAPES[char]
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


class BadInput(ValueError):
    """A plan or template file is wrong; `problems` lists every mistake found."""

    def __init__(self, problems: list[InputProblem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))

    @classmethod
    def single(cls, file: str, path: str, value: Any, problem: str, expected: str = "") -> BadInput:
        """A BadInput with one mistake."""
        return cls([InputProblem(file, path, value, problem, expected)])


class Problems:
    """Collects the mistakes of one file so that all of them are reported at once."""

    def __init__(self, file: str | Path):
        self.file = str(file)
        self.found: list[InputProblem] = []

    def add(self, path: str, value: Any, problem: str, expected: str = "") -> None:
        """Record one mistake at `path`."""
        self.found.append(InputProblem(self.file, path, value, problem, expected))

    def extend(self, other: Problems | list[InputProblem]) -> None:
        """Record every mistake of another collection."""
        self.found.extend(other.found if isinstance(other, Problems) else other)

    def raise_if_any(self) -> None:
        """Raise `BadInput` with every mistake recorded so far, if there is one."""
        if self.found:
            raise BadInput(self.found)

    def __bool__(self) -> bool:
        return bool(self.found)
