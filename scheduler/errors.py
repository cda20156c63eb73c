"""Errors that carry their context: which file, which key, which value, what was expected.

`BadInput` is raised for anything wrong in a plan or template file (FORMAT.md section 7).
The CLI turns it into one line per mistake and exit code 2.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class InputProblem:
    """One mistake in an input file, located by its key path (list items counted from 0)."""

    file: str
    path: str
    value: Any
    problem: str
    expected: str = ""

    def __str__(self) -> str:
        value = _as_written(self.value)
        parts = [self.file]
        if self.path:
            parts.append(self.path)
        if value != "":
            parts.append(value)
        text = ": ".join(parts) + f": {self.problem}"
        if self.expected:
            text += f" ({self.expected})"
        return text


def _as_written(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, dict)):
        return str(value)
    return str(value)


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
