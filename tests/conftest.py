"""Shared fixtures: the command line through click's CliRunner, the conformance folder."""

from __future__ import annotations

import importlib.util
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

TESTS_DIR = Path(__file__).resolve().parent
REPO_ROOT = TESTS_DIR.parent
# The contract's conformance plans live beside the repository: ../shared/conformance.
CONFORMANCE_DIR = REPO_ROOT.parent / "shared" / "conformance"

# Test helpers such as rules.py are imported as top-level modules whatever the import mode,
# and the engine is found in a checkout that is not pip-installed.
if str(TESTS_DIR) not in sys.path:
    sys.path.insert(0, str(TESTS_DIR))
if importlib.util.find_spec("scheduler") is None:
    sys.path.insert(0, str(REPO_ROOT))


def invoke_cli(args: Sequence[str | Path]) -> Result:
    """Run `promo-scheduler ARGS` in-process and return click's Result."""
    from scheduler.cli import main

    return CliRunner().invoke(main, [str(a) for a in args])


def crash_report(result: Result) -> str:
    """The output and, for an exception the CLI did not handle, its traceback."""
    text = result.output or ""
    if result.exc_info and not isinstance(result.exception, SystemExit):
        text += "\n" + "".join(traceback.format_exception(*result.exc_info))
    return text


@pytest.fixture
def run_cli() -> Callable[[Sequence[str | Path]], Result]:
    return invoke_cli


@pytest.fixture
def conformance_dir() -> Path:
    if not CONFORMANCE_DIR.is_dir():
        pytest.skip("../shared/conformance not found (clone without shared/)")
    return CONFORMANCE_DIR
