"""Where claims work runs: one ``concurrent.futures.Executor`` interface, three back-ends.

* ``"inprocess"`` (default, also ``None`` / ``"serial"``) — :class:`InProcessExecutor`
  runs each task at ``submit`` time in the calling thread.
* ``"auto"`` — what suits this machine (:func:`resolve_auto`): on a CPU with at least
  two usable cores a local process pool with one worker per core (at most 8) and
  ``cores // workers`` torch threads each; otherwise (one core, or a GPU device) in-process.
* ``"processes"`` / ``"processes:N"`` — a local ``ProcessPoolExecutor`` (spawned
  workers); tasks travel as cloudpickle blobs, so claims built from lambdas work.
* ``"dask-local"`` / ``"dask-local:N"`` — a Dask ``LocalCluster`` on loopback
  (``127.0.0.1``, no dashboard) started and closed with the executor;
  ``"tcp://host:port"`` — an existing Dask distributed scheduler. Needs the
  ``distributed`` extra (``pip install 'ovpcheck[distributed]'``).

Units of work are independent and carry their own seeds (a parameter point of a
sweep or a scaling grid, one claim of a catalog run, one (claim, base seed) run of a
calibration), so results do not depend on the back-end or on completion order:
same seeds, same numbers. Every task also pins torch's intra-op thread count to the
submitting process's (``torch.get_num_threads()``), because a parallel reduction's
rounding can depend on the number of threads.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import multiprocessing
import os
import re
import threading
from typing import Any, Callable, Iterator

__all__ = ["InProcessExecutor", "open_executor", "parse_scheduler", "resolve_auto", "usable_cpus",
           "torch_threads", "SCHEDULER_HELP", "SchedulerError"]

SCHEDULER_HELP = ("'inprocess' (default), 'auto' (a process per core on a multi-core CPU), 'processes[:N]' "
                  "(local process pool), 'dask-local[:N]' (a Dask LocalCluster on 127.0.0.1) or 'tcp://host:port' "
                  "(a running Dask scheduler)")


def usable_cpus() -> int:
    """CPU cores this process may run on (its affinity mask where the OS has one)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def resolve_auto(device: str = "cpu", cpus: int | None = None) -> tuple[str, int | None]:
    """The concrete back-end ``"auto"`` stands for: ``(spec, torch threads per task)``.

    On a CPU device with ``cpus >= 2`` usable cores: ``("processes:W", cpus // W)`` with
    ``W = min(cpus, 8)`` workers. The catalog's tensors are small enough (widths of a few
    hundred to a thousand, K <= 16 trials) that one torch thread per claim is nearly as fast as
    two, so claims side by side use the cores far better than threads inside one claim.
    Otherwise (one core, or a ``cuda`` device: one GPU is shared badly by several processes)
    ``("inprocess", None)`` (torch's thread count left as it is).
    """
    cpus = usable_cpus() if cpus is None else int(cpus)
    if not str(device).startswith("cpu") or cpus < 2:
        return "inprocess", None
    workers = min(cpus, 8)
    return f"processes:{workers}", max(1, cpus // workers)


@contextlib.contextmanager
def torch_threads(n: int | None) -> Iterator[None]:
    """Set torch's intra-op thread count to ``n`` for the block (``None``: unchanged); the
    tasks submitted inside pin their workers to it (see the module doc)."""
    import torch

    old = torch.get_num_threads()
    if n is not None and n != old:
        torch.set_num_threads(int(n))
    try:
        yield
    finally:
        if torch.get_num_threads() != old:
            torch.set_num_threads(old)


class SchedulerError(ValueError):
    """The scheduler/executor spec is malformed, or its back-end is not installed or not reachable.

    The message names the option and lists the accepted forms; nothing was run.
    """


class InProcessExecutor(cf.Executor):
    """Runs each task synchronously inside ``submit`` (the default back-end).

    Exceptions are stored in the returned future like any executor; ``KeyboardInterrupt``,
    ``SystemExit`` and other non-``Exception`` signals propagate at once (Ctrl-C and
    SIGTERM stop the run, they are not a task's result).
    """

    def __init__(self) -> None:
        self._shutdown = False
        self._lock = threading.Lock()

    def submit(self, fn: Callable, /, *args: Any, **kwargs: Any) -> cf.Future:
        with self._lock:
            if self._shutdown:
                raise RuntimeError("cannot submit to an InProcessExecutor after shutdown")
        fut: cf.Future = cf.Future()
        fut.set_running_or_notify_cancel()
        try:
            value = fn(*args, **kwargs)
        except Exception as exc:
            fut.set_exception(exc)
        else:
            fut.set_result(value)
        return fut

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        with self._lock:
            self._shutdown = True


# ----------------------------------------------------------------------------- task wrapping


def _pinned(num_threads: int, fn: Callable, args: tuple, kwargs: dict) -> Any:
    import torch

    if num_threads and torch.get_num_threads() != num_threads:
        torch.set_num_threads(num_threads)
    return fn(*args, **kwargs)


def _run_blob(blob: bytes) -> Any:
    import cloudpickle

    num_threads, fn, args, kwargs = cloudpickle.loads(blob)
    return _pinned(num_threads, fn, args, kwargs)


def _threads() -> int:
    import torch

    return int(torch.get_num_threads())


class _PickledProcessPool(cf.ProcessPoolExecutor):
    """A ProcessPoolExecutor whose tasks are cloudpickled (lambdas, closures, local claims)."""

    def submit(self, fn, /, *args, **kwargs):
        try:
            import cloudpickle
        except ImportError:  # plain pickle: module-level functions and claims only
            return super().submit(_pinned, _threads(), fn, args, kwargs)
        return super().submit(_run_blob, cloudpickle.dumps((_threads(), fn, args, kwargs)))


class _PinnedDaskExecutor(cf.Executor):
    """``distributed.Client.get_executor`` with the thread pinning of every back-end."""

    def __init__(self, client):
        self._inner = client.get_executor(pure=False)

    def submit(self, fn, /, *args, **kwargs):
        return self._inner.submit(_pinned, _threads(), fn, args, kwargs)

    def shutdown(self, wait=True, *, cancel_futures=False):
        self._inner.shutdown(wait=wait)


# ----------------------------------------------------------------------------- specs

_SPEC_RE = re.compile(r"^(inprocess|serial|processes|dask-local)(?::(\d+))?$")


def parse_scheduler(spec: str | None, option: str = "scheduler") -> tuple[str, Any]:
    """Validate a scheduler spec; returns ``(kind, arg)``: ``("inprocess", None)``,
    ``("processes", N)``, ``("dask-local", N)`` or ``("dask", "tcp://host:port")``.

    Raises :class:`SchedulerError` naming ``option`` and the accepted forms.
    """
    if spec is None:
        return ("inprocess", None)
    if isinstance(spec, str) and spec.strip() == "auto":
        return parse_scheduler(resolve_auto()[0], option)
    if not isinstance(spec, str):
        raise SchedulerError(f"{option} must be a string, one of {SCHEDULER_HELP}; got {spec!r}")
    s = spec.strip()
    if s.startswith("tcp://"):
        m = re.match(r"^tcp://([A-Za-z0-9_.\-\[\]:]+):(\d{1,5})$", s)
        if not m or not (0 < int(m.group(2)) < 65536):
            raise SchedulerError(f"{option}: {spec!r} is not a scheduler address; write tcp://HOST:PORT, "
                                 f"e.g. tcp://127.0.0.1:8786")
        return ("dask", s)
    m = _SPEC_RE.match(s)
    if not m:
        raise SchedulerError(f"{option}: unknown scheduler {spec!r}; use {SCHEDULER_HELP}")
    kind, n = m.group(1), m.group(2)
    if kind in ("inprocess", "serial"):
        if n is not None:
            raise SchedulerError(f"{option}: {kind!r} takes no worker count, got {spec!r}")
        return ("inprocess", None)
    workers = int(n) if n is not None else max(1, min(4, os.cpu_count() or 1))
    if workers < 1:
        raise SchedulerError(f"{option}: the worker count in {spec!r} must be >= 1")
    return (kind, workers)


def _need_distributed(option: str):
    try:
        import distributed  # noqa: F401
    except ImportError:
        raise SchedulerError(f"{option}: the Dask back-end needs dask.distributed, which is not installed; "
                             f"pip install 'ovpcheck[distributed]' (or use 'inprocess' / 'processes')") from None
    return distributed


@contextlib.contextmanager
def open_executor(spec: str | cf.Executor | None = None, option: str = "scheduler") -> Iterator[cf.Executor]:
    """``with open_executor(spec) as ex:`` — an Executor for ``spec`` (see module doc).

    An Executor instance passes through unchanged (the caller owns it). Back-ends
    started here (process pool, LocalCluster, Client) are shut down on exit.
    """
    if isinstance(spec, cf.Executor):
        yield spec
        return
    kind, arg = parse_scheduler(spec, option)
    if kind == "inprocess":
        ex = InProcessExecutor()
        try:
            yield ex
        finally:
            ex.shutdown()
        return
    if kind == "processes":
        ex = _PickledProcessPool(max_workers=arg, mp_context=multiprocessing.get_context("spawn"))
        try:
            yield ex
        finally:
            ex.shutdown(wait=True, cancel_futures=True)
        return
    distributed = _need_distributed(option)
    with contextlib.ExitStack() as stack:
        if kind == "dask-local":
            cluster = stack.enter_context(distributed.LocalCluster(
                n_workers=arg, threads_per_worker=1, processes=True, host="127.0.0.1",
                dashboard_address=None))
            client = stack.enter_context(distributed.Client(cluster))
        else:
            try:
                client = stack.enter_context(distributed.Client(arg, timeout=10))
            except (OSError, TimeoutError) as exc:
                raise SchedulerError(f"{option}: cannot reach the Dask scheduler at {arg} ({exc}); start one "
                                     f"(dask scheduler --host HOST) or use 'dask-local'") from None
        ex = _PinnedDaskExecutor(client)
        try:
            yield ex
        finally:
            ex.shutdown(wait=True)
