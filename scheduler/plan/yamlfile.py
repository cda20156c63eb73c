"""Reading one YAML input file into plain data, with its syntax mistakes located by line.

A safe loader (no Python objects) that differs from `yaml.safe_load` in two ways a user
would want: a date that does not exist (`2026-02-30`) stays the text it was, so the
validator can report it as a bad date instead of the loader crashing, and a key written
twice in one mapping is a mistake (plain YAML silently keeps the last one).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from scheduler.errors import InputProblem


class _Loader(yaml.SafeLoader):
    """SafeLoader that keeps impossible dates as text and records duplicate keys."""

    def __init__(self, stream: str):
        super().__init__(stream)
        self.duplicates: list[tuple[int, str]] = []  # (line, key)


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
    return dict(loader.construct_pairs(node, deep=True))


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)


def read_yaml(path: Path, label: str) -> tuple[Any, list[InputProblem]]:
    """The data in YAML file `path` and the mistakes that make it unreadable.

    `label` is how messages name the file. The data is None when the file cannot be read
    or parsed; duplicate keys are reported while the data is still returned.
    """
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        return None, [InputProblem(label, "", None, "file not found")]
    except IsADirectoryError:
        return None, [InputProblem(label, "", None, "is a folder", "a YAML file")]
    except UnicodeDecodeError as error:
        return None, [InputProblem(label, "", None, f"not UTF-8 text ({error.reason})")]
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
        problems.append(InputProblem(label, "", _short(data), "not a mapping", expected))
    return None, problems


def _short(data: Any) -> str:
    text = str(data)
    return text if len(text) <= 60 else text[:57] + "..."


def parse_yaml(text: str, label: str) -> tuple[Any, list[InputProblem]]:
    """The data in YAML `text` and its syntax mistakes (`line N`), as `read_yaml`."""
    loader = _Loader(text)
    try:
        data = loader.get_single_data()
    except yaml.MarkedYAMLError as error:
        return None, [_syntax_problem(label, error)]
    except yaml.YAMLError as error:
        return None, [InputProblem(label, "", None, f"not valid YAML ({error})")]
    finally:
        loader.dispose()
    problems = [
        InputProblem(label, f"line {line}", key, "key written twice", "each key once")
        for line, key in loader.duplicates
    ]
    return data, problems


def _syntax_problem(label: str, error: yaml.MarkedYAMLError) -> InputProblem:
    mark = error.problem_mark or error.context_mark
    where = f"line {mark.line + 1}" if mark is not None else ""
    what = error.problem or error.context or "syntax error"
    if error.context and error.problem:
        what = f"{error.problem} ({error.context})"
    return InputProblem(label, where, None, f"YAML syntax error: {what}")
