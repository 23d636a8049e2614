"""Where claims work runs: one ``concurrent.futures.Executor`` interface, three back-ends.

* ``"inprocess"`` (default, also ``None`` / ``"serial"``) — :class:`InProcessExecutor`
  runs each task at ``submit`` time in the calling thread.
* ``"auto"`` — what suits this machine (:func:`resolve_auto`): on a CPU with at least
  two usable cores a local process pool with one worker per core (at most 8) and
  ``cores // workers`` torch threads each; otherwise (one core, or a GPU device) in-process.
* ``"processes"`` / ``"processes:N"`` — a local pool of N spawned worker processes
  (:class:`KillablePool`), each running one task at a time; tasks travel as cloudpickle
  blobs, so claims built from lambdas work.
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

Hard time limits. A claim's hard limit (``Profile.hard_timeout_s``) is enforced by
SIGALRM inside :func:`claims.check`, which works only in the main thread of a process.
The process pool and the Dask back-ends therefore also enforce it from outside, for the
tasks submitted through :func:`submit_with_limit` (one claim of a run, one calibration
run): a task still running past its limit has its worker killed and replaced, and its
future fails with :class:`HardTimeLimit` ("hard time limit of S s reached; worker killed
and replaced"); every other task goes on (a Dask task queued on the killed worker is
submitted again). In a pool worker SIGALRM still gets the first chance (it stops the claim
with a traceback of where the time went); the kill comes ``kill_grace_s(S)`` later, for
a claim stuck where no signal reaches it. Dask workers run tasks in threads, where no
signal reaches: there the kill comes at ``S`` (measured by the worker from the moment the
task started; a worker whose Nanny can restart it is replaced, one without a Nanny is
retired).
"""

from __future__ import annotations

import atexit
import collections
import concurrent.futures as cf
import contextlib
import math
import multiprocessing
import os
import re
import threading
import time
import uuid
import weakref
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Callable, Iterator

__all__ = ["InProcessExecutor", "KillablePool", "HardTimeLimit", "open_executor", "parse_scheduler", "resolve_auto",
           "usable_cpus", "torch_threads", "local_pool_threads", "SCHEDULER_HELP", "SchedulerError", "submit_with_limit",
           "enforces_limits", "kill_grace_s"]

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


def local_pool_threads(spec: str | None, device: str = "cpu", cpus: int | None = None) -> int | None:
    """Torch threads per worker for a local pool spec on a CPU device: ``max(1, cpus // N)`` for
    ``processes:N`` / ``dask-local:N`` (N defaults as in :func:`parse_scheduler`);
    ``None`` (leave torch's count alone) for anything else: in-process, a remote scheduler, a
    GPU device, or an invalid spec (which :func:`open_executor` then refuses)."""
    if not isinstance(spec, str) or not str(device).startswith("cpu"):
        return None
    m = _SPEC_RE.match(spec.strip())
    if not m or m.group(1) not in ("processes", "dask-local"):
        return None
    cpus = usable_cpus() if cpus is None else int(cpus)
    workers = int(m.group(2)) if m.group(2) else max(1, min(4, os.cpu_count() or 1))
    return max(1, cpus // max(1, workers))


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


def _threads() -> int:
    import torch

    return int(torch.get_num_threads())


def _dumps(obj) -> bytes:
    try:
        import cloudpickle
    except ImportError:  # plain pickle: module-level functions and claims only
        import pickle

        return pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    return cloudpickle.dumps(obj)


def _loads(blob: bytes):
    import pickle

    return pickle.loads(blob)   # cloudpickle's output is plain pickle data


# ----------------------------------------------------------------------------- hard time limits


class HardTimeLimit(Exception):
    """A task ran past its hard time limit and its worker was killed (the future's exception).

    ``limit_s`` the limit, ``elapsed_s`` how long the task had run when it was stopped,
    ``action`` what was done to its worker (e.g. ``"worker killed and replaced"``).
    """

    def __init__(self, limit_s: float, elapsed_s: float, action: str = "worker killed and replaced",
                 where: str = ""):
        self.limit_s, self.elapsed_s, self.action, self.where = float(limit_s), float(elapsed_s), action, where
        super().__init__(f"hard time limit of {self.limit_s:g} s reached; {action}")

    def __reduce__(self):
        return (type(self), (self.limit_s, self.elapsed_s, self.action, self.where))


def kill_grace_s(limit_s: float) -> float:
    """How long after its limit a pool worker is killed: the SIGALRM inside the task gets the
    first chance (10 % of the limit, at least 2 s, at most 30 s)."""
    return min(30.0, max(2.0, 0.1 * float(limit_s)))


def enforces_limits(executor) -> bool:
    """Whether ``executor`` stops a task past its hard limit from outside (kills its worker)."""
    return callable(getattr(executor, "submit_with_limit", None))


def submit_with_limit(executor: cf.Executor, limit_s: float | None, fn: Callable, /, *args: Any,
                      **kwargs: Any) -> cf.Future:
    """``executor.submit(fn, *args, **kwargs)`` with a hard time limit where the back-end can
    enforce one (:func:`enforces_limits`): past ``limit_s`` seconds of running, the task's worker is
    killed and replaced and the future fails with :class:`HardTimeLimit`. Elsewhere (in-process,
    a foreign executor) a plain ``submit``; ``limit_s`` None, inf or <= 0: no limit."""
    if (enforces_limits(executor) and limit_s is not None and math.isfinite(limit_s) and limit_s > 0):
        return executor.submit_with_limit(float(limit_s), fn, *args, **kwargs)
    return executor.submit(fn, *args, **kwargs)


# ----------------------------------------------------------------------------- process pool

_LIVE_POOLS: "weakref.WeakSet[KillablePool]" = weakref.WeakSet()
_ATEXIT = [False]


def _terminate_live_pools() -> None:   # before multiprocessing's own atexit joins the workers
    for pool in list(_LIVE_POOLS):
        with contextlib.suppress(Exception):
            pool.terminate()


def _watch_parent(parent_pid: int) -> None:
    while True:
        time.sleep(1.0)
        if os.getppid() != parent_pid:
            os._exit(1)   # the parent is gone: no one will read this worker's result


def _pool_worker_main(conn, parent_pid: int) -> None:
    """A pool worker: runs one task at a time, as sent by the pool's manager thread.

    Messages to the parent: ``("ready", pid)`` once imports are done, ``("start",)`` when a task
    begins (after unpickling), ``("done", ok, blob)`` with the pickled result or exception.
    Ignores SIGINT: Ctrl-C is the parent's to handle, and it ends its workers.
    """
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_watch_parent, args=(parent_pid,), daemon=True, name="ovp-parent-watch").start()
    with contextlib.suppress(Exception):  # warm up: what every claims task needs, before the clock runs
        import torch  # noqa: F401

        import claims  # noqa: F401
    conn.send(("ready", os.getpid()))
    while True:
        try:
            blob = conn.recv_bytes()
        except (EOFError, OSError):
            return
        if not blob:
            return
        try:
            num_threads, fn, args, kwargs = _loads(blob)
            conn.send(("start",))
            value, ok = _pinned(num_threads, fn, args, kwargs), True
        except BaseException as exc:  # noqa: BLE001 - a task's exception is its result
            value, ok = exc, False
        try:
            out = _dumps(value)
        except Exception as exc:  # noqa: BLE001
            out, ok = _dumps(RuntimeError(f"the task's {'result' if ok else 'exception'} could not be pickled: "
                                          f"{type(exc).__name__}: {exc}; {value!r:.300}")), False
        try:
            conn.send(("done", ok, out))
        except (EOFError, OSError):
            return


class _Task:
    __slots__ = ("future", "blob", "limit")

    def __init__(self, future, blob, limit):
        self.future, self.blob, self.limit = future, blob, limit


def _drop(t: _Task) -> None:
    """A queued task that will not run: cancelled (failed with CancelledError if already marked running)."""
    if not t.future.cancel() and not t.future.done():
        t.future.set_exception(cf.CancelledError("the process pool was shut down before the task ran"))


class _Proc:
    __slots__ = ("process", "conn", "ready", "task", "started", "deadline", "pid")

    def __init__(self, process, conn):
        self.process, self.conn = process, conn
        self.ready, self.task, self.started, self.deadline, self.pid = False, None, 0.0, None, process.pid


class KillablePool(cf.Executor):
    """A local pool of ``max_workers`` spawned worker processes, one task at a time each, that
    can stop a single task: the process of a task past its hard limit (:meth:`submit_with_limit`)
    is killed and a fresh one takes its place; finished results and the other tasks are kept.

    A worker that dies on its own fails only its task (``BrokenProcessPool``) and is replaced.
    :meth:`terminate` ends every worker at once (an interrupted run); ``shutdown(wait=True)``
    lets the submitted tasks finish first. Tasks travel as cloudpickle blobs (lambdas, closures
    and locally defined claims work) and pin torch's thread count to the submitter's.
    """

    #: seconds a spawned worker may take to import and unpickle a task before its clock starts
    startup_allowance_s = 120.0

    def __init__(self, max_workers: int, mp_context=None):
        if max_workers < 1:
            raise ValueError("max_workers must be >= 1")
        self._n = int(max_workers)
        self._ctx = mp_context or multiprocessing.get_context("spawn")
        self._lock = threading.RLock()   # (a future's callbacks may submit again from inside it)
        self._pending: collections.deque[_Task] = collections.deque()
        self._procs: list[_Proc] = []
        self._shutdown = False
        self._terminate = False
        self._manager: threading.Thread | None = None
        self._wake_r, self._wake_w = multiprocessing.Pipe(duplex=False)
        self._spawn_failures = 0
        self._failure = ""
        self.killed = 0   # workers killed at a hard limit (for tests and diagnostics)

    # -- public API

    def submit(self, fn: Callable, /, *args: Any, **kwargs: Any) -> cf.Future:
        return self._submit(None, fn, args, kwargs)

    def submit_with_limit(self, limit_s: float, fn: Callable, /, *args: Any, **kwargs: Any) -> cf.Future:
        """``submit`` with a hard limit of ``limit_s`` s of running: SIGALRM inside the task may stop it
        first; ``kill_grace_s(limit_s)`` later the worker is killed and replaced, and the future fails
        with :class:`HardTimeLimit`."""
        return self._submit(float(limit_s), fn, args, kwargs)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        with self._lock:
            self._shutdown = True
            if cancel_futures:
                while self._pending:
                    _drop(self._pending.popleft())
            mgr = self._manager
        self._wake()
        if wait and mgr is not None and mgr is not threading.current_thread():
            mgr.join()

    def terminate(self) -> None:
        """Cancel the queued tasks and kill every worker now; running tasks fail with BrokenProcessPool."""
        with self._lock:
            self._shutdown = self._terminate = True
            while self._pending:
                _drop(self._pending.popleft())
            mgr = self._manager
        self._wake()
        if mgr is not None and mgr is not threading.current_thread():
            mgr.join(timeout=30)

    # -- internals

    def _submit(self, limit, fn, args, kwargs) -> cf.Future:
        blob = _dumps((_threads(), fn, args, kwargs))    # pickling errors surface here, in the caller
        fut: cf.Future = cf.Future()
        with self._lock:
            if self._shutdown:
                raise RuntimeError("cannot submit to a process pool after shutdown")
            self._pending.append(_Task(fut, blob, limit))
            if self._manager is None:
                if not _ATEXIT[0]:
                    atexit.register(_terminate_live_pools)
                    _ATEXIT[0] = True
                _LIVE_POOLS.add(self)
                self._manager = threading.Thread(target=self._manage, daemon=True, name="ovp-process-pool")
                self._manager.start()
        self._wake()
        return fut

    def _wake(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            self._wake_w.send_bytes(b"w")

    def _spawn(self) -> None:
        parent, child = self._ctx.Pipe(duplex=True)
        proc = self._ctx.Process(target=_pool_worker_main, args=(child, os.getpid()), name="ovpcheck-worker")
        proc.start()
        child.close()
        self._procs.append(_Proc(proc, parent))

    def _retire(self, p: _Proc, kill: bool) -> None:
        if p in self._procs:
            self._procs.remove(p)
        if kill and p.process.is_alive():
            p.process.kill()
        p.process.join(timeout=10)
        if p.process.is_alive():  # pragma: no cover - a process that survives SIGKILL for 10 s
            p.process.kill()
        with contextlib.suppress(Exception):
            p.conn.close()
        with contextlib.suppress(Exception):
            p.process.close()

    def _dispatch(self) -> None:
        now = time.monotonic()
        for p in self._procs:
            if not p.ready or p.task is not None:
                continue
            with self._lock:
                task = None
                while self._pending:
                    t = self._pending.popleft()
                    if t.future.running() or t.future.set_running_or_notify_cancel():
                        task = t
                        break
            if task is None:
                return
            try:
                p.conn.send_bytes(task.blob)
            except (OSError, ValueError):   # the worker is gone: the task never started, queue it again
                with self._lock:
                    self._pending.appendleft(task)   # (its future stays running: it is dispatched again)
                continue
            p.task, p.started = task, now
            p.deadline = None if task.limit is None else now + self.startup_allowance_s + task.limit

    def _finish(self, p: _Proc, ok: bool, blob: bytes) -> None:
        t, p.task, p.deadline = p.task, None, None
        if t is None:
            return
        try:
            value = _loads(blob)
        except Exception as exc:  # noqa: BLE001
            value, ok = RuntimeError(f"the task's result could not be unpickled: {type(exc).__name__}: {exc}"), False
        if ok:
            t.future.set_result(value)
        else:
            t.future.set_exception(value if isinstance(value, BaseException) else RuntimeError(repr(value)))

    def _read(self, p: _Proc) -> bool:
        """Handle every message waiting from ``p``; False if its pipe is closed (the worker died)."""
        try:
            while p.conn.poll():
                msg = p.conn.recv()
                if msg[0] == "ready":
                    p.ready = True
                    self._spawn_failures = 0
                elif msg[0] == "start" and p.task is not None:
                    p.started = time.monotonic()
                    if p.task.limit is not None:
                        p.deadline = p.started + p.task.limit + kill_grace_s(p.task.limit)
                elif msg[0] == "done":
                    self._finish(p, msg[1], msg[2])
        except (EOFError, OSError):
            return False
        return True

    def _died(self, p: _Proc) -> None:
        p.process.join(timeout=1)
        code = p.process.exitcode
        self._retire(p, kill=True)
        if p.task is not None:
            t, p.task = p.task, None
            t.future.set_exception(BrokenProcessPool(
                f"a worker process (pid {p.pid}) died while running the task (exit code {code})"))
        elif not p.ready:
            self._spawn_failures += 1

    def _kill_overdue(self, p: _Proc, now: float) -> None:
        t, elapsed = p.task, now - p.started
        p.task = None
        self._retire(p, kill=True)
        self.killed += 1
        t.future.set_exception(HardTimeLimit(t.limit, elapsed, "worker killed and replaced",
                                             f"pool worker pid {p.pid}"))

    def _manage(self) -> None:
        from multiprocessing.connection import wait

        try:
            while True:
                with self._lock:
                    if self._terminate:
                        break
                    busy = sum(p.task is not None for p in self._procs)
                    queued = len(self._pending)
                    if self._shutdown and not queued and not busy:
                        break
                if self._spawn_failures >= 3:   # workers die before they are ready: do not loop forever
                    with self._lock:
                        doomed = list(self._pending)
                        self._pending.clear()
                    for t in doomed:
                        if t.future.running() or t.future.set_running_or_notify_cancel():
                            t.future.set_exception(BrokenProcessPool("worker processes die while starting"))
                    self._spawn_failures = 0
                    continue
                want = min(self._n, busy + queued)
                while len(self._procs) < want:
                    self._spawn()
                self._dispatch()
                now = time.monotonic()
                deadlines = [p.deadline for p in self._procs if p.deadline is not None]
                timeout = None if not deadlines else max(0.0, min(deadlines) - now)
                objs = [self._wake_r] + [p.conn for p in self._procs] + [p.process.sentinel for p in self._procs]
                ready = wait(objs, timeout=None if timeout is None else min(timeout, 5.0))
                if self._wake_r in ready:
                    with contextlib.suppress(EOFError, OSError):
                        while self._wake_r.poll():
                            self._wake_r.recv_bytes()
                for p in list(self._procs):
                    alive = self._read(p)
                    if not alive or (p.process.sentinel in ready and not p.process.is_alive()):
                        if alive:
                            self._read(p)   # a result sent just before it died still counts
                        self._died(p)
                now = time.monotonic()
                for p in list(self._procs):
                    if p.task is not None and p.deadline is not None and now >= p.deadline:
                        self._kill_overdue(p, now)
        except BaseException as exc:  # pragma: no cover - a bug here must not leave futures hanging
            self._failure = f"the process pool's manager thread failed: {type(exc).__name__}: {exc}"
            with self._lock:
                self._terminate = True
            raise
        finally:
            self._stop_all()

    def _stop_all(self) -> None:
        with self._lock:
            self._shutdown = True    # nothing new is accepted once the manager is gone
            terminate = self._terminate
            doomed = list(self._pending)
            self._pending.clear()
        for t in doomed:
            _drop(t)
        for p in list(self._procs):
            if not terminate and p.task is None:
                with contextlib.suppress(OSError, ValueError):
                    p.conn.send_bytes(b"")   # a clean exit
        deadline = time.monotonic() + (0.0 if terminate else 5.0)
        for p in list(self._procs):
            p.process.join(timeout=max(0.0, deadline - time.monotonic()))
            t = p.task
            self._retire(p, kill=True)
            if t is not None and not t.future.done():
                t.future.set_exception(BrokenProcessPool(self._failure or "the process pool was terminated while "
                                                                          "the task ran"))
        _LIVE_POOLS.discard(self)
        with contextlib.suppress(Exception):
            self._wake_r.close()
            self._wake_w.close()


# ----------------------------------------------------------------------------- Dask

_DASK_RUNNING: dict[str, float] = {}   # in a Dask worker process: token -> time.monotonic() at start


def _dask_task(token: str, num_threads: int, fn: Callable, args: tuple, kwargs: dict) -> Any:
    """A task on a Dask worker: records when it started (for :func:`_dask_running`), runs pinned."""
    _DASK_RUNNING[token] = time.monotonic()
    try:
        return _pinned(num_threads, fn, args, kwargs)
    finally:
        _DASK_RUNNING.pop(token, None)


def _dask_running() -> dict[str, float]:
    """Run on each worker (``client.run``): seconds each of its limited tasks has been running."""
    now = time.monotonic()
    return {tok: now - t0 for tok, t0 in list(_DASK_RUNNING.items())}


def _exit_soon() -> int:
    """Run on a worker (``client.run``): end its process in 50 ms, after the reply is sent (its
    Nanny, if any, starts a fresh worker). Returns the pid."""
    threading.Timer(0.05, os._exit, (70,)).start()
    return os.getpid()


class _DaskEntry:
    __slots__ = ("future", "payload", "limit", "dfut", "token", "epoch", "retries")

    def __init__(self, future, payload, limit):
        self.future, self.payload, self.limit = future, payload, limit
        self.dfut, self.token, self.epoch, self.retries = None, "", 0, 0


class _DaskExecutor(cf.Executor):
    """Tasks on a Dask ``Client`` (``pure=False``), with the thread pinning of every back-end and
    hard limits (:meth:`submit_with_limit`): a monitor thread asks the workers every ``poll_s``
    seconds how long their limited tasks have been running; one past its limit is cancelled, its
    worker restarted through its Nanny (retired where it has none), the other tasks queued there
    are submitted again, and the future fails with :class:`HardTimeLimit`."""

    def __init__(self, client, poll_s: float = 0.5):
        self._client = client
        self._poll_s = float(poll_s)
        self._lock = threading.RLock()
        self._entries: dict[str, _DaskEntry] = {}   # Dask key -> entry, while the task is outstanding
        self._shutdown = False
        self._restarts = 0
        self._stop = threading.Event()
        self._monitor: threading.Thread | None = None
        self.killed = 0

    def submit(self, fn: Callable, /, *args: Any, **kwargs: Any) -> cf.Future:
        return self._submit(None, fn, args, kwargs)

    def submit_with_limit(self, limit_s: float, fn: Callable, /, *args: Any, **kwargs: Any) -> cf.Future:
        """``submit`` with a hard limit of ``limit_s`` s of running, measured by the worker."""
        return self._submit(float(limit_s), fn, args, kwargs)

    def _submit(self, limit, fn, args, kwargs) -> cf.Future:
        with self._lock:
            if self._shutdown:
                raise RuntimeError("cannot submit to a Dask executor after shutdown")
        e = _DaskEntry(cf.Future(), (_threads(), fn, args, kwargs), limit)
        e.future.set_running_or_notify_cancel()
        self._launch(e)
        if limit is not None:
            with self._lock:
                if self._monitor is None:
                    self._monitor = threading.Thread(target=self._watch, daemon=True, name="ovp-dask-limits")
                    self._monitor.start()
        return e.future

    def _launch(self, e: _DaskEntry) -> None:
        e.token = uuid.uuid4().hex
        d = self._client.submit(_dask_task, e.token, *e.payload, pure=False)
        with self._lock:
            e.dfut, e.epoch = d, self._restarts
            self._entries[d.key] = e
        d.add_done_callback(lambda f, e=e: self._on_done(e, f))

    @staticmethod
    def _settle(e: _DaskEntry, value=None, exc: BaseException | None = None) -> None:
        if e.future.done():
            return
        with contextlib.suppress(cf.InvalidStateError):
            if exc is not None:
                e.future.set_exception(exc)
            else:
                e.future.set_result(value)

    def _on_done(self, e: _DaskEntry, d) -> None:
        with self._lock:
            if e.dfut is not d or e.future.done():   # stale: timed out, or submitted again
                return
            self._entries.pop(d.key, None)
        try:
            if d.status == "finished":
                self._settle(e, d.result())
                return
            exc = d.exception() if d.status == "error" else cf.CancelledError(f"the Dask task {d.key} was cancelled")
        except BaseException as err:  # noqa: BLE001 - e.g. the client is closing
            exc = err
        with self._lock:
            # lost with a worker this executor restarted (KilledWorker, cancelled): run it again
            again = (not self._shutdown and e.epoch < self._restarts and e.retries < 2
                     and (isinstance(exc, cf.CancelledError) or type(exc).__name__ == "KilledWorker"))
            if again:
                e.retries += 1
        if again:
            try:
                self._launch(e)
                return
            except Exception as err:  # noqa: BLE001
                exc = err
        self._settle(e, exc=exc)

    def _watch(self) -> None:
        seen: dict[str, tuple[str, float, float]] = {}   # token -> (worker, seconds running, when asked)
        while not self._stop.wait(self._poll_s):
            with self._lock:
                limited = [e for e in self._entries.values() if e.limit is not None]
            if not limited:
                continue
            try:
                rep = self._client.run(_dask_running, on_error="ignore", callback_timeout=max(5.0, 4 * self._poll_s))
            except Exception:  # noqa: BLE001 - a worker coming or going; ask again next time
                rep = {}
            now = time.monotonic()
            for addr, tasks in (rep or {}).items():
                for tok in [t for t, (a, _, _) in seen.items() if a == addr and t not in tasks]:
                    del seen[tok]    # finished there
                for tok, el in (tasks if isinstance(tasks, dict) else {}).items():
                    seen[tok] = (addr, float(el), now)
            live = {e.token for e in limited}
            for tok in [t for t in seen if t not in live]:
                del seen[tok]
            for e in limited:
                if e.token in seen:
                    addr, el, asked = seen[e.token]
                    elapsed = el + (now - asked)   # a worker that stopped answering still ages
                    if elapsed > e.limit:
                        seen.pop(e.token, None)
                        self._time_out(e, addr, elapsed)

    def _time_out(self, e: _DaskEntry, addr: str, elapsed: float) -> None:
        client = self._client
        with self._lock:
            if e.future.done() or e.dfut is None or self._entries.get(e.dfut.key) is not e:
                return
            hung = e.dfut
            self._entries.pop(hung.key)
            e.dfut = None
        try:
            queued = client.processing(workers=[addr]).get(addr, [])
        except Exception:  # noqa: BLE001
            queued = []
        movers = []
        with self._lock:
            for key in queued:
                m = self._entries.get(key)
                if m is not None and m is not e:
                    movers.append((m, m.dfut))
                    self._entries.pop(key)
                    m.dfut = None
            self._restarts += 1
        with contextlib.suppress(Exception):   # not run again when the scheduler reschedules the worker's tasks
            client.cancel([hung] + [d for _, d in movers], reason="hard time limit: worker being restarted")
        action = self._kill_worker(addr)
        self.killed += 1
        for m, _ in movers:
            try:
                self._launch(m)
            except Exception as exc:  # noqa: BLE001
                self._settle(m, exc=exc)
        self._settle(e, exc=HardTimeLimit(e.limit, elapsed, action, f"Dask worker {addr}"))

    def _kill_worker(self, addr: str) -> str:
        """End the worker at ``addr`` now; what was done, for the message. Its Nanny (if any) starts a
        fresh one. A worker whose event loop does not answer is restarted through the scheduler instead
        (its Nanny terminates the process)."""
        client = self._client
        try:
            nanny = (client.scheduler_info(n_workers=-1).get("workers", {}).get(addr) or {}).get("nanny")
            done = client.run(_exit_soon, workers=[addr], on_error="return", callback_timeout=10)
            if not isinstance(done.get(addr), int):
                raise RuntimeError(f"the worker did not answer: {done.get(addr)!r}")
            return "worker killed and replaced" if nanny else "worker killed (it has no Nanny to replace it)"
        except Exception:  # noqa: BLE001 - fall back on the scheduler
            pass
        try:
            res = client.restart_workers([addr], timeout=120, raise_for_error=False)
            status = res.get(addr, "OK")
            return "worker killed and replaced" if status == "OK" else f"worker restart: {status}"
        except ValueError:   # no Nanny to restart it: retire it
            try:
                client.retire_workers(workers=[addr], close_workers=True, remove=True)
                return "worker retired (it has no Nanny to replace it)"
            except Exception as exc:  # noqa: BLE001
                return f"worker could not be stopped ({type(exc).__name__}: {exc})"
        except Exception as exc:  # noqa: BLE001
            return f"worker restart failed ({type(exc).__name__}: {exc})"

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        with self._lock:
            self._shutdown = True
            pending = list(self._entries.values())
        if cancel_futures:
            self.cancel_all()
        elif wait:
            cf.wait([e.future for e in pending])
        self._stop.set()
        if self._monitor is not None and self._monitor is not threading.current_thread():
            self._monitor.join(timeout=30)

    def cancel_all(self) -> None:
        """Cancel every outstanding task (an interrupted run); their futures fail with CancelledError."""
        with self._lock:
            self._shutdown = True
            pending = list(self._entries.values())
            self._entries.clear()
            dfuts = [e.dfut for e in pending if e.dfut is not None]
            for e in pending:
                e.dfut = None
        with contextlib.suppress(Exception):
            self._client.cancel(dfuts, reason="the run was interrupted")
        for e in pending:
            self._settle(e, exc=cf.CancelledError("the run was interrupted"))


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
    started here (process pool, LocalCluster, Client) are shut down on exit; leaving the
    block by an exception (Ctrl-C, SIGTERM) ends the pool's workers at once and cancels
    the Dask tasks instead of waiting for them.
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
        pool = KillablePool(max_workers=arg, mp_context=multiprocessing.get_context("spawn"))
        try:
            yield pool
        except BaseException:
            pool.terminate()
            raise
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
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
        ex = _DaskExecutor(client)
        try:
            yield ex
        except BaseException:
            ex.cancel_all()
            raise
        finally:
            ex.shutdown(wait=True)
