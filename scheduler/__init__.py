"""promo-scheduler: a year of store promotions turned into a staffed, dated preparation plan."""

from time import monotonic

__version__ = "0.1.0"

STARTED = monotonic()  # when the process began loading the tool: `--time-limit` counts from it
