"""Signals that are never lost: a pending interruption is re-raised at the next checkpoint.

A Python signal handler runs between bytecodes of the main thread, wherever that
is. When it lands inside a ``__del__`` method or a garbage-collector callback
(Hypothesis installs one to time its GC pauses), the exception it raises is
printed as "Exception ignored in ..." and dropped, and the program goes on as if
no signal had come. CI saw exactly that: a SIGTERM swallowed in
``hypothesis.internal.conjecture.junkdrawer.gc_callback``, after which the run
finished every claim and exited 0.

So every handler records its exception here before raising it, and the engine and
the runner call :func:`checkpoint` at points where stopping is safe (before each
example, each scaling grid point, each claim). ``checkpoint`` re-raises the
recorded exception; the context that installed the handler forgets it on exit,
and :func:`quiet_swallowed` keeps Python from printing the swallowed first raise.
Signals are delivered to the main thread only, so a module-level list suffices.
"""
from __future__ import annotations

import contextlib
import sys

__all__ = ["record", "forget", "checkpoint", "pending", "quiet_swallowed", "raise_on"]

_PENDING: list[BaseException] = []


def record(exc: BaseException) -> BaseException:
    """Remember ``exc`` (raised next by a signal handler) until :func:`forget`."""
    _PENDING.append(exc)
    return exc


def forget(kind: type) -> None:
    """Drop recorded exceptions of type ``kind`` (the handler's context is over)."""
    _PENDING[:] = [e for e in _PENDING if not isinstance(e, kind)]


def pending() -> BaseException | None:
    """The first recorded exception, or None."""
    return _PENDING[0] if _PENDING else None


def checkpoint() -> None:
    """Re-raise a recorded interruption whose first raise may have been swallowed."""
    if _PENDING:
        raise _PENDING[0]


@contextlib.contextmanager
def quiet_swallowed():
    """Within the block, Python's "Exception ignored in ..." message is not printed for a
    recorded interruption (it is not ignored: the next checkpoint raises it); every
    other unraisable exception is reported by the previous hook as usual."""
    prev = sys.unraisablehook

    def hook(unraisable):
        if any(unraisable.exc_value is e for e in _PENDING):
            return
        prev(unraisable)

    sys.unraisablehook = hook
    try:
        yield
    finally:
        sys.unraisablehook = prev


@contextlib.contextmanager
def raise_on(signum, make_exc, *, only_over_default: bool = False):
    """Within the block, signal ``signum`` raises ``make_exc()``, recorded first (so a
    swallowed raise comes back at the next :func:`checkpoint`, quietly); on exit the old
    handler is back and the recorded exceptions of that type are forgotten. Main thread
    only (where Python delivers signals); ``only_over_default``: leave a handler someone
    else installed alone (for SIGINT, whose default raises ``KeyboardInterrupt`` anyway)."""
    import signal

    old = signal.getsignal(signum)
    if only_over_default and old is not signal.default_int_handler:
        yield
        return
    kind = type(make_exc())

    def handler(signum_, frame):
        raise record(make_exc())

    signal.signal(signum, handler)
    try:
        with quiet_swallowed():
            yield
    finally:
        signal.signal(signum, old)
        forget(kind)
