"""Where independent sub-solves run: in this process, or on a cluster.

A sub-solve (a neighbourhood of a large-neighbourhood search, one store, a check of a
suggested fix) is a plain function of picklable arguments whose result depends on those
arguments only. An `Executor` runs a list of them and returns their results in the order
given, so a result never depends on where or in which order the work ran.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol


class Executor(Protocol):
    """Runs independent calls and returns their results in the order of `items`."""

    def map(self, fn: Callable[[Any], Any], items: Sequence[Any]) -> list[Any]:
        """The results of `fn(item)` for every item, in the order of `items`."""
        ...


class InProcess:
    """Runs every call here, one after the other (the default)."""

    def map(self, fn: Callable[[Any], Any], items: Sequence[Any]) -> list[Any]:
        """The results of `fn(item)` for every item, in the order of `items`."""
        return [fn(item) for item in items]


IN_PROCESS = InProcess()
