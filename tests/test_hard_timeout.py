"""Hard per-claim time limits through the process pool and Dask back-ends: a claim past its limit
has its worker killed and replaced, gets verdict ``error`` ("hard time limit of S s reached;
worker killed and replaced", ``hard_timeout_enforced`` true), and the rest of the run completes.

Each test starts its own workers (spawned, importing torch: several seconds on a busy machine);
the limits are 3 s, and every call is asserted to return well within a minute.
"""

from __future__ import annotations

import concurrent.futures as cf
import importlib.util
import multiprocessing
import os
import signal
import threading
import time

import pytest
import torch

import claims
from claims import Bound, Claim, IntParam, Profile, Source
from claims._executor import HardTimeLimit, KillablePool, enforces_limits, open_executor, submit_with_limit
from claims._runner import RunInterrupted, handle_sigterm, run_claims, time_report

HAS_DASK = importlib.util.find_spec("distributed") is not None
needs_dask = pytest.mark.skipif(not HAS_DASK, reason="dask.distributed is not installed")

SRC = Source("synthetic.txt", "Fact 3")
LIMIT = 3.0
PROF = Profile("fast", max_examples=2, trials=8, limits={"width": 64}, alpha=0.01, max_shrinks=2, timeout_s=LIMIT)


def uniform(point, ctx):
    return torch.rand(ctx.trials, generator=ctx.generator(), dtype=ctx.dtype)


def sleeps_forever(point, ctx):
    while True:
        time.sleep(0.2)


def sleeps_deaf(point, ctx):
    """Hangs where no SIGALRM reaches it (here: it disarms the engine's timer): only a kill stops it."""
    signal.setitimer(signal.ITIMER_REAL, 0)
    while True:
        time.sleep(0.2)


def _mk(id, measure=uniform):
    return Claim(id=id, title=id, source=SRC, statement_tex="x", family="sanity", regime=(IntParam("n", 1, 10),),
                 measure=measure, bound=Bound("upper", lambda p: 1.0, 1.0, provenance="exact"), failure_prob=0.0)


def _live_pool_workers() -> list:
    return [p for p in multiprocessing.active_children() if p.name == "ovpcheck-worker"]


def _killed_message(r, limit=LIMIT):
    assert r.verdict == "error", r.message
    assert r.message.startswith("timed out: hard time limit of "
                                f"{limit:g} s reached; worker killed and replaced"), r.message
    assert r.stats["hard_timeout_enforced"] is True and r.stats["hard_timeout_s"] == limit
    assert "no traceback" in r.error and r.wall_time_s >= limit


def test_inprocess_has_no_outside_limit():
    """In-process, SIGALRM in the caller's main thread is the limit: ``submit_with_limit`` is a plain submit."""
    from claims._executor import InProcessExecutor

    ex = InProcessExecutor()
    assert not enforces_limits(ex)
    assert submit_with_limit(ex, 1.0, divmod, 7, 2).result() == (3, 1)
    exc = HardTimeLimit(3, 4.5, where="x")
    assert str(exc) == "hard time limit of 3 s reached; worker killed and replaced"
    import pickle

    back = pickle.loads(pickle.dumps(exc))
    assert (back.limit_s, back.elapsed_s, back.where, str(back)) == (3.0, 4.5, "x", str(exc))


def test_process_pool_kills_a_claim_no_signal_stops(tmp_path):
    """processes:2 — a sleeping claim is stopped by SIGALRM inside its worker at 3 s; one that disarmed
    the alarm is killed with its worker 2 s later (the grace), and a fresh worker runs the cheap claim."""
    cs = [_mk("HT/a-sleeps", sleeps_forever), _mk("HT/b-deaf", sleeps_deaf), _mk("HT/c-good")]
    path = tmp_path / "r.json"
    t0 = time.monotonic()
    with open_executor("processes:2") as ex:
        assert enforces_limits(ex)
        out = run_claims(cs, PROF, executor=ex, json_path=str(path), scheduler="processes:2")
        assert ex.killed == 1
    assert time.monotonic() - t0 < 60
    assert _live_pool_workers() == []                        # the killed one and the rest: all gone
    v = {r.claim_id: r for r in out.results}
    assert [r.claim_id for r in out.results] == ["HT/a-sleeps", "HT/b-deaf", "HT/c-good"]
    a = v["HT/a-sleeps"]
    assert a.verdict == "error" and a.message.startswith("timed out") and "hard time limit of 3 s" in a.message
    assert "sleeps_forever" in a.error and a.stats["hard_timeout_enforced"] is True   # SIGALRM: a traceback
    _killed_message(v["HT/b-deaf"])
    assert v["HT/b-deaf"].wall_time_s < LIMIT + 10
    assert v["HT/c-good"].verdict == "pass" and v["HT/c-good"].stats["hard_timeout_enforced"] is True
    assert out.complete and out.interrupted is None
    doc = claims.read_results(path)
    assert doc["complete"] is True and [r.verdict for r in doc["results"]] == ["error", "error", "pass"]
    lines = time_report(doc["results"])
    assert sum("TIMED OUT" in ln for ln in lines) == 2


@needs_dask
def test_dask_local_kills_a_hung_claim_and_replaces_its_worker(tmp_path):
    """dask-local:2 — the worker thread running a sleeping claim cannot be signalled: past 3 s its
    worker process is killed, the Nanny starts a new one, and the cheap claims (some may have been
    queued on that worker: submitted again) all pass."""
    cs = [_mk("HT/d-sleeps", sleeps_forever)] + [_mk(f"HT/e-good{i}") for i in range(3)]
    with open_executor("dask-local:2") as ex:
        client = ex._client
        pids = set(client.run(os.getpid).values())
        t0 = time.monotonic()
        out = run_claims(cs, PROF, executor=ex, json_path=str(tmp_path / "r.json"), scheduler="dask-local:2")
        assert time.monotonic() - t0 < 45
        assert ex.killed == 1
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline:    # the killed worker leaves; its Nanny spawns a new one (seconds)
            now = set(client.run(os.getpid).values())
            if len(now) == 2 and len(now & pids) == 1:
                break
            time.sleep(0.25)
        assert len(now) == 2 and len(now & pids) == 1, (pids, now)
        assert claims.sweep(cs[1], [{"n": 3}], profile=PROF, executor=ex)[0]["point"] == {"n": 3}  # still works
    v = {r.claim_id: r for r in out.results}
    assert "Dask worker tcp://127.0.0.1:" in v["HT/d-sleeps"].error
    _killed_message(v["HT/d-sleeps"])
    assert v["HT/d-sleeps"].wall_time_s < LIMIT + 5
    for i in range(3):
        r = v[f"HT/e-good{i}"]
        assert r.verdict == "pass" and r.stats["hard_timeout_enforced"] is True   # enforced by the executor
    assert out.complete and len(out.results) == 4


def test_pool_worker_dying_fails_only_its_task_and_is_replaced():
    pool = KillablePool(max_workers=1)
    try:
        ok1 = pool.submit(divmod, 7, 3)
        dead = pool.submit(os._exit, 3)
        ok2 = pool.submit(divmod, 9, 4)
        lim = submit_with_limit(pool, 60.0, pow, 2, 10)            # a limit that is not reached: a plain result
        assert ok1.result(timeout=60) == (2, 1)
        with pytest.raises(cf.process.BrokenProcessPool, match=r"died while running the task \(exit code 3\)"):
            dead.result(timeout=60)
        assert ok2.result(timeout=60) == (2, 1) and lim.result(timeout=60) == 1024
        bad = pool.submit(divmod, 1, 0)
        with pytest.raises(ZeroDivisionError):
            bad.result(timeout=60)
        hung = pool.submit_with_limit(0.5, time.sleep, 600)
        exc = hung.exception(timeout=60)
        assert isinstance(exc, HardTimeLimit) and "hard time limit of 0.5 s reached" in str(exc)
        assert exc.elapsed_s >= 0.5 and pool.killed == 1
        assert pool.submit(abs, -5).result(timeout=60) == 5      # a fresh worker took its place
    finally:
        pool.shutdown(wait=True)
    assert _live_pool_workers() == []
    with pytest.raises(RuntimeError, match="after shutdown"):
        pool.submit(abs, 1)


def test_sigterm_during_a_pool_run_stops_it_and_its_workers(tmp_path):
    """SIGTERM while claims run in pool workers: the run stops at once (RunInterrupted, results file
    marked interrupted) and leaving ``open_executor`` kills the busy workers instead of waiting."""
    prof = Profile("fast", max_examples=2, trials=8, limits={"width": 64}, timeout_s=120.0)
    cs = [_mk("HT/f-sleeps", sleeps_forever), _mk("HT/g-sleeps", sleeps_forever)]
    path = tmp_path / "r.json"
    t0 = time.monotonic()
    timer = threading.Timer(2.0, os.kill, (os.getpid(), signal.SIGTERM))
    with pytest.raises(RunInterrupted):
        with handle_sigterm(), open_executor("processes:2") as ex:
            timer.start()
            run_claims(cs, prof, executor=ex, json_path=str(path))
    timer.cancel()
    assert time.monotonic() - t0 < 45
    assert _live_pool_workers() == []
    doc = claims.read_results(path)
    assert doc["complete"] is False and doc["interrupted"] == "SIGTERM" and doc["results"] == []
