"""Batch work on Dask: many independent tasks, one per area, on a ``dask.distributed`` cluster.

The one home of parallel work in the atlas (``atlas build --all``,
``atlas stats --all-districts``, ``atlas export --all``): a
:class:`distributed.LocalCluster` by default (one thread per worker process,
no dashboard), or an existing cluster at a scheduler address. Each task is
submitted with ``retries``; a task that still fails does not stop the others,
and :class:`BatchResult` lists it with its error. A progress line is written
to standard error as tasks finish. A scheduler that cannot be reached raises
:class:`atlas.errors.AtlasError` after ``connect_timeout`` seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
import time
from dataclasses import dataclass, field
from typing import Callable, Iterator

from .errors import AtlasError

#: Seconds to wait for an existing scheduler before giving up (the issue asks for under 10 s).
CONNECT_TIMEOUT_S = 5
#: Retries of a failed task before it is counted as failed.
DEFAULT_RETRIES = 1


@dataclass
class BatchResult:
    """What a batch did.

    Attributes
    ----------
    results : dict
        Task key -> the function's return value, for the tasks that succeeded (in submission order).
    failed : dict
        Task key -> ``"ErrorType: message"`` for the tasks that failed after their retries.
    seconds : float
        Wall-clock time of the batch (cluster start included).
    workers : int
        Worker processes (or threads) the cluster had when the batch started.
    scheduler : str
        ``local`` or the address of the existing scheduler.
    """

    results: dict = field(default_factory=dict)
    failed: dict = field(default_factory=dict)
    seconds: float = 0.0
    workers: int = 0
    scheduler: str = "local"

    def summary(self) -> str:
        """One line per failure after a count line, for the command line."""
        head = (f"{len(self.results)} of {len(self.results) + len(self.failed)} tasks done in {self.seconds:.1f} s "
                f"on {self.workers} worker(s) ({self.scheduler}); {len(self.failed)} failed")
        return "\n".join([head] + [f"  failed: {key}: {error}" for key, error in self.failed.items()])


def default_workers() -> int:
    """Workers of the local cluster when none is asked for: every core, at most 4."""
    return max(1, min(4, os.cpu_count() or 1))


@contextlib.contextmanager
def client(workers: int | None = None, scheduler: str | None = None, processes: bool = True,
           connect_timeout: float = CONNECT_TIMEOUT_S) -> Iterator:
    """A ``distributed.Client`` on a new local cluster, or on the scheduler at ``scheduler``.

    Parameters
    ----------
    workers : int, optional
        Workers of the local cluster (default :func:`default_workers`); ignored with ``scheduler``.
    scheduler : str, optional
        Address of an existing Dask scheduler, e.g. ``tcp://10.0.0.5:8786``.
    processes : bool
        Local workers as processes (True) or threads in this process (False: light, for tests).
    connect_timeout : float
        Seconds to wait for ``scheduler``.

    Yields
    ------
    distributed.Client

    Raises
    ------
    AtlasError
        If ``workers`` is below 1 or the scheduler cannot be reached in time.
    """
    from distributed import Client, LocalCluster

    if scheduler:
        check_scheduler(scheduler, connect_timeout)
        with Client(scheduler, timeout=f"{connect_timeout}s", set_as_default=False) as connected:
            yield connected
        return
    n = default_workers() if workers is None else int(workers)
    if n < 1:
        raise AtlasError(f"--workers must be 1 or more (got {n}).")
    with LocalCluster(n_workers=n, threads_per_worker=1, processes=processes, dashboard_address=None,
                      silence_logs=logging.CRITICAL) as cluster, Client(cluster, set_as_default=False) as local:
        yield local


def check_scheduler(address: str, timeout: float = CONNECT_TIMEOUT_S) -> None:
    """Open and close one connection to a Dask scheduler, or fail within ``timeout`` seconds.

    Done before a ``Client`` is made: a client that fails half-way through
    connecting blocks for its own close time, and an address that answers with
    something other than Dask fails in odd ways; this check turns each into one message.

    Raises
    ------
    AtlasError
        Naming the address, the wait and what went wrong.
    """
    from distributed.comm import connect

    async def probe():
        comm = await connect(address, timeout=timeout)
        await comm.close()

    try:
        asyncio.run(asyncio.wait_for(probe(), timeout + 0.5))
    except Exception as exc:  # whatever the far end did: unreachable, refused, not a Dask scheduler
        reason = str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__
        raise AtlasError(f"Cannot reach the Dask scheduler at {address} within {timeout:g} s ({reason}); "
                         f"check the address (tcp://HOST:PORT) and that the scheduler runs.") from None


def run_batch(function: Callable, tasks: dict, shared: dict | None = None, workers: int | None = None,
              scheduler: str | None = None, retries: int = DEFAULT_RETRIES, processes: bool = True,
              label: str = "tasks", progress: bool = True, connect_timeout: float = CONNECT_TIMEOUT_S) -> BatchResult:
    """Run ``function(*args, **shared)`` for every ``key: args`` of ``tasks`` on a Dask cluster.

    Parameters
    ----------
    function : callable
        A module-level function (it is pickled to the workers).
    tasks : dict
        Task key (e.g. an authority code) -> tuple of positional arguments.
    shared : dict, optional
        Keyword arguments every task gets; sent to each worker once (``scatter``, broadcast).
    workers, scheduler, processes, connect_timeout
        As :func:`client`.
    retries : int
        Times a failed task is tried again before it counts as failed.
    label : str
        What the tasks are, for the progress line (``districts``, ``maps``...).
    progress : bool
        Write a progress line to standard error as tasks finish.

    Returns
    -------
    BatchResult
    """
    from distributed import as_completed

    started = time.perf_counter()
    out = BatchResult(scheduler=scheduler or "local")
    if not tasks:
        return out
    with client(workers, scheduler, processes, connect_timeout) as dask, _quiet():
        out.workers = len(dask.scheduler_info(n_workers=-1).get("workers", {}))
        sent = {k: dask.scatter(v, broadcast=True, hash=False) for k, v in (shared or {}).items()}
        futures = {dask.submit(function, *args, **sent, key=f"atlas-{_safe(key)}-{n}", retries=retries,
                               pure=False): key for n, (key, args) in enumerate(tasks.items())}
        finished = {}
        for future in as_completed(futures, loop=dask.loop):
            key = futures[future]
            if future.status == "finished":
                finished[key] = future.result()
            else:
                error = future.exception()
                out.failed[key] = f"{type(error).__name__}: {error}"
            if progress:
                _progress(label, len(finished) + len(out.failed), len(tasks), len(out.failed), started)
        out.results = {key: finished[key] for key in tasks if key in finished}
        out.failed = {key: out.failed[key] for key in tasks if key in out.failed}
    if progress:
        print(file=sys.stderr)
    out.seconds = time.perf_counter() - started
    return out


@contextlib.contextmanager
def _quiet():
    """Dask's own log lines (a task's traceback) off while the batch runs: failures are in the summary."""
    logger = logging.getLogger("distributed")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(level)


def _safe(key) -> str:
    return "".join(c if c.isalnum() else "-" for c in str(key))[:60]


def _progress(label: str, done: int, total: int, failed: int, started: float) -> None:
    width = 30
    filled = int(width * done / total)
    print(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} {label}, {failed} failed, "
          f"{time.perf_counter() - started:.0f} s", end="", file=sys.stderr, flush=True)
