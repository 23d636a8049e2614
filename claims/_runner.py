"""Robust catalog runs: incremental atomic results, interruption, resume, errors, time report.

:func:`run_claims` checks a list of claims and keeps the results file valid at every
moment: after each finished claim it is rewritten atomically (temp file +
``os.replace``) with ``"complete": false``; only a run that reached its end writes
``"complete": true``. Ctrl-C, SIGTERM (inside :func:`handle_sigterm`) or a dying
worker leave the file holding every finished claim, marked incomplete, with the
reason in ``"interrupted"``. ``resume=True`` reads that file back, keeps its results
and runs only the claims it lacks (the run's profile, seed, device and dtype must
match, else ``ValueError`` naming the mismatch).

A claim whose check raises (an invalid claim, a regime outside the profile's limits,
a bug) or runs past its hard time limit becomes an ``error`` result with the
traceback; the run goes on with the others. Through a process pool or Dask, a claim
past its hard limit that SIGALRM could not stop (a Dask worker thread, a hang no signal
reaches) has its worker killed and replaced (:func:`claims._executor.submit_with_limit`):
its result is an ``error`` "timed out: hard time limit of S s reached; worker killed and
replaced", and the other claims go on.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import math
import os
import signal
import threading
import time
import traceback
from dataclasses import dataclass, field
from typing import Callable, Iterable, Sequence

from ._claim import Claim
from . import _interrupt
from ._profiles import Profile, get_profile
from ._result import ClaimResult, read_results, write_results

__all__ = ["RunInterrupted", "RunOutcome", "handle_sigterm", "check_one", "run_claims", "time_report",
           "timed_out_result"]


class RunInterrupted(KeyboardInterrupt):
    """The run was stopped by a signal (SIGTERM); handled exactly like Ctrl-C.

    ``reason`` (e.g. ``"SIGTERM"``) is written to the results file's ``interrupted`` field.
    """

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@contextlib.contextmanager
def handle_sigterm():
    """Within the block, SIGTERM raises :class:`RunInterrupted` and Ctrl-C ``KeyboardInterrupt``,
    and neither is lost (main thread only; else a no-op).

    Both handlers record their exception in :mod:`claims._interrupt` before raising it: a
    raise that lands in a GC callback or ``__del__`` is swallowed by Python, and the
    next checkpoint (before each claim, example and scaling point) raises it again.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    with _interrupt.raise_on(signal.SIGTERM, lambda: RunInterrupted("SIGTERM")), \
            _interrupt.raise_on(signal.SIGINT, KeyboardInterrupt, only_over_default=True):
        yield


def check_one(claim: Claim, profile, device="cpu", dtype=None, seed: int = 0, executor=None,
              claim_ref: str | None = None) -> ClaimResult:
    """``claims.check`` that never raises ``Exception``: a check that breaks is an ``error`` result."""
    from ._engine import check, error_result

    t0 = time.monotonic()
    try:
        return check(claim, profile=profile, device=device, dtype=dtype, seed=seed, executor=executor,
                     claim_ref=claim_ref)
    except Exception as exc:
        prof = get_profile(profile)
        return error_result(claim, f"the check raised {type(exc).__name__}: {exc}", traceback.format_exc(),
                            prof, device, dtype, seed, time.monotonic() - t0)


def _check_task(claim: Claim, profile, device, dtype, seed: int, claim_ref: str | None,
                limited_outside: bool) -> ClaimResult:
    """:func:`check_one` as a task of an executor; ``limited_outside``: the executor enforces the
    hard limit by killing the worker, so the result says it was enforced even where SIGALRM was not
    (a Dask worker thread)."""
    r = check_one(claim, profile, device, dtype, seed, None, claim_ref)
    if limited_outside and isinstance(r.stats, dict):
        r.stats["hard_timeout_enforced"] = True
    return r


def timed_out_result(claim: Claim, exc, profile, device="cpu", dtype=None, seed: int = 0) -> ClaimResult:
    """The ``error`` result of a claim whose worker was killed at its hard limit
    (``exc``: a :class:`claims._executor.HardTimeLimit`); message starting "timed out"."""
    import datetime as _dt

    from ._engine import error_result

    prof = get_profile(profile)
    msg = (f"timed out: {exc} (it ran {exc.elapsed_s:.1f} s; profile {prof.name!r} hard_timeout_s); make the "
           f"claim cheaper, or raise Profile.timeout_s / --timeout")
    details = (f"{msg}\nThe claim was stopped from outside ({exc.where or 'its worker'}) after {exc.elapsed_s:.1f} s, "
               f"so there is no traceback of where it was; run it alone (in-process) for one.")
    started = (_dt.datetime.now(_dt.timezone.utc) - _dt.timedelta(seconds=exc.elapsed_s)).isoformat(timespec="seconds")
    r = error_result(claim, msg, details, prof, device, dtype, seed, exc.elapsed_s, started)
    r.stats["hard_timeout_enforced"] = True
    return r


@dataclass
class RunOutcome:
    """What :func:`run_claims` did: ``results`` (in the order of the claims given),
    ``complete``, ``interrupted`` (reason or None), ``resumed`` (ids taken from the
    existing file), ``json_path``."""

    results: list
    complete: bool
    interrupted: str | None = None
    resumed: list = field(default_factory=list)
    json_path: str | None = None

    @property
    def bad(self) -> int:
        return sum(r.verdict in ("fail", "error") for r in self.results)


def _run_info(prof: Profile, device, dtype, seed, ids, scheduler, contract=None) -> dict:
    import torch

    return {"seed": int(seed), "device": str(device), "dtype": dtype, "profile": prof.name,
            "planned": list(ids), "scheduler": scheduler or "inprocess",
            "torch_threads": int(torch.get_num_threads()), "contract": contract}


def _load_resume(json_path: str, prof: Profile, device, dtype, seed) -> dict[str, ClaimResult]:
    """Finished results from ``json_path`` (must match the run's options)."""
    doc = read_results(json_path)
    run = doc.get("run") or {}
    want = {"profile": prof.name, "seed": int(seed), "device": str(device), "dtype": dtype}
    have = {"profile": doc.get("profile"), "seed": run.get("seed"), "device": run.get("device"),
            "dtype": run.get("dtype")}
    rs = doc["results"]
    if not run:  # a file written without run info: take what the results record
        have.update(seed=rs[0].seed if rs else int(seed), device=rs[0].device if rs else str(device), dtype=dtype)
    if rs and "trial_chunk" in (rs[0].profile or {}):   # the numbers depend on it (Profile.trial_chunk)
        want["trial-chunk"] = prof.trial_chunk
        have["trial-chunk"] = rs[0].profile["trial_chunk"]
    old_contract = run.get("contract") or {}
    if old_contract:   # the verdicts depend on the decision rule and the level each claim ran at
        want["decision"], have["decision"] = prof.decision, old_contract.get("decision")
        if not math.isclose(float(old_contract.get("alpha_claim") or 0.0), prof.alpha, rel_tol=1e-9):
            raise ValueError(f"--resume: {json_path} was written with claim-level alpha "
                             f"{old_contract.get('alpha_claim')!r} but this run has {prof.alpha:.6g} (another "
                             f"--alpha / --claim-alpha, or another selection of claims); rerun with the same options "
                             f"or write to a different --json file")
    for k, v in want.items():
        if have[k] != v:
            raise ValueError(f"--resume: {json_path} was written with {k}={have[k]!r} but this run has {k}={v!r}; "
                             f"rerun with the same --{k} or write to a different --json file")
    return {r.claim_id: r for r in doc["results"]}


def run_claims(claims: Sequence[Claim], profile: str | Profile, *, device="cpu", dtype=None, seed: int = 0,
               json_path: str | None = None, resume: bool = False, executor: cf.Executor | None = None,
               scheduler: str | None = None, progress: Callable[[str], None] | None = None,
               alpha_suite: float | None = None) -> RunOutcome:
    """Check ``claims`` one by one (or through ``executor``, one claim per task).

    Writes ``json_path`` after every claim (atomic, ``complete: false``), and once
    more at the end; on Ctrl-C / :class:`RunInterrupted` the file is written with
    ``"interrupted": reason`` and the exception propagates. A task whose worker
    died ends the run early (``interrupted`` = the reason) without losing finished
    results. See the module docstring for ``resume``.
    """
    from ._sequential import suite_contract

    prof = get_profile(profile)
    say = progress or (lambda msg: None)
    claims = list(claims)
    ids = [c.id for c in claims]
    # alpha_suite: every claim at alpha_suite / len(claims), so P(any true claim fails) <= alpha_suite
    prof, contract = suite_contract(prof, max(1, len(claims)), alpha_suite)
    done: dict[str, ClaimResult] = {}
    resumed: list[str] = []
    if resume:
        if not json_path:
            raise ValueError("--resume needs the results file to resume from: give --json PATH")
        if os.path.exists(json_path):
            old = _load_resume(json_path, prof, device, dtype, seed)
            for c in claims:
                if c.id in old:
                    done[c.id] = old[c.id]
                    resumed.append(c.id)
            say(f"resuming {json_path}: {len(resumed)} of {len(claims)} claim(s) already finished, skipped")
        else:
            say(f"--resume: {json_path} does not exist yet; running every claim")
    info = _run_info(prof, device, dtype, seed, ids, scheduler, contract)
    state = {"interrupted": None}

    def ordered() -> list:
        return [done[i] for i in ids if i in done]

    def save(complete: bool) -> None:
        if json_path:
            extra = {"run": info}
            if state["interrupted"]:
                extra["interrupted"] = state["interrupted"]
            write_results(json_path, ordered(), prof.name, complete=complete, extra=extra)

    todo = [c for c in claims if c.id not in done]
    n = len(claims)
    t_start = time.perf_counter()
    complete = False
    try:
        save(False)
        if executor is None:
            for c in todo:
                _interrupt.checkpoint()
                say(f"[{len(done) + 1}/{n}] {c.id} ... ({time.perf_counter() - t_start:.0f} s elapsed)")
                r = check_one(c, prof, device, dtype, seed)
                done[c.id] = r
                save(False)
                _interrupt.checkpoint()
                say("    " + r.summary_line())
                if r.verdict in ("fail", "error"):
                    say(f"    {r.message}")
        else:
            from ._engine import _claim_ref
            from ._executor import HardTimeLimit, enforces_limits, submit_with_limit

            outside = enforces_limits(executor)   # the back-end kills a claim's worker past its hard limit
            # the reproduction command names the claim as this process knows it
            futs = {submit_with_limit(executor, prof.hard_timeout_s, _check_task, c, prof, device, dtype, seed,
                                      _claim_ref(c), outside): c for c in todo}
            for fut in cf.as_completed(futs):
                c = futs[fut]
                try:
                    r = fut.result()
                except HardTimeLimit as exc:   # its worker was killed and replaced; the others go on
                    r = timed_out_result(c, exc, prof, device, dtype, seed)
                except Exception as exc:  # the worker (not the check) broke: e.g. BrokenProcessPool, KilledWorker
                    state["interrupted"] = state["interrupted"] or (
                        f"worker died while checking {c.id}: {type(exc).__name__}: {exc}")
                    say(f"    worker failure on {c.id}: {type(exc).__name__}: {exc}")
                    continue
                done[c.id] = r
                save(False)
                _interrupt.checkpoint()
                say(f"[{len(done)}/{n}] " + r.summary_line() + f"  ({time.perf_counter() - t_start:.0f} s elapsed)")
                if r.verdict in ("fail", "error"):
                    say(f"    {r.message}")
        complete = state["interrupted"] is None and len(done) == n
    except KeyboardInterrupt as exc:
        state["interrupted"] = getattr(exc, "reason", None) or "KeyboardInterrupt"
        raise
    finally:
        save(complete)
        if json_path:
            say(f"results written to {json_path}" + ("" if complete else " (incomplete: rerun with --resume)"))
    return RunOutcome(ordered(), complete, state["interrupted"], resumed, json_path)


def time_report(results: Iterable, top: int = 10, title: str | None = None) -> list[str]:
    """Where the time went, slowest claims first: lines for a terminal summary.

    ``results``: ClaimResults or their dicts. Reports the total (sum of per-claim
    wall times), the ``top`` slowest with their share and soft budget, and every
    claim over its soft budget (``time_budget_s``) or stopped at its hard limit.
    """
    rows = []
    for r in results:
        d = r.to_dict() if isinstance(r, ClaimResult) else r
        st = d.get("stats") or {}
        prof = d.get("profile") or {}
        budget = st.get("time_budget_s", prof.get("time_budget_s"))
        wall = float(d.get("wall_time_s") or 0.0)
        timed_out = d.get("verdict") == "error" and str(d.get("message", "")).startswith("timed out")
        over = bool(st.get("over_budget")) or (isinstance(budget, (int, float)) and wall > budget)
        rows.append((wall, d.get("claim_id", "?"), d.get("verdict", "?"), budget, over, timed_out))
    if not rows:
        return []
    rows.sort(key=lambda r: (-r[0], r[1]))
    total = sum(r[0] for r in rows) or 1e-12
    lines = [title or f"claims time: {len(rows)} claim(s), {total:.1f} s in total; slowest first"]
    for wall, cid, verdict, budget, over, timed_out in rows[:max(0, top)]:
        b = f"budget {budget:g} s" if isinstance(budget, (int, float)) else "budget ?"
        flag = "  TIMED OUT" if timed_out else ("  OVER BUDGET" if over else "")
        lines.append(f"  {wall:8.2f} s {100 * wall / total:5.1f}%  {cid:<34} {verdict:<12} ({b}){flag}")
    if len(rows) > top:
        rest = sum(r[0] for r in rows[top:])
        lines.append(f"  {rest:8.2f} s {100 * rest / total:5.1f}%  ({len(rows) - top} other claim(s))")
    over = [r[1] for r in rows if r[4] or r[5]]
    if over:
        lines.append(f"  over the soft time budget or timed out: {', '.join(over)}")
    return lines
