"""Where independent sub-solves run: in this process, or on a cluster.

A sub-solve (a neighbourhood of a large-neighbourhood search, one store, a check of a
suggested fix, a staffing probe) is a plain module-level function of picklable arguments
whose result depends on those arguments only. An `Executor` runs a list of them and returns
their results in the order given, so a result never depends on where or in which order the
work ran.

`executor_for(None)` is `IN_PROCESS`; `executor_for("tcp://HOST:8786")` connects to a Dask
`distributed` scheduler (the optional extra `pip install 'promo-scheduler[cluster]'`).
Either is a context manager: leaving it closes the connection.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from scheduler.errors import BadInput

CLUSTER_OPTION = "--cluster"
INSTALL = "pip install 'promo-scheduler[cluster]'"
CONNECT_TIMEOUT = 10.0  # seconds to reach the scheduler before giving up
ADDRESS = "an address such as tcp://HOST:8786"


class Executor(Protocol):
    """Runs independent calls and returns their results in the order of `items`."""

    def map(self, fn: Callable[[Any], Any], items: Sequence[Any]) -> list[Any]:
        """The results of `fn(item)` for every item, in the order of `items`."""
        ...


class InProcess:
    """Runs every call here, one after the other (the default)."""

    width = 1  # calls run at once

    def map(self, fn: Callable[[Any], Any], items: Sequence[Any]) -> list[Any]:
        """The results of `fn(item)` for every item, in the order of `items`."""
        return [fn(item) for item in items]

    def close(self) -> None:
        """Nothing to release."""

    def __enter__(self) -> InProcess:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


IN_PROCESS = InProcess()


class DaskExecutor:
    """Runs the calls on a Dask `distributed` cluster, as pure tasks (the same function and
    arguments are computed once), and gathers their results in the order of the items."""

    def __init__(self, client: Any, address: str):
        self.client = client
        self.address = address

    @property
    def width(self) -> int:
        """How many calls the cluster runs at once now: its workers' threads (at least 1)."""
        return max(1, sum(self.client.nthreads().values()))

    def map(self, fn: Callable[[Any], Any], items: Sequence[Any]) -> list[Any]:
        """The results of `fn(item)` for every item, in the order of `items`; a cluster that
        goes away meanwhile is reported as bad input (`BadInput`)."""
        from distributed import KilledWorker
        from distributed.comm import CommClosedError

        if not items:
            return []
        try:
            futures = self.client.map(fn, list(items), pure=True)
            return list(self.client.gather(futures))
        except (OSError, CommClosedError, KilledWorker) as lost:
            raise _cluster_problem(
                self.address, f"the cluster failed during the run ({lost})"
            ) from None

    def close(self) -> None:
        """Disconnect from the scheduler (the cluster itself keeps running)."""
        self.client.close()

    def __enter__(self) -> DaskExecutor:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def width_of(executor: Executor) -> int:
    """How many calls `executor` runs at once (1 for an executor that does not say)."""
    return max(1, int(getattr(executor, "width", 1)))


def executor_for(cluster: str | None, timeout: float = CONNECT_TIMEOUT) -> InProcess | DaskExecutor:
    """The executor for a `--cluster` value: `IN_PROCESS` for None or "", else a connection
    to the Dask scheduler at that address. Bad input (`BadInput`, one line) when Dask is not
    installed, the address is not one, or no scheduler answers there within `timeout` s."""
    if not cluster:
        return IN_PROCESS
    if importlib.util.find_spec("distributed") is None:
        raise BadInput.single(
            CLUSTER_OPTION, "", cluster, "Dask distributed is not installed", f"run {INSTALL}"
        )
    from distributed import Client
    from distributed.comm.addressing import get_address_host_port, parse_address
    from distributed.comm.registry import get_backend

    try:  # checked first: a Client built on a malformed address fails noisily when collected
        get_backend(parse_address(cluster)[0])
        get_address_host_port(cluster)
    except ValueError as bad:
        raise BadInput.single(
            CLUSTER_OPTION, "", cluster, f"not a scheduler address ({bad})", ADDRESS
        ) from None
    try:
        client = Client(cluster, timeout=timeout, set_as_default=False)
    except (OSError, ValueError) as failed:
        raise _cluster_problem(cluster, f"no Dask scheduler answers there ({failed})") from None
    return DaskExecutor(client, cluster)


def _cluster_problem(address: str, problem: str) -> BadInput:
    return BadInput.single(
        CLUSTER_OPTION, "", address, problem, "a running `dask scheduler`, e.g. tcp://HOST:8786"
    )
