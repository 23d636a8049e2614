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
    "bootstrap_slopes",
    "bootstrap_slope_ci",
    "slope_detectable_deviation",
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


def _bootstrap_slopes_ragged(xs, ys, reps, rng):
    """:func:`bootstrap_slopes` when grid points have different numbers of trials: the slope
    of the per-point mean log y on log x, trials resampled within each point."""
    lx = np.log(xs)
    dx = lx - lx.mean()
    denom = float((dx * dx).sum())
    lys = [np.log(y) for y in ys]
    slope = float(sum(d * ly.mean() for d, ly in zip(dx, lys)) / denom)
    means = np.stack([ly[rng.integers(0, len(ly), size=(reps, len(ly)))].mean(axis=1) for ly in lys], axis=1)
    return slope, (means * dx).sum(axis=1) / denom


def _bootstrap_slope_ci_ragged(xs, ys, alpha, reps, rng):
    """:func:`bootstrap_slope_ci` for grid points with different numbers of trials."""
    slope, slopes = _bootstrap_slopes_ragged(xs, ys, reps, rng)
    lo, hi = np.quantile(slopes, [alpha / 2, 1 - alpha / 2])
    return slope, float(lo), float(hi)


def bootstrap_slopes(xs: np.ndarray, ys, reps: int, rng: np.random.Generator) -> tuple[float, np.ndarray]:
    """Slope of log y on log x and ``reps`` bootstrap replicates of it.

    ``xs``: shape ``[G]`` grid values; ``ys``: shape ``[G, K]`` positive values (K trials per
    grid point), or a list of G arrays of different lengths (zeros dropped: the slope of the
    per-point mean log). Trials are resampled with replacement within each grid point (the
    design, i.e. the grid, is fixed). Returns ``(slope, slopes [reps])``.
    """
    xs = np.asarray(xs, float)
    if not isinstance(ys, np.ndarray) and len({len(y) for y in ys}) > 1:
        return _bootstrap_slopes_ragged(xs, [np.asarray(y, float) for y in ys], reps, rng)
    ys = np.asarray(ys, float)
    G, K = ys.shape
    lx = np.log(xs)
    ly = np.log(ys)
    dx = lx - lx.mean()  # every grid point has the same number K of trials
    denom = float((dx * dx).sum())
    slope = float((dx * ly.mean(axis=1)).sum() / denom)
    idx = rng.integers(0, K, size=(reps, G, K))
    means = np.take_along_axis(np.broadcast_to(ly, (reps, G, K)), idx, axis=2).mean(axis=2)  # [reps, G]
    return slope, (means * dx).sum(axis=1) / denom


def bootstrap_slope_ci(xs: np.ndarray, ys, alpha: float, reps: int, rng: np.random.Generator,
                       return_slopes: bool = False):
    """Slope of log y on log x and a two-sided ``1 - alpha`` percentile bootstrap CI.

    ``xs``: shape ``[G]`` grid values; ``ys``: shape ``[G, K]`` positive values (K
    trials per grid point), or a list of G arrays of different lengths (zeros dropped). Trials
    are resampled within each grid point (the design, i.e. the grid, is fixed); see
    :func:`bootstrap_slopes`. Returns ``(slope, ci_low, ci_high)``, and with
    ``return_slopes=True`` ``(slope, ci_low, ci_high, slopes)`` — the ``reps`` bootstrap slopes,
    from which :func:`slope_detectable_deviation` reads the test's power without a second
    bootstrap.
    """
    slope, slopes = bootstrap_slopes(xs, ys, reps, rng)
    lo, hi = np.quantile(slopes, [alpha / 2, 1 - alpha / 2])
    if return_slopes:
        return slope, float(lo), float(hi), slopes
    return slope, float(lo), float(hi)


SLOPE_RELATIONS = ("at_most", "at_least", "equal")


def slope_detectable_deviation(slope: float, slopes: np.ndarray, relation: str, tolerance: float,
                               alpha: float, power: float) -> float:
    """Smallest exponent error the percentile-bootstrap slope test detects with probability >= ``power``.

    The test (``claims._engine._run_scaling``) fits the log-log slope ``s`` with a two-sided
    ``1 - alpha`` percentile bootstrap interval ``[lo, hi] = [q(alpha/2), q(1 - alpha/2)]``,
    ``q`` the quantiles of the bootstrap slopes ``s*`` (Efron & Tibshirani, *An Introduction to
    the Bootstrap*, 1993, ch. 13), and fails a claimed exponent ``e`` with tolerance ``tol``:

    * ``at_most``: iff ``lo > e + tol``;  * ``at_least``: iff ``hi < e - tol``;
    * ``equal``: iff ``lo > e + tol`` or ``hi < e - tol``.

    Derivation (``at_most``). Write ``a = s - q(alpha/2)`` (the interval's lower half-width) and
    ``b = s - q(1 - power)``. *Shift model*: the sampling law of ``s - beta`` does not depend on
    the true exponent ``beta`` (exact for a power law with multiplicative noise whose law does not
    depend on the swept parameter: ``log y = beta log x + noise``, so ``beta`` moves ``s`` and
    leaves its spread alone), and the bootstrap law of ``s* - s`` estimates it (the percentile
    method's premise), so ``a`` and ``b`` are, to that approximation, constants of the design and
    the noise. The test fails iff ``s > e + tol + a``. At ``beta = e + delta``,
    ``P(fail) = P(s - beta > tol + a - delta)``, which is >= ``power`` iff ``tol + a - delta`` is at
    most the ``1 - power`` quantile of ``s - beta``, estimated by ``q(1 - power) - s = -b``; i.e.

        delta >= tol + a + b.

    ``at_least`` mirrors it with ``a' = q(1 - alpha/2) - s`` and ``b' = q(power) - s``:
    ``delta >= tol + a' + b'`` (``beta = e - delta``). ``equal`` fails on either side, so an
    error of either sign beyond the larger of the two is detected (each side alone already
    reaches ``power``): the maximum is returned. With ``power > 1/2`` and ``alpha < 1`` both
    ``a`` and ``b`` are about ``z * SE(s)``, so the deviation shrinks like ``1 / sqrt(trials)``.

    It is an approximation twice over: the shift model (heteroscedastic noise, or a series
    whose spread changes with ``beta``, breaks it) and the bootstrap's estimate of the slope's
    law (at K trials per grid point a resampled mean has ``(K - 1) / K`` of the variance and
    normal rather than t tails, so the stated deviation is slightly optimistic for small K).
    Both ``a`` and ``b`` are differences of quantiles from ``s``: the value depends only on the
    spread of the bootstrap slopes, not on where ``s`` lies.

    ``slope``: the fitted ``s``; ``slopes``: the bootstrap replicates (``bootstrap_slope_ci(...,
    return_slopes=True)``); ``alpha``: the test's level (the CI is ``1 - alpha``); ``power`` in
    (0, 1). Returns the deviation ``delta`` (>= ``tol``; ``inf`` if the slopes are not finite).
    """
    if relation not in SLOPE_RELATIONS:
        raise ValueError(f"relation must be one of {SLOPE_RELATIONS} (a 'report' scaling is not tested), "
                         f"got {relation!r}")
    if not (0 < alpha < 1 and 0 < power < 1):
        raise ValueError(f"alpha and power must lie in (0, 1), got alpha={alpha!r}, power={power!r}")
    slopes = np.asarray(slopes, float)
    if slopes.size == 0 or not (np.isfinite(slopes).all() and math.isfinite(slope)):
        return math.inf
    q_lo, q_hi, q_fail_up, q_fail_down = np.quantile(slopes, [alpha / 2, 1 - alpha / 2, 1 - power, power])
    up = tolerance + (slope - q_lo) + (slope - q_fail_up)        # at_most: true exponent above e
    down = tolerance + (q_hi - slope) + (q_fail_down - slope)    # at_least: true exponent below e
    if relation == "at_most":
        return float(up)
    if relation == "at_least":
        return float(down)
    return float(max(up, down))
