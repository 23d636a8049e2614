"""Robust runs: atomic incremental results, SIGTERM mid-run, --resume, claims that raise,
time out or kill their worker, and the time report."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest
import torch

import claims
from claims import Bound, Claim, IntParam, Profile, Source
from claims import catalog
from claims import _interrupt
from claims._runner import RunInterrupted, handle_sigterm, run_claims, time_report

pytest_plugins = ["pytester"]

SRC = Source("synthetic.txt", "Fact 1")
FAST = Profile("fast", max_examples=2, trials=8, limits={"width": 64}, alpha=0.01, max_shrinks=2)


def uniform(point, ctx):
    return torch.rand(ctx.trials, generator=ctx.generator(), dtype=ctx.dtype)


def sleepy(point, ctx):
    time.sleep(6.0)
    return torch.rand(ctx.trials, generator=ctx.generator(), dtype=ctx.dtype)


def dies(point, ctx):
    os._exit(3)  # a worker process dying mid-claim


def _mk(id, measure=uniform, constant=1.0, regime=(IntParam("n", 1, 10),), **kw):
    return Claim(id=id, title=id, source=SRC, statement_tex="x", family="sanity", regime=regime, measure=measure,
                 bound=Bound("upper", lambda p: 1.0, constant, provenance="exact"), failure_prob=0.0, **kw)


def test_atomic_write_keeps_old_file_when_writing_fails(tmp_path, monkeypatch):
    path = tmp_path / "r.json"
    r = claims.check(_mk("ROB/a"), profile=FAST)
    claims.write_results(path, [r], "fast", complete=True)
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask  # an ordinary output file, not mkstemp's 0600
    before = path.read_text()
    import claims._result as R

    def broken_dump(doc, f, **kw):
        f.write('{"schema": "ovpcheck-results", "res')  # a torn write...
        raise OSError("disk full")

    monkeypatch.setattr(R.json, "dump", broken_dump)
    with pytest.raises(OSError, match="disk full"):
        claims.write_results(path, [r, r], "fast", complete=False)
    assert path.read_text() == before            # ...never reaches the results file
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]  # and no temp file is left


def test_raising_and_timed_out_claims_are_errors_and_the_run_continues(tmp_path):
    bad_regime = _mk("ROB/regime", regime=(IntParam("m", 100, 200, limit="width"),))  # above FAST's width cap
    slow = _mk("ROB/slow", measure=sleepy)
    good = _mk("ROB/good")
    prof = Profile("fast", max_examples=2, trials=8, limits={"width": 64}, time_budget_s=0.2, timeout_s=1.0)
    t0 = time.monotonic()
    out = run_claims([bad_regime, slow, good], prof, json_path=str(tmp_path / "r.json"))
    assert time.monotonic() - t0 < 4.5           # the 6 s sleep was cut at the 1 s hard limit
    v = {r.claim_id: r for r in out.results}
    assert [r.claim_id for r in out.results] == ["ROB/regime", "ROB/slow", "ROB/good"]
    assert v["ROB/regime"].verdict == "error" and "limit 64" in v["ROB/regime"].message
    assert "Traceback" in v["ROB/regime"].error and "resolve_ranges" in v["ROB/regime"].error
    assert v["ROB/slow"].verdict == "error" and v["ROB/slow"].message.startswith("timed out")
    assert "hard time limit of 1 s" in v["ROB/slow"].message and "sleepy" in v["ROB/slow"].error
    assert 0.9 < v["ROB/slow"].wall_time_s < 3.0
    assert v["ROB/good"].verdict == "pass" and out.complete
    doc = claims.read_results(tmp_path / "r.json")
    assert doc["complete"] is True and [r.verdict for r in doc["results"]] == ["error", "error", "pass"]
    lines = time_report(doc["results"], top=2)
    assert "ROB/slow" in lines[1] and "TIMED OUT" in lines[1] and "1 other claim" in lines[3]


def test_soft_budget_is_reported():
    prof = Profile("fast", max_examples=50, trials=4, time_budget_s=0.05, timeout_s=30.0)

    def slowish(point, ctx):
        time.sleep(0.03)
        return torch.rand(ctx.trials, generator=ctx.generator(), dtype=ctx.dtype)

    r = claims.check(_mk("ROB/budget", measure=slowish), profile=prof)
    assert r.stats["over_budget"] is True and r.stats["time_budget_s"] == 0.05
    assert r.stats["examples_run"] < 50                      # no new examples after the budget
    assert any("time budget exhausted" in f for f in r.findings)
    assert r.stats["hard_timeout_s"] == 30.0 and r.stats["hard_timeout_enforced"] is True


SCRIPT = """
import sys, time, torch, claims, claims.cli
from claims import catalog
sys.path.insert(0, {tests!r})
from test_robust import _mk, uniform

def slow(point, ctx):
    time.sleep(0.4)
    return torch.rand(ctx.trials, generator=ctx.generator(), dtype=ctx.dtype)

for i in range(6):
    catalog.register(_mk(f"SIGT/c{{i}}", measure=uniform if i < 2 else slow))
sys.exit(claims.cli.main(sys.argv[1:]))
"""


def _run_script(tmp_path, *args):
    script = tmp_path / "runner.py"
    script.write_text(SCRIPT.format(tests=os.path.dirname(__file__)))
    return subprocess.Popen([sys.executable, str(script), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, cwd=os.getcwd())


def test_sigterm_midway_leaves_valid_resumable_results(tmp_path):
    path = tmp_path / "out" / "claims.json"
    args = ["run", "-k", "SIGT/", "--profile", "quick", "--json", str(path), "--seed", "4"]
    proc = _run_script(tmp_path, *args)
    deadline = time.monotonic() + 60
    finished = []
    while time.monotonic() < deadline and proc.poll() is None:   # wait for >= 3 finished claims
        if path.exists():
            finished = json.loads(path.read_text())["results"]
            if len(finished) >= 3:
                break
        time.sleep(0.05)
    assert len(finished) >= 3, proc.communicate()
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 143, err
    assert "interrupted by SIGTERM" in err and "--resume" in err and "Traceback" not in err
    doc = claims.read_results(path)                              # valid, schema-checked
    assert doc["complete"] is False and doc["interrupted"] == "SIGTERM"
    done = [r.claim_id for r in doc["results"]]
    assert 3 <= len(done) < 6 and done == [f"SIGT/c{i}" for i in range(len(done))]
    assert doc["run"]["planned"] == [f"SIGT/c{i}" for i in range(6)] and doc["run"]["seed"] == 4
    assert not [p for p in os.listdir(path.parent) if p.startswith(".claims-")]
    # resume with different options is refused, naming the option
    proc = _run_script(tmp_path, *args[:-1], "5", "--resume")
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 2 and "seed=4" in err and "--seed" in err and "Traceback" not in err
    # resume: finished claims are kept verbatim, only the rest run
    proc = _run_script(tmp_path, *args, "--resume")
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert f"{len(done)} of 6 claim(s) already finished" in err
    again = claims.read_results(path)
    assert again["complete"] is True and "interrupted" not in again
    assert [r.claim_id for r in again["results"]] == [f"SIGT/c{i}" for i in range(6)]
    assert again["results"][:len(done)] == doc["results"]        # same objects, incl. timestamps
    assert all(r.verdict == "pass" for r in again["results"])


class _SignalsOnDelete:
    """An object whose finalizer sends ``signum`` to this process and keeps running, so the
    handler's raise lands inside ``__del__``, where Python prints and swallows it."""

    def __init__(self, signum, log):
        self.signum, self.log = signum, log

    def __del__(self):
        self.log.append("signalled")
        signal.raise_signal(self.signum)
        for _ in range(1000):   # the handler runs here, inside the finalizer
            pass
        self.log.append("finalizer not interrupted")


def _signals_in_finalizer(signum, log):
    def measure(point, ctx):
        if not log:
            obj = _SignalsOnDelete(signum, log)
            del obj                          # the signal's raise is swallowed here...
            log.append("measure went on")    # ...and the measure goes on
        return torch.rand(ctx.trials, generator=ctx.generator(), dtype=ctx.dtype)
    return measure


@pytest.mark.parametrize("signum,exc,reason", [(signal.SIGTERM, RunInterrupted, "SIGTERM"),
                                               (signal.SIGINT, KeyboardInterrupt, "KeyboardInterrupt")])
def test_signal_swallowed_in_a_finalizer_still_stops_the_run(tmp_path, capfd, signum, exc, reason):
    # CI once saw a SIGTERM land in Hypothesis' GC callback: Python swallowed the raise and the
    # run finished with exit 0. The handler records it and the next checkpoint raises it again.
    log = []
    first = _mk("SWAL/a", measure=_signals_in_finalizer(signum, log))
    path = tmp_path / "r.json"
    with pytest.raises(exc), handle_sigterm():
        run_claims([first, _mk("SWAL/b"), _mk("SWAL/c")], FAST, json_path=str(path))
    assert log == ["signalled", "measure went on"]             # it was swallowed, and then not lost
    assert _interrupt.pending() is None                        # forgotten once the run is over
    doc = claims.read_results(path)
    assert doc["complete"] is False and doc["interrupted"] == reason and doc["results"] == []
    assert "Exception ignored" not in capfd.readouterr().err   # nothing alarming printed for it


def test_hard_timeout_swallowed_in_a_finalizer_is_still_a_timeout():
    log = []
    prof = Profile("fast", max_examples=3, trials=8, timeout_s=60.0)
    r = claims.check(_mk("SWAL/t", measure=_signals_in_finalizer(signal.SIGALRM, log)), profile=prof)
    assert log == ["signalled", "measure went on"]
    assert r.verdict == "error" and r.message.startswith("timed out") and "ClaimTimeout" in r.error
    assert _interrupt.pending() is None
    assert claims.check(_mk("SWAL/t2"), profile=prof).verdict == "pass"   # nothing left over


def test_worker_dying_keeps_finished_claims(tmp_path):
    from claims._executor import open_executor

    ok = _mk("DIE/a-ok")
    bad = _mk("DIE/b-dies", measure=dies)
    path = tmp_path / "r.json"
    with open_executor("processes:1") as ex:
        out = run_claims([ok, bad], FAST, json_path=str(path), executor=ex, scheduler="processes:1")
    assert not out.complete and "worker died while checking DIE/b-dies" in out.interrupted
    doc = claims.read_results(path)
    assert doc["complete"] is False and "BrokenProcessPool" in doc["interrupted"]
    assert [r.claim_id for r in doc["results"]] == ["DIE/a-ok"] and doc["results"][0].verdict == "pass"


def test_cli_run_prints_time_report(tmp_path, capsys):
    from claims.cli import main

    cs = [_mk("TREP/a"), _mk("TREP/b", constant=0.5)]
    for c in cs:
        catalog.register(c)
    try:
        assert main(["run", "-k", "TREP/", "--profile", "quick", "--time-report", "1"]) == 1
        err = capsys.readouterr().err
        assert "where the time went (profile quick, slowest first" in err
        assert "(1 other claim(s))" in err and "2 claims: 1 pass, 1 fail" in err
    finally:
        for c in cs:
            catalog._REGISTRY.pop(c.id, None)


def test_pytest_summary_has_time_report_and_raising_claim_is_error(pytester, monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    pytester.makepyfile(test_u=textwrap.dedent("""
        import pytest, torch, claims
        from claims.pytest_plugin import claim_params
        def u(p, ctx): return torch.rand(ctx.trials, generator=ctx.generator())
        def mk(id, **kw):
            return claims.Claim(id=id, title=id, source=claims.Source("p.txt", "L1"), statement_tex="x",
                                family="toy", measure=u, bound=claims.Bound("upper", lambda p: 1.0, 1.0,
                                provenance="exact"), failure_prob=0.0, **kw)
        A = mk("U/a", regime=(claims.IntParam("n", 1, 4),))
        B = mk("U/b-regime", regime=(claims.IntParam("m", 10**6, 10**7, limit="width"),))
        @pytest.mark.parametrize("claim", claim_params([A, B]))
        def test_u(claim, claims_check):
            claims_check(claim)
    """))
    res = pytester.runpytest("--claims-json", "o.json", "--claims-time-report", "5")
    res.assert_outcomes(passed=1, failed=1)
    out = res.stdout.str()
    assert "where the time went (profile quick, slowest first" in out
    assert "ERROR        U/b-regime" in out and "the check raised InvalidClaimError" in out
    doc = claims.read_results(pytester.path / "o.json")
    assert [r.verdict for r in doc["results"]] == ["pass", "error"] and "Traceback" in doc["results"][1].error
