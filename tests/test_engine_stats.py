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
    per-point mean log; an array and a list of equal-length rows give the same fit exactly."""
    x = np.array([1.0, 4.0, 16.0])
    rng = np.random.default_rng(0)
    ys = np.exp(0.5 * np.log(x)[:, None] + 0.1 * rng.standard_normal((3, 16)))
    rect = _stats.bootstrap_slope_ci(x, ys, 0.01, 4000, np.random.default_rng(1))
    assert _stats.bootstrap_slope_ci(x, list(ys), 0.01, 4000, np.random.default_rng(1)) == rect
    assert rect[1] < rect[0] < rect[2]
    ragged = [ys[0][:13], ys[1], ys[2][:15]]
    s, lo, hi = _stats.bootstrap_slope_ci(x, ragged, 0.01, 4000, np.random.default_rng(1))
    means = [np.log(y).mean() for y in ragged]
    dx = np.log(x) - np.log(x).mean()
    assert abs(s - float((dx * means).sum() / (dx * dx).sum())) < 1e-12 and lo < s < hi


def test_slope_fit_t_interval_se_and_satterthwaite_df():
    """slope +/- t(1 - alpha/2, df) se: se the bias-corrected bootstrap SD, close to the
    analytic standard error sqrt(sum w_j^2 s_j^2 / K_j); df by Welch-Satterthwaite (equal
    variances and K: (sum w^2)^2 / sum w^4 (K - 1), 2 (K - 1) on a 3-point geometric grid, whose
    middle point has weight 0))."""
    x = np.array([1e-3, 1e-2, 1e-1])
    rng = np.random.default_rng(0)
    ys = x[:, None] ** 0.5 * np.exp(0.3 * rng.standard_normal((3, 16)))
    f = _stats.slope_fit(x, ys, 0.01, 20000, np.random.default_rng(1))
    dx = np.log(x) - np.log(x).mean()
    w = dx / (dx * dx).sum()
    v = np.log(ys).var(axis=1, ddof=1) / 16
    assert f.se == pytest.approx(math.sqrt((w * w * v).sum()), rel=0.03)
    assert f.df == pytest.approx(((w * w * v).sum()) ** 2 / ((w * w * v) ** 2 / 15).sum())
    assert 15 <= f.df <= 30
    half = stats.t.ppf(0.995, f.df) * f.se
    assert (f.lo, f.hi) == pytest.approx((f.slope - half, f.slope + half))
    # equal spreads: 2 (K - 1) here; no spread: df = inf and a zero-width interval
    flat = np.tile(np.exp(rng.standard_normal(16)), (3, 1))
    assert _stats.slope_df(x, flat) == pytest.approx(30.0)
    exact = _stats.slope_fit(x, np.ones((3, 8)) * x[:, None] ** 2.0, 0.01, 2000, np.random.default_rng(1))
    assert exact.df == math.inf and exact.lo == pytest.approx(2.0) and exact.hi == pytest.approx(2.0)


def test_detectable_deviation_closed_form_and_symmetry():
    """delta = tol + (t(1 - alpha/2, df) + t(power, df)) * se for every relation; a pure shift of
    the data leaves it unchanged (it reads the spread only)."""
    x = np.array([1e-3, 1e-2, 1e-1])
    rng = np.random.default_rng(0)
    ys = x[:, None] ** 0.5 * np.exp(0.3 * rng.standard_normal((3, 16)))
    f = _stats.slope_fit(x, ys, 0.05, 4000, np.random.default_rng(1))
    s, sl = f.slope, f.slopes
    assert (s, f.lo, f.hi) == _stats.bootstrap_slope_ci(x, ys, 0.05, 4000, np.random.default_rng(1))
    up = _stats.slope_detectable_deviation(s, sl, "at_most", 0.1, 0.05, 0.9, f.df)
    down = _stats.slope_detectable_deviation(s, sl, "at_least", 0.1, 0.05, 0.9, f.df)
    assert up == pytest.approx(0.1 + (stats.t.ppf(0.975, f.df) + stats.t.ppf(0.9, f.df)) * f.se)
    assert down == up == _stats.slope_detectable_deviation(s, sl, "equal", 0.1, 0.05, 0.9, f.df)
    # df = inf: normal quantiles (smaller than the t ones)
    assert _stats.slope_detectable_deviation(s, sl, "at_most", 0.1, 0.05, 0.9) < up
    # a larger exponent (x**0.3 more at every point) shifts the bootstrap slopes by exactly 0.3
    f2 = _stats.slope_fit(x, ys * x[:, None] ** 0.3, 0.05, 4000, np.random.default_rng(1))
    assert f2.slope == pytest.approx(s + 0.3) and np.allclose(f2.slopes, sl + 0.3)
    assert _stats.slope_detectable_deviation(f2.slope, f2.slopes, "at_most", 0.1, 0.05, 0.9, f2.df) == \
        pytest.approx(up)
    # bad input
    with pytest.raises(ValueError, match="relation"):
        _stats.slope_detectable_deviation(s, sl, "report", 0.0, 0.05, 0.9)
    with pytest.raises(ValueError, match="power"):
        _stats.slope_detectable_deviation(s, sl, "at_most", 0.0, 0.05, 1.0)
    assert _stats.slope_detectable_deviation(s, np.array([np.nan, 1.0]), "at_most", 0.0, 0.05, 0.9) == math.inf
    # ragged grid points (zeros dropped) give their slopes too
    f3 = _stats.slope_fit(x, [ys[0][:13], ys[1], ys[2]], 0.05, 4000, np.random.default_rng(1))
    assert f3.slopes.shape == (4000,) and f3.lo < f3.slope < f3.hi
