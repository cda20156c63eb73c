"""Reading one YAML input file into plain data, with its syntax mistakes located by line.

A safe loader (no Python objects) that differs from `yaml.safe_load` in two ways a user
would want: a date that does not exist (`2026-02-30`) stays the text it was, so the
validator can report it as a bad date instead of the loader crashing, and a key written
twice in one mapping is a mistake (plain YAML silently keeps the last one).

Hostile files are mistakes too, never a crash: a file above `MAX_FILE_BYTES`, lists and
mappings nested deeper than `MAX_DEPTH`, more than `MAX_NODES` values (an alias counted as
a copy of what it names, so that a "billion laughs" file of aliases of aliases stops after
a few lines), an alias inside what it names (a list that holds itself), and characters YAML
does not allow (a NUL byte) are each reported with their line. Composing stops at the first
of these, so time and memory stay those of a file of `MAX_NODES` values.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from scheduler.errors import InputProblem
from scheduler.plan.fields import written

# A plan or template file: a year's plan is ~20 kB, and PyYAML reads about 1 MB in 2 s.
MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_DEPTH = 64  # levels of nested lists and mappings; a plan needs about five
MAX_NODES = 100_000  # nodes, aliases expanded: a year's plan has ~300, 5,000 one-offs ~50,000
NODES_EXPECTED = (
    f"a file of at most {MAX_NODES:,} values, lists and mappings, an alias counting as a copy "
    "of what it names"
)


NEWLINE = b"\n"
_SURROGATE = re.compile("[\ud800-\udfff]")


class _TooDeep(yaml.MarkedYAMLError):
    """Lists and mappings nested deeper than MAX_DEPTH."""


class _TooBig(yaml.MarkedYAMLError):
    """More than MAX_NODES nodes, with every alias counted as a copy of its anchor's node."""


class _Recursive(yaml.MarkedYAMLError):
    """An alias inside the node its anchor names: a structure that holds itself."""


class _Loader(yaml.SafeLoader):
    """SafeLoader that keeps impossible dates as text, records duplicate keys and refuses
    nesting deeper than MAX_DEPTH (PyYAML's composer recurses once per level), more than
    MAX_NODES nodes with aliases expanded, and recursive aliases."""

    def __init__(self, stream: str):
        super().__init__(stream)
        self.duplicates: list[tuple[int, str]] = []  # (line, key)
        self.depth = 0
        self.nodes = 0  # nodes composed so far, an alias counting as its anchor's node
        self.sizes: dict[int, int] = {}  # id of a finished anchored node -> its nodes

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node:
        """One node, as PyYAML composes it, within MAX_DEPTH levels and MAX_NODES nodes."""
        self.depth += 1
        try:
            event = self.peek_event()
            if self.depth > MAX_DEPTH:
                problem = f"nested more than {MAX_DEPTH} levels"
                raise _TooDeep(problem=problem, problem_mark=event.start_mark)
            before = self.nodes
            node = super().compose_node(parent, index)  # type: ignore[misc]
            if isinstance(event, yaml.AliasEvent):
                if id(node) not in self.sizes:  # its anchor's node is still being composed
                    problem = f"alias *{event.anchor} inside what it names"
                    raise _Recursive(problem=problem, problem_mark=event.start_mark)
                self._count(self.sizes[id(node)], event.start_mark)
            else:
                self._count(1, event.start_mark)
                if event.anchor is not None:
                    self.sizes[id(node)] = self.nodes - before
            return node
        finally:
            self.depth -= 1

    def construct_scalar(self, node: yaml.ScalarNode) -> Any:
        """The text of a scalar; surrogate pairs escaped in double quotes (`"\\ud83d\\udc69"`,
        as JSON writes characters beyond U+FFFF) are the character they encode."""
        value = super().construct_scalar(node)
        if node.style == '"' and isinstance(value, str) and _SURROGATE.search(value):
            value = value.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")
        return value

    def _count(self, nodes: int, mark: yaml.Mark) -> None:
        self.nodes += nodes
        if self.nodes > MAX_NODES:
            problem = f"more than {MAX_NODES:,} values with aliases expanded"
            raise _TooBig(problem=problem, problem_mark=mark)


def _timestamp(loader: _Loader, node: yaml.Node) -> Any:
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
    except ValueError:
        return loader.construct_scalar(node)


def _mapping(loader: _Loader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":
            continue  # `<<: *defaults` keys may be overridden on purpose
        key = loader.construct_object(key_node, deep=True)
        if isinstance(key, (str, int, float, bool)):
            if key in seen:
                loader.duplicates.append((key_node.start_mark.line + 1, str(key)))
            seen.add(key)
    loader.flatten_mapping(node)
    pairs = loader.construct_pairs(node, deep=True)
    return {(key if _hashable(key) else written(key)): value for key, value in pairs}


def _hashable(key: Any) -> bool:
    """Whether a key can be a dict key as it is (a list or mapping as a key cannot: it is
    kept as its text, and the validator reports the unknown field)."""
    try:
        hash(key)
    except TypeError:
        return False
    return True


def _integer(loader: _Loader, node: yaml.Node) -> Any:
    """An integer; one too long for Python to read (thousands of digits) stays its text, for
    the validator to report."""
    try:
        return yaml.SafeLoader.construct_yaml_int(loader, node)
    except ValueError:
        return loader.construct_scalar(node)


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp)
_Loader.add_constructor("tag:yaml.org,2002:int", _integer)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)


def read_yaml(path: Path, label: str) -> tuple[Any, list[InputProblem]]:
    """The data in YAML file `path` and the mistakes that make it unreadable.

    `label` is how messages name the file. The data is None when the file cannot be read
    or parsed; duplicate keys are reported while the data is still returned.
    """
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            megabytes = f"{size / 1024 / 1024:.1f} MB"
            expected = f"a file of at most {MAX_FILE_BYTES // 1024 // 1024} MB"
            return None, [InputProblem(label, "", megabytes, "file too large", expected)]
        raw = path.read_bytes()
        text = raw.decode("utf-8-sig")
    except FileNotFoundError:
        return None, [InputProblem(label, "", None, "file not found")]
    except IsADirectoryError:
        return None, [InputProblem(label, "", None, "is a folder", "a YAML file")]
    except UnicodeDecodeError as error:
        line = f"line {raw.count(NEWLINE, 0, error.start) + 1}"
        byte = raw[error.start : error.start + 1].hex()
        problem = f"not UTF-8 text (byte 0x{byte}: {error.reason})"
        return None, [InputProblem(label, line, None, problem, "a file saved as UTF-8")]
    except OSError as error:
        return None, [InputProblem(label, "", None, f"cannot be read ({error.strerror})")]
    return parse_yaml(text, label)


def read_mapping(path: Path, label: str, expected: str) -> tuple[dict | None, list[InputProblem]]:
    """As `read_yaml` for a file that must hold one mapping (`expected` says of what).

    The data is None, with a mistake, when the file is empty or holds something else.
    """
    data, problems = read_yaml(path, label)
    if isinstance(data, dict):
        return data, problems
    if data is None and not problems:
        problems.append(InputProblem(label, "", None, "empty file", expected))
    elif data is not None:
        problems.append(InputProblem(label, "", written(data), "not a mapping", expected))
    return None, problems


def parse_yaml(text: str, label: str) -> tuple[Any, list[InputProblem]]:
    """The data in YAML `text` and its syntax mistakes (`line N`), as `read_yaml`."""
    try:
        loader = _Loader(text)  # the reader refuses control characters here, before parsing
    except yaml.reader.ReaderError as error:
        return None, [_character_problem(label, text, error)]
    try:
        data = loader.get_single_data()
    except _TooDeep as error:
        expected = f"at most {MAX_DEPTH} levels of lists and mappings"
        return None, [InputProblem(label, _line(error), None, "nested too deeply", expected)]
    except _TooBig as error:
        problem = f"too many values (more than {MAX_NODES:,}, aliases expanded)"
        return None, [InputProblem(label, _line(error), None, problem, NODES_EXPECTED)]
    except _Recursive as error:
        expected = "an alias after the end of the list or mapping its anchor names"
        problem = f"recursive alias ({error.problem})"
        return None, [InputProblem(label, _line(error), None, problem, expected)]
    except yaml.MarkedYAMLError as error:
        return None, [_syntax_problem(label, error)]
    except yaml.YAMLError as error:
        return None, [InputProblem(label, "", None, f"not valid YAML ({error})")]
    except RecursionError:  # MAX_DEPTH keeps the composer shallow; this is a safety net
        expected = f"at most {MAX_DEPTH} levels of lists and mappings"
        return None, [InputProblem(label, "", None, "nested too deeply", expected)]
    finally:
        loader.dispose()
    problems = [
        InputProblem(label, f"line {line}", key, "key written twice", "each key once")
        for line, key in loader.duplicates
    ]
    return data, problems


def _line(error: yaml.MarkedYAMLError) -> str:
    """`line N` of the mark where composing stopped ('' without one)."""
    return f"line {error.problem_mark.line + 1}" if error.problem_mark else ""


def _character_problem(label: str, text: str, error: yaml.reader.ReaderError) -> InputProblem:
    """A character YAML does not allow in a file (NUL and most other control characters)."""
    line = text.count("\n", 0, max(error.position, 0)) + 1
    character = chr(error.character) if isinstance(error.character, int) else error.character
    return InputProblem(
        label,
        f"line {line}",
        character,
        f"character U+{ord(character):04X} is not allowed in YAML",
        "printable text: remove the control character, or write it as an escape "
        'in a double-quoted string ("\\x00")',
    )


def _syntax_problem(label: str, error: yaml.MarkedYAMLError) -> InputProblem:
    mark = error.problem_mark or error.context_mark
    where = f"line {mark.line + 1}" if mark is not None else ""
    what = error.problem or error.context or "syntax error"
    if error.context and error.problem:
        what = f"{error.problem} ({error.context})"
    return InputProblem(label, where, None, f"YAML syntax error: {what}")
