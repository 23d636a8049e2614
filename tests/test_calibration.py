"""Calibration mode: false-fail rates over many base seeds, per claim and for the suite,
on synthetic claims whose truth is known analytically; the CLI command, JSON and HTML."""

from __future__ import annotations

import dataclasses
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
    assert s["strict_failed_seeds"] == [1, 4] and (s["checks"], s["inconclusive_checks"]) == (20, 0)


def test_inconclusive_runs_are_counted_per_claim_and_as_the_strict_gate_sees_them():
    """An inconclusive claim is not a false fail (the designed bound is about fails), but
    ``--strict`` turns it red: the summary counts it per claim and per seed, and the text table
    says so."""
    from claims._calibration import calibration_lines
    runs = ([{"claim_id": "A", "seed": s, "verdict": "inconclusive" if s in (2, 3) else "pass", "wall_time_s": 1.0}
             for s in range(8)]
            + [{"claim_id": "B", "seed": s, "verdict": {3: "inconclusive", 5: "fail"}.get(s, "pass"),
                "wall_time_s": 1.0} for s in range(8)])
    out = summarize(runs, ["A", "B"], list(range(8)), alpha=0.01, conf=0.95)
    a, b = out["claims"]
    assert (a["inconclusive"], a["inconclusive_seeds"], a["fails"]) == (2, [2, 3], 0)
    assert (b["inconclusive"], b["inconclusive_seeds"], b["fail_seeds"]) == (1, [3], [5])
    s = out["suite"]
    assert s["failed_seeds"] == [5] and s["strict_failed_seeds"] == [2, 3, 5]
    assert (s["checks"], s["inconclusive_checks"]) == (16, 3) and s["strict_fail_rate"] == pytest.approx(3 / 8)
    assert s["strict_fail_rate_ci"] == pytest.approx(list(_stats.clopper_pearson(3, 8, 0.95)))
    doc = {"profile": "ci", "seeds": list(range(8)), "claim_ids": ["A", "B"], "profile_settings": {"alpha": 0.01},
           "wall_time_s": 1.0, **out}
    text = "\n".join(calibration_lines(doc))
    assert "(2 inconclusive)" in text and "(1 inconclusive)" in text
    assert "inconclusive: 3/16 claim checks; --strict (inconclusive also red): 3/8 base seeds = 37.5%" in text


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


def test_merge_replaces_the_recalibrated_claims_runs(tmp_path, capsys):
    """Re-calibrating a changed claim: ``--merge-into`` keeps the base's other runs, replaces that
    claim's, recomputes the summary and lists both parts with their commits."""
    from claims._calibration import merge_calibrations
    from claims.cli import main

    base = claims.calibrate([SAFE, FALSE], 4, profile=CAL)
    fixed = dataclasses.replace(SAFE, id="CAL/false")            # "the fix": same id, now a true claim
    upd = claims.calibrate([fixed], 4, profile=CAL)
    m = merge_calibrations(base, upd)
    assert m["claim_ids"] == ["CAL/safe", "CAL/false"] and len(m["runs"]) == 8
    by = {c["claim_id"]: c for c in m["claims"]}
    assert base["suite"]["fail_rate"] == 1.0 and by["CAL/false"]["fails"] == 0 and m["suite"]["fail_rate"] == 0.0
    assert [p["claims"] for p in m["parts"]] == ["all 2 claims", ["CAL/false"]]
    with pytest.raises(ValueError, match="different seeds"):
        merge_calibrations(base, claims.calibrate([fixed], 3, profile=CAL))
    # the CLI: the base file survives, --json gets the merged document, same-path output is refused
    bj, uj = tmp_path / "base.json", tmp_path / "upd.json"
    assert main(["calibrate", "--claim", "tests/test_calibration.py:SAFE", "--claim", "tests/test_calibration.py:FALSE",
                 "--profile", "quick", "--seeds", "3", "--json", str(bj), "--html", ""]) == 1
    assert main(["calibrate", "--claim", "tests/test_calibration.py:SAFE", "--profile", "quick", "--seeds", "3",
                 "--json", str(uj), "--html", str(tmp_path / "m.html"), "--merge-into", str(bj)]) == 1
    merged = read_calibration(uj)
    assert len(merged["runs"]) == 6 and len(merged["parts"]) == 2 and len(read_calibration(bj)["runs"]) == 6
    assert "part " in capsys.readouterr().out and "Merged part" in (tmp_path / "m.html").read_text()
    assert main(["calibrate", "--claim", "tests/test_calibration.py:SAFE", "--profile", "quick", "--seeds", "3",
                 "--json", str(bj), "--merge-into", str(bj)]) == 2
    assert main(["calibrate", "--claim", "tests/test_calibration.py:SAFE", "--profile", "ci", "--seeds", "3",
                 "--json", str(uj), "--merge-into", str(bj)]) == 2


def test_merge_adds_disjoint_seeds_of_the_same_claims():
    """More base seeds in chunks: seeds 0..3 and 4..6 of the same claims merge into 7 seeds; overlapping
    seeds, a different selection or a different claim-level alpha are refused."""
    from claims._calibration import merge_calibrations

    a = claims.calibrate([SAFE, BOUNDARY], 4, profile=CAL)
    b = claims.calibrate([SAFE, BOUNDARY], 3, profile=CAL, seed_start=4)
    m = merge_calibrations(a, b)
    assert m["seeds"] == list(range(7)) and len(m["runs"]) == 14 and m["suite"]["seeds_complete"] == 7
    assert [p["claims"] for p in m["parts"]] == ["all 2 claims, seeds 0..3", "all 2 claims, seeds 4..6"]
    by = {c["claim_id"]: c for c in m["claims"]}
    assert by["CAL/boundary"]["runs"] == 7
    assert by["CAL/boundary"]["fails"] == sum(c["claim_id"] == "CAL/boundary" and c["verdict"] == "fail"
                                              for c in a["runs"] + b["runs"])
    with pytest.raises(ValueError, match="overlapping seeds: \\[3\\]"):
        merge_calibrations(a, claims.calibrate([SAFE, BOUNDARY], 2, profile=CAL, seed_start=3))
    with pytest.raises(ValueError, match="claims 2 vs 1"):
        merge_calibrations(a, claims.calibrate([SAFE], 2, profile=CAL, seed_start=10))
    with pytest.raises(ValueError, match="different claim-level alpha"):
        merge_calibrations(a, claims.calibrate([SAFE, BOUNDARY], 2, profile=dataclasses.replace(CAL, alpha=0.1),
                                               seed_start=10))


def test_calibrate_runs_each_claim_under_the_suite_contract():
    """With alpha_suite each claim is calibrated at alpha_suite / n_suite, as ``ovpcheck run`` of that
    suite checks it; the document records the contract and the design bound is alpha_suite."""
    prof = dataclasses.replace(CAL, alpha_suite=0.2)
    doc = claims.calibrate([SAFE, BOUNDARY], 2, profile=prof)
    assert doc["profile_settings"]["alpha"] == pytest.approx(0.1)
    assert doc["contract"]["by_design"] and doc["contract"]["n_claims"] == 2
    assert doc["suite"]["design_bound"] == pytest.approx(0.2)
    doc = claims.calibrate([SAFE], 2, profile=prof, n_suite=4)     # one claim of a 4-claim suite
    assert doc["profile_settings"]["alpha"] == pytest.approx(0.05) and doc["contract"]["n_claims"] == 4
    with pytest.raises(ValueError, match="n_suite must be an int >= the 2 selected"):
        claims.calibrate([SAFE, BOUNDARY], 2, profile=prof, n_suite=1)


def test_document_is_rewritten_at_most_every_save_interval_and_always_at_the_end(tmp_path, monkeypatch):
    """The calibration file is rewritten at most every SAVE_EVERY_S seconds while runs finish (a rewrite
    re-summarises every run: after every run it was quadratic and slowed the ci calibration 3.5 x), and
    always at the end; an interruption still leaves the runs measured so far (``complete: false``)."""
    from claims import _calibration

    writes = []
    real = _calibration.atomic_write_json
    monkeypatch.setattr(_calibration, "atomic_write_json", lambda p, d: (writes.append(len(d["runs"])), real(p, d)))
    monkeypatch.setattr(_calibration, "SAVE_EVERY_S", 1e9)
    path = tmp_path / "cal.json"
    doc = claims.calibrate([SAFE, BOUNDARY], 5, profile=CAL, json_path=str(path))
    assert writes == [1, 10] and doc["complete"] is True         # the first run, then the end only
    assert read_calibration(path)["complete"] is True and len(read_calibration(path)["runs"]) == 10

    calls = []

    def interrupting(claim, *a, **k):
        calls.append(claim.id)
        if len(calls) == 4:
            raise KeyboardInterrupt("stopped")
        return {"claim_id": claim.id, "seed": int(a[3]), "verdict": "pass", "wall_time_s": 0.0, "message": "",
                "tightness": None}

    writes.clear()
    monkeypatch.setattr(_calibration, "_unit", interrupting)
    with pytest.raises(KeyboardInterrupt):
        claims.calibrate([SAFE, BOUNDARY], 5, profile=CAL, json_path=str(path))
    back = read_calibration(path)
    assert back["complete"] is False and len(back["runs"]) == 3 and writes == [1, 3]
