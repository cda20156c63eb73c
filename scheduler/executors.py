"""Where independent sub-solves run: in this process, or on a cluster.

A sub-solve (a neighbourhood of a large-neighbourhood search, one store, a check of a
suggested fix, a staffing probe) is a plain module-level function of picklable arguments
whose result depends on those arguments only. An `Executor` runs a list of them and returns
their results in the order given, so a result never depends on where or in which order the
work ran.

`IN_PROCESS` runs them here, one after the other (the library's default). `LocalProcesses`
runs them on this machine's other cores, in worker processes started when a first list of
two or more calls comes (the commands' default: CP-SAT holds Python's lock while it
searches, so threads would not run two searches at once). `executor_for("tcp://HOST:8786")`
connects to a Dask `distributed` scheduler (the optional extra
`pip install 'promo-scheduler[cluster]'`). Each is a context manager: leaving it stops the
worker processes or closes the connection.
"""

from __future__ import annotations

import importlib.util
import multiprocessing
import os
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from typing import Any, Protocol

from scheduler.errors import BadInput

CLUSTER_OPTION = "--cluster"
INSTALL = "pip install 'promo-scheduler[cluster]'"
PR_SET_PDEATHSIG = 1  # prctl(2): the signal a process gets when its parent dies
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
LOCAL_PROCESSES = 4  # worker processes at most, however many cores the machine has


class LocalProcesses:
    """Runs the calls in worker processes of this machine, one per core (at most
    LOCAL_PROCESSES), started on the first list of two or more calls; a single call runs
    here. The workers are forked from a server process that has imported the engine."""

    def __init__(self, processes: int | None = None):
        self.width = max(1, processes or min(os.cpu_count() or 1, LOCAL_PROCESSES))
        self._pool: ProcessPoolExecutor | None = None

    def map(self, fn: Callable[[Any], Any], items: Sequence[Any]) -> list[Any]:
        """The results of `fn(item)` for every item, in the order of `items`."""
        if len(items) < 2 or self.width < 2:
            return [fn(item) for item in items]
        if self._pool is None:
            self._pool = _pool(self.width)
        return list(self._pool.map(fn, items))

    def submit(self, fn: Callable[..., Any], *args: Any) -> Callable[[], Any]:
        """Start `fn(*args)` in a worker process (starting the workers if need be) and go
        on; the value returned waits for it and returns its result (or raises its error)."""
        if self._pool is None:
            self._pool = _pool(self.width)
        return self._pool.submit(fn, *args).result

    def close(self) -> None:
        """Stop the worker processes, if any were started."""
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None

    def __enter__(self) -> LocalProcesses:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


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


@contextmanager
def beside(fn: Callable[..., Any], *args: Any, here: bool = False) -> Iterator[Callable[[], Any]]:
    """Start `fn(*args)` in a worker process and go on; the value yielded waits for it and
    returns its result (or raises its error). With `here`, it runs in this process when
    waited for. Leaving the block early stops the worker."""
    if here:
        yield lambda: fn(*args)
        return
    pool = _pool(1)
    try:
        future = pool.submit(fn, *args)
        yield future.result
    finally:
        pool.shutdown(cancel_futures=True)


def _pool(width: int) -> ProcessPoolExecutor:
    """A pool of `width` worker processes that end when this process ends, however it ends."""
    return ProcessPoolExecutor(
        width, mp_context=_context(), initializer=_end_with_parent, initargs=(os.getpid(),)
    )


def _end_with_parent(parent: int) -> None:
    """In a worker: be killed when the process that started the pool dies (even by
    SIGKILL, which leaves it no time to stop its workers). Linux only, elsewhere nothing."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes
    import multiprocessing.forkserver
    import signal

    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:
        # a worker of a fork server: the server ends once nobody holds its "alive" pipe,
        # which each worker inherits; let it go, so the server ends with that process
        # and takes its workers with it
        server = getattr(multiprocessing.forkserver, "_forkserver", None)
        alive = getattr(server, "_forkserver_alive_fd", None)
        if alive is not None:
            os.close(alive)
            server._forkserver_alive_fd = None
    if not _alive(parent):
        os._exit(1)  # it died before the prctl took hold


def _alive(pid: int) -> bool:
    """Whether process `pid` still runs."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _context() -> multiprocessing.context.BaseContext:
    """How worker processes start: forked from this one, which has the engine imported
    already (fast), unless other threads run here (a progress display): a fork would copy
    the locks they hold, so the workers come from a clean server process instead."""
    if threading.active_count() == 1 and "fork" in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("fork")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["scheduler.api"])
    return context


def width_of(executor: Executor) -> int:
    """How many calls `executor` runs at once (1 for an executor that does not say)."""
    return max(1, int(getattr(executor, "width", 1)))


def executor_for(
    cluster: str | None, timeout: float = CONNECT_TIMEOUT
) -> LocalProcesses | DaskExecutor:
    """The executor for a `--cluster` value: this machine's cores (`LocalProcesses`) for
    None or "", else a connection to the Dask scheduler at that address. Bad input
    (`BadInput`, one line) when Dask is not installed, the address is not one, or no
    scheduler answers there within `timeout` s."""
    if not cluster:
        return LocalProcesses()
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
