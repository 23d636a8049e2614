"""Validation of the decision rule by simulation, on claims whose truth is known analytically.

(a) A claim that is *exactly* true — the per-trial violation probability equals the
    allowed failure probability p0 at every point, the hardest true case — must fail
    in at most alpha of repeated runs with different seeds.
(b) A claim false by a stated margin — true violation rate equal to the power the
    engine itself reports — must fail in >= 90% of runs.

Allowance for the finite number R of simulated runs (exact, Clopper–Pearson style):
(a) is asserted unless the observed number of fails f is significant evidence that the
rate exceeds alpha, i.e. we require P(Binom(R, alpha) >= f) > 1e-3; (b) requires
P(Binom(R, 0.9) <= f) > 1e-3. The observed rates and their 99% Clopper–Pearson
intervals are printed (run with ``-s`` to see them).

To measure a false-fail rate with few runs the profile uses alpha = 0.1 (the rule is
the same at any alpha; the catalog profiles use 0.01).
"""

import math

import numpy as np
import pytest
import torch
from scipy import stats

import claims
from claims import Bound, Claim, IntParam, FloatParam, Measurement, Profile, Scaling, Source, _stats

R = 200  # simulated runs per rate
ALPHA = 0.1
VAL = Profile("validation", max_examples=4, trials=16, alpha=ALPHA, max_shrinks=0, time_budget_s=60.0)
SRC = Source("synthetic.txt", "analytic")


def max_gaussians(point, ctx):
    """max of n i.i.d. N(0, 1), K trials: P(max > q) = 1 - Phi(q)**n."""
    g = torch.randn(ctx.trials, point["n"], generator=ctx.generator(), dtype=ctx.dtype)
    return g.max(dim=1).values


def gauss_quantile(p0):
    """The exact (1 - p0)-quantile of the max of n Gaussians: violation rate = p0 exactly."""
    return lambda pt: float(stats.norm.ppf((1 - p0) ** (1 / pt["n"])))


def uniform(point, ctx):
    return torch.rand(ctx.trials, generator=ctx.generator(), dtype=ctx.dtype)


def _mk(id, measure, shape, p0, constant=1.0, regime=(IntParam("n", 2, 64, log=True),), **kw):
    return Claim(id=id, title=id, source=SRC, statement_tex="x", family="sanity", regime=regime, measure=measure,
                 bound=Bound("upper", shape, constant, provenance="analytic"), failure_prob=p0, **kw)


def _fail_rate(claim, runs=R, profile=VAL):
    verdicts = [claims.check(claim, profile=profile, seed=s).verdict for s in range(runs)]
    assert "error" not in verdicts
    return sum(v == "fail" for v in verdicts), verdicts


def _report(name, f, runs, target):
    lo, hi = _stats.clopper_pearson(f, runs, 0.99)
    print(f"\n{name}: {f}/{runs} runs failed = {f / runs:.3f} (99% CP [{lo:.3f}, {hi:.3f}]; target {target})")


def test_true_claim_false_fail_rate_at_most_alpha():
    claim = _mk("VAL/max-gauss-true", max_gaussians, gauss_quantile(0.05), 0.05)
    f, _ = _fail_rate(claim)
    _report("false-fail rate, max of n Gaussians at its exact 95% quantile (p0=0.05)", f, R, f"<= {ALPHA}")
    assert stats.binom.sf(f - 1, R, ALPHA) > 1e-3, f"{f}/{R} false fails: significantly above alpha={ALPHA}"


def test_false_claim_detected_at_reported_power():
    # the engine's stated power at this profile: smallest rate detected w.p. >= 0.9
    crit = _stats.critical_count(VAL.trials, 0.05, ALPHA / VAL.max_examples)
    p1 = _stats.detectable_rate(VAL.trials, crit, 0.9, VAL.max_examples)
    ok = claims.check(_mk("VAL/probe", uniform, lambda p: 1.0, 0.05, constant=0.95), profile=VAL)
    assert ok.stats["power"] == pytest.approx(p1)
    # Uniform(0,1) > 1 - p1 has probability exactly p1 (the true violation rate)
    claim = _mk("VAL/uniform-false", uniform, lambda p: 1.0, 0.05, constant=1 - p1)
    f, _ = _fail_rate(claim)
    _report(f"power, true violation rate = reported power {p1:.3f} vs allowed 0.05", f, R, ">= 0.9")
    assert stats.binom.cdf(f, R, 0.9) > 1e-3, f"only {f}/{R} runs detected a violation rate of {p1:.3f}"


def test_false_max_gaussian_claim_by_margin():
    # the bound at the 60% quantile, claimed to hold with failure prob 0.05: true rate 0.4
    claim = _mk("VAL/max-gauss-false", max_gaussians, gauss_quantile(0.4), 0.05)
    f, _ = _fail_rate(claim, runs=50)
    _report("power, max of n Gaussians, true violation rate 0.40 vs allowed 0.05", f, 50, ">= 0.9")
    assert stats.binom.cdf(f, 50, 0.9) > 1e-3


def power_law(point, ctx):
    z = torch.randn(ctx.trials, generator=ctx.generator(), dtype=ctx.dtype)
    return Measurement(values=torch.ones(ctx.trials, dtype=ctx.dtype),
                       extras={"y": point["omega"] ** 0.5 * torch.exp(0.3 * z)})


def test_scaling_false_fail_and_power():
    """Scaling decisions (bootstrap percentile CIs are approximate, not exact):
    true exponent 0.5 claimed at_most 0.5 (boundary) vs claimed at_most 0.3."""
    grid = (1e-3, 1e-2, 1e-1)
    prof = Profile("validation-scaling", max_examples=1, trials=16, alpha=ALPHA, time_budget_s=60.0)

    def mk(e):
        return _mk(f"VAL/scal-{e}", power_law, lambda p: 2.0, 0.0, regime=(FloatParam("omega", 1e-3, 1e-1, log=True),),
                   examples=0, scalings=(Scaling("omega", e, "at_most", grid=grid, series="y"),))

    runs = 100
    f_true, _ = _fail_rate(mk(0.5), runs, prof)
    _report("scaling false-fail rate (slope 0.5 claimed at_most 0.5)", f_true, runs, f"<= {ALPHA}")
    # percentile-bootstrap CIs undercover slightly at K=16: allow a 1.5x inflation of alpha
    assert stats.binom.sf(f_true - 1, runs, 1.5 * ALPHA) > 1e-3
    f_false, _ = _fail_rate(mk(0.3), runs, prof)
    _report("scaling power (slope 0.5 claimed at_most 0.3, noise sd 0.3, K=16 x 3 grid points)", f_false, runs,
            ">= 0.9")
    assert stats.binom.cdf(f_false, runs, 0.9) > 1e-3
