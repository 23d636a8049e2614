"""Weight perturbations inside spectral-norm balls (random, targeted, adversarial).

All functions take/return weight tensors with arbitrary leading batch dims
``[..., p, q]`` and use an explicit ``torch.Generator`` for any randomness.

* :func:`random_spectral` -- Gaussian direction with spectral norm exactly ``omega``.
* :func:`project_spectral_ball`, :func:`scale_to_spectral_ball` -- back into
  ``{||W'||_2 <= omega}`` (exact Frobenius projection / cheap rescaling).
* :func:`rank_one`, :func:`sparse_rank_one` -- rank-one perturbations.
* :func:`targeted_sign_flip` -- the adversarial rank-one construction of CLAIMS.md §0
  maximising the number of ReLU sign flips in one layer for one sample.
* :func:`pgd_spectral_ball` -- projected gradient ascent of any differentiable objective.
* :func:`maximize_spectral_balls` -- conditional-gradient (Frank-Wolfe) ascent with
  restarts over a product of spectral balls, batched (the sup of a "for all W'" claim).
* :func:`rerandomize_rows` -- fresh Gaussian rows (AZL-RNN Lemma E.1).
"""

from __future__ import annotations

from typing import Callable, NamedTuple, Sequence

import torch

from ._checks import check_in_range, check_nonneg_int, check_positive_int, resolve_device, resolve_dtype
from .linalg import _check_generator

__all__ = [
    "random_spectral",
    "project_spectral_ball",
    "scale_to_spectral_ball",
    "rank_one",
    "targeted_sign_flip",
    "pgd_spectral_ball",
    "maximize_spectral_balls",
    "BallSearch",
    "lowrank_spectral_lmo",
    "maximize_spectral_balls_factored",
    "rerandomize_rows",
    "sparse_rank_one",
]


def _omega(omega) -> float:
    return check_in_range("omega", omega, 0.0, None, low_open=True)


def _check_mat(name: str, W) -> torch.Tensor:
    if not isinstance(W, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(W).__name__}")
    if not W.is_floating_point():
        raise TypeError(f"{name} must be a floating-point tensor, got {W.dtype}")
    if W.ndim < 2:
        raise ValueError(f"{name} must have shape [..., p, q], got {tuple(W.shape)}")
    return W


def _shape(shape) -> tuple:
    try:
        shape = tuple(int(x) for x in shape)
    except TypeError:
        raise TypeError(f"shape must be a sequence of ints, got {shape!r}") from None
    if len(shape) < 2 or any(x < 1 for x in shape[-2:]) or any(x < 0 for x in shape):
        raise ValueError(f"shape must be (..., p, q) with p, q >= 1, got {shape}")
    return shape


# ------------------------------------------------------------------ random / projections


def random_spectral(shape, omega, *, generator: torch.Generator, device=None, dtype=None) -> torch.Tensor:
    """Gaussian ``[..., p, q]`` matrices rescaled to spectral norm exactly ``omega`` each.

    The norm is computed by batched Lanczos (:func:`ovpmodel.linalg.spectral_norm`,
    relative tolerance ``1e-10`` in float64 / ``~1e-6`` in float32; a few dozen
    matrix-vector products instead of a full SVD per matrix), so the result has
    spectral norm ``omega`` to that relative accuracy (never below it: the Lanczos
    estimate is a lower bound of the true norm, so it can only be slightly above).
    """
    shape = _shape(shape)
    omega = _omega(omega)
    dev = resolve_device(device)
    dt = resolve_dtype(dtype)
    gen = _check_generator(generator, dev)
    G = torch.randn(*shape, generator=gen, device=dev, dtype=dt)
    n = _fast_norm(G, gen)
    return G * (omega / n).unsqueeze(-1).unsqueeze(-1)


def _fast_norm(M: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Spectral norms of ``[..., p, q]`` matrices by batched Lanczos (SVD for tiny ones)."""
    if min(M.shape[-2:]) <= 32:
        return torch.linalg.matrix_norm(M, ord=2)
    from .linalg import spectral_norm
    return spectral_norm(M, tol=1e-10, generator=generator)


def project_spectral_ball(Wp: torch.Tensor, omega) -> torch.Tensor:
    """Frobenius-nearest point of ``{||W'||_2 <= omega}`` for each ``[..., p, q]`` matrix.

    Method: thin SVD ``W' = U S V^T`` and clip ``S`` at ``omega (1 - 16 eps)`` (the tiny
    shrink keeps the *computed* norm <= omega despite rounding).  Matrices already
    inside the ball are returned unchanged (bit-for-bit).  Cost: one batched SVD,
    ``O(p q min(p, q))`` per matrix (~0.1 s for 1024^2 in float64 on a CPU core); use
    :func:`scale_to_spectral_ball` when a non-optimal but cheap retraction suffices.
    """
    Wp = _check_mat("Wp", Wp)
    omega = _omega(omega)
    U, S, Vh = torch.linalg.svd(Wp, full_matrices=False)
    lim = omega * (1 - 16 * torch.finfo(Wp.dtype).eps)
    Sc = S.clamp(max=lim)
    proj = (U * Sc.unsqueeze(-2)) @ Vh
    inside = (S[..., 0] <= omega).unsqueeze(-1).unsqueeze(-1)
    return torch.where(inside, Wp, proj)


def scale_to_spectral_ball(Wp: torch.Tensor, omega) -> torch.Tensor:
    """Rescale each ``[..., p, q]`` matrix by ``min(1, omega/||W'||_2)`` (cheap retraction).

    Not the Euclidean projection (that is :func:`project_spectral_ball`), but it keeps
    the direction.  Cost: one ``matrix_norm(ord=2)`` per matrix.  Unchanged if inside.
    """
    Wp = _check_mat("Wp", Wp)
    omega = _omega(omega)
    n = torch.linalg.matrix_norm(Wp, ord=2)
    f = torch.where(n > omega, omega * (1 - 4 * torch.finfo(Wp.dtype).eps) / torch.where(n > 0, n, 1.0), 1.0)
    return Wp * f.unsqueeze(-1).unsqueeze(-1).to(Wp.dtype)


def rank_one(u: torch.Tensor, v: torch.Tensor, omega) -> torch.Tensor:
    """``omega * u v^T / (||u|| ||v||)``; ``u [..., p]``, ``v [..., q]`` -> ``[..., p, q]``.

    Spectral norm exactly ``omega`` (up to rounding).  Leading dims broadcast.
    """
    for name, x in (("u", u), ("v", v)):
        if not isinstance(x, torch.Tensor) or not x.is_floating_point() or x.ndim < 1:
            raise TypeError(f"{name} must be a floating tensor [..., dim]")
    omega = _omega(omega)
    nu = torch.linalg.vector_norm(u, dim=-1, keepdim=True)
    nv = torch.linalg.vector_norm(v, dim=-1, keepdim=True)
    if bool((nu == 0).any()):
        raise ValueError("u must be non-zero (some u has norm 0)")
    if bool((nv == 0).any()):
        raise ValueError("v must be non-zero (some v has norm 0)")
    return omega * (u / nu).unsqueeze(-1) * (v / nv).unsqueeze(-2)


def sparse_rank_one(
    m: int,
    s: int,
    omega,
    *,
    generator: torch.Generator,
    n: int | None = None,
    batch_shape=(),
    device=None,
    dtype=None,
    return_factors: bool = False,
):
    """Random rank-one ``omega u v^T`` of shape ``[*batch_shape, m, n]`` (``n`` defaults to ``m``).

    ``u`` is a unit vector with exactly ``s`` nonzero Gaussian entries on a uniformly
    random support (per batch member), ``v`` a uniform unit vector in ``R^n``.  With
    ``return_factors`` returns ``(W, u, v)``.
    """
    m = check_positive_int("m", m)
    s = check_positive_int("s", s)
    if s > m:
        raise ValueError(f"s must be <= m = {m}, got {s}")
    n = m if n is None else check_positive_int("n", n)
    omega = _omega(omega)
    batch_shape = tuple(check_nonneg_int("batch_shape entry", b) for b in batch_shape)
    dev = resolve_device(device)
    dt = resolve_dtype(dtype)
    gen = _check_generator(generator, dev)
    keys = torch.rand(*batch_shape, m, generator=gen, device=dev)
    idx = keys.topk(s, dim=-1).indices
    vals = torch.randn(*batch_shape, s, generator=gen, device=dev, dtype=dt)
    u = torch.zeros(*batch_shape, m, device=dev, dtype=dt).scatter_(-1, idx, vals)
    v = torch.randn(*batch_shape, n, generator=gen, device=dev, dtype=dt)
    u = u / torch.linalg.vector_norm(u, dim=-1, keepdim=True)
    v = v / torch.linalg.vector_norm(v, dim=-1, keepdim=True)
    W = omega * u.unsqueeze(-1) * v.unsqueeze(-2)
    return (W, u, v) if return_factors else W


# ------------------------------------------------------------------ targeted construction


def targeted_sign_flip(g: torch.Tensor, h_prev: torch.Tensor, omega, *, s: int | None = None, margin: float = 1e-3):
    """Adversarial rank-one ``W' = omega y v^T`` flipping as many signs of ``g`` as possible.

    One layer, one sample, batched: ``g [*batch, m]`` are the layer's pre-activations
    and ``h_prev [*batch, m_in]`` its input (leading dims broadcast).  With
    ``v = h_prev/||h_prev||`` we get ``W' h_prev = omega ||h_prev|| y``, so coordinate k
    flips iff ``omega ||h|| |y_k| > |g_k|`` (``y_k`` of sign ``-sign(g_k)``).
    Construction (CLAIMS.md §0): sort ``|g|`` ascending; flipping the t smallest needs
    ``sum_{k<=t} c_k^2 <= 1`` with ``c_k = |g_k| (1 + margin) / (omega ||h||)``; take the
    largest such t (cumsum of squares), set ``y_k = -sign(g_k) c_k`` there and spend the
    leftover norm proportionally on them (``||y|| = 1``; every flipped coordinate ends at
    least ``margin |g_k|`` past zero).  With ``s`` given, ``y`` lives on exactly the ``s``
    smallest ``|g|`` coordinates: the feasible prefix t <= s gets ``c_k`` and the leftover
    is spread proportionally over the remaining s - t, capped at ``(1 - margin)`` of
    what would flip them (so they do not flip; ``||y||`` may then be < 1).  If not
    even the smallest coordinate can flip, all norm goes on it (designed count 0).

    Returns ``(W' [*batch, m, m_in], n_flip [*batch] int64)``: ``||W'||_2 <= omega`` (equal
    up to rounding unless the capped case above) and and exactly ``n_flip`` signs of ``g + W' h_prev`` differ from those of ``g``
    (use float64: in float32 the margin can be below the rounding of ``W h``).  Exact
    zeros of ``g`` are not counted as flips.  Expect ``n_flip ~ (3 omega^2/pi)^{1/3} m``
    for ``g`` of i.i.d. N(0, 2/m)-like scale (CALIBRATION.md).
    """
    for name, x in (("g", g), ("h_prev", h_prev)):
        if not isinstance(x, torch.Tensor) or not x.is_floating_point() or x.ndim < 1:
            raise TypeError(f"{name} must be a floating tensor [*batch, dim]")
    omega = _omega(omega)
    margin = check_in_range("margin", margin, 0.0, 0.5, low_open=True)
    m = g.shape[-1]
    if s is not None:
        s = check_positive_int("s", s)
        if s > m:
            raise ValueError(f"s must be <= m = {m} (the length of g), got {s}")
    try:
        batch = torch.broadcast_shapes(g.shape[:-1], h_prev.shape[:-1])
    except RuntimeError:
        raise ValueError(f"g and h_prev batch shapes do not broadcast: {tuple(g.shape)} vs {tuple(h_prev.shape)}") from None
    g = g.expand(*batch, m)
    h_prev = h_prev.expand(*batch, h_prev.shape[-1])
    hn = torch.linalg.vector_norm(h_prev, dim=-1, keepdim=True)
    if bool((hn == 0).any()):
        raise ValueError("h_prev must be non-zero (some h_prev has norm 0)")
    v = h_prev / hn
    a, order = g.abs().sort(dim=-1)
    c = a * (1 + margin) / (omega * hn)  # [*batch, m] needed |y_k|, ascending
    csum = (c * c).cumsum(-1)
    t = (csum <= 1).sum(-1)  # feasible prefix length
    S = torch.full_like(t, s) if s is not None else t.clamp_min(1)
    t = torch.minimum(t, S)
    ar = torch.arange(m, device=g.device)
    in_t = ar < t.unsqueeze(-1)
    in_S = ar < S.unsqueeze(-1)
    rest = in_S & ~in_t
    used = torch.where(in_t, c * c, 0).sum(-1, keepdim=True)
    left = (1 - used).clamp_min(0)
    c0 = a / (omega * hn)  # raw need (no margin)
    rest_sq = torch.where(rest, c0 * c0, 0).sum(-1, keepdim=True)
    has_rest = (S > t).unsqueeze(-1)
    tiny = torch.finfo(g.dtype).tiny
    # case S == t: scale the flipped ones up to unit norm (only increases |y_k|)
    up = torch.where(used > 0, 1 / used.clamp_min(tiny).sqrt(), torch.ones_like(used))
    # case S > t: leftover on the rest, proportional to c0 but capped at (1 - margin) c0 so
    # that none of them flips (then ||y|| may fall short of 1: W' is strictly inside the ball)
    cr = torch.where(rest_sq > 0, (left / rest_sq.clamp_min(tiny)).sqrt(), torch.zeros_like(rest_sq))
    cr = cr.clamp(max=1 - margin)
    mag = torch.where(
        has_rest,
        torch.where(in_t, c, torch.where(rest, c0 * cr, 0)),
        torch.where(in_t, c * up, 0),
    )
    # degenerate: all chosen coordinates have g == 0 -> put the norm uniformly on them
    nrm = torch.linalg.vector_norm(mag, dim=-1, keepdim=True)
    unif = in_S.to(g.dtype) / S.unsqueeze(-1).to(g.dtype).sqrt()
    mag = torch.where(nrm > 0, mag, unif)
    gs = torch.gather(g, -1, order)
    sgn = torch.where(gs > 0, -1.0, 1.0).to(g.dtype)
    y = torch.zeros_like(g).scatter_(-1, order, sgn * mag)
    n_flip = (in_t & (a > 0)).sum(-1)
    Wp = omega * y.unsqueeze(-1) * v.unsqueeze(-2)
    return Wp, n_flip


# ------------------------------------------------------------------ PGD


def pgd_spectral_ball(
    objective: Callable,
    W_init,
    omega,
    *,
    steps: int,
    lr: float = 0.1,
    generator: torch.Generator | None = None,
    normalize: str = "frobenius",
    noise: float = 0.0,
):
    """Projected gradient ASCENT of ``objective`` over ``{||W'||_2 <= omega}`` per matrix.

    ``W_init`` is a tensor ``[*batch, p, q]`` or a list of such tensors (one per layer,
    same ``*batch``); ``objective(W')`` (same structure) returns ``[*batch]`` values
    (differentiable; summed for backward).  Each step:
    ``W' <- Proj(W' + lr * omega * G / ||G||)`` where ``G`` is the gradient of that
    matrix and ``||G||`` its Frobenius (``normalize="frobenius"``) or spectral
    (``"spectral"``) norm; ``Proj`` is :func:`project_spectral_ball` (SVD clip).  With
    ``noise > 0`` a Gaussian direction of relative size ``noise`` (from ``generator``)
    is added to every step.  ``W_init`` is projected first.  Returns the BEST iterate
    seen per batch member (not the last) and its value: ``(W_best, value [*batch])``.
    Cost: ``steps`` objective+backward evaluations plus ``steps`` batched SVDs.
    """
    if not callable(objective):
        raise TypeError("objective must be callable")
    single = isinstance(W_init, torch.Tensor)
    Ws = [W_init] if single else list(W_init) if isinstance(W_init, (list, tuple)) else None
    if Ws is None or len(Ws) == 0:
        raise TypeError("W_init must be a tensor [*batch, p, q] or a non-empty list of them")
    for i, W in enumerate(Ws):
        _check_mat(f"W_init[{i}]" if not single else "W_init", W)
    omega = _omega(omega)
    steps = check_nonneg_int("steps", steps)
    lr = check_in_range("lr", lr, 0.0, None, low_open=True)
    noise = check_in_range("noise", noise, 0.0, None)
    if normalize not in ("frobenius", "spectral"):
        raise ValueError(f"normalize must be 'frobenius' or 'spectral', got {normalize!r}")
    if noise > 0:
        _check_generator(generator, Ws[0].device)

    Ws = [project_spectral_ball(W.detach(), omega) for W in Ws]

    def evaluate(cur):
        xs = [w.detach().requires_grad_(True) for w in cur]
        with torch.enable_grad():
            val = objective(xs[0] if single else xs)
            if not isinstance(val, torch.Tensor):
                raise TypeError("objective must return a tensor [*batch]")
            if val.shape != Ws[0].shape[:-2]:
                raise ValueError(
                    f"objective must return shape {tuple(Ws[0].shape[:-2])} (the batch shape of W'), got {tuple(val.shape)}"
                )
            grads = torch.autograd.grad(val.sum(), xs, allow_unused=True)
        grads = [torch.zeros_like(x) if gr is None else gr for x, gr in zip(xs, grads)]
        return val.detach(), grads

    best = [W.clone() for W in Ws]
    val, grads = evaluate(Ws)
    best_val = val.clone()
    for _ in range(steps):
        new = []
        for W, G in zip(Ws, grads):
            if normalize == "frobenius":
                gn = torch.linalg.matrix_norm(G, ord="fro")
            else:
                gn = torch.linalg.matrix_norm(G, ord=2)
            step = G / torch.where(gn > 0, gn, 1.0).unsqueeze(-1).unsqueeze(-1)
            if noise > 0:
                z = torch.randn(W.shape, generator=generator, device=W.device, dtype=W.dtype)
                step = step + noise * z / torch.linalg.matrix_norm(z, ord="fro").unsqueeze(-1).unsqueeze(-1)
            new.append(project_spectral_ball(W + lr * omega * step, omega))
        Ws = new
        val, grads = evaluate(Ws)
        better = val > best_val
        best_val = torch.where(better, val, best_val)
        bm = better.unsqueeze(-1).unsqueeze(-1)
        best = [torch.where(bm, W, B) for W, B in zip(Ws, best)]
    return (best[0] if single else best), best_val


# ------------------------------------------------------------------ Frank-Wolfe search


class BallSearch(NamedTuple):
    """Result of :func:`maximize_spectral_balls`: the best ``W`` found per batch member,
    its ``value [*batch]``, the best value of every restart ``restart_values [R, *batch]``
    and the number of ascent ``steps_taken [R]`` per restart (early stop: no batch member improved)."""

    W: torch.Tensor
    value: torch.Tensor
    restart_values: torch.Tensor
    steps_taken: torch.Tensor


def _top_singular(G: torch.Tensor, k: int, power_iters: int, generator: torch.Generator):
    """Top-``k`` singular triplets of ``G [*b, p, q]`` by randomized subspace iteration
    (range finder with ``power_iters`` power steps, then an SVD of the ``k x q`` sketch).
    Exact, up to rounding, when ``rank G <= k``."""
    k = min(k, *G.shape[-2:])
    Om = torch.randn(*G.shape[:-2], G.shape[-1], k, generator=generator, device=G.device, dtype=G.dtype)
    Q = torch.linalg.qr(G @ Om).Q
    for _ in range(power_iters):
        Q = torch.linalg.qr(G @ torch.linalg.qr(G.mT @ Q).Q).Q
    Ub, S, Vh = torch.linalg.svd(Q.mT @ G, full_matrices=False)
    return Q @ Ub, S, Vh


def _spectral_lmo(G: torch.Tensor, W: torch.Tensor, omega: float, rank, power_iters: int, generator) -> torch.Tensor:
    """``argmax_{||S||_2 <= omega} <G, S>`` per matrix: ``omega U V^T`` over the singular pairs
    of ``G`` with ``sigma_i > 1e-10 sigma_1`` (all of them, or the top ``rank``); ``W`` where ``G = 0``."""
    if rank is None:
        U, S, Vh = torch.linalg.svd(G, full_matrices=False)
    else:
        U, S, Vh = _top_singular(G, rank, power_iters, generator)
    keep = (S > 1e-10 * S[..., :1]).to(G.dtype)
    atom = omega * (U * keep.unsqueeze(-2)) @ Vh
    return torch.where((S[..., 0] > 0).unsqueeze(-1).unsqueeze(-1), atom, W)


def maximize_spectral_balls(
    objective: Callable,
    shape,
    omega,
    *,
    generators: Sequence[torch.Generator],
    inits: Sequence[torch.Tensor] = (),
    steps: int = 4,
    gammas: Sequence[float] = (1.0, 0.5, 0.25, 0.0625),
    lmo_rank: int | None = None,
    power_iters: int = 1,
    device=None,
    dtype=None,
) -> BallSearch:
    """Maximise ``objective(W')`` over the product of spectral balls ``{||W'_j||_2 <= omega}``
    by conditional-gradient (Frank-Wolfe) ascent with restarts, batched.

    ``W'`` has ``shape = (*batch, *balls, p, q)``; ``objective(W')`` returns ``[*batch]``
    (differentiable; the length of ``batch`` is read off the returned value, whose shape
    must be a prefix of ``shape[:-2]``); every ``p x q`` matrix indexed by ``balls`` is a
    separate ball of radius ``omega`` (e.g. ``[K, L, m, m]`` layer perturbations of K
    trials with ``max_l ||W'_l||_2 <= omega``, the norm of AZLS-DNN Theorem 4,
    ``allen-zhu-li-song-dnn-convergence.txt``).

    Step (per restart): gradient ``G`` at ``W'``; linear maximisation oracle
    ``S = argmax_{||S_j||_2 <= omega} <G, S> = omega U V^T`` per matrix (the polar factor of
    ``G_j``; the maximum is ``omega ||G_j||_*``.  NB: ``omega u_1 v_1^T`` from the top
    singular pair alone is the oracle of the NUCLEAR-norm ball; it coincides with this one
    only for rank-one ``G``); then ``W' <- W' + gamma (S - W')`` with the ``gamma`` of
    ``gammas`` that gives the largest value per batch member, or no move if none improves
    (monotone ascent, ``W'`` stays in the convex ball).  ``lmo_rank=None`` uses a full SVD
    (``O(p q min(p, q))`` per matrix); ``lmo_rank=k`` the top-k singular pairs by randomized
    subspace iteration (``power_iters`` power steps) -- the exact oracle when ``rank G_j <= k``
    (a loss over n samples has per-layer gradients of rank ``<= n``), an ascent direction
    inside the ball otherwise; ``k = 1`` is ``omega u_1 v_1^T``.  A restart stops early once no
    batch member improved.

    Restarts: one per generator.  Restart ``j < len(inits)`` starts at ``inits[j]`` (a tensor
    of ``shape`` inside the balls; not checked or projected), the others at an independent
    random rank-one ``omega u v^T`` per matrix (``u, v`` Gaussian from ``generators[j]``);
    restart j's randomized oracle also draws from ``generators[j]``, so the result is a
    deterministic function of the generators' seeds.

    Returns a :class:`BallSearch` (best iterate per batch member over all restarts and
    steps).  Cost per restart: ``steps`` objective+backward evaluations, ``steps *
    len(gammas)`` objective evaluations without gradient, ``steps`` oracles.
    """
    if not callable(objective):
        raise TypeError("objective must be callable")
    shape = _shape(shape)
    omega = _omega(omega)
    steps = check_nonneg_int("steps", steps)
    power_iters = check_nonneg_int("power_iters", power_iters)
    if lmo_rank is not None:
        lmo_rank = check_positive_int("lmo_rank", lmo_rank)
    gammas = tuple(float(g) for g in gammas)
    if not gammas or any(not 0.0 < g <= 1.0 for g in gammas):
        raise ValueError(f"gammas must be a non-empty sequence of step sizes in (0, 1], got {gammas}")
    gens = list(generators)
    inits = list(inits)
    if not gens:
        raise ValueError("generators must hold at least one torch.Generator (one per restart)")
    if len(inits) > len(gens):
        raise ValueError(f"got {len(inits)} inits but only {len(gens)} generators (one per restart)")
    dev = resolve_device(device)
    dt = resolve_dtype(dtype)
    gens = [_check_generator(g, dev) for g in gens]
    for i, W in enumerate(inits):
        _check_mat(f"inits[{i}]", W)
        if tuple(W.shape) != shape:
            raise ValueError(f"inits[{i}] must have shape {shape}, got {tuple(W.shape)}")

    def value(W, grad):
        if not grad:
            with torch.no_grad():
                v = objective(W)
        else:
            X = W.detach().requires_grad_(True)
            with torch.enable_grad():
                v = objective(X)
                if not isinstance(v, torch.Tensor) or not v.requires_grad:
                    raise TypeError("objective must return a differentiable tensor [*batch]")
                (G,) = torch.autograd.grad(v.sum(), X)
        if not isinstance(v, torch.Tensor) or tuple(v.shape) != shape[:v.ndim] or v.ndim > len(shape) - 2:
            raise ValueError(f"objective must return shape [*batch], a prefix of {shape[:-2]}, got "
                             f"{tuple(getattr(v, 'shape', ()))}")
        return (v.detach(), G) if grad else v

    def bcast(mask, W):
        return mask.reshape(tuple(mask.shape) + (1,) * (W.ndim - mask.ndim))

    best_W = best_v = None
    per_restart, taken = [], []
    for j, gen in enumerate(gens):
        if j < len(inits):
            W = inits[j].detach().to(device=dev, dtype=dt).clone()
        else:
            u = torch.randn(*shape[:-1], generator=gen, device=dev, dtype=dt)
            v = torch.randn(*shape[:-2], shape[-1], generator=gen, device=dev, dtype=dt)
            W = rank_one(u, v, omega)
        val, G = value(W, True)
        t = 0
        while t < steps:
            D = _spectral_lmo(G, W, omega, lmo_rank, power_iters, gen) - W
            best_g = torch.zeros_like(val)
            cur = val
            for g in gammas:
                vc = value(torch.add(W, D, alpha=g), False)
                better = vc > cur
                cur = torch.where(better, vc, cur)
                best_g = torch.where(better, torch.full_like(best_g, g), best_g)
            t += 1
            if not bool((best_g > 0).any()):
                break
            W = W + bcast(best_g, W) * D
            if t < steps:
                val, G = value(W, True)
            else:
                val = cur
        per_restart.append(val)
        taken.append(t)
        if best_W is None:
            best_W, best_v = W, val
        else:
            better = val > best_v
            best_W = torch.where(bcast(better, W), W, best_W)
            best_v = torch.where(better, val, best_v)
    return BallSearch(best_W, best_v, torch.stack(per_restart), torch.tensor(taken))


def lowrank_spectral_lmo(X: torch.Tensor, Y: torch.Tensor, omega):
    """The oracle of :func:`maximize_spectral_balls` for a gradient given in factors, ``G = X Y^T``
    (``X [..., p, k]``, ``Y [..., q, k]``): ``argmax_{||S||_2 <= omega} <G, S> = omega U V^T`` over
    the singular pairs of ``G`` with ``sigma_i > 1e-10 sigma_1``, exact from thin QRs of ``X`` and
    ``Y`` and an SVD of the ``k x k`` core ``R_X R_Y^T`` (``O((p + q) k^2)``, no ``p x q`` matrix).

    Returns ``(omega U [..., p, k], V [..., q, k], zero [...])``: ``S = (omega U) V^T`` with the
    dropped pairs as zero columns of the first factor, and ``zero`` true where ``G = 0`` (the
    dense oracle keeps ``W'`` there; callers of the factored search leave that ball unmoved)."""
    omega = _omega(omega)
    Qx, Rx = torch.linalg.qr(X)
    Qy, Ry = torch.linalg.qr(Y)
    Uc, S, Vch = torch.linalg.svd(Rx @ Ry.mT)
    keep = (S > 1e-10 * S[..., :1]).to(X.dtype)
    return omega * (Qx @ Uc) * keep.unsqueeze(-2), Qy @ Vch.mT, S[..., 0] <= 0


def maximize_spectral_balls_factored(
    value: Callable,
    gradient: Callable,
    starts: Sequence,
    omega,
    *,
    steps: int,
    gammas: Sequence[float] = (1.0, 0.5, 0.25, 0.0625),
):
    """:func:`maximize_spectral_balls` with every iterate in FACTORED form: ``W'_l = A_l B_l^T``.

    For objectives whose gradient in each ``W'_l`` is a low-rank product ``X_l Y_l^T`` (a loss
    over n samples of a layer ``g = h W``: ``X = h^T``, ``Y = adj(g)^T``), so that no dense
    ``p x q`` iterate, gradient or SVD is formed; the oracle is exact
    (:func:`lowrank_spectral_lmo`).  Same rule as the dense search: per step, per trial, the
    ``gamma`` of ``gammas`` giving the largest value (first in order on ties; no move if none
    improves) in ``W' <- (1 - gamma) W' + gamma S``; a restart stops early once no trial improved;
    the best over restarts per trial.  The rank grows by ``k_l`` per step.

    ``value(fac) -> [K]``: the exact objective (maximised; compared in line search, restarts and
    result) at ``fac = ((A_1, B_1), ..., (A_L, B_L))`` with ``A_l [K, p_l, r]``, ``B_l [K, q_l, r]``.
    ``gradient(fac, j) -> [(X_l, Y_l), ...]``: the gradient of the steering objective (the exact
    one or a smooth surrogate) at ``fac`` in restart ``j``.  ``starts``: one factor tuple per
    restart, inside the balls of radius ``omega`` (not checked).

    Returns ``(value [K], factors, restart_values [R, K])``.
    """
    omega = _omega(omega)
    steps = check_nonneg_int("steps", steps)
    gammas = tuple(float(g) for g in gammas)
    if not gammas or any(not 0.0 < g <= 1.0 for g in gammas):
        raise ValueError(f"gammas must be a non-empty sequence of step sizes in (0, 1], got {gammas}")
    starts = list(starts)
    if not starts:
        raise ValueError("starts must hold at least one factor tuple (one per restart)")

    def combine(fac, atoms, g):
        K = g.shape[0]
        res = []
        for (A, B), (U, V, zero) in zip(fac, atoms):
            gl = torch.where(zero, torch.zeros_like(g), g).view(K, 1, 1)
            res.append((torch.cat([A * (1 - gl), U * gl], -1), torch.cat([B, V], -1)))
        return tuple(res)

    best_fac = best_v = None
    per_restart = []
    for j, fac in enumerate(starts):
        fac = tuple(fac)
        val = value(fac)
        for _ in range(steps):
            atoms = [lowrank_spectral_lmo(X, Y, omega) for X, Y in gradient(fac, j)]
            best_g, cur = torch.zeros_like(val), val
            for g in gammas:
                vc = value(combine(fac, atoms, torch.full_like(val, g)))
                better = vc > cur
                cur = torch.where(better, vc, cur)
                best_g = torch.where(better, torch.full_like(best_g, g), best_g)
            if not bool((best_g > 0).any()):
                break
            fac = combine(fac, atoms, best_g)
            val = cur
        per_restart.append(val)
        if best_fac is None:
            best_fac, best_v = fac, val
        else:
            better = (val > best_v).view(-1, 1, 1)
            merged = []
            for (A, B), (A2, B2) in zip(best_fac, fac):
                r = max(A.shape[-1], A2.shape[-1])
                A, B, A2, B2 = (torch.nn.functional.pad(z, (0, r - z.shape[-1])) for z in (A, B, A2, B2))
                merged.append((torch.where(better, A2, A), torch.where(better, B2, B)))
            best_fac, best_v = tuple(merged), torch.maximum(val, best_v)
    return best_v, best_fac, torch.stack(per_restart)


# ------------------------------------------------------------------ re-randomisation


def rerandomize_rows(W: torch.Tensor, rows_mask: torch.Tensor, *, std, generator: torch.Generator) -> torch.Tensor:
    """Copy of ``W [*batch, p, q]`` whose rows selected by ``rows_mask`` (bool
    ``[*batch, p]``, broadcastable) are replaced by fresh i.i.d. ``N(0, std^2)`` entries
    (AZL-RNN Lemma E.1: resampling the rows of the flipped/selected neurons).
    Other rows are copied unchanged.
    """
    W = _check_mat("W", W)
    if not isinstance(rows_mask, torch.Tensor) or rows_mask.dtype != torch.bool:
        raise TypeError("rows_mask must be a bool tensor [*batch, p]")
    if rows_mask.ndim < 1 or rows_mask.shape[-1] != W.shape[-2]:
        raise ValueError(f"rows_mask must have shape [*batch, {W.shape[-2]}], got {tuple(rows_mask.shape)}")
    try:
        torch.broadcast_shapes(rows_mask.shape, W.shape[:-1])
    except RuntimeError:
        raise ValueError(f"rows_mask shape {tuple(rows_mask.shape)} does not broadcast with W rows {tuple(W.shape[:-1])}") from None
    std = check_in_range("std", std, 0.0, None)
    gen = _check_generator(generator, W.device)
    fresh = torch.randn(W.shape, generator=gen, device=W.device, dtype=W.dtype) * std
    return torch.where(rows_mask.unsqueeze(-1), fresh, W)
