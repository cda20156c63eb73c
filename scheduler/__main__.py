"""`python -m scheduler` is the same program as `promo-scheduler`."""

from scheduler.cli import main

if __name__ == "__main__":  # not when a worker process imports it (scheduler/executors.py)
    main()
