"""`python -m scheduler` is the same program as `promo-scheduler`."""

from scheduler.cli import main

main()
