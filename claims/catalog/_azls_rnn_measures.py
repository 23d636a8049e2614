"""Measures for the AZLS-RNN catalog (``azls_rnn.py``).

Paper: ``allen-zhu-li-song-rnn-convergence.txt`` (Allen-Zhu, Li, Song, *On the
Convergence Rate of Training Recurrent Neural Networks*), setting F2 of
``CLAIMS.md`` (a.1): Elman ReLU RNN ``h_{i,0} = 0``, ``g_{i,l} = W h_{i,l-1} + A x_{i,l}``,
``h = phi(g)``, ``y = B h``; ``W, A ~ N(0, 2/m)``, ``B ~ N(0, 1/d)``; only W trained;
``f(W) = sum_i 1/2 sum_{l>=2} ||B h_{i,l} - y*_{i,l}||^2``.

Every measure takes ``(point, ctx)``, builds its networks with generators from
``ctx`` (network, data and adversary on separate sub-streams), batches over the
``K = ctx.trials`` trials and returns one number per trial (for ``forall``
claims: the worst case the adversary found; the random-perturbation value is in
``extras["random"]``).  This module is private (its name starts with ``_`` so the
catalog loader does not import it as a catalog module).
"""

from __future__ import annotations

import math

import torch

from ovpmodel import ElmanRNN
from ovpmodel import data as _data
from ovpmodel import linalg as _la
from ovpmodel import perturb as _pt
from ovpmodel.linalg import Diag, ProductOperator

from claims import Measurement

from ._cache import LRUCache

PAPER = "allen-zhu-li-song-rnn-convergence.txt"


# ----------------------------------------------------------------------------- builders


def make_net(point, ctx, dtype=None) -> ElmanRNN:
    """The Elman RNN of Def. 2.3 with ``K`` trials (sub-stream ``"net"``)."""
    return ElmanRNN(int(point["m"]), int(point.get("d_x", 4)), int(point.get("d", 1)), trials=ctx.trials,
                    generator=ctx.generator("net"), device=ctx.device, dtype=dtype or ctx.dtype)


def make_data(point, ctx, dtype=None, *, shared_tail=None, rest_norm=None, close_delta=None) -> torch.Tensor:
    """Sequences ``[n, L, d_x]`` satisfying Sec. 2.1 (``||x_{i,1}|| = 1``, last coordinate
    ``1/sqrt 2``, ``||x_{i,l}|| <= 1``).  ``close_delta``: first tokens from
    ``data.close_pair_inputs`` so that the pair (0, 1) is at distance exactly ``delta``
    (the minimum of Assumption 2.1 is attained)."""
    n, L, d_x = int(point.get("n", 2)), int(point["L"]), int(point.get("d_x", 4))
    st = bool(point.get("shared_tail", False)) if shared_tail is None else shared_tail
    rn = float(point.get("rest_norm", 1.0)) if rest_norm is None else rest_norm
    dt = dtype or ctx.dtype
    gen = ctx.generator("data")
    x = _data.rnn_sequences(n, L, d_x, rest_norm=rn, shared_tail=st, generator=gen, device=ctx.device,
                            dtype=torch.float64)
    if close_delta is not None:
        first = _data.close_pair_inputs(n, d_x, float(close_delta), generator=gen, device=ctx.device,
                                        dtype=torch.float64)
        x = x.clone()
        x[:, 0, :] = first
    return x.to(dt)


def random_targets(net: ElmanRNN, n: int, L: int, ctx, scale: float = 1.0) -> torch.Tensor:
    """Arbitrary targets ``y* [K, n, L, d]`` with i.i.d. ``N(0, scale^2)`` entries (sub-stream ``"y"``)."""
    g = ctx.generator("y")
    return scale * torch.randn(net.trials, n, L, net.d, generator=g, device=net.device, dtype=net.dtype)


def random_perturbation(net: ElmanRNN, radius: float, ctx, offset="pert") -> torch.Tensor:
    """Gaussian ``W' [K, m, m]`` rescaled to ``||W'||_2 = radius`` (spectral norm by batched
    Lanczos, not a full SVD: ``perturb.random_spectral`` takes ~40 s at
    K=16, m=1024 on 2 cores)."""
    m = net.m
    G = torch.randn(net.trials, m, m, generator=ctx.generator(offset), device=net.device, dtype=net.dtype)
    # Lanczos (tol 1e-2, <= 20 steps) under-estimates sigma_max by < ~1.2% on these
    # matrices (measured); the 3% inflation keeps ||W'||_2 <= radius (W' is in the ball).
    nrm = _la.spectral_norm(G, tol=1e-2, max_iter=20, generator=ctx.generator((offset, "norm"))) * 1.03
    return G * (radius / nrm).reshape(-1, 1, 1)


def rel_err(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Per-trial relative Frobenius error ``||a - b|| / max(||b||, tiny)`` of ``[K, ...]`` tensors."""
    K = a.shape[0]
    num = (a - b).reshape(K, -1).norm(dim=1)
    den = b.reshape(K, -1).norm(dim=1).clamp_min(torch.finfo(b.dtype).tiny)
    return num / den


# ----------------------------------------------------------------------------- Fact 2.5


def grad_triple_sum(net: ElmanRNN, x, y, W) -> torch.Tensor:
    """Fact 2.5 evaluated LITERALLY as the triple sum with explicit ``Back`` operators::

        grad f(W) = sum_i sum_{a=2}^{L} sum_{l=1}^{a-1} D_{i,l+1} (Back_{i,l+1->a}^T loss_{i,a}) h_{i,l}^T

    using ``net.back_operator`` (independent of ``net.grad_formula``'s BPTT recursion).
    Cost O(L^3) operator applications: only for small L.
    """
    tr = net.trace(x, W)
    L = tr.g.shape[1]
    yk = net._targets(y, L)                                      # [K, L, n, d]
    loss = tr.out - yk
    G = torch.zeros_like(W)
    for a in range(max(2, net.loss_from), L + 1):
        la = loss[:, a - 1].unsqueeze(-1)                         # [K, n, d, 1]
        for l in range(1, a):
            op = net.back_operator(tr, l + 1, a, W)              # Back_{i,l+1->a}: [K, n] batch, d x m
            u = op.rmatvec(la).squeeze(-1)                        # [K, n, m]
            du = tr.D[:, l].to(W.dtype) * u                       # D_{i,l+1}
            G = G + torch.matmul(du.transpose(-1, -2), tr.h[:, l - 1])
    return G


def measure_fact25(point, ctx):
    """max over {formula vs autograd at W, triple sum vs autograd, l=1 term independence}."""
    net = make_net(point, ctx)
    x = make_data(point, ctx)
    n, L = x.shape[0], x.shape[1]
    y = random_targets(net, n, L, ctx, scale=float(point.get("y_scale", 1.0)))
    where = point.get("where", "init")
    if where == "init":
        W = net.W0
    else:
        r = float(point.get("Delta", 1.0)) / math.sqrt(net.m) if where == "near" else 1.0
        W = net.W0 + random_perturbation(net, r, ctx)
    _, G_auto = net.grad(x, y, W)
    e_formula = rel_err(net.grad_formula(x, y, W), G_auto)
    e_triple = rel_err(grad_triple_sum(net, x, y, W), G_auto)
    net1 = ElmanRNN(net.m, net.d_x, net.d, trials=net.trials, generator=ctx.generator("net"), device=ctx.device,
                    dtype=ctx.dtype, loss_from=1)
    _, G1 = net1.grad(x, y, W)
    e_l1 = rel_err(G1, G_auto)
    v = torch.maximum(torch.maximum(e_formula, e_triple), e_l1)
    return Measurement(v, {"formula_vs_autograd": e_formula, "triple_sum_vs_autograd": e_triple,
                           "with_l1_term_vs_without": e_l1})


# ----------------------------------------------------------------------------- fn 5


def measure_fn5(point, ctx):
    """Footnote 5: ``A x_1 = A_{:,<d_x} x_{<d_x} + b`` with ``b = A_{:,d_x}/sqrt 2 ~ N(0, I/m)``.

    Returns the z-score ``|m mean(b^2) - 1| / sqrt(2/m)`` of the bias variance (chi-square
    with m degrees of freedom under the claim), plus ``1e12 x`` the relative error of the
    identity for the network's own first pre-activation (exact up to rounding)."""
    net = make_net(point, ctx)
    x = make_data(point, ctx)
    m = net.m
    b = net.A[:, :, -1] / math.sqrt(2.0)                          # [K, m]
    z = ((b.pow(2).mean(-1) * m) - 1.0).abs() / math.sqrt(2.0 / m)
    tr = net.trace(x)
    g1 = tr.g[:, 0]                                               # [K, n, m]
    split = torch.matmul(x[:, 0, :-1], net.A[:, :, :-1].transpose(-1, -2)) + b.unsqueeze(1)
    ident = rel_err(split, g1)
    return Measurement(z + 1e12 * ident, {"bias_var_zscore": z, "identity_rel_err": ident,
                                          "bias_var_times_m": b.pow(2).mean(-1) * m})


# ----------------------------------------------------------------------------- (4.1)


def measure_41(point, ctx, c_up: float = 1.0):
    """Forward norms: value = max(max ||.|| / (c_up L), (1/2) / min ||.||) over h and g."""
    net = make_net(point, ctx)
    x = make_data(point, ctx)
    tr = net.trace(x)
    L = x.shape[1]
    nh = tr.h.norm(dim=-1).flatten(1)
    ng = tr.g.norm(dim=-1).flatten(1)
    mn = torch.minimum(nh.min(1).values, ng.min(1).values)
    mx = torch.maximum(nh.max(1).values, ng.max(1).values)
    v = torch.maximum(mx / (c_up * L), 0.5 / mn)
    return Measurement(v, {"min_norm": mn, "max_norm": mx, "max_norm_over_L": mx / L})


# ----------------------------------------------------------------------------- (4.2), (4.3)


def _qr_R(tr, dtype=torch.float64):
    """``R`` of the QR of ``[h_{1,1}..h_{n,1}, ..., h_{1,L}..h_{n,L}]`` (``[K, nL, nL]``)."""
    K, L, n, m = tr.h.shape
    H = tr.h.to(dtype).reshape(K, L * n, m).transpose(-1, -2)    # columns ordered (l, i)
    if m < L * n:
        raise ValueError(f"(4.2)/(4.3) need m >= nL for Gram-Schmidt, got m={m}, nL={L * n}")
    return torch.linalg.qr(H, mode="r").R


def fresh_residuals(tr) -> torch.Tensor:
    """``||(I - U_{l-1}U_{l-1}^T) h_{i,l}||`` for all ``(l, i)``: ``[K, L, n]`` (eq. (4.2)).

    From ``H = QR``: the residual of column ``j`` after the first ``p`` columns is
    ``||R[p:j+1, j]||``; for ``h_{i,l}`` we have ``j = (l-1)n + i`` and ``p = (l-1)n``."""
    K, L, n, m = tr.h.shape
    R = _qr_R(tr)
    out = torch.empty(K, L, n, dtype=R.dtype, device=R.device)
    for l in range(L):
        blk = R[:, l * n:(l + 1) * n, l * n:(l + 1) * n]          # upper triangular n x n
        out[:, l] = blk.pow(2).sum(-2).sqrt()
    return out


def separability(tr) -> torch.Tensor:
    """``min_{i != j}`` of ``||(I - r_j r_j^T/||r_j||^2) r_i||`` with ``r_i = (I - U_l U_l^T) h_{i,l+1}``,
    for every ``l = 0..L-1`` (``U_0 = 0``): ``[K, L]`` (eq. (4.3); both orders, so "and vice versa")."""
    K, L, n, m = tr.h.shape
    H = tr.h.to(torch.float64).reshape(K, L * n, m).transpose(-1, -2)
    Q = torch.linalg.qr(H, mode="reduced").Q if m >= L * n else None
    out = torch.empty(K, L, dtype=torch.float64, device=H.device)
    eye = torch.eye(n, dtype=torch.bool, device=H.device)
    for l in range(L):
        Hl = H[:, :, l * n:(l + 1) * n]                           # h_{., l+1}
        if l > 0:
            U = Q[:, :, : l * n]
            Rl = Hl - U @ (U.transpose(-1, -2) @ Hl)
        else:
            Rl = Hl
        G = Rl.transpose(-1, -2) @ Rl                             # [K, n, n]
        dg = G.diagonal(dim1=-2, dim2=-1)
        # ||(I - r_j r_j^T/|r_j|^2) r_i||^2 = |r_i|^2 - (r_i.r_j)^2/|r_j|^2
        s2 = dg.unsqueeze(-1) - G.pow(2) / dg.unsqueeze(-2).clamp_min(1e-300)
        s = s2.clamp_min(0).sqrt().masked_fill(eye, math.inf)
        out[:, l] = s.flatten(1).min(1).values
    return out


def measure_42(point, ctx):
    """min over (i, l) of the fresh-randomness residual (4.2); extras: per-l minima exponent."""
    net = make_net(point, ctx)
    x = make_data(point, ctx)
    tr = net.trace(x)
    res = fresh_residuals(tr)
    v = res.flatten(1).min(1).values
    hn = tr.h.norm(dim=-1).to(res.dtype)                         # [K, L, n]
    frac = (res / hn.clamp_min(1e-300)).flatten(1).min(1).values
    return Measurement(v, {"min_fraction_of_norm": frac, "min_residual_last_step": res[:, -1].min(-1).values})


def measure_43(point, ctx):
    """min_{i!=j, l} sep(r_i, r_j) / delta for sequences identical except the first token,
    the pair (0, 1) at first-token distance exactly delta."""
    net = make_net(point, ctx)
    delta = float(point["delta"])
    x = make_data(point, ctx, shared_tail=True, close_delta=delta)
    tr = net.trace(x)
    sep = separability(tr)                                        # [K, L]
    v = sep.min(1).values / delta
    return Measurement(v, {"first_step_sep_over_delta": sep[:, 0] / delta,
                           "last_step_sep_over_delta": sep[:, -1] / delta})


# ----------------------------------------------------------------------------- (4.4)-(4.6)


def interval_P(tr, W, i: int = 0):
    """Dense ``P(l1, l2) = D_{i,l1} W D_{i,l1-1} W ... D_{i,l2} W`` (``[K, m, m]``) for the intervals
    starting at ``l2 = 1`` (every ``l1``) and ending at ``l1 = L`` (every ``l2 >= 2``): a list of
    ``(l1, l2, P)``.  The (4.4) product is ``W P``, (4.6) is ``B P``, (4.5) is ``D' W P D'``.

    Dense prefix/suffix products cost 2L batched ``m^3`` matmuls, far cheaper on a CPU than
    Lanczos on implicit products of up to L+1 factors for every interval (measured 76 s vs
    about 1 s at m = 1024, L = 10, K = 16)."""
    D = tr.D[:, :, i].to(W.dtype)                                  # [K, L, m]
    L = D.shape[1]
    out = []
    P = D[:, 0].unsqueeze(-1) * W                                  # P(1, 1)
    out.append((1, 1, P))
    for l1 in range(2, L + 1):
        P = D[:, l1 - 1].unsqueeze(-1) * torch.matmul(W, P)
        out.append((l1, 1, P))
    P = D[:, L - 1].unsqueeze(-1) * W                              # P(L, L)
    if L >= 2:
        out.append((L, L, P))
    for l2 in range(L - 1, 1, -1):
        P = torch.matmul(P, D[:, l2 - 1].unsqueeze(-1) * W)
        out.append((L, l2, P))
    return out


def top_singular(M: torch.Tensor) -> torch.Tensor:
    """Exact ``sigma_max`` of dense ``[K, p, q]`` matrices: ``sqrt(lambda_max(M^T M))`` by ``eigvalsh``
    (Gram in float64).  At m <= 512 this is faster here than ``linalg.spectral_norm`` (whose
    per-iteration bookkeeping dominated: ~2 s per batch of 16 at m = 256, 2 cores) and has no
    iterative under-estimate."""
    M64 = M.to(torch.float64)
    G = M64.mT @ M64 if M.shape[-1] <= M.shape[-2] else M64 @ M64.mT
    return torch.linalg.eigvalsh(G)[..., -1].clamp_min(0).sqrt().to(M.dtype)


def interval_norms(net, tr, ctx, *, W=None):
    """Spectral norms of ``W D_{l1} W ... D_{l2} W`` (eq. (4.4), alternating reading) over the
    intervals of :func:`interval_P` for sequence 0.  Returns ``(ks, norms [K, n_k])`` with the max
    over intervals of each length ``k = l1 - l2 + 1``."""
    W = net.W0 if W is None else W
    best = {}
    for l1, l2, P in interval_P(tr, W):
        sv = top_singular(torch.matmul(W, P))
        k = l1 - l2 + 1
        best[k] = sv if k not in best else torch.maximum(best[k], sv)
    ks = sorted(best)
    return ks, torch.stack([best[k] for k in ks], dim=1)


def _slope(ks, vals):
    """OLS slope of log vals on log k per trial (``vals [K, len(ks)]``)."""
    if len(ks) < 2:
        return torch.zeros(vals.shape[0], dtype=torch.float64, device=vals.device)
    lk = torch.log(torch.tensor(ks, dtype=torch.float64, device=vals.device))
    lv = torch.log(vals.to(torch.float64))
    lkc = lk - lk.mean()
    return ((lv - lv.mean(1, keepdim=True)) * lkc).sum(1) / lkc.pow(2).sum()


def measure_44(point, ctx):
    """max over intervals of ``||W D_{l1} W ... D_{l2} W||_2`` (first 2 sequences); extras:
    the per-trial k-exponent of the max norm and the longest-interval norm."""
    net = make_net(point, ctx)
    x = make_data(point, ctx)
    tr = net.trace(x)
    ks, norms = interval_norms(net, tr, ctx)
    v = norms.max(1).values
    return Measurement(v, {"k_slope": _slope(ks, norms), "norm_k1": norms[:, 0], "norm_kmax": norms[:, -1]})


def measure_44z(point, ctx):
    """(4.4)-fixed-z: max over intervals of ``||M z||`` for a fixed random unit z (independent of
    W) and the s-sparse sup (s = max(1, floor(m / L^3)), truncated power method: a certified
    lower bound of the sup); value = max of the two."""
    net = make_net(point, ctx)
    x = make_data(point, ctx)
    tr = net.trace(x)
    L, m = x.shape[1], net.m
    W = net.W0
    s = max(1, m // L ** 3)
    z = torch.randn(m, 1, generator=ctx.generator("z"), device=ctx.device, dtype=ctx.dtype)
    z = z / z.norm()
    fixed, sparse = [], []
    for l1, l2, P in interval_P(tr, W):
        M = torch.matmul(W, P)
        fixed.append(torch.matmul(M, z).squeeze(-1).norm(dim=-1))
        val, _, _ = _la.sparse_spectral_norm_lower_bound(M, s_left=m, s_right=s, restarts=4, iters=15,
                                                         generator=ctx.generator(("sparse", l1, l2)))
        sparse.append(val)
    fixed = torch.stack(fixed, 1).max(1).values
    sparse = torch.stack(sparse, 1).max(1).values
    return Measurement(torch.maximum(fixed, sparse), {"fixed_z": fixed, "sparse_sup": sparse})


def measure_45(point, ctx):
    """(4.5): ``sup_{|S|,|T|<=s} ||(W P)_{S,T}||_2 * sqrt(m/s)`` over intervals (truncated power
    method; a certified lower bound of the sup, which is what can falsify the upper bound)."""
    net = make_net(point, ctx)
    x = make_data(point, ctx)
    tr = net.trace(x)
    m, s = net.m, int(point["s"])
    W = net.W0
    vals = []
    for l1, l2, P in interval_P(tr, W):
        val, _, _ = _la.sparse_spectral_norm_lower_bound(torch.matmul(W, P), s, restarts=4, iters=20,
                                                         generator=ctx.generator(("sparse45", l1, l2)))
        vals.append(val)
    raw = torch.stack(vals, 1).max(1).values
    return Measurement(raw * math.sqrt(m / s), {"raw": raw})


def measure_46(point, ctx):
    """(4.6): ``sup_{|S|<=s} ||B D_{l1} W ... D_{l2} W D'||_2 / sqrt(s)`` (right support an s-set:
    truncated power method with s_left = d, s_right = s)."""
    net = make_net(point, ctx)
    x = make_data(point, ctx)
    tr = net.trace(x)
    s = int(point["s"])
    W = net.W0
    vals = []
    for l1, l2, P in interval_P(tr, W):
        val, _, _ = _la.sparse_spectral_norm_lower_bound(torch.matmul(net.B, P), s_left=net.d, s_right=s,
                                                         restarts=4, iters=20,
                                                         generator=ctx.generator(("sparse46", l1, l2)))
        vals.append(val)
    raw = torch.stack(vals, 1).max(1).values
    return Measurement(raw / math.sqrt(s), {"raw": raw})


# ============================================================================ Section 5: adversarial perturbations
#
# Section 5 perturbation model (paper Sec. 5; CLAIMS.md section 2 header): W = W~ + W' with W~, A, B at
# initialization and ||W'||_2 <= Delta/sqrt(m) (poly(varrho) hidden in O(.)), W' allowed to depend on the
# initialization.  Tilde quantities at W~, primes = perturbed minus tilde.


# shared measurements ((5.1a-c), E.1-*, F.1*, ...) are computed once per key: ._cache.LRUCache
_Cache = LRUCache


_CACHE = _Cache(32)


def _key(name, point, ctx):
    return (name, tuple(sorted(point.items())), ctx.seed, ctx.trials, str(ctx.dtype), str(ctx.device))


def pick(name, fn, value_key):
    """A measure returning the cached measurement ``fn(point, ctx)`` (a dict of ``[K]`` tensors) with
    ``values = extras[value_key]``."""
    def measure(point, ctx):
        ex = _CACHE.get(_key(name, point, ctx), lambda: fn(point, ctx))
        return Measurement(ex[value_key], ex)
    measure.__name__ = f"measure_{name}_{value_key}"
    return measure


def trace_rank_one(net: ElmanRNN, x: torch.Tensor, Y: torch.Tensor, V: torch.Tensor, W=None):
    """Pre-activations of the Elman RNN at ``W + Y_c V_c^T`` (``W`` defaults to ``W~ = net.W0``) for ``C`` rank-one candidates at once,
    without forming the ``m x m`` perturbations (paper Sec. 2.1 recurrence).

    ``x [n, L, d_x]``; ``Y, V [K, C, m]`` (``W'_c = Y_c V_c^T``, so ``||W'_c||_2 = ||Y_c|| ||V_c||``).
    Returns ``g [K, C, L, n, m]`` (differentiable in ``Y``, ``V``):
    ``g_l = W~ h_{l-1} + Y (V . h_{l-1}) + A x_l``, ``h_0 = 0``.
    """
    K, C, m = Y.shape
    x = net._input(x)                                               # [K, n, L, d_x]
    n, L = x.shape[1], x.shape[2]
    Ax = torch.matmul(x, net.A.unsqueeze(1).transpose(-1, -2)).transpose(1, 2)   # [K, L, n, m]
    Wt = (net.W0 if W is None else W).transpose(-1, -2)
    gs, h = [], None
    for l in range(L):
        if h is None:
            g = Ax[:, l].unsqueeze(1).expand(K, C, n, m)
        else:
            g = (torch.matmul(h.reshape(K, C * n, m), Wt).reshape(K, C, n, m) + Ax[:, l].unsqueeze(1)
                 + torch.einsum("kcnm,kcm->kcn", h, V).unsqueeze(-1) * Y.unsqueeze(2))
        gs.append(g)
        h = torch.relu(g)
    return torch.stack(gs, 2)


def power_norm(G: torch.Tensor, gen: torch.Generator, iters: int = 30) -> torch.Tensor:
    """Spectral norm estimate of ``[K, p, q]`` matrices by ``iters`` power iterations on ``G^T G``
    (a LOWER estimate; ~1% low after 30 its on Gaussian matrices).  Used to scale the RANDOM baseline
    perturbation (inflated by 3% so it stays inside the ball) and for the (5.2) differences; cheaper here than
    ``linalg.spectral_norm`` (whose per-call overhead was ~3 s per batch on this machine)."""
    v = torch.randn(G.shape[0], G.shape[-1], 1, generator=gen, device=G.device, dtype=G.dtype)
    for _ in range(iters):
        v = G.mT @ (G @ v)
        v = v / v.norm(dim=1, keepdim=True).clamp_min(torch.finfo(G.dtype).tiny)   # a zero matrix keeps v = 0
    return (G @ v).norm(dim=1).squeeze(-1)


def random_ball(net: ElmanRNN, radius: float, ctx, offset="rand51") -> torch.Tensor:
    """Gaussian ``W' [K, m, m]`` scaled to ``||W'||_2 ~= radius`` (power-iteration norm x 1.03: the
    result lies inside the ball with norm in about [0.97, 1] x radius)."""
    G = torch.randn(net.W0.shape, generator=ctx.generator(offset), device=net.device, dtype=net.dtype)
    nrm = power_norm(G, ctx.generator((offset, "norm"))) * 1.03
    return G * (radius / nrm).reshape(-1, 1, 1)


def targeted_candidates(tr, omega: float, i: int = 0, s=None):
    """The CLAIMS.md section-0 targeted rank-one construction (``perturb.targeted_sign_flip``) at every
    step ``l* = 2..L`` of sample ``i``: ``(Y, V) [K, L-1, m]`` with ``W'_c = Y_c V_c^T``, ``||W'_c||_2 <= omega``
    (``V`` unit, ``Y = omega y``).  ``s=None`` maximises the designed flips at ``l*``; ``s=1`` puts the
    whole norm on the smallest ``|g|`` coordinate (maximises the flipped magnitude ``|D' g|``)."""
    Ys, Vs = [], []
    L = tr.g.shape[1]
    for ls in range(2, L + 1):
        hp = tr.h[:, ls - 2, i]
        Wp, _ = _pt.targeted_sign_flip(tr.g[:, ls - 1, i], hp, omega, s=s)
        v = hp / hp.norm(dim=-1, keepdim=True)
        Ys.append(torch.einsum("kij,kj->ki", Wp, v))
        Vs.append(v)
    return torch.stack(Ys, 1), torch.stack(Vs, 1)


def rank_one_ascent(net: ElmanRNN, x, g0: torch.Tensor, omega: float, ctx, steps: int = 4, offset="pgd51"):
    """Projected gradient ascent over the RANK-ONE members ``omega u v^T`` (unit u, v) of the spectral
    ball, maximising ``sum_{i,l} ||g'_{i,l}||^2``.  The projection is exact (normalise u, v); for the
    linearised forward map the update ``u <- grad_u/||grad_u||`` is a power iteration, so this is an
    alternating power method on the first-order map ``W' -> g'`` (``perturb.pgd_spectral_ball`` needs an
    SVD per step: ~1 s per step at K = 16, m = 512 here).  Start: random u, ``v = h~_{0,L-1}/||.||``.
    Returns ``(Y, V) [K, 1, m]`` of the best iterate."""
    K, m = net.trials, net.m
    u = torch.randn(K, 1, m, generator=ctx.generator(offset), device=net.device, dtype=net.dtype)
    u = u / u.norm(dim=-1, keepdim=True)
    hv = g0.clamp_min(0)[:, max(g0.shape[1] - 2, 0), 0].unsqueeze(1)    # h~_{0,L-1}
    v = hv / hv.norm(dim=-1, keepdim=True).clamp_min(1e-300)
    best_val = torch.full((K,), -1.0, dtype=net.dtype, device=net.device)
    best_u, best_v = u.clone(), v.clone()
    for _ in range(steps + 1):
        uu, vv = u.detach().requires_grad_(True), v.detach().requires_grad_(True)
        with torch.enable_grad():
            g = trace_rank_one(net, x, omega * uu, vv)
            val = (g[:, 0] - g0).pow(2).sum(dim=(1, 2, 3))
            gu, gv = torch.autograd.grad(val.sum(), (uu, vv))
        val = val.detach()
        better = val > best_val
        best_val = torch.where(better, val, best_val)
        b = better.view(K, 1, 1)
        best_u, best_v = torch.where(b, u, best_u), torch.where(b, v, best_v)
        u = gu / gu.norm(dim=-1, keepdim=True).clamp_min(1e-300)
        v = gv / gv.norm(dim=-1, keepdim=True).clamp_min(1e-300)
    return omega * best_u, best_v


def _stab_stats(g: torch.Tensor, g0: torch.Tensor):
    """Per trial, over candidates c, samples i and steps l: max ||g'||, max ||h'||, max ||D'||_0 and
    max ||D' g|| (g the perturbed pre-activation).  ``g [K, C, L, n, m]``, ``g0 [K, L, n, m]``."""
    g0 = g0.unsqueeze(1)
    flip = (g >= 0) != (g0 >= 0)
    gp = (g - g0).norm(dim=-1).flatten(1).max(1).values
    hp = (g.clamp_min(0) - g0.clamp_min(0)).norm(dim=-1).flatten(1).max(1).values
    nf = flip.sum(-1).flatten(1).max(1).values.to(g.dtype)
    dg = torch.where(flip, g, torch.zeros_like(g)).norm(dim=-1).flatten(1).max(1).values
    return gp, hp, nf, dg


def recursion_error(net: ElmanRNN, x, W, Wp) -> torch.Tensor:
    """Relative error of the EXACT recursion of Sec. 5 (text after (5.1)), ``l' >= 2``:
    ``g'_{l'} = W' D_{l'-1} g_{l'-1} + W~ D'_{l'-1} g_{l'-1} + W~ D~_{l'-1} g'_{l'-1}`` (``W = W~ + W'``,
    unprimed = perturbed); max over l', samples, per trial."""
    t0, t1 = net.trace(x), net.trace(x, W)
    g0, g1 = t0.g, t1.g
    D0, D1 = t0.D.to(g0.dtype), t1.D.to(g0.dtype)
    Dp = D1 - D0
    rhs = (torch.matmul(D1[:, :-1] * g1[:, :-1], Wp.unsqueeze(1).mT)
           + torch.matmul(Dp[:, :-1] * g1[:, :-1], net.W0.unsqueeze(1).mT)
           + torch.matmul(D0[:, :-1] * (g1 - g0)[:, :-1], net.W0.unsqueeze(1).mT))
    lhs = (g1 - g0)[:, 1:]
    num = (lhs - rhs).norm(dim=-1).flatten(1).max(1).values
    return num / lhs.norm(dim=-1).flatten(1).max(1).values.clamp_min(1e-300)


def measure_51(point, ctx):
    """(5.1) under adversarial W' with ``||W'||_2 <= Delta/sqrt m``.  Adversaries (worst case per trial
    over all of them): targeted rank-one sign flips at every step l* (max count; and s = 1, max flipped
    magnitude) of sample 0, and rank-one projected gradient ascent on ``sum ||g'||^2``.  Returns a dict:
    ``a`` = sqrt(m) max(||g'||, ||h'||)/Delta (+ 1e10 x recursion error), ``b`` = max ||D'||_0 /
    (Delta m)^{2/3}, ``c`` = sqrt(m) max ||D' g|| / Delta, the raw ``flips`` and the same for a random
    Gaussian W' of (about) the same spectral norm (``random_*``)."""
    net = make_net(point, ctx)
    x = make_data(point, ctx)
    tr = net.trace(x)
    m = net.m
    Delta = float(point["Delta"])
    om = Delta / math.sqrt(m)
    Y1, V1 = targeted_candidates(tr, om)
    Y2, V2 = targeted_candidates(tr, om, s=1)
    Y3, V3 = rank_one_ascent(net, x, tr.g, om, ctx)
    Y, V = torch.cat([Y1, Y2, Y3], 1), torch.cat([V1, V2, V3], 1)
    g = trace_rank_one(net, x, Y, V)
    gp, hp, nf, dg = _stab_stats(g, tr.g)
    Wr = random_ball(net, om, ctx)
    tr_r = net.trace(x, net.W0 + Wr)
    rgp, rhp, rnf, rdg = _stab_stats(tr_r.g.unsqueeze(1), tr.g)
    # the exact recursion, checked on the PGD perturbation (dense; one candidate)
    Wp = Y3[:, 0].unsqueeze(-1) * V3[:, 0].unsqueeze(-2)
    rec = recursion_error(net, x, net.W0 + Wp, Wp)
    s = math.sqrt(m) / Delta
    sb = (Delta * m) ** (2 / 3)
    a = s * torch.maximum(gp, hp)
    out = {"a": a + 1e10 * rec, "b": nf / sb, "c": s * dg,
           "flips": nf.clamp_min(0.5), "random_flips": rnf.clamp_min(0.5),
           "adv_over_random_flips": nf.clamp_min(0.5) / rnf.clamp_min(0.5),
           "h_change": torch.maximum(gp, hp), "random_h_change": torch.maximum(rgp, rhp),
           "random_a": s * torch.maximum(rgp, rhp), "random_b": rnf / sb, "random_c": s * rdg,
           "flips_targeted": _stab_stats(g[:, :Y1.shape[1]], tr.g)[2],
           "a_pgd": s * _stab_stats(g[:, -1:], tr.g)[0], "recursion_rel_err": rec}
    return out


# ----------------------------------------------------------------------------- S5 step (1)


def s5_step1_exact(a: torch.Tensor, m: int):
    """Exact worst case of Sec. 5 step (1) for one pre-activation ``g~`` with ``|g~|`` sorted ascending
    ``a [..., m]``, over ``g' = g'_1 + g'_2``, ``||g'_1||_2 <= m^{-1/2}``, ``||g'_2||_inf <= 1/m``:

    * max flips: ``g'_2 = -sign(g~)/m`` costs nothing in l2, then coordinate k needs
      ``((|g~_k| - 1/m)_+)^2`` of the squared l2 budget ``1/m``: the greedy prefix of the sorted costs
      is optimal (``count``); ``count_inf`` = flips by ``g'_2`` alone (``|g~_k| <= 1/m``).
    * max ``||D' g||_2`` (g = g~ + g'): ``= m^{-1/2} + ||(1/m - |g~|)_+||_2`` (put ``g'_2`` against every
      sign and ``g'_1`` proportional to ``(1/m - |g~|)_+``; by Cauchy-Schwarz nothing does better).
    Returns ``(count, count_inf, max_Dg)``."""
    cost = (a - 1.0 / m).clamp_min(0).pow(2)
    count = (cost.cumsum(-1) <= 1.0 / m).sum(-1)
    count_inf = (a <= 1.0 / m).sum(-1)
    dg = m ** -0.5 + (1.0 / m - a).clamp_min(0).norm(dim=-1)
    return count, count_inf, dg


def measure_s5_step1(point, ctx, c_count: float = 1.0, c_mag: float = 1.0):
    """S5-step1 on the network's own pre-activations ``g~_{i,l}`` (all i, l): value =
    ``max( max_{i,l} count / (c_count m^{2/3}),  sqrt(m) max_{i,l} ||D'g|| / c_mag )`` (exact worst case)."""
    net = make_net(point, ctx)
    x = make_data(point, ctx)
    tr = net.trace(x)
    m = net.m
    a = tr.g.abs().sort(dim=-1).values
    count, count_inf, dg = s5_step1_exact(a, m)
    cm = count.flatten(1).max(1).values.to(a.dtype)
    ci = count_inf.flatten(1).max(1).values.to(a.dtype)
    mag = math.sqrt(m) * dg.flatten(1).max(1).values
    v = torch.maximum(cm / (c_count * m ** (2 / 3)), mag / c_mag)
    return Measurement(v, {"flips": cm.clamp_min(0.5), "flips_inf_only": ci.clamp_min(0.5),
                           "flips_over_m23": cm / m ** (2 / 3), "sqrt_m_Dg": mag})


# ----------------------------------------------------------------------------- footnote 9


def measure_fn9(point, ctx):
    """Footnote 9 made EXACT: sequences 0 and 1 identical for all L tokens (so Asm. 2.1 fails) with
    different targets; then ``h_{0,l} = h_{1,l}`` for every W and ``f(W) >= 1/4 sum_{l>=2}
    ||y*_{0,l} - y*_{1,l}||^2``.  Checked at W~ and along ``steps`` GD steps (eta = eta_m / m), where GD
    drives f down to that floor (eta_m/m, eta_m = 0.1).  value = max over the trajectory of lower_bound / f  (<= 1)."""
    net = make_net(point, ctx)
    x = make_data(point, ctx)
    x = x.clone()
    x[1] = x[0]
    n, L = x.shape[0], x.shape[1]
    y = random_targets(net, n, L, ctx)
    lb = 0.25 * (y[:, 0, 1:] - y[:, 1, 1:]).pow(2).sum(dim=(1, 2))
    steps, eta = int(point.get("steps", 10)), float(point.get("eta_m", 0.1)) / net.m
    W, fs = net.W0, []
    for _ in range(steps + 1):                                     # plain full-batch GD (paper Thm 1 update)
        f_t, G = net.grad(x, y, W)
        fs.append(f_t)
        W = W - eta * G
    f = torch.stack(fs)                                             # [T, K]
    ratio = (lb.unsqueeze(0) / f).max(0).values
    return Measurement(ratio, {"f_final_over_floor": f[-1] / lb, "f_init_over_floor": f[0] / lb})


# ============================================================================ Theorem 3 (gradient bounds)


def jacobian(net: ElmanRNN, x, W) -> torch.Tensor:
    """Jacobian of all trained outputs ``B h_{i,a}`` (``a = 2..L``, every output coordinate e) with respect
    to W, from Fact 2.5: ``J_{(i,a,e)} = sum_{s=2}^{a} v_s h_{i,s-1}^T`` with ``v_a = D_{i,a} B^T e`` and
    ``v_s = D_{i,s} W^T v_{s+1}``.  Returns ``J [K, n, L-1, d, m*m]`` (dense; for m <= 256)."""
    tr = net.trace(x, W)
    K, L, n, m = tr.g.shape
    D = tr.D.to(W.dtype)
    d = net.d
    Bt = net.B.unsqueeze(1)                                          # [K, 1, d, m]
    J = torch.zeros(K, n, L - 1, d, m, m, dtype=W.dtype, device=W.device)
    for a in range(2, L + 1):
        v = D[:, a - 1].unsqueeze(2) * Bt                            # [K, n, d, m]
        acc = torch.einsum("knem,knp->knemp", v, tr.h[:, a - 2])
        for s in range(a - 1, 1, -1):
            v = D[:, s - 1].unsqueeze(2) * torch.matmul(v.reshape(K, n * d, m), W).reshape(K, n, d, m)
            acc = acc + torch.einsum("knem,knp->knemp", v, tr.h[:, s - 2])
        J[:, :, a - 2] = acc
    return J.reshape(K, n, L - 1, d, m * m)


def ntk_extremes(net: ElmanRNN, x, W):
    """``2 lambda_min(J J^T)/m``, ``2 lambda_max(J J^T)/m`` and the per-sample ``max_i 2 lambda_max(J_i J_i^T)/m``
    (``[K]`` each).  For a sum-of-squares loss ``f = 1/2||r||^2`` with ``grad f = J^T r`` and ARBITRARY targets
    (Theorem 3 quantifies over y*), ``min_{y*} ||grad f||_F^2/(m f) = 2 lambda_min(JJ^T)/m`` and
    ``max_{y*} = 2 lambda_max/m``; for a single ``f_i`` the worst y* puts the residual on sample i only."""
    J = jacobian(net, x, W)
    K, n = J.shape[0], J.shape[1]
    Jf = J.reshape(K, -1, J.shape[-1])
    G = Jf @ Jf.mT
    ev = torch.linalg.eigvalsh(G)
    Ji = J.reshape(K, n, -1, J.shape[-1])
    evi = torch.linalg.eigvalsh(Ji @ Ji.mT)                            # [K, n, P]
    m = net.m
    return 2 * ev[:, 0].clamp_min(0) / m, 2 * ev[:, -1] / m, (2 * evi[..., -1] / m).max(1).values


def thm3_points(net: ElmanRNN, x, ctx, Delta: float):
    """The W's of the ball ``||W - W~||_2 <= Delta/sqrt m`` at which Theorem 3 is evaluated: W~, the
    targeted sign-flip point (max-count construction at the middle step
    of sample 0) and the forward-gradient-ascent point of :func:`rank_one_ascent`."""
    tr = net.trace(x)
    om = Delta / math.sqrt(net.m)
    L = tr.g.shape[1]
    Y, V = targeted_candidates(tr, om)
    c = (L - 2) // 2
    Wt = Y[:, c].unsqueeze(-1) * V[:, c].unsqueeze(-2)
    Y3, V3 = rank_one_ascent(net, x, tr.g, om, ctx)
    Wa = Y3[:, 0].unsqueeze(-1) * V3[:, 0].unsqueeze(-2)
    return {"init": net.W0, "targeted": net.W0 + Wt, "ascent": net.W0 + Wa}


def measure_thm3(point, ctx):
    """Theorem 3 at the points of :func:`thm3_points` on first-token-delta-separated data (the pair (0, 1)
    at distance exactly delta, shared tails: the worst case of Asm. 2.1) with worst-case targets.
    Returns a dict: ``lower`` = min over points of ``2 lambda_min/m``, ``upper`` = max over points of
    ``2 lambda_max/m``, ``upper_per_sample`` and, for reference, the value at W~ for random N(0,1) targets."""
    net = make_net(point, ctx)
    delta = float(point["delta"])
    x = make_data(point, ctx, shared_tail=True, close_delta=delta)
    pts = thm3_points(net, x, ctx, float(point.get("Delta", 1.0)))
    lo, up, ups = [], [], []
    out = {}
    for name, W in pts.items():
        a, b, c = ntk_extremes(net, x, W)
        lo.append(a), up.append(b), ups.append(c)
        out["lower_" + name] = a
    n, L = x.shape[0], x.shape[1]
    y = random_targets(net, n, L, ctx)
    f, G = net.grad(x, y)
    out["q_random_targets_init"] = G.flatten(1).pow(2).sum(1) / (net.m * f)
    out["lower"] = torch.stack(lo).min(0).values
    out["upper"] = torch.stack(up).max(0).values
    out["upper_per_sample"] = torch.stack(ups).max(0).values
    return out


def measure_thm3_upper(point, ctx, c: float = 1.0):
    """Theorem 3 upper bound: ``max(upper/(c n L^4), upper_per_sample/(c L^4))`` (see :func:`measure_thm3`)."""
    r = dict(_CACHE.get(_key("thm3", point, ctx), lambda: measure_thm3(point, ctx)))
    n, L = int(point["n"]), int(point["L"])
    r["value"] = torch.maximum(r["upper"] / (c * n * L ** 4), r["upper_per_sample"] / (c * L ** 4))
    return r


# ============================================================================ Theorem 4 (semi-smoothness)


def loss_from_g(net: ElmanRNN, g: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """``f = 1/2 sum_i sum_{l>=2} ||B h_{i,l} - y*_{i,l}||^2`` from pre-activations ``g [K, C, L, n, m]`` and
    targets ``y [K, n, L, d]``: ``[K, C]``."""
    out = torch.einsum("kclnm,kdm->kclnd", g.clamp_min(0), net.B)
    yk = y.transpose(1, 2).unsqueeze(1)                              # [K, 1, L, n, d]
    return 0.5 * (out[:, :, 1:] - yk[:, :, 1:]).pow(2).sum(dim=(2, 3, 4))


def thm4_rhs(f0: torch.Tensor, nrm, m: int, *, kink_term: bool = True) -> torch.Tensor:
    """Theorem 4's right side minus the first-order part, with unit constants
    (``poly(varrho) = poly(rho) = 1``): ``m^{1/3} sqrt(f(W^)) ||W'||_2 + m ||W'||_2^2``
    (``kink_term=False``: only the smooth ``m ||W'||_2^2``, the false variant of the tests).
    ``f0 [K]``, ``nrm`` broadcastable to ``f0`` (or ``[K, C]`` with ``f0[:, None]``)."""
    smooth = m * nrm ** 2
    if not kink_term:
        return smooth + torch.zeros_like(f0)
    return m ** (1 / 3) * f0.clamp_min(0).sqrt() * nrm + smooth


def thm4_search(net: ElmanRNN, x, y, Wb, f0, G, S, omega: float, inits, gens, *, steps: int = 3,
                gammas=(1.0, 0.5, 0.25, 0.0625)):
    """Theorem 4's adversary proper: Frank-Wolfe ascent (:func:`ovpmodel.perturb.maximize_spectral_balls`)
    of ``(f(W^ + W') - f(W^) - <grad f(W^), W'>) / S`` over the ONE spectral ball ``||W'||_2 <= omega``
    of the shared recurrent matrix (Theorem 4 of ``allen-zhu-li-song-rnn-convergence.txt`` perturbs the
    single ``W in R^{m x m}`` that every time step uses: ``W' [K, m, m]``, one ball per trial).  One restart
    per generator in ``gens`` (the first ``len(inits)`` warm-started there, the rest at random rank-one
    points).  The oracle is exact with ``lmo_rank = 2 n (L - 1)``: by Fact 2.5,
    ``grad f(W) = sum_i sum_{l=1}^{L-1} D_{i,l+1} (Back^T loss) h_{i,l}^T`` has rank ``<= n (L - 1)``, so
    the objective's gradient ``(grad f(W^ + W') - grad f(W^))/S`` has rank ``<= 2 n (L - 1)``.

    ``S [K]`` is the normaliser (the right side at ``||W'|| = omega``).  Returns ``(R [K], W' [K, m, m],
    ||W'||_2 [K], per-restart values [R, K])``: the residual at the best point found, in the net's dtype,
    and that point's exact spectral norm (full SVD; ``<= omega`` up to rounding)."""
    n, L = x.shape[0], x.shape[1]
    f0 = f0.detach()
    Gf = G.flatten(1)

    def objective(Wp):
        return (net.loss(x, y, Wb + Wp) - f0 - torch.einsum("kp,kp->k", Gf, Wp.flatten(1))) / S

    res = _pt.maximize_spectral_balls(objective, tuple(Wb.shape), omega, generators=gens, inits=inits,
                                      steps=steps, gammas=gammas, lmo_rank=2 * n * max(L - 1, 1),
                                      power_iters=1, device=Wb.device, dtype=Wb.dtype)
    Wp = res.W
    R = net.loss(x, y, Wb + Wp) - f0 - torch.einsum("kp,kp->k", Gf, Wp.flatten(1))
    return R, Wp, torch.linalg.matrix_norm(Wp, ord=2), res.restart_values


def thm4_measure(*, kink_term: bool = True, search: bool = True, restarts: int = 3, steps: int = 3):
    """Semi-smoothness residual of Theorem 4 (``allen-zhu-li-song-rnn-convergence.txt``).

    ``W^ = W~ + (random Gaussian point of the sphere ||.||_2 = Delta/sqrt m)``, random ``N(0,1)`` targets,
    ``W'`` in the ball ``||W'||_2 <= omega = r/sqrt m`` of the shared recurrent matrix:
    ``R = f(W^ + W') - f(W^) - <grad f(W^), W'>`` (float64), divided by :func:`thm4_rhs` at ``||W'||_2``
    (unit constants; ``kink_term=False``: the smooth part ``m ||W'||^2`` only).

    Three adversaries, each a series in ``extras`` (all ``R / rhs``):

    * ``constructed``: +- the targeted sign-flip construction at ``W^`` at every step ``l*`` of sample 0
      (:func:`targeted_candidates`; rank one; flips units, which is what makes ``R`` positive);
    * ``random``: a random Gaussian direction of spectral norm ``~omega`` (:func:`random_ball`);
    * ``search`` (``search=True``): Frank-Wolfe ascent over the whole ball (:func:`thm4_search`,
      ``steps`` steps, ``restarts`` restarts: one warm-started at the best constructed direction of the
      trial, the others at random rank-one points, each from its own generator
      ``ctx.generator("thm4-search-j")``).

    ``values`` = the worst of the three.  Other extras: ``R_adversarial`` (the worst constructed ``R``),
    ``R_random``, ``R_adv_over_first_order`` (``R_adversarial / (sqrt f omega)``), ``f``; with the search
    ``R_search``, ``search_over_constructed``, ``search_norm`` (``||W'||_2 sqrt m / r`` of the point found) and
    ``search_per_log_m`` (``search / log m``: the series of the catalog's m-scalings, since the theorem's
    ``poly(varrho)`` and ``poly(rho)`` carry ``log m``; Sec. 3 of the paper, ``rho := nLd log m``).
    """

    def measure(point, ctx):
        net = make_net(point, ctx)
        x = make_data(point, ctx)
        n, L, m = x.shape[0], x.shape[1], net.m
        y = random_targets(net, n, L, ctx)
        Wb = net.W0 + random_ball(net, float(point["Delta"]) / math.sqrt(m), ctx, offset="thm4-base")
        om = float(point["r"]) / math.sqrt(m)
        f0, G = net.grad(x, y, Wb)
        tr = net.trace(x, Wb)
        Y, V = targeted_candidates(tr, om)
        Y, V = torch.cat([Y, -Y], 1), torch.cat([V, V], 1)
        fY = loss_from_g(net, trace_rank_one(net, x, Y, V, W=Wb), y)      # [K, C]
        lin = torch.einsum("kcm,kmp,kcp->kc", Y, G, V)
        nrm = Y.norm(dim=-1) * V.norm(dim=-1)
        R = fY - f0.unsqueeze(1) - lin
        q_c = R / thm4_rhs(f0.unsqueeze(1), nrm, m, kink_term=kink_term)
        q_adv, best = q_c.max(1)
        Wr = random_ball(net, om, ctx, offset="thm4-dir")
        Rr = net.loss(x, y, Wb + Wr) - f0 - (G * Wr).sum(dim=(1, 2))
        q_r = Rr / thm4_rhs(f0, om, m, kink_term=kink_term)
        Radv = R.max(1).values
        tiny = 1e-300
        extras = {"random": q_r, "constructed": q_adv, "q_adversarial": q_adv, "q_random": q_r,
                  "R_adversarial": Radv.clamp_min(tiny), "R_random": Rr,
                  "R_adv_over_first_order": Radv / (f0.sqrt() * om), "f": f0}
        values = torch.maximum(q_adv, q_r)
        if search:
            ix = torch.arange(net.trials, device=net.device)
            Wk = Y[ix, best].unsqueeze(-1) * V[ix, best].unsqueeze(-2)     # the trial's best construction
            gens = [ctx.generator(f"thm4-search-{j}") for j in range(restarts)]
            S = thm4_rhs(f0, om, m, kink_term=kink_term)
            Rs, _, ns, _ = thm4_search(net, x, y, Wb, f0, G, S, om, [Wk], gens, steps=steps)
            q_s = Rs / thm4_rhs(f0, ns, m, kink_term=kink_term)
            values = torch.maximum(values, q_s)
            extras.update({"search": q_s, "search_per_log_m": q_s / math.log(m), "R_search": Rs.clamp_min(tiny),
                           "search_over_constructed": Rs / Radv.clamp_min(tiny),
                           "search_norm": ns / om})
        return Measurement(values, extras)

    return measure


#: the catalog's measure (constructed + random + search)
measure_thm4 = thm4_measure()


# ============================================================================ Theorems 1 and 2 (GD / SGD)


def run_descent(point, ctx, sgd: bool = False):
    """GD ``W <- W - eta grad f(W)`` (Theorem 1) or SGD ``W <- W - eta grad f_i(W)`` with ``i`` uniform in
    [n], independently per trial (Theorem 2), from W~, for ``T = point["T"]`` steps with the paper's
    step-size shape ``eta = eta_m / (m n L^4)`` (Theorem 1: ``eta = Theta~(delta/(m poly(n,d,L)))``; the
    ``n L^4`` is the calibrated growth of ``lambda_max(J J^T)/m``, see Thm3-upper).  Data: random
    delta-separated first tokens (``data.rnn_sequences(delta=...)``), random N(0,1) targets.

    Returns a dict of ``[K]`` tensors: the linear rate ``rate`` = -(slope of log f over the second half),
    ``t100`` = log(100)/rate (iterations to shrink f by 100x at that rate), ``r2`` (linearity of log f in t
    on the second half), ``final_ratio`` = f(T)/f(0)."""
    net = make_net(point, ctx)
    n, L, d_x = int(point["n"]), int(point["L"]), int(point.get("d_x", 4))
    x = _data.rnn_sequences(n, L, d_x, delta=float(point["delta"]), generator=ctx.generator("data"),
                            device=ctx.device, dtype=torch.float64).to(ctx.dtype)
    y = random_targets(net, n, L, ctx)
    m, T = net.m, int(point["T"])
    eta = float(point.get("eta_m", 3.0)) / (m * n * L ** 4)
    gen = ctx.generator("sgd")
    W, fs = net.W0, []
    ar = torch.arange(net.trials, device=ctx.device)
    for t in range(T + 1):
        if sgd:
            # the full objective is only needed at t = 0 and on the fitted second half
            f_t = net.loss(x, y, W) if (t == 0 or t >= T // 2) else torch.ones(net.trials, dtype=W.dtype, device=W.device)
            i = torch.randint(n, (net.trials,), generator=gen, device=ctx.device)
            xb = x[i].unsqueeze(1)                                       # [K, 1, L, d_x]
            yb = y[ar, i].unsqueeze(1)                                   # [K, 1, L, d]
            _, G = net.grad(xb, yb, W)
        else:
            f_t, G = net.grad(x, y, W)
        fs.append(f_t.detach())
        W = W - eta * G
    lf = torch.log(torch.stack(fs).clamp_min(1e-300))                    # [T+1, K]
    h = T // 2
    t = torch.arange(h, T + 1, dtype=lf.dtype, device=lf.device)
    tc = t - t.mean()
    seg = lf[h:]
    slope = (tc.unsqueeze(1) * (seg - seg.mean(0))).sum(0) / tc.pow(2).sum()
    fit = seg.mean(0) + slope * tc.unsqueeze(1)
    r2 = 1 - (seg - fit).pow(2).sum(0) / (seg - seg.mean(0)).pow(2).sum(0).clamp_min(1e-300)
    rate = (-slope).clamp_min(1e-12)
    return {"rate": rate, "t100": math.log(100.0) / rate, "r2": r2, "final_ratio": (lf[-1] - lf[0]).exp(),
            "f0": lf[0].exp()}


def _descent_value(point, ctx, sgd: bool, c: float):
    r = run_descent(point, ctx, sgd=sgd)
    n, L, delta = int(point["n"]), int(point["L"]), float(point["delta"])
    r["value_sgd" if sgd else "value_gd"] = r["t100"] * delta ** 2 / (c * n * L ** 4)
    return r


# ============================================================================ (5.2)-(5.5)


def _dense_candidates(Y, V):
    """``[K, C, m]`` rank-one factors -> dense ``W' [K, C, m, m]``."""
    return Y.unsqueeze(-1) * V.unsqueeze(-2)


def _interval_diffs(net: ElmanRNN, x, tr0, W):
    """For the perturbed ``W [K, m, m]``: list of ``(l1, l2, P - P~, B P - B P~)`` over the intervals of
    :func:`interval_P` (sequence 0), ``P = D_{l1} W ... D_{l2} W`` at W, ``P~`` at W~."""
    tr = net.trace(x, W)
    out = []
    for (l1, l2, P), (_, _, P0) in zip(interval_P(tr, W), interval_P(tr0, net.W0)):
        dP = P - P0
        out.append((l1, l2, dP, torch.matmul(net.B, dP)))
    return out


def measure_52(point, ctx):
    """(5.2) and (5.3) under the (5.1) adversaries (targeted sign flips at steps l* = 2, middle, L of sample 0 and
    the rank-one forward ascent; ``||W'||_2 <= Delta/sqrt m``) and a random W' of the same norm (extras
    ``random_*``): ``d52`` = max over W' and intervals of ``||P - P~||_2`` (15 float32 power iterations on the
    stacked intervals: a lower estimate, which can only make the upper bound easier to pass), ``d53`` = the same for
    ``||B P - B P~||_2``, ``d53_over_m13`` = d53 / m^{1/3}."""
    net = make_net(point, ctx)
    x = make_data(point, ctx)
    tr0 = net.trace(x)
    m = net.m
    om = float(point["Delta"]) / math.sqrt(m)
    Y1, V1 = targeted_candidates(tr0, om)
    L = tr0.g.shape[1]
    keep = sorted({0, (L - 2) // 2, L - 2})                            # l* = 2, middle, L (dense products are costly)
    Y1, V1 = Y1[:, keep], V1[:, keep]
    Y3, V3 = rank_one_ascent(net, x, tr0.g, om, ctx)
    Wps = _dense_candidates(torch.cat([Y1, Y3], 1), torch.cat([V1, V3], 1))
    res = {}
    for tag, cands in (("", list(Wps.unbind(1))), ("random_", [random_ball(net, om, ctx, offset="rand52")])):
        d52 = torch.zeros(net.trials, dtype=net.dtype, device=net.device)
        d53 = torch.zeros_like(d52)
        for Wp in cands:
            diffs = _interval_diffs(net, x, tr0, net.W0 + Wp)
            dPs = torch.stack([t[2] for t in diffs], 1)                  # [K, I, m, m]
            # float32 power iteration (memory-bound batched matvecs; the estimate is low, never high)
            n52 = power_norm(dPs.flatten(0, 1).float(), ctx.generator("pow52"), iters=15).reshape(dPs.shape[:2])
            n52 = n52.to(net.dtype)
            d52 = torch.maximum(d52, n52.max(1).values)
            for _, _, _, dBP in diffs:
                d53 = torch.maximum(d53, top_singular(dBP))
        res[tag + "d52"] = d52.clamp_min(1e-300)
        res[tag + "d53"] = d53.clamp_min(1e-300)
        res[tag + "d53_over_m13"] = d53 / m ** (1 / 3)
    return res


def measure_54(point, ctx):
    """(5.4) and (5.5) for the special rank-one ``W' = y z^T`` with ``||z|| = 1``, ``||y||_0 <= s``,
    ``||W'||_2 <= Delta/sqrt m``: the targeted construction restricted to the s smallest ``|g~|`` of
    sample 0 at steps l* = 2, middle, L (``perturb.targeted_sign_flip(..., s=s)``; z = h~_{l*-1}/||.||), plus a random
    s-sparse rank-one (``perturb.sparse_rank_one``, extras ``random_*``).
    ``d54`` = m^{2/3} max_{k,i,l} |((W~ + W') h'_{i,l})_k|, ``d55`` = m^{1/6} max_k over intervals of
    ``||B P e_k - B P~ e_k||`` (sequence 0)."""
    net = make_net(point, ctx)
    x = make_data(point, ctx)
    tr0 = net.trace(x)
    m, s = net.m, int(point["s"])
    om = float(point["Delta"]) / math.sqrt(m)
    Y, V = targeted_candidates(tr0, om, s=s)
    L = tr0.g.shape[1]
    keep = sorted({0, (L - 2) // 2, L - 2})                            # l* = 2, middle, L
    Y, V = Y[:, keep], V[:, keep]
    Wr = _pt.sparse_rank_one(m, s, om, generator=ctx.generator("rand54"), batch_shape=(net.trials,),
                             device=ctx.device, dtype=ctx.dtype)
    res = {}
    for tag, cands in (("", list(_dense_candidates(Y, V).unbind(1))), ("random_", [Wr])):
        d54 = torch.zeros(net.trials, dtype=net.dtype, device=net.device)
        d55 = torch.zeros_like(d54)
        for Wp in cands:
            W = net.W0 + Wp
            tr = net.trace(x, W)
            hp = tr.h - tr0.h                                             # [K, L, n, m]
            v = torch.matmul(hp, W.unsqueeze(1).mT).abs().flatten(1).max(1).values
            d54 = torch.maximum(d54, v)
            for _, _, _, dBP in _interval_diffs(net, x, tr0, W):
                d55 = torch.maximum(d55, dBP.norm(dim=-2).max(-1).values)
        res[tag + "d54"] = (m ** (2 / 3) * d54).clamp_min(1e-300)
        res[tag + "d55"] = (m ** (1 / 6) * d55).clamp_min(1e-300)
    return res


# ----------------------------------------------------------------------------- S5 step (2)


def measure_s5_step2(point, ctx, c: float = 6.0):
    """Sec. 5 step (2): for ``x`` with ``||x||_2 <= m^{-1/2}``, ``||x||_0 <= s = floor(m^{2/3})``, write
    ``y = W~ D~_{l1} ... D~_{l2+1} W~ x = y1 + y2`` with ``||y2||_inf <= c/m``; the smallest ``||y1||`` is
    ``||soft(y, c/m)||`` (soft threshold).  value = ``m^{2/3} max ||soft(y, c/m)||`` over the intervals
    starting at the first step (sequence 0) and over x from the sparse power method on ``M = W P``
    (``linalg.sparse_spectral_norm_lower_bound``, s_right = s: the x maximising ||y||) and a random s-sparse x
    (extras ``random``)."""
    net = make_net(point, ctx)
    x = make_data(point, ctx)
    tr = net.trace(x)
    m = net.m
    s = max(1, int(m ** (2 / 3)))
    W = net.W0
    gz = ctx.generator("s5x")
    z = torch.randn(net.trials, m, generator=gz, device=ctx.device, dtype=ctx.dtype)
    drop = torch.rand(net.trials, m, generator=gz, device=ctx.device).argsort(-1)[:, s:]
    z = z.scatter(-1, drop, 0.0)
    z = z / z.norm(dim=-1, keepdim=True) * m ** -0.5
    adv = torch.zeros(net.trials, dtype=ctx.dtype, device=ctx.device)
    rnd, ynorm = torch.zeros_like(adv), torch.zeros_like(adv)
    for l1, l2, P in interval_P(tr, W):
        if l2 != 1:
            continue
        Mx = torch.matmul(W, P)
        _, _, v = _la.sparse_spectral_norm_lower_bound(Mx, s_left=m, s_right=s, restarts=2, iters=10,
                                                        generator=ctx.generator(("s5adv", l1)))
        xv = v / v.norm(dim=-1, keepdim=True) * m ** -0.5
        for xx, acc in ((xv, "adv"), (z, "rnd")):
            y = torch.einsum("kij,kj->ki", Mx, xx)
            q = m ** (2 / 3) * (y.abs() - c / m).clamp_min(0).norm(dim=-1)
            if acc == "adv":
                adv = torch.maximum(adv, q)
                ynorm = torch.maximum(ynorm, math.sqrt(m) * y.norm(dim=-1))
            else:
                rnd = torch.maximum(rnd, q)
    v = torch.maximum(adv, rnd)
    return Measurement(v.clamp_min(1e-300), {"adversarial": adv, "random": rnd, "sqrt_m_y_norm": ynorm})


# ----------------------------------------------------------------------------- Sec. 4 intuition


def measure_intuition(point, ctx, literal: bool = False, edge_tol: float = 0.08):
    """Sec. 4 prose and footnote 8, for one ``W ~ N(0, 2/m)`` per trial: ratios of the measured quantity to
    its prediction, value = ``max_j |ratio_j - 1|``.  Predictions (corrected; ``literal=True`` uses the
    text's values for (iv) and (v)):
    (i) ``||W z|| = sqrt2`` (fixed unit z); (ii) ``||phi(W z)|| = 1``; (iii) ``||W U_{L-1}||_2 =
    sqrt2 (1 + sqrt(n(L-1)/m))`` (U the Gram-Schmidt basis of the network's h's); (iv) ``||W||_2 = 2 sqrt2``
    (text: 2); (v) ``||D W||_2 = 1 + sqrt2`` (text: sqrt 2; D = the mask of g_{0,L}); (vi) footnote 8:
    ``m Var(W v/||v||) = 2`` for ``v = (I - U_{L-1}U_{L-1}^T) h_{0,L}``.  value = ``max_j |ratio_j - 1| / tol_j``
    (tolerances below)."""
    net = make_net(point, ctx)
    x = make_data(point, ctx)
    tr = net.trace(x)
    W, m = net.W0, net.m
    K, L, n, _ = tr.h.shape
    z = torch.randn(K, m, 1, generator=ctx.generator("zint"), device=ctx.device, dtype=ctx.dtype)
    z = z / z.norm(dim=1, keepdim=True)
    Wz = (W @ z).squeeze(-1)
    r1 = Wz.norm(dim=-1) / math.sqrt(2)
    r2 = Wz.clamp_min(0).norm(dim=-1)
    H = tr.h[:, : L - 1].reshape(K, (L - 1) * n, m).transpose(-1, -2)
    U = torch.linalg.qr(H, mode="reduced").Q                              # [K, m, n(L-1)]
    r3 = top_singular(W @ U) / (math.sqrt(2) * (1 + math.sqrt(n * (L - 1) / m)))
    gen = ctx.generator("pint")
    r4 = power_norm(W, gen, iters=60) / (2.0 if literal else 2 * math.sqrt(2))
    Dm = tr.D[:, -1, 0].to(W.dtype).unsqueeze(-1)
    r5 = power_norm(Dm * W, gen, iters=60) / (math.sqrt(2) if literal else 1 + math.sqrt(2))
    h = tr.h[:, -1, 0].unsqueeze(-1)
    v = h - U @ (U.mT @ h)
    wv = (W @ (v / v.norm(dim=1, keepdim=True))).squeeze(-1)
    r6 = m * wv.pow(2).mean(-1) / 2
    R = torch.stack([r1, r2, r3, r4, r5, r6], 1)
    # per-ratio tolerances: 4 standard deviations of the Gaussian concentration for (i), (ii), (iii), (vi)
    # (sd of ||Wz||/sqrt2 ~ (2m)^{-1/2}; of ||phi(Wz)|| ~ (5/(4m))^{1/2}; of m Var/2 ~ (2/m)^{1/2}) and a fixed
    # allowance for the finite-m spectral edge of (iv), (v)
    # ((iii) also allows the whole sqrt(k/m) correction: it is the k >> 1 asymptote, for k = 1 column
    # ||W u|| ~ sqrt2 exactly, so the corrected prediction overshoots by up to sqrt(k/m))
    k = n * (L - 1)
    tol = torch.tensor([4 / math.sqrt(2 * m), 4 * math.sqrt(5 / (4 * m)), 4 / math.sqrt(2 * m) + math.sqrt(k / m),
                        edge_tol, edge_tol,
                        4 * math.sqrt(2 / m)], dtype=R.dtype, device=R.device)
    return Measurement(((R - 1).abs() / tol).max(1).values,
                       {"Wz_over_sqrt2": r1, "phiWz": r2, "WU_ratio": r3, "W_norm_ratio": r4,
                        "DW_norm_ratio": r5, "fn8_var_ratio": r6})
