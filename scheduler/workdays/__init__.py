"""The working calendar (working days, make-up days, offsets) and festival dates."""
