"""claims.check end to end on cheap synthetic claims whose truth is known:
verdicts, errors, scalings, JSON, reproduction command, CLI."""

import dataclasses
import json
import math
import os
import subprocess
import sys

import numpy as np
import pytest
import torch

import claims
from claims import Bound, Claim, FloatParam, IntParam, Measurement, Profile, Scaling, Source

SRC = Source("synthetic.txt", "Fact 1")
FAST = Profile("fast", max_examples=4, trials=16, limits={"width": 64}, alpha=0.01, max_shrinks=10)


def uniform_measure(point, ctx):
    """U ~ Uniform(0, 1), K trials; P(U > 1 - r) = r exactly."""
    return torch.rand(ctx.trials, generator=ctx.generator(), dtype=ctx.dtype)


def width_measure(point, ctx):
    """Violations only at large m: U * (1 + [m > 12]) — the shrunk counterexample is m = 13."""
    u = torch.rand(ctx.trials, generator=ctx.generator(), dtype=ctx.dtype)
    return u * (1.0 + float(point["m"] > 12)) + 0.5 * float(point["m"] > 12)


def power_law_measure(point, ctx):
    """y = omega**0.5 * exp(0.1 z): log-log slope 0.5 exactly in expectation."""
    z = torch.randn(ctx.trials, generator=ctx.generator(), dtype=ctx.dtype)
    return Measurement(values=point["omega"] ** 0.5 * torch.exp(0.1 * z),
                       extras={"square": point["omega"] * torch.exp(0.2 * z), "const": 1.0})


def _claim(id, measure=uniform_measure, constant=0.999, regime=(IntParam("n", 1, 100),), **kw):
    return Claim(id=id, title=id, source=SRC, statement_tex="x", family="sanity", regime=regime,
                 measure=measure, bound=kw.pop("bound", Bound("upper", lambda p: 1.0, constant, provenance="exact")),
                 **kw)


TRUE_UPPER = _claim("SYN/true-upper", constant=0.99, failure_prob=0.05)
FALSE_WIDTH = _claim("SYN/false-width", measure=width_measure, constant=1.0, failure_prob=0.05,
                     regime=(IntParam("m", 8, 512, log=True, limit="width"),))
POWER_LAW = _claim("SYN/power-law", measure=power_law_measure, regime=(FloatParam("omega", 1e-3, 1e-1, log=True),),
                   bound=Bound("upper", lambda p: p["omega"] ** 0.5, 2.0, provenance="exact"), failure_prob=0.0,
                   scalings=(Scaling("omega", 0.5, "at_most", grid=(1e-3, 1e-2, 1e-1)),))


def test_true_claim_passes_with_power():
    r = claims.check(TRUE_UPPER, profile=FAST, seed=3)
    assert r.verdict == "pass", r.message
    s = r.stats
    assert s["examples_run"] == 4 and s["total_trials"] == 64
    assert 0 < s["power"] <= 0.5
    assert s["violation_rate_ci"][0] <= 0.01 <= s["violation_rate_ci"][1]
    assert "Bonferroni" in r.decision_rule and "0.01/4" in r.decision_rule
    assert r.versions["torch"] == torch.__version__ and r.device == "cpu" and r.dtype == "float64"
    assert len(r.examples) == 4 and all("p_value" in e and "seed" in e for e in r.examples)


def test_false_claim_fails_shrinks_and_reproduces():
    r = claims.check(FALSE_WIDTH, profile=FAST, seed=0)
    assert r.verdict == "fail", r.message
    ce = r.counterexample
    assert ce["point"] == {"m": 13}  # shrunk to the smallest failing width
    assert ce["violations"] >= claims._stats.critical_count(16, 0.05, 0.01 / 4)
    assert r.worst_example["max_ratio"] >= ce["max_ratio"]
    cmd = ce["reproduce"]
    assert cmd.startswith("python -m claims reproduce --claim tests/test_engine_check.py:FALSE_WIDTH")
    # run the one-line command alone: it must print the same numbers
    out = subprocess.run(cmd.replace("python", sys.executable, 1), shell=True, capture_output=True, text=True,
                         cwd=os.getcwd(), timeout=120)
    assert out.returncode == 0, out.stderr
    rep = json.loads(out.stdout)
    assert rep["values"] == ce["values"] and rep["violations"] == ce["violations"]
    assert rep["bound_upper"] == ce["bound_upper"] and rep["point"] == ce["point"]
    # and from Python
    again = claims.reproduce(FALSE_WIDTH, ce["point"], ce["seed"], 16)
    assert again["values"] == ce["values"]


def test_same_seed_same_result_different_seed_different_draws():
    a = claims.check(TRUE_UPPER, profile=FAST, seed=11)
    b = claims.check(TRUE_UPPER, profile=FAST, seed=11)
    c = claims.check(TRUE_UPPER, profile=FAST, seed=12)
    assert a.examples == b.examples
    assert [e["seed"] for e in a.examples] != [e["seed"] for e in c.examples]


@pytest.mark.parametrize("measure, fragment", [
    (lambda p, ctx: torch.full((ctx.trials,), math.nan), "non-finite"),
    (lambda p, ctx: torch.zeros(ctx.trials, 2), "shape"),
    (lambda p, ctx: 1 / 0, "ZeroDivisionError"),
    (lambda p, ctx: "x", "must be a torch.Tensor"),
])
def test_broken_measures_give_error_never_pass(measure, fragment):
    r = claims.check(_claim("SYN/broken", measure=measure), profile=FAST)
    assert r.verdict == "error"
    assert fragment in r.message
    assert r.error


def test_non_positive_shape_at_a_drawn_point_is_an_error_verdict():
    c = _claim("SYN/shape", bound=Bound("upper", lambda p: 1.0 if p["n"] < 5 else -1.0, 1.0, provenance="x"),
               regime=(IntParam("n", 1, 100),))
    r = claims.check(c, profile=Profile("p", max_examples=10, trials=4, alpha=0.5), seed=0)
    assert r.verdict == "error" and "shape must be finite and > 0" in r.message


def test_lower_and_two_sided_bounds():
    lower_true = _claim("SYN/lower", bound=Bound("lower", lambda p: 1.0, 0.001, provenance="x"), failure_prob=0.05)
    r = claims.check(lower_true, profile=FAST)
    assert r.verdict == "pass" and r.stats["tightness"] == r.stats["min_ratio"]
    lower_false = dataclasses.replace(lower_true, bound=Bound("lower", lambda p: 1.0, 0.9, provenance="x"))
    assert claims.check(lower_false, profile=FAST).verdict == "fail"
    two = _claim("SYN/two", bound=Bound("two-sided", lambda p: 1.0, 1.0, provenance="x", lower_constant=0.0001),
                 failure_prob=0.05)
    assert claims.check(two, profile=FAST).verdict == "pass"
    two_false = dataclasses.replace(two, bound=Bound("two-sided", lambda p: 1.0, 1.0, provenance="x",
                                                      lower_constant=0.5))
    assert claims.check(two_false, profile=FAST).verdict == "fail"


def test_exact_claim_any_violation_fails_and_quick_power_inconclusive():
    exact = _claim("SYN/exact", constant=0.9, failure_prob=0.0)
    assert claims.check(exact, profile=FAST).verdict == "fail"
    # K=6, 2 examples -> cannot detect violation rates <= 0.5 against p0 = 0.05
    weak = _claim("SYN/weak", constant=10.0, failure_prob=0.05)
    r = claims.check(weak, profile=Profile("tiny", max_examples=2, trials=6))
    assert r.verdict == "inconclusive" and "budget too small" in r.message
    assert r.stats["power"] > 0.5


def test_scalings_pass_fail_loose_and_report():
    r = claims.check(POWER_LAW, profile=FAST, seed=0)
    assert r.verdict == "pass", r.message
    sc = r.scalings[0]
    assert sc["ci"][0] < 0.5 < sc["ci"][1] and sc["verdict"] == "ok"
    assert r.stats["fitted_exponents"][0]["slope"] == pytest.approx(0.5, abs=0.05)
    sharper = dataclasses.replace(POWER_LAW, id="SYN/power-law/sharper", kind="conjecture",
                                  scalings=(dataclasses.replace(POWER_LAW.scalings[0], exponent=0.4),))
    r2 = claims.check(sharper, profile=FAST, seed=0)
    assert r2.verdict == "fail" and "above the claimed exponent 0.4" in r2.message
    looser = dataclasses.replace(POWER_LAW, scalings=(Scaling("omega", 0.7, grid=(1e-3, 1e-1)),
                                                     Scaling("omega", 1.0, "equal", series="square",
                                                             grid=(1e-3, 1e-1)),
                                                     Scaling("omega", 0.0, "report", series="const",
                                                             grid=(1e-3, 1e-1))))
    r3 = claims.check(looser, profile=FAST, seed=0)
    assert r3.verdict == "pass", r3.message
    assert [s["verdict"] for s in r3.scalings] == ["loose", "ok", "report"]
    assert any("loose" in f for f in r3.findings)
    assert r3.stats["n_tests"] == 4 + 2  # report scalings do not spend alpha


def test_scaling_grid_outside_profile_and_nonpositive_series():
    c = _claim("SYN/grid", regime=(IntParam("m", 8, 4096, limit="width"),), constant=10.0, failure_prob=0.0,
               scalings=(Scaling("m", 0.0, grid={"quick": (128, 1024), "fast": (128, 1024)}),))
    r = claims.check(c, profile=FAST)
    assert r.verdict == "inconclusive" and "fewer than 2 grid values" in r.message
    neg = _claim("SYN/neg", measure=lambda p, ctx: torch.zeros(ctx.trials), constant=1.0, failure_prob=0.0,
                 regime=(FloatParam("omega", 0.1, 1.0),), scalings=(Scaling("omega", 1.0, grid=(0.1, 1.0)),))
    r = claims.check(neg, profile=FAST)
    assert r.verdict == "error" and "non-positive" in r.message


def test_constraint_that_raises_is_an_error_not_a_pass():
    """A constraint raising on part of the regime ends the check as an error naming the point
    (it used to be shrunk by Hypothesis as a failing test, its shrink steps counted as examples,
    and the claim passed on the points where it did not raise)."""
    c = _claim("SYN/constraint-raises", constraint=lambda p: 1 / 0 if p["n"] > 1 else True)
    for decision in ("fixed", "anytime"):
        r = claims.check(c, profile=dataclasses.replace(FAST, decision=decision))
        assert r.verdict == "error", (r.verdict, r.message)
        assert "constraint raised" in r.message and "ZeroDivisionError" in r.message
        assert "ZeroDivisionError" in r.error


def test_constraint_rejecting_everything_is_inconclusive():
    c = _claim("SYN/never", constraint=lambda p: False)
    r = claims.check(c, profile=FAST)
    assert r.verdict == "inconclusive" and "no valid example" in r.message


def test_result_json_roundtrip_and_results_file(tmp_path):
    r = claims.check(FALSE_WIDTH, profile=FAST)
    back = claims.ClaimResult.from_json(r.to_json())
    assert back == r
    path = tmp_path / "sub" / "claims.json"
    claims.write_results(path, [r, claims.check(TRUE_UPPER, profile=FAST)], profile="fast", complete=True)
    doc = json.loads(path.read_text())
    assert doc["schema"] == "ovpcheck-results" and doc["version"] == 1 and doc["complete"] is True
    assert [d["verdict"] for d in doc["results"]] == ["fail", "pass"]
    assert not [p for p in os.listdir(path.parent) if p.startswith(".claims-")]  # no temp files left
    assert claims.read_results(path)["results"][0] == r


def test_cli_usage_errors_exit_2(capsys):
    """In-process (a subprocess costs a torch import); the reproduce test runs one for real."""
    from claims.cli import main

    for args, fragment in [(("run", "--profile", "fast"), "unknown profile"),
                           (("run", "--device", "tpu"), "device"),
                           (("run", "--dtype", "float16"), "dtype"),
                           (("reproduce", "NOPE/x", "--point", "{}", "--seed", "1", "--trials", "2"), "no catalog claim"),
                           (("reproduce", "--claim", "nofile.py:X", "--point", "{}", "--seed", "1", "--trials", "2"),
                            "no such file"),
                           (("reproduce", "--claim", "tests/test_engine_check.py:TRUE_UPPER", "--point", "{",
                             "--seed", "1", "--trials", "2"), "not valid JSON")]:
        assert main(list(args)) == 2, args
        err = capsys.readouterr().err
        assert fragment in err and "Traceback" not in err, (args, err)
    assert main(["list", "-k", "no-such-claim-id"]) == 0


def test_cli_reproduce_user_claim_in_process(capsys):
    from claims.cli import main

    assert main(["reproduce", "--claim", "tests/test_engine_check.py:TRUE_UPPER", "--point", '{"n": 3}',
                 "--seed", "5", "--trials", "4"]) == 0
    out = json.loads(capsys.readouterr().out)
    direct = claims.reproduce(TRUE_UPPER, {"n": 3}, 5, 4)
    assert out["values"] == direct["values"] and len(out["values"]) == 4


def test_cli_run_and_report_on_registered_claims(tmp_path, capsys):
    from claims import catalog
    from claims.cli import main

    good = _claim("SYNCLI/good", constant=1.0, failure_prob=0.0)
    bad = _claim("SYNCLI/bad", constant=0.5, failure_prob=0.0)
    for c in (good, bad):
        catalog.register(c)
    try:
        assert main(["list", "-k", "SYNCLI"]) == 0
        assert "SYNCLI/good" in capsys.readouterr().out
        js = tmp_path / "r.json"
        assert main(["run", "-k", "SYNCLI/good", "--profile", "quick", "--json", str(js)]) == 0
        err = capsys.readouterr().err
        assert "PASS" in err and "SYNCLI/good" in err
        assert json.loads(js.read_text())["complete"] is True
        assert main(["report", "-k", "SYNCLI", "--profile", "quick", "--json", str(js),
                     "--html", str(tmp_path / "r.html")]) == 1  # one claim fails
        err = capsys.readouterr().err
        assert "FAIL" in err and "reproduce 'SYNCLI/bad'" in err
        doc = claims.read_results(js)
        assert [r.claim_id for r in doc["results"]] == ["SYNCLI/bad", "SYNCLI/good"]
        # the catalog form of the reproduction command reproduces the numbers
        ce = doc["results"][0].counterexample
        assert main(["reproduce", "SYNCLI/bad", "--point", json.dumps(ce["point"]), "--seed", str(ce["seed"]),
                     "--trials", str(ce["trials"]), "--profile", "quick"]) == 0
        assert json.loads(capsys.readouterr().out)["values"] == ce["values"]
    finally:
        for c in (good, bad):
            catalog._REGISTRY.pop(c.id, None)


def zero_at_small_omega_measure(point, ctx):
    """y = omega**0.5 * exp(0.1 z), except that trials 0..z0-1 are exactly 0 at the smallest grid value
    (z0 = point['z0']): a series where 0 is a legitimate outcome."""
    z = torch.randn(ctx.trials, generator=ctx.generator(), dtype=ctx.dtype)
    y = point["omega"] ** 0.5 * torch.exp(0.1 * z)
    if point["omega"] < 2e-3:
        y[: int(point["z0"])] = 0.0
    return Measurement(values=y.clamp_min(1e-9), extras={"y": y})


def _zero_claim(z0, zeros):
    return _claim(f"SYN/zeros-{z0}-{zeros}", measure=zero_at_small_omega_measure, failure_prob=0.0,
                  regime=(FloatParam("omega", 1e-3, 1e-1, log=True), IntParam("z0", 0, 16)),
                  bound=Bound("upper", lambda p: p["omega"] ** 0.5, 2.0, provenance="exact"),
                  scalings=(Scaling("omega", 0.5, "at_most", grid=(1e-3, 1e-2, 1e-1), base={"z0": z0},
                                    series="y", tolerance=0.1, zeros=zeros),))


def test_scaling_zeros_drop_leaves_zeros_out_and_counts_them():
    r = claims.check(_zero_claim(2, "drop"), profile=FAST, seed=5)
    sc = r.scalings[0]
    assert sc["verdict"] == "ok" and sc["zeros_dropped"] == [2, 0, 0], sc
    assert len(sc["values"][0]) == 14 and len(sc["values"][1]) == 16
    assert abs(sc["slope"] - 0.5) < 0.05 and "2 zero value(s) left out" in sc["message"]
    assert r.to_dict()["claim"]["scalings"][0]["zeros"] == "drop"
    clean = claims.check(_zero_claim(0, "drop"), profile=FAST, seed=5).scalings[0]
    assert clean["zeros_dropped"] == [0, 0, 0] and "left out" not in clean["message"]


def test_scaling_zeros_default_is_an_error_with_the_fix_named():
    sc = claims.check(_zero_claim(2, "error"), profile=FAST, seed=5).scalings[0]
    assert sc["verdict"] == "error" and "zeros='drop'" in sc["message"], sc["message"]
    many = claims.check(_zero_claim(9, "drop"), profile=FAST, seed=5).scalings[0]
    assert many["verdict"] == "error" and "0 in 9 of 16 trials" in many["message"], many["message"]
    with pytest.raises(claims.InvalidClaimError, match="zeros must be"):
        Scaling("omega", 0.5, grid=(1, 2), zeros="clip")
