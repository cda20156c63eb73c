"""Shared fixtures: the command line through click's CliRunner, the conformance folder, the
bundled yearly example planned once per session."""

from __future__ import annotations

import contextlib
import importlib.util
import os
import sys
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

TESTS_DIR = Path(__file__).resolve().parent
REPO_ROOT = TESTS_DIR.parent
# The contract's conformance plans live beside the repository: ../shared/conformance.
CONFORMANCE_DIR = REPO_ROOT.parent / "shared" / "conformance"
SHARED_MISSING = f"{CONFORMANCE_DIR} not found (a clone without ../shared beside it)"

# Test helpers such as rules.py are imported as top-level modules whatever the import mode,
# and the engine is found in a checkout that is not pip-installed.
if str(TESTS_DIR) not in sys.path:
    sys.path.insert(0, str(TESTS_DIR))
if importlib.util.find_spec("scheduler") is None:
    sys.path.insert(0, str(REPO_ROOT))

# A late plan's checked fixes cost a solve each (FORMAT.md section 6 `suggestions`): the
# tests whose subject they are ask for them with --suggest (tests/test_explain.py, the
# over-constrained determinism test); every other run, in-process or a child process, plans
# without them, as `plan --no-suggest` would.
os.environ.setdefault("PROMO_SCHEDULER_SUGGEST", "0")


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


@dataclass(frozen=True)
class PlannedExample:
    """One `plan PLAN --out OUT` run: its exit code, its output (stdout and stderr)."""

    plan: Path
    out: Path
    exit_code: int
    output: str


def plan_into(plan: Path, out: Path, *options: str) -> PlannedExample:
    """`plan PLAN --out OUT OPTIONS` in-process; fails the test on a crash."""
    result = invoke_cli(["plan", plan, "--out", out, *options])
    output = result.output or ""
    with contextlib.suppress(ValueError):  # older click: stderr is mixed into output
        output += result.stderr or ""
    assert result.exception is None or isinstance(result.exception, SystemExit), crash_report(
        result
    )
    assert "Traceback" not in output, output
    return PlannedExample(plan, out, result.exit_code, output)


@pytest.fixture(scope="session")
def yearly_planned(tmp_path_factory: pytest.TempPathFactory) -> PlannedExample:
    """examples/tmall-flagship-2027.yaml planned with the default options, once per
    session (about 700 tasks): the tests that use it read its folder, never write it."""
    out = tmp_path_factory.mktemp("yearly-example") / "out"
    return plan_into(REPO_ROOT / "examples" / "tmall-flagship-2027.yaml", out)


@pytest.fixture
def run_cli() -> Callable[[Sequence[str | Path]], Result]:
    return invoke_cli


def require_conformance() -> Path:
    """The conformance folder; without it a test skips, or fails when CI is set.

    The contract's checks must never vanish silently from CI: under `CI` a clone
    without ../shared fails every test that needs it.
    """
    if not CONFORMANCE_DIR.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"{SHARED_MISSING}, but CI is set: the contract's checks must run")
        pytest.skip(SHARED_MISSING)
    return CONFORMANCE_DIR


def conformance_param(*values: object) -> object:
    """A placeholder parameter for a list of conformance cases when the folder is missing:
    the test it parametrises calls `require_conformance()` and so skips or fails."""
    return pytest.param(*values, id="conformance-missing")


@pytest.fixture
def conformance_dir() -> Path:
    return require_conformance()


def pytest_report_header(config: pytest.Config) -> str:
    """The property tests' hypothesis seed and example budget, at the top of every run."""
    import property_settings  # here: after the hypothesis plugin has read --hypothesis-seed

    return property_settings.header()
