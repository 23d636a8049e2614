"""pytest-xdist: ``pytest -n 2`` runs each claim item on one worker, gives the same
verdicts as a serial run, and the controller writes ONE merged results file and report."""

from __future__ import annotations

import importlib.util
import json
import re

import pytest

pytest_plugins = ["pytester"]
pytestmark = pytest.mark.skipif(importlib.util.find_spec("xdist") is None,
                                reason="pytest-xdist is not installed (pip install 'ovpcheck[distributed]')")

CLAIMS_FILE = '''
import pytest, torch, claims
from claims.pytest_plugin import claim_params

def uniform(point, ctx):
    return torch.rand(ctx.trials, point["n"], generator=ctx.generator(), dtype=ctx.dtype).max(dim=1).values

def mk(id, constant, failure_prob, **kw):
    return claims.Claim(id=id, title=id, source=claims.Source("user-paper.txt", "Lemma 3"), statement_tex="U <= c",
                        family="toy", regime=(claims.IntParam("n", 1, 20),), measure=uniform,
                        bound=claims.Bound("upper", lambda p: 1.0, constant, provenance="exact"),
                        failure_prob=failure_prob, **kw)

CLAIMS = [mk("X/true-a", 1.0, 0.0), mk("X/true-b", 0.999, 0.05), mk("X/false", 0.5, 0.0),
          mk("X/weak", 1.0, 0.2, examples=1), mk("X/true-c", 1.0, 0.0, examples=2)]

@pytest.mark.parametrize("claim", claim_params(CLAIMS))
def test_c(claim, claims_check):
    claims_check(claim)
'''


def _strip(d):
    d = dict(d)
    for k in ("wall_time_s", "started"):
        d.pop(k)
    d["stats"] = {k: v for k, v in d["stats"].items() if k != "over_budget"}
    return d


def test_xdist_same_verdicts_and_one_merged_report(pytester, monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    pytester.makepyfile(test_c=CLAIMS_FILE)
    # the fixed rule: X/weak (one example, p0 = 0.2) is then inconclusive (skipped); the anytime
    # rule would pass it after 8 clean trials
    opts = ["--claims-seed", "5", "-p", "no:randomly", "--claims-decision", "fixed"]
    serial = pytester.runpytest(*opts, "--claims-json", "serial.json", "-v")
    serial.assert_outcomes(passed=3, failed=1, skipped=1)
    par = pytester.runpytest(*opts, "-n", "2", "--claims-json", "par.json", "--claims-report", "rep/par.html", "-v")
    par.assert_outcomes(passed=3, failed=1, skipped=1)
    out = par.stdout.str()
    # each claim item ran exactly once, on one of the two workers, and both workers were used
    ran = re.findall(r"\[(gw[01])\] \[\s*\d+%\] (PASSED|FAILED|SKIPPED) test_c\.py::test_c\[(X/[a-z-]+)\]", out)
    assert sorted(r[2] for r in ran) == ["X/false", "X/true-a", "X/true-b", "X/true-c", "X/weak"], out
    assert {r[0] for r in ran} == {"gw0", "gw1"}
    a = json.loads((pytester.path / "serial.json").read_text())
    b = json.loads((pytester.path / "par.json").read_text())
    assert b["complete"] is True and a["complete"] is True
    ids = [r["claim_id"] for r in b["results"]]
    assert ids == sorted(ids) == [r["claim_id"] for r in a["results"]]       # one merged file, sorted by id
    assert {r["claim_id"]: r["verdict"] for r in b["results"]} == {
        "X/false": "fail", "X/true-a": "pass", "X/true-b": "pass", "X/true-c": "pass", "X/weak": "inconclusive"}
    assert [_strip(r) for r in b["results"]] == [_strip(r) for r in a["results"]]  # same numbers, not only verdicts
    # the controller wrote the report; no worker wrote anything of its own
    assert [p.name for p in (pytester.path / "rep").iterdir()] == ["par.html"]
    page = (pytester.path / "rep" / "par.html").read_text()
    assert all(cid in page for cid in ids)
    assert "claims summary (profile quick, device cpu)" in out and out.count("FAIL         X/false") == 1
    assert "where the time went" in out


def test_xdist_workers_share_the_cores(pytester, monkeypatch, tmp_path):
    """Each xdist worker gets ``cores // workers`` torch threads (>= 1), not one per core: without the
    share ``-n 2`` on 2 cores ran 4 busy OpenMP threads, 16x slower than serial on a search-heavy file
    (tests/test_dnn_forall_search.py: 17.6 s with the share, 287 s without)."""
    import os

    from claims.pytest_plugin import xdist_worker_threads

    assert [xdist_worker_threads(c, w) for c, w in ((2, 2), (16, 4), (16, 3), (1, 4), (8, 0))] == [1, 4, 5, 1, 8]
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.setenv("THREADS_OUT", str(tmp_path))
    pytester.makepyfile(test_threads="""
import os, pathlib, torch
def test_t():
    out = pathlib.Path(os.environ["THREADS_OUT"]) / ("threads-" + os.environ["PYTEST_XDIST_WORKER"])
    out.write_text(str(torch.get_num_threads()))
test_u = test_t
""")
    res = pytester.runpytest_subprocess("-n", "2")
    res.assert_outcomes(passed=2)
    counts = [int(f.read_text()) for f in tmp_path.glob("threads-gw*")]
    assert counts, "no worker wrote its thread count"
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    import torch

    assert set(counts) == {min(xdist_worker_threads(cpus, 2), torch.get_num_threads())}
