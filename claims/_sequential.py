"""Anytime-valid decisions on a stream of trial outcomes (issue 14).

A claim's example is a parameter point at which each trial (one random
initialisation) either violates the bound or not: a Bernoulli stream with unknown
violation rate ``p``.  The claim says ``p <= p0`` (its ``failure_prob``).  The
fixed-budget rule (:class:`FixedDecision`) runs K trials and applies one exact
binomial test; it cannot stop early without breaking its error rate.  The
anytime rule (:class:`AnytimeDecision`) looks at the counts after every batch of
trials and stops as soon as the evidence settles the question, with an error
guarantee that holds at *any* stopping time:

* **fail** when the mixture likelihood ratio

  .. math::  E_n = \\frac{1}{1-p_0}\\int_{p_0}^{1}
             \\frac{q^{v}(1-q)^{n-v}}{p_0^{v}(1-p_0)^{n-v}}\\,dq

  (``n`` trials, ``v`` violations; a uniform prior on the alternatives
  ``q > p0``) reaches ``1/alpha``.  For every ``q > p0`` the likelihood ratio
  is a non-negative supermartingale under any ``p <= p0`` (its expected factor
  per trial is ``1 + (q - p0)(p - p0)/(p0 (1 - p0)) <= 1``), a mixture of them is
  too, and Ville's inequality gives ``P(sup_n E_n >= 1/alpha) <= alpha``: a true
  claim fails with probability at most ``alpha`` however the stopping is done
  (the mixture sequential probability ratio test of Robbins 1970, "Statistical
  methods related to the law of the iterated logarithm", Ann. Math. Stat. 41;
  in the testing-by-betting language of Ramdas, Grünwald, Vovk & Shafer 2023,
  "Game-theoretic statistics and safe anytime-valid inference", Stat. Sci. 38,
  ``E_n`` is an e-process for the composite null ``p <= p0``).
* **pass** when the upper end of a ``1 - beta`` confidence sequence for ``p``
  drops below the rate the profile must detect, ``p_det``.  The sequence is
  Robbins' beta-binomial mixture: ``{q : M_n(q) < 1/beta}`` with
  ``M_n(q) = B(v+1, n-v+1) / (q^v (1-q)^{n-v})`` (uniform prior), which covers
  the true ``p`` at every ``n`` simultaneously with probability ``>= 1 - beta``
  (Howard, Ramdas, McAuliffe & Sekhon 2021, "Time-uniform, nonparametric,
  nonasymptotic confidence sequences", Ann. Stat. 49, Sec. 3).  So a claim
  whose violation rate is ``>= p_det`` is passed with probability at most
  ``beta = 1 - power_target``: every pass states that violation rates
  ``>= p_det`` would have been caught (fail or inconclusive) with probability
  ``>= power_target``.
* **inconclusive** when the trial budget runs out first.

Both statistics depend on the counts ``(n, v)`` only, so trials stay batched (a
batch of K trials is one tensor job) and the decision can only change at batch
ends; stopping at batch ends is one of the stopping rules the guarantees cover.
The few lines of the mixture are written here rather than taken from a library:
scipy gives the exact incomplete-beta integrals, and the ``expectation`` package on
PyPI (which implements e-processes and confidence sequences) would add a
dependency for two closed forms.

:func:`fail_probability` computes, exactly (dynamic programming over the
violation count), the probability that the anytime rule fails a stream of rate
``p`` within its budget, which gives the power statement and the budget a
profile needs (:func:`trials_for_power`).

All functions are pure (numpy/scipy); tests: ``tests/test_sequential.py``.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Protocol

import numpy as np
from scipy import optimize, special, stats

from . import _stats

__all__ = [
    "log_e_value",
    "cs_upper",
    "passes_cs",
    "Decision",
    "ExampleTest",
    "FixedDecision",
    "AnytimeDecision",
    "ScalingRule",
    "fail_probability",
    "trials_for_power",
    "bonferroni_alpha",
    "suite_contract",
    "contract_line",
]


def _check_counts(n, v) -> tuple[np.ndarray, np.ndarray]:
    n = np.asarray(n, dtype=np.int64)
    v = np.asarray(v, dtype=np.int64)
    if np.any(n < 0) or np.any(v < 0) or np.any(v > n):
        raise ValueError(f"need 0 <= violations <= trials, got violations={v.tolist()} trials={n.tolist()}")
    return n, v


def log_e_value(n, v, p0: float):
    """log of the mixture e-process ``E_n`` for H0 ``p <= p0`` after ``v`` violations in ``n`` trials.

    Vectorised over ``n`` and ``v`` (broadcast).  ``p0 == 0`` (an exact claim): ``+inf``
    after any violation, ``log(1/(n+1))`` before.  ``p0 == 1`` cannot be rejected: 0.
    """
    if not (0.0 <= p0 <= 1.0):
        raise ValueError(f"p0 must lie in [0, 1], got {p0!r}")
    n, v = _check_counts(n, v)
    n, v = np.broadcast_arrays(n, v)
    a, b = v + 1.0, (n - v) + 1.0
    with np.errstate(divide="ignore"):
        if p0 == 0.0:
            out = np.where(v > 0, np.inf, -np.log(n + 1.0))
        elif p0 == 1.0:
            out = np.zeros(n.shape)
        else:
            # log int_{p0}^1 q^v (1-q)^(n-v) dq = log B(a, b) + log P(Beta(a, b) > p0)
            num = special.betaln(a, b) + stats.beta.logsf(p0, a, b) - math.log1p(-p0)
            den = v * math.log(p0) + (n - v) * math.log1p(-p0)
            out = num - den
    return out if out.ndim else float(out)


def _log_m(n: int, v: int, q: float) -> float:
    """log of Robbins' beta-binomial mixture martingale M_n(q) (uniform prior)."""
    if q <= 0.0:
        return math.inf if v > 0 else special.betaln(v + 1.0, n - v + 1.0)
    if q >= 1.0:
        return math.inf if v < n else special.betaln(v + 1.0, n - v + 1.0)
    return float(special.betaln(v + 1.0, n - v + 1.0) - v * math.log(q) - (n - v) * math.log1p(-q))


def passes_cs(n, v, p_det: float, beta: float):
    """Whether the upper end of the ``1 - beta`` confidence sequence lies below ``p_det``.

    Equivalent to ``cs_upper(n, v, beta) < p_det`` without root finding: ``M_n(q)``
    increases in ``q`` above ``v/n``, so the upper end is below ``p_det`` exactly when
    ``p_det > v/n`` and ``M_n(p_det) >= 1/beta``.  Vectorised.
    """
    if not (0.0 < p_det <= 1.0):
        raise ValueError(f"p_det must lie in (0, 1], got {p_det!r}")
    if not (0.0 < beta < 1.0):
        raise ValueError(f"beta must lie in (0, 1), got {beta!r}")
    n, v = _check_counts(n, v)
    n, v = np.broadcast_arrays(n, v)
    if p_det >= 1.0:
        out = v < n
    else:
        logm = special.betaln(v + 1.0, n - v + 1.0) - v * math.log(p_det) - (n - v) * math.log1p(-p_det)
        out = (v < p_det * n) & (logm >= math.log(1.0 / beta))
    return out if out.ndim else bool(out)


def cs_upper(n: int, v: int, beta: float) -> float:
    """Upper end of Robbins' ``1 - beta`` beta-binomial confidence sequence at ``(n, v)``.

    ``sup{q >= v/n : M_n(q) < 1/beta}``; 1 when ``v == n`` or the set reaches 1.
    """
    (n,), (v,) = (int(x) for x in np.atleast_1d(n)), (int(x) for x in np.atleast_1d(v))
    _check_counts(n, v)
    if not (0.0 < beta < 1.0):
        raise ValueError(f"beta must lie in (0, 1), got {beta!r}")
    if n == 0 or v == n:
        return 1.0
    thr = math.log(1.0 / beta)
    lo = v / n
    if _log_m(n, v, lo) >= thr:   # the set is empty above v/n: cannot happen for beta < 1, kept for safety
        return lo
    f = lambda q: _log_m(n, v, q) - thr  # noqa: E731  (increasing on (v/n, 1), +inf at 1)
    hi = 1.0 - 1e-15
    if f(hi) < 0:
        return 1.0
    return float(optimize.brentq(f, lo, hi, xtol=1e-12, rtol=1e-12))


def bonferroni_alpha(alpha_suite: float, n_claims: int) -> float:
    """Per-claim level so that P(any of ``n_claims`` true claims fails) <= ``alpha_suite``
    (union bound; valid under any dependence between the claims)."""
    if not (0.0 < alpha_suite < 1.0):
        raise ValueError(f"the suite-level alpha must lie in (0, 1), got {alpha_suite!r}")
    if int(n_claims) < 1:
        raise ValueError(f"the number of claims must be >= 1, got {n_claims!r}")
    return alpha_suite / int(n_claims)


# ----------------------------------------------------------------------------- decisions


@dataclasses.dataclass
class ExampleTest:
    """The running decision for one example (parameter point).

    Feed it batches with :meth:`update`; ``state`` is ``"continue"`` until the rule
    stops with ``"fail"``, ``"pass"`` or ``"inconclusive"`` (budget spent).
    ``trajectory`` records ``(trials, violations, log_e, cs_upper)`` after each batch
    (``log_e``/``cs_upper`` are ``None`` for the fixed rule, which has a p-value).
    """

    decision: "Decision"
    p0: float
    alpha: float
    n: int = 0
    v: int = 0
    state: str = "continue"
    trajectory: list = dataclasses.field(default_factory=list)

    def update(self, trials: int, violations: int) -> str:
        if self.state != "continue":
            raise RuntimeError(f"this example test already stopped ({self.state}); start a new one")
        if trials < 1 or not (0 <= violations <= trials):
            raise ValueError(f"a batch needs trials >= 1 and 0 <= violations <= trials, got {violations}/{trials}")
        self.n += int(trials)
        self.v += int(violations)
        self.state, point = self.decision._step(self)
        self.trajectory.append(point)
        return self.state

    @property
    def next_batch(self) -> int:
        """Trials to run in the next batch (never past the budget)."""
        return self.decision._next_batch(self)


class Decision(Protocol):
    """A decision rule: how many trials to run per example and when to stop.

    ``start(p0, alpha)`` opens an :class:`ExampleTest` for one example tested at level
    ``alpha`` against the allowed failure probability ``p0``; ``power(p0, alpha,
    n_examples)`` is the smallest violation rate a claim with that many examples
    catches with probability ``>= power_target``; ``describe(...)`` is the decision
    rule in words for the results file.
    """

    name: str

    def start(self, p0: float, alpha: float) -> ExampleTest: ...

    def power(self, p0: float, alpha: float, n_examples: int) -> float: ...

    def describe(self, p0: float, alpha: float) -> str: ...


@dataclasses.dataclass(frozen=True)
class FixedDecision:
    """Today's rule: one batch of ``trials`` trials, exact one-sided binomial test at ``alpha``."""

    trials: int
    power_target: float = 0.9
    name: str = "fixed"

    def start(self, p0: float, alpha: float) -> ExampleTest:
        return ExampleTest(self, p0, alpha)

    def _next_batch(self, t: ExampleTest) -> int:
        return self.trials - t.n

    def _step(self, t: ExampleTest):
        p = _stats.binom_pvalue(t.v, t.n, t.p0)
        state = "fail" if p <= t.alpha else ("pass" if t.n >= self.trials else "continue")
        return state, (t.n, t.v, None, None, p)

    def power(self, p0: float, alpha: float, n_examples: int = 1) -> float:
        crit = _stats.critical_count(self.trials, p0, alpha)
        return _stats.detectable_rate(self.trials, crit, self.power_target, n_examples)

    def describe(self, p0: float, alpha: float) -> str:
        return (f"fixed: K={self.trials} trials per example, exact one-sided binomial test of the violations "
                f"against p0={p0:g} at alpha_ex={alpha:.3g}")


@dataclasses.dataclass(frozen=True)
class AnytimeDecision:
    """The anytime-valid rule: batches of ``batch`` trials, at most ``max_trials`` per example.

    Stops for fail when the mixture e-process (:func:`log_e_value`) reaches
    ``1/alpha``; for pass when the ``power_target`` confidence sequence's upper end
    (:func:`passes_cs`) drops below ``p_det``; inconclusive at ``max_trials``.
    """

    batch: int
    max_trials: int
    p_det: float = 0.5
    power_target: float = 0.9
    name: str = "anytime"

    def __post_init__(self):
        if int(self.batch) < 1:
            raise ValueError(f"batch must be >= 1 trial, got {self.batch!r}")
        if int(self.max_trials) < int(self.batch):
            raise ValueError(f"max_trials ({self.max_trials}) must be >= batch ({self.batch})")
        if not (0.0 < self.p_det <= 1.0):
            raise ValueError(f"p_det (the violation rate a pass must rule out) must lie in (0, 1], got {self.p_det!r}")
        if not (0.0 < self.power_target < 1.0):
            raise ValueError(f"power_target must lie in (0, 1), got {self.power_target!r}")

    @property
    def beta(self) -> float:
        return 1.0 - self.power_target

    def start(self, p0: float, alpha: float) -> ExampleTest:
        if not (0.0 < alpha < 1.0):
            raise ValueError(f"alpha must lie in (0, 1), got {alpha!r}")
        return ExampleTest(self, p0, alpha)

    def _next_batch(self, t: ExampleTest) -> int:
        return min(self.batch, self.max_trials - t.n)

    def _step(self, t: ExampleTest):
        le = float(log_e_value(t.n, t.v, t.p0))
        up = cs_upper(t.n, t.v, self.beta)
        if le >= math.log(1.0 / t.alpha):
            state = "fail"
        elif self.p_det > t.p0 and passes_cs(t.n, t.v, self.p_det, self.beta):
            state = "pass"
        elif t.n >= self.max_trials:
            state = "inconclusive"
        else:
            state = "continue"
        return state, (t.n, t.v, le, up, None)

    def power(self, p0: float, alpha: float, n_examples: int = 1) -> float:
        """The rate that a claim is sure (``>= power_target``) not to pass: ``p_det``.

        A rate ``>= p_det`` is passed with probability ``<= 1 - power_target`` by the
        confidence sequence (per example); whether it *fails* within the budget, rather
        than ending inconclusive, is :func:`fail_probability`.
        """
        return self.p_det

    def fail_power(self, p0: float, alpha: float, p: float | None = None) -> float:
        """P(one example fails within the budget | violation rate ``p``; default ``p_det``)."""
        return fail_probability(p0, self.p_det if p is None else p, alpha, self.batch, self.max_trials,
                                p_det=self.p_det, beta=self.beta)

    def describe(self, p0: float, alpha: float) -> str:
        return (f"anytime: batches of {self.batch} trials, at most {self.max_trials} per example; fail when the "
                f"mixture e-value for 'violation rate <= p0={p0:g}' reaches 1/alpha_ex = {1 / alpha:.4g}; pass when "
                f"the {self.power_target:g} confidence sequence for the rate lies below p_det={self.p_det:g}; "
                f"inconclusive at the budget (Ville's inequality: false-fail <= alpha_ex at any stopping time)")


@dataclasses.dataclass(frozen=True)
class ScalingRule:
    """The anytime rule for a gated exponent check (a scaling with relation ``at_most``,
    ``at_least`` or ``equal``): a three-outcome sequential test of the log-log slope.

    Looks: ``batch`` trials at every grid point, then doubling (``batch``, ``2 batch``,
    ``4 batch``, ... trials per grid point, the last one ``max_trials``); ``J`` looks in all.
    At each look the slope ``s`` is refitted with its bootstrap standard error ``se`` and
    Satterthwaite ``df`` (:func:`claims._stats.slope_fit`) and:

    * **fail** when the two-sided ``1 - alpha/J`` interval ``s -/+ t(1 - alpha/(2J), df) se``
      lies past the claimed exponent plus its tolerance (``at_most``: ``lo > e + tol``;
      ``at_least``: ``hi < e - tol``; ``equal``: either).  Each look's test has level
      ``alpha/J`` (approximately: the t law of the studentised slope), so a true exponent
      fails at some look with probability ``<= alpha`` (union bound over the J looks) however
      the stopping is done; stopping for pass only removes fail events.
    * **pass** when the one-sided ``1 - beta/J`` confidence bound (``beta = 1 -
      power_target``) ``s + t(1 - beta/J, df) se`` lies at or below ``e + target``
      (``at_most``; ``at_least``: ``s - t se >= e - target``; ``equal``: both).  A true
      exponent that misses the claim by ``target`` or more on the violating side is passed at
      a given look with probability ``<= beta/J``, so at any look with probability ``<=
      beta``: every pass states that an exponent error of ``target`` (the profile's
      ``exponent_target``, 1/6) would not have passed with probability ``>= power_target``.
    * **inconclusive** when neither happened by ``max_trials``.

    This is the exponent analogue of :class:`AnytimeDecision` (fail on strong evidence at the
    claim's level, pass when a confidence bound excludes the deviation the profile must
    detect), with Bonferroni over a fixed, small number of looks in place of a confidence
    sequence (the slope's bootstrap-t bound has no closed-form mixture; Jennison & Turnbull
    2000, "Group sequential methods", ch. 2 on repeated significance tests).  The tolerance
    (a finite-width allowance for pre-asymptotic curvature, per claim) widens only the fail
    side: a pass must still exclude ``e + target``.
    """

    batch: int
    max_trials: int
    target: float = 1 / 6
    power_target: float = 0.9

    def __post_init__(self):
        if int(self.batch) < 2:
            raise ValueError(f"a scaling batch needs >= 2 trials per grid point (a spread), got {self.batch!r}")
        if int(self.max_trials) < int(self.batch):
            raise ValueError(f"max_trials ({self.max_trials}) must be >= batch ({self.batch})")
        if not (math.isfinite(self.target) and self.target > 0):
            raise ValueError(f"target (the exponent error a pass must exclude) must be > 0, got {self.target!r}")
        if not (0.0 < self.power_target < 1.0):
            raise ValueError(f"power_target must lie in (0, 1), got {self.power_target!r}")

    @property
    def looks(self) -> list[int]:
        """Trials per grid point at each look: ``batch``, doubling, capped at ``max_trials``."""
        out, n = [], int(self.batch)
        while n < self.max_trials:
            out.append(n)
            n *= 2
        return out + [int(self.max_trials)]

    @property
    def beta(self) -> float:
        return 1.0 - self.power_target

    def fail_alpha(self, alpha: float) -> float:
        """Level of each look's fail test (two-sided interval at ``1 - alpha/J``)."""
        return alpha / len(self.looks)

    def bound_quantile(self, df: float) -> float:
        """``t(1 - beta/J, df)``: the multiplier of ``se`` in a look's pass bound."""
        return float(stats.t.ppf(1.0 - self.beta / len(self.looks), df))

    def decide(self, relation: str, exponent: float, tolerance: float, slope: float, lo: float, hi: float,
               se: float, df: float, last: bool) -> tuple[str, float, float, float]:
        """One look: ``(state, bound_lo, bound_hi, excluded)``.

        ``lo``/``hi``: the look's fail interval (level ``fail_alpha``); ``state`` is ``"fail"``,
        ``"pass"``, ``"inconclusive"`` (``last`` look, undecided) or ``"continue"``;
        ``bound_lo``/``bound_hi`` the pass bounds ``s -/+ t(1 - beta/J, df) se``; ``excluded``
        the smallest exponent error on the violating side the bound excludes (``>= 0``; a pass
        has ``excluded <= target``).
        """
        if relation not in _stats.SLOPE_RELATIONS:
            raise ValueError(f"relation must be one of {_stats.SLOPE_RELATIONS}, got {relation!r}")
        if math.isfinite(se) and math.isfinite(slope):
            q = self.bound_quantile(df) if se > 0 else 0.0
            b_lo, b_hi = slope - q * se, slope + q * se
        else:
            b_lo, b_hi = -math.inf, math.inf
        e, tol = exponent, tolerance
        up = max(0.0, b_hi - e)          # at_most: exponents >= e + up are excluded
        down = max(0.0, e - b_lo)        # at_least: exponents <= e - down are excluded
        if relation == "at_most":
            failed, excluded = lo > e + tol, up
        elif relation == "at_least":
            failed, excluded = hi < e - tol, down
        else:
            failed, excluded = (lo > e + tol or hi < e - tol), max(up, down)
        if failed:
            return "fail", b_lo, b_hi, excluded
        if excluded <= self.target:
            return "pass", b_lo, b_hi, excluded
        return ("inconclusive" if last else "continue"), b_lo, b_hi, excluded

    def describe(self, alpha: float) -> str:
        lk = self.looks
        return (f"anytime exponent test: looks at {', '.join(map(str, lk))} trials per grid point; fail when the "
                f"1-alpha_ex/{len(lk)} interval lies past the claimed exponent (+ tolerance); pass when the "
                f"{1 - self.beta / len(lk):.4g} one-sided bound excludes an exponent error of {self.target:.3g} "
                f"(an error that large passes with probability <= {self.beta:g}); inconclusive at the budget")


def fail_probability(p0: float, p: float, alpha: float, batch: int, max_trials: int,
                     p_det: float | None = None, beta: float = 0.1) -> float:
    """Exact probability that the anytime rule fails a stream of violation rate ``p``.

    Dynamic programming over the violation count of the paths still running at each
    batch end (binomial convolution per batch); paths that cross the fail boundary
    are absorbed as fails, those that meet the pass condition (when ``p_det`` is
    given) as passes.
    """
    if not (0.0 <= p <= 1.0):
        raise ValueError(f"p must lie in [0, 1], got {p!r}")
    thr = math.log(1.0 / alpha)
    alive = np.array([1.0])   # P(still running, v violations so far), v = 0..n
    n, failed = 0, 0.0
    while n < max_trials:
        k = min(batch, max_trials - n)
        alive = np.convolve(alive, stats.binom.pmf(np.arange(k + 1), k, p))
        n += k
        v = np.arange(n + 1)
        fail = np.asarray(log_e_value(np.full(n + 1, n), v, p0)) >= thr
        failed += float(alive[fail].sum())
        alive = np.where(fail, 0.0, alive)
        if p_det is not None and p_det > p0:
            alive = np.where(passes_cs(np.full(n + 1, n), v, p_det, beta), 0.0, alive)
    return failed


def trials_for_power(p0: float, p_det: float, alpha: float, batch: int, power: float = 0.9,
                     cap: int = 4096, beta: float | None = None) -> int | None:
    """Smallest budget (a multiple of ``batch``, ``<= cap``) at which a stream of rate
    ``p_det`` fails with probability ``>= power``; ``None`` if ``cap`` is not enough."""
    beta = 1.0 - power if beta is None else beta
    n = batch
    while n <= cap:
        if fail_probability(p0, p_det, alpha, batch, n, p_det=p_det, beta=beta) >= power:
            return n
        n += batch
    return None


def suite_contract(profile, n_claims: int, alpha_suite: float | None = None):
    """The statistical contract of a run of ``n_claims`` claims, and the profile its claims run under.

    The suite-level rate is ``alpha_suite`` if given, else the profile's ``alpha_suite``
    (the shipped profiles: 0.01).  With one, each claim is checked at ``alpha_suite /
    n_claims`` (Bonferroni over claims), so P(any true claim of the run fails) <=
    ``alpha_suite`` by design, under any dependence between claims and under the anytime
    rule's optional stopping.  Without one (``Profile(alpha_suite=None)``, ``--claim-alpha``)
    each claim keeps the profile's ``alpha`` and the union bound on the suite is
    ``min(1, n_claims * alpha)`` (stated, and flagged when it is vacuous).

    Returns ``(profile, contract)``.  The returned profile is the claim-level one: its
    ``alpha`` is the level each claim runs at and its ``alpha_suite`` is ``None`` (so
    applying the contract twice changes nothing).  ``contract`` is JSON-ready (the results
    file's ``run.contract``; the report header and pytest summary print
    :func:`contract_line`).
    """
    import dataclasses

    n = int(n_claims)
    if n < 1:
        raise ValueError(f"a run needs at least one claim, got {n_claims!r}")
    a = alpha_suite if alpha_suite is not None else getattr(profile, "alpha_suite", None)
    if a is not None:   # bonferroni_alpha refuses a rate outside (0, 1)
        a = float(a)
        profile = dataclasses.replace(profile, alpha=bonferroni_alpha(a, n), alpha_suite=None)
    bound = min(1.0, n * profile.alpha)
    return profile, {
        "alpha_suite": a, "n_claims": n, "alpha_claim": profile.alpha,
        "suite_bound": bound, "by_design": a is not None,
        "combination": "Bonferroni over claims, then over each claim's examples and gated scalings",
        "decision": profile.decision,
        "stopping": (f"anytime: batches of {profile.anytime_batch} trials, at most {profile.anytime_max_trials} per "
                     f"example (mixture e-value >= 1/alpha_ex: fail; confidence sequence < "
                     f"{profile.max_detectable_rate:g}: pass); gated scalings at "
                     f"{'/'.join(map(str, profile.scaling_rule().looks))} trials per grid point (pass when the "
                     f"{profile.power_target:g} bound excludes an exponent error of {profile.exponent_target:.3g})"
                     if profile.decision == "anytime"
                     else f"fixed: {profile.trials} trials per example, exact binomial test"),
    }


def contract_line(contract: dict | None) -> str:
    """One line for humans: what the run's false-fail guarantee is."""
    if not contract:
        return "statistical contract: not recorded (older results file)"
    c = contract
    if c.get("by_design"):
        head = (f"P(any true claim fails) <= alpha_suite = {c['alpha_suite']:g} by design "
                f"({c['n_claims']} claims at alpha_claim = {c['alpha_claim']:.3g} each)")
    else:
        head = (f"per-claim alpha = {c['alpha_claim']:g} over {c['n_claims']} claims: suite-level bound "
                f"{c['suite_bound']:.3g}" + (" (vacuous; --alpha / --claims-alpha give a suite-level guarantee)"
                                             if c["suite_bound"] >= 1 else ""))
    return f"{head}; decision {c.get('stopping', c.get('decision'))}"
