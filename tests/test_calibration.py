"""Calibration mode: false-fail rates over many base seeds, per claim and for the suite,
on synthetic claims whose truth is known analytically; the CLI command, JSON and HTML."""

from __future__ import annotations

import json

import pytest
import torch
from scipy import stats

import claims
from claims import Bound, Claim, IntParam, Profile, Source, _stats
from claims._calibration import read_calibration, summarize

SRC = Source("synthetic.txt", "analytic")
# alpha = 0.2 so that a miscalibration is visible with few seeds (the rule is the same at any alpha)
CAL = Profile("cal", max_examples=2, trials=16, alpha=0.2, max_shrinks=0)


def uniform(point, ctx):
    return torch.rand(ctx.trials, generator=ctx.generator(), dtype=ctx.dtype)


def _mk(id, constant, p0):
    return Claim(id=id, title=id, source=SRC, statement_tex="U <= c", family="sanity", regime=(IntParam("n", 1, 9),),
                 measure=uniform, bound=Bound("upper", lambda p: 1.0, constant, provenance="analytic"),
                 failure_prob=p0)


# P(U > 1 - p0) = p0 exactly: the hardest true claim (at its boundary)
BOUNDARY = _mk("CAL/boundary", 0.9, 0.1)
# far inside: never violated
SAFE = _mk("CAL/safe", 1.0, 0.0)
# false: true violation rate 0.5 against an allowed 0.05
FALSE = _mk("CAL/false", 0.5, 0.05)


def test_summarize_counts_intervals_and_suite_rate():
    runs = ([{"claim_id": "A", "seed": s, "verdict": "fail" if s in (1, 4) else "pass", "wall_time_s": 1.0}
             for s in range(10)]
            + [{"claim_id": "B", "seed": s, "verdict": "error" if s == 4 else "pass", "wall_time_s": 2.0}
               for s in range(10)])
    out = summarize(runs, ["A", "B"], list(range(10)), alpha=0.01, conf=0.95)
    a, b = out["claims"]
    assert (a["fails"], a["runs"], a["fail_rate"], a["fail_seeds"]) == (2, 10, 0.2, [1, 4])
    assert a["fail_rate_ci"] == pytest.approx(list(_stats.clopper_pearson(2, 10, 0.95)))
    assert a["p_value"] == pytest.approx(stats.binom.sf(1, 10, 0.01)) and a["consistent"] is False
    assert (b["fails"], b["errors"], b["error_seeds"], b["consistent"]) == (0, 1, [4], True)
    s = out["suite"]
    assert s["failed_seeds"] == [1, 4] and s["fail_rate"] == 0.2 and s["gate_failed_seeds"] == [1, 4]
    assert s["design_bound"] == pytest.approx(0.02) and s["meets_target"] is False
    assert s["fail_rate_ci"] == pytest.approx(list(_stats.clopper_pearson(2, 10, 0.95)))


def test_calibrate_measures_false_fail_rate_within_design():
    seeds = 40
    doc = claims.calibrate([BOUNDARY, SAFE, FALSE], seeds, profile=CAL, seed_start=100)
    by = {c["claim_id"]: c for c in doc["claims"]}
    assert all(c["runs"] == seeds and c["errors"] == 0 for c in by.values())
    # true claims: the fail count is not significantly above alpha (exact binomial, 1e-3 allowance)
    f = by["CAL/boundary"]["fails"]
    assert stats.binom.sf(f - 1, seeds, CAL.alpha) > 1e-3, by["CAL/boundary"]
    assert by["CAL/safe"]["fails"] == 0 and by["CAL/safe"]["consistent"]
    # the false claim is flagged: it fails far more often than alpha
    assert by["CAL/false"]["fails"] >= 36 and not by["CAL/false"]["consistent"]
    lo, hi = by["CAL/false"]["fail_rate_ci"]
    assert lo > CAL.alpha and doc["suite"]["fail_rate"] >= 0.9
    assert doc["seeds"] == list(range(100, 140)) and doc["complete"] is True
    # per-seed runs are the verdicts claims.check gives under that base seed
    r7 = next(r for r in doc["runs"] if r["claim_id"] == "CAL/boundary" and r["seed"] == 107)
    assert r7["verdict"] == claims.check(BOUNDARY, profile=CAL, seed=107).verdict


def test_cli_calibrate_json_html_and_exit_code(tmp_path, capsys):
    from claims.cli import main

    js, page = tmp_path / "cal.json", tmp_path / "cal.html"
    rc = main(["calibrate", "--claim", "tests/test_calibration.py:SAFE", "--claim", "tests/test_calibration.py:BOUNDARY",
               "--profile", "quick", "--seeds", "6", "--json", str(js), "--html", str(page)])
    out = capsys.readouterr().out
    doc = read_calibration(js)
    assert doc["schema"] == "ovpcheck-calibration" and doc["version"] == 1 and doc["claim_ids"] == [
        "CAL/safe", "CAL/boundary"]
    assert rc == (0 if doc["suite"]["meets_target"] else 1)
    assert doc["command"] == "ovpcheck calibrate --profile quick --seeds 6 --seed-start 0"
    assert "calibration: profile quick, 6 base seeds 0..5, 2 claim(s)" in out and "suite:" in out
    assert "CAL/boundary" in out and "95% CP interval" in out
    html = page.read_text()
    assert "<svg" in html and "CAL/boundary" in html and "Clopper" in html and "http" not in html.split("<body>")[1]
    # a false claim makes the command fail: the suite rate exceeds the target
    assert main(["calibrate", "--claim", "tests/test_calibration.py:FALSE", "--profile", "quick", "--seeds", "3",
                 "--json", str(js), "--html", ""]) == 1
    assert json.loads(js.read_text())["suite"]["fail_rate"] == 1.0
