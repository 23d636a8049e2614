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
