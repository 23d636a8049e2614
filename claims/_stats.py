"""Statistics behind the verdicts: exact binomial tests, Clopper–Pearson intervals,
power, and log-log slope fits with bootstrap confidence intervals.

All functions are pure (numpy/scipy), seeded explicitly, and unit-tested against
closed forms in ``tests/test_engine_stats.py``.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

__all__ = [
    "binom_pvalue",
    "critical_count",
    "detectable_rate",
    "clopper_pearson",
    "loglog_slope",
    "bootstrap_slope_ci",
]


def binom_pvalue(violations: int, trials: int, p0: float) -> float:
    """One-sided exact p-value ``P(Binom(trials, p0) >= violations)``.

    With ``p0 == 0`` any violation has p-value 0 (an EXACT claim), none has 1.
    """
    if violations <= 0:
        return 1.0
    if p0 <= 0.0:
        return 0.0
    return float(stats.binom.sf(violations - 1, trials, p0))


def critical_count(trials: int, p0: float, alpha: float) -> int | None:
    """Smallest violation count rejected at level ``alpha`` (None if even ``trials`` is not)."""
    if p0 <= 0.0:
        return 1
    for v in range(1, trials + 1):
        if binom_pvalue(v, trials, p0) <= alpha:
            return v
    return None


def detectable_rate(trials: int, crit: int | None, power: float, n_examples: int = 1) -> float:
    """Smallest per-trial violation rate p1 detected with probability >= ``power``.

    Detection = at least one of ``n_examples`` independent examples (K = ``trials``
    each, all with violation rate p1) reaches ``crit`` violations. Returns ``inf``
    when no count is rejectable. Uses ``P(Binom(K, p) >= c) = I_p(c, K - c + 1)``.
    """
    if crit is None or n_examples < 1:
        return math.inf
    per_example = 1.0 - (1.0 - power) ** (1.0 / n_examples)
    return float(stats.beta.ppf(per_example, crit, trials - crit + 1))


def clopper_pearson(violations: int, trials: int, conf: float) -> tuple[float, float]:
    """Two-sided Clopper–Pearson interval of level ``conf`` on a binomial rate."""
    if trials <= 0:
        return (0.0, 1.0)
    a = 1.0 - conf
    lo = 0.0 if violations == 0 else float(stats.beta.ppf(a / 2, violations, trials - violations + 1))
    hi = 1.0 if violations == trials else float(stats.beta.ppf(1 - a / 2, violations + 1, trials - violations))
    return (lo, hi)


def loglog_slope(x: np.ndarray, y: np.ndarray) -> float:
    """OLS slope of ``log y`` on ``log x`` (both positive, same shape)."""
    lx, ly = np.log(np.asarray(x, float)), np.log(np.asarray(y, float))
    dx = lx - lx.mean()
    return float((dx * (ly - ly.mean())).sum() / (dx * dx).sum())


def _bootstrap_slope_ci_ragged(xs, ys, alpha, reps, rng):
    """:func:`bootstrap_slope_ci` when grid points have different numbers of trials: the slope
    of the per-point mean log y on log x, trials resampled within each point."""
    lx = np.log(xs)
    dx = lx - lx.mean()
    denom = float((dx * dx).sum())
    lys = [np.log(y) for y in ys]
    slope = float(sum(d * ly.mean() for d, ly in zip(dx, lys)) / denom)
    means = np.stack([ly[rng.integers(0, len(ly), size=(reps, len(ly)))].mean(axis=1) for ly in lys], axis=1)
    slopes = (means * dx).sum(axis=1) / denom
    lo, hi = np.quantile(slopes, [alpha / 2, 1 - alpha / 2])
    return slope, float(lo), float(hi)


def bootstrap_slope_ci(
    xs: np.ndarray, ys: np.ndarray, alpha: float, reps: int, rng: np.random.Generator
) -> tuple[float, float, float]:
    """Slope of log y on log x and a two-sided ``1 - alpha`` percentile bootstrap CI.

    ``xs``: shape ``[G]`` grid values; ``ys``: shape ``[G, K]`` positive values (K
    trials per grid point), or a list of G arrays of different lengths (zeros dropped). Trials are resampled within each grid point (the
    design, i.e. the grid, is fixed). Returns ``(slope, ci_low, ci_high)``.
    """
    xs = np.asarray(xs, float)
    if not isinstance(ys, np.ndarray) and len({len(y) for y in ys}) > 1:
        return _bootstrap_slope_ci_ragged(xs, [np.asarray(y, float) for y in ys], alpha, reps, rng)
    ys = np.asarray(ys, float)
    G, K = ys.shape
    lx = np.log(xs)
    ly = np.log(ys)
    dx = lx - lx.mean()  # every grid point has the same number K of trials
    denom = float((dx * dx).sum())
    slope = float((dx * ly.mean(axis=1)).sum() / denom)
    idx = rng.integers(0, K, size=(reps, G, K))
    means = np.take_along_axis(np.broadcast_to(ly, (reps, G, K)), idx, axis=2).mean(axis=2)  # [reps, G]
    slopes = (means * dx).sum(axis=1) / denom
    lo, hi = np.quantile(slopes, [alpha / 2, 1 - alpha / 2])
    return slope, float(lo), float(hi)
