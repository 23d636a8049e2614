"""Input generators (and matching validators) for the settings of the five papers.

Every generator draws its randomness from a ``torch.Generator`` that the caller passes as
``generator=`` or that is built from ``seed=`` by :func:`ovpmodel._checks.make_generator`;
the global torch RNG is never touched.  Random draws are made in float64 on the generator's
device and then cast to the requested ``dtype``/``device``, so the same seed gives the same
numbers on every device and (up to rounding) in every dtype.

Settings covered (papers in ``/work/shared/papers/``; see ``CLAIMS.md`` (a.1) and (c)):

* AZLS-DNN (``allen-zhu-li-song-dnn-convergence.txt``, Sec. 2, Assumption 2.1):
  :func:`fc_inputs`, :func:`close_pair_inputs`, :func:`validate_fc_inputs`.
* ZCZG (``zou-cao-zhou-gu-deep-relu-gd.txt``, Assumptions 4.1 and 4.2):
  :func:`zczg_inputs`, :func:`validate_zczg_inputs`, :func:`digits_3_vs_8`.
* AZLS-RNN (``allen-zhu-li-song-rnn-convergence.txt``, Sec. 2.1, Assumption 2.1):
  :func:`rnn_sequences`, :func:`validate_rnn_sequences`.
* AZL-RNN (``allen-zhu-li-rnn-generalization-full.txt``, Sec. 3, Def. 3.1, Def. 3.2, eq. (3.1),
  Example 3.5, footnote 2): :func:`raw_tokens`, :func:`pad_tokens`, :func:`transform_inputs`,
  :func:`null_sequence`, :func:`validate_raw_tokens`, :func:`validate_normalized`,
  :class:`ConceptClass`, :func:`validate_concept_class`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import torch

from ._checks import (
    check_finite,
    check_in_range,
    check_positive_int,
    check_tensor,
    make_generator,
    resolve_device,
    resolve_dtype,
)

__all__ = [
    "INV_SQRT2",
    "separation_upper_bound",
    "fc_inputs",
    "close_pair_inputs",
    "validate_fc_inputs",
    "zczg_inputs",
    "validate_zczg_inputs",
    "rnn_sequences",
    "validate_rnn_sequences",
    "raw_tokens",
    "pad_tokens",
    "validate_raw_tokens",
    "transform_inputs",
    "null_sequence",
    "validate_normalized",
    "PHI_FUNCTIONS",
    "ConceptClass",
    "validate_concept_class",
    "digits_3_vs_8",
    "digits_regression",
]

INV_SQRT2 = 1.0 / math.sqrt(2.0)
_DEFAULT_MAX_ATTEMPTS = 1000
_NO_MM = "donot_use_mm_for_euclid_dist"  # exact pairwise distances in torch.cdist
_PATIENCE = 20  # rounds without progress before blocking points are released
_WINDOW = 50  # rounds over which the acceptance rate is measured for early failure


# --------------------------------------------------------------------------------------
# internal helpers
# --------------------------------------------------------------------------------------


def _rng(generator: torch.Generator | None, seed: Any) -> torch.Generator:
    """Resolve ``generator=`` / ``seed=`` (exactly one must be given)."""
    if generator is not None and seed is not None:
        raise ValueError("pass either generator= or seed=, not both")
    if generator is not None:
        if not isinstance(generator, torch.Generator):
            raise TypeError(f"generator must be a torch.Generator, got {type(generator).__name__}")
        return generator
    if seed is None:
        raise ValueError(
            "a source of randomness is required: pass generator=torch.Generator (seeded) or seed=int; "
            "the global RNG is never used"
        )
    return make_generator(seed, "cpu")


def _default_atol(dtype: torch.dtype, atol: float | None) -> float:
    if atol is None:
        return 1e-10 if dtype == torch.float64 else 1e-5
    return check_in_range("atol", atol, 0.0, None)


def _min_int(name: str, value: Any, low: int) -> int:
    v = check_positive_int(name, value)
    if v < low:
        raise ValueError(f"{name} must be >= {low}, got {v}")
    return v


def _unit_rows(count: int, k: int, gen: torch.Generator) -> torch.Tensor:
    """``count`` i.i.d. uniform unit vectors in R^k (float64, on the generator's device)."""
    g = torch.randn(count, k, generator=gen, dtype=torch.float64, device=gen.device)
    return g / g.norm(dim=1, keepdim=True).clamp_min(1e-300)


def _cap_fraction(alpha: float, k: int) -> float:
    """Fraction of the area of S^{k-1} covered by a cap of angular radius ``alpha`` <= pi/2."""
    from scipy.special import betainc

    if k == 2:
        return alpha / math.pi
    return 0.5 * float(betainc((k - 1) / 2.0, 0.5, math.sin(alpha) ** 2))


def separation_upper_bound(n: int, d: int, *, last: float = INV_SQRT2) -> float:
    """Upper bound on the achievable min pairwise distance of ``n`` inputs of the AZLS form.

    Inputs ``x = (r u, last)`` with ``r = sqrt(1 - last^2)`` and ``u`` on the unit sphere
    S^{d-2} (AZLS-DNN, allen-zhu-li-song-dnn-convergence.txt Sec. 2: ``||x|| = 1``,
    ``x_d = 1/sqrt 2``; Assumption 2.1 asks for ``||x_i - x_j|| >= delta``).  Since the last
    coordinate is shared, distances are those of the points ``r u`` on a sphere of radius r
    in R^{d-1}.  The bound is the minimum of rigorous packing bounds:

    * ``2r`` (diameter); for d - 1 = 1 (the 0-sphere {-r, r}) at most 2 distinct points;
    * d - 1 = 2 (a circle): ``2 r sin(pi/n)`` (exact);
    * ``n <= d``: regular simplex ``r sqrt(2n/(n-1))`` (Rankin); ``n > d``: ``r sqrt 2`` (Rankin);
    * the cap-area bound: caps of angular radius ``asin(delta/(2r))`` are disjoint.

    Returns ``inf`` for ``n = 1`` and ``0`` when no two distinct points can be placed.
    """
    n = check_positive_int("n", n)
    d = _min_int("d", d, 2)
    last = check_in_range("last", last, -1.0, 1.0, low_open=True, high_open=True)
    if n == 1:
        return math.inf
    r = math.sqrt(1.0 - last * last)
    k = d - 1
    if k == 1:
        return 2.0 * r if n == 2 else 0.0
    bound = 2.0 * r
    if k == 2:
        return min(bound, 2.0 * r * math.sin(math.pi / n))
    bound = min(bound, r * math.sqrt(2.0 * n / (n - 1)) if n <= k + 1 else r * math.sqrt(2.0))
    # cap bound: n * frac(alpha) <= 1 with delta = 2 r sin(alpha); bisection on alpha in (0, pi/2]
    if n * _cap_fraction(math.pi / 2, k) > 1.0:
        lo, hi = 0.0, math.pi / 2
        for _ in range(100):
            mid = 0.5 * (lo + hi)
            if n * _cap_fraction(mid, k) <= 1.0:
                lo = mid
            else:
                hi = mid
        bound = min(bound, 2.0 * r * math.sin(hi))
    return bound


def _place_separated(
    n: int,
    k: int,
    radius: float,
    sep: float | None,
    gen: torch.Generator,
    *,
    labels: torch.Tensor | None = None,
    fixed: torch.Tensor | None = None,
    max_attempts: int,
    name: str,
    describe: str,
) -> torch.Tensor:
    """``n`` points on the sphere of ``radius`` in R^k, pairwise >= ``sep`` apart.

    Rejection with resampling of offending points, vectorised over candidates: in each round
    a candidate is kept iff it is ``sep``-far from every already-accepted point and from every
    earlier candidate of the same round (so the accepted set is always valid).  With
    ``labels`` only pairs with different labels are constrained (ZCZG Assumption 4.2).  The
    first ``len(fixed)`` points are given and never moved.  Raises ``ValueError`` naming
    ``name`` when ``max_attempts`` rounds do not suffice.
    """
    pts = radius * _unit_rows(n, k, gen)
    nf = 0 if fixed is None else fixed.shape[0]
    if nf:
        pts[:nf] = fixed
    if sep is None or n <= 1:
        return pts
    ok = torch.zeros(n, dtype=torch.bool, device=pts.device)
    ok[:nf] = True
    lab = None if labels is None else labels.to(pts.device)
    movable = torch.ones(n, dtype=torch.bool, device=pts.device)
    movable[:nf] = False
    best, stall = 0, 0
    history: list[int] = []
    for attempt in range(max_attempts):
        cand = (~ok).nonzero().squeeze(1)
        if cand.numel() == 0:
            return pts
        if attempt > 0:
            pts[cand] = radius * _unit_rows(cand.numel(), k, gen)
        pc = pts[cand]
        acc = ok.nonzero().squeeze(1)
        bad = torch.zeros(cand.numel(), dtype=torch.bool, device=pts.device)
        release = None
        if acc.numel():
            conf = torch.cdist(pc, pts[acc], compute_mode=_NO_MM) < sep
            if lab is not None:
                conf &= lab[cand][:, None] != lab[acc][None, :]
            bad |= conf.any(dim=1)
            if stall >= _PATIENCE:
                # local repair: free the accepted (non-fixed) points blocking a candidate
                release = acc[conf.any(dim=0) & movable[acc]]
        if cand.numel() > 1:
            conf_cc = torch.cdist(pc, pc, compute_mode=_NO_MM) < sep
            if lab is not None:
                conf_cc &= lab[cand][:, None] != lab[cand][None, :]
            idx = torch.arange(cand.numel(), device=pts.device)
            conf_cc &= idx[:, None] > idx[None, :]  # conflicts with earlier candidates only
            bad |= conf_cc.any(dim=1)
        ok[cand[~bad]] = True
        if release is not None and release.numel():
            ok[release] = False
            stall = 0
        placed_now = int(ok.sum())
        if placed_now > best:
            best, stall = placed_now, 0
        else:
            stall += 1
        history.append(best)
        if attempt >= _WINDOW and n - best > 10:
            # many points still missing and the recent acceptance rate cannot finish in the
            # remaining rounds: give up early (rounds are expensive when many points are missing)
            rate = (best - history[-_WINDOW - 1]) / _WINDOW
            if rate * (max_attempts - attempt - 1) < n - best:
                break
    if bool(ok.all()):
        return pts
    placed = max(best, int(ok.sum()))
    if placed < n:
        raise ValueError(
            f"{name}={sep:g} too large for {describe}: could place only {placed} points "
            f"after {attempt + 1} resampling rounds (max_attempts={max_attempts}; increase it or decrease {name})"
        )
    return pts


def _finish(x: torch.Tensor, device: torch.device, dtype: torch.dtype) -> torch.Tensor:
    return x.to(device=device, dtype=dtype).contiguous()


def _min_pairwise(x: torch.Tensor) -> float:
    if x.shape[0] < 2:
        return math.inf
    return float(torch.pdist(x.to(torch.float64)).min())


# --------------------------------------------------------------------------------------
# AZLS-DNN
# --------------------------------------------------------------------------------------


def fc_inputs(
    n: int,
    d: int,
    *,
    delta: float | None = None,
    last: float = INV_SQRT2,
    generator: torch.Generator | None = None,
    seed: int | None = None,
    device: str | torch.device | None = None,
    dtype: str | torch.dtype | None = None,
    max_attempts: int = _DEFAULT_MAX_ATTEMPTS,
) -> torch.Tensor:
    """Random inputs ``x ∈ R^{n×d}`` for the AZLS-DNN fully-connected net.

    Paper: allen-zhu-li-song-dnn-convergence.txt, Sec. 2 (normalisation ``||x_i|| = 1``, last
    coordinate ``(x_i)_d = 1/sqrt 2``, footnote 3) and Assumption 2.1 (``||x_i - x_j|| >= delta``
    for ``i != j``).  CLAIMS.md (a.1) F1.

    Construction: ``x_i = (r u_i, last)`` with ``r = sqrt(1 - last^2)`` and ``u_i`` uniform on
    the unit sphere of R^{d-1}; with ``delta`` given, offending points are resampled (bounded
    number of rounds).  ``last`` is exact in every dtype; the norm is 1 up to rounding.

    Raises ``ValueError`` when ``n < 1``, ``d < 2``, ``last ∉ (-1, 1)``, ``delta <= 0`` or
    non-finite, ``delta`` exceeds :func:`separation_upper_bound` (a packing bound), or the
    rejection sampler cannot place all points ("delta=... too large for n=..., d=...").
    """
    n = check_positive_int("n", n)
    d = _min_int("d", d, 2)
    last = check_in_range("last", last, -1.0, 1.0, low_open=True, high_open=True)
    max_attempts = check_positive_int("max_attempts", max_attempts)
    if delta is not None:
        delta = check_in_range("delta", delta, 0.0, None, low_open=True)
        bound = separation_upper_bound(n, d, last=last)
        if delta > bound * (1 + 1e-12):
            raise ValueError(
                f"delta={delta:g} too large for n={n}, d={d}, last={last:g}: a packing bound "
                f"allows min pairwise distance at most {bound:.6g}"
            )
    dev, dt = resolve_device(device), resolve_dtype(dtype)
    gen = _rng(generator, seed)
    r = math.sqrt(1.0 - last * last)
    head = _place_separated(
        n, d - 1, r, delta, gen, max_attempts=max_attempts, name="delta", describe=f"n={n}, d={d}"
    )
    x = torch.cat([head, torch.full((n, 1), last, dtype=torch.float64, device=head.device)], dim=1)
    return _finish(x, dev, dt)


def close_pair_inputs(
    n: int,
    d: int,
    delta: float,
    *,
    others_delta: float | None = None,
    last: float = INV_SQRT2,
    generator: torch.Generator | None = None,
    seed: int | None = None,
    device: str | torch.device | None = None,
    dtype: str | torch.dtype | None = None,
    max_attempts: int = _DEFAULT_MAX_ATTEMPTS,
) -> torch.Tensor:
    """AZLS-DNN inputs where ``x_0`` and ``x_1`` are at distance exactly ``delta``.

    Paper: allen-zhu-li-song-dnn-convergence.txt, Sec. 2 and Assumption 2.1 (the ``delta`` that
    enters the gradient lower bound, Thm 3 / Step 3, is the *minimum* pairwise distance; this
    generator makes the pair (0, 1) attain a prescribed value).  CLAIMS.md (a.1) F1.

    ``x_1`` is ``x_0`` rotated by the angle ``theta = 2 asin(delta / (2r))`` inside the
    (d-1)-dimensional head, ``r = sqrt(1 - last^2)``, in a random direction orthogonal to it;
    both keep ``last``.  Points 2..n-1 are random and pairwise (and against 0, 1) at least
    ``others_delta`` apart (default ``delta``, so (0, 1) is a closest pair).

    Raises ``ValueError`` when ``n < 2``, ``d < 3``, ``delta ∉ (0, 2r]``, ``others_delta <= 0``,
    or the other points cannot be placed.
    """
    n = _min_int("n", n, 2)
    d = _min_int("d", d, 3)
    last = check_in_range("last", last, -1.0, 1.0, low_open=True, high_open=True)
    r = math.sqrt(1.0 - last * last)
    delta = check_in_range("delta", delta, 0.0, 2.0 * r, low_open=True)
    others_delta = delta if others_delta is None else check_in_range(
        "others_delta", others_delta, 0.0, None, low_open=True
    )
    max_attempts = check_positive_int("max_attempts", max_attempts)
    dev, dt = resolve_device(device), resolve_dtype(dtype)
    gen = _rng(generator, seed)
    k = d - 1
    u0 = _unit_rows(1, k, gen)[0]
    v = torch.randn(k, generator=gen, dtype=torch.float64, device=gen.device)
    v = v - (v @ u0) * u0
    v = v / v.norm()
    theta = 2.0 * math.asin(min(1.0, delta / (2.0 * r)))
    u1 = math.cos(theta) * u0 + math.sin(theta) * v
    u1 = u1 / u1.norm()
    fixed = r * torch.stack([u0, u1])
    head = _place_separated(
        n, k, r, others_delta, gen, fixed=fixed, max_attempts=max_attempts,
        name="others_delta", describe=f"n={n}, d={d}",
    )
    x = torch.cat([head, torch.full((n, 1), last, dtype=torch.float64, device=head.device)], dim=1)
    return _finish(x, dev, dt)


def validate_fc_inputs(
    x: torch.Tensor,
    *,
    delta: float | None = None,
    last: float = INV_SQRT2,
    atol: float | None = None,
) -> float:
    """Check AZLS-DNN input assumptions and return the minimum pairwise distance.

    Paper: allen-zhu-li-song-dnn-convergence.txt, Sec. 2 (``||x_i|| = 1``, ``(x_i)_d = last``,
    default ``1/sqrt 2``) and Assumption 2.1 (``||x_i - x_j|| >= delta``).  Raises
    ``ValueError`` naming the violated condition (tolerance ``atol``; default 1e-10 in
    float64, 1e-5 in float32).  Returns ``inf`` when ``n = 1``.
    """
    x = check_tensor("x", x, ndim=2)
    if x.shape[0] < 1 or x.shape[1] < 2:
        raise ValueError(f"x must have shape [n >= 1, d >= 2], got {tuple(x.shape)}")
    last = check_finite("last", last)
    tol = _default_atol(x.dtype, atol)
    x64 = x.to(torch.float64)
    norm_err = float((x64.norm(dim=1) - 1.0).abs().max())
    if norm_err > tol:
        raise ValueError(f"x rows must have unit norm (Sec. 2): max | ||x_i|| - 1 | = {norm_err:.3g} > atol={tol:g}")
    last_err = float((x64[:, -1] - last).abs().max())
    if last_err > tol:
        raise ValueError(f"x last coordinate must equal last={last:g}: max deviation {last_err:.3g} > atol={tol:g}")
    dmin = _min_pairwise(x64)
    if delta is not None:
        delta = check_in_range("delta", delta, 0.0, None)
        if dmin < delta - tol:
            raise ValueError(
                f"Assumption 2.1 violated: min pairwise distance {dmin:.6g} < delta={delta:g}"
            )
    return dmin


# --------------------------------------------------------------------------------------
# ZCZG
# --------------------------------------------------------------------------------------


def _as_labels(labels: Any, n: int) -> torch.Tensor:
    try:
        y = torch.as_tensor(labels).to(torch.float64).flatten().cpu()
    except (TypeError, ValueError, RuntimeError):
        raise TypeError(f"labels must be a sequence or tensor of ±1, got {type(labels).__name__}") from None
    if y.numel() != n:
        raise ValueError(f"labels must have length n={n}, got {y.numel()}")
    if not bool(((y == 1) | (y == -1)).all()):
        raise ValueError("labels must contain only +1 and -1")
    return y


def zczg_inputs(
    n: int,
    d: int,
    *,
    mu: float = INV_SQRT2,
    phi: float | None = None,
    labels: Sequence[int] | torch.Tensor | None = None,
    generator: torch.Generator | None = None,
    seed: int | None = None,
    device: str | torch.device | None = None,
    dtype: str | torch.dtype | None = None,
    max_attempts: int = _DEFAULT_MAX_ATTEMPTS,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Random binary-classification data ``(x [n, d], y [n] ∈ {±1})`` for ZCZG.

    Paper: zou-cao-zhou-gu-deep-relu-gd.txt, Assumption 4.1 (``||x_i||_2 = 1``,
    ``(x_i)_d = mu`` with ``mu ∈ (0, 1)``) and Assumption 4.2 (``||x_i - x_i'|| >= phi`` only
    when ``y_i != y_i'``).  CLAIMS.md (a.1) F3.

    Labels default to balanced (``n - n//2`` of +1, ``n//2`` of -1) in a random order; ``y`` is
    returned in the floating ``dtype`` (so ``y * f(x)`` is direct).  Points are
    ``(sqrt(1 - mu^2) u, mu)``, ``u`` uniform on the sphere, with cross-class offenders
    resampled.  Raises ``ValueError`` for ``n < 1``, ``d < 2``, ``mu ∉ (0, 1)``, ``phi <= 0``,
    ``phi > 2 sqrt(1 - mu^2)`` with both classes present, bad labels, or failed rejection.
    """
    n = check_positive_int("n", n)
    d = _min_int("d", d, 2)
    mu = check_in_range("mu", mu, 0.0, 1.0, low_open=True, high_open=True)
    max_attempts = check_positive_int("max_attempts", max_attempts)
    dev, dt = resolve_device(device), resolve_dtype(dtype)
    gen = _rng(generator, seed)
    r = math.sqrt(1.0 - mu * mu)
    if labels is None:
        base = torch.cat([torch.ones(n - n // 2), -torch.ones(n // 2)]).to(torch.float64)
        perm = torch.randperm(n, generator=gen, device=gen.device).cpu()
        y = base[perm]
    else:
        y = _as_labels(labels, n)
    if phi is not None:
        phi = check_in_range("phi", phi, 0.0, None, low_open=True)
        both = bool((y == 1).any()) and bool((y == -1).any())
        if both and phi > 2.0 * r * (1 + 1e-12):
            raise ValueError(
                f"phi={phi:g} too large for mu={mu:g}: points lie on a sphere of radius "
                f"sqrt(1-mu^2)={r:.6g}, so cross-class distances are at most {2 * r:.6g}"
            )
    head = _place_separated(
        n, d - 1, r, phi, gen, labels=y, max_attempts=max_attempts, name="phi",
        describe=f"n={n}, d={d} (cross-class separation)",
    )
    x = torch.cat([head, torch.full((n, 1), mu, dtype=torch.float64, device=head.device)], dim=1)
    return _finish(x, dev, dt), y.to(device=dev, dtype=dt)


def validate_zczg_inputs(
    x: torch.Tensor,
    y: torch.Tensor,
    *,
    mu: float = INV_SQRT2,
    phi: float | None = None,
    atol: float | None = None,
) -> float:
    """Check ZCZG Assumptions 4.1/4.2 and return the min cross-class distance (``inf`` if one class).

    Paper: zou-cao-zhou-gu-deep-relu-gd.txt, Assumption 4.1 (``||x_i|| = 1``, ``(x_i)_d = mu``,
    ``mu ∈ (0,1)``) and Assumption 4.2 (``||x_i - x_i'|| >= phi`` if ``y_i != y_i'``).
    Raises ``ValueError`` naming the violated condition.
    """
    x = check_tensor("x", x, ndim=2)
    mu = check_in_range("mu", mu, 0.0, 1.0, low_open=True, high_open=True)
    yv = _as_labels(y, x.shape[0])
    tol = _default_atol(x.dtype, atol)
    x64 = x.to(torch.float64).cpu()
    norm_err = float((x64.norm(dim=1) - 1.0).abs().max())
    if norm_err > tol:
        raise ValueError(f"Assumption 4.1 violated: max | ||x_i|| - 1 | = {norm_err:.3g} > atol={tol:g}")
    last_err = float((x64[:, -1] - mu).abs().max())
    if last_err > tol:
        raise ValueError(f"Assumption 4.1 violated: last coordinate differs from mu={mu:g} by {last_err:.3g}")
    pos, neg = x64[yv == 1], x64[yv == -1]
    cross = math.inf
    if pos.shape[0] and neg.shape[0]:
        cross = float(torch.cdist(pos, neg, compute_mode=_NO_MM).min())
    if phi is not None:
        phi = check_in_range("phi", phi, 0.0, None)
        if cross < phi - tol:
            raise ValueError(f"Assumption 4.2 violated: min cross-class distance {cross:.6g} < phi={phi:g}")
    return cross


# --------------------------------------------------------------------------------------
# AZLS-RNN
# --------------------------------------------------------------------------------------


def rnn_sequences(
    n: int,
    L: int,
    d_x: int,
    *,
    delta: float | None = None,
    rest_norm: float = 1.0,
    shared_tail: bool = False,
    generator: torch.Generator | None = None,
    seed: int | None = None,
    device: str | torch.device | None = None,
    dtype: str | torch.dtype | None = None,
    max_attempts: int = _DEFAULT_MAX_ATTEMPTS,
) -> torch.Tensor:
    """Random input sequences ``x ∈ R^{n×L×d_x}`` for the AZLS-RNN Elman net.

    Paper: allen-zhu-li-song-rnn-convergence.txt, Sec. 2.1 (``||x_{i,l}|| <= 1``,
    ``||x_{i,1}|| = 1``, ``[x_{i,1}]_{d_x} = 1/sqrt 2``, footnote 5) and Assumption 2.1
    (``||x_{i,1} - x_{j,1}|| >= delta``, ``delta ∈ (0, 1]``; only first tokens are separated).
    CLAIMS.md (a.1) F2.

    First tokens come from :func:`fc_inputs` with ``last = 1/sqrt 2``; tokens ``l >= 2`` have
    a uniform random direction and norm exactly ``rest_norm ∈ [0, 1]`` (0 gives zero tokens).
    With ``shared_tail=True`` all sequences share tokens 2..L (they differ only in the first
    token: the worst case for separation, cf. the paper's footnote 9).
    """
    n = check_positive_int("n", n)
    L = check_positive_int("L", L)
    d_x = _min_int("d_x", d_x, 2)
    rest_norm = check_in_range("rest_norm", rest_norm, 0.0, 1.0)
    if delta is not None:
        delta = check_in_range("delta", delta, 0.0, 1.0, low_open=True)
    if not isinstance(shared_tail, bool):
        raise TypeError(f"shared_tail must be a bool, got {shared_tail!r}")
    dev, dt = resolve_device(device), resolve_dtype(dtype)
    gen = _rng(generator, seed)
    first = fc_inputs(
        n, d_x, delta=delta, last=INV_SQRT2, generator=gen, device=gen.device,
        dtype=torch.float64, max_attempts=max_attempts,
    )
    if shared_tail:
        tail = rest_norm * _unit_rows(L - 1, d_x, gen)
        tail = tail.unsqueeze(0).expand(n, L - 1, d_x)
    else:
        tail = rest_norm * _unit_rows(n * (L - 1), d_x, gen).reshape(n, L - 1, d_x)
    x = torch.cat([first.unsqueeze(1), tail], dim=1)
    return _finish(x, dev, dt)


def validate_rnn_sequences(
    x: torch.Tensor,
    *,
    delta: float | None = None,
    atol: float | None = None,
) -> float:
    """Check AZLS-RNN input assumptions; return the min pairwise first-token distance.

    Paper: allen-zhu-li-song-rnn-convergence.txt, Sec. 2.1 (``||x_{i,l}|| <= 1``,
    ``||x_{i,1}|| = 1``, ``[x_{i,1}]_{d_x} = 1/sqrt 2``) and Assumption 2.1 (first tokens
    ``delta``-separated).  Raises ``ValueError`` naming the violated condition.
    """
    x = check_tensor("x", x, ndim=3)
    if x.shape[0] < 1 or x.shape[1] < 1 or x.shape[2] < 2:
        raise ValueError(f"x must have shape [n >= 1, L >= 1, d_x >= 2], got {tuple(x.shape)}")
    tol = _default_atol(x.dtype, atol)
    try:
        dmin = validate_fc_inputs(x[:, 0, :], delta=delta, last=INV_SQRT2, atol=tol)
    except ValueError as e:
        raise ValueError(f"first tokens x_(i,1): {e}") from None
    if x.shape[1] > 1:
        mx = float(x[:, 1:, :].to(torch.float64).norm(dim=2).max())
        if mx > 1.0 + tol:
            raise ValueError(f"tokens l >= 2 must satisfy ||x_(i,l)|| <= 1 (Sec. 2.1), max norm {mx:.6g}")
    return dmin


# --------------------------------------------------------------------------------------
# AZL-RNN generalization setting
# --------------------------------------------------------------------------------------

_SQRT3_2 = math.sqrt(3.0) / 2.0


def pad_tokens(
    z: torch.Tensor,
    *,
    device: str | torch.device | None = None,
    dtype: str | torch.dtype | None = None,
) -> torch.Tensor:
    """Pad raw vectors ``z [..., d_x - 2]`` with ``||z|| <= sqrt(3)/2`` to tokens ``x* [..., d_x]``.

    Paper: allen-zhu-li-rnn-generalization-full.txt, Sec. 3 and footnote 2: ``x* =
    (z, sqrt(3/4 - ||z||^2), 1/2)``, so ``||x*|| = 1`` and ``[x*]_{d_x} = 1/2`` (the footnote's
    "pad sqrt(1 - ||x*||^2) to the second-last coordinate", after rescaling so the total norm
    is 1; CLAIMS.md (c) [R]).  ``device=None`` keeps ``z``'s device; ``dtype`` defaults to float64.
    """
    z = check_tensor("z", z)
    if z.ndim < 1 or z.shape[-1] < 1:
        raise ValueError(f"z must have a last dimension >= 1, got shape {tuple(z.shape)}")
    dev = z.device if device is None else resolve_device(device)
    dt = resolve_dtype(dtype)
    z64 = z.to(torch.float64)
    sq = (z64 * z64).sum(dim=-1, keepdim=True)
    if float(sq.max()) > 0.75 * (1 + 1e-12):
        raise ValueError(f"z must satisfy ||z|| <= sqrt(3)/2 (footnote 2), max norm {float(sq.max().sqrt()):.6g}")
    pad = (0.75 - sq).clamp_min(0.0).sqrt()
    x = torch.cat([z64, pad, torch.full_like(pad, 0.5)], dim=-1)
    return _finish(x, dev, dt)


def raw_tokens(
    N: int,
    L: int,
    d_x: int,
    *,
    z_dist: str = "ball",
    generator: torch.Generator | None = None,
    seed: int | None = None,
    device: str | torch.device | None = None,
    dtype: str | torch.dtype | None = None,
) -> torch.Tensor:
    """Random true inputs ``x* ∈ R^{N×(L-2)×d_x}`` (positions l = 2..L-1; index 0 ↔ l = 2).

    Paper: allen-zhu-li-rnn-generalization-full.txt, Sec. 3 (``||x*_l|| = 1``,
    ``[x*_l]_{d_x} = 1/2``) with the padding of footnote 2 (see :func:`pad_tokens`).
    ``z ∈ R^{d_x-2}`` is uniform in the ball of radius sqrt(3)/2 (``z_dist="ball"``) or on its
    boundary sphere (``z_dist="sphere"``, so the padding coordinate is 0).  Requires
    ``L >= 3`` and ``d_x >= 3``.
    """
    N = check_positive_int("N", N)
    L = _min_int("L", L, 3)
    d_x = _min_int("d_x", d_x, 3)
    if z_dist not in ("ball", "sphere"):
        raise ValueError(f"z_dist must be 'ball' or 'sphere', got {z_dist!r}")
    dev, dt = resolve_device(device), resolve_dtype(dtype)
    gen = _rng(generator, seed)
    k = d_x - 2
    count = N * (L - 2)
    u = _unit_rows(count, k, gen)
    if z_dist == "ball":
        s = torch.rand(count, 1, generator=gen, dtype=torch.float64, device=gen.device) ** (1.0 / k)
    else:
        s = torch.ones(count, 1, dtype=torch.float64, device=gen.device)
    z = (_SQRT3_2 * s * u).reshape(N, L - 2, k)
    return pad_tokens(z, device=dev, dtype=dt)


def validate_raw_tokens(x_star: torch.Tensor, *, atol: float | None = None) -> float:
    """Check ``||x*_l|| = 1`` and ``[x*_l]_{d_x} = 1/2``; return the max deviation.

    Paper: allen-zhu-li-rnn-generalization-full.txt, Sec. 3 (data distribution) and
    footnote 2.  ``x_star`` has shape ``[..., d_x]``.  Raises ``ValueError`` on violation.
    """
    x_star = check_tensor("x_star", x_star)
    if x_star.ndim < 1 or x_star.shape[-1] < 2:
        raise ValueError(f"x_star must have last dimension d_x >= 2, got shape {tuple(x_star.shape)}")
    tol = _default_atol(x_star.dtype, atol)
    x64 = x_star.to(torch.float64)
    if x64.numel() == 0:
        return 0.0
    ne = float((x64.norm(dim=-1) - 1.0).abs().max())
    le = float((x64[..., -1] - 0.5).abs().max())
    if ne > tol:
        raise ValueError(f"x_star tokens must have unit norm (Sec. 3): max deviation {ne:.3g} > atol={tol:g}")
    if le > tol:
        raise ValueError(f"x_star last coordinate must be 1/2 (Sec. 3, fn 2): max deviation {le:.3g} > atol={tol:g}")
    return max(ne, le)


def transform_inputs(
    x_star: torch.Tensor,
    eps_x: float,
    *,
    check: bool = True,
    atol: float | None = None,
    device: str | torch.device | None = None,
    dtype: str | torch.dtype | None = None,
) -> torch.Tensor:
    """Definition 3.1: true input ``x* [N, L-2, d_x]`` → actual input ``x [N, L, d_x+1]``.

    Paper: allen-zhu-li-rnn-generalization-full.txt, Definition 3.1:
    ``x_1 = (0^{d_x}, 1)``, ``x_l = (eps_x x*_l, 0)`` for ``l = 2..L-1``,
    ``x_L = (0^{d_x}, eps_x)``, with ``eps_x ∈ (0, 1)``.  The result is normalized in the sense
    of Definition 3.2.  A 2-D ``x_star [L-2, d_x]`` gives a 2-D ``[L, d_x+1]``.  With
    ``check=True`` the tokens are first validated (:func:`validate_raw_tokens`).
    ``device=None`` keeps ``x_star``'s device; ``dtype`` defaults to float64.
    """
    x_star = check_tensor("x_star", x_star, ndim=(2, 3))
    eps_x = check_in_range("eps_x", eps_x, 0.0, 1.0, low_open=True, high_open=True)
    if check:
        validate_raw_tokens(x_star, atol=atol)
    dev = x_star.device if device is None else resolve_device(device)
    dt = resolve_dtype(dtype)
    single = x_star.ndim == 2
    xs = x_star.to(device=dev, dtype=dt)
    if single:
        xs = xs.unsqueeze(0)
    N, Lm2, d_x = xs.shape
    x = torch.zeros(N, Lm2 + 2, d_x + 1, device=dev, dtype=dt)
    x[:, 0, d_x] = 1.0
    x[:, 1:-1, :d_x] = eps_x * xs
    x[:, -1, d_x] = eps_x
    return x[0] if single else x


def null_sequence(
    L: int,
    d_x: int,
    eps_x: float,
    *,
    device: str | torch.device | None = None,
    dtype: str | torch.dtype | None = None,
) -> torch.Tensor:
    """The null input sequence ``x^(0) ∈ R^{L×(d_x+1)}``.

    Paper: allen-zhu-li-rnn-generalization-full.txt, Sec. 5.2 / Appendix D.1:
    ``x^(0)_1 = (0^{d_x}, 1)`` and ``x^(0)_l = (0^{d_x}, eps_x)`` for ``l = 2..L``; it is
    normalized (Definition 3.2).  ``eps_x ∈ (0, 1)`` as in Definition 3.1.
    """
    L = _min_int("L", L, 2)
    d_x = check_positive_int("d_x", d_x)
    eps_x = check_in_range("eps_x", eps_x, 0.0, 1.0, low_open=True, high_open=True)
    dev, dt = resolve_device(device), resolve_dtype(dtype)
    x = torch.zeros(L, d_x + 1, device=dev, dtype=dt)
    x[0, d_x] = 1.0
    x[1:, d_x] = eps_x
    return x


def validate_normalized(
    x: torch.Tensor,
    eps_x: float,
    *,
    atol: float | None = None,
    check_structure: bool = False,
) -> float:
    """Definition 3.2 check: ``||x_1|| = 1`` and ``||x_l|| = eps_x`` for ``l = 2..L``.

    Paper: allen-zhu-li-rnn-generalization-full.txt, Definition 3.2 (and, with
    ``check_structure=True``, the exact layout of Definition 3.1: ``x_1 = (0, 1)``, middle tokens
    have last coordinate 0, ``x_L = (0, eps_x)``).  ``x`` is ``[L, d]`` or ``[N, L, d]``.
    Returns the max deviation; raises ``ValueError`` naming the violated condition.
    """
    x = check_tensor("x", x, ndim=(2, 3))
    eps_x = check_in_range("eps_x", eps_x, 0.0, 1.0, low_open=True, high_open=True)
    tol = _default_atol(x.dtype, atol)
    x64 = x.to(torch.float64)
    if x64.ndim == 2:
        x64 = x64.unsqueeze(0)
    if x64.shape[1] < 2:
        raise ValueError(f"x must have L >= 2 tokens, got shape {tuple(x.shape)}")
    norms = x64.norm(dim=-1)
    e1 = float((norms[:, 0] - 1.0).abs().max())
    e2 = float((norms[:, 1:] - eps_x).abs().max())
    if e1 > tol:
        raise ValueError(f"Definition 3.2 violated: ||x_1|| must be 1, max deviation {e1:.3g} > atol={tol:g}")
    if e2 > tol:
        raise ValueError(
            f"Definition 3.2 violated: ||x_l|| must equal eps_x={eps_x:g} for l >= 2, "
            f"max deviation {e2:.3g} > atol={tol:g}"
        )
    err = max(e1, e2)
    if check_structure:
        d = x64.shape[-1] - 1
        e1v = torch.zeros(d + 1, dtype=torch.float64, device=x64.device)
        e1v[d] = 1.0
        s1 = float((x64[:, 0] - e1v).abs().max())
        sL = float((x64[:, -1] - eps_x * e1v).abs().max())
        sm = float(x64[:, 1:-1, d].abs().max()) if x64.shape[1] > 2 else 0.0
        if s1 > tol:
            raise ValueError(f"Definition 3.1 violated: x_1 must be (0^d_x, 1), deviation {s1:.3g}")
        if sL > tol:
            raise ValueError(f"Definition 3.1 violated: x_L must be (0^d_x, eps_x), deviation {sL:.3g}")
        if sm > tol:
            raise ValueError(f"Definition 3.1 violated: x_l (2 <= l <= L-1) must have last coordinate 0, got {sm:.3g}")
        err = max(err, s1, sL, sm)
    return err


def _cube(z: torch.Tensor) -> torch.Tensor:
    return z * z * z


PHI_FUNCTIONS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "tanh": torch.tanh,
    "quadratic": torch.square,  # z^2, phi(0) = 0
    "cubic": _cube,  # z^3
    "sin": torch.sin,
    "expm1": torch.expm1,  # e^z - 1 (Example 2.1)
    "linear": lambda z: z,
}
"""Smooth activations with ``phi(0) = 0`` (eq. (3.1) requires ``Phi(0) = 0``; Example 2.1 lists
``z^d``, ``e^z - 1``, ``sin``, ``tanh``)."""


@dataclass(frozen=True, eq=False)
class ConceptClass:
    """Lag-dependent two-layer target of Example 3.5 (a special case of eq. (3.1)).

    Paper: allen-zhu-li-rnn-generalization-full.txt, Sec. 3.2, eq. (3.1) and Example 3.5:
    ``F*_j(x*) = Σ_{i=2}^{j-1} A*_{j-i} phi(W*_{j-i} x*_i)`` for ``j = 3..L``.  Per lag
    ``k = j - i ∈ {1..L-2}`` (stored at index ``k-1``): ``W*_k ∈ R^{p×d_x}`` with unit rows whose
    last coordinate is 0 (Lemma 5.1 needs ``[w*]_{d_x} = 0``) and ``A*_k ∈ R^{d×p}``.  ``phi`` is
    a name in :data:`PHI_FUNCTIONS` (all smooth with ``phi(0) = 0``).  ``noise`` is the std of
    i.i.d. Gaussian label noise added by :meth:`sample` (0 = realizable, OPT = 0).

    Attributes: ``A_star [L-2, d, p]``, ``W_star [L-2, p, d_x]``, ``phi``, ``noise``.
    """

    A_star: torch.Tensor
    W_star: torch.Tensor
    phi: str = "tanh"
    noise: float = 0.0

    def __post_init__(self) -> None:
        validate_concept_class(self)

    # ---- shape properties ----
    @property
    def L(self) -> int:
        return int(self.A_star.shape[0]) + 2

    @property
    def d(self) -> int:
        return int(self.A_star.shape[1])

    @property
    def p(self) -> int:
        return int(self.A_star.shape[2])

    @property
    def d_x(self) -> int:
        return int(self.W_star.shape[2])

    @property
    def device(self) -> torch.device:
        return self.A_star.device

    @property
    def dtype(self) -> torch.dtype:
        return self.A_star.dtype

    @classmethod
    def random(
        cls,
        L: int,
        d_x: int,
        d: int,
        p: int,
        *,
        phi: str = "tanh",
        noise: float = 0.0,
        a_scale: float = 1.0,
        generator: torch.Generator | None = None,
        seed: int | None = None,
        device: str | torch.device | None = None,
        dtype: str | torch.dtype | None = None,
    ) -> "ConceptClass":
        """Random member: ``w*`` uniform on the unit sphere with last coordinate 0, ``A*`` i.i.d.
        ``N(0, a_scale^2/p)`` (CLAIMS.md (c), synthetic-task recipe [D]; paper
        allen-zhu-li-rnn-generalization-full.txt, Example 3.5).  Requires ``L >= 3``, ``d_x >= 3``.
        """
        L = _min_int("L", L, 3)
        d_x = _min_int("d_x", d_x, 3)
        d = check_positive_int("d", d)
        p = check_positive_int("p", p)
        a_scale = check_in_range("a_scale", a_scale, 0.0, None)
        dev, dt = resolve_device(device), resolve_dtype(dtype)
        gen = _rng(generator, seed)
        lags = L - 2
        w = _unit_rows(lags * p, d_x - 1, gen).reshape(lags, p, d_x - 1)
        W = torch.cat([w, torch.zeros(lags, p, 1, dtype=torch.float64, device=w.device)], dim=2)
        A = torch.randn(lags, d, p, generator=gen, dtype=torch.float64, device=gen.device)
        A = A * (a_scale / math.sqrt(p))
        return cls(_finish(A, dev, dt), _finish(W, dev, dt), phi=phi, noise=noise)

    def activation(self, z: torch.Tensor) -> torch.Tensor:
        """``phi`` applied elementwise."""
        return PHI_FUNCTIONS[self.phi](z)

    def targets(self, x_star: torch.Tensor) -> torch.Tensor:
        """Noise-free ``y* [N, L-2, d]`` with index 0 ↔ ``j = 3`` (eq. (3.1) / Example 3.5).

        Vectorised over samples and hidden units; one loop over the ``L-2`` lags: for lag
        ``k`` the term ``A*_k phi(W*_k x*_i)`` of position ``i`` (index ``i-2``) lands at
        ``j = i + k`` (index ``i - 2 + k - 1``).  ``x_star`` is ``[N, L-2, d_x]`` or ``[L-2, d_x]``.
        """
        x_star = check_tensor("x_star", x_star, ndim=(2, 3), last=self.d_x)
        single = x_star.ndim == 2
        xs = x_star.unsqueeze(0) if single else x_star
        if xs.shape[1] != self.L - 2:
            raise ValueError(f"x_star must have L-2={self.L - 2} positions, got shape {tuple(x_star.shape)}")
        xs = xs.to(device=self.device, dtype=self.dtype)
        N, T = xs.shape[0], self.L - 2
        y = torch.zeros(N, T, self.d, device=self.device, dtype=self.dtype)
        for kk in range(T):  # lag k = kk + 1; positions ii = 0..T-1-kk
            h = self.activation(xs[:, : T - kk, :] @ self.W_star[kk].T)  # [N, T-kk, p]
            y[:, kk:, :] += h @ self.A_star[kk].T  # [N, T-kk, d]
        return y[0] if single else y

    __call__ = targets

    def sample(
        self,
        N: int,
        *,
        generator: torch.Generator | None = None,
        seed: int | None = None,
        z_dist: str = "ball",
        device: str | torch.device | None = None,
        dtype: str | torch.dtype | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """``N`` i.i.d. samples ``(x* [N, L-2, d_x], y* [N, L-2, d])`` from the distribution D.

        ``x*`` from :func:`raw_tokens`, ``y* = F*(x*) + noise · N(0, I)`` (paper
        allen-zhu-li-rnn-generalization-full.txt, Sec. 3: Z is N i.i.d. samples from D).
        ``device``/``dtype`` default to the concept class's.
        """
        N = check_positive_int("N", N)
        dev = self.device if device is None else resolve_device(device)
        dt = self.dtype if dtype is None else resolve_dtype(dtype)
        gen = _rng(generator, seed)
        xs = raw_tokens(N, self.L, self.d_x, z_dist=z_dist, generator=gen, device=self.device, dtype=torch.float64)
        y = self.targets(xs.to(self.dtype)).to(torch.float64)
        if self.noise > 0:
            y = y + self.noise * torch.randn(
                y.shape, generator=gen, dtype=torch.float64, device=gen.device
            ).to(y.device)
        return _finish(xs, dev, dt), _finish(y, dev, dt)

    def noise_risk(self) -> float:
        """Population risk of ``F*`` itself under ``G(y, y*) = ||y - y*||_2`` (an OPT value):
        ``(L-2) · noise · E||N(0, I_d)||`` [D] (CLAIMS.md (c): G must be 1-Lipschitz)."""
        if self.noise == 0:
            return 0.0
        d = self.d
        chi_mean = math.sqrt(2.0) * math.exp(math.lgamma((d + 1) / 2.0) - math.lgamma(d / 2.0))
        return (self.L - 2) * self.noise * chi_mean


def validate_concept_class(cc: ConceptClass, *, atol: float | None = None) -> None:
    """Check a :class:`ConceptClass` against eq. (3.1) / Example 3.5 / Lemma 5.1.

    Paper: allen-zhu-li-rnn-generalization-full.txt, Sec. 3.2: ``w*`` unit vectors, ``Phi``
    smooth with ``Phi(0) = 0``; Lemma 5.1 needs ``[w*]_{d_x} = 0``.  Also checks shapes
    (``A_star [L-2, d, p]``, ``W_star [L-2, p, d_x]``, ``L >= 3``, ``d_x >= 3``) and
    ``noise >= 0``.  Raises ``ValueError``/``TypeError`` naming the field.
    """
    A = check_tensor("A_star", cc.A_star, ndim=3)
    W = check_tensor("W_star", cc.W_star, ndim=3)
    if A.shape[0] < 1 or A.shape[1] < 1 or A.shape[2] < 1:
        raise ValueError(f"A_star must have shape [L-2 >= 1, d >= 1, p >= 1], got {tuple(A.shape)}")
    if W.shape[0] != A.shape[0] or W.shape[1] != A.shape[2]:
        raise ValueError(
            f"W_star must have shape [L-2={A.shape[0]}, p={A.shape[2]}, d_x], got {tuple(W.shape)}"
        )
    if W.shape[2] < 3:
        raise ValueError(f"W_star: d_x must be >= 3, got {W.shape[2]}")
    if A.device != W.device or A.dtype != W.dtype:
        raise ValueError("A_star and W_star must share device and dtype")
    if not isinstance(cc.phi, str) or cc.phi not in PHI_FUNCTIONS:
        raise ValueError(f"phi must be one of {sorted(PHI_FUNCTIONS)}, got {cc.phi!r}")
    check_in_range("noise", cc.noise, 0.0, None)
    tol = _default_atol(W.dtype, atol)
    W64 = W.to(torch.float64)
    ne = float((W64.norm(dim=2) - 1.0).abs().max())
    if ne > tol:
        raise ValueError(f"W_star rows (w*) must be unit vectors (eq. 3.1): max deviation {ne:.3g}")
    le = float(W64[..., -1].abs().max())
    if le > tol:
        raise ValueError(f"W_star rows must have last coordinate 0 (Lemma 5.1): max |w*_d_x| = {le:.3g}")
    z0 = PHI_FUNCTIONS[cc.phi](torch.zeros(1, dtype=torch.float64))
    if float(z0.abs()) != 0.0:
        raise ValueError(f"phi={cc.phi!r} must satisfy phi(0) = 0")


# --------------------------------------------------------------------------------------
# Real data: scikit-learn digits (bundled, no download)
# --------------------------------------------------------------------------------------


def _load_digits_numpy():
    from sklearn.datasets import load_digits

    data = load_digits()
    return data.data, data.target


def _normalize_rows(X, radius: float, last: float, center: bool):
    import numpy as np

    X = X.astype(np.float64)
    if center:
        X = X - X.mean(axis=0, keepdims=True)
    nrm = np.linalg.norm(X, axis=1, keepdims=True)
    keep = nrm[:, 0] > 0
    X = X[keep] / nrm[keep] * radius
    X = np.concatenate([X, np.full((X.shape[0], 1), last)], axis=1)
    return X, keep


def digits_3_vs_8(
    *,
    mu: float = INV_SQRT2,
    center: bool = False,
    max_samples: int | None = None,
    dup_tol: float = 1e-12,
    device: str | torch.device | None = None,
    dtype: str | torch.dtype | None = None,
) -> tuple[torch.Tensor, torch.Tensor, dict[str, Any]]:
    """scikit-learn digits, classes 3 (label +1) vs 8 (label -1), in ZCZG form.

    Paper: zou-cao-zhou-gu-deep-relu-gd.txt, Assumption 4.1 (``||x|| = 1``, ``x_d = mu``) and
    Assumption 4.2 (cross-class separation ``phi``; reported, not imposed).  The 64 pixels
    (optionally centred by the mean image) are scaled to norm ``sqrt(1 - mu^2)`` and ``mu`` is
    appended, so ``d = 65``.  Cross-class pairs closer than ``dup_tol`` (exact duplicates up to
    scale) are removed, as are all-zero images.  ``max_samples`` keeps the first
    ``ceil(max/2)`` threes and ``floor(max/2)`` eights in dataset order (deterministic).

    Returns ``(x [n, 65], y [n] ∈ {±1} (float), info)`` with ``info = {"phi": achieved min
    cross-class distance, "n_removed": int, "counts": {+1: n3, -1: n8}, "mu": mu}``.
    """
    import numpy as np

    mu = check_in_range("mu", mu, 0.0, 1.0, low_open=True, high_open=True)
    dup_tol = check_in_range("dup_tol", dup_tol, 0.0, None)
    if max_samples is not None:
        max_samples = _min_int("max_samples", max_samples, 2)
    dev, dt = resolve_device(device), resolve_dtype(dtype)
    X, t = _load_digits_numpy()
    m = (t == 3) | (t == 8)
    X, t = X[m], t[m]
    y = np.where(t == 3, 1.0, -1.0)
    Xn, keep = _normalize_rows(X, math.sqrt(1.0 - mu * mu), mu, center)
    y = y[keep]
    removed = int((~keep).sum())
    from scipy.spatial.distance import cdist

    pos, neg = np.where(y > 0)[0], np.where(y < 0)[0]
    D = cdist(Xn[pos], Xn[neg])
    close = D <= dup_tol
    if close.any():
        drop = np.zeros(len(y), dtype=bool)
        drop[pos[close.any(axis=1)]] = True
        drop[neg[close.any(axis=0)]] = True
        removed += int(drop.sum())
        Xn, y = Xn[~drop], y[~drop]
    if max_samples is not None:
        pos, neg = np.where(y > 0)[0], np.where(y < 0)[0]
        sel = np.sort(np.concatenate([pos[: (max_samples + 1) // 2], neg[: max_samples // 2]]))
        Xn, y = Xn[sel], y[sel]
    pos, neg = y > 0, y < 0
    phi = float(cdist(Xn[pos], Xn[neg]).min()) if pos.any() and neg.any() else math.inf
    info = {"phi": phi, "n_removed": removed, "counts": {1: int(pos.sum()), -1: int(neg.sum())}, "mu": mu}
    return (
        torch.as_tensor(Xn, dtype=dt, device=dev),
        torch.as_tensor(y, dtype=dt, device=dev),
        info,
    )


def digits_regression(
    *,
    classes: Sequence[int] | None = None,
    d_out: int | None = None,
    target_scale: float = 1.0,
    last: float = INV_SQRT2,
    center: bool = False,
    max_samples: int | None = None,
    dup_tol: float = 1e-12,
    device: str | torch.device | None = None,
    dtype: str | torch.dtype | None = None,
) -> tuple[torch.Tensor, torch.Tensor, dict[str, Any]]:
    """scikit-learn digits as an AZLS-DNN ℓ2-regression task.

    Paper: allen-zhu-li-song-dnn-convergence.txt, Sec. 2 (``||x_i|| = 1``, ``(x_i)_d = 1/sqrt 2``,
    targets ``y*_i ∈ R^d``) and Assumption 2.1 (``delta``: reported, not imposed).  Pixels are
    scaled to norm ``sqrt(1 - last^2)`` and ``last`` appended (d = 65); targets are
    ``target_scale · e_{class index}`` in ``R^{d_out}`` (``d_out >= len(classes)``, default
    ``len(classes)``; set ``d_out=65`` to match the paper's output dim = input dim).  Exact
    duplicates (distance ``<= dup_tol``) are dropped: a later copy with the same label, or all
    copies when labels differ.  ``max_samples`` keeps the first rows in dataset order.

    Returns ``(x [n, 65], y [n, d_out], info)``, ``info = {"delta": min pairwise distance,
    "n_removed", "classes", "labels": LongTensor of digit classes}``.
    """
    import numpy as np

    last = check_in_range("last", last, -1.0, 1.0, low_open=True, high_open=True)
    target_scale = check_finite("target_scale", target_scale)
    dup_tol = check_in_range("dup_tol", dup_tol, 0.0, None)
    cls_list = list(range(10)) if classes is None else [int(c) for c in classes]
    if len(cls_list) < 1 or len(set(cls_list)) != len(cls_list) or any(c < 0 or c > 9 for c in cls_list):
        raise ValueError(f"classes must be distinct digits in 0..9, got {classes!r}")
    d_out = len(cls_list) if d_out is None else check_positive_int("d_out", d_out)
    if d_out < len(cls_list):
        raise ValueError(f"d_out must be >= number of classes ({len(cls_list)}), got {d_out}")
    if max_samples is not None:
        max_samples = check_positive_int("max_samples", max_samples)
    dev, dt = resolve_device(device), resolve_dtype(dtype)
    X, t = _load_digits_numpy()
    m = np.isin(t, cls_list)
    X, t = X[m], t[m]
    Xn, keep = _normalize_rows(X, math.sqrt(1.0 - last * last), last, center)
    t = t[keep]
    removed = int((~keep).sum())
    from scipy.spatial.distance import pdist, squareform

    D = squareform(pdist(Xn))
    iu = np.triu(D <= dup_tol, k=1)
    if iu.any():
        ii, jj = np.nonzero(iu)
        drop = np.zeros(len(t), dtype=bool)
        same = t[ii] == t[jj]
        drop[jj[same]] = True
        drop[ii[~same]] = True
        drop[jj[~same]] = True
        removed += int(drop.sum())
        Xn, t = Xn[~drop], t[~drop]
    if max_samples is not None:
        Xn, t = Xn[:max_samples], t[:max_samples]
    table = np.full(10, -1, dtype=np.int64)
    table[cls_list] = np.arange(len(cls_list))
    idx = table[t.astype(np.int64)]
    Y = np.zeros((len(t), d_out))
    Y[np.arange(len(t)), idx] = target_scale
    delta = float(pdist(Xn).min()) if len(t) > 1 else math.inf
    info = {"delta": delta, "n_removed": removed, "classes": cls_list, "labels": torch.as_tensor(t, dtype=torch.long)}
    return torch.as_tensor(Xn, dtype=dt, device=dev), torch.as_tensor(Y, dtype=dt, device=dev), info
