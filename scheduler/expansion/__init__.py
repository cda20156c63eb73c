"""Expansion: a plan's activities become dated occurrences, and occurrences a task graph."""
