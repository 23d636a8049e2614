"""The statistics behind verdicts, against closed forms."""

import math

import numpy as np
import pytest
from scipy import stats

from claims import _stats


def test_binom_pvalue_closed_form():
    # P(Binom(8, 0.05) >= 3) by hand
    exact = sum(math.comb(8, k) * 0.05**k * 0.95 ** (8 - k) for k in range(3, 9))
    assert _stats.binom_pvalue(3, 8, 0.05) == pytest.approx(exact, rel=1e-12)
    assert _stats.binom_pvalue(0, 8, 0.05) == 1.0
    assert _stats.binom_pvalue(1, 8, 0.0) == 0.0  # exact claim: any violation
    assert _stats.binom_pvalue(0, 8, 0.0) == 1.0


def test_critical_count_and_power():
    crit = _stats.critical_count(16, 0.05, 0.0025)
    assert _stats.binom_pvalue(crit, 16, 0.05) <= 0.0025 < _stats.binom_pvalue(crit - 1, 16, 0.05)
    assert _stats.critical_count(16, 0.0, 0.01) == 1
    assert _stats.critical_count(4, 0.5, 0.001) is None
    assert _stats.detectable_rate(4, None, 0.9) == math.inf
    # power: at p1, at least one of E examples reaches crit with probability exactly 0.9
    for E in (1, 4):
        p1 = _stats.detectable_rate(16, crit, 0.9, E)
        q = stats.binom.sf(crit - 1, 16, p1)
        assert 1 - (1 - q) ** E == pytest.approx(0.9, abs=1e-9)
    # exact claims: p1 = 1 - 0.1**(1/K) for one example
    assert _stats.detectable_rate(16, 1, 0.9, 1) == pytest.approx(1 - 0.1 ** (1 / 16))


def test_clopper_pearson():
    lo, hi = _stats.clopper_pearson(0, 20, 0.95)
    assert lo == 0.0 and hi == pytest.approx(1 - 0.025 ** (1 / 20))
    lo, hi = _stats.clopper_pearson(20, 20, 0.95)
    assert hi == 1.0 and lo == pytest.approx(0.025 ** (1 / 20))
    lo, hi = _stats.clopper_pearson(5, 20, 0.95)
    assert stats.binom.sf(4, 20, lo) == pytest.approx(0.025) and stats.binom.cdf(5, 20, hi) == pytest.approx(0.025)


def test_slope_exact_power_law_and_bootstrap():
    x = np.array([1.0, 2.0, 4.0, 8.0])
    assert _stats.loglog_slope(x, 3 * x**0.75) == pytest.approx(0.75)
    rng = np.random.default_rng(0)
    ys = (x[:, None] ** 0.5) * np.exp(0.2 * rng.standard_normal((4, 32)))
    s, lo, hi = _stats.bootstrap_slope_ci(x, ys, 0.01, 4000, np.random.default_rng(1))
    assert lo < s < hi and lo < 0.5 < hi and hi - lo < 0.3
    # equals OLS over all (grid, trial) pairs
    assert s == pytest.approx(_stats.loglog_slope(np.repeat(x, 32), ys.ravel()))
    # deterministic given the generator
    assert _stats.bootstrap_slope_ci(x, ys, 0.01, 4000, np.random.default_rng(1)) == (s, lo, hi)


def test_bootstrap_slope_ragged_matches_rectangular_and_drops_cleanly():
    """Grid points with different trial counts (zeros dropped): the slope is the OLS slope of the
    per-point mean log; with equal counts the ragged path gives the rectangular slope exactly."""
    x = np.array([1.0, 4.0, 16.0])
    rng = np.random.default_rng(0)
    ys = np.exp(0.5 * np.log(x)[:, None] + 0.1 * rng.standard_normal((3, 16)))
    s_rect, _, _ = _stats.bootstrap_slope_ci(x, ys, 0.01, 4000, np.random.default_rng(1))
    s_rag, lo, hi = _stats._bootstrap_slope_ci_ragged(x, list(ys), 0.01, 4000, np.random.default_rng(1))
    assert abs(s_rag - s_rect) < 1e-12 and lo < s_rag < hi
    ragged = [ys[0][:13], ys[1], ys[2][:15]]
    s, lo, hi = _stats.bootstrap_slope_ci(x, ragged, 0.01, 4000, np.random.default_rng(1))
    means = [np.log(y).mean() for y in ragged]
    dx = np.log(x) - np.log(x).mean()
    assert abs(s - float((dx * means).sum() / (dx * dx).sum())) < 1e-12 and lo < s < hi


def test_detectable_deviation_closed_form_and_symmetry():
    """delta = tol + (s - q(alpha/2)) + (s - q(1 - power)) for at_most, mirrored for at_least,
    the larger for equal; a pure shift of the data leaves it unchanged (it reads the spread only)."""
    x = np.array([1e-3, 1e-2, 1e-1])
    rng = np.random.default_rng(0)
    ys = x[:, None] ** 0.5 * np.exp(0.3 * rng.standard_normal((3, 16)))
    s, lo, hi, sl = _stats.bootstrap_slope_ci(x, ys, 0.05, 4000, np.random.default_rng(1), return_slopes=True)
    assert (s, lo, hi) == _stats.bootstrap_slope_ci(x, ys, 0.05, 4000, np.random.default_rng(1))
    q = np.quantile(sl, [0.025, 0.975, 0.1, 0.9])
    up = _stats.slope_detectable_deviation(s, sl, "at_most", 0.1, 0.05, 0.9)
    down = _stats.slope_detectable_deviation(s, sl, "at_least", 0.1, 0.05, 0.9)
    assert up == pytest.approx(0.1 + (s - q[0]) + (s - q[2]))
    assert down == pytest.approx(0.1 + (q[1] - s) + (q[3] - s))
    assert _stats.slope_detectable_deviation(s, sl, "equal", 0.1, 0.05, 0.9) == max(up, down)
    # a larger exponent (x**0.3 more at every point) shifts the bootstrap slopes by exactly 0.3
    s2, _, _, sl2 = _stats.bootstrap_slope_ci(x, ys * x[:, None] ** 0.3, 0.05, 4000, np.random.default_rng(1),
                                              return_slopes=True)
    assert s2 == pytest.approx(s + 0.3) and np.allclose(sl2, sl + 0.3)
    assert _stats.slope_detectable_deviation(s2, sl2, "at_most", 0.1, 0.05, 0.9) == pytest.approx(up)
    # about (z_{1-alpha/2} + z_power) * SE(slope) beyond the tolerance
    se = 0.3 / math.sqrt(16 * ((np.log(x) - np.log(x).mean()) ** 2).sum())
    assert up - 0.1 == pytest.approx((stats.norm.ppf(0.975) + stats.norm.ppf(0.9)) * se, rel=0.3)
    # bad input
    with pytest.raises(ValueError, match="relation"):
        _stats.slope_detectable_deviation(s, sl, "report", 0.0, 0.05, 0.9)
    with pytest.raises(ValueError, match="power"):
        _stats.slope_detectable_deviation(s, sl, "at_most", 0.0, 0.05, 1.0)
    assert _stats.slope_detectable_deviation(s, np.array([np.nan]), "at_most", 0.0, 0.05, 0.9) == math.inf
    # ragged grid points (zeros dropped) give their slopes too
    s3, lo3, hi3, sl3 = _stats.bootstrap_slope_ci(x, [ys[0][:13], ys[1], ys[2]], 0.05, 4000,
                                                  np.random.default_rng(1), return_slopes=True)
    assert sl3.shape == (4000,) and lo3 == pytest.approx(np.quantile(sl3, 0.025))
