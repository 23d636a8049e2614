"""Power of the exponent checks (issue 14), validated on a synthetic power law.

A gated scaling states ``detectable_deviation``: the smallest error of the claimed exponent that
its slope test (bootstrap-SE t interval, :func:`claims._stats.slope_fit`) fails with probability >= 0.9
(:func:`claims._stats.slope_detectable_deviation`). With sequential sizing on
(``Profile.scaling_max_trials``) it runs more trials per grid point until that deviation is
<= ``Profile.exponent_target`` (1/6), and under ``exponent_gate="gate"`` says ``inconclusive``
when the budget cannot reach it.

The truth: ``y = x**beta * exp(sigma * z)``, z ~ N(0, 1), on the grid 1e-3, 1e-2, 1e-1. The
simulations call the statistics directly on numpy draws (the engine's own fit and rule, minus
the claim machinery, for speed; the statistic against its closed form is in
``test_engine_stats.py``); the engine-level tests go through ``claims.check`` on the same
power law drawn with the measure's torch Generator.

Allowance for the finite number R of simulated scalings (exact, as in
``test_engine_validation.py``): a rate claimed <= r is asserted unless the observed count is
significant evidence against it, P(Binom(R, r) >= f) > 1e-3, and a rate claimed >= r unless
P(Binom(R, r) <= f) > 1e-3. Observed rates and 99% Clopper-Pearson intervals are printed (run
with ``-s``). Rates measured when this file was written (seeds fixed), with the bootstrap-SE t
interval: false-fail at the claimed exponent (R = 400, alpha = 0.1) 0.068 (at_most), 0.055
(at_least) — each one-sided test has nominal level alpha/2 — and 0.122 (equal, nominal alpha);
detection at claimed + stated deviation 0.853 (at_most), 0.880 (at_least), 0.853 / 0.880 (equal,
above / below); at alpha = 0.01: 0.823; with sizing (sigma = 1.5, batches of 16 up to 256;
R = 200): every final deviation <= 1/6 after 48-96 trials per grid point, false-fail 0.035,
detection of an exponent error of 1/6 0.895. The percentile interval it replaced gave 0.083,
0.068 and 0.150 for the three false-fail rates on the same draws (its resampled means have
(K-1)/K of the variance and normal tails).
"""

import concurrent.futures as cf
import json
import math

import numpy as np
import pytest
import torch
from scipy import stats

import claims
from claims import Bound, Choice, Claim, FloatParam, Measurement, Profile, Scaling, Source, _stats

GRID = (1e-3, 1e-2, 1e-1)
XS = np.array(GRID)
POWER = 0.9
TARGET = 1 / 6
R = 400          # simulated scalings per rate
ALPHA = 0.1      # large enough to measure a false-fail rate with R runs; the rule is the same at any alpha
SRC = Source("synthetic.txt", "analytic")


def _reps(alpha):
    """The engine's bootstrap size at level alpha_ex (claims._engine._check_validated)."""
    return int(min(50_000, max(2000, math.ceil(20 / (alpha / 2)))))


def _fails(rel, e, tol, lo, hi):
    """The engine's fail rule for a gated scaling (claims._engine._run_scaling)."""
    if rel == "at_most":
        return lo > e + tol
    if rel == "at_least":
        return hi < e - tol
    return lo > e + tol or hi < e - tol


def _draw(rng, beta, sigma, k):
    return XS[:, None] ** beta * np.exp(sigma * rng.standard_normal((len(XS), k)))


def simulate(beta, e, rel, tol, *, seed, runs=R, sigma=0.3, K=16, alpha=ALPHA, budget=None, target=TARGET):
    """``runs`` scalings of the synthetic power law with true exponent ``beta``, claimed ``rel e``
    (tolerance ``tol``), K trials per grid point; with ``budget`` the engine's sequential sizing
    (batches of K more trials while the detectable deviation exceeds ``target``, up to ``budget``
    per grid point). Returns (fails, final detectable deviations, final trials per grid point)."""
    reps = _reps(alpha)
    budget = budget or K
    fails, dds, ns = 0, [], []
    for r in range(runs):
        rng = np.random.default_rng([seed, r])
        ys = np.empty((len(XS), 0))
        while True:
            ys = np.concatenate([ys, _draw(rng, beta, sigma, min(K, budget - ys.shape[1]))], axis=1)
            s, lo, hi, slopes = _stats.bootstrap_slope_ci(XS, ys, alpha, reps, rng, return_slopes=True)
            dd = _stats.slope_detectable_deviation(s, slopes, rel, tol, alpha, POWER)
            if dd <= target or ys.shape[1] >= budget or tol >= target:
                break
        fails += bool(_fails(rel, e, tol, lo, hi))
        dds.append(dd)
        ns.append(ys.shape[1])
    return fails, np.array(dds), np.array(ns)


def _report(name, f, runs, target):
    lo, hi = _stats.clopper_pearson(f, runs, 0.99)
    print(f"\n{name}: {f}/{runs} = {f / runs:.3f} (99% CP [{lo:.3f}, {hi:.3f}]; target {target})")


def _not_above(f, runs, rate):
    return stats.binom.sf(f - 1, runs, rate) > 1e-3


def _not_below(f, runs, rate):
    return stats.binom.cdf(f, runs, rate) > 1e-3


# ----------------------------------------------------------------------------- (a), (b): level and power


@pytest.mark.parametrize("rel,tol", [("at_most", 0.0), ("at_least", 0.05), ("equal", 0.0)])
def test_false_fail_at_claimed_exponent_and_power_at_stated_deviation(rel, tol):
    e = 0.5
    # (a) the truth on the boundary of the claim: the hardest true case
    beta0 = e + tol if rel == "at_most" else e - tol if rel == "at_least" else e
    f0, dds, _ = simulate(beta0, e, rel, tol, seed=1)
    _report(f"{rel} tol={tol}: false-fail rate at true exponent {beta0:g} (claimed {rel} {e:g})", f0, R,
            f"<= alpha = {ALPHA}" + (" (nominal alpha/2: one-sided)" if rel != "equal" else ""))
    # two-sided at the nominal alpha, each one-sided test at alpha/2
    assert _not_above(f0, R, ALPHA if rel == "equal" else ALPHA / 2), f"{f0}/{R} false fails"
    # the statement reads the spread only: it varies little between runs
    dd = float(np.median(dds))
    q25, q75 = np.percentile(dds, [25, 75])
    print(f"stated detectable deviation: median {dd:.4f}, IQR [{q25:.4f}, {q75:.4f}] (tolerance {tol})")
    assert tol < q25 <= dd <= q75 < 1.3 * dd
    # (b) the truth off by the stated deviation, on the violating side (both sides for equal)
    for sign in ((+1,) if rel == "at_most" else (-1,) if rel == "at_least" else (+1, -1)):
        f1, _, _ = simulate(e + sign * dd, e, rel, tol, seed=2 + (sign < 0))
        _report(f"{rel}: detection at true exponent {e + sign * dd:.4f} = claimed {'+' if sign > 0 else '-'} "
                f"stated deviation", f1, R, ">= 0.85 (nominal 0.9 less the bootstrap approximation)")
        assert _not_below(f1, R, 0.85), f"only {f1}/{R} detected a deviation of {dd:.4f}"


def test_power_at_stated_deviation_at_a_catalog_level():
    """At alpha_ex = 0.01 (the catalog's per-test levels are smaller still) the tails are further
    out and the bootstrap's normal tails matter more; the stated deviation still holds."""
    alpha = 0.01
    _, dds, _ = simulate(0.5, 0.5, "at_most", 0.0, seed=11, runs=100, alpha=alpha)
    dd = float(np.median(dds))
    f1, _, _ = simulate(0.5 + dd, 0.5, "at_most", 0.0, seed=12, runs=300, alpha=alpha)
    _report(f"at_most, alpha=0.01: detection at claimed + stated deviation {dd:.4f}", f1, 300, ">= 0.85")
    assert _not_below(f1, 300, 0.85)


# ----------------------------------------------------------------------------- (c): sequential sizing


def test_sequential_sizing_reaches_the_target_keeps_the_level_and_detects_one_sixth():
    """sigma = 1.5: K = 16 per grid point detects only ~0.27; the sizing adds batches of 16 (budget
    256) until the stated deviation is <= 1/6. The stopping rule reads the spread only, so the one
    final test keeps its level, and an exponent error of 1/6 is then detected w.p. >= ~0.9."""
    sig, budget = 1.5, 256
    _, dd16, _ = simulate(0.5, 0.5, "at_most", 0.0, seed=20, runs=50, sigma=sig)
    assert np.median(dd16) > TARGET    # one batch is not enough: the sizing has work to do
    f0, dds, ns = simulate(0.5, 0.5, "at_most", 0.0, seed=21, runs=200, sigma=sig, budget=budget)
    print(f"\nsized: trials per grid point {dict(zip(*np.unique(ns, return_counts=True)))}, "
          f"max final deviation {dds.max():.4f}")
    assert (dds <= TARGET).all() and (ns > 16).all() and (ns % 16 == 0).all() and ns.max() < budget
    _report("sized: false-fail rate at the claimed exponent (at_most 0.5)", f0, 200, f"<= alpha = {ALPHA}")
    assert _not_above(f0, 200, ALPHA)
    f1, dds1, _ = simulate(0.5 + TARGET, 0.5, "at_most", 0.0, seed=22, runs=200, sigma=sig, budget=budget)
    assert (dds1 <= TARGET).all()
    _report("sized: detection of an exponent error of 1/6", f1, 200, ">= 0.85")
    assert _not_below(f1, 200, 0.85)


def test_sequential_sizing_budget_too_small():
    """sigma = 2 with a budget of 32 trials per grid point: the deviation stays above 1/6 (the
    engine says inconclusive under exponent_gate='gate', tested below through claims.check)."""
    _, dds, ns = simulate(0.5, 0.5, "at_most", 0.0, seed=30, runs=100, sigma=2.0, budget=32)
    assert (ns == 32).all() and (dds > TARGET).all()


# ----------------------------------------------------------------------------- the engine


def lognormal_power_law(point, ctx):
    """y = x**beta * exp(sigma z), z ~ N(0, 1) from the measure's torch Generator (its seed)."""
    z = torch.randn(ctx.trials, generator=ctx.generator(), dtype=ctx.dtype)
    return Measurement(values=torch.ones(ctx.trials, dtype=ctx.dtype),
                       extras={"y": point["x"] ** point["beta"] * torch.exp(point["sigma"] * z)})


def _claim(beta=0.5, sigma=1.0, exponent=0.5, relation="at_most", tolerance=0.0):
    """The power law as a claim: the sweep in x, beta and sigma fixed (one-option choices held by the base)."""
    return Claim(id=f"SYN/power-{beta}-{sigma}", title="synthetic power law", source=SRC, statement_tex="y = x^b",
                 family="sanity", measure=lognormal_power_law,
                 regime=(FloatParam("x", 1e-3, 1e-1, log=True), Choice("beta", (beta,)), Choice("sigma", (sigma,))),
                 bound=Bound("upper", lambda p: 2.0, 1.0, provenance="analytic"), failure_prob=0.0, examples=0,
                 scalings=(Scaling("x", exponent, relation, grid=GRID, series="y", tolerance=tolerance,
                                   base={"beta": beta, "sigma": sigma}),))


def _prof(**kw):
    base = dict(name="power-test", max_examples=1, trials=16, alpha=0.01, time_budget_s=60.0)
    base.update(kw)
    return Profile(**base)


def test_engine_states_detectable_deviation_and_sizes_deterministically():
    claim = _claim(beta=0.5, sigma=1.0)
    one = claims.check(claim, profile=_prof(), seed=7)
    sc1 = one.scalings[0]
    assert sc1["trials"] == 16 and sc1["batches"] == 1 and sc1["trials_budget"] == 16
    assert sc1["detectable_deviation"] > TARGET and sc1["power"] == 0.9 and sc1["exponent_target"] == TARGET
    assert "detects deviations >= " in sc1["message"] and "(target 1/6)" in sc1["message"]
    assert one.verdict == "pass"     # exponent_gate="report" (default): the verdict is unchanged

    prof = _prof(scaling_max_trials=256, exponent_gate="gate")
    r = claims.check(claim, profile=prof, seed=7)
    sc = r.scalings[0]
    assert r.verdict == "pass", r.message
    assert sc["verdict"] == "ok" and sc["detectable_deviation"] <= TARGET
    assert sc["batches"] > 1 and sc["trials"] == 16 * sc["batches"] and len(sc["values"][0]) == sc["trials"]
    assert sc["detectable_excess"] == pytest.approx(sc["detectable_deviation"] - sc["tolerance"])
    # batch 0 keeps the seeds of the unsized sweep: the first 16 trials are the same numbers
    assert [v[:16] for v in sc["values"]] == sc1["values"]
    # deterministic from the seed, through any executor; another seed gives other batches
    again = claims.check(claim, profile=prof, seed=7)
    with cf.ThreadPoolExecutor(2) as ex:
        pooled = claims.check(claim, profile=prof, seed=7, executor=ex)
    for other in (again, pooled):
        o = other.scalings[0]
        assert (o["values"], o["slope"], o["ci"], o["detectable_deviation"], o["trials"]) == \
            (sc["values"], sc["slope"], sc["ci"], sc["detectable_deviation"], sc["trials"])
    assert claims.check(claim, profile=prof, seed=8).scalings[0]["values"] != sc["values"]
    # the JSON results file carries the fields
    d = json.loads(r.to_json())
    js = d["scalings"][0]
    assert js["detectable_deviation"] == sc["detectable_deviation"] and js["power"] == 0.9 and js["batches"] > 1
    assert d["profile"]["scaling_max_trials"] == 256 and d["profile"]["exponent_gate"] == "gate"


def test_engine_gate_inconclusive_when_budget_cannot_reach_target(tmp_path):
    claim = _claim(beta=0.5, sigma=2.0)
    r = claims.check(claim, profile=_prof(scaling_max_trials=32, exponent_gate="gate"), seed=3)
    sc = r.scalings[0]
    assert sc["verdict"] == "inconclusive" and r.verdict == "inconclusive", r.message
    assert sc["trials"] == 32 and sc["batches"] == 2 and sc["detectable_deviation"] > TARGET
    assert f"{sc['detectable_deviation']:.3g}" in sc["message"] and "target 1/6" in sc["message"]
    assert "32 trials per grid point" in sc["message"] and "scaling_max_trials" in sc["message"]
    # under "report" the same budget passes and says what it detects
    rep = claims.check(claim, profile=_prof(scaling_max_trials=32), seed=3)
    assert rep.verdict == "pass" and rep.scalings[0]["verdict"] == "ok"
    assert rep.scalings[0]["values"] == sc["values"]
    assert "detects deviations >= " in rep.scalings[0]["message"]
    # written and read back through the results file
    path = tmp_path / "r.json"
    claims.write_results(path, [r], "power-test")
    back = claims.read_results(path)["results"][0]
    assert back.scalings[0]["detectable_deviation"] == sc["detectable_deviation"]


def test_engine_gate_fail_loose_tolerance_and_report_scalings():
    prof = _prof(scaling_max_trials=64, exponent_gate="gate")
    # a false exponent still fails (no inconclusive hides a fail)
    bad = claims.check(_claim(beta=1.0, sigma=1.0, exponent=0.5), profile=prof, seed=1)
    assert bad.verdict == "fail" and bad.scalings[0]["verdict"] == "fail"
    # a loose bound (CI below the claim) stays loose: nothing on the violating side is plausible
    loose = claims.check(_claim(beta=0.0, sigma=2.0, exponent=1.0), profile=prof, seed=1)
    assert loose.scalings[0]["verdict"] == "loose" and loose.scalings[0]["detectable_deviation"] > TARGET
    # the tolerance alone is past the target: no batches are added, and the gate says why
    wide = claims.check(_claim(beta=0.5, sigma=0.3, tolerance=0.2), profile=prof, seed=1)
    ws = wide.scalings[0]
    assert ws["batches"] == 1 and ws["verdict"] == "inconclusive" and "tolerance alone (0.2)" in ws["message"]
    assert ws["detectable_deviation"] >= 0.2
    # report scalings are not gated: no sizing, no detectable deviation
    rep = claims.check(_claim(beta=0.5, sigma=2.0, relation="report"), profile=prof, seed=1)
    rs = rep.scalings[0]
    assert rs["verdict"] == "report" and rs["trials"] == 16 and "detectable_deviation" not in rs


def test_profile_fields_are_validated():
    with pytest.raises(claims.InvalidClaimError, match="scaling_max_trials"):
        _prof(scaling_max_trials=8)
    with pytest.raises(claims.InvalidClaimError, match="exponent_gate"):
        _prof(exponent_gate="strict")
    with pytest.raises(claims.InvalidClaimError, match="exponent_target"):
        _prof(exponent_target=0.0)
    p = _prof()
    assert p.scaling_trials_budget == 16 and p.to_dict()["exponent_target"] == TARGET
    assert claims.get_profile("ci").exponent_gate == "report"
