"""The anytime exponent test (issue 14): :class:`claims._sequential.ScalingRule`, validated on a
synthetic power law and through the engine.

Under ``decision="anytime"`` (quick and ci) a gated scaling looks at 8, 16, 32, ... trials per
grid point and stops at the first look where

* its ``1 - alpha/J`` interval lies past the claimed exponent plus tolerance (**fail**), or
* its one-sided ``1 - beta/J`` bound (``beta = 1 - power_target = 0.1``) excludes an exponent
  error of ``exponent_target`` = 1/6 (**pass**);

otherwise it is **inconclusive** at the budget. What must hold, and is measured here:

(a) a true exponent (on the boundary ``e + tol``, the hardest true case) fails with probability
    <= alpha/2 (one-sided) under the optional stopping;
(b) an exponent wrong by 1/6 on the violating side passes with probability <= 0.1 (so "every
    gated exponent detects a deviation of 1/6 with probability >= 0.9", detection meaning "does
    not pass": it fails or is inconclusive);
(c) a clean power law passes early: the rule spends fewer trials than a fixed budget.

The truth: ``y = x**beta * exp(sigma z)`` on the grid 1e-3, 1e-2, 1e-1 (``test_exponent_power``'s).
The simulations run the engine's own fit (:func:`claims._stats.slope_fit`) and rule on numpy draws.
Allowance for the finite number R of simulated scalings: a rate claimed <= r is asserted unless
P(Binom(R, r) >= f) <= 1e-3. Measured when this file was written (seeds fixed; print with ``-s``):
see the numbers in the asserts' messages and ``docs/engine.md``.
"""

import concurrent.futures as cf
import json
import math

import numpy as np
import pytest
from scipy import stats

import claims
from claims import Profile, _stats
from claims._sequential import ScalingRule

from test_exponent_power import GRID, XS, _claim, _draw, _reps

TARGET = 1 / 6
ALPHA = 0.1
R = 400


def simulate(beta, e, rel, tol, *, seed, runs=R, sigma=0.5, batch=8, budget=64, alpha=ALPHA):
    """``runs`` anytime exponent tests of the synthetic power law (true exponent ``beta``, claimed
    ``rel e`` with tolerance ``tol``). Returns (counts {fail, pass, inconclusive}, trials used)."""
    rule = ScalingRule(batch=batch, max_trials=budget, target=TARGET, power_target=0.9)
    a_look = rule.fail_alpha(alpha)
    reps = _reps(a_look)
    counts = {"fail": 0, "pass": 0, "inconclusive": 0}
    used = []
    for r in range(runs):
        rng = np.random.default_rng([seed, r])
        ys = np.empty((len(XS), 0))
        for j, n in enumerate(rule.looks):
            ys = np.concatenate([ys, _draw(rng, beta, sigma, n - ys.shape[1])], axis=1)
            sf = _stats.slope_fit(XS, ys, a_look, reps, rng)
            state, *_ = rule.decide(rel, e, tol, sf.slope, sf.lo, sf.hi, sf.se, sf.df, last=j == len(rule.looks) - 1)
            if state != "continue":
                break
        counts[state] += 1
        used.append(ys.shape[1])
    return counts, np.array(used)


def _report(name, f, runs, target):
    lo, hi = _stats.clopper_pearson(f, runs, 0.99)
    print(f"\n{name}: {f}/{runs} = {f / runs:.3f} (99% CP [{lo:.3f}, {hi:.3f}]; target {target})")


def _not_above(f, runs, rate):
    return stats.binom.sf(f - 1, runs, rate) > 1e-3


# ----------------------------------------------------------------------------- the rule itself


def test_looks_double_up_to_the_budget_and_bad_input_is_refused():
    assert ScalingRule(8, 64).looks == [8, 16, 32, 64]
    assert ScalingRule(8, 32).looks == [8, 16, 32]
    assert ScalingRule(8, 48).looks == [8, 16, 32, 48]
    assert ScalingRule(8, 8).looks == [8]
    r = ScalingRule(8, 64)
    assert r.fail_alpha(0.01) == pytest.approx(0.0025)
    assert r.bound_quantile(math.inf) == pytest.approx(stats.norm.ppf(1 - 0.1 / 4))
    for bad in (dict(batch=1, max_trials=8), dict(batch=8, max_trials=4), dict(batch=8, max_trials=8, target=0),
                dict(batch=8, max_trials=8, power_target=1.0)):
        with pytest.raises(ValueError):
            ScalingRule(**bad)
    with pytest.raises(ValueError, match="relation"):
        r.decide("report", 0.5, 0, 0.5, 0.4, 0.6, 0.01, 30, last=False)


def test_decide_by_hand():
    r = ScalingRule(8, 64)          # J = 4: bound quantile t(1 - 0.025, df); at df = inf 1.95996
    z = stats.norm.ppf(0.975)
    e = 0.5
    # at_most: tight slope, small se -> pass; the excluded error is the bound's excess over e
    st, lo, hi, ex = r.decide("at_most", e, 0.1, 0.52, 0.40, 0.64, 0.03, math.inf, last=False)
    assert st == "pass" and hi == pytest.approx(0.52 + z * 0.03) and ex == pytest.approx(0.02 + z * 0.03)
    # the same slope with a wide spread: undecided until the last look
    assert r.decide("at_most", e, 0.1, 0.52, 0.10, 0.94, 0.1, math.inf, last=False)[0] == "continue"
    assert r.decide("at_most", e, 0.1, 0.52, 0.10, 0.94, 0.1, math.inf, last=True)[0] == "inconclusive"
    # fail only when the fail interval clears e + tol, whatever the bound says
    assert r.decide("at_most", e, 0.1, 0.9, 0.61, 1.2, 0.05, math.inf, last=False)[0] == "fail"
    assert r.decide("at_most", e, 0.1, 0.9, 0.59, 1.2, 0.05, math.inf, last=True)[0] == "inconclusive"
    # a loose bound (slope far below) passes with nothing excluded beyond 0
    st, _, _, ex = r.decide("at_most", e, 0.0, -1.0, -1.2, -0.8, 0.05, math.inf, last=False)
    assert st == "pass" and ex == 0.0
    # at_least mirrors; equal needs both sides
    assert r.decide("at_least", e, 0.0, 0.48, 0.40, 0.56, 0.02, math.inf, last=False)[0] == "pass"
    assert r.decide("at_least", e, 0.05, 0.2, 0.1, 0.3, 0.03, math.inf, last=False)[0] == "fail"
    st, lo, hi, ex = r.decide("equal", e, 0.0, 0.45, 0.35, 0.55, 0.05, math.inf, last=False)
    assert st == "pass" and ex == pytest.approx(max(0.45 + z * 0.05 - e, e - (0.45 - z * 0.05)))
    assert r.decide("equal", e, 0.0, 0.30, 0.2, 0.4, 0.02, math.inf, last=False)[0] == "fail"
    # the tolerance widens the fail side only: a slope 0.25 above e with tol 0.3 never passes
    assert r.decide("at_most", e, 0.3, 0.75, 0.7, 0.8, 0.01, math.inf, last=True)[0] == "inconclusive"
    # no spread at all (a deterministic series): the bound is the slope
    assert r.decide("at_most", e, 0.0, 0.5, 0.5, 0.5, 0.0, math.inf, last=False)[:2] == ("pass", 0.5)
    # a broken fit (se not finite) never passes
    assert r.decide("at_most", e, 0.0, 0.5, -math.inf, math.inf, math.inf, math.inf, last=True)[0] == "inconclusive"


# ----------------------------------------------------------------------------- (a), (b), (c): simulated


@pytest.mark.parametrize("rel,tol", [("at_most", 0.1), ("at_least", 0.05), ("equal", 0.0)])
def test_level_under_optional_stopping_and_one_sixth_never_passes(rel, tol):
    e = 0.5
    beta0 = e + tol if rel == "at_most" else e - tol if rel == "at_least" else e
    c0, used0 = simulate(beta0, e, rel, tol, seed=41)
    nominal = ALPHA if rel == "equal" else ALPHA / 2
    _report(f"{rel} tol={tol}: false-fail at true exponent {beta0:g}", c0["fail"], R, f"<= {nominal}")
    assert _not_above(c0["fail"], R, nominal), c0
    # (b) an exponent error of 1/6 on the violating side (both sides for equal) passes w.p. <= 0.1
    for sign in ((+1,) if rel == "at_most" else (-1,) if rel == "at_least" else (+1, -1)):
        c1, _ = simulate(e + sign * TARGET, e, rel, tol, seed=42 + (sign < 0))
        _report(f"{rel}: pass rate at an exponent error of {sign * TARGET:+.4f}", c1["pass"], R, "<= 0.1")
        assert _not_above(c1["pass"], R, 0.1), c1
        assert c1["fail"] + c1["inconclusive"] + c1["pass"] == R


def test_clean_power_law_passes_early_and_a_large_error_fails():
    c, used = simulate(0.5, 0.5, "at_most", 0.1, seed=43, runs=200, sigma=0.3)
    print(f"\nclean, sigma 0.3: {c}, trials per grid point {dict(zip(*np.unique(used, return_counts=True)))}")
    assert c["pass"] >= 190 and np.mean(used) < 16          # most stop at the first look (8 trials)
    c, used = simulate(0.5, 0.5, "at_most", 0.1, seed=44, runs=200, sigma=1.0)
    print(f"clean, sigma 1.0: {c}, mean trials {np.mean(used):.1f}")
    assert c["pass"] >= 180 and 8 < np.mean(used) <= 64    # noisier: more looks, still settled
    c, used = simulate(1.0, 0.5, "at_most", 0.1, seed=45, runs=200, sigma=0.5)
    assert c["fail"] >= 190 and c["pass"] == 0             # an exponent error of 1/2: fails


def test_noise_beyond_the_budget_is_inconclusive_not_pass():
    """sigma = 4 with 16 trials per grid point at most: an exponent error of 1/6 is neither passed (the
    bound cannot exclude it: <= 10%) nor, mostly, failed (the fail interval is wide): inconclusive."""
    c, used = simulate(0.5 + TARGET, 0.5, "at_most", 0.0, seed=46, runs=200, sigma=4.0, budget=16)
    print(f"\nsigma 4, budget 16, exponent error 1/6: {c}")
    assert _not_above(c["pass"], 200, 0.1) and c["inconclusive"] >= 150 and used.max() == 16, c


# ----------------------------------------------------------------------------- the engine


def _anytime(**kw):
    base = dict(name="anytime-power", max_examples=1, trials=16, alpha=0.01, time_budget_s=60.0,
                decision="anytime", batch=8, max_trials=32, scaling_max_trials=64)
    base.update(kw)
    return Profile(**base)


def test_engine_anytime_pass_states_excluded_error_and_is_deterministic():
    claim = _claim(beta=0.5, sigma=1.0)
    prof = _anytime()
    assert prof.scaling_rule().looks == [8, 16, 32, 64]
    r = claims.check(claim, profile=prof, seed=7)
    sc = r.scalings[0]
    assert r.verdict == "pass", r.message
    assert sc["verdict"] == "ok" and sc["decision"] == "anytime"
    assert sc["detectable_deviation"] <= TARGET and sc["trials"] in (8, 16, 32, 64)
    assert sc["looks"] == [8, 16, 32, 64] and len(sc["trajectory"]) == sc["batches"]
    assert [t[0] for t in sc["trajectory"]] == [8, 16, 32, 64][:sc["batches"]]
    assert sc["confidence_bound"][1] == pytest.approx(0.5 + sc["detectable_deviation"])
    assert sc["ci_level"] == pytest.approx(1 - 0.01 / 4) and "excludes exponent errors" in sc["message"]
    assert len(sc["values"][0]) == sc["trials"] and sc["fail_deviation"] > sc["tolerance"]
    # deterministic from the seed, through any executor
    with cf.ThreadPoolExecutor(2) as ex:
        pooled = claims.check(claim, profile=prof, seed=7, executor=ex)
    assert pooled.scalings[0]["values"] == sc["values"] and pooled.scalings[0]["slope"] == sc["slope"]
    d = json.loads(r.to_json())
    assert d["scalings"][0]["trajectory"] == sc["trajectory"] and d["profile"]["scaling_max_trials"] == 64
    assert "anytime exponent test" in r.decision_rule


def test_engine_anytime_wrong_exponent_does_not_pass_and_small_budget_is_inconclusive():
    # claimed 1/2, true 2/3: an error of 1/6 with a spread that settles it within 64 trials
    bad = claims.check(_claim(beta=0.5 + TARGET, sigma=0.3, exponent=0.5), profile=_anytime(), seed=2)
    assert bad.verdict in ("fail", "inconclusive") and bad.scalings[0]["verdict"] in ("fail", "inconclusive")
    assert bad.scalings[0]["detectable_deviation"] > TARGET or bad.scalings[0]["verdict"] == "fail"
    far = claims.check(_claim(beta=1.0, sigma=0.3, exponent=0.5), profile=_anytime(), seed=2)
    assert far.verdict == "fail" and far.scalings[0]["batches"] == 1     # a clear error: the first look
    small = claims.check(_claim(beta=0.5, sigma=3.0), profile=_anytime(scaling_max_trials=16), seed=3)
    s = small.scalings[0]
    assert small.verdict == "inconclusive" and s["verdict"] == "inconclusive" and s["trials"] == 16
    assert "does not exclude an exponent error of 1/6" in s["message"] and "scaling_max_trials" in s["message"]
    # report scalings are not tested: K trials, no rule
    rep = claims.check(_claim(beta=0.5, sigma=2.0, relation="report"), profile=_anytime(), seed=1)
    assert rep.scalings[0]["verdict"] == "report" and rep.scalings[0]["trials"] == 16
    assert "detectable_deviation" not in rep.scalings[0]


def test_shipped_profiles_use_the_rule():
    ci, quick = claims.get_profile("ci"), claims.get_profile("quick")
    assert ci.scaling_rule().looks == [8, 16, 32, 64] and quick.scaling_rule().looks == [8, 16, 32, 64]
    assert ci.scaling_rule().target == TARGET and quick.scaling_rule().target == 0.25   # the gate: 1/6
    assert claims.get_profile("thorough").scaling_rule() is None      # fixed: K = 64, one look
    assert GRID == (1e-3, 1e-2, 1e-1)


NOISY = _claim(beta=0.5, sigma=8.0)   # no budget settles this sweep: inconclusive under quick


def test_cli_strict_turns_an_inconclusive_run_red(tmp_path, capsys):
    """``ovpcheck run --strict``: an inconclusive claim exits 1 (a gate that must catch what passes
    promise to rule out); without it the run exits 0 (only fail and error are red)."""
    from claims.cli import main

    args = ["run", "--claim", "tests/test_exponent_anytime.py:NOISY", "--profile", "quick",
            "--json", str(tmp_path / "r.json"), "--time-report", "0"]
    assert main(args) == 0
    assert claims.read_results(tmp_path / "r.json")["results"][0].verdict == "inconclusive"
    assert main(args + ["--strict"]) == 1
    assert "--strict: 1 inconclusive claim(s) turn the run red" in capsys.readouterr().err
