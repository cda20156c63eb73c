"""An output folder's versions: atomic file writes, and each run's files written as one
whole version under a folder lock."""
