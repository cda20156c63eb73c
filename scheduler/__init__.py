"""promo-scheduler: a year of store promotions turned into a staffed, dated preparation plan."""

__version__ = "0.1.0"
