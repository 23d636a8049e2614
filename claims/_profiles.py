"""Profiles: how hard to try. Hypothesis settings plus trial counts and size caps.

* ``quick`` — developer loop, seconds per claim (default outside CI).
* ``ci`` — derandomized, bounded time; the gate (default when ``$CI`` is set).
* ``thorough`` — large widths, many trials; meant for a GPU.

Each profile is also registered with Hypothesis as ``claims-<name>``.
A custom profile is a ``Profile(...)`` value passed to ``check(profile=...)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Mapping

import hypothesis
from hypothesis import HealthCheck, Phase, Verbosity

from ._claim import InvalidClaimError

__all__ = ["Profile", "PROFILES", "get_profile", "LIMIT_KEYS", "DECISIONS"]

LIMIT_KEYS = ("width", "depth", "n", "seq_len", "steps")
DECISIONS = ("fixed", "anytime")   # Profile.decision: see claims/_sequential.py
EXPONENT_GATES = ("report", "gate")   # Profile.exponent_gate: see claims/_engine.py _run_scaling


@dataclass(frozen=True)
class Profile:
    """A testing budget.

    ``max_examples`` parameter points per claim, ``trials`` (K) per point,
    ``limits`` caps on sizes (keys ``width``, ``depth``, ``n``, ``seq_len``, ``steps``),
    ``alpha`` the claim-level false-fail rate, ``power_target`` / ``max_detectable_rate``
    (a pass must detect a violation rate <= max_detectable_rate with probability >=
    power_target, else inconclusive), ``time_budget_s`` per claim (no new examples or
    shrinks after it: the soft budget), ``timeout_s`` the hard per-claim limit (the
    claim is stopped where it is and reported as ``error``; ``None`` = 10 x
    ``time_budget_s``, see :attr:`hard_timeout_s`), ``max_shrinks`` shrink steps after a failure, ``derandomize``.

    ``trial_chunk``: at most this many trials per call of a measure (``None``: all K at
    once). Memory grows with K (K x L dense m x m weights: 64 trials of a 32-layer net at
    m = 4096 are 275 GB in float64), so a large profile evaluates the K trials of a point
    in chunks, chunk ``j`` with its own seed ``derive_seed(example seed, "chunk", j)``;
    the numbers depend on the chunk size (they are reproducible for a given one, which
    the reproduce command carries), never on the device's memory. With a single chunk
    the example seed is used as is (chunk 0 always keeps it).

    ``decision``: the per-example decision rule (:mod:`claims._sequential`).
    ``"fixed"``: K = ``trials`` trials and one exact binomial test.  ``"anytime"``:
    batches of ``batch`` trials (default K/2) up to ``max_trials`` (default 2K) per
    example, stopping for fail when the mixture e-value reaches 1/alpha_ex and for
    pass when the ``power_target`` confidence sequence for the violation rate lies
    below ``max_detectable_rate``; inconclusive at the budget.  The batches are the
    example's trial chunks (``trial_chunk`` = ``batch`` unless a smaller chunk that
    divides it is set), so a counterexample's reproduce command carries them.

    Power of the exponent checks (gated scalings: relation ``at_most`` / ``at_least`` /
    ``equal``): each states ``detectable_deviation``, the smallest error of the claimed exponent
    it detects with probability >= ``power_target``
    (:func:`claims._stats.slope_detectable_deviation`). ``exponent_target``: the deviation the
    profile wants detected (default 1/6). Under ``decision="anytime"`` a gated scaling is
    decided by :class:`claims._sequential.ScalingRule` (:meth:`scaling_rule`): looks at
    ``scaling_batch`` trials per grid point, doubling up to ``scaling_trials_budget``
    (``scaling_max_trials``, default ``max_trials``); it passes only when its confidence bound
    excludes an exponent error of ``exponent_target``, else fails or is inconclusive
    (``exponent_gate`` is not used). Under the fixed rule: ``scaling_max_trials`` is the
    trials per grid point a scaling may grow to — batches of ``trials`` more at every grid
    point, new seeds, while the detectable deviation exceeds ``exponent_target`` (``None``:
    ``trials``, one batch, no growth); ``exponent_gate``: ``"report"`` (the deviation is
    stated in the message, the verdict is unchanged) or ``"gate"`` (a scaling that did not
    fail and still cannot detect ``exponent_target`` at its budget is ``inconclusive``).

    ``alpha_suite``: the suite-level false-fail rate a run of N claims is designed for
    (:func:`claims._sequential.suite_contract`): each claim of the run is checked at
    ``alpha_suite / N`` instead of ``alpha``, so P(any true claim of the run fails) <=
    ``alpha_suite`` under any dependence between claims.  ``None``: each claim at ``alpha``
    (no designed suite-level bound).  A claim checked on its own (``claims.check``) is a
    run of one: ``alpha``.  The shipped profiles set 0.01.
    """

    name: str
    max_examples: int
    trials: int
    limits: Mapping[str, float] = field(default_factory=dict)
    alpha: float = 0.01
    power_target: float = 0.9
    max_detectable_rate: float = 0.5
    time_budget_s: float = 60.0
    max_shrinks: int = 25
    derandomize: bool = False
    bootstrap_reps: int = 2000
    timeout_s: float | None = None
    trial_chunk: int | None = None
    decision: str = "fixed"
    batch: int | None = None
    max_trials: int | None = None
    exponent_target: float = 1 / 6
    scaling_max_trials: int | None = None
    exponent_gate: str = "report"
    alpha_suite: float | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise InvalidClaimError(f"Profile.name must be a non-empty string, got {self.name!r}")
        for f in ("max_examples", "trials"):
            v = getattr(self, f)
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise InvalidClaimError(f"Profile {self.name!r}: {f} must be an int >= 1, got {v!r}")
        tc = self.trial_chunk
        if tc is not None and (isinstance(tc, bool) or not isinstance(tc, int) or tc < 1):
            raise InvalidClaimError(f"Profile {self.name!r}: trial_chunk must be None or an int >= 1, got {tc!r}")
        if self.decision not in DECISIONS:
            raise InvalidClaimError(f"Profile {self.name!r}: decision must be one of {list(DECISIONS)}, "
                                    f"got {self.decision!r}")
        for f in ("batch", "max_trials"):
            v = getattr(self, f)
            if v is not None and (isinstance(v, bool) or not isinstance(v, int) or v < 1):
                raise InvalidClaimError(f"Profile {self.name!r}: {f} must be None or an int >= 1, got {v!r}")
        if self.decision == "anytime":
            if self.anytime_max_trials < self.anytime_batch:
                raise InvalidClaimError(f"Profile {self.name!r}: max_trials ({self.anytime_max_trials}) must be "
                                        f">= batch ({self.anytime_batch})")
            if tc is not None and self.anytime_batch % tc:
                raise InvalidClaimError(f"Profile {self.name!r}: the anytime batch ({self.anytime_batch} trials) "
                                        f"must be a multiple of trial_chunk ({tc})")
        et = self.exponent_target
        if isinstance(et, bool) or not isinstance(et, (int, float)) or not (math.isfinite(et) and et > 0):
            raise InvalidClaimError(f"Profile {self.name!r}: exponent_target must be a finite number > 0 "
                                    f"(the exponent error to detect, e.g. 1/6), got {et!r}")
        smt = self.scaling_max_trials
        if smt is not None and (isinstance(smt, bool) or not isinstance(smt, int) or smt < self.trials):
            raise InvalidClaimError(f"Profile {self.name!r}: scaling_max_trials must be None or an int >= "
                                    f"trials ({self.trials}), got {smt!r}")
        if self.exponent_gate not in EXPONENT_GATES:
            raise InvalidClaimError(f"Profile {self.name!r}: exponent_gate must be one of {list(EXPONENT_GATES)}, "
                                    f"got {self.exponent_gate!r}")
        if not (0 < self.alpha < 1):
            raise InvalidClaimError(f"Profile {self.name!r}: alpha must lie in (0, 1), got {self.alpha!r}")
        a_s = self.alpha_suite
        if a_s is not None and (isinstance(a_s, bool) or not isinstance(a_s, (int, float)) or not 0 < a_s < 1):
            raise InvalidClaimError(f"Profile {self.name!r}: alpha_suite must be None or lie in (0, 1), got {a_s!r}")
        if not (0 < self.power_target < 1):
            raise InvalidClaimError(f"Profile {self.name!r}: power_target must lie in (0, 1)")
        if not (0 < self.max_detectable_rate <= 1):
            raise InvalidClaimError(f"Profile {self.name!r}: max_detectable_rate must lie in (0, 1]")
        if not (self.time_budget_s > 0 and math.isfinite(self.time_budget_s)):
            raise InvalidClaimError(f"Profile {self.name!r}: time_budget_s must be finite and > 0")
        if self.timeout_s is not None and not (
                isinstance(self.timeout_s, (int, float)) and not isinstance(self.timeout_s, bool)
                and math.isfinite(self.timeout_s) and self.timeout_s > 0):
            raise InvalidClaimError(f"Profile {self.name!r}: timeout_s must be None or a finite number > 0 "
                                    f"(seconds), got {self.timeout_s!r}")
        if self.bootstrap_reps < 1000:
            raise InvalidClaimError(f"Profile {self.name!r}: bootstrap_reps must be >= 1000")
        unknown = set(self.limits) - set(LIMIT_KEYS)
        if unknown:
            raise InvalidClaimError(
                f"Profile {self.name!r}: unknown limit keys {sorted(unknown)}; allowed {LIMIT_KEYS}"
            )
        object.__setattr__(self, "limits", dict(self.limits))

    @property
    def scaling_trials_budget(self) -> int:
        """Trials per grid point a gated scaling may grow to (``scaling_max_trials``; default
        ``trials`` under the fixed rule, ``anytime_max_trials`` under the anytime rule)."""
        if self.scaling_max_trials is not None:
            return int(self.scaling_max_trials)
        return self.anytime_max_trials if self.decision == "anytime" else self.trials

    @property
    def scaling_batch(self) -> int:
        """Trials per grid point at a gated scaling's first look under the anytime rule:
        ``min(trials, max(8, anytime_batch))`` (at least 2: the fit needs a spread)."""
        return max(2, min(self.trials, max(8, self.anytime_batch)))

    def scaling_rule(self):
        """The :class:`claims._sequential.ScalingRule` gated scalings are decided with under the
        anytime rule (looks at ``scaling_batch`` trials per grid point, doubling up to
        ``scaling_trials_budget``); ``None`` under the fixed rule."""
        from ._sequential import ScalingRule

        if self.decision != "anytime":
            return None
        return ScalingRule(batch=self.scaling_batch, max_trials=max(self.scaling_batch, self.scaling_trials_budget),
                           target=self.exponent_target, power_target=self.power_target)

    @property
    def anytime_batch(self) -> int:
        """Trials per batch of the anytime rule (``batch``, default ``max(1, trials // 2)``)."""
        return int(self.batch) if self.batch is not None else max(1, self.trials // 2)

    @property
    def anytime_max_trials(self) -> int:
        """Trial budget per example of the anytime rule (``max_trials``, default ``2 * trials``)."""
        return int(self.max_trials) if self.max_trials is not None else 2 * self.trials

    def decision_rule(self):
        """The :class:`claims._sequential.Decision` this profile decides examples with."""
        from ._sequential import AnytimeDecision, FixedDecision

        if self.decision == "anytime":
            return AnytimeDecision(batch=self.anytime_batch, max_trials=self.anytime_max_trials,
                                   p_det=self.max_detectable_rate, power_target=self.power_target)
        return FixedDecision(trials=self.trials, power_target=self.power_target)

    def example_profile(self) -> "Profile":
        """The profile examples are evaluated under: for the anytime rule the trial chunk is
        the batch (or the profile's smaller chunk that divides it)."""
        import dataclasses

        if self.decision != "anytime" or self.trial_chunk is not None:
            return self
        return dataclasses.replace(self, trial_chunk=self.anytime_batch)

    @property
    def hard_timeout_s(self) -> float:
        """The hard per-claim limit in seconds: ``timeout_s``, or 10 x ``time_budget_s`` (a safety net
        against a hung measure; the soft budget is what keeps a profile fast)."""
        return float(self.timeout_s) if self.timeout_s is not None else 10.0 * float(self.time_budget_s)

    def hypothesis_settings(self, max_examples: int | None = None) -> hypothesis.settings:
        """The Hypothesis settings this profile runs a claim's search under."""
        return hypothesis.settings(
            max_examples=self.max_examples if max_examples is None else max_examples,
            derandomize=self.derandomize,
            deadline=None,
            database=None,
            print_blob=False,
            report_multiple_bugs=False,
            verbosity=Verbosity.quiet,
            phases=(Phase.explicit, Phase.generate, Phase.target, Phase.shrink),
            suppress_health_check=list(HealthCheck),
        )

    def to_dict(self) -> dict:
        return {
            "name": self.name, "max_examples": self.max_examples, "trials": self.trials,
            "limits": dict(self.limits), "alpha": self.alpha, "power_target": self.power_target,
            "max_detectable_rate": self.max_detectable_rate, "time_budget_s": self.time_budget_s,
            "max_shrinks": self.max_shrinks, "derandomize": self.derandomize,
            "bootstrap_reps": self.bootstrap_reps, "timeout_s": self.hard_timeout_s,
            "trial_chunk": self.trial_chunk, "decision": self.decision,
            "batch": self.anytime_batch if self.decision == "anytime" else None,
            "max_trials": self.anytime_max_trials if self.decision == "anytime" else None,
            "exponent_target": self.exponent_target, "scaling_max_trials": self.scaling_trials_budget,
            "exponent_gate": self.exponent_gate, "alpha_suite": self.alpha_suite,
        }


# The gate's contract: every shipped profile designs the suite-level false-fail rate (alpha_suite =
# 0.01: a run of N claims checks each at 0.01/N), and quick and ci decide examples with the anytime
# rule (README "Suite-level guarantee"). At 0.01/135 per claim and p0 = 0.05 one example of rate 0.5
# fails with probability 0.97 within 32 trials under the anytime rule, against P(Binom(16, 0.5) >=
# crit) under ci's fixed K = 16 (a single example detects 0.565 with probability 0.9) and far less
# under quick's K = 8 (0.76); a clean example stops after one batch (ci: 8 of 32 trials).
# thorough keeps the fixed rule: its K = 64 has the power at 0.01/N, and a GPU wants whole batches.
# Gated scalings under quick and ci: the anytime exponent test (claims._sequential.ScalingRule) at
# 8, 16, 32, 64 trials per grid point; a pass excludes an exponent error of exponent_target with
# confidence 0.9: 1/6 under ci (the gate), 1/4 under quick (its widths <= 512 cannot resolve 1/6
# on two- or three-point grids; README "Exponent checks").
PROFILES: dict[str, Profile] = {
    "quick": Profile(
        "quick", max_examples=3, trials=8,
        limits={"width": 512, "depth": 8, "n": 16, "seq_len": 8, "steps": 200},
        time_budget_s=20.0, max_shrinks=8, decision="anytime", batch=4, max_trials=32, alpha_suite=0.01,
        scaling_max_trials=64, exponent_target=0.25,
    ),
    "ci": Profile(
        "ci", max_examples=4, trials=16,
        limits={"width": 1024, "depth": 8, "n": 16, "seq_len": 10, "steps": 400},
        time_budget_s=90.0, max_shrinks=20, derandomize=True, decision="anytime", batch=8, max_trials=32,
        alpha_suite=0.01, scaling_max_trials=64,
    ),
    "thorough": Profile(
        "thorough", max_examples=20, trials=64,
        limits={"width": 8192, "depth": 32, "n": 64, "seq_len": 32, "steps": 2000},
        time_budget_s=1800.0, max_shrinks=100, trial_chunk=8, alpha_suite=0.01,
    ),
}

for _p in PROFILES.values():
    hypothesis.settings.register_profile(f"claims-{_p.name}", _p.hypothesis_settings())


def with_overrides(profile: str | Profile, *, timeout: float | None = None, trial_chunk: int | None = None,
                   decision: str | None = None, alpha: float | None = None, alpha_suite: float | None = None,
                   prefix: str = "--") -> Profile:
    """``profile`` with the command-line overrides applied: ``timeout`` (hard per-claim
    limit, seconds), ``trial_chunk`` (``0``: all trials at once), ``decision`` (``fixed``
    or ``anytime``), ``alpha_suite`` (the suite-level false-fail rate a run is designed
    for: each of its N claims at ``alpha_suite / N``) and ``alpha`` (every claim at this
    level, with no designed suite-level bound: ``alpha_suite`` is then ``None``). The two
    alphas contradict each other: giving both is an error. ``None`` keeps the profile's
    value. Bad values raise ``ValueError`` naming the option (``prefix`` + ``timeout`` /
    ``trial-chunk`` / ``decision`` / ``alpha`` / ``claim-alpha``: ``--`` for the CLI,
    ``--claims-`` for pytest)."""
    import dataclasses

    prof = get_profile(profile)
    if decision is not None:
        if decision not in DECISIONS:
            raise ValueError(f"{prefix}decision must be one of {list(DECISIONS)}, got {decision!r}")
        prof = dataclasses.replace(prof, decision=decision)
    if alpha is not None and alpha_suite is not None:
        raise ValueError(f"{prefix}alpha {alpha_suite:g} (suite level: each of N claims at A/N) and "
                         f"{prefix}claim-alpha {alpha:g} (each claim at A, no suite-level bound) contradict each "
                         f"other; give one of them")
    for name, v in (("alpha", alpha_suite), ("claim-alpha", alpha)):
        if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 < v < 1):
            raise ValueError(f"{prefix}{name} must lie strictly between 0 and 1, got {v!r}")
    if alpha_suite is not None:
        prof = dataclasses.replace(prof, alpha_suite=float(alpha_suite))
    if alpha is not None:
        prof = dataclasses.replace(prof, alpha=float(alpha), alpha_suite=None)
    if timeout is not None:
        if not 0 < timeout < math.inf:
            raise ValueError(f"{prefix}timeout must be a positive number of seconds, got {timeout}")
        prof = dataclasses.replace(prof, timeout_s=float(timeout))
    if trial_chunk is not None:
        if trial_chunk < 0:
            raise ValueError(f"{prefix}trial-chunk must be >= 1 (trials per measure call) or 0 (all at once), "
                             f"got {trial_chunk}")
        prof = dataclasses.replace(prof, trial_chunk=trial_chunk or None)
    return prof


def get_profile(profile: str | Profile) -> Profile:
    """Resolve a profile name or value; unknown names raise ``ValueError`` listing the choices."""
    if isinstance(profile, Profile):
        return profile
    if isinstance(profile, str) and profile in PROFILES:
        return PROFILES[profile]
    raise ValueError(f"unknown profile {profile!r}; choose one of {sorted(PROFILES)} or pass a claims.Profile")
