"""Sweeps and trials through concurrent.futures executors: in-process, a local process
pool, and a Dask distributed cluster on loopback. Same seeds, same numbers, whichever
back-end runs the units of work (grid points of a sweep or a scaling, claims of a
run, (claim, seed) runs of a calibration)."""

from __future__ import annotations

import concurrent.futures as cf
import importlib.util

import pytest
import torch

import claims
from claims import Bound, Claim, FloatParam, IntParam, Measurement, Profile, Scaling, Source
from claims import _executor
from claims._executor import (InProcessExecutor, SchedulerError, open_executor, parse_scheduler, resolve_auto,
                              torch_threads)
from claims._runner import run_claims

HAS_DASK = importlib.util.find_spec("distributed") is not None
needs_dask = pytest.mark.skipif(not HAS_DASK, reason="dask.distributed is not installed "
                                                     "(pip install 'ovpcheck[distributed]')")
SRC = Source("synthetic.txt", "Fact 2")
FAST = Profile("fast", max_examples=3, trials=16, limits={"width": 256}, max_shrinks=3)


def gram_norm(point, ctx):
    """||G^T G||_2 / m for a Gaussian m x 8 matrix, K trials (matmul + reductions)."""
    g = torch.randn(ctx.trials, point["m"], 8, generator=ctx.generator(), dtype=ctx.dtype)
    s = torch.linalg.matrix_norm(g.transpose(1, 2) @ g, ord=2) / point["m"]
    return Measurement(values=s, extras={"sum": (g * g).sum(dim=(1, 2))})


GRAM = Claim(id="EXE/gram", title="Gram norm", source=SRC, statement_tex="x", family="sanity",
             regime=(IntParam("m", 16, 256, log=True, limit="width"), FloatParam("c", 0.5, 2.0)),
             measure=gram_norm, bound=Bound("upper", lambda p: 1.0 + 6.0 / p["m"] ** 0.5, 1.5, provenance="MP edge"),
             failure_prob=0.0,
             scalings=(Scaling("m", 1.0, "equal", grid=(16, 64, 256), series="sum", tolerance=0.05,
                               base={"c": 1.0}),))
GRAM_FALSE = Claim(id="EXE/gram-false", title="too sharp", source=SRC, statement_tex="x", family="sanity",
                   regime=(IntParam("m", 16, 256, log=True, limit="width"), FloatParam("c", 0.5, 2.0)),
                   measure=gram_norm, bound=Bound("upper", lambda p: 1.0, 0.9, provenance="false"), failure_prob=0.0,
                   kind="conjecture")
POINTS = [{"m": m, "c": 1.0} for m in (16, 32, 64, 128)]


def _strip(d):
    """A result dict without what legitimately differs between runs: timing and timestamps."""
    d = dict(d)
    for k in ("wall_time_s", "started"):
        d.pop(k, None)
    d["stats"] = {k: v for k, v in d.get("stats", {}).items() if k not in ("over_budget", "hard_timeout_enforced")}
    return d


def _diff(a, b, path=""):
    """Paths where two JSON-like values differ (for a readable assertion message)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return [p for k in sorted(set(a) | set(b)) for p in _diff(a.get(k), b.get(k), f"{path}.{k}")]
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [p for i, (u, v) in enumerate(zip(a, b)) for p in _diff(u, v, f"{path}[{i}]")]
    return [] if a == b else [f"{path}: {str(a)[:120]} != {str(b)[:120]}"]


def _serial():
    sweep = claims.sweep(GRAM, POINTS, seed=7, profile=FAST)
    check = claims.check(GRAM, profile=FAST, seed=3)
    return sweep, check


@pytest.fixture(scope="module")
def serial():
    return _serial()


def test_inprocess_executor_is_a_synchronous_executor():
    ex = InProcessExecutor()
    assert isinstance(ex, cf.Executor)
    f = ex.submit(divmod, 7, 3)
    assert f.done() and f.result() == (2, 1)
    bad = ex.submit(divmod, 1, 0)
    assert isinstance(bad.exception(), ZeroDivisionError)
    assert list(ex.map(abs, [-1, -2])) == [1, 2]

    def interrupt():
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):   # Ctrl-C / SIGTERM stop the run, they are not a result
        ex.submit(interrupt)
    ex.shutdown()
    with pytest.raises(RuntimeError, match="after shutdown"):
        ex.submit(abs, 1)


@pytest.mark.parametrize("spec, parsed", [
    (None, ("inprocess", None)), ("serial", ("inprocess", None)), ("processes:3", ("processes", 3)),
    ("dask-local:2", ("dask-local", 2)), ("tcp://127.0.0.1:8786", ("dask", "tcp://127.0.0.1:8786")),
])
def test_parse_scheduler(spec, parsed):
    assert parse_scheduler(spec) == parsed


def test_parse_scheduler_rejects_bad_specs():
    for bad in ("processes:0", "inprocess:2", "tcp://host", "tcp://h:99999", "ray"):
        with pytest.raises(SchedulerError, match="scheduler"):
            parse_scheduler(bad)


@pytest.mark.parametrize("device, cpus, want", [
    ("cpu", 1, ("inprocess", None)), ("cpu", 2, ("processes:2", 1)), ("cpu", 3, ("processes:3", 1)),
    ("cpu", 16, ("processes:8", 2)), ("cpu", 64, ("processes:8", 8)), ("cuda", 16, ("inprocess", None)),
    ("cuda:1", 2, ("inprocess", None)),
])
def test_resolve_auto(device, cpus, want):
    assert resolve_auto(device, cpus=cpus) == want


def test_auto_spec_parses_to_this_machines_backend(monkeypatch):
    monkeypatch.setattr(_executor, "usable_cpus", lambda: 4)
    assert parse_scheduler("auto") == ("processes", 4)
    monkeypatch.setattr(_executor, "usable_cpus", lambda: 1)
    assert parse_scheduler(" auto ") == ("inprocess", None)


def test_torch_threads_sets_and_restores():
    old = torch.get_num_threads()
    with torch_threads(None):
        assert torch.get_num_threads() == old
    with torch_threads(1):
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == old
    with pytest.raises(RuntimeError):
        with torch_threads(1):
            raise RuntimeError("boom")
    assert torch.get_num_threads() == old


def test_report_defaults_to_auto_and_records_the_backend(tmp_path, monkeypatch, capsys):
    """``ovpcheck report`` runs claims side by side by default (here forced to 2 cores: two spawned
    workers, one torch thread each) and records the resolved back-end; verdicts and numbers equal a
    serial ``ovpcheck run`` at one thread."""
    import json

    from claims import cli

    monkeypatch.setattr(_executor, "usable_cpus", lambda: 2)
    sel = ["-k", "AZL-RNN/B.1b,AZL-RNN/B.1c,AZL-RNN/LemA.1", "--profile", "quick", "--time-report", "0"]
    rj, rh = tmp_path / "r.json", tmp_path / "r.html"
    assert cli.main(["report", *sel, "--json", str(rj), "--html", str(rh)]) == 0
    assert "running 3 claim(s) on processes:2" in capsys.readouterr().err
    doc = json.loads(rj.read_text())
    assert doc["run"]["scheduler"] == "processes:2" and doc["run"]["torch_threads"] == 1
    sj = tmp_path / "s.json"
    with torch_threads(1):
        assert cli.main(["run", *sel, "--json", str(sj)]) == 0
    ser = json.loads(sj.read_text())
    assert ser["run"]["scheduler"] == "inprocess" and rh.stat().st_size > 0

    def key(d):
        return {r["claim_id"]: (r["verdict"], r["stats"]["max_ratio"], r["stats"]["total_trials"])
                for r in d["results"]}
    assert key(doc) == key(ser) and len(key(doc)) == 3


def test_sweep_seeds_are_per_point_and_order_free(serial):
    sweep, _ = serial
    assert [r["point"] for r in sweep] == POINTS and all(len(r["values"]) == FAST.trials for r in sweep)
    rev = claims.sweep(GRAM, POINTS[::-1], seed=7, profile=FAST)[::-1]
    assert rev == sweep                                    # the order of the points changes nothing
    grid = claims.sweep(GRAM, {"m": [16, 32, 64, 128], "c": [1.0]}, seed=7, profile=FAST)
    assert grid == sweep
    other = claims.sweep(GRAM, POINTS, seed=8, profile=FAST)
    assert other[0]["values"] != sweep[0]["values"]


def test_check_with_inprocess_executor_equals_plain_check(serial):
    _, ref = serial
    with open_executor("inprocess") as ex:
        r = claims.check(GRAM, profile=FAST, seed=3, executor=ex)
    assert _strip(r.to_dict()) == _strip(ref.to_dict()), _diff(_strip(r.to_dict()), _strip(ref.to_dict()))
    assert r.verdict == "pass" and r.scalings[0]["verdict"] == "ok", r.message


def test_process_pool_matches_serial(serial):
    sweep, ref = serial
    with open_executor("processes:2") as ex:
        got = claims.sweep(GRAM, POINTS, seed=7, profile=FAST, executor=ex)
        r = claims.check(GRAM, profile=FAST, seed=3, executor=ex)
    assert got == sweep
    assert _strip(r.to_dict()) == _strip(ref.to_dict())


@needs_dask
def test_dask_local_cluster_matches_serial_exactly(serial, tmp_path):
    """A real LocalCluster (2 worker processes, loopback TCP, no dashboard): sweep points,
    scaling grid points, claims of a run and calibration runs as tasks."""
    sweep, ref = serial
    serial_run = run_claims([GRAM, GRAM_FALSE], FAST, seed=2)
    serial_cal = claims.calibrate([GRAM_FALSE], 2, profile=FAST)
    with open_executor("dask-local:2") as ex:
        got = claims.sweep(GRAM, POINTS, seed=7, profile=FAST, executor=ex)
        r = claims.check(GRAM, profile=FAST, seed=3, executor=ex)
        run = run_claims([GRAM, GRAM_FALSE], FAST, seed=2, executor=ex, json_path=str(tmp_path / "r.json"))
        cal = claims.calibrate([GRAM_FALSE], 2, profile=FAST, executor=ex)
    assert got == sweep                                                  # bit-for-bit: same values lists
    assert _strip(r.to_dict()) == _strip(ref.to_dict())
    assert run.complete, run.interrupted
    a, b = [_strip(x.to_dict()) for x in run.results], [_strip(x.to_dict()) for x in serial_run.results]
    assert a == b, _diff(a, b)
    assert [x.verdict for x in run.results] == ["pass", "fail"]
    assert claims.read_results(tmp_path / "r.json")["run"]["planned"] == ["EXE/gram", "EXE/gram-false"]
    key = lambda u: (u["claim_id"], u["seed"], u["verdict"], u["tightness"])  # noqa: E731
    assert [key(u) for u in cal["runs"]] == [key(u) for u in serial_cal["runs"]]
    assert cal["claims"][0]["fails"] == 2


@needs_dask
def test_dask_scheduler_address(serial):
    """``tcp://host:port`` connects to a running scheduler (here an in-process one on loopback)."""
    from distributed import LocalCluster

    sweep, _ = serial
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False, protocol="tcp://", host="127.0.0.1",
                      dashboard_address=None) as cluster:
        assert cluster.scheduler_address.startswith("tcp://127.0.0.1:")
        with open_executor(cluster.scheduler_address) as ex:
            assert claims.sweep(GRAM, POINTS, seed=7, profile=FAST, executor=ex) == sweep

