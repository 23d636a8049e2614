"""The engine: ``check(claim)`` runs a claim's search, sweeps and decision.

Flow (see ``DESIGN.md``): Hypothesis draws a point of the claim's regime (within
the profile's limits) and an integer; the example seed is
``derive_seed(seed, drawn)``; the measure runs K trials as one batched job; the
violations are tested with an exact one-sided binomial test at
``alpha / (examples + non-report scalings)`` (Bonferroni). A significant example
raises inside the Hypothesis test so Hypothesis shrinks it; ``hypothesis.target``
steers toward the worst measured/bound ratio. Scalings fit log-log slopes with
bootstrap CIs. The verdict is pass / fail / inconclusive / error (see
:func:`check`).
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import json
import math
import os
import platform
import signal
import sys
import threading
import time
import traceback
import datetime as _dt
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

import hypothesis
import numpy as np
import scipy
import torch
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable

from ._claim import (CATALOG_REF_ATTR, Choice, Claim, FloatParam, IntParam, InvalidClaimError, Measurement,
                     MeasureContext, derive_seed)
from ._profiles import PROFILES, Profile, get_profile
from ._result import ClaimResult
from . import _interrupt, _stats
from scipy import stats

__all__ = ["check", "reproduce", "run_example", "MeasureError", "ClaimTimeout", "resolve_ranges", "reproduce_command",
           "validate_point", "error_result", "sweep"]


class MeasureError(RuntimeError):
    """The measure broke (exception, NaN/inf, wrong shape or type): verdict ``error``.

    Never counted as a pass. ``details`` carries the traceback or the offending values.
    """

    def __init__(self, message: str, details: str = ""):
        super().__init__(message)
        self.details = details

    def __reduce__(self):  # survives pickling to and from executor workers, details included
        return (type(self), (str(self), self.details))


class ClaimTimeout(BaseException):
    """A claim ran past its hard time limit (``Profile.timeout_s``): verdict ``error``.

    Raised from a SIGALRM handler inside whatever the claim was computing, so it is
    a BaseException: neither the measure's nor Hypothesis' ``except Exception``
    swallows it. :func:`check` turns it into an ``error`` result with the traceback
    showing where the time went.
    """


class _StopSearch(BaseException):
    """Ends the Hypothesis run at once (budget spent, or the measure broke).

    A BaseException, so Hypothesis neither catches nor shrinks it; the engine keeps
    its own record of what was found (during shrinking, the last failing example
    Hypothesis tried is its current smallest one).
    """


class _Significant(Exception):
    """Raised inside the Hypothesis test for a significant example, so that it shrinks."""

    def __init__(self, result: dict):
        super().__init__(f"significant violations at {result['point']}")
        self.result = result


# ----------------------------------------------------------------------------- regime


def resolve_ranges(claim: Claim, profile: Profile) -> dict[str, tuple]:
    """Per parameter: ``("int"|"float", low, high, log)`` or ``("choice", options)``,
    with ``high`` clipped to the profile cap named by ``limit``.

    Raises :class:`InvalidClaimError` naming claim, parameter and profile when the
    regime lies outside the profile's limits.
    """
    out: dict[str, tuple] = {}
    for p in claim.regime:
        cap = math.inf
        if p.limit is not None:
            if p.limit not in profile.limits:
                raise InvalidClaimError(
                    f"Claim {claim.id!r}: parameter {p.name!r} has limit={p.limit!r}, but profile "
                    f"{profile.name!r} defines only limits {sorted(profile.limits)}")
            cap = profile.limits[p.limit]
        if isinstance(p, Choice):
            opts = tuple(o for o in p.options if not (isinstance(o, (int, float)) and not isinstance(o, bool) and o > cap))
            if not opts:
                raise InvalidClaimError(
                    f"Claim {claim.id!r}: parameter {p.name!r}: every option {p.options} exceeds profile "
                    f"{profile.name!r}'s {p.limit} limit {cap}; use a larger profile or add smaller options")
            out[p.name] = ("choice", opts)
            continue
        if p.low > cap:
            raise InvalidClaimError(
                f"Claim {claim.id!r}: parameter {p.name!r} has low={p.low} above profile {profile.name!r}'s "
                f"{p.limit} limit {cap}; lower the regime's low end or use a larger profile")
        hi = min(p.high, cap)
        if isinstance(p, IntParam):
            out[p.name] = ("int", p.low, int(math.floor(hi)), p.log)
        else:
            out[p.name] = ("float", float(p.low), float(hi), p.log)
    return out


def _low_point(ranges: Mapping[str, tuple]) -> dict:
    return {k: (r[1][0] if r[0] == "choice" else r[1]) for k, r in ranges.items()}


_BUCKETS, _FINE = 16, 2**16  # unit interval = 16 coarse buckets x 65536 fine steps


def _unit():
    """An integer-backed value in [0, 1]: a coarse bucket (drawn about uniformly by
    Hypothesis, so exploration covers the whole range) plus a fine offset. Both parts
    shrink toward 0 — Hypothesis shrinks integers reliably toward 0, while floats
    shrink toward "simple" values such as 1.0 — so shrinking moves a parameter to
    its low end."""
    return st.tuples(st.integers(0, _BUCKETS - 1), st.integers(0, _FINE - 1)).map(
        lambda bf: (bf[0] * _FINE + bf[1]) / (_BUCKETS * _FINE - 1))


def _param_strategy(r: tuple):
    """Strategy for one parameter (log-uniform when ``log``), shrinking toward ``low``."""
    kind = r[0]
    if kind == "choice":
        return st.sampled_from(r[1])
    _, lo, hi, log = r
    if lo == hi:
        return st.just(lo)
    if kind == "int":
        if log:
            return _unit().map(lambda u: int(min(hi, max(lo, round(lo * (hi / lo) ** u)))))
        return _unit().map(lambda u: int(min(hi, max(lo, round(lo + (hi - lo) * u)))))
    if log:
        return _unit().map(lambda u: float(min(hi, max(lo, lo * (hi / lo) ** u))))
    return _unit().map(lambda u: float(min(hi, max(lo, lo + (hi - lo) * u))))


def point_strategy(claim: Claim, ranges: Mapping[str, tuple]):
    """Strategy for ``(point, drawn)``: a point of the regime and an integer for the seed."""
    return st.tuples(
        st.fixed_dictionaries({name: _param_strategy(r) for name, r in ranges.items()}),
        st.integers(0, 2**32 - 1),
    )


# ----------------------------------------------------------------------------- one example


def _to_vector(x: Any, K: int, what: str) -> np.ndarray:
    if isinstance(x, torch.Tensor):
        arr = x.detach().to("cpu", torch.float64).numpy()
    elif isinstance(x, np.ndarray):
        arr = x.astype(np.float64)
    elif isinstance(x, (int, float)) and not isinstance(x, bool):
        arr = np.full(K, float(x))
    else:
        raise MeasureError(f"{what} must be a torch.Tensor or numpy array of shape [K]={K}, got {type(x).__name__}")
    if arr.ndim == 0:
        arr = np.full(K, float(arr))
    if arr.shape != (K,):
        raise MeasureError(f"{what} must have shape [K]=({K},), got {tuple(arr.shape)}")
    return arr


def _measure_once(claim: Claim, point: dict, seed: int, trials: int, device, dtype, profile):
    """One call of the measure with ``trials`` trials: ``(values [K], extras {name: [K]})``."""
    ctx = MeasureContext(trials=trials, device=device, dtype=dtype, seed=int(seed), profile=profile)
    try:
        out = claim.measure(dict(point), ctx)
    except Exception as exc:
        raise MeasureError(f"measure raised {type(exc).__name__}: {exc} at point {point}",
                           traceback.format_exc()) from exc
    if isinstance(out, Measurement):
        raw_values, raw_extras = out.values, dict(out.extras)
    else:
        raw_values, raw_extras = out, {}
    values = _to_vector(raw_values, trials, "measure values")
    extras = {str(k): _to_vector(v, trials, f"measure extras[{k!r}]") for k, v in raw_extras.items()}
    return values, extras


def chunk_seed(seed: int, j: int) -> int:
    """Seed of trial chunk ``j`` of an example (Profile.trial_chunk, anytime batches): chunk 0
    keeps the example seed, so one chunk gives the numbers of the unchunked call."""
    return int(seed) if j == 0 else derive_seed(int(seed), "chunk", j)


def run_example(claim: Claim, point: Mapping[str, Any], seed: int, trials: int, device: torch.device,
                dtype: torch.dtype, profile: Profile, first_chunk: int = 0) -> dict:
    """Run the measure once at ``point`` with ``trials`` trials and seed ``seed``.

    Returns a dict with ``values`` [K], ``extras``, ``bound_upper``/``bound_lower``,
    ``ratios`` (values / (constant*shape)), ``violations``, ``max_ratio``,
    ``min_ratio`` and ``score`` (higher = closer to violating). Raises
    :class:`MeasureError` if the measure breaks and :class:`InvalidClaimError` for a
    non-positive bound shape.

    With ``profile.trial_chunk`` set the trials are evaluated in chunks, chunk ``j``
    seeded :func:`chunk_seed`; ``first_chunk`` starts at a later chunk (the anytime
    decision evaluates an example batch by batch, and the concatenated batches are
    exactly the chunks of one call with all their trials).
    """
    point = dict(point)
    chunk = getattr(profile, "trial_chunk", None)
    if first_chunk and chunk is None:
        raise ValueError("first_chunk needs a profile with trial_chunk set")
    if chunk is None or (trials <= chunk and not first_chunk):
        values, extras = _measure_once(claim, point, int(seed), trials, device, dtype, profile)
    else:   # K trials in chunks, each with its own seed (Profile.trial_chunk)
        parts = []
        for j, k0 in enumerate(range(0, trials, chunk), start=first_chunk):
            _interrupt.checkpoint()
            kj = min(chunk, trials - k0)
            parts.append(_measure_once(claim, point, chunk_seed(seed, j), kj, device, dtype, profile))
        keys = [sorted(e) for _, e in parts]
        if any(k != keys[0] for k in keys):
            raise MeasureError(f"measure returned different extras for different trial chunks ({keys[0]} vs "
                               f"{next(k for k in keys if k != keys[0])}) at point {point}")
        values = np.concatenate([v for v, _ in parts])
        extras = {k: np.concatenate([e[k] for _, e in parts]) for k in keys[0]}
    bad = ~np.isfinite(values)
    if bad.any():
        idx = np.flatnonzero(bad)[:5].tolist()
        raise MeasureError(f"measure returned non-finite values (NaN/inf) in {int(bad.sum())} of {trials} "
                           f"trials (e.g. trials {idx}: {values[idx].tolist()}) at point {point}")
    b = claim.bound
    s = b.evaluate_shape(point)
    ub = b.constant * s
    lb = b.lower_constant * s if b.kind == "two-sided" else None
    ratios = values / ub
    if b.kind == "upper":
        viol = values > ub
        score = float(ratios.max())
    elif b.kind == "lower":
        viol = values < ub
        score = float(-ratios.min())
    else:
        viol = (values > ub) | (values < lb)
        score = float(max(ratios.max(), (2.0 - values / lb).max()))
    return {
        "point": point, "seed": int(seed), "trials": int(trials),
        "values": values, "extras": extras, "shape": s,
        "bound_upper": ub if b.kind != "lower" else None,
        "bound_lower": ub if b.kind == "lower" else lb,
        "ratios": ratios, "violations": int(viol.sum()),
        "max_ratio": float(ratios.max()), "min_ratio": float(ratios.min()), "score": score,
    }


def _merge(parts: list[dict]) -> dict:
    """One example's result from its batches (the anytime rule): trials concatenated in order."""
    if len(parts) == 1:
        return parts[0]
    first = parts[0]
    values = np.concatenate([r["values"] for r in parts])
    ratios = np.concatenate([r["ratios"] for r in parts])
    extras = {k: np.concatenate([r["extras"][k] for r in parts]) for k in first["extras"]}
    return {**first, "trials": int(len(values)), "values": values, "extras": extras, "ratios": ratios,
            "violations": int(sum(r["violations"] for r in parts)),
            "max_ratio": float(ratios.max()), "min_ratio": float(ratios.min()),
            "score": float(max(r["score"] for r in parts))}


def decide_example(claim: Claim, point: Mapping[str, Any], seed: int, rule, alpha_ex: float,
                   device: torch.device, dtype: torch.dtype, profile: Profile):
    """Evaluate one example under the decision ``rule`` (:mod:`claims._sequential`): batch
    after batch of trials until the rule stops. Returns ``(result, test)``: the merged
    :func:`run_example` result over all trials run, and the stopped
    :class:`~claims._sequential.ExampleTest` (state, counts, trajectory).

    The fixed rule runs one batch of ``profile.trials`` with the example seed (today's
    numbers); the anytime rule's batch ``j`` is trial chunk ``j`` of the example
    (:func:`chunk_seed`), so the trials run equal one call with all of them under
    ``profile.example_profile()``."""
    test = rule.start(claim.failure_prob, alpha_ex)
    if rule.name == "fixed":
        res = run_example(claim, point, seed, profile.trials, device, dtype, profile)
        test.update(res["trials"], res["violations"])
        return res, test
    eprof = profile.example_profile()
    chunk = eprof.trial_chunk
    parts = []
    while test.state == "continue":
        _interrupt.checkpoint()
        k = test.next_batch
        parts.append(run_example(claim, point, seed, k, device, dtype, eprof, first_chunk=test.n // chunk))
        test.update(k, parts[-1]["violations"])
    return _merge(parts), test


def _summary(res: dict, p0: float, alpha_ex: float, draw: int | None = None, full: bool = False,
             test=None) -> dict:
    if test is not None and test.decision.name == "anytime":
        log_e = test.trajectory[-1][2]
        p = float(min(1.0, math.exp(-log_e))) if log_e > 0 else 1.0   # 1/E: an anytime-valid p-value
        significant = test.state == "fail"
    else:
        p = _stats.binom_pvalue(res["violations"], res["trials"], p0)
        significant = bool(p <= alpha_ex)
    d = {
        "point": res["point"], "draw": draw, "seed": res["seed"], "trials": res["trials"],
        "violations": res["violations"], "p_value": p, "significant": significant,
        "max_ratio": res["max_ratio"], "min_ratio": res["min_ratio"], "score": res["score"],
    }
    if test is not None:
        d["decision"] = test.state
        if test.decision.name == "anytime":
            d["log_e"] = test.trajectory[-1][2]
            d["trajectory"] = [{"trials": n, "violations": v, "log_e": le, "cs_upper": up}
                               for n, v, le, up, _ in test.trajectory]
    if res["extras"] and not full:   # one number per extra (e.g. loss@<step> curves per example, for the report)
        d["extras_mean"] = {k: float(np.mean(v)) for k, v in res["extras"].items()}
    if full:
        d.update({
            "values": res["values"].tolist(), "ratios": res["ratios"].tolist(),
            "bound_upper": res["bound_upper"], "bound_lower": res["bound_lower"],
            "extras": {k: v.tolist() for k, v in res["extras"].items()},
        })
    return d


# ----------------------------------------------------------------------------- reproduction


def _claim_ref(claim: Claim) -> str | None:
    """How the CLI can find ``claim``: ``"ID"`` for a catalog claim (the catalog marks those it
    registers, so the engine needs no import of it), else ``--claim path.py:attr``."""
    ref = getattr(claim, CATALOG_REF_ATTR, None)
    if ref is not None:
        return ref
    mod = sys.modules.get(getattr(claim.measure, "__module__", None) or "")
    if mod is None:
        return None
    attr = next((k for k, v in vars(mod).items() if v is claim), None)
    if attr is None:
        attr = next((k for k, v in vars(mod).items() if isinstance(v, Claim) and v == claim), None)
    if attr is None:
        return None
    f = getattr(mod, "__file__", None)
    if f:
        rel = os.path.relpath(os.path.abspath(f))
        if not rel.startswith(".."):
            return f"--claim {rel}:{attr}"
    if mod.__name__ != "__main__":
        return f"--claim {mod.__name__}:{attr}"
    return None


def reproduce_command(claim: Claim, point: Mapping, seed: int, trials: int, device: torch.device,
                      dtype: torch.dtype, profile: Profile, ref: str | None = None) -> str | None:
    """The one-line shell command that recomputes one example exactly (None if the
    claim is not importable: use :func:`reproduce` from Python then). ``ref``: how the
    CLI finds the claim, when the caller knows it better (a worker process holds a
    copy of the claim, not the object its module defines)."""
    ref = ref or _claim_ref(claim)
    if ref is None:
        return None
    pj = json.dumps(dict(point), sort_keys=True)
    prof = f" --profile {profile.name}" if profile.name in ("quick", "ci", "thorough") else ""
    named = PROFILES.get(profile.name)
    if profile.trial_chunk is not None and (named is None or named.trial_chunk != profile.trial_chunk):
        prof += f" --trial-chunk {profile.trial_chunk}"     # the numbers depend on it
    elif named is not None and named.trial_chunk is not None and profile.trial_chunk is None:
        prof += " --trial-chunk 0"
    return (f"python -m claims reproduce {ref} --point '{pj}' --seed {int(seed)} --trials {int(trials)} "
            f"--device {device} --dtype {str(dtype).replace('torch.', '')}{prof}")


def reproduce(claim: Claim, point: Mapping, seed: int, trials: int, device: str = "cpu",
              dtype: str | None = None, profile: str | Profile = "ci") -> dict:
    """Recompute one example exactly; returns values, bounds, ratios, violations (lists)."""
    from ovpmodel._checks import resolve_device, resolve_dtype

    prof = get_profile(profile)
    dev = resolve_device(device)
    dt = resolve_dtype(dtype if dtype is not None else claim.dtype)
    if isinstance(trials, bool) or not isinstance(trials, (int, np.integer)) or trials < 1:
        raise ValueError(f"trials must be an int >= 1, got {trials!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer (the example seed from the result), got {seed!r}")
    point = validate_point(claim, point)
    res = run_example(claim, point, seed, int(trials), dev, dt, prof)
    out = _summary(res, claim.failure_prob, 1.0, full=True)
    out.pop("significant")
    out.pop("draw")
    out["claim_id"] = claim.id
    return out


# ----------------------------------------------------------------------------- scalings


def _resolve_base(claim: Claim, sc, ranges: Mapping[str, tuple], profile: Profile) -> dict:
    base = sc.base(profile) if callable(sc.base) else (dict(sc.base) if sc.base is not None else {})
    unknown = set(base) - set(ranges)
    if unknown:
        raise InvalidClaimError(f"Claim {claim.id!r}: scaling base names unknown parameters {sorted(unknown)}")
    low = _low_point(ranges)
    return {k: base.get(k, low[k]) for k in ranges if k != sc.param}


def _scaling_seed(seed: int, i: int, j: int, batch: int) -> int:
    """Seed of grid point ``j`` of scaling ``i`` in sizing batch ``batch``: batch 0 keeps the seed a
    scaling has always had (``derive_seed(seed, "scaling", i, j)``); later batches get new ones."""
    return derive_seed(seed, "scaling", i, j) if batch == 0 else derive_seed(seed, "scaling", i, j, batch)


def _bootstrap_seed(seed: int, i: int, batch: int) -> int:
    """Seed of the bootstrap of scaling ``i`` at the look after batch ``batch`` (0: the original one)."""
    return derive_seed(seed, "bootstrap", i) if batch == 0 else derive_seed(seed, "bootstrap", i, batch)


def _target_text(target: float) -> str:
    return "1/6" if abs(target - 1 / 6) < 1e-12 else f"{target:.3g}"


def _scaling_batch(claim: Claim, pts: list[dict], seeds: list[int], k: int, device, dtype, profile: Profile,
                   executor, parts: list[list[dict]]) -> dict | None:
    """Run ``k`` trials at every grid point (point ``j`` with ``seeds[j]``), appending each result to
    ``parts[j]``; through ``executor`` when given (grid points are independent units of work with
    their own seeds, so the back-end cannot change the numbers). Returns an ``error`` update of the
    scaling's info if the measure broke, else None."""
    futs = None if executor is None else [executor.submit(run_example, claim, pt, s, k, device, dtype, profile)
                                          for pt, s in zip(pts, seeds)]
    for j, (pt, s) in enumerate(zip(pts, seeds)):
        _interrupt.checkpoint()
        try:
            res = run_example(claim, pt, s, k, device, dtype, profile) if futs is None else futs[j].result()
        except (MeasureError, InvalidClaimError) as exc:
            if futs is not None:
                for f in futs[j + 1:]:
                    f.cancel()
            return {"verdict": "error", "message": f"sweep point {pt}: {exc}", "details": getattr(exc, "details", "")}
        parts[j].append(res)
    return None


def _scaling_series(claim: Claim, sc, pts: list[dict], parts: list[list[dict]]) -> dict:
    """The fit's inputs from every batch run so far: per grid point the trials in order (batches
    concatenated), the series ``ys`` (zeros left out under ``zeros='drop'``), ``ratios``, ``bnds``,
    ``zeros_dropped`` and the ``limits`` curves; or ``{"verdict": "error", ...}``."""
    ys, ratios, bnds, zeros_dropped, limits = [], [], [], [], {}
    for pt, pp in zip(pts, parts):
        keys = [sorted(r["extras"]) for r in pp]
        if any(kk != keys[0] for kk in keys):
            return {"verdict": "error", "message": (
                f"measure returned different extras for different trial batches ({keys[0]} vs "
                f"{next(kk for kk in keys if kk != keys[0])}) at point {pt}")}
        res = _merge(pp)
        if sc.series == "values":
            y = res["values"]
        elif sc.series in res["extras"]:
            y = res["extras"][sc.series]
        else:
            return {"verdict": "error", "message": (
                f"scaling series {sc.series!r} not in the measurement's extras {sorted(res['extras'])}")}
        y = np.asarray(y, float)
        if sc.zeros == "drop" and np.isfinite(y).all() and (y >= 0).all():
            zeros = int((y == 0).sum())
            if zeros and 2 * (y.size - zeros) < y.size:
                return {"verdict": "error", "message": (
                    f"scaling series {sc.series!r} is 0 in {zeros} of {y.size} trials at {pt}: too few positive "
                    f"values for a log-log fit (zeros='drop' needs at least half positive)")}
            zeros_dropped.append(zeros)
            y = y[y > 0]
        if not (np.isfinite(y).all() and (y > 0).all()):
            return {"verdict": "error", "message": (
                f"scaling series {sc.series!r} has non-positive or non-finite values at {pt} "
                f"(min {float(np.nanmin(y)):.3g}); a log-log fit needs positive values"
                + ("" if sc.zeros == "drop" else
                   " (if 0 is a legitimate outcome here, declare Scaling(..., zeros='drop'))"))}
        ys.append(y)
        ratios.append(res["max_ratio"])
        bnds.append(res.get("bound_upper") if claim.bound.kind != "lower" else res.get("bound_lower"))
        # a finite-width quantity with its infinite-width twin (extras "<k>" and "<k>@limit"):
        # trial means along the sweep, drawn by the report as a curve with the limit as a line
        for k, v in res["extras"].items():
            if k.endswith("@limit") and k[:-6] in res["extras"]:
                lim = limits.setdefault(k[:-6], {"finite": [], "q10": [], "q90": [], "limit": []})
                fin = np.asarray(res["extras"][k[:-6]], float)
                lim["finite"].append(float(np.mean(fin)))
                lim["q10"].append(float(np.quantile(fin, 0.1)))
                lim["q90"].append(float(np.quantile(fin, 0.9)))
                lim["limit"].append(float(np.mean(v)))
    return {"ys": ys, "ratios": ratios, "bnds": bnds, "zeros_dropped": zeros_dropped, "limits": limits}


def _slope_text(sf, alpha_ci: float) -> str:
    lvl = f"1-{alpha_ci:.2g}" if alpha_ci < 1e-3 else f"{100 * (1 - alpha_ci):.4g}%"
    return f"slope {sf.slope:.3f}, {lvl} CI [{sf.lo:.3f}, {sf.hi:.3f}]"


def _slope_verdict(sc, sf, alpha_ci: float) -> tuple[str, str]:
    """The fail / loose / ok / report reading of one fitted slope's interval (``alpha_ci`` its level)."""
    e, tol = sc.exponent, sc.tolerance
    lo, hi = sf.lo, sf.hi
    rng_txt = _slope_text(sf, alpha_ci)
    verdict, msg = "ok", ""
    if sc.relation == "at_most":
        if lo > e + tol:
            verdict, msg = "fail", f"{rng_txt} lies above the claimed exponent {e:g} (+{tol:g})"
        elif hi < e:
            verdict, msg = "loose", f"{rng_txt} lies below the claimed exponent {e:g}: the bound is loose"
    elif sc.relation == "at_least":
        if hi < e - tol:
            verdict, msg = "fail", f"{rng_txt} lies below the claimed exponent {e:g} (-{tol:g})"
        elif lo > e:
            verdict, msg = "loose", f"{rng_txt} lies above the claimed exponent {e:g}: the bound is loose"
    elif sc.relation == "equal":
        if e + tol < lo or e - tol > hi:
            verdict, msg = "fail", f"{rng_txt} excludes the claimed exponent {e:g} ± {tol:g}"
    else:
        verdict = "report"
    if not msg:
        msg = f"{rng_txt}; claimed {sc.relation} {e:g}"
    return verdict, msg


def _scaling_looks_fixed(claim, i, sc, pts, parts, xs, profile: Profile, seed, K, device, dtype, alpha_ex, reps,
                         executor, rule) -> dict:
    """The fixed rule's sweep: K trials per grid point, grown by K more while the pre-data
    ``detectable_deviation`` exceeds the target (``scaling_max_trials``), one fail test at the end."""
    gated = sc.relation != "report"
    tol = sc.tolerance
    target, power = profile.exponent_target, profile.power_target
    budget = max(K, profile.scaling_trials_budget) if gated else K
    grow = gated and tol < target          # the tolerance alone past the target: no trials can reach it
    n = batches = 0
    dd = None
    while True:
        k = min(K, budget - n)
        err = _scaling_batch(claim, pts, [_scaling_seed(seed, i, j, batches) for j in range(len(pts))], k,
                             device, dtype, profile, executor, parts)
        if err is not None:
            return err
        fit = _scaling_series(claim, sc, pts, parts)
        if "verdict" in fit:
            return fit
        rng = np.random.default_rng(_bootstrap_seed(seed, i, batches))
        n, batches = n + k, batches + 1
        sf = _stats.slope_fit(xs, fit["ys"], alpha_ex, reps, rng)
        if gated:
            dd = _stats.slope_detectable_deviation(sf.slope, sf.slopes, sc.relation, tol, alpha_ex, power, sf.df)
        # the stopping rule: the spread only (dd), never the slope's position
        if not grow or dd <= target or n >= budget:
            break
    verdict, msg = _slope_verdict(sc, sf, alpha_ex)
    out = {"verdict": verdict, "message": msg, "sf": sf, "fit": fit, "n": n, "batches": batches}
    if gated:
        tt = _target_text(target)
        per_batch = f" ({batches} batches of up to {K})" if batches > 1 else ""
        if profile.exponent_gate == "gate" and dd > target and verdict not in ("fail", "loose"):
            out["verdict"] = "inconclusive"
            out["message"] += (f": detects only exponent deviations >= {dd:.3g} with probability {power:g}, target "
                               f"{tt}, after {n} of at most {budget} trials per grid point{per_batch}"
                               + (f"; the tolerance alone ({tol:g}) is not below the target" if not tol < target
                                  else "; use a larger profile (scaling_max_trials) or a wider grid"))
        elif verdict != "fail":
            out["message"] += f"; detects deviations >= {dd:.3g} (target {tt})" + (
                f" with {n} trials per grid point{per_batch}" if batches > 1 else "")
        out["info"] = dict(decision="fixed", detectable_deviation=float(dd), detectable_excess=float(dd - tol),
                           fail_deviation=float(dd), power=power, exponent_target=target, trials_budget=budget)
    return out


def _scaling_looks_anytime(claim, i, sc, pts, parts, xs, profile: Profile, seed, K, device, dtype, alpha_ex,
                           reps, executor, rule) -> dict:
    """The anytime rule's sweep of a gated scaling (:class:`claims._sequential.ScalingRule`):
    looks at ``rule.looks`` trials per grid point (new seeds per batch, :func:`_scaling_seed`;
    bootstrap seed :func:`_bootstrap_seed`), stopping at the first fail or pass; inconclusive
    when the budget runs out first. ``detectable_deviation`` is the exponent error the final
    look's ``power_target`` bound excludes (``<= exponent_target`` for a pass);
    ``fail_deviation`` the error its fail test would catch with probability ``power_target``."""
    e, tol = sc.exponent, sc.tolerance
    looks = rule.looks
    a_look = rule.fail_alpha(alpha_ex)
    n = batches = 0
    traj = []
    for j, target_n in enumerate(looks):
        err = _scaling_batch(claim, pts, [_scaling_seed(seed, i, g, batches) for g in range(len(pts))],
                             target_n - n, device, dtype, profile, executor, parts)
        if err is not None:
            return err
        fit = _scaling_series(claim, sc, pts, parts)
        if "verdict" in fit:
            return fit
        rng = np.random.default_rng(_bootstrap_seed(seed, i, batches))
        n, batches = target_n, batches + 1
        sf = _stats.slope_fit(xs, fit["ys"], a_look, reps, rng)
        state, b_lo, b_hi, excl = rule.decide(sc.relation, e, tol, sf.slope, sf.lo, sf.hi, sf.se, sf.df,
                                              last=j == len(looks) - 1)
        traj.append([n, sf.slope, sf.lo, sf.hi, b_lo, b_hi])
        if state != "continue":
            break
    verdict, msg = _slope_verdict(sc, sf, a_look)
    tt = _target_text(rule.target)
    bound_txt = {"at_most": f"upper bound {b_hi:.3f}", "at_least": f"lower bound {b_lo:.3f}",
                 "equal": f"bounds [{b_lo:.3f}, {b_hi:.3f}]"}[sc.relation]
    conf = f"{1 - rule.beta / len(looks):.4g}"
    after = f"after {n} of at most {looks[-1]} trials per grid point (look {batches} of {len(looks)})"
    if state == "pass":
        msg += (f"; the {conf} {bound_txt} excludes exponent errors >= {excl:.3g} (target {tt}) {after}")
    elif state == "inconclusive":
        verdict = "inconclusive"
        msg += (f": the {conf} {bound_txt} does not exclude an exponent error of {tt} (only >= {excl:.3g}) "
                f"{after}; use a larger profile (scaling_max_trials) or a wider grid"
                + (f" (the fitted slope itself lies {abs(sf.slope - e):.3g} from the claimed exponent)"
                   if abs(sf.slope - e) > rule.target / 2 else ""))
    z_fail = float(stats.t.ppf(1 - a_look / 2, sf.df)) if math.isfinite(sf.se) else math.inf
    fail_dev = tol + (z_fail + float(stats.t.ppf(rule.power_target, sf.df))) * sf.se
    out = {"verdict": verdict, "message": msg, "sf": sf, "fit": fit, "n": n, "batches": batches,
           "alpha_ci": a_look}
    out["info"] = dict(decision="anytime", detectable_deviation=float(excl), detectable_excess=float(excl - tol),
                       fail_deviation=float(fail_dev), power=rule.power_target, exponent_target=rule.target,
                       trials_budget=looks[-1], looks=looks, confidence_bound=[float(b_lo), float(b_hi)],
                       bound_level=1 - rule.beta / len(looks), trajectory=traj)
    return out


def _run_scaling(claim: Claim, i: int, sc, ranges, profile: Profile, seed: int, K: int, device, dtype,
                 alpha_ex: float, reps: int, executor=None) -> dict:
    """Scaling ``i`` of ``claim``: sweep ``sc.param`` over its grid (other parameters at the base),
    K trials per grid point, fit the OLS slope of log(series) on log(param) with a ``1 - alpha_ex``
    bootstrap-SE t interval (:func:`claims._stats.slope_fit`), and decide (see
    :class:`claims.Scaling`): ``ok`` / ``fail`` / ``loose`` / ``report`` / ``inconclusive`` / ``error``.

    **Anytime rule** (``profile.decision == "anytime"``, the quick and ci default): a gated
    scaling (``at_most`` / ``at_least`` / ``equal``) is decided by
    :class:`claims._sequential.ScalingRule` (:func:`_scaling_looks_anytime`): looks at
    ``profile.scaling_batch`` trials per grid point, doubling up to
    ``profile.scaling_trials_budget``; fail at a look's ``1 - alpha_ex/J`` interval, pass when
    the ``power_target`` bound excludes an exponent error of ``exponent_target``, else
    inconclusive at the budget. ``detectable_deviation`` is then the exponent error the final
    bound excludes (``<= exponent_target`` for every pass). What follows is the fixed rule
    (:func:`_scaling_looks_fixed`); ``report`` scalings always use it (K trials, no test).

    **Power.** A gated scaling records ``detectable_deviation``: the smallest error of the
    claimed exponent (true exponent past the claimed one, tolerance included) it fails with
    probability >= ``power`` = ``profile.power_target``
    (:func:`claims._stats.slope_detectable_deviation`; an approximation: shift model, t law of
    the studentised slope).

    **Sequential sizing** (a variance-based sample-size re-estimation, the "internal pilot" of
    Wittes & Brittain 1990, Stein's two-stage idea): while ``detectable_deviation >
    profile.exponent_target`` and fewer than ``profile.scaling_trials_budget`` trials per grid
    point were run, another batch of K trials runs at every grid point with new seeds
    (:func:`_scaling_seed`: batch 0 keeps the seeds of a single-batch sweep) and the slope is
    refitted (bootstrap seed :func:`_bootstrap_seed`). The stopping rule looks only at the spread
    of the bootstrap slopes around the fitted slope (``detectable_deviation`` is a difference of
    quantiles from the slope, plus the tolerance), never at where the slope lies relative to the
    claimed exponent; the fail test is applied once, at the final look. Under log-normal noise
    the within-grid-point spread is independent of the grid-point means (and so of the slope), so
    the number of batches is independent of the final slope and the final test has the level of a
    fixed-size test with that many trials; otherwise approximately so. No growth when the
    tolerance alone is >= the target (no number of trials could reach it). Everything is
    deterministic from ``seed``; with an ``executor`` each batch's grid points run as its tasks.

    **Gate.** ``profile.exponent_gate == "gate"``: a gated scaling whose final
    ``detectable_deviation`` exceeds ``exponent_target`` and that neither failed nor was found
    ``loose`` (its CI already excludes every exponent on the violating side of the claim, so no
    deviation there is plausible) is ``inconclusive``, the message naming the deviation, the
    target and the trials used. ``"report"``: the verdict is unchanged and the message states the
    deviation detected.
    """
    info: dict = {"param": sc.param, "exponent": sc.exponent, "relation": sc.relation,
                  "tolerance": sc.tolerance, "series": sc.series, "note": sc.note}
    grid = sc.grid_for(profile.name)
    r = ranges[sc.param]
    dropped = []
    if r[0] == "choice":
        keep = [g for g in grid if g in r[1]]
    else:
        keep = [g for g in grid if r[1] <= g <= r[2]]
    dropped = [g for g in grid if g not in keep]
    if r[0] == "int":
        keep = [int(g) for g in keep]
    info["grid"] = list(keep)
    info["dropped"] = dropped
    try:
        base = _resolve_base(claim, sc, ranges, profile)
    except InvalidClaimError as exc:
        info.update(verdict="error", message=str(exc))
        return info
    info["base"] = base
    if len(set(keep)) < 2:
        info.update(verdict="inconclusive", message=(
            f"fewer than 2 grid values of {sc.param} lie within profile {profile.name!r}'s limits "
            f"(dropped {dropped}); use a larger profile or a per-profile grid"))
        return info
    pts = []
    for g in keep:
        pt = dict(base)
        pt[sc.param] = g
        pts.append(pt)
    gated = sc.relation != "report"
    xs = np.array(keep, float)
    parts: list[list[dict]] = [[] for _ in pts]   # per grid point, the result of each batch
    rule = profile.scaling_rule() if gated else None
    loop = _scaling_looks_anytime if rule is not None else _scaling_looks_fixed
    out = loop(claim, i, sc, pts, parts, xs, profile, seed, K, device, dtype, alpha_ex, reps, executor, rule)
    if "verdict" in out and "fit" not in out:
        info.update(out)
        return info
    verdict, msg, sf, fit, n, batches = (out[k] for k in ("verdict", "message", "sf", "fit", "n", "batches"))
    slope, lo, hi = sf.slope, sf.lo, sf.hi
    ys, zeros_dropped = fit["ys"], fit["zeros_dropped"]
    alpha_ci = out.get("alpha_ci", alpha_ex)
    info.update(verdict=verdict, message=msg, slope=slope, ci=[lo, hi], ci_level=1 - alpha_ci,
                se=sf.se, df=sf.df if math.isfinite(sf.df) else None,
                trials=n, batches=batches, bootstrap_reps=reps, max_ratio=float(max(fit["ratios"])),
                means=[float(np.exp(np.log(y).mean())) for y in ys],
                values=[[float(v) for v in y] for y in ys])
    info.update(out.get("info", {}))
    if fit["limits"]:
        info["limits"] = fit["limits"]
    if sc.zeros == "drop":
        info["zeros_dropped"] = zeros_dropped
        if any(zeros_dropped):
            info["message"] += f"; {sum(zeros_dropped)} zero value(s) left out of the fit (per grid point {zeros_dropped})"
    if sc.series == "values" and all(b is not None for b in fit["bnds"]):
        info["bounds"] = [float(b) for b in fit["bnds"]]   # constant * shape at each grid point (plotted)
    return info


# ----------------------------------------------------------------------------- determinism

_LC_LOCK = threading.Lock()
_LC_DEPTH = [0, None]


@contextlib.contextmanager
def _no_local_constants():
    """Hide Hypothesis' pool of constants mined from the *local* modules in ``sys.modules``.

    Recent Hypothesis versions sometimes draw a literal found in the user's loaded
    source files; which files are loaded differs between a pytest session, a CLI run
    and an executor's worker process, so the drawn points (and every number after
    them) would depend on what else happened to be imported. With the pool empty,
    the same seed gives the same points everywhere. No-op on Hypothesis versions
    without the pool.
    """
    try:
        from hypothesis.internal.conjecture import providers as P

        P._get_local_constants, P.CONSTANTS_CACHE, P.Constants  # noqa: B018
    except (ImportError, AttributeError):
        yield
        return
    with _LC_LOCK:
        if _LC_DEPTH[0] == 0:
            _LC_DEPTH[1] = P._get_local_constants
            empty = P.Constants()
            P._get_local_constants = lambda: empty
            P.CONSTANTS_CACHE.cache.clear()
        _LC_DEPTH[0] += 1
    try:
        yield
    finally:
        with _LC_LOCK:
            _LC_DEPTH[0] -= 1
            if _LC_DEPTH[0] == 0:
                P._get_local_constants = _LC_DEPTH[1]
                P.CONSTANTS_CACHE.cache.clear()


# ----------------------------------------------------------------------------- time limits


@contextlib.contextmanager
def _deadline(seconds: float):
    """Raise :class:`ClaimTimeout` in this thread after ``seconds`` (SIGALRM timer).

    Yields whether the limit is enforced: only in the main thread of a process
    whose platform has ``signal.setitimer``, and only when no other ITIMER_REAL is
    running (it is never overridden). Elsewhere (e.g. a Dask worker thread) only
    the soft budget applies here; the executor that ran the task may still kill its
    worker at the limit (:func:`claims._executor.submit_with_limit`). The previous
    handler is restored on exit.
    """
    ok = (hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
          and seconds is not None and math.isfinite(seconds) and seconds > 0
          and signal.getitimer(signal.ITIMER_REAL)[0] == 0.0)
    if not ok:
        yield False
        return

    # recorded before it is raised, so a raise swallowed in a GC callback comes back at the next checkpoint
    with _interrupt.raise_on(signal.SIGALRM, lambda: ClaimTimeout(f"hard time limit of {seconds:g} s reached")):
        signal.setitimer(signal.ITIMER_REAL, float(seconds))
        try:
            yield True
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0.0)


def error_result(claim: Claim, message: str, details: str, profile: Profile, device, dtype, seed: int,
                 wall_time_s: float = 0.0, started: str = "") -> ClaimResult:
    """A ``ClaimResult`` with verdict ``error`` (the check itself broke or timed out)."""
    dt = str(dtype).replace("torch.", "") if dtype is not None else claim.dtype
    return ClaimResult(
        claim_id=claim.id, title=claim.title, verdict="error", message=message,
        decision_rule="none: the check did not complete", claim=_claim_dict(claim),
        stats={"examples_run": 0, "total_trials": 0, "time_budget_s": profile.time_budget_s,
               "hard_timeout_s": profile.hard_timeout_s},
        error=details or message, seed=int(seed), profile=profile.to_dict(), device=str(device), dtype=dt,
        versions=_versions(), wall_time_s=float(wall_time_s),
        started=started or _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"))


# ----------------------------------------------------------------------------- points and sweeps


def validate_point(claim: Claim, point: Mapping[str, Any]) -> dict:
    """``point`` checked against the claim's regime (names, types, ranges, choices).

    Raises :class:`InvalidClaimError` naming the parameter, the allowed range and the
    fix (a point outside the regime is not evidence about the claim: the paper
    asserts nothing there).
    """
    if not isinstance(point, Mapping):
        raise InvalidClaimError(f"Claim {claim.id!r}: a point must be a mapping of parameter values, "
                                f"got {type(point).__name__}")
    names = [p.name for p in claim.regime]
    unknown = sorted(set(point) - set(names))
    missing = [n for n in names if n not in point]
    if unknown or missing:
        raise InvalidClaimError(
            f"Claim {claim.id!r}: point {dict(point)} " + (f"names unknown parameters {unknown} " if unknown else "")
            + (f"lacks parameters {missing} " if missing else "") + f"; give exactly the regime's parameters {names}")
    out = {}
    for p in claim.regime:
        v = point[p.name]
        if isinstance(p, Choice):
            if v not in p.options:
                raise InvalidClaimError(f"Claim {claim.id!r}: parameter {p.name!r}={v!r} is not one of its options "
                                        f"{list(p.options)}; choose one of them")
            out[p.name] = v
            continue
        is_int = isinstance(p, IntParam)
        num_ok = isinstance(v, (int, np.integer)) if is_int else isinstance(v, (int, float, np.integer, np.floating))
        if isinstance(v, bool) or not num_ok:
            raise InvalidClaimError(f"Claim {claim.id!r}: parameter {p.name!r} must be "
                                    f"{'an int' if is_int else 'a number'}, got {v!r}")
        if not (math.isfinite(float(v)) and p.low <= v <= p.high):
            raise InvalidClaimError(
                f"Claim {claim.id!r}: parameter {p.name!r}={v!r} lies outside the claim's regime "
                f"[{p.low:g}, {p.high:g}] ({claim.source.ref} asserts nothing there); choose a value in range, or "
                f"define a variant with dataclasses.replace(claim, regime=...) and kind='conjecture'")
        out[p.name] = int(v) if is_int else float(v)
    if claim.constraint is not None and not claim.constraint(out):
        raise InvalidClaimError(f"Claim {claim.id!r}: point {out} violates the claim's constraint; choose another "
                                f"point of the regime")
    return out


def _sweep_point(claim, point, seed, trials, device, dtype, profile) -> dict:
    res = run_example(claim, point, seed, trials, device, dtype, profile)
    return _summary(res, claim.failure_prob, 1.0, full=True)


def sweep(claim: Claim, points, *, seed: int = 0, trials: int | None = None, profile: str | Profile = "ci",
          device: str = "cpu", dtype: str | None = None, executor=None) -> list[dict]:
    """Run the claim's measure at every point of a sweep; one dict per point, in order.

    ``points``: a list of points, or a mapping ``{param: [values...]}`` swept one
    parameter at a time over the product of the lists (other parameters must be
    given). Each point is one unit of work with seed ``derive_seed(seed, "sweep",
    point)`` — independent of order and back-end — run through ``executor`` (any
    ``concurrent.futures.Executor``; see :func:`claims._executor.open_executor`),
    in-process when ``None``. Each dict holds ``point, seed, trials, values,
    ratios, violations, p_value`` (against ``failure_prob``), ``max_ratio``, ...

    Raises :class:`InvalidClaimError` for a point outside the regime before running
    anything; a measure that breaks raises :class:`MeasureError` naming the point.
    """
    import itertools

    from ovpmodel._checks import resolve_device, resolve_dtype

    prof = get_profile(profile)
    dev = resolve_device(device)
    dt = resolve_dtype(dtype if dtype is not None else claim.dtype)
    K = prof.trials if trials is None else trials
    if isinstance(K, bool) or not isinstance(K, int) or K < 1:
        raise ValueError(f"trials must be an int >= 1, got {trials!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    if isinstance(points, Mapping):
        keys = list(points)
        pts = [dict(zip(keys, combo)) for combo in itertools.product(*(list(points[k]) for k in keys))]
    else:
        pts = [dict(p) for p in points]
    if not pts:
        raise ValueError("points must be a non-empty list of points or a mapping {param: [values]}")
    pts = [validate_point(claim, p) for p in pts]
    seeds = [derive_seed(int(seed), "sweep", json.dumps(p, sort_keys=True)) for p in pts]
    if executor is None:
        return [_sweep_point(claim, p, s, K, dev, dt, prof) for p, s in zip(pts, seeds)]
    futs = [executor.submit(_sweep_point, claim, p, s, K, dev, dt, prof) for p, s in zip(pts, seeds)]
    return [f.result() for f in futs]


# ----------------------------------------------------------------------------- check


def _versions() -> dict:
    try:
        own = importlib.metadata.version("ovpcheck")
    except importlib.metadata.PackageNotFoundError:
        own = "unknown"
    return {"python": platform.python_version(), "torch": torch.__version__, "numpy": np.__version__,
            "scipy": scipy.__version__, "hypothesis": hypothesis.__version__, "ovpcheck": own,
            "platform": platform.platform()}


def _claim_dict(claim: Claim) -> dict:
    regime = []
    for p in claim.regime:
        if isinstance(p, Choice):
            regime.append({"name": p.name, "type": "choice", "options": list(p.options), "limit": p.limit})
        else:
            regime.append({"name": p.name, "type": "int" if isinstance(p, IntParam) else "float",
                           "low": p.low, "high": p.high, "log": p.log, "limit": p.limit})
    b = claim.bound
    return {
        "id": claim.id, "title": claim.title, "paper": claim.source.paper, "ref": claim.source.ref,
        "source_note": claim.source.note, "paper_key": claim.paper_key, "family": claim.family,
        "kind": claim.kind, "quantifier": claim.quantifier, "adversary": claim.adversary,
        "failure_prob": claim.failure_prob, "statement_tex": claim.statement_tex,
        "bound": {"kind": b.kind, "constant": b.constant, "lower_constant": b.lower_constant,
                  "provenance": b.provenance, "shape_tex": b.shape_tex},
        "regime": regime, "tags": list(claim.tags), "notes": claim.notes, "dtype": claim.dtype,
        "scalings": [{"param": s.param, "exponent": s.exponent, "relation": s.relation,
                      "tolerance": s.tolerance, "series": s.series, "note": s.note,
                      **({"zeros": s.zeros} if s.zeros != "error" else {})} for s in claim.scalings],
    }


def check(claim: Claim, profile: str | Profile = "ci", device: str | torch.device = "cpu",
          dtype: str | torch.dtype | None = None, seed: int = 0,
          progress: Callable[[str], None] | None = None, executor=None,
          claim_ref: str | None = None) -> ClaimResult:
    """Try to falsify ``claim``; return a :class:`ClaimResult`.

    * ``profile`` — ``"quick"``, ``"ci"``, ``"thorough"`` or a :class:`Profile`.
    * ``device`` / ``dtype`` — where and in what precision the measure runs
      (``dtype=None``: the claim's own ``dtype``).
    * ``seed`` — base seed; changes every example seed and Hypothesis' own seed.
    * ``progress`` — optional callable receiving one-line progress messages.
    * ``claim_ref`` — how the CLI finds the claim for the reproduction command
      (``"'ID'"`` or ``"--claim file.py:attr"``); found automatically when omitted.
    * ``executor`` — a ``concurrent.futures.Executor`` (see :mod:`claims._executor`)
      that runs the scaling sweeps' grid points; ``None`` runs them here. The
      numbers do not depend on it.

    Time: ``profile.time_budget_s`` is the soft per-claim budget (no new example or
    shrink step starts after it; ``stats["over_budget"]`` and a finding report it);
    ``profile.hard_timeout_s`` is the hard limit, enforced with SIGALRM when
    ``check`` runs in the main thread of a Unix process: past it the claim stops
    where it is and the verdict is ``error`` with the traceback. (A claim run by
    ``run_claims`` through a process pool or Dask is also limited from outside: its
    worker is killed and replaced, see :func:`claims._executor.submit_with_limit`.)

    Verdicts: ``fail`` (an example had significantly many violations, or a
    scaling exponent is significantly off; carries ``counterexample`` and its
    ``reproduce`` command), ``pass`` (with ``stats['power']``), ``inconclusive``
    (the profile's budget cannot detect violation rates <= max_detectable_rate
    with probability >= power_target, or no valid example could be run),
    ``error`` (the measure raised, returned NaN/inf or a wrong shape, or the bound
    shape was not positive at a drawn point; never a pass).

    Raises ``InvalidClaimError`` (a ``ValueError``) before running anything for an
    invalid claim, a regime outside the profile's limits, or a non-positive bound
    shape at the regime's low corner; ``ValueError`` for an unknown profile,
    device, dtype or a bad seed.
    """
    from ovpmodel._checks import resolve_device, resolve_dtype

    t0 = time.monotonic()
    started = _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")
    if not isinstance(claim, Claim):
        raise TypeError(f"check() expects a claims.Claim, got {type(claim).__name__}")
    prof = get_profile(profile)
    dev = resolve_device(device)
    dt = resolve_dtype(dtype if dtype is not None else claim.dtype)
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    seed = int(seed)
    say = progress or (lambda msg: None)

    ranges = resolve_ranges(claim, prof)
    low = _low_point(ranges)
    if claim.constraint is None or claim.constraint(low):
        try:
            claim.bound.evaluate_shape(low)
        except InvalidClaimError as exc:
            raise InvalidClaimError(f"Claim {claim.id!r}: {exc}") from None

    hard = prof.hard_timeout_s
    with _deadline(hard) as enforced:
        try:
            r = _check_validated(claim, prof, dev, dt, seed, say, ranges, t0, started, executor, enforced,
                                 claim_ref)
            _interrupt.checkpoint()   # the limit fired but its raise was swallowed: still a timeout
            return r
        except ClaimTimeout:
            tb = traceback.format_exc()
    r = error_result(claim, (f"timed out: the claim ran past its hard time limit of {hard:g} s "
                             f"(profile {prof.name!r} hard_timeout_s; the soft budget time_budget_s="
                             f"{prof.time_budget_s:g} s stops new examples but not a running one); make the "
                             f"claim cheaper, or raise Profile.timeout_s / --timeout"),
                     tb, prof, dev, dt, seed, time.monotonic() - t0, started)
    r.stats["hard_timeout_enforced"] = True   # it was: SIGALRM stopped the claim
    say(r.summary_line())
    return r


# ----------------------------------------------------------------------------- the stages of check
#
# check() validates its inputs; _check_validated then runs DESIGN.md's stages in order, each a
# function of its own: _plan (the tests, their alpha split, the decision rule, the budgets) ->
# _search (Hypothesis draws points, each decided on K trials by _evaluate_example; a significant
# one is shrunk) -> _rerun_counterexample (its exact numbers and reproduce commands) ->
# _run_scalings -> _claim_stats (the claim-level statistic) -> _verdict and _rule_text -> ClaimResult.


@dataclass(frozen=True)
class CheckPlan:
    """What one claim's check tests, and at which level (from the claim and the profile alone).

    ``n_tests`` = examples + gated (non-report) scalings share ``alpha`` (Bonferroni:
    ``alpha_ex = alpha / n_tests``); ``rule`` is the per-example decision
    (:mod:`claims._sequential`); ``eprof`` the profile an example's trials run under (the
    anytime batches are its trial chunks, so reproduce commands carry them); ``crit`` the
    fixed rule's smallest rejected count (``None`` under the anytime rule); ``budget`` the
    trials one example may use; ``reps`` the scalings' bootstrap size at level ``alpha_ex``.
    """

    n_examples: int
    n_tests: int
    alpha: float
    alpha_ex: float
    K: int
    p0: float
    rule: Any
    eprof: Profile
    crit: int | None
    budget: int
    reps: int

    @property
    def anytime(self) -> bool:
        return self.rule.name == "anytime"


def _plan(claim: Claim, prof: Profile) -> CheckPlan:
    n_examples = prof.max_examples if claim.examples is None else claim.examples
    n_scal = sum(1 for s in claim.scalings if s.relation != "report")
    n_tests = max(1, n_examples + n_scal)
    alpha_ex = prof.alpha / n_tests
    K, p0 = prof.trials, claim.failure_prob
    rule = prof.decision_rule()
    anytime = rule.name == "anytime"
    return CheckPlan(
        n_examples=n_examples, n_tests=n_tests, alpha=prof.alpha, alpha_ex=alpha_ex, K=K, p0=p0, rule=rule,
        eprof=prof.example_profile(),
        crit=None if anytime else _stats.critical_count(K, p0, alpha_ex),
        budget=prof.anytime_max_trials if anytime else K,
        reps=int(min(50_000, max(prof.bootstrap_reps, math.ceil(20 / (alpha_ex / 2))))))


@dataclass(frozen=True)
class _CheckRun:
    """The context the running stages share: the claim, its profile and plan, where the trials
    run, the base seed, the progress callback and the start time (for the soft time budget)."""

    claim: Claim
    prof: Profile
    plan: CheckPlan
    dev: torch.device
    dt: torch.dtype
    seed: int
    say: Callable[[str], None]
    t0: float

    def over_time(self) -> bool:
        """Past the soft budget (``Profile.time_budget_s``): no new example or shrink step starts."""
        return time.monotonic() - self.t0 > self.prof.time_budget_s


@dataclass
class SearchOutcome:
    """What the Hypothesis search (:func:`_search`) found.

    ``examples``: the summary of each example of the search proper, in order (shrink steps are
    not examples); ``worst_full``: the highest-scoring of them with its per-trial values (report
    plots); ``first``: the first significant example; ``best``: the last failing example
    Hypothesis replayed (while shrinking, its current smallest); ``candidate``: the shrunk
    counterexample to report, or None; ``shrinks``: shrink steps run. ``error`` /
    ``error_details``: the measure (or the bound shape) broke during the search proper;
    ``search_error``: ``(message, traceback)`` when the search itself broke (e.g. the constraint
    raised); ``unsat``: Hypothesis found no point satisfying the regime.
    """

    examples: list[dict] = field(default_factory=list)
    worst_full: dict | None = None
    first: dict | None = None
    best: dict | None = None
    candidate: dict | None = None
    shrinks: int = 0
    error: str | None = None
    error_details: str = ""
    search_error: tuple[str, str] | None = None
    unsat: bool = False

    @property
    def broke(self) -> bool:
        """The check itself broke: no scaling runs, and the verdict is ``error``."""
        return self.error is not None or self.search_error is not None


def _search(run: _CheckRun, ranges: Mapping[str, tuple]) -> SearchOutcome:
    """Stage *search*: Hypothesis (seeded with ``run.seed``) draws up to ``plan.n_examples``
    points of the regime, each decided by :func:`_evaluate_example`; a significant example
    raises :class:`_Significant` inside the test so that Hypothesis shrinks it (at most
    ``Profile.max_shrinks`` steps, none past the soft time budget)."""
    claim, out = run.claim, SearchOutcome()
    if run.plan.n_examples <= 0:
        return out
    failing: dict[str, dict] = {}   # significant examples by (point, draw): a replay raises without re-running

    def body(case):
        point, draw = case
        if claim.constraint is not None:
            try:
                ok = claim.constraint(point)
            except Exception as exc:
                # an error, never a pass: left to Hypothesis it would be shrunk as a failing test,
                # the shrink steps counted as examples, and the error lost once they ran out
                out.search_error = (f"the claim's constraint raised at {json.dumps(point, sort_keys=True)}: "
                                    f"{type(exc).__name__}: {exc}", traceback.format_exc())
                raise _StopSearch() from None
            if not ok:
                hypothesis.reject()
        key = json.dumps([point, draw], sort_keys=True)
        if key not in failing:
            full = _evaluate_example(run, out, point, draw)
            if full is not None:
                failing[key] = full
        if key in failing:
            out.best = failing[key]
            # one raise site: Hypothesis tells failures apart by where they are raised
            raise _Significant(failing[key])

    search = hypothesis.given(case=point_strategy(claim, ranges))(body)
    search = hypothesis.seed(run.seed)(search)
    search = run.prof.hypothesis_settings(max_examples=run.plan.n_examples)(search)
    try:
        with _no_local_constants():
            search()
    except _Significant as exc:
        out.candidate = exc.result
    except _StopSearch:
        out.candidate = out.best
    except Unsatisfiable:
        out.unsat = True
    except Exception as exc:  # e.g. the constraint raised
        out.search_error = (f"{type(exc).__name__}: {exc}", traceback.format_exc())
    return out


def _evaluate_example(run: _CheckRun, out: SearchOutcome, point: dict, draw: int) -> dict | None:
    """One example of the search, or one shrink step once an example was significant: its
    trials decided by the plan's rule (:func:`decide_example`), recorded in ``out``, and the
    score passed to ``hypothesis.target``. Returns the full summary if significant, else None.

    Raises :class:`_StopSearch` when the examples, the shrink steps or the time budget are
    spent, or when the measure breaks during the search proper (``out.error``); a break while
    shrinking only means that point is not a smaller counterexample."""
    claim, plan = run.claim, run.plan
    _interrupt.checkpoint()
    if out.first is None:
        if len(out.examples) >= plan.n_examples or (out.examples and run.over_time()):
            raise _StopSearch()
    else:
        if out.shrinks >= run.prof.max_shrinks or run.over_time():
            raise _StopSearch()
        out.shrinks += 1
    ex_seed = derive_seed(run.seed, draw)
    try:
        res, test = decide_example(claim, point, ex_seed, plan.rule, plan.alpha_ex, run.dev, run.dt, run.prof)
    except (MeasureError, InvalidClaimError) as exc:
        if out.first is None:
            out.error = str(exc)
            out.error_details = getattr(exc, "details", "")
            raise _StopSearch() from None
        return None  # broke while shrinking: not a smaller counterexample
    summ = _summary(res, plan.p0, plan.alpha_ex, draw=draw, test=test)
    if out.first is None:
        out.examples.append(summ)
        wf = out.worst_full   # the per-trial record of the worst example so far (report plots)
        if wf is None or summ["score"] > wf["score"]:
            out.worst_full = _summary(res, plan.p0, plan.alpha_ex, draw=draw, full=True, test=test)
        run.say(f"{claim.id}: example {len(out.examples)}/{plan.n_examples} {point} "
                f"violations {summ['violations']}/{summ['trials']} p={summ['p_value']:.3g}"
                + (f" ({test.state} after {test.n} of {plan.budget} trials)" if plan.anytime else ""))
    if math.isfinite(res["score"]):
        hypothesis.target(res["score"], label="ratio")
    if not summ["significant"]:
        return None
    full = _summary(res, plan.p0, plan.alpha_ex, draw=draw, full=True, test=test)
    if out.first is None:
        out.first = full
    return full


def _rerun_counterexample(run: _CheckRun, shrunk: dict, claim_ref: str | None) -> tuple[dict, list[str]]:
    """The reported counterexample and findings: the shrunk example re-run once, so that its
    numbers are exactly what the reproduction command recomputes (the search's own record if
    the re-run breaks), with its ``reproduce`` and ``reproduce_python`` commands."""
    plan, findings = run.plan, []
    try:
        rr = run_example(run.claim, shrunk["point"], shrunk["seed"], shrunk["trials"], run.dev, run.dt, plan.eprof)
        ce = {**shrunk, **_summary(rr, plan.p0, plan.alpha_ex, draw=shrunk["draw"], full=True)}
        ce["significant"], ce["p_value"] = shrunk["significant"], shrunk["p_value"]
        if ce["values"] != shrunk["values"]:
            findings.append("measure is not deterministic: re-running the counterexample with the same "
                            "seed gave different values")
    except (MeasureError, InvalidClaimError) as exc:
        ce = shrunk
        findings.append(f"re-running the counterexample failed: {exc}")
    ce["reproduce"], ce["reproduce_python"] = _reproduce_commands(run, ce, claim_ref)
    return ce, findings


def _reproduce_commands(run: _CheckRun, ce: dict, claim_ref: str | None) -> tuple[str | None, str]:
    """The shell command (:func:`reproduce_command`; None if the claim is not importable) and
    the Python call (:func:`reproduce`) that recompute the example ``ce`` exactly."""
    prof, eprof, dev, dt = run.prof, run.plan.eprof, run.dev, run.dt
    ck = ce["trials"]
    cmd = reproduce_command(run.claim, ce["point"], ce["seed"], ck, dev, dt, eprof, ref=claim_ref)
    chunk_arg = (f", trial_chunk={eprof.trial_chunk}" if eprof.trial_chunk != prof.trial_chunk else "")
    py = (f"claims.reproduce(claim, point={json.dumps(ce['point'], sort_keys=True)}, "
          f"seed={ce['seed']}, trials={ck}, device='{dev}', "
          f"dtype='{str(dt).replace('torch.', '')}', profile={prof.name!r}{chunk_arg})")
    return cmd, py


def _run_scalings(run: _CheckRun, ranges: Mapping[str, tuple], executor) -> list[dict]:
    """Stage *scalings*: every scaling of the claim in order (:func:`_run_scaling`)."""
    plan, out = run.plan, []
    for i, sc in enumerate(run.claim.scalings):
        run.say(f"{run.claim.id}: scaling in {sc.param}")
        out.append(_run_scaling(run.claim, i, sc, ranges, run.prof, run.seed, plan.K, run.dev, run.dt,
                                plan.alpha_ex, plan.reps, executor))
    return out


def _candidates(search: SearchOutcome, counterexample: dict | None) -> list[dict]:
    """The examples the claim-level statistic looks at: the search's, and the counterexample."""
    return search.examples + ([counterexample] if counterexample else [])


def _worst_example(search: SearchOutcome, counterexample: dict | None) -> dict | None:
    """The highest-scoring example (with its per-trial values when the search kept them)."""
    cands = _candidates(search, counterexample)
    worst = max(cands, key=lambda e: e["score"]) if cands else None
    wf = search.worst_full
    if worst is not None and worst is not counterexample and wf is not None and \
            (wf["point"], wf["seed"], wf["draw"]) == (worst["point"], worst["seed"], worst["draw"]):
        worst = wf   # same example, with its values, ratios and extras per trial
    return worst


def _claim_stats(plan: CheckPlan, prof: Profile, search: SearchOutcome, counterexample: dict | None,
                 scalings: list[dict], *, power: float, bound_kind: str, enforced: bool,
                 over_budget: bool) -> dict:
    """Stage *statistic*: the claim-level numbers of the result (``ClaimResult.stats``).

    ``power``: the smallest violation rate the examples run detect with probability >=
    ``power_target`` (``inf`` when none ran; stored as None then); ``bound_kind`` picks the
    tightness (min measured/bound for a lower bound, else max); ``enforced``: whether the hard
    time limit was enforced; ``over_budget``: whether the soft budget ran out."""
    pool = search.examples
    tot_trials = sum(e["trials"] for e in pool)
    tot_viol = sum(e["violations"] for e in pool)
    cands = _candidates(search, counterexample)
    if bound_kind == "lower":
        tight = min((e["min_ratio"] for e in cands), default=None)
    else:
        tight = max((e["max_ratio"] for e in cands), default=None)
    alpha, alpha_ex, p0 = plan.alpha, plan.alpha_ex, plan.p0
    ci = _stats.clopper_pearson(tot_viol, tot_trials, 1 - alpha) if tot_trials else (0.0, 1.0)
    return {
        "examples_planned": plan.n_examples, "examples_run": len(pool), "trials_per_example": plan.K,
        "total_trials": tot_trials, "total_violations": tot_viol,
        "violation_rate": (tot_viol / tot_trials) if tot_trials else None,
        "violation_rate_ci": list(ci), "ci_level": 1 - alpha, "failure_prob": p0,
        "alpha": alpha, "alpha_per_test": alpha_ex, "n_tests": plan.n_tests, "critical_count": plan.crit,
        "power": power if math.isfinite(power) else None, "power_target": prof.power_target,
        "max_detectable_rate": prof.max_detectable_rate,
        "tightness": tight, "max_ratio": max((e["max_ratio"] for e in cands), default=None),
        "min_ratio": min((e["min_ratio"] for e in cands), default=None),
        "shrink_runs": search.shrinks,
        "decision": plan.rule.name, "trials_budget_per_example": plan.budget,
        "trials_budget": plan.budget * plan.n_examples, "trials_used": tot_trials,
        "fail_power": (plan.rule.fail_power(p0, alpha_ex) if plan.anytime and prof.max_detectable_rate > p0
                       else None),
        "time_budget_s": prof.time_budget_s, "hard_timeout_s": prof.hard_timeout_s,
        "hard_timeout_enforced": bool(enforced),
        "over_budget": bool(over_budget),
        "fitted_exponents": [{"param": s["param"], "slope": s.get("slope"), "ci": s.get("ci"),
                              "claimed": s["exponent"], "relation": s["relation"], "verdict": s["verdict"]}
                             for s in scalings],
    }


def _rule_text(plan: CheckPlan, prof: Profile, fail_power: float | None) -> str:
    """The decision rule in words (``ClaimResult.decision_rule``): the per-example test (fixed:
    exact binomial; anytime: the rule's own description), the alpha split, the scalings' fit and
    what a pass guarantees. ``fail_power``: ``stats["fail_power"]`` (anytime only)."""
    K, p0, alpha, n_tests, alpha_ex, reps = plan.K, plan.p0, plan.alpha, plan.n_tests, plan.alpha_ex, plan.reps
    if not plan.anytime:
        return (
            f"Per example: exact one-sided binomial test of the violations v among K={K} trials against the "
            f"allowed failure probability p0={p0:g}, p = P(Binom(K, p0) >= v)"
            + (" (p0 = 0: any violation rejects)" if p0 == 0 else "")
            + f"; reject at alpha_ex = alpha/(examples + non-report scalings) = {alpha:g}/{n_tests} = "
            f"{alpha_ex:.3g} (Bonferroni: claim-level false-fail rate <= {alpha:g}); smallest rejected count "
            f"{plan.crit}. Scalings: OLS slope of log(series) on log(param) over all (grid, trial) pairs, slope "
            f"+/- t(1-alpha_ex/2, Satterthwaite df) x bootstrap SE ({reps} reps, trials resampled within grid "
            f"points, K/(K-1) corrected); each gated scaling states the exponent error it detects with "
            f"probability >= {prof.power_target:g}. Power: smallest violation "
            f"rate p1 at which at least one of the examples run rejects with probability >= {prof.power_target:g}; "
            f"inconclusive if p1 > {prof.max_detectable_rate:g} or no valid example ran."
        )
    return (
        f"Per example (anytime-valid): {plan.rule.describe(p0, alpha_ex)}; alpha_ex = alpha/(examples + non-report "
        f"scalings) = {alpha:g}/{n_tests} = {alpha_ex:.3g} (Bonferroni: claim-level false-fail rate <= {alpha:g} "
        f"under optional stopping). A pass states that violation rates >= {prof.max_detectable_rate:g} are passed "
        f"with probability <= {1 - prof.power_target:g} per example; such a rate fails within the budget with "
        f"probability {fail_power if fail_power is not None else float('nan'):.3g}. "
        f"Scalings: OLS slope of log(series) on log(param) over all (grid, trial) pairs, bootstrap SE ({reps} reps, "
        f"trials resampled within grid points, K/(K-1) corrected), Satterthwaite df; gated ones by the "
        + (prof.scaling_rule().describe(alpha_ex) if prof.scaling_rule() is not None else "fixed rule")
        + f" (claim-level union bound over looks, examples and scalings); report-only ones at K={K}."
    )


def _findings(prof: Profile, stats: dict, scalings: list[dict], elapsed_s: float) -> list[str]:
    """The findings beyond the counterexample's: the soft time budget ran out; a scaling is loose."""
    out = []
    if stats["over_budget"]:
        out.append(f"time budget exhausted: {elapsed_s:.1f} s > time_budget_s={prof.time_budget_s:g} "
                   f"(profile {prof.name!r}); {stats['examples_run']} of {stats['examples_planned']} example(s) "
                   f"run, {stats['shrink_runs']} shrink step(s)")
    out += [f"scaling in {s['param']} is loose: {s['message']}" for s in scalings if s["verdict"] == "loose"]
    return out


def _verdict(plan: CheckPlan, prof: Profile, stats: dict, search: SearchOutcome, counterexample: dict | None,
             worst: dict | None, scalings: list[dict], *, power: float, bound_kind: str,
             over_time: Callable[[], bool]) -> tuple[str, str, str | None]:
    """Stage *decision* at claim level: ``(verdict, message, error_text)``.

    ``error`` (the search or a scaling broke) beats ``fail`` (a significant counterexample or
    a failed scaling) beats ``inconclusive`` (no valid example ran, an example ended undecided,
    the examples' power is too low, or a scaling was inconclusive) beats ``pass``.
    ``error_text`` is the traceback or details of an ``error``, else None."""
    scal_err = [s for s in scalings if s["verdict"] == "error"]
    scal_fail = [s for s in scalings if s["verdict"] == "fail"]
    scal_inc = [s for s in scalings if s["verdict"] == "inconclusive"]
    n_run, tot_viol, tot_trials = stats["examples_run"], stats["total_violations"], stats["total_trials"]
    undecided = [e for e in search.examples if e.get("decision") == "inconclusive"]
    alpha_ex, p0 = plan.alpha_ex, plan.p0
    if search.error is not None:
        return "error", search.error, search.error_details or search.error
    if search.search_error is not None:
        return "error", f"the search broke: {search.search_error[0]}", search.search_error[1]
    if scal_err:
        message = f"scaling in {scal_err[0]['param']}: {scal_err[0]['message']}"
        return "error", message, scal_err[0].get("details") or message
    if counterexample is not None or scal_fail:
        parts = []
        if counterexample is not None:
            c = counterexample
            parts.append(
                f"{c['violations']}/{c['trials']} trials violate the {bound_kind} bound at "
                f"{json.dumps(c['point'], sort_keys=True)} (p = {c['p_value']:.3g} <= alpha_ex = {alpha_ex:.3g}, "
                f"allowed failure prob {p0:g}); measured/bound max {c['max_ratio']:.4g}, min {c['min_ratio']:.4g}; "
                f"worst ratio seen {worst['max_ratio'] if bound_kind != 'lower' else worst['min_ratio']:.4g}")
        parts += [f"scaling in {s['param']}: {s['message']}" for s in scal_fail]
        message = "; ".join(parts)
        if counterexample is not None and counterexample.get("reproduce"):
            message += f" — reproduce: {counterexample['reproduce']}"
        return "fail", message, None
    if plan.n_examples > 0 and n_run == 0:
        return "inconclusive", ("no valid example could be run (the constraint rejected every drawn point"
                                + (" or the time budget ran out" if over_time() else "") + ")"), None
    if undecided:
        return "inconclusive", (
            f"{len(undecided)} of {n_run} example(s) reached the budget of {plan.budget} trials undecided: "
            f"the evidence neither rejects 'violation rate <= {p0:g}' at alpha_ex={alpha_ex:.3g} nor "
            f"rules out rates >= {prof.max_detectable_rate:g}; {tot_viol}/{tot_trials} violations seen; "
            f"use a larger profile (max_trials)"), None
    if plan.n_examples > 0 and power > prof.max_detectable_rate:
        return "inconclusive", (
            f"budget too small: {n_run} example(s) x K={plan.K} trials at alpha_ex={alpha_ex:.3g} detect only "
            f"violation rates >= {power:.3g} with probability {prof.power_target:g} "
            f"(> {prof.max_detectable_rate:g}); {tot_viol}/{tot_trials} violations seen; use a larger profile"), None
    if scal_inc:
        return "inconclusive", "; ".join(f"scaling in {s['param']}: {s['message']}" for s in scal_inc), None
    parts = []
    if n_run:
        ci = stats["violation_rate_ci"]
        parts.append(
            f"{tot_viol}/{tot_trials} violations over {n_run} example(s) (rate {1 - plan.alpha:g}-CI "
            f"[{ci[0]:.3g}, {ci[1]:.3g}], allowed {p0:g}); would detect a violation rate >= {power:.3g} "
            f"with probability >= {prof.power_target:g}; tightness {stats['tightness']:.4g}"
            + (f"; {tot_trials} of {plan.budget * plan.n_examples} budgeted trials used (anytime)"
               if plan.anytime else ""))
    parts += [f"scaling in {s['param']}: {s['message']}" for s in scalings]
    return "pass", "; ".join(parts), None


def _check_validated(claim, prof, dev, dt, seed, say, ranges, t0, started, executor, enforced,
                     claim_ref=None) -> ClaimResult:
    """:func:`check` past its input validation: the stages in order (see the section comment)."""
    plan = _plan(claim, prof)
    run = _CheckRun(claim, prof, plan, dev, dt, seed, say, t0)
    search = _search(run, ranges)
    counterexample, findings = None, []
    if search.candidate is not None:
        counterexample, findings = _rerun_counterexample(run, search.candidate, claim_ref)
    scalings = [] if search.broke else _run_scalings(run, ranges, executor)
    n_run = len(search.examples)
    power = plan.rule.power(plan.p0, plan.alpha_ex, n_run) if n_run else math.inf
    stats = _claim_stats(plan, prof, search, counterexample, scalings, power=power, bound_kind=claim.bound.kind,
                         enforced=enforced, over_budget=run.over_time())
    findings += _findings(prof, stats, scalings, time.monotonic() - t0)
    worst = _worst_example(search, counterexample)
    verdict, message, error_text = _verdict(plan, prof, stats, search, counterexample, worst, scalings, power=power,
                                            bound_kind=claim.bound.kind, over_time=run.over_time)
    result = ClaimResult(
        claim_id=claim.id, title=claim.title, verdict=verdict, message=message,
        decision_rule=_rule_text(plan, prof, stats["fail_power"]),
        claim=_claim_dict(claim), stats=stats, examples=search.examples, scalings=scalings,
        counterexample=counterexample, worst_example=worst, findings=findings, error=error_text,
        seed=seed, profile=prof.to_dict(), device=str(dev), dtype=str(dt).replace("torch.", ""),
        versions=_versions(), wall_time_s=time.monotonic() - t0, started=started,
    )
    say(result.summary_line())
    return result
