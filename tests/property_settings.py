"""Hypothesis settings of the property tests: random examples, a printed seed, a CI budget.

Examples are drawn at random on every run (`derandomize` is used nowhere). One seed per
pytest session, `SEED`, drives every test that uses `property_test`: pytest's
`--hypothesis-seed=N` when given, else a fresh random number. Each of those tests notes it,
so a failing example's report shows `hypothesis seed N` beside the plan it generated and the
`@reproduce_failure(...)` blob (`print_blob=True`); either reproduces the failure:

    .venv/bin/python -m pytest tests/test_properties.py --hypothesis-seed=N

`header()` is the line for pytest's report header (conftest.py's `pytest_report_header`).

The number of examples is `local` on a developer machine and `ci` when the environment
variable `CI` is set; `PROPERTY_EXAMPLES_SCALE` (a number, e.g. 10 for a long soak)
multiplies both.
"""

from __future__ import annotations

import os
import random
from collections.abc import Callable

from hypothesis import HealthCheck, Phase, core, seed, settings

CI = bool(os.environ.get("CI"))
SCALE = float(os.environ.get("PROPERTY_EXAMPLES_SCALE") or 1)


def _session_seed() -> int | str:
    # pytest's hypothesis plugin sets this in pytest_configure, before any test module
    # is imported.
    forced = core.global_force_seed
    if forced is not None:
        return forced
    return random.SystemRandom().getrandbits(32)


SEED = _session_seed()
SEED_NOTE = f"hypothesis seed {SEED} (rerun: pytest --hypothesis-seed={SEED} ...)"


def header() -> str:
    """One line for pytest's report header: the seed and the example budget in use."""
    budget = "CI" if CI else "local (set CI=1 for the CI budget)"
    return f"property tests: hypothesis seed {SEED}, {budget} examples x{SCALE:g}"


def examples(local: int, ci: int) -> int:
    """The number of examples for this run."""
    return max(1, round((ci if CI else local) * SCALE))


def property_test(local: int, ci: int, *, shrink: bool = False) -> Callable:
    """Settings and seed for a `@given` test: put it above `@given`.

    Shrinking is off by default: one engine run of a generated plan can take seconds,
    and each failing example's notes already hold its whole plan as YAML.
    """
    phases = [Phase.explicit, Phase.reuse, Phase.generate]
    if shrink:
        phases.append(Phase.shrink)
    chosen = settings(
        max_examples=examples(local, ci),
        deadline=None,
        print_blob=True,
        phases=phases,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )

    def decorate(test: Callable) -> Callable:
        return seed(SEED)(chosen(test))

    return decorate
