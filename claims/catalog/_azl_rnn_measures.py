"""Measures for the AZL-RNN catalog (``azl_rnn.py``).

Paper: ``allen-zhu-li-rnn-generalization-full.txt`` (Allen-Zhu, Li, *Can SGD Learn
Recurrent Neural Networks with Provable Generalization?*), setting F4 of CLAIMS.md
(a.1)/(c): Elman ReLU RNN with input dimension ``d_x + 1``, ``W, A ~ N(0, 2/m)``,
``B ~ N(0, 1/d)`` all fixed at initialization; the trained shift ``W'`` enters as
``W = W0 + W'``; inputs built by Definition 3.1 from raw tokens ``x*``
(``ovpmodel.data.raw_tokens`` + ``transform_inputs``); the null sequence ``x^(0)`` of
Sec. 5.2 / App. D (``data.null_sequence``).

Conventions (CLAIMS.md (b.4), index-corrected): ``Back_{i->j} = B D_j W ... D_{i+1} W``
(``Back_{j->j} = B``) and the linearization (5.1)
``f_j(W~) = sum_{i=2}^{j} Back_{i->j} D_i W~ h_{i-1}`` (the JVP of ``B h_j``).  Time step
``l`` (1-based, as in the paper) is index ``l - 1`` of the ``[K, L, n, m]`` traces.

Every measure takes ``(point, ctx)``, uses generators from ``ctx`` (sub-streams
``"net"``, ``"data"``, ``"pert"``, ...), batches over the ``K`` trials and returns one
number per trial (for forall claims the worst case the adversary found, the random
perturbation in ``extras["random"]``).  Private module (leading ``_``): the catalog
loader does not import it as a catalog module.
"""

from __future__ import annotations

import math

import torch

from ovpmodel import ElmanRNN
from ovpmodel import data as _data
from ovpmodel import linalg as _la
from ovpmodel import perturb as _pt

from claims import Measurement

from ._cache import LRUCache

PAPER = "allen-zhu-li-rnn-generalization-full.txt"


# ----------------------------------------------------------------------------- builders


def make_net(point, ctx, dtype=None, lam: float = 1.0) -> ElmanRNN:
    """F4 network: ``ElmanRNN(m, d_x + 1, d, loss_from=3, output_scale=lambda)`` (sub-stream "net")."""
    return ElmanRNN(int(point["m"]), int(point.get("d_x", 4)) + 1, int(point.get("d", 1)), trials=ctx.trials,
                    generator=ctx.generator("net"), device=ctx.device, dtype=dtype or ctx.dtype,
                    loss_from=3, output_scale=float(point.get("lam", lam)))


def make_xstar(point, ctx, n=None):
    """Raw tokens ``x* [n, L-2, d_x]`` (Sec. 3, fn 2; sub-stream "data"), float64."""
    n = int(point.get("n", 2)) if n is None else int(n)
    return _data.raw_tokens(n, int(point["L"]), int(point.get("d_x", 4)), generator=ctx.generator("data"),
                            device=ctx.device, dtype=torch.float64)


def make_x(point, ctx, dtype=None, n=None):
    """Def. 3.1 inputs ``x [n, L, d_x + 1]`` (normalized, Def. 3.2; validated)."""
    eps = float(point.get("eps_x", 0.05))
    x = _data.transform_inputs(make_xstar(point, ctx, n), eps, dtype=torch.float64)
    _data.validate_normalized(x, eps, check_structure=True)
    return x.to(dtype or ctx.dtype)


def null_x(point, ctx, n: int, dtype=None):
    """The null sequence ``x^(0)`` repeated ``n`` times, ``[n, L, d_x + 1]``."""
    x0 = _data.null_sequence(int(point["L"]), int(point.get("d_x", 4)), float(point.get("eps_x", 0.05)),
                             device=ctx.device, dtype=dtype or ctx.dtype)
    return x0.unsqueeze(0).expand(n, *x0.shape).contiguous()


def zeta_n(eps_x: float, l: int) -> float:
    """``zeta_n(eps_x, l) = sqrt(1 + (l-1) eps_x^2)`` (Lemma B.1 header)."""
    return math.sqrt(1.0 + (l - 1) * eps_x * eps_x)


def zeta_c(beta: torch.Tensor | float):
    """Exact ``zeta_c(beta) = E[(sigma(g1) - sigma(alpha g1 + beta g2))^2]``, ``alpha = sqrt(1-beta^2)``
    (Prop. D.2; arc-cosine kernel closed form, CLAIMS.md PropD.2-i [D]):
    ``1 - (|beta| + (pi - arcsin|beta|) alpha)/pi``."""
    b = torch.as_tensor(beta, dtype=torch.float64).abs()
    a = (1 - b * b).clamp_min(0).sqrt()
    return 1 - (b + (math.pi - torch.asin(b)) * a) / math.pi


def zeta_c_paper(x: torch.Tensor):
    """The paper's closed form of ``zeta_c(sqrt x)`` (proof of Prop. D.2), reported WRONG in CLAIMS.md."""
    x = torch.as_tensor(x, dtype=torch.float64)
    s1, sx = (1 - x).sqrt(), x.sqrt()
    return (-2 * math.pi * (s1 - 1) + (s1 - 2) * sx + (2 * s1 - 1) * torch.asin(sx)) / (2 * math.pi)


def zeta_d_recursions(eps_x: float, L: int):
    """``zeta_d(l)^2 / ((l-1) eps_x^2)`` for ``l = 2..L`` from (i) the paper's recursion (proof of
    Lemma D.1) and (ii) the corrected one (true correlation of ``z = (h_{l-1}, x_l)`` and
    ``z0 = (h0_{l-1}, x0_l)``, injected difference ``||x_l - x0_l||^2 = 2 eps_x^2`` for
    ``l <= L-1`` and 0 at ``l = L``).  Returns two lists (index 0 <-> l = 2)."""
    e2 = eps_x * eps_x
    zp, zc = 0.0, 0.0                      # zeta_d(1)^2 = 0
    paper, corr = [], []
    for l in range(2, L + 1):
        zn2 = zeta_n(eps_x, l - 1) ** 2
        r2 = zn2 + e2
        arg = math.sqrt(min(1.0, (zp + zp * zp / (4 * zn2) + e2) / r2))
        zp = 2 * r2 * float(zeta_c(arg))
        inj = 2 * e2 if l <= L - 1 else 0.0
        c = 1 - (zc + inj) / (2 * r2)
        zc = 2 * r2 * float(zeta_c(math.sqrt(max(0.0, 1 - c * c))))
        paper.append(zp / ((l - 1) * e2))
        corr.append(zc / ((l - 1) * e2))
    return paper, corr


def backs(net: ElmanRNN, tr, W) -> torch.Tensor:
    """Dense ``Back_{i->j}`` for all ``1 <= i <= j <= L``: ``[K, L(i), L(j), n, d, m]`` (zero for i > j).

    ``Back_{j->j} = B``, ``Back_{i-1->j} = Back_{i->j} D_i W`` (AZL-RNN Def. 4.1)."""
    K, L, n, m = tr.g.shape
    out = torch.zeros(K, L, L, n, net.d, m, device=W.device, dtype=W.dtype)
    Bn = net.B.unsqueeze(1).expand(K, n, net.d, m)
    for j in range(L, 0, -1):
        M = Bn
        out[:, j - 1, j - 1] = M
        for i in range(j, 1, -1):        # Back_{i-1->j} = Back_{i->j} D_i W
            MD = (M * tr.D[:, i - 1].unsqueeze(2).to(W.dtype)).reshape(K, n * net.d, m)
            M = torch.bmm(MD, W).reshape(K, n, net.d, m)
            out[:, i - 2, j - 1] = M
    return out


def spec_rows(M: torch.Tensor) -> torch.Tensor:
    """Spectral norm of ``[..., d, m]`` matrices with small d: ``sqrt(lambda_max(M M^T))`` (exact)."""
    if M.shape[-2] == 1:
        return M.norm(dim=(-2, -1))
    G = torch.matmul(M, M.transpose(-1, -2)).to(torch.float64)
    return torch.linalg.eigvalsh(G)[..., -1].clamp_min(0).sqrt().to(M.dtype)


def linearized(net: ElmanRNN, tr, W, Wt: torch.Tensor, Bk=None, *, literal: bool = False) -> torch.Tensor:
    """(5.1) assembled from explicit Back operators: ``f_j(W~) = sum_{i=2}^{j} Back_{i->j} D_i W~ h_{i-1}``
    for all j, ``[K, L, n, d]`` (j = 1 entry is 0).  ``literal=True`` evaluates the paper's
    written (off-by-one) form ``sum_{i=1}^{j-1} Back_{i->j} D_{i+1} W~ h_i`` instead."""
    K, L, n, m = tr.g.shape
    Bk = backs(net, tr, W) if Bk is None else Bk
    out = []
    for j in range(1, L + 1):
        acc = torch.zeros(K, n, net.d, device=W.device, dtype=W.dtype)
        for i in range(2, j + 1):
            u = tr.D[:, i - 1].to(W.dtype) * torch.matmul(tr.h[:, i - 2], Wt.transpose(-1, -2))  # D_i W~ h_{i-1}
            Bi = Bk[:, i - 2, j - 1] if literal else Bk[:, i - 1, j - 1]   # literal: Back_{i-1 -> j}
            acc = acc + torch.matmul(Bi, u.unsqueeze(-1)).squeeze(-1)
        out.append(acc)
    return torch.stack(out, dim=1)


def jvp_outputs(net: ElmanRNN, x, W, Wt):
    """``(B h_j(W), d/dt B h_j(W + t W~)|_0)``, both ``[K, L, n, d]`` (forward-mode autograd)."""
    f = lambda WW: net.forward(x, WW)
    return torch.func.jvp(f, (W,), (Wt,))


def rel(a, b):
    K = a.shape[0]
    num = (a - b).reshape(K, -1).norm(dim=1)
    den = b.reshape(K, -1).norm(dim=1).clamp_min(torch.finfo(b.dtype).tiny)
    return num / den


def small_perturbation(net, r: float, ctx, offset="pert"):
    """Gaussian ``[K, m, m]`` scaled to Frobenius norm ``r`` (cheap; no SVD)."""
    G = torch.randn(net.W0.shape, generator=ctx.generator(offset), device=net.device, dtype=net.dtype)
    return G * (r / G.reshape(G.shape[0], -1).norm(dim=1)).view(-1, 1, 1)


def random_rank_one(net, omega: float, ctx, offset="rand"):
    """Random rank-one ``omega u v^T`` (unit u, v): spectral norm exactly ``omega``."""
    g = ctx.generator(offset)
    K, m = net.trials, net.m
    u = torch.randn(K, m, 1, generator=g, device=net.device, dtype=net.dtype)
    v = torch.randn(K, 1, m, generator=g, device=net.device, dtype=net.dtype)
    return omega * (u / u.norm(dim=1, keepdim=True)) * (v / v.norm(dim=2, keepdim=True))


# shared measurements ((5.1a-c), E.1-*, F.1*, ...) are computed once per key: ._cache.LRUCache
_Cache = LRUCache


_CACHE = _Cache()


def _key(name, point, ctx):
    return (name, tuple(sorted(point.items())), ctx.seed, ctx.trials, str(ctx.dtype), str(ctx.device))


def _pick(name, fn, value_key):
    """A measure returning the cached measurement ``fn`` with ``values = extras[value_key]``."""
    def measure(point, ctx):
        ex = _CACHE.get(_key(name, point, ctx), lambda: fn(point, ctx))
        return Measurement(ex[value_key], ex)
    measure.__name__ = f"measure_{name}_{value_key}"
    return measure


# ----------------------------------------------------------------------------- EXACT


def _G(y, ystar):
    """G(y, y*) = ||y - y*||_2 (convex, 1-Lipschitz; CLAIMS.md (c))."""
    return (y - ystar).norm(dim=-1)


def measure_lem71_identity(point, ctx):
    """Obj(W_t) vs G~(0) and grad Obj(W_t) vs grad G~(0), autograd vs autograd (float64).

    ``W_t`` = a random shift of Frobenius norm ``Delta/sqrt(m)``; ``G~(W~) = mean_Z sum_{j>=3}
    G(lam F_j(W + W_t) + lam R_j(W~), y*_j)`` with ``R_j`` assembled explicitly from Back
    operators at ``W + W_t`` (index-corrected (5.1) form).  Also the convexity slack
    ``G~(W~) - G~(0) - <grad G~(0), W~>`` at a random ``W~`` (must be >= 0)."""
    lam = float(point.get("lam", 0.1))
    net = make_net(point, ctx, lam=lam)
    n, L = int(point.get("n", 4)), int(point["L"])
    xs = make_xstar(point, ctx, n)
    cc = _data.ConceptClass.random(L, int(point.get("d_x", 4)), net.d, 3, phi="tanh", generator=ctx.generator("cc"),
                                   device=ctx.device, dtype=torch.float64)
    ystar = cc.targets(xs).to(ctx.dtype)                               # [n, L-2, d] (j = 3..L)
    x = _data.transform_inputs(xs, float(point.get("eps_x", 0.05)), dtype=ctx.dtype)
    Wt = small_perturbation(net, float(point.get("Delta", 1.0)) / math.sqrt(net.m), ctx, "Wt")
    W = net.W0 + Wt

    def obj(Wp):
        out = lam * net.forward(x, net.W0 + Wp)[:, 2:]                # [K, L-2, n, d]
        return _G(out, ystar.transpose(0, 1)).sum(1).mean(1)          # mean over Z of sum_j

    Wp = Wt.clone().requires_grad_(True)
    with torch.enable_grad():
        o = obj(Wp)
        (g_obj,) = torch.autograd.grad(o.sum(), Wp)
    tr = net.trace(x, W)
    Bk = backs(net, tr, W)
    F = tr.out[:, 2:]

    def gtilde(Wtil):
        R = linearized(net, tr, W, Wtil, Bk)[:, 2:]
        return _G(lam * F + lam * R, ystar.transpose(0, 1)).sum(1).mean(1)

    Z = torch.zeros_like(W, requires_grad=True)
    with torch.enable_grad():
        g0 = gtilde(Z)
        (g_til,) = torch.autograd.grad(g0.sum(), Z)
    e_val = (o.detach() - g0.detach()).abs() / o.detach().abs().clamp_min(1e-300)
    e_grad = rel(g_til, g_obj)
    Wr = small_perturbation(net, 1.0 / math.sqrt(net.m), ctx, "Wr")
    slack = gtilde(Wr) - g0.detach() - (g_til * Wr).sum((1, 2))
    slack_viol = (-slack).clamp_min(0) / g0.detach().abs()
    v = torch.maximum(torch.maximum(e_val, e_grad), slack_viol)
    return Measurement(v, {"value_rel_err": e_val, "grad_rel_err": e_grad, "convexity_slack": slack,
                           "grad_norm_over_sqrt_m": g_obj.reshape(net.trials, -1).norm(dim=1) / math.sqrt(net.m)})


def measure_jvp51(point, ctx, literal: bool = False):
    """(5.1) assembled from explicit Back operators vs forward-mode autograd JVP of ``B h_j``."""
    net = make_net(point, ctx)
    n = int(point.get("n", 4))
    x = make_x(point, ctx, n=n)
    W = net.W0 + small_perturbation(net, float(point.get("Delta", 1.0)) / math.sqrt(net.m), ctx, "Wt")
    Wtil = small_perturbation(net, 1.0 / math.sqrt(net.m), ctx, "dir")
    tr = net.trace(x, W)
    Bk = backs(net, tr, W)
    f = linearized(net, tr, W, Wtil, Bk, literal=literal)
    _, jv = jvp_outputs(net, x, W, Wtil)
    e = rel(f, jv)
    e_lit = rel(linearized(net, tr, W, Wtil, Bk, literal=True), jv)
    return Measurement(e, {"corrected_form_rel_err": e, "literal_form_rel_err": e_lit})


def measure_propd2(point, ctx):
    """Prop. D.2 first bullet with the exact zeta_c: max over a fine beta grid of the normalized
    violation of ``-|b|^3 <= zeta_c(b) - b^2/2 <= b^4/4``; plus a Monte Carlo check of the closed
    form and the error of the paper's closed form (extras)."""
    K = ctx.trials
    b = torch.linspace(0.0, float(point.get("beta_max", 0.75)), 3001, dtype=torch.float64)
    z = zeta_c(b) - b * b / 2
    viol = torch.maximum(z - b ** 4 / 4, -(b ** 3) - z).clamp_min(0)
    v = torch.full((K,), float(viol.max()), dtype=torch.float64)
    g = ctx.generator("mc")
    bt = torch.tensor(0.4472135954999579, dtype=torch.float64)    # beta = sqrt(0.2)
    g1 = torch.randn(K, 200_000, generator=g, dtype=torch.float64, device=ctx.device)
    g2 = torch.randn(K, 200_000, generator=g, dtype=torch.float64, device=ctx.device)
    a = (1 - bt * bt).sqrt()
    mc = ((torch.relu(g1) - torch.relu(a * g1 + bt * g2)) ** 2).mean(1)
    exact = float(zeta_c(bt))
    return Measurement(v, {"mc_minus_exact": (mc - exact).abs(), "exact_at_x0.2": exact,
                           "paper_closed_form_at_x0.2": float(zeta_c_paper(torch.tensor(0.2))),
                           "upper_slack_min": float((b ** 4 / 4 - z).min()),
                           "lower_slack_min": float((z + b ** 3).min())})


# ----------------------------------------------------------------------------- Lemma B.1


def _init_state(point, ctx, dtype=None):
    net = make_net(point, ctx, dtype=dtype)
    x = make_x(point, ctx, dtype=dtype or ctx.dtype)
    return net, x, net.trace(x)


def measure_b1_forward(point, ctx):
    """B.1a/b/c/d/h in one pass (cached): forward norms, infinity norms, small-|g| counts, outputs."""
    net, x, tr = _init_state(point, ctx)
    m, L, eps = net.m, tr.g.shape[1], float(point.get("eps_x", 0.05))
    K = net.trials
    zn = torch.tensor([zeta_n(eps, l) for l in range(1, L + 1)], dtype=tr.h.dtype, device=tr.h.device).view(1, L, 1)
    dh = (tr.h.norm(dim=-1) - zn).abs()                                  # [K, L, n]
    dg = (tr.g.norm(dim=-1) - math.sqrt(2) * zn).abs()
    Wh = torch.matmul(tr.h, net.W0.unsqueeze(1).transpose(-1, -2)).abs().amax(dim=(1, 2, 3))
    Ax = torch.matmul(net._input(x), net.A.unsqueeze(1).transpose(-1, -2)).abs().amax(dim=(1, 2, 3))
    gi = tr.g.abs().amax(dim=(1, 2, 3))
    # B.1d: count{|g_k| <= s/sqrt m} / (s m), uniformly over s in (16/m, 1]
    s = torch.logspace(math.log10(16.0 / m), 0.0, 12, dtype=tr.g.dtype, device=tr.g.device)
    ga = tr.g.abs().reshape(K, -1, m) * math.sqrt(m)                        # [K, L n, m]
    cnt = (ga.unsqueeze(-1) <= s).sum(dim=2).to(tr.g.dtype)               # [K, L n, S]
    q_d = (cnt / (s * m)).amax(dim=(1, 2))
    outn = tr.out.norm(dim=-1).amax(dim=(1, 2))
    return {"b1a": math.sqrt(m) * dh.amax(dim=(1, 2)), "b1a_dev": dh.amax(dim=(1, 2)),
            "b1b": math.sqrt(m) * dg.amax(dim=(1, 2)), "b1b_dev": dg.amax(dim=(1, 2)),
            "b1c": math.sqrt(m) * torch.maximum(torch.maximum(Wh, Ax), gi), "b1c_Wh": math.sqrt(m) * Wh,
            "b1c_Ax": math.sqrt(m) * Ax, "b1c_g": math.sqrt(m) * gi,
            "b1d": q_d, "b1h": outn, "b1h_per_log_m": outn / math.log(m),
            "b1a_last_step_over_first": (dh[:, -1].amax(-1) / dh[:, 0].amax(-1).clamp_min(1e-12))}


def measure_b1_back(point, ctx):
    """B.1f/g: entries and row norms of all Back_{i->j} (cached)."""
    net, x, tr = _init_state(point, ctx)
    Bk = backs(net, tr, net.W0)                                            # [K, L, L, n, d, m]
    L = tr.g.shape[1]
    mask = torch.ones(L, L, dtype=torch.bool, device=Bk.device).triu()     # i <= j
    ent = Bk.abs().amax(dim=(3, 4, 5))                                     # [K, L, L]
    rows = Bk.norm(dim=-1).amin(dim=(3, 4))                                # [K, L, L]
    big = torch.finfo(rows.dtype).max
    d, m = net.d, net.m
    return {"b1f": math.sqrt(d) * ent.masked_fill(~mask, 0).amax(dim=(1, 2)),
            "b1g": rows.masked_fill(~mask, big).amin(dim=(1, 2)) / math.sqrt(m / d)}


def measure_b1e(point, ctx):
    """B.1e: ``||D_j W ... D_i W u|| / ||u||`` for a fixed random unit ``u`` (independent of W, A),
    all ``1 <= i <= j <= L``.  values: ``max |ratio - 1| / sqrt((j-i+1)/m)``; extras: the literal
    ratio ``ratio / (1 + 1/(100L))^{j-i+1}`` and the raw deviation."""
    net, x, tr = _init_state(point, ctx)
    K, L, n, m = tr.g.shape
    u = torch.randn(K, 1, m, generator=ctx.generator("u"), device=net.device, dtype=net.dtype)
    u = (u / u.norm(dim=-1, keepdim=True)).expand(K, n, m)
    Wt = net.W0.transpose(-1, -2)
    dev_n = torch.zeros(K, device=net.device, dtype=net.dtype)
    dev = torch.zeros_like(dev_n)
    lit = torch.zeros_like(dev_n)
    for i in range(1, L + 1):
        v = u
        for j in range(i, L + 1):
            v = tr.D[:, j - 1].to(net.dtype) * torch.matmul(v, Wt)
            k = j - i + 1
            r = v.norm(dim=-1)                                            # [K, n]
            dv = (r - 1).abs().amax(-1)
            dev = torch.maximum(dev, dv)
            dev_n = torch.maximum(dev_n, dv / math.sqrt(k / m))
            lit = torch.maximum(lit, r.amax(-1) / (1 + 1 / (100 * L)) ** k)
    return Measurement(dev_n, {"deviation": dev, "literal_ratio": lit})


def measure_b1i(point, ctx):
    """B.1i: ``||D_L W ... D_1 W||_2`` (the longest interval, sample 0) by block subspace iteration
    (8 vectors, 10 rounds; a Ritz value, i.e. a lower bound): a lower bound on the max over all
    intervals, which grows with the interval length (CLAIMS.md Rem4.1 / CALIBRATION.md)."""
    net, x, tr = _init_state(point, ctx)
    K, L, n, m = tr.g.shape
    W = net.W0
    Dm = [tr.D[:, c, 0].to(net.dtype).unsqueeze(-1) for c in range(L)]      # [K, m, 1]

    def P(V):
        for c in range(L):
            V = Dm[c] * torch.bmm(W, V)
        return V

    def PT(U):
        for c in range(L - 1, -1, -1):
            U = torch.bmm(W.transpose(-1, -2), Dm[c] * U)
        return U

    V = torch.randn(K, m, 8, generator=ctx.generator("block"), device=net.device, dtype=net.dtype)
    for _ in range(10):
        V = torch.linalg.qr(PT(P(V))).Q
    return torch.linalg.matrix_norm(P(V), ord=2)


def measure_b1j(point, ctx):
    """B.1j: truncated-power lower bound of ``sup |u^T W D_L W ... D_1 W v|`` over s-sparse unit u, v
    (one sample), times ``sqrt(m/s)``."""
    net, x, tr = _init_state(point, ctx)
    K, L, n, m = tr.g.shape
    s = max(1, int(round(float(point.get("s_frac", 0.05)) * m)))
    W1 = net.W0.unsqueeze(1)
    factors = [W1]
    for c in range(L, 0, -1):
        factors += [_la.Diag(tr.D[:, c - 1, :1].to(net.dtype)), W1]
    val, _, _ = _la.sparse_spectral_norm_lower_bound(_la.ProductOperator(factors), s, restarts=4, iters=20,
                                                     generator=ctx.generator("sparse"))
    return Measurement(val.reshape(K, -1).amax(-1) * math.sqrt(m / s), {"raw": val.reshape(K, -1).amax(-1)})


def measure_b1k(point, ctx):
    """B.1k: ``min_l ||(I - U_{l-1} U_{l-1}^T) h_l||`` = ``min_l |R_ll|`` of the QR of ``[h_1..h_L]`` (float64)."""
    net, x, tr = _init_state(point, ctx)
    H = tr.h.to(torch.float64).permute(0, 2, 3, 1)                       # [K, n, m, L]
    R = torch.linalg.qr(H, mode="r").R
    res = R.diagonal(dim1=-2, dim2=-1).abs()                              # [K, n, L]
    return Measurement(res.amin(dim=(1, 2)).to(ctx.dtype), {"last_step_residual": res[:, :, -1].amin(-1)})


def measure_c1(point, ctx):
    """Lemma C.1: ``max_{i <= j < j'} ||Back_{i->j} Back_{i->j'}^T||_2`` (= the sup over unit u, v,
    exactly: a d x d SVD); extras: the diagonal case ``j = j'`` and the Remark variant
    ``Back_{i->j}`` vs ``Back_{i'->j'}`` with ``j - i != j' - i'``."""
    net, x, tr = _init_state(point, ctx)
    Bk = backs(net, tr, net.W0)                                           # [K, Li, Lj, n, d, m]
    K, L = Bk.shape[0], Bk.shape[1]
    off = torch.zeros(K, device=net.device, dtype=net.dtype)
    diag = torch.zeros_like(off)
    rem = torch.zeros_like(off)
    for i in range(L):
        # M[k, a, b, n] = Back_{i->i+a} Back_{i->i+b}^T  (d x d)
        M = torch.einsum("kanrm,kbnsm->kabnrs", Bk[:, i, i:], Bk[:, i, i:])
        sv = torch.linalg.matrix_norm(M.to(torch.float64), ord=2).to(net.dtype)   # [K, a, b, n]
        T = sv.shape[1]
        tri = torch.ones(T, T, dtype=torch.bool, device=sv.device).triu(1)
        off = torch.maximum(off, sv.masked_fill(~tri.view(1, T, T, 1), 0).amax(dim=(1, 2, 3)))
        diag = torch.maximum(diag, sv.diagonal(dim1=1, dim2=2).amax(dim=(1, 2)))
    # Remark variant: Back_{1->j} vs Back_{2->j'} for j' = j (lags differ by one)
    if L >= 3:
        M = torch.einsum("kjnrm,kjnsm->kjnrs", Bk[:, 0, 2:], Bk[:, 1, 2:])
        rem = torch.linalg.matrix_norm(M.to(torch.float64), ord=2).to(net.dtype).amax(dim=(1, 2))
    m = net.m
    return Measurement(off, {"offdiag": off, "diag": diag, "diag_over_m_over_d": diag / (m / net.d),
                             "remark_lag_mismatch": rem})


# ----------------------------------------------------------------------------- Lemma D.1


def measure_d1(point, ctx):
    """Lemma D.1(a),(b): ``Q_l = ||h_l - h^(0)_l||^2 / ((l-1) eps_x^2)`` for ``l = 2..L``.

    values (D.1a): ``sqrt(m) max_l dist(||h_l - h^(0)_l||^2, [(l-1) eps^2/2, 2 (l-1) eps^2])`` (the
    paper's statement: ``zeta_d^2`` lies in that interval and the deviation is ``O(rho/sqrt m)``);
    ``outside_factor``: ``max_l max(Q_l/2, (1/2)/Q_l)``; extras: max/min of Q over l, Q at l = L-1 and l = L, the
    paper's recursion ``zeta_d^2/((l-1) eps^2)`` and the corrected recursion; D.1b flips/m."""
    net, x, tr = _init_state(point, ctx)
    K, L, n, m = tr.g.shape
    eps = float(point.get("eps_x", 0.05))
    tr0 = net.trace(null_x(point, ctx, n))
    dd = ((tr.h - tr0.h) ** 2).sum(-1)                                    # [K, L, n]
    ls = torch.arange(2, L + 1, device=dd.device, dtype=dd.dtype).view(1, -1, 1)
    Q = dd[:, 1:] / ((ls - 1) * eps * eps)                                # [K, L-1, n]
    lo, hi = (ls - 1) * eps * eps / 2, 2 * (ls - 1) * eps * eps
    dist = torch.maximum(dd[:, 1:] - hi, lo - dd[:, 1:]).clamp_min(0)       # distance to the interval
    out = math.sqrt(m) * dist.amax(dim=(1, 2))
    factor = torch.maximum(Q / 2, 0.5 / Q.clamp_min(1e-30)).amax(dim=(1, 2))
    flips = (tr.D != tr0.D).sum(-1).to(dd.dtype).amax(dim=(1, 2)) / m
    paper, corr = zeta_d_recursions(eps, L)
    return {"d1a": out, "outside_factor": factor, "Q_max": Q.amax(dim=(1, 2)), "Q_min": Q.amin(dim=(1, 2)),
            "Q_at_L-1_mean": Q[:, -2].mean(-1), "Q_at_L_mean": Q[:, -1].mean(-1),
            "paper_recursion_Q_max": max(paper), "paper_recursion_Q_at_L-1": paper[-2],
            "corrected_recursion_Q_at_L-1": corr[-2], "corrected_recursion_Q_at_L": corr[-1],
            "measured_over_paper_recursion": Q[:, -2].mean(-1) / paper[-2],
            "measured_over_corrected_recursion": Q[:, -2].mean(-1) / corr[-2],
            "d1b": flips, "d1b_normalized": flips / (math.sqrt(L) * eps) ** (2 / 3)}


# ----------------------------------------------------------------------------- Lemma E.1


def measure_e1(point, ctx):
    """Lemma E.1: re-randomize the rows in a fixed set ``N`` (the first ``N`` coordinates, chosen
    independently of W, A) of W and A (``perturb.rerandomize_rows``, std sqrt(2/m)); report
    ``||h'||``, flips, ``max_k |<w_k, h'_l>|`` and ``max_k ||Back'_{i->j} e_k||`` over l, i <= j."""
    net, x, tr = _init_state(point, ctx)
    K, L, n, m = tr.g.shape
    N = int(point["Nr"])
    mask = torch.zeros(K, m, dtype=torch.bool, device=net.device)
    mask[:, :N] = True
    std = math.sqrt(2.0 / m)
    g = ctx.generator("rerand")
    W2 = _pt.rerandomize_rows(net.W0, mask, std=std, generator=g)
    A2 = _pt.rerandomize_rows(net.A, mask, std=std, generator=g)
    A0 = net.A
    net.A = A2
    tr2 = net.trace(x, W2)
    net.A = A0
    hp = (tr2.h - tr.h)
    hpn = hp.norm(dim=-1).amax(dim=(1, 2))
    gpn = (tr2.g - tr.g).norm(dim=-1).amax(dim=(1, 2))
    flips = (tr2.D != tr.D).sum(-1).to(net.dtype).amax(dim=(1, 2))
    coord = torch.matmul(hp, net.W0.unsqueeze(1).transpose(-1, -2)).abs().amax(dim=(1, 2, 3))
    B1 = backs(net, tr, net.W0)
    B2 = backs(net, tr2, W2)
    col = (B2 - B1).norm(dim=-2).amax(dim=(1, 2, 3, 4))                   # max_k ||Back' e_k||
    r = math.sqrt(N / m)
    return {"e1_1": torch.maximum(hpn, gpn) / r, "h_prime": hpn, "g_prime": gpn,
            "e1_2": flips / (N ** (1 / 3) * m ** (2 / 3)), "flips": flips.clamp_min(0.5),
            "e1_3": coord / (N / m) ** (2 / 3), "coord": coord,
            "e1_4": col / (N / m) ** (1 / 6), "back_col": col}


# ----------------------------------------------------------------------------- Lemma F.1 / 6.1 / 6.2


def _targeted(net, tr, step: int, omega: float, q=None):
    """Targeted rank-one ``W'`` flipping the smallest pre-activations of sample 0 at time ``step``
    (``perturb.targeted_sign_flip``); if ``q [K, d]`` is given only coordinates ``k`` with
    ``q^T B e_k > 0`` are eligible (so the residual of (5.1) adds up coherently along q)."""
    g = tr.g[:, step - 1, 0]
    hprev = tr.h[:, step - 2, 0]
    if q is not None:
        ok = torch.einsum("kd,kdm->km", q, net.B) > 0
        g = torch.where(ok, g, torch.sign(g) * 1e6 + (g == 0) * 1e6)
    Wp, nflip = _pt.targeted_sign_flip(g, hprev, omega)
    return Wp, nflip


def measure_f1(point, ctx):
    """Lemma F.1 with the targeted rank-one sign-flip ``W'`` (``||W'||_2 = Delta/sqrt m``) at the
    middle step ``l* = ceil(L/2)+1``: ``sqrt(m) max_i ||h'_i|| / Delta`` (a), ``max_i ||D'_i||_0``
    (b) and ``max_{i<=j} ||Back'_{i->j}||_2`` (c, over the d x m matrices, exact); ``random``:
    the same for a random rank-one ``W'`` of equal spectral norm."""
    net, x, tr, (Af, Bf) = _f1_state(point, ctx)
    K, L, n, m = tr.g.shape
    Delta = float(point["Delta"])
    omega = Delta / math.sqrt(m)
    Wp = Af @ Bf.transpose(-1, -2)
    res = {}
    Bk0 = backs(net, tr, net.W0)
    for tag, P in (("", Wp), ("random_", random_rank_one(net, omega, ctx))):
        W = net.W0 + P
        tr2 = net.trace(x, W)
        hp = (tr2.h - tr.h).norm(dim=-1).amax(dim=(1, 2))
        fl = (tr2.D != tr.D).sum(-1).amax(dim=(1, 2)).to(net.dtype)
        Bk = backs(net, tr2, W) - Bk0
        bn = spec_rows(Bk).amax(dim=(1, 2, 3))
        res[tag + "f1a"] = math.sqrt(m) * hp / Delta
        res[tag + "flips"] = fl.clamp_min(0.5)
        res[tag + "f1b"] = fl / (Delta * m) ** (2 / 3)
        res[tag + "back"] = bn
        res[tag + "f1c"] = bn / (Delta * m) ** (1 / 3)
    res["random"] = res["random_flips"]
    res["random_f1b_gap"] = res["flips"] / res["random_flips"]
    return res


def _f1_state(point, ctx):
    """``(net, x, trace, (A, B))`` of Lemma F.1's checks (cached): the targeted flip ``W' = A B^T`` at step
    ``L//2 + 1`` of sample 0 in factored form (``A = omega y``, ``B = v``)."""
    def build():
        net, x, tr = _init_state(point, ctx)
        L, m = tr.g.shape[1], tr.g.shape[-1]
        step = L // 2 + 1
        Wp, _ = _targeted(net, tr, step, float(point["Delta"]) / math.sqrt(m))
        return net, x, tr, _rank_one_factors(Wp, tr.h[:, step - 2, 0])
    return _CACHE.get(_key("f1state", point, ctx), build)


def measure_lem61(point, ctx):
    """Lemma 6.1: ``max_j ||B h'_j - f_j(W')||`` (f_j = (5.1), computed as the exact JVP) for a
    targeted ``W'`` at the last step L (flip coordinates aligned with a random direction q of
    the output space, so the flipped coordinates' residuals add coherently); ``random``: a
    random rank-one ``W'`` of equal spectral norm."""
    net, x, tr = _init_state(point, ctx)
    K, L, n, m = tr.g.shape
    Delta = float(point["Delta"])
    omega = Delta / math.sqrt(m)
    q = torch.randn(K, net.d, generator=ctx.generator("q"), device=net.device, dtype=net.dtype)
    Wp, nflip = _targeted(net, tr, L, omega, q)
    out = {}
    for tag, P in (("", Wp), ("random", random_rank_one(net, omega, ctx))):
        y0, jv = jvp_outputs(net, x, net.W0, P)
        y1 = net.forward(x, net.W0 + P)
        out[tag or "resid"] = (y1 - y0 - jv).norm(dim=-1).amax(dim=(1, 2))
    out["random"] = out["random"].clamp_min(1e-30)
    out["designed_flips"] = nflip.to(net.dtype)
    out["lem61"] = out["resid"] / (Delta ** (4 / 3) * m ** (-1 / 6))
    return out


def _nuclear_lowrank(P, Q):
    """``||P Q^T||_*`` for ``P, Q [*, m, r]`` via two thin QRs (exact)."""
    _, Rp = torch.linalg.qr(P)
    _, Rq = torch.linalg.qr(Q)
    return torch.linalg.svdvals(Rp @ Rq.transpose(-1, -2)).sum(-1)


def measure_lem62(point, ctx):
    """Lemma 6.2: ``sup_{||W~||_2 <= omega/sqrt m} |LHS_s| / omega = ||G_s||_* / sqrt m`` (exact;
    CLAIMS.md Lem6.2) at ``j' = L``, max over s and samples, with ``W'`` the targeted flip of
    Lemma 6.1 (step L, aligned), ``G_s = sum_i [(D+D')_i (Back+Back')^T_{i->L} e_s (h+h')_{i-1}^T
    - D_i Back^T_{i->L} e_s h_{i-1}^T]`` (float64 low-rank factors)."""
    net, x, tr = _init_state(point, ctx)
    K, L, n, m = tr.g.shape
    Delta = float(point["Delta"])
    omega = Delta / math.sqrt(m)
    q = torch.randn(K, net.d, generator=ctx.generator("q"), device=net.device, dtype=net.dtype)
    vals = {}
    for tag, Wp in (("", _targeted(net, tr, L, omega, q)[0]), ("random", random_rank_one(net, omega, ctx))):
        W = net.W0 + Wp
        tr2 = net.trace(x, W)
        B1 = backs(net, tr, net.W0)[:, :, L - 1]                          # [K, Li, n, d, m]
        B2 = backs(net, tr2, W)[:, :, L - 1]
        Ps, Qs = [], []
        for i in range(2, L + 1):
            Ps.append(tr2.D[:, i - 1].unsqueeze(-2).to(net.dtype) * B2[:, i - 1])    # [K, n, d, m]
            Qs.append(tr2.h[:, i - 2].unsqueeze(-2).expand(-1, -1, net.d, -1))
            Ps.append(-tr.D[:, i - 1].unsqueeze(-2).to(net.dtype) * B1[:, i - 1])
            Qs.append(tr.h[:, i - 2].unsqueeze(-2).expand(-1, -1, net.d, -1))
        P = torch.stack(Ps, -1).to(torch.float64)                          # [K, n, d, m, r]
        Q = torch.stack(Qs, -1).to(torch.float64)
        nuc = _nuclear_lowrank(P, Q).to(net.dtype)                         # [K, n, d]
        vals[tag or "q"] = nuc.amax(dim=(1, 2)) / math.sqrt(m)
    vals["lem62"] = vals["q"] / (Delta ** (1 / 3) * m ** (-1 / 6))
    vals["random"] = vals["random"].clamp_min(1e-30)
    return vals


# ----------------------------------------------------------------------------- Lemma 8.1


def measure_lem81(point, ctx):
    """Lemma 8.1 for the linearized class ``{x* -> <W', G_q>}`` with ``G_q = grad_W F_{j,s}(x*_q; W)``
    (= (5.1)), ``||W'||_F <= Delta/sqrt m``: the empirical Rademacher complexity
    ``(Delta/(N sqrt m)) E_xi ||sum_q xi_q G_q||_F`` computed EXACTLY (all 2^N sign vectors for
    N <= 12, else 4096 Monte-Carlo draws), max over s, at j = L.  values: ``R sqrt(N)/Delta``."""
    N = int(point["N"])
    net = make_net(point, ctx)
    x = make_x(point, ctx, n=N)
    tr = net.trace(x)
    K, L, n, m = tr.g.shape
    B1 = backs(net, tr, net.W0)[:, :, L - 1]                              # [K, Li, n, d, m]
    b = tr.D[:, 1:].unsqueeze(-2).to(net.dtype) * B1[:, 1:]                # [K, L-1(i=2..L), n, d, m]
    hh = tr.h[:, :-1]                                                      # [K, L-1, n, m] (h_{i-1})
    bb = torch.einsum("kinsm,kjpsm->ksnpij", b, b)                         # [K, d, n, n, i, j]
    hg = torch.einsum("kinm,kjpm->knpij", hh, hh)                          # [K, n, n, i, j]
    Gram = (bb * hg.unsqueeze(1)).sum((-1, -2)).to(torch.float64)          # [K, d, N, N]
    if N <= 12:
        idx = torch.arange(2 ** N)
        xi = (((idx.unsqueeze(1) >> torch.arange(N)) & 1) * 2 - 1).to(torch.float64)
    else:
        xi = (torch.randint(0, 2, (4096, N), generator=torch.Generator().manual_seed(ctx.seed % (2**31)),
                            dtype=torch.int64) * 2 - 1).to(torch.float64)
    xi = xi.to(Gram.device)
    quad = torch.einsum("xa,ksab,xb->ksx", xi, Gram, xi).clamp_min(0).sqrt().mean(-1)   # E ||sum xi G||_F
    Delta = float(point.get("Delta", 1.0))
    R = (Delta / (N * math.sqrt(m)) * quad).amax(-1).to(ctx.dtype)
    gmax = Gram.diagonal(dim1=-2, dim2=-1).clamp_min(0).sqrt().amax(dim=(1, 2)).to(ctx.dtype)
    jensen = Delta * gmax / (math.sqrt(m) * math.sqrt(N))
    return Measurement(R * math.sqrt(N) / Delta, {"rademacher": R, "jensen_bound": jensen,
                                                  "Gq_max_over_sqrt_m_over_d": gmax / math.sqrt(m / net.d)})


# ----------------------------------------------------------------------------- Theorem 1 (SGD end to end)


def thm1_concepts(point, ctx):
    """K independent concepts of Example 3.5 (one per trial, sub-stream "cc"), drawn as
    ``data.ConceptClass.random`` does (``w*`` uniform on the unit sphere with last coordinate 0,
    ``A*_k`` Gaussian normalized to ``||A*_k||_F = 1`` per lag, so that every trial's target has a
    comparable scale and the relative excess is not divided by a near-zero concept) but batched: ``(A* [K, L-2, d, p], W* [K, L-2, p, d_x])``.  Each trial's pair
    is validated as a ``data.ConceptClass`` (eq. (3.1) / Lemma 5.1 conditions)."""
    K, L = ctx.trials, int(point["L"])
    d_x, d, p = int(point.get("d_x", 4)), int(point.get("d", 1)), int(point.get("p", 2))
    g = ctx.generator("cc")
    w = torch.randn(K, L - 2, p, d_x - 1, generator=g, device=ctx.device, dtype=torch.float64)
    w = w / w.norm(dim=-1, keepdim=True)
    Ws = torch.cat([w, torch.zeros(K, L - 2, p, 1, device=ctx.device, dtype=torch.float64)], dim=-1)
    As = torch.randn(K, L - 2, d, p, generator=g, device=ctx.device, dtype=torch.float64)
    As = As / As.norm(dim=(-2, -1), keepdim=True)       # ||A*_k||_F = 1 per lag: a stable target scale
    phi = str(point.get("phi", "tanh"))
    _data.validate_concept_class(_data.ConceptClass(As[0], Ws[0], phi=phi))   # layout check (all share it)
    return As, Ws, phi


def concept_targets(As, Ws, phi, xs):
    """Batched eq. (3.1) / Example 3.5: ``F*_j(x*) = sum_{i=2}^{j-1} A*_{j-i} phi(W*_{j-i} x*_i)`` for
    per-trial concepts ``As [K, L-2, d, p]``, ``Ws [K, L-2, p, d_x]`` and tokens ``xs [K, n, L-2, d_x]``
    -> ``[K, n, L-2, d]`` (index 0 <-> j = 3); the loop is over the L-2 lags, as in
    ``ConceptClass.targets`` (which it equals trial by trial, tested)."""
    K, n, T, _ = xs.shape
    act = _data.PHI_FUNCTIONS[phi]
    y = torch.zeros(K, n, T, As.shape[2], device=xs.device, dtype=xs.dtype)
    for kk in range(T):                       # lag kk + 1: position index ii lands at j-index ii + kk
        hh = act(torch.einsum("knix,kpx->knip", xs[:, :, :T - kk], Ws[:, kk].to(xs.dtype)))
        y[:, :, kk:] += torch.einsum("knip,kdp->knid", hh, As[:, kk].to(xs.dtype))
    return y


def thm1_task(point, ctx):
    """The synthetic task of Theorem 1 (CLAIMS.md (c), recipe [D]): per trial a concept of
    Example 3.5 (:func:`thm1_concepts`), label noise ``sigma`` and an i.i.d. training set ``Z`` of
    ``N`` samples (sub-stream "Z", tokens by ``data.raw_tokens``).  Returns
    ``(As, Ws, phi, x [K, N, L, d_x+1], y [K, N, L-2, d])`` with ``x`` built by Definition 3.1."""
    K, N, L = ctx.trials, int(point["N"]), int(point["L"])
    d_x, d = int(point.get("d_x", 4)), int(point.get("d", 1))
    eps, sigma = float(point["eps_x"]), float(point.get("sigma", 0.1))
    As, Ws, phi = thm1_concepts(point, ctx)
    g = ctx.generator("Z")
    xs = _data.raw_tokens(K * N, L, d_x, generator=g, device=ctx.device, dtype=torch.float64).reshape(K, N, L - 2, d_x)
    y = concept_targets(As, Ws, phi, xs)
    y = y + sigma * torch.randn(y.shape, generator=g, device=ctx.device, dtype=torch.float64)
    x = _data.transform_inputs(xs.reshape(K * N, L - 2, d_x), eps, dtype=ctx.dtype).reshape(K, N, L, d_x + 1)
    _data.validate_normalized(x[0], eps, check_structure=True)
    return As, Ws, phi, x, y.to(ctx.dtype)


def obj_and_grad(net: ElmanRNN, ax: torch.Tensor, y: torch.Tensor, W: torch.Tensor, lam: float, extra=None):
    """Per-sample objective of Sec. 3 / Algorithm 1, ``Obj(x*, y*; W') = sum_{j=3}^{L}
    G(lam F_j(x*; W0 + W'), y*_j)`` with ``G(y, y*) = ||y - y*||_2`` (convex, 1-Lipschitz), and its
    gradient in W by backpropagation through time (closed form, batched over K; checked against
    autograd in tests).  ``ax [K, L, m]`` = ``A x_l`` of ONE sample per trial, ``y [K, L-2, d]``,
    ``W [K, m, m]`` (= W0 + W').  Returns ``(Obj [K], U [K, L-1, m], H [K, L-1, m], out_extra)``
    with ``grad = U^T H`` (``sum_l D_{l+1} u_{l+1} h_l^T``, never formed here: the caller applies
    it with one ``baddbmm``).  ``extra [K, L, r, m]``: further inputs run through the same forward
    (one pass over W for all), whose outputs ``lam B h_l`` for ``l >= 3`` are returned
    ``[K, L-2, r, d]``."""
    K, L, m = ax.shape
    a = ax.unsqueeze(2) if extra is None else torch.cat([ax.unsqueeze(2), extra], dim=2)   # [K, L, 1+r, m]
    Wt = W.transpose(1, 2)
    hs, Ds = [], []
    h = None
    for l in range(L):
        g = a[:, l] if h is None else a[:, l] + torch.bmm(h, Wt)
        Ds.append((g[:, 0] >= 0).to(W.dtype))
        h = torch.relu(g)
        hs.append(h)
    Bm = net.B                                                          # [K, d, m]
    outs = [lam * torch.matmul(hs[l], Bm.transpose(1, 2)) for l in range(2, L)]   # [K, 1+r, d]
    obj = torch.zeros(K, device=W.device, dtype=W.dtype)
    u = torch.zeros(K, m, device=W.device, dtype=W.dtype)               # running Back^T dG/dout
    U, H = [], []
    for l in range(L - 1, 0, -1):                                       # index l <-> step l+1
        if l >= 2:                                                      # steps j = 3..L carry the loss
            r = outs[l - 2][:, 0] - y[:, l - 2]                         # [K, d]
            nr = r.norm(dim=-1, keepdim=True)
            obj = obj + nr.squeeze(-1)
            u = u + lam * torch.bmm((r / nr.clamp_min(1e-30)).unsqueeze(1), Bm).squeeze(1)
        du = Ds[l] * u
        U.append(du)
        H.append(hs[l - 1][:, 0])                                       # D_{l+1} u h_l^T
        if l > 1:
            u = torch.bmm(du.unsqueeze(1), W).squeeze(1)
    ext = None if extra is None else torch.stack([o[:, 1:] for o in outs], dim=1)
    return obj, torch.stack(U, 1), torch.stack(H, 1), ext


def _abs_gauss_mean(a: torch.Tensor, sigma: float) -> torch.Tensor:
    """``E|a - xi|`` for ``xi ~ N(0, sigma^2)``, exactly: ``sigma sqrt(2/pi) e^{-a^2/(2 sigma^2)} +
    a erf(a/(sigma sqrt 2))`` (the label noise integrated out of ``G`` for d = 1)."""
    if sigma == 0:
        return a.abs()
    return sigma * math.sqrt(2 / math.pi) * torch.exp(-a * a / (2 * sigma * sigma)) + a * torch.erf(
        a / (sigma * math.sqrt(2)))


class _intra_op_threads:
    """Scoped ``torch.set_num_threads(n)`` (restored on exit).  The SGD loops below run thousands of
    tiny sequential ops (``K m^2 <= 1M`` elements); intra-op parallelism only adds barrier waits
    (10-50x slower on a loaded 2-core machine, scratch), and results do not depend on it."""

    def __init__(self, n: int = 1):
        self.n = n

    def __enter__(self):
        self.old = torch.get_num_threads()
        torch.set_num_threads(self.n)

    def __exit__(self, *exc):
        torch.set_num_threads(self.old)
        return False


_THM1_CACHE = _Cache(size=24)


def measure_thm1(point, ctx):
    """Cached (``AZL-RNN/Thm1`` and ``AZL-RNN/Lem7.1`` share the SGD runs): see :func:`_measure_thm1`."""
    def run():
        with _intra_op_threads(1):
            return _measure_thm1(point, ctx)
    return _THM1_CACHE.get(_key("thm1", point, ctx), run)


def measure_lem71(point, ctx):
    """Lemma 7.1 (Q2/Q3 of CLAIMS.md) from the same SGD runs: values ``sqrt(m) ||W'_T||_F / T``."""
    out = measure_thm1(point, ctx)
    return Measurement(out.extras["Delta_over_T"], out.extras)


def _measure_thm1(point, ctx):
    """Theorem 1 end to end (Sec. 4, restated (9.1); Algorithm 1), d = 1.

    Algorithm 1: ``W'_0 = 0``; for ``t = 1..T`` draw ``(x*, y*)`` uniformly from ``Z`` (sub-stream
    "sgd", per trial) and step ``W'_t = W'_{t-1} - eta grad Obj(x*, y*; W'_{t-1})`` with
    ``eta = c_eta / (lam^2 m sqrt T)`` (the paper's ``eta ~ 1/m`` with the output scale and the 1/sqrt(T)
    of Lipschitz SGD made explicit; ``T = N``, one sample per step).  The theorem's quantity
    ``(1/T) sum_{t<T} E_D[Obj(x*, y*; W'_t)]`` is estimated WITHOUT BIAS by one FRESH sample
    ``(x*_t, F*(x*_t))`` per step (sub-stream "test"; independent of ``W'_t``) with the label noise
    integrated out exactly (``_abs_gauss_mean``).  ``OPT = (L-2) sigma sqrt(2/pi)`` is the risk of
    ``F*`` itself (``ConceptClass.noise_risk``), which is Bayes-optimal for ``G = |.|`` under
    symmetric noise, so ``excess = risk - OPT >= 0`` in population.  values: the relative excess
    ``(risk_avg - OPT) / (excess of the zero predictor)`` (the theorem's eps in units of the trivial
    predictor's; removes the per-trial concept's scale); extras: ``excess`` (= ``risk_avg - OPT``), ``risk_avg``, ``OPT``, ``excess_avg`` (clamped > 0
    for log fits), ``excess_start`` (``W' = 0``, on 256 held-out fresh samples), ``excess_last``
    (last iterate, same samples), ``excess_zero_predictor`` (``sum_j E|F*_j + xi| - OPT``),
    ``train_avg`` (averaged objective on the SGD samples), ``Delta = sqrt(m) ||W'_T||_F``."""
    if int(point.get("d", 1)) != 1:
        raise ValueError("measure_thm1 integrates the label noise in closed form for d = 1 only")
    lam = float(point["lam"])
    net = make_net(point, ctx, lam=lam)
    As, Ws, phi, x, y = thm1_task(point, ctx)
    K, N, L, _ = x.shape
    m, T = net.m, N
    sigma = float(point.get("sigma", 0.1))
    d_x = Ws.shape[-1]
    eta = float(point.get("c_eta", 1.0)) / (lam * lam * m * math.sqrt(T))
    ax = torch.matmul(x, net.A.unsqueeze(1).transpose(-1, -2)).transpose(1, 2)   # [K, L, N, m]
    g = ctx.generator("test")
    xt_s = _data.raw_tokens(K * (T + 256), L, d_x, generator=g, device=ctx.device, dtype=torch.float64)
    Ft = concept_targets(As, Ws, phi, xt_s.reshape(K, T + 256, L - 2, d_x))[..., 0].to(ctx.dtype)
    xt = _data.transform_inputs(xt_s, float(point["eps_x"]), dtype=ctx.dtype).reshape(K, T + 256, L, -1)
    axt = torch.matmul(xt, net.A.unsqueeze(1).transpose(-1, -2)).transpose(1, 2)  # [K, L, T+256, m]
    idx = torch.randint(0, N, (T, K), generator=ctx.generator("sgd"), device=ctx.device)
    ar = torch.arange(K, device=ctx.device)

    def pop_risk(W, cols):
        """``sum_j E_xi |lam F_j - F*_j - xi|`` on the fresh samples ``cols`` -> ``[K, len(cols)]``."""
        h, risk = None, 0.0
        a_ = axt[:, :, cols]
        for l in range(L):
            gg = a_[:, l] if h is None else a_[:, l] + torch.bmm(h, W.transpose(1, 2))
            h = torch.relu(gg)
            if l >= 2:
                out = lam * torch.matmul(h, net.B.transpose(1, 2)).squeeze(-1)
                risk = risk + _abs_gauss_mean(out - Ft[:, cols, l - 2], sigma)
        return risk

    W = net.W0.clone()                                                  # W0 + W'_t, W'_0 = 0
    risk_sum = torch.zeros(K, device=ctx.device, dtype=ctx.dtype)
    train_sum = torch.zeros_like(risk_sum)
    gmax = torch.zeros_like(risk_sum)
    for t in range(T):
        i = idx[t]
        o, U, H, out_t = obj_and_grad(net, ax[ar, :, i], y[ar, i], W, lam, extra=axt[:, :, t:t + 1])
        # fresh sample t evaluated at W'_t (before the step): unbiased for E_D Obj(W'_t)
        risk_sum += _abs_gauss_mean(out_t[:, :, 0, 0] - Ft[:, t], sigma).sum(1)
        train_sum += o
        # ||grad||_F^2 = ||U^T H||_F^2 = sum_{l,l'} (U_l . U_l')(H_l . H_l') without forming the m x m matrix
        gn = ((U @ U.transpose(1, 2)) * (H @ H.transpose(1, 2))).sum((1, 2)).clamp_min(0).sqrt()
        gmax = torch.maximum(gmax, gn)
        W.baddbmm_(U.transpose(1, 2), H, alpha=-eta)                    # W'_{t+1} = W'_t - eta grad
    Wp = W - net.W0
    OPT = (L - 2) * sigma * math.sqrt(2 / math.pi)      # = ConceptClass.noise_risk() for d = 1
    risk_avg = risk_sum / T
    excess = risk_avg - OPT
    hold = slice(T, T + 256)
    excess0 = pop_risk(net.W0, hold).mean(1) - OPT
    zero = (_abs_gauss_mean(-Ft[:, hold], sigma).sum(-1).mean(1) - OPT).clamp_min(1e-12)
    last = pop_risk(W, hold).mean(1) - OPT
    return Measurement(excess / zero, {
        "rel_excess": excess.clamp_min(1e-12) / zero, "excess": excess,
        "risk_avg": risk_avg, "OPT": OPT, "excess_avg": excess.clamp_min(1e-12), "excess_start": excess0,
        "excess_zero_predictor": zero,
        "excess_last": last, "train_avg": train_sum / T, "Delta": Wp.reshape(K, -1).norm(dim=1) * math.sqrt(m),
        "Delta_over_T": Wp.reshape(K, -1).norm(dim=1) * math.sqrt(m) / T,
        "grad_max_over_sqrt_m": gmax / math.sqrt(m), "grad_max_over_lam_sqrt_m": gmax / (lam * math.sqrt(m)),
        "eta_times_m": eta * m, "T": float(T)})


# ----------------------------------------------------------------------------- D.1c, Prop D.2-ii, Fact D.3


def measure_d1c(point, ctx):
    """Lemma D.1(c): ``max_{i <= j} ||Back^(0)_{i->j} - Back_{i->j}||_2 / sqrt(m)`` (the sup over u is the
    spectral norm of a d x m matrix, exact), ``Back^(0)`` on the null sequence ``x^(0)`` with the same
    W, A, B; extras: the same divided by ``||Back_{i->j}||_2`` (relative change), and the raw norm."""
    net, x, tr = _init_state(point, ctx)
    K, L, n, m = tr.g.shape
    tr0 = net.trace(null_x(point, ctx, n))
    Bk, Bk0 = backs(net, tr, net.W0), backs(net, tr0, net.W0)
    mask = torch.ones(L, L, dtype=torch.bool, device=Bk.device).triu()   # i <= j
    dn = spec_rows(Bk0 - Bk).amax(-1).masked_fill(~mask, 0)                # [K, L, L]
    bn = spec_rows(Bk).amin(-1).clamp_min(1e-30)
    raw = dn.amax(dim=(1, 2))
    # "normalized" feeds the eps_x log-log fit: a trial without any flip (possible at tiny eps_x m) is
    # floored at 1e-4 (it can only steepen the slope; the relation there is at_least)
    return Measurement(raw / math.sqrt(m), {"raw": raw, "rel": (dn / bn).amax(dim=(1, 2)),
                                            "normalized": (raw / math.sqrt(m)).clamp_min(1e-4)})


def measure_propd2_ii(point, ctx):
    """Prop. D.2, second bullet: the Lipschitz constant of ``x -> zeta_c(sqrt x)`` on ``[0, x_max]``,
    as the max difference quotient over a 20001-point grid of the exact closed form (float64), and
    the exact derivative ``(pi - arcsin sqrt x) / (2 pi sqrt(1-x))`` (extras).  extras also give the
    max derivative on ``[0, 0.81]`` (beta <= 0.9), where the PROOF claims ``0.3 <= deriv <= 0.5``."""
    xm = float(point["x_max"])
    xs = torch.linspace(0.0, xm, 20001, dtype=torch.float64)
    z = zeta_c(xs.sqrt())
    q = ((z[1:] - z[:-1]) / (xs[1:] - xs[:-1])).abs().max()

    def deriv(x):
        return (math.pi - torch.asin(x.sqrt())) / (2 * math.pi * (1 - x).sqrt())

    x9 = torch.linspace(0.0, 0.81, 8101, dtype=torch.float64)
    K = ctx.trials
    return Measurement(torch.full((K,), float(q), dtype=torch.float64), {
        "exact_deriv_max": float(deriv(xs).max()), "exact_deriv_min": float(deriv(xs).min()),
        "proof_range_deriv_max_beta_le_0.9": float(deriv(x9).max()),
        "proof_range_deriv_min_beta_le_0.9": float(deriv(x9).min())})


def measure_factd3(point, ctx):
    """Fact D.3 (deterministic): for ``x, y in R^m`` and every ``s`` with
    ``#{k : |x_k| <= s/q} <= s m``, the sign flips satisfy ``#{k : 1[x_k>=0] != 1[y_k>=0]} <= s m +
    ||x - y||^2 q^2 / s^2``.  ``x ~ N(0, 2/m)`` per coordinate (a pre-activation ``g_l`` of Lemma
    B.1, ``q = sqrt m``); ``y`` from the GREEDY worst case (flip the smallest ``|x_k|`` first, each
    just past 0, until ``||x - y|| = tau`` is spent) and from a random direction of the same norm.
    values: max over both and over 64 log-spaced ``s in [1/m, 1]`` where the premise holds of
    flips / bound (<= 1); extras: flips, the optimized-s bound and ``m^{2/3} (q tau)^{2/3}``."""
    K, m, tau = ctx.trials, int(point["m"]), float(point["tau"])
    q = math.sqrt(m)
    g = ctx.generator("x")
    x = torch.randn(K, m, generator=g, dtype=torch.float64, device=ctx.device) * math.sqrt(2.0 / m)
    ax, order = x.abs().sort(dim=1)
    cum = (ax * ax).cumsum(1)                                            # cost of flipping the k smallest
    kflip = (cum <= tau * tau).sum(1)                                    # [K]
    rank = torch.empty_like(order)
    rank.scatter_(1, order, torch.arange(m, device=ctx.device).expand(K, m))
    sel = rank < kflip.unsqueeze(1)
    y_g = torch.where(sel, -torch.sign(x) * 1e-300, x)                   # just past 0 (sign flipped)
    r = torch.randn(K, m, generator=g, dtype=torch.float64, device=ctx.device)
    y_r = x + tau * r / r.norm(dim=1, keepdim=True)
    s = torch.logspace(math.log10(1.0 / m), 0.0, 64, dtype=torch.float64, device=ctx.device)   # [S]
    small = (x.abs().unsqueeze(-1) <= s / q).sum(1).to(torch.float64)    # [K, S]
    prem = small <= s * m
    worst, flips_all = torch.zeros(K, dtype=torch.float64, device=ctx.device), {}
    for tag, y in (("greedy", y_g), ("random", y_r)):
        fl = ((x >= 0) != (y >= 0)).sum(1).to(torch.float64)             # [K]
        d2 = ((x - y) ** 2).sum(1)
        bnd = s * m + d2.unsqueeze(-1) * q * q / (s * s)                  # [K, S]
        ratio = torch.where(prem, fl.unsqueeze(-1) / bnd, torch.zeros_like(bnd)).amax(-1)
        worst = torch.maximum(worst, ratio)
        flips_all[tag + "_flips"] = fl
        flips_all[tag + "_best_bound"] = torch.where(prem, bnd, torch.full_like(bnd, math.inf)).amin(-1)
        flips_all[tag + "_ratio"] = ratio
    return Measurement(worst, {**flips_all, "premise_s_count": prem.sum(-1).to(torch.float64),
                               "m23_qtau23": (m ** (2 / 3)) * (q * tau) ** (2 / 3)})


# ----------------------------------------------------------------------------- Lemma 5.4 / Claim G.1 / Lemma 6.3 surrogates


def _lin_features(net, tr, W):
    """Factors of the (5.1) features at ``W`` for d = 1: the linearized output
    ``f_j(x; W~) = <W~, sum_{i=2}^{j} (D_i Back_{i->j}^T)(h_{i-1})^T>``.  Returns ``P [K, J, n, I, m]``
    (``D_i Back_{i->j}^T`` for j = 3..L, i = 2..L, zero for i > j) and ``H [K, n, I, m]``
    (``h_{i-1}``), ``J = L-2``, ``I = L-1``."""
    K, L, n, m = tr.g.shape
    Bk = backs(net, tr, W)[:, :, :, :, 0]                               # [K, Li, Lj, n, m] (d = 1)
    P = torch.zeros(K, L - 2, n, L - 1, m, device=W.device, dtype=W.dtype)
    for j in range(3, L + 1):
        for i in range(2, j + 1):
            P[:, j - 3, :, i - 2] = tr.D[:, i - 1].to(W.dtype) * Bk[:, i - 1, j - 1]
    H = tr.h[:, :-1].transpose(1, 2)                                     # [K, n, L-1, m]: h_{i-1}, i = 2..L
    return P, H


def _gram(P1, H1, P2, H2):
    """``<G_a, G_b>`` for features ``G = sum_i P_i H_i^T``: ``[K, J1 n1, J2 n2]`` (float64)."""
    K, a, q, I, m = P1.shape
    b, r = P2.shape[1], P2.shape[2]
    pp = torch.bmm(P1.reshape(K, -1, m), P2.reshape(K, -1, m).transpose(1, 2)).view(K, a, q, I, b, r, I)
    hh = torch.bmm(H1.reshape(K, -1, m), H2.reshape(K, -1, m).transpose(1, 2)).view(K, q, I, r, I)
    G = (pp * hh.view(K, 1, q, I, 1, r, I)).sum((3, 6))                  # [K, a, q, b, r]
    return G.reshape(K, a * q, b * r).to(torch.float64)


def measure_lem54(point, ctx, *, search: bool = True):
    with _intra_op_threads(1):
        return _measure_lem54(point, ctx, search=search)


def lem63_measure(*, search: bool = True):
    """The Lemma 6.3 measure (uncached; ``search=False``: constructed + random only, for the tests)."""
    def measure(point, ctx):
        ex = measure_lem54(point, ctx, search=search)
        return Measurement(ex["lem63"], ex)
    measure.__name__ = "measure_lem63" + ("" if search else "_no_search")
    return measure


def _measure_lem54(point, ctx, *, search: bool = True):
    """Surrogate of Lemma 5.4 / Def. 5.3 (CLAIMS.md Lem5.4 'Surrogate (CPU)'): the MINIMUM-FROBENIUS-NORM
    ``W*`` whose linearized outputs ``f_j(x*_q; W*) = sum_{i=2}^{j} Back_{i->j} D_i W* h_{i-1}`` (at
    W0, (5.1) form) fit the noise-free targets ``F*_j(x*_q)`` of a per-trial Example 3.5 concept on
    ``N`` training sequences (kernel form: ``W* = sum_r alpha_r G_r``, ridge 1e-8 tr/R for round-off),
    then evaluated on ``n_test = 32`` FRESH sequences.  values: relative test RMSE
    ``||f(W*) - F*||/||F*||`` on the fresh set; extras: ``fro`` = ``sqrt(m) ||W*||_F`` (Claim G.1a),
    train relative RMSE, and (for Lemma 6.3, if ``Delta > 0``) the fit on the TRAINING inputs after a
    random rank-one ``W'`` with ``||W'||_2 = Delta/sqrt(m)``: ``perturbed_train_err`` (same W*, the
    linear map of (5.1) at ``W0 + W'``, = the forward-mode JVP), ``abs_change`` = max_{j,q}
    |f(W*; W0 + W') - f(W*; W0)| (Lemma 6.2's LHS for W~ = W*), ``spec_Wstar_sqrt_m`` = omega =
    sqrt(m) ||W*||_2 (Lanczos) and ``lem63`` = abs_change / (omega Delta^{1/3} m^{-1/6})."""
    N, L, nt = int(point["N"]), int(point["L"]), 32
    net = make_net(point, ctx)
    As, Ws, phi = thm1_concepts(point, ctx)
    K, m, d_x = ctx.trials, net.m, Ws.shape[-1]
    xs = _data.raw_tokens(K * (N + nt), L, d_x, generator=ctx.generator("data"), device=ctx.device,
                          dtype=torch.float64)
    F = concept_targets(As, Ws, phi, xs.reshape(K, N + nt, L - 2, d_x))[..., 0]      # [K, N+nt, L-2]
    x = _data.transform_inputs(xs, float(point["eps_x"]), dtype=ctx.dtype).reshape(K, N + nt, L, d_x + 1)
    tr = net.trace(x)
    P, H = _lin_features(net, tr, net.W0)
    Ptr, Htr, Pte, Hte = P[:, :, :N], H[:, :N], P[:, :, N:], H[:, N:]
    Ktt = _gram(Ptr, Htr, Ptr, Htr)                                       # [K, R, R], R = (L-2) N
    Kst = _gram(Pte, Hte, Ptr, Htr)
    ytr = F[:, :N].transpose(1, 2).reshape(K, -1)                          # (j, q) order as the Gram
    yte = F[:, N:].transpose(1, 2).reshape(K, -1)
    R = Ktt.shape[-1]
    mu = 1e-8 * Ktt.diagonal(dim1=-2, dim2=-1).mean(-1).view(K, 1, 1)
    alpha = torch.linalg.solve(Ktt + mu * torch.eye(R, dtype=torch.float64, device=Ktt.device), ytr.unsqueeze(-1))
    pred_tr = (Ktt @ alpha).squeeze(-1)
    pred_te = (Kst @ alpha).squeeze(-1)
    rms = lambda v: v.pow(2).mean(-1).sqrt()
    err_te = rms(pred_te - yte) / rms(yte)
    err_tr = rms(pred_tr - ytr) / rms(ytr)
    fro = (alpha.transpose(1, 2) @ Ktt @ alpha).reshape(K).clamp_min(0).sqrt() * math.sqrt(m)
    out = {"test_err": err_te, "train_err": err_tr, "fro": fro, "target_rms": rms(yte)}
    Delta = float(point.get("Delta", 0.0))
    if Delta > 0:
        a = alpha.squeeze(-1).reshape(K, L - 2, N).to(P.dtype)
        Wstar = torch.einsum("kaq,kaqim,kqin->kmn", a, Ptr, Htr)           # W* = sum_r alpha_r G_r  [K, m, m]
        xtr = x[:, :N]
        f0 = jvp_outputs(net, xtr, net.W0, Wstar)[1][:, 2:, :, 0]            # [K, L-2, N]
        om = _la.spectral_norm(Wstar, tol=1e-4, generator=ctx.generator("lanczos")) * math.sqrt(m)
        Wp, adv = _lem63_adversary(net, xtr, tr, Wstar, f0, Delta / math.sqrt(m), ctx, search=search)
        scale = om * Delta ** (1 / 3) * m ** (-1 / 6)
        series = [k_ for k_ in ("random", "constructed", "search") if k_ in adv]
        for k_, v_ in adv.items():
            out[k_] = v_ / scale if k_ in series else v_
        f1 = jvp_outputs(net, xtr, net.W0 + Wp, Wstar)[1][:, 2:, :, 0]
        y3 = F[:, :N].transpose(1, 2).to(f1.dtype)
        out["unperturbed_train_err"] = rms((f0 - y3).reshape(K, -1)) / rms(ytr).to(f0.dtype)
        out["perturbed_train_err"] = rms((f1 - y3).reshape(K, -1)) / rms(ytr).to(f1.dtype)
        out["perturbed_change"] = (f1 - f0).abs().reshape(K, -1).amax(-1) / rms(ytr).to(f1.dtype)
        out["spec_Wstar_sqrt_m"] = om                                      # omega of Lemma 6.2
        out["abs_change"] = torch.stack([adv[k_] for k_ in series]).amax(0).clamp_min(1e-30)   # worst series
        out["lem63"] = out["abs_change"] / scale
    return out


def _lem63_adversary(net, xtr, tr, Wstar, f0, omega: float, ctx, *, search: bool = True, restarts: int = 1,
                     steps: int = 3, temperatures=(1.0,), samples: int = 4):
    """Adversaries of Lemma 6.3 (``allen-zhu-li-rnn-generalization-full.txt``: "given ANY matrix W' with
    ||W'||_2 <= Delta/sqrt m", one perturbation of the shared recurrent W) for the change
    ``Q(W') = max_{3 <= j <= L, q} |f_j(x*_q; W*; W0 + W') - f_j(x*_q; W*; W0)|`` of the (5.1) read-out of the
    fixed ``W*`` (``f0 [K, L-2, N]`` at ``W0``; the training sequences ``xtr``, their trace in ``tr``).
    Series (raw ``Q``, ``[K]``):

    * ``random``: a random rank-one ``W'`` with ``||W'||_2 = omega`` (the claim's only adversary before
      issue 13);
    * ``constructed``: the targeted rank-one sign flip (``perturb.targeted_sign_flip``) at every step
      ``l = 2..L`` of training sequences ``0..samples-1``, the best per trial;
    * ``search``: Frank-Wolfe over the ball (:func:`steered_ball_search`, ``restarts`` restarts, ``steps``
      steps, exact oracle of rank ``2(L-1)``: the gradient of one output of the tangent recursion in W
      is ``sum_l (adjoint_l h_{l-1}^T + dadjoint_l dh_{l-1}^T)``), restart 0 warm-started at the trial's
      best construction, the rest at random rank-one points (generators ``ctx.generator("lem63-search-j")``),
      steered by the softplus surrogate of the arg-max output at ``temperatures[j]`` (``None``: exact
      gradient).

    Returns ``(W' [K, m, m] of the worst series, dict)`` with the series and ``search_over_constructed``,
    ``search_norm`` (``||W'||_2 / omega`` of the point found, exact SVD)."""
    K, L, m = tr.g.shape[0], tr.g.shape[1], tr.g.shape[-1]
    ix = torch.arange(K, device=f0.device)

    def Q(Wp, beta=None):
        return (lin_outputs(net, xtr, net.W0 + Wp, Wstar, beta)[:, 2:, :, 0] - f0).abs().reshape(K, -1).amax(-1)

    with torch.no_grad():
        Wr = random_rank_one(net, omega, ctx, "lem63")
        q_r = Q(Wr)
        best_c, W_c = None, None
        for l in range(2, L + 1):
            Wps, _ = _pt.targeted_sign_flip(tr.g[:, l - 1, :samples], tr.h[:, l - 2, :samples], omega)   # [K, s, m, m]
            for q in range(Wps.shape[1]):
                v = Q(Wps[:, q])
                if best_c is None:
                    best_c, W_c = v, Wps[:, q]
                else:
                    better = v > best_c
                    W_c = torch.where(better.view(-1, 1, 1), Wps[:, q], W_c)
                    best_c = torch.maximum(v, best_c)
    res = {"random": q_r, "constructed": best_c}
    cands = [(q_r, Wr), (best_c, W_c)]
    if search:
        beta0 = _surrogate_beta(net, tr, omega, 1.0)

        def surrogate(Wp, t):
            out = lin_outputs(net, xtr, net.W0 + Wp, Wstar, beta0 * t)[:, 2:, :, 0].reshape(K, -1)
            with torch.no_grad():
                d = lin_outputs(net, xtr, net.W0 + Wp, Wstar)[:, 2:, :, 0].reshape(K, -1) - f0.reshape(K, -1)
                i = d.abs().argmax(-1)
            return torch.sign(d[ix, i]) * out[ix, i]

        gens = [ctx.generator(f"lem63-search-{j}") for j in range(restarts)]
        Ws, q_s, _ = steered_ball_search(Q, surrogate, tuple(W_c.shape), omega, inits=[W_c], gens=gens,
                                         temperatures=temperatures, steps=steps, lmo_rank=2 * (L - 1),
                                         device=W_c.device, dtype=W_c.dtype)
        res.update({"search": q_s, "search_over_constructed": q_s / best_c.clamp_min(1e-30),
                    "search_norm": torch.linalg.matrix_norm(Ws, ord=2) / omega})
        cands.append((q_s, Ws))
    vals = torch.stack([c[0] for c in cands])
    w = vals.argmax(0)
    Wp = torch.stack([c[1] for c in cands])[w, ix]
    return Wp, res


def measure_claimg1b(point, ctx):
    """Claim G.1(b): ``d C_{i->j,s} = (d/m) ||e_s^T Back^(0)_{i->j}||^2 ||h^(0)_{i-1}||^2`` on the null
    sequence, for all ``2 <= i <= j <= L`` and s; values: the min, extras: the max and the max / L^2."""
    net = make_net(point, ctx)
    x0 = null_x(point, ctx, 1)
    tr0 = net.trace(x0)
    K, L, n, m = tr0.g.shape
    Bk = backs(net, tr0, net.W0)                                          # [K, Li, Lj, 1, d, m]
    C = net.d / m * Bk[:, 1:].pow(2).sum(-1)[:, :, :, 0] * tr0.h[:, :-1, 0].pow(2).sum(-1).view(K, L - 1, 1, 1)
    mask = torch.ones(L, L, dtype=torch.bool, device=C.device).triu()[1:].view(1, L - 1, L, 1)
    big = torch.finfo(C.dtype).max
    cmin = C.masked_fill(~mask, big).amin(dim=(1, 2, 3))
    cmax = C.masked_fill(~mask, 0).amax(dim=(1, 2, 3))
    return Measurement(cmin, {"dC_max": cmax, "dC_max_over_L2": cmax / L ** 2})


# ----------------------------------------------------------------------------- Sec. 2 complexity, fn 1, Prop A.3


C_STAR = 1e4          # "C* is a sufficiently large constant (e.g. 10^4)" (Sec. 2)


def taylor_coeffs(phi: str, degree: int = 40):
    """Taylor coefficients ``c_0..c_degree`` of ``phi`` at 0 (exact rationals via sympy, as floats)."""
    import sympy as sp
    z = sp.Symbol("z")
    expr = {"linear": z, "quadratic": z ** 2, "cubic": z ** 3, "tanh": sp.tanh(z), "sin": sp.sin(z),
            "expm1": sp.exp(z) - 1}[phi]
    ser = sp.series(expr, z, 0, degree + 1).removeO()
    return [float(ser.coeff(z, i)) for i in range(degree + 1)]


def complexities(c, R: float, eps: float, degree: int):
    """``(C_eps(phi, R), C_s(phi, R))`` of Sec. 2 from the coefficients ``c`` truncated at ``degree``
    (Example 2.1's truncation for tanh/sin/e^z - 1), in log-space-safe float64; the ``i = 0`` term of
    the second summand of ``C_eps`` is read as 1 (CLAIMS.md (c) [R])."""
    le = math.log(1 / eps)
    ce, cs = 0.0, 0.0
    for i, ci in enumerate(c[:degree + 1]):
        if ci == 0:
            continue
        second = 1.0 if i == 0 else (math.sqrt(le / i) * C_STAR * R) ** i
        ce += ((C_STAR * R) ** i + second) * abs(ci)
        cs += C_STAR * (i + 1) ** 1.75 * R ** i * abs(ci)
    return ce, cs


def measure_sec2(point, ctx):
    """Sec. 2: ``C_s(phi, R) <= C_eps(phi, R)``; values ``C_s / C_eps`` (EXACT arithmetic on the Taylor
    coefficients, truncated at degree ``ceil(log(1/eps)) + 3`` for the non-polynomial phi, Example 2.1);
    extras: both complexities and the ratio for the pure linear term."""
    phi, R, eps = str(point["phi"]), float(point["R"]), float(point["eps"])
    deg = max(3, math.ceil(math.log(1 / eps)) + 3)
    c = taylor_coeffs(phi, max(deg, 3))
    ce, cs = complexities(c, R, eps, deg)
    K = ctx.trials
    return Measurement(torch.full((K,), cs / ce, dtype=torch.float64), {
        "C_eps": ce, "C_s": cs, "degree": float(deg),
        "linear_term_ratio": (2 ** 1.75) / (1 + math.sqrt(math.log(1 / eps)))})


def measure_fn1(point, ctx):
    """Footnote 1: the per-step gain ``(||h_L|| / ||h_1||)^{1/(L-1)}`` of the Elman recurrence with the
    input only at step 1 (``x_1 = e_last``, ``x_l = 0`` after: pure propagation ``h_l = sigma(W h_{l-1})``)
    with ``W ~ N(0, var/m)``, ``var = var_times_m`` (the paper's 2; the ElmanRNN draw rescaled).
    values: the gain; extras: the gain at ``var = 1`` (predicted 1/sqrt 2: vanishing like 2^{-l/2}) and
    the gradient-norm ratio ``||d h_L / d h_1||`` proxy ``||h_L||/||h_1||`` at both variances."""
    net = make_net(point, ctx)
    L, m = int(point["L"]), net.m
    x = torch.zeros(1, L, net.d_x, device=ctx.device, dtype=ctx.dtype)
    x[0, 0, -1] = 1.0
    out = {}
    for tag, var in (("", float(point.get("var_times_m", 2.0))), ("var1_", 1.0)):
        W = net.W0 * math.sqrt(var / 2.0)
        h = net.trace(x, W).h[:, :, 0].norm(dim=-1)                        # [K, L]
        out[tag + "ratio"] = h[:, -1] / h[:, 0]
        out[tag + "gain"] = out[tag + "ratio"] ** (1.0 / (L - 1))
    return Measurement(out["gain"], out)


def measure_propa3(point, ctx):
    """Prop. A.3: for unit ``x_1..x_N`` the class ``{x -> <w, x> : ||w|| <= B}`` has empirical Rademacher
    complexity ``(B/N) E_xi ||sum_i xi_i x_i|| <= B/sqrt(N)``.  values: ``R sqrt(N)/B`` for random unit
    x (sub-stream "x").  The expectation over xi is EXACT (all ``2^N`` sign vectors,
    ``N <= 14``); extras: the all-equal-x value (-> sqrt(2/pi) = 0.80 for large N)."""
    N = int(point["N"])
    x = _unit_sphere_samples(point, ctx)
    R, xi = _rademacher_linear(x)
    same = xi.sum(-1).abs().mean() / N * math.sqrt(N)
    return Measurement(R * math.sqrt(N), {"all_equal_x": float(same)})


def _unit_sphere_samples(point, ctx):
    """``[K, N, dim]`` i.i.d. uniform unit vectors (sub-stream "x"); ``N <= 14`` (exact Rademacher averages)."""
    K, N, dim = ctx.trials, int(point["N"]), int(point.get("dim", 8))
    if N > 14:
        raise ValueError(f"exact Rademacher averages enumerate all 2^N sign vectors: need N <= 14, got N={N}")
    x = torch.randn(K, N, dim, generator=ctx.generator("x"), dtype=torch.float64, device=ctx.device)
    return x / x.norm(dim=-1, keepdim=True)


def _rademacher_linear(x):
    """EXACT empirical Rademacher complexity of ``{x -> <w, x> : ||w|| <= 1}`` on ``x`` ``[K, N, dim]``:
    ``(1/N) E_xi ||sum_i xi_i x_i||`` over all ``2^N`` sign vectors (Gram form). Returns ``(R [K], xi)``."""
    N = x.shape[1]
    idx = torch.arange(2 ** N, device=x.device)
    xi = (((idx.unsqueeze(1) >> torch.arange(N, device=x.device)) & 1) * 2 - 1).to(torch.float64)   # [2^N, N]
    gram = x @ x.transpose(1, 2)                                            # [K, N, N]
    s = torch.einsum("sa,kab,sb->ks", xi, gram, xi).clamp_min(0).sqrt()    # ||sum xi x||
    return s.mean(-1) / N, xi


def _concentration(b, N, delta):
    """``6 b sqrt(log(4/delta)/(2N))``: the two-sided McDiarmid term of the textbook Rademacher bound for
    ``[-b, b]``-valued classes (Mohri, Rostamizadeh, Talwalkar, Foundations of ML, Thm 3.3 for ``[0, 1]``
    values with ``3 sqrt(log(2/delta')/(2N))``, rescaled by the range 2b, ``delta' = delta/2`` per side)."""
    return 6.0 * b * math.sqrt(math.log(4.0 / delta) / (2.0 * N))


def measure_lema1(point, ctx, *, delta=0.05, rad_factor=2.0, conc_factor=1.0):
    """Lemma A.1 on the linear class ``{x -> <w, x> : ||w|| <= 1}`` (``b = 1``) with ``x`` uniform on the unit
    sphere, so ``E_D f = 0`` for every f and the sup of the deviation is EXACT: ``||mean_i x_i||`` (attained at
    ``w = mean/||mean||``). values: ``sup_f |E_D f - E_N f| / (rad_factor R^ + conc_factor * conc)`` with the exact
    ``R^`` and the textbook concentration term; extras: the deviation, ``R^`` and their ratio."""
    x = _unit_sphere_samples(point, ctx)
    N = x.shape[1]
    R, _ = _rademacher_linear(x)
    dev = x.mean(1).norm(dim=-1)
    rhs = rad_factor * R + conc_factor * _concentration(1.0, N, delta)
    return Measurement(dev / rhs, {"deviation": dev, "rademacher": R, "dev_over_R": dev / R})


def measure_cora2(point, ctx, *, delta=0.05, rad_factor=2.0 * math.sqrt(2.0), conc_factor=1.0):
    """Corollary A.2 with ``k`` linear classes ``F_r = {x -> <w_r, x> : ||w_r|| <= 1}`` and the 1-Lipschitz
    ``L(z) = <u, z>``, ``u = 1_k/sqrt(k)`` (range ``[-b, b]``, ``b = sqrt(k)``), x uniform on the sphere. Then
    ``L(f(x)) = <sum_r u_r w_r, x>`` and the sup over ``(w_1..w_k)`` of the deviation is EXACT:
    ``sqrt(k) ||mean_i x_i||``. values: that over ``rad_factor * sum_r R^(F_r) + conc(b)`` (``rad_factor``:
    symmetrisation 2 times Maurer's vector-contraction sqrt 2)."""
    x = _unit_sphere_samples(point, ctx)
    N, k = x.shape[1], int(point["k"])
    R, _ = _rademacher_linear(x)
    dev = math.sqrt(k) * x.mean(1).norm(dim=-1)
    rhs = rad_factor * k * R + conc_factor * _concentration(math.sqrt(k), N, delta)
    return Measurement(dev / rhs, {"deviation": dev, "sum_rademacher": k * R})


# ----------------------------------------------------------------------------- Lemma 5.1 (numerical H)


def _std_normal_cdf(z):
    return 0.5 * (1 + torch.erf(z / math.sqrt(2)))


def _hermite_basis(z, degree: int):
    """Orthonormal probabilists' Hermite functions ``He_k(z)/sqrt(k!)``, ``k = 0..degree``: ``[D+1, *z.shape]``."""
    import numpy as np
    from numpy.polynomial.hermite_e import hermeval
    z = np.asarray(z, dtype=float)
    return np.stack([hermeval(z, np.eye(degree + 1)[k]) / math.sqrt(math.factorial(k)) for k in range(degree + 1)])


def hermite_design(A1, A2, S, shift=0.0, degree: int = 8, nodes: int = 40):
    """Shared Gaussian-integral kernel of Lemmas 5.1/5.2 (numerical H): for ``u, b ~ N(0, 1)`` i.i.d.,
    ``M[P, (k, l)] = E_{u,b}[He_k(u) He_l(b)/sqrt(k! l!) Phi_N((A1 u + A2 b + shift)/S)]`` by
    ``nodes x nodes`` Gauss-Hermite quadrature (float64); ``A1, A2, S, shift`` broadcast to ``[P]``.
    ``M @ beta.ravel()`` is ``E[H(u, b) Phi_N(...)]`` for ``H = sum beta_kl He_k(u) He_l(b)/sqrt(k! l!)``."""
    import numpy as np
    from numpy.polynomial.hermite_e import hermegauss
    q, w = hermegauss(nodes)
    Hw = _hermite_basis(q, degree) * (w / math.sqrt(2 * math.pi))       # [D+1, Q] (weights folded in)
    A1, A2, S, shift = (np.asarray(v, dtype=float) for v in (A1, A2, S, shift))
    A1, A2, S, shift = (v.reshape(-1, 1, 1) for v in np.broadcast_arrays(A1, A2, S, shift))
    U, Bv = np.meshgrid(q, q, indexing="ij")
    cdf = _std_normal_cdf(torch.from_numpy((A1 * U + A2 * Bv + shift) / S)).numpy()    # [P, Q, Q]
    # M[P, k, l] = sum_{p,q} w_p w_q He_k(u_p) He_l(b_q) cdf[P, p, q]
    return np.matmul(np.matmul(Hw, cdf), Hw.T).reshape(cdf.shape[0], -1)


def lemma51_H(phi: str, sigma: float, degree: int = 8, ridge: float = 1e-10):
    """A numerical ``H`` for Lemma 5.1 (surrogate of the paper's Hermite construction ``H^Psi``, proof
    in G.1).  By rotation invariance only ``u = <w*_<, a_<> ~ N(0, 1)`` and ``b = a_> = a_{d_x}`` matter:
    for unit ``x* = (x_<, 1/2)`` with ``alpha = <w*, x*>`` (``w*_{d_x} = 0``),
    ``E_{a,n}[1[<a, x*> + n >= 0] H(u, b)] = E_{u,b}[H(u, b) Phi_N((alpha u + b/2) / s(alpha))]``,
    ``s(alpha)^2 = 3/4 - alpha^2 + sigma^2`` (the orthogonal part of ``a_<`` and n integrated out).
    ``H = sum_{k,l <= degree} beta_kl He_k(u) He_l(b)/sqrt(k! l!)`` (orthonormal Hermite basis) is fit
    by ridge least squares to ``phi(alpha)`` on 121 alphas in ``[-sqrt3/2, sqrt3/2]``, with
    ``E[H] = beta_00`` pinned to ``2 phi(0)`` ((G.3), which Lemma 5.1(b) needs); the 2-D Gaussian
    expectation by 40 x 40 Gauss-Hermite quadrature (float64).  Returns ``(beta [D+1, D+1], G)``
    with ``G(alpha, gamma)`` the quadrature value of ``E[1[<a,x*> + gamma n >= 0] H]``."""
    import numpy as np
    D = degree
    act = _data.PHI_FUNCTIONS[phi]

    def design(alpha, gamma=1.0):
        al = np.asarray(alpha, dtype=float).reshape(-1)
        return hermite_design(al, 0.5, np.sqrt(0.75 - al ** 2 + (gamma * sigma) ** 2), degree=D)   # [A, (D+1)^2]

    amax = math.sqrt(3) / 2
    alphas = np.linspace(-amax, amax, 121)
    Mx = design(alphas)
    target = act(torch.from_numpy(alphas)).numpy()
    b00 = 2 * float(act(torch.zeros(1, dtype=torch.float64)))
    rest = Mx[:, 1:]
    rhs = target - Mx[:, 0] * b00
    beta_rest = np.linalg.solve(rest.T @ rest + ridge * np.eye(rest.shape[1]), rest.T @ rhs)
    beta = np.concatenate([[b00], beta_rest]).reshape(D + 1, D + 1)

    def G(alpha, gamma=1.0):
        return design(alpha, gamma) @ beta.reshape(-1)

    def H(u, b):
        return np.einsum("kl,k...,l...->...", beta, _hermite_basis(u, D), _hermite_basis(b, D))

    return beta, G, H


def measure_lem51(point, ctx):
    """Lemma 5.1 (a) and (b) for the numerical ``H`` of :func:`lemma51_H` (cached per (phi, sigma)).

    values: ``max_alpha |E[1[<a,x*> + n >= 0] H(a)] - phi(<w*, x*>)|`` over 1001 alphas (5.1a);
    extras: ``off_target`` = ``max_alpha |E[1[<a,x*> + gamma n >= 0] H(a)] - phi(0)|`` (5.1b) at
    ``gamma = point["gamma"]``, ``sup_H`` over ``[-4, 4]^2``, ``mean_H_minus_2phi0`` ((G.3)), and a
    Monte-Carlo check per trial (``mc_minus_quadrature``, 2e4 draws of ``a ~ N(0, I_{d_x})``, n, and a
    random unit ``x*`` with last coordinate 1/2, sub-stream "mc", with its standard error ``mc_se``)."""
    import numpy as np
    phi, sigma, gamma = str(point["phi"]), float(point["sigma"]), float(point.get("gamma", 10.0))
    beta, G, H = _CACHE.get(("lem51H", phi, sigma), lambda: lemma51_H(phi, sigma))
    amax = math.sqrt(3) / 2
    al = np.linspace(-amax, amax, 1001)
    act = _data.PHI_FUNCTIONS[phi]
    err = float(np.abs(G(al) - act(torch.from_numpy(al)).numpy()).max())
    phi0 = float(act(torch.zeros(1, dtype=torch.float64)))
    off = float(np.abs(G(al, gamma) - phi0).max())
    grid = np.linspace(-4, 4, 81)
    supH = float(np.abs(H(*np.meshgrid(grid, grid, indexing="ij"))).max())
    K, d_x, S = ctx.trials, int(point.get("d_x", 4)), 20000
    g = ctx.cpu_generator("mc")        # host-side Monte Carlo (numpy H): CPU tensors on any device
    wv = torch.randn(K, d_x - 1, generator=g, dtype=torch.float64)
    wv = wv / wv.norm(dim=1, keepdim=True)                                   # w*_<, unit
    xs = _data.raw_tokens(K, 3, d_x, generator=g, dtype=torch.float64)[:, 0]  # unit x*, last coord 1/2
    a = torch.randn(K, S, d_x, generator=g, dtype=torch.float64)
    n = torch.randn(K, S, generator=g, dtype=torch.float64) * sigma
    ind = ((a @ xs.unsqueeze(-1)).squeeze(-1) + n >= 0).to(torch.float64)
    u = (a[..., :-1] @ wv.unsqueeze(-1)).squeeze(-1)
    hv = torch.from_numpy(H(u.numpy(), a[..., -1].numpy()))
    mc = (ind * hv).mean(1)
    se = (ind * hv).std(1) / math.sqrt(S)
    alpha = (xs[:, :-1] * wv).sum(1)
    quad = torch.from_numpy(G(alpha.numpy()))
    return Measurement(torch.full((K,), err, dtype=torch.float64), {
        "off_target": off, "sup_H": supH, "mean_H_minus_2phi0": float(beta[0, 0]) - 2 * phi0,
        "mc_minus_quadrature": (mc - quad).abs(), "mc_se": se, "mc_z": (mc - quad).abs() / se})


def measure_lem51b(point, ctx):
    """Lemma 5.1(b): ``off_target x gamma sigma / log(gamma sigma)`` (see :func:`measure_lem51`)."""
    r = measure_lem51(point, ctx)
    x = float(point["gamma"]) * float(point["sigma"])
    v = torch.full_like(r.values, r.extras["off_target"] * x / math.log(x))
    return Measurement(v, {**r.extras, "on_target_err": r.values})


def measure_pfg2(point, ctx):
    """Proof of Lemma 5.2 (App. G.2): (G.4) ``tau^2 = ||(I - hh^T) h_{i-1}||^2`` with ``hh = h^(0)_{i-1} /
    ||h^(0)_{i-1}||``, reported as ``tau^2 / ((i-1) eps_x^2)`` (mean over the n sequences, for every
    ``i = 2..L``).  values: the CORRECTED ratio ``tau^2 / (2 (i-2) eps_x^2)`` (``i = 3..L``) at the i where it
    deviates most from 1; extras: the paper's ``tau / (sqrt(i-1) eps_x)`` (claimed in [0.9, 1.1]) at its worst
    i, at i = 2 (where ``tau = 0``: ``h_1 = h^(0)_1``) and at i = L, and the (G.4) identity
    ``zeta_d^2 - zeta_d^4/(4 zeta_n^2)`` with the MEASURED ``zeta_d^2 = ||h - h^(0)||^2``, ``zeta_n^2 =
    ||h^(0)||^2`` (vs ``||h||^2 = ||h^(0)||^2`` only approximately: ``g4_formula_rel_err``); and ``eps'_c / eps_c`` with ``eps'_c = P_{w~ ~ N(0, 2I/m)}[|<w~, h^(0)_{i-1}>|
    <= eps_c/sqrt m] = erf(eps_c / (2 ||h^(0)_{i-1}||))`` (exact: ``<w~, h> ~ N(0, 2||h||^2/m)``) and its
    small-eps_c form ``1/(sqrt(pi) ||h^(0)||)`` (extras)."""
    net, x, tr = _init_state(point, ctx)
    K, L, n, m = tr.g.shape
    eps = float(point["eps_x"])
    tr0 = net.trace(null_x(point, ctx, n))
    h, h0 = tr.h[:, :-1].to(torch.float64), tr0.h[:, :-1].to(torch.float64)    # h_{i-1}, i = 2..L
    hn = h0 / h0.norm(dim=-1, keepdim=True)
    tau2 = ((h * h).sum(-1) - (h * hn).sum(-1) ** 2).clamp_min(0)               # [K, L-1, n], i = 2..L
    i1 = torch.arange(1, L, dtype=torch.float64, device=h.device).view(1, -1, 1)
    # paper: tau in [0.9, 1.1] sqrt(i-1) eps_x; corrected: tau^2 ~ 2 (i-2) eps_x^2 (factor 2 of D.1a, and
    # zeta_d is evaluated at i-1, where only i-2 tokens differ: h_1 = h^(0)_1, so tau = 0 at i = 2)
    paper = (tau2.sqrt() / (i1.sqrt() * eps)).mean(-1)                          # [K, L-1]
    corr = (tau2[:, 1:] / (2 * (i1[:, 1:] - 1) * eps * eps)).mean(-1)          # [K, L-2], i = 3..L
    wc = corr.log().abs().argmax(-1, keepdim=True)
    wp = (paper.clamp_min(1e-300).log().abs()).argmax(-1, keepdim=True)
    Q = (tau2 / (i1 * eps * eps)).mean(-1)                                       # [K, L-1]
    zd2 = ((h - h0) ** 2).sum(-1)
    zn2 = (h0 * h0).sum(-1)
    g4 = zd2 - zd2 * zd2 / (4 * zn2)
    rel = ((g4 - tau2).abs()[:, 1:] / tau2[:, 1:].clamp_min(1e-300)).amax(dim=(1, 2))
    eps_c = float(point.get("eps_c", 0.05))
    nrm = h0[:, -1, 0].norm(dim=-1)                                             # ||h^(0)_{L-1}||
    exact = torch.erf(eps_c / (2 * nrm)) / eps_c
    return Measurement(corr.gather(-1, wc).squeeze(-1), {
        "paper_tau_ratio_worst": paper.gather(-1, wp).squeeze(-1), "paper_tau_ratio_at_i2": paper[:, 0],
        "paper_tau_ratio_at_L": paper[:, -1], "corrected_min": corr.amin(-1), "corrected_max": corr.amax(-1),
        "tau2_over_i1_eps2_max": Q.amax(-1), "g4_formula_rel_err": rel,
        "eps_c_prime_over_eps_c": exact,
        "approx_1_over_sqrtpi_norm": 1 / (math.sqrt(math.pi) * nrm)})


# ----------------------------------------------------------------------------- Lemma 5.2 (numerical H, windowed)


def lem52_sigma(i: int, corrected: bool = True) -> float:
    """``sigma = tau/eps_x`` at which Lemma 5.1's H is built for position ``i`` (proof of 5.2, App. G.2):
    corrected ``sqrt(2(i-2))`` (AZL-RNN/PfG.2: tau^2 ~ 2(i-2) eps_x^2) or the paper's ``sqrt(i-1)`` (the
    centre of its interval ``tau in [0.9, 1.1] sqrt(i-1) eps_x``)."""
    return math.sqrt(2 * (i - 2)) if corrected else math.sqrt(i - 1)


def measure_lem52(point, ctx):
    """:func:`_measure_lem52` on one torch thread (see :class:`_intra_op_threads`)."""
    with _intra_op_threads(1):
        return _measure_lem52(point, ctx)


def _measure_lem52(point, ctx):
    """Lemma 5.2 (a) on target and (b) off target with the numerical H of Lemma 5.1 (:func:`lemma51_H`),
    EXACT Gaussian integration given the network (float64, no Monte Carlo).

    Per trial: W, A at init (sub-stream "net", ctx dtype; projections in float64), ``n`` Def. 3.1 sequences ("data"), the null sequence,
    a unit ``w* = (w*_<, 0)`` ("wstar").  With ``omega = sqrt(m/2) w~``, ``alpha~ = sqrt(m/2) a~ ~ N(0, I)``
    (H is applied to the standardized ``a = alpha~_{1..d_x}``, as Lemma 5.1's H takes ``a ~ N(0, I)``):
    ``u0 = <omega, h^(0)_{i-1}> ~ N(0, ||h^(0)||^2)``, window ``|u0| <= eps_c/sqrt 2``,
    ``<omega, h_{i'-1}> = c u0 + tau z`` (``c = <h^(0), h>/||h^(0)||^2``, ``tau = ||(I - hh^T) h_{i'-1}||``),
    ``<alpha~, x_{i'}> = A1 u + A2 b + (orthogonal Gaussian)`` with ``u = <w*_<, a_<>``, ``b = a_{d_x}``; so
    ``E[1_window 1[...] H]/eps'_c = E_{u0 | window} E_{u,b}[H(u, b) Phi_N((A1 u + A2 b + c u0)/S)]``,
    ``S^2 = ||y_<||^2 - A1^2 + tau^2 + t^2`` (``y = x_{i'}[:d_x]``, ``t = x_{i'}[d_x]``); u0 by 4-point
    Gauss-Legendre on the window (conditional density), (u, b) by 40 x 40 Gauss-Hermite (:func:`hermite_design`).
    H_{i->j} = H/eps'_c with H fit at ``sigma = sqrt(2(i-2))`` (:func:`lem52_sigma`), i = 3..L-1.
    Keys: ``on`` = max_{i, seq} |E_{i'=i} - phi(<w*, x*_i>)| (5.2a), ``off`` = max_{i, i' != i, seq} |E_{i'}|
    (5.2b, i' = 1..L), ``on_paper_sigma`` / ``off_paper_sigma`` (H fit at the paper's sigma = sqrt(i-1)),
    ``tau_ratio_worst`` (measured tau/(eps_x sigma) farthest from 1), ``eps_c_prime_over_eps_c``."""
    import numpy as np
    phi = str(point["phi"])
    eps, K = float(point["eps_x"]), ctx.trials
    eps_c = float(point.get("eps_c_rel", 0.01)) * eps
    pt = dict(point)
    net = make_net(pt, ctx)
    x = make_x(pt, ctx, dtype=torch.float64)
    n, L = x.shape[0], x.shape[1]
    tr, tr0 = net.trace(x.to(ctx.dtype)), net.trace(null_x(pt, ctx, n))
    d_x = x.shape[-1] - 1
    wv = torch.randn(K, d_x - 1, generator=ctx.generator("wstar"), dtype=torch.float64, device=ctx.device)
    wv = (wv / wv.norm(dim=1, keepdim=True)).cpu()
    act = _data.PHI_FUNCTIONS[phi]
    h_all = torch.cat([torch.zeros_like(tr.h[:, :1]), tr.h], dim=1).cpu().to(torch.float64)      # h_0 = 0, h_1..h_L: [K, L+1, n, m]
    y = x[:, :, :d_x].cpu()                                                     # [n, L, d_x]
    t = x[:, :, d_x].cpu()                                                      # [n, L]
    A1 = torch.einsum("kc,nlc->knl", wv, y[..., :d_x - 1])                     # [K, n, L]   (i' = 1..L)
    A2 = y[..., d_x - 1].expand(K, n, L)
    ynorm2 = (y[..., :d_x - 1] ** 2).sum(-1).expand(K, n, L)
    gl, glw = np.polynomial.legendre.leggauss(4)
    out = {k: torch.zeros(K, dtype=torch.float64) for k in ("on", "off", "on_paper_sigma", "off_paper_sigma")}
    tau_dev = torch.zeros(K, dtype=torch.float64)
    epr = torch.zeros(K, dtype=torch.float64)
    for i in range(3, L):                                                     # positions i = 3..L-1 (i < j <= L)
        h0 = tr0.h[:, i - 2].cpu().to(torch.float64)                           # h^(0)_{i-1}: [K, n, m]
        n0 = h0.norm(dim=-1)                                                   # [K, n]
        hp = h_all[:, :L].transpose(1, 2)                                      # h_{i'-1}, i' = 1..L: [K, n, L, m]
        c = (hp * h0.unsqueeze(2)).sum(-1) / (n0 * n0).unsqueeze(-1)          # [K, n, L]
        tau = (hp - c.unsqueeze(-1) * h0.unsqueeze(2)).norm(dim=-1)           # [K, n, L]
        S = (ynorm2 - A1 ** 2 + tau ** 2 + t.expand(K, n, L) ** 2).clamp_min(1e-300).sqrt()
        e = eps_c / math.sqrt(2)
        u0 = e * torch.from_numpy(gl)                                          # [G]
        dens = torch.from_numpy(glw) * torch.exp(-0.5 * (u0.view(1, 1, -1) / n0.unsqueeze(-1)) ** 2)   # [K, n, G]
        dens = dens / dens.sum(-1, keepdim=True)                               # conditional on the window
        shift = c.unsqueeze(-1) * u0.view(1, 1, 1, -1)                         # [K, n, L, G]
        Mx = hermite_design(A1.unsqueeze(-1).numpy(), A2.unsqueeze(-1).numpy(), S.unsqueeze(-1).numpy(),
                            shift.numpy())                                     # [K*n*L*G, (D+1)^2]
        target = act(A1[:, :, i - 1] / eps)                                    # phi(<w*, x*_i>)  [K, n]
        onehot = torch.zeros(L, dtype=torch.bool)
        onehot[i - 1] = True
        for tag, corr in (("", True), ("_paper_sigma", False)):
            beta = _CACHE.get(("lem51H", phi, lem52_sigma(i, corr)), lambda: lemma51_H(phi, lem52_sigma(i, corr)))[0]
            E = torch.from_numpy(Mx @ beta.reshape(-1)).view(K, n, L, -1)
            E = (E * dens.unsqueeze(2)).sum(-1)                                # [K, n, L]
            on = (E[:, :, i - 1] - target).abs().amax(-1)
            off = E[:, :, ~onehot].abs().amax(dim=(1, 2))
            out["on" + tag] = torch.maximum(out["on" + tag], on)
            out["off" + tag] = torch.maximum(out["off" + tag], off)
        r = tau[:, :, i - 1] / (eps * lem52_sigma(i))
        worst = torch.where(r.log().abs().amax(-1) > tau_dev.log().abs(), r.gather(-1, r.log().abs().argmax(-1, keepdim=True)).squeeze(-1), tau_dev) if i > 3 else r.gather(-1, r.log().abs().argmax(-1, keepdim=True)).squeeze(-1)
        tau_dev = worst
        epr = torch.erf(eps_c / (2 * n0[:, 0])) / eps_c
    out["tau_ratio_worst"] = tau_dev
    out["eps_c_prime_over_eps_c"] = epr
    return out


def _lem52_off(point, ctx):
    """Lemma 5.2(b) view of :func:`measure_lem52`: adds ``off_over_eps_x`` (shares the cached measurement)."""
    ex = _CACHE.get(_key("lem52", point, ctx), lambda: measure_lem52(point, ctx))
    return {**ex, "off_over_eps_x": ex["off"] / float(point["eps_x"])}


# ----------------------------------------------------------------------------- (9.2): output bound in the ball


def measure_eq92(point, ctx, steps: int = 6):
    """(9.2) on one thread (small sequential autograd steps; see :class:`_intra_op_threads`): :func:`_measure_eq92`."""
    with _intra_op_threads(1):
        return _measure_eq92(point, ctx, steps)


def _measure_eq92(point, ctx, steps: int = 6):
    """Proof of Theorem 1, (9.2) (Lemma B.1h + F.1a): ``max_{j>=3, samples} ||F_j(x*; W + W')||`` for the
    WORST ``W'`` on the Frobenius sphere ``||W'||_F = Delta/sqrt(m)`` (which contains the SGD iterates of
    Lemma 7.1) found by projected (normalized) gradient ascent: ``W'_0 = 0``, ``W'_{s+1} = r P(W'_s + r 2^{-s}
    g_s/||g_s||_F)`` with ``g_s`` the autograd gradient of the current max (per trial) and ``P`` the
    rescaling to radius ``r = Delta/sqrt m`` (``steps`` steps; the best iterate kept).  The first step is the
    linear-worst direction.  values: ``max ||F_j|| / (1 + Delta)`` (the paper's ``O(rho^7 Delta)`` for its
    ``Delta >= 1``, plus the ``O(rho)`` of B.1h at ``W' = 0``); extras: ``adv`` (raw), ``init`` (W' = 0),
    ``random`` (a Gaussian W' of the same Frobenius norm, sub-stream "pert"), ``excess = adv - init``,
    ``random_excess``, ``Delta`` (the reached ``sqrt(m) ||W'||_F``, = Delta)."""
    net = make_net(point, ctx)
    x = make_x(point, ctx, n=int(point.get("n", 4)))
    K, m = net.trials, net.m
    Delta = float(point["Delta"])
    r = Delta / math.sqrt(m)

    def fmax(Wp):
        return net.forward(x, net.W0 + Wp)[:, 2:].norm(dim=-1).reshape(K, -1).amax(-1)   # j = 3..L

    with torch.no_grad():
        init = fmax(torch.zeros_like(net.W0))
        Wr = small_perturbation(net, r, ctx, "pert")
        rand = fmax(Wr)
    Wp = torch.zeros_like(net.W0)
    best = init.clone()
    for s in range(steps):
        Wq = Wp.clone().requires_grad_(True)
        with torch.enable_grad():
            v = fmax(Wq)
            (g,) = torch.autograd.grad(v.sum(), Wq)
        best = torch.maximum(best, v.detach()) if s else best
        gn = g.reshape(K, -1).norm(dim=1).clamp_min(1e-30).view(-1, 1, 1)
        Wp = Wp + (r * 2.0 ** (-s)) * g / gn
        Wp = Wp * (r / Wp.reshape(K, -1).norm(dim=1).clamp_min(1e-30)).view(-1, 1, 1)
    with torch.no_grad():
        best = torch.maximum(best, fmax(Wp))
    return Measurement(best / (1 + Delta), {
        "adv": best, "init": init, "random": rand, "excess": (best - init).clamp_min(1e-12),
        "random_excess": (rand - init).abs().clamp_min(1e-12), "random_over_1_plus_Delta": rand / (1 + Delta),
        "Delta": Wp.reshape(K, -1).norm(dim=1) * math.sqrt(m)})


# ----------------------------------------------------------------------------- (9.3): generalization gap, T > N


def _lam_outputs(net, a, W, lam):
    """``lam F_j`` for ``j = 3..L`` of the inputs ``a = A x [K, L, r, m]`` at ``W [K, m, m]`` -> ``[K, r, L-2]`` (d = 1)."""
    h, outs = None, []
    for l in range(a.shape[1]):
        g = a[:, l] if h is None else a[:, l] + torch.bmm(h, W.transpose(1, 2))
        h = torch.relu(g)
        if l >= 2:
            outs.append(lam * torch.matmul(h, net.B.transpose(1, 2))[..., 0])
    return torch.stack(outs, dim=-1)


def measure_eq93(point, ctx):
    """Proof of Theorem 1, (9.3): the generalization gap ``E_D[Obj(W_t)] - E_Z[Obj(W_t)]`` of the training
    objective ``Obj = sum_{j>=3} G(lam F_j(x*; W + W_t), y*_j)`` along Algorithm 1 with ``T = epochs x N``
    single-sample steps (samples drawn uniformly from Z with replacement, so each is reused ~epochs times;
    the same task, step size and closed-form BPTT gradient as AZL-RNN/Thm1: :func:`thm1_task`,
    :func:`obj_and_grad`).  At t = 0 and after every N steps: ``train`` = mean over the N samples of Z (their
    noisy labels), ``test`` = mean over 256 fresh held-out samples (sub-stream "test") with the label noise
    integrated exactly (:func:`_abs_gauss_mean`).  values: ``max_t |test_t - train_t|``; extras: ``gap_last``
    (signed, at t = T), ``gap_max``, ``train_last``, ``test_last``, ``Delta = sqrt(m) ||W'_T||_F``, ``T``."""
    def run():
        with _intra_op_threads(1):
            return _measure_eq93(point, ctx)
    return _THM1_CACHE.get(_key("eq93", point, ctx), run)


def _measure_eq93(point, ctx):
    if int(point.get("d", 1)) != 1:
        raise ValueError("measure_eq93 integrates the label noise in closed form for d = 1 only")
    lam = float(point["lam"])
    net = make_net(point, ctx, lam=lam)
    As, Ws, phi, x, y = thm1_task(point, ctx)
    K, N, L, _ = x.shape
    m, E = net.m, int(point.get("epochs", 4))
    T = E * N
    sigma, d_x = float(point.get("sigma", 0.1)), Ws.shape[-1]
    eta = float(point.get("c_eta", 1.0)) / (lam * lam * m * math.sqrt(T))
    ax = torch.matmul(x, net.A.unsqueeze(1).transpose(-1, -2)).transpose(1, 2)    # [K, L, N, m]
    xt_s = _data.raw_tokens(K * 256, L, d_x, generator=ctx.generator("test"), device=ctx.device, dtype=torch.float64)
    Ft = concept_targets(As, Ws, phi, xt_s.reshape(K, 256, L - 2, d_x))[..., 0].to(ctx.dtype)   # [K, 256, L-2]
    xt = _data.transform_inputs(xt_s, float(point["eps_x"]), dtype=ctx.dtype).reshape(K, 256, L, -1)
    axt = torch.matmul(xt, net.A.unsqueeze(1).transpose(-1, -2)).transpose(1, 2)   # [K, L, 256, m]
    idx = torch.randint(0, N, (T, K), generator=ctx.generator("sgd"), device=ctx.device)
    ar = torch.arange(K, device=ctx.device)
    yz = y[..., 0]                                                                 # [K, N, L-2]

    def gap(W):
        train = (_lam_outputs(net, ax, W, lam) - yz).abs().sum(-1).mean(1)
        test = _abs_gauss_mean(_lam_outputs(net, axt, W, lam) - Ft, sigma).sum(-1).mean(1)
        return test - train, train, test

    W = net.W0.clone()
    g0, _, _ = gap(W)
    gmax = g0.abs()
    for t in range(T):
        i = idx[t]
        _, U, H, _ = obj_and_grad(net, ax[ar, :, i], y[ar, i], W, lam)
        W.baddbmm_(U.transpose(1, 2), H, alpha=-eta)
        if (t + 1) % N == 0:
            gt, train, test = gap(W)
            gmax = torch.maximum(gmax, gt.abs())
    Wp = W - net.W0
    return Measurement(gmax, {"gap_max": gmax.clamp_min(1e-12), "gap_last": gt, "gap_start": g0,
                              "train_last": train, "test_last": test,
                              "Delta": Wp.reshape(K, -1).norm(dim=1) * math.sqrt(m), "T": float(T)})


# ----------------------------------------------------------------------------- Lemma 6.3 / F.1 / 6.1: search over the ball (issue 13)


def lin_outputs(net: ElmanRNN, x, W, Wt, beta=None):
    """``d/dt B h_l(W + t W~)|_0`` for all steps, ``[K, L, n, d]``, by the tangent recursion of (5.1)
    (``allen-zhu-li-rnn-generalization-full.txt``, eq. (5.1) / Lemma 6.2: ``dg_l = W~ h_{l-1} + W dh_{l-1}``,
    ``dh_l = D_l dg_l``), differentiable in ``W`` and ``W~`` (reverse mode through the recursion).
    ``beta=None``: the exact ReLU net (``D = 1[g >= 0]``; equals :func:`jvp_outputs`, see
    ``tests/test_rnn_forall_search.py``).  ``beta`` (a number or ``[K, 1, 1]``): the smooth surrogate
    ``sigma_b(g) = b softplus(g/b)``, ``D = sigmoid(g/b)`` -- its gradient in ``W`` sees sign flips
    (used only to steer a search; every reported value is exact)."""
    x = net._input(x)
    Ax = torch.matmul(x, net.A.unsqueeze(1).transpose(-1, -2))          # [K, n, L, m]
    WT, WtT, BT = W.transpose(-1, -2), Wt.transpose(-1, -2), net.B.transpose(-1, -2)
    h = dh = None
    outs = []
    for l in range(x.shape[2]):
        if h is None:
            g = Ax[:, :, l]
            dg = torch.zeros_like(g)
        else:
            g = Ax[:, :, l] + torch.matmul(h, WT)
            dg = torch.matmul(h, WtT) + torch.matmul(dh, WT)
        if beta is None:
            D, h = (g >= 0).to(g.dtype), torch.relu(g)
        else:
            D, h = torch.sigmoid(g / beta), beta * torch.nn.functional.softplus(g / beta)
        dh = D * dg
        outs.append(torch.matmul(dh, BT))
    return torch.stack(outs, dim=1)


def _surrogate_beta(net, tr, omega: float, temperature: float):
    """Temperature ``[K, 1, 1]`` of the steering surrogate: ``temperature (sqrt(m) omega)^{2/3} m^{-1/3}``
    times the rms pre-activation at ``W0`` -- the scale of ``|g|`` below which a perturbation of
    spectral norm ``omega`` flips signs (the ``Delta^{2/3} m^{2/3}`` flips of Lemma F.1(b))."""
    m = tr.g.shape[-1]
    rms = tr.g[:, 1:].pow(2).mean(dim=(1, 2, 3)).sqrt().clamp_min(1e-30).view(-1, 1, 1)
    return temperature * (math.sqrt(m) * omega) ** (2 / 3) * m ** (-1 / 3) * rms


def steered_ball_search(exact, surrogate, shape, omega: float, *, inits, gens, temperatures, steps: int, lmo_rank,
                        device, dtype):
    """Frank-Wolfe search (:func:`ovpmodel.perturb.maximize_spectral_balls`, public API, unchanged) of
    ``exact(W') [K]`` over the spectral ball ``||W'||_2 <= omega`` of the ONE shared recurrent matrix, one
    call per restart ``j`` (generator ``gens[j]``, warm start ``inits[j]`` if given) steered by
    ``surrogate(W', temperatures[j % len])`` (``None``: the exact gradient).  The objective handed to
    the search is ``exact + (s - s.detach())`` with grad on and ``exact`` with grad off: its VALUES
    (line search, best point, result) are exact, its gradient is the surrogate's (the ZCZG/Lem5.2
    scheme, ``claims/catalog/_zczg_measures.py``).  Returns ``(W' best [K, m, m], value [K], per-restart
    values [R, K])``."""
    best_W = best_v = None
    per = []
    for j, gen in enumerate(gens):
        t = temperatures[j % len(temperatures)]

        def objective(Wp, t=t):
            v = exact(Wp)
            if t is None or not torch.is_grad_enabled():
                return v
            s = surrogate(Wp, t)
            return v.detach() + s - s.detach()

        res = _pt.maximize_spectral_balls(objective, shape, omega, generators=[gen], inits=list(inits[j:j + 1]),
                                          steps=steps, lmo_rank=lmo_rank, power_iters=1, device=device, dtype=dtype)
        v = exact(res.W).detach()                                          # re-evaluated exactly
        per.append(v)
        if best_W is None:
            best_W, best_v = res.W, v
        else:
            better = v > best_v
            best_W = torch.where(better.view(-1, 1, 1), res.W, best_W)
            best_v = torch.maximum(v, best_v)
    return best_W, best_v, torch.stack(per)


class LowRankW:
    """``W = W0 + A B^T`` (``A, B [K, m, r]``, or ``[K, C, m, r]`` for C candidates evaluated in one pass;
    ``A = None``: ``W = W0``) applied as products, never formed (``allen-zhu-li-rnn-generalization-full.txt``:
    the shared recurrent ``W + W'`` of Lemmas F.1, 6.1).  With ``tap=True`` every product records the tensor
    it multiplies and a zero tensor added to its output, so that after a backward pass :meth:`grad_factors`
    returns the gradient in ``W`` (= in ``W'``) as factors ``P Q^T``: for ``y = x W^T``, ``dW = dy^T x``; for
    ``y = x W``, ``dW = x^T dy``.  Inputs ``x [K, rows, m]`` (``[K, C, rows, m]`` with candidates)."""

    def __init__(self, W0, A=None, B=None, *, tap: bool = False):
        self.W0, self.A, self.B, self.tap, self.taps = W0, A, B, tap, []
        self.cand = A is not None and A.ndim == 4

    def _w0(self, x, M):
        if M is None:
            return 0
        K, m = x.shape[0], x.shape[-1]
        return torch.matmul(x.reshape(K, -1, m), M).reshape(*x.shape[:-1], M.shape[-1])

    def _record(self, kind, x, y):
        if not self.tap:
            return y
        e = torch.zeros_like(y, requires_grad=True)
        self.taps.append((kind, x.detach(), e))
        return y + e

    def xWT(self, x):
        """``x W^T``."""
        y = self._w0(x, None if self.W0 is None else self.W0.transpose(-1, -2))
        if self.A is not None:
            y = y + torch.matmul(torch.matmul(x, self.B), self.A.transpose(-1, -2))
        return self._record("T", x, y)

    def xW(self, x):
        """``x W``."""
        y = self._w0(x, self.W0)
        if self.A is not None:
            y = y + torch.matmul(torch.matmul(x, self.A), self.B.transpose(-1, -2))
        return self._record("N", x, y)

    def grad_factors(self):
        P, Q = [], []
        for kind, x, e in self.taps:
            K, m = x.shape[0], x.shape[-1]
            xr, gr = x.reshape(K, -1, m), e.grad.reshape(K, -1, e.shape[-1])
            if kind == "T":
                P.append(gr.transpose(1, 2)), Q.append(xr.transpose(1, 2))
            else:
                P.append(xr.transpose(1, 2)), Q.append(gr.transpose(1, 2))
        return torch.cat(P, -1), torch.cat(Q, -1)


def op_trace(net: ElmanRNN, x, op: LowRankW, beta=None):
    """Pre-activations ``g``, activations ``h`` and masks ``D``, each ``[K, (C,) L, n, m]``, of the Elman net
    (Def. 4.1: ``h_l = sigma(W h_{l-1} + A x_l)``, ``h_0 = 0``) at ``op``'s ``W``, differentiable in it;
    ``beta`` (``[K, 1, 1]``): the softplus surrogate ``h = b softplus(g/b)``, ``D = sigmoid(g/b)``, steering
    only (``beta = None``: the exact ReLU net, ``D = 1[g >= 0]`` as :meth:`ElmanRNN.trace`)."""
    x = net._input(x)
    Ax = torch.matmul(x, net.A.unsqueeze(1).transpose(-1, -2))          # [K, n, L, m]
    if op.cand:
        Ax = Ax.unsqueeze(1)
        beta = None if beta is None else beta.unsqueeze(1)
    h, gs, hs, Ds = None, [], [], []
    for l in range(x.shape[2]):
        g = Ax[..., l, :] if h is None else Ax[..., l, :] + op.xWT(h)
        if beta is None:
            D, h = (g >= 0).to(g.dtype), torch.relu(g)
        else:
            D, h = torch.sigmoid(g / beta), beta * torch.nn.functional.softplus(g / beta)
        gs.append(g), hs.append(h), Ds.append(D)
    st = lambda v: torch.stack(v, -3)
    if op.cand and len(gs) > 1:                                          # step 1 has no W: broadcast it
        gs[0], hs[0], Ds[0] = (t.expand_as(g) for t in (gs[0], hs[0], Ds[0]))
    return st(gs), st(hs), st(Ds)


def op_back_rows(net: ElmanRNN, D, op: LowRankW):
    """``Back_{i->j}`` for all ``1 <= i <= j <= L`` (Def. 4.1: ``Back_{j->j} = B``, ``Back_{i-1->j} =
    Back_{i->j} D_i W``) as ``[K, (C,) P, n, d, m]`` (P = L(L+1)/2 pairs) from masks ``D [K, (C,) L, n, m]``;
    the chains of all j are advanced together (one product with ``W`` per step i)."""
    L, n, m = D.shape[-3], D.shape[-2], D.shape[-1]
    lead = D.shape[:-3]
    Bn = net.B.view(net.B.shape[0], *([1] * (len(lead) - 1)), 1, net.d, m).expand(*lead, n, net.d, m)
    out, M_ = [], None                                                   # M_: [*lead, J, n, d, m]
    for i in range(L, 1, -1):
        M_ = Bn.unsqueeze(-4) if M_ is None else torch.cat([M_, Bn.unsqueeze(-4)], -4)
        out.append(M_)
        MD = M_ * D[..., i - 1, :, :].unsqueeze(-2).unsqueeze(-4)
        J = MD.shape[-4]
        M_ = op.xW(MD.reshape(*lead, J * n * net.d, m)).reshape(*lead, J, n, net.d, m)
    out.append(torch.cat([M_, Bn.unsqueeze(-4)], -4))
    return torch.cat(out, -4)


def _polar_lowrank(P, Q, omega: float):
    """:func:`ovpmodel.perturb.lowrank_spectral_lmo` for ``P, Q [K, m, k]`` with the trailing null
    columns (singular pairs dropped in every trial) cut off, so that the rank of the iterate grows
    only by what the gradient has; factors ``(omega U, V)``."""
    U, V, _ = _pt.lowrank_spectral_lmo(P, Q, omega)
    r = max(int((U.norm(dim=-2) > 0).sum(-1).max()), 1)                # S is sorted: drop the null columns
    return U[..., :r], V[..., :r]


def factored_ball_search(exact, steer, W0, omega: float, init, *, steps: int = 3, gammas=(1.0, 0.5, 0.25, 0.0625)):
    """Frank-Wolfe ascent of ``exact(op) [K]`` over the spectral ball ``||W'||_2 <= omega`` of the ONE shared
    recurrent matrix, the algorithm of :func:`ovpmodel.perturb.maximize_spectral_balls` (oracle ``omega U V^T``
    of the gradient, ``W' <- W' + gamma (S - W')`` with the best improving ``gamma`` per trial, no move if
    none improves, early stop when no trial improved) in FACTORED form ``W' = A B^T`` (``op = LowRankW(W0,
    A, B)``): every product with ``W`` is taken as ``x W0^T + (x B) A^T``, and the gradient comes as factors
    (:meth:`LowRankW.grad_factors`), so the oracle is exact (:func:`_polar_lowrank`) and no dense ``m x m``
    iterate, gradient or SVD is formed (the dense search costs ~1.7 s CPU per objective at m = 512, K = 16).
    ``exact(op)`` returns ``[K]``, or ``[K, C]`` for an ``op`` holding C candidates (the line search
    evaluates all ``gammas`` in one pass).  ``steer(op) [K]`` is the differentiable objective whose gradient steers (a softplus surrogate, or the
    exact one); every compared and returned value is ``exact`` (the ZCZG/Lem5.2 scheme of
    ``claims/catalog/_zczg_measures.py``).  ``init = (A, B)`` (inside the ball).  Returns
    ``(value [K], (A, B))``."""
    A, B = init

    def op_of(A_, B_, tap=False):
        return LowRankW(W0, A_, B_, tap=tap)

    with torch.no_grad():
        val = exact(op_of(A, B))
    for _ in range(steps):
        op = op_of(A, B, tap=True)
        with torch.enable_grad():
            s = steer(op)
            s.sum().backward()
        P, Q = op.grad_factors()
        U, V = _polar_lowrank(P, Q, omega)
        gs = torch.tensor(gammas, dtype=A.dtype, device=A.device).view(1, -1, 1, 1)
        Ac = torch.cat([(1 - gs) * A.unsqueeze(1), gs * U.unsqueeze(1)], -1)          # [K, C, m, r + k]
        Bc = torch.cat([B, V], -1).unsqueeze(1).expand(-1, len(gammas), -1, -1)
        with torch.no_grad():
            vc = exact(op_of(Ac, Bc))                                                # [K, C], one pass
        # first best gamma in the order given (ties to the earlier one, as maximize_spectral_balls)
        best_g = torch.zeros_like(val)
        cur = val
        for c_, g in enumerate(gammas):
            better = vc[:, c_] > cur
            cur = torch.where(better, vc[:, c_], cur)
            best_g = torch.where(better, torch.full_like(best_g, g), best_g)
        if not bool((best_g > 0).any()):
            break
        gk = best_g.view(-1, 1, 1)
        A, B = torch.cat([(1 - gk) * A, gk * U], -1), torch.cat([B, V], -1)
        val = cur
    return val, (A, B)


def _flatmax(v, cand: bool, keep: int = 0):
    """``max`` over all but the trial (and candidate) dims; with ``keep`` also the argmax."""
    f = v.flatten(2 if cand else 1)
    return f.amax(-1) if not keep else f.max(-1)


def _rank_one_factors(Wp, hprev):
    """``(A, B)`` with ``A B^T = Wp`` for the targeted flip ``Wp = omega y v^T``, ``v = hprev/||hprev||``."""
    v = (hprev / hprev.norm(dim=-1, keepdim=True)).unsqueeze(-1)
    return Wp @ v, v


def _lowrank_spec(A, B):
    """Exact ``||A B^T||_2`` per trial (thin QRs and the SVD of the ``r x r`` core)."""
    _, Ra = torch.linalg.qr(A)
    _, Rb = torch.linalg.qr(B)
    return torch.linalg.matrix_norm(Ra @ Rb.transpose(-1, -2), ord=2)


def f1_search(point, ctx, part: str, *, steps: int = 3, temperature: float = 1.0):
    """Search of Lemma F.1 (``allen-zhu-li-rnn-generalization-full.txt``, App. F: "for every W' with
    ||W'||_2 <= Delta/sqrt m", one perturbation of the shared recurrent W) for part ``a`` (``sqrt(m) max_i
    ||h'_i|| / Delta``), ``b`` (``max_i ||D'_i||_0``, in units ``(Delta m)^{2/3}``) or ``c`` (``max_{i<=j}
    ||Back'_{i->j}||_2``, units ``(Delta m)^{1/3}``), max over samples: :func:`factored_ball_search` warm-started
    at the construction of :func:`measure_f1` (the targeted flip at step ``L//2 + 1`` of sample 0), steered by
    the softplus surrogate (``temperature`` x :func:`_surrogate_beta`) of the arg-max entry (for ``b``: the soft
    count ``sum_k sigmoid(-sign(g0_k) g_k / beta)``).  Returns ``(value [K] in the claim's units, raw [K]
    (||h'||, flips or ||Back'||), ||W'||_2 / omega [K])``; every value exact (float64)."""
    net, x, tr, init = _f1_state(point, ctx)
    K, L, n, m = tr.g.shape
    Delta = float(point["Delta"])
    omega = Delta / math.sqrt(m)
    base = LowRankW(net.W0)
    with torch.no_grad():
        g0, h0, D0 = op_trace(net, x, base)
        Bk0 = op_back_rows(net, D0, base) if part == "c" else None
    beta = _surrogate_beta(net, tr, omega, temperature)
    unit = {"a": Delta / math.sqrt(m), "b": (Delta * m) ** (2 / 3), "c": (Delta * m) ** (1 / 3)}[part]
    ix = torch.arange(K, device=net.device)

    def raw(op, b=None):
        g, h, D = op_trace(net, x, op, b)
        c = op.cand
        if part == "a":
            return (h - (h0.unsqueeze(1) if c else h0)).norm(dim=-1)
        if part == "b":
            return ((g >= 0) != ((g0.unsqueeze(1) if c else g0) >= 0)).sum(-1).to(g.dtype)
        Bk = op_back_rows(net, D, op)
        return spec_rows(Bk - (Bk0.unsqueeze(1) if c else Bk0))

    def exact(op):
        return _flatmax(raw(op), op.cand) / unit

    def steer(op):
        if part == "b":
            g = op_trace(net, x, op)[0]
            with torch.no_grad():
                i = ((g >= 0) != (g0 >= 0)).sum(-1).flatten(1).argmax(-1)
            soft = torch.sigmoid(-torch.sign(g0) * g / beta.unsqueeze(1)).sum(-1).flatten(1)
            return soft[ix, i]
        with torch.no_grad():
            i = raw(LowRankW(op.W0, op.A, op.B)).flatten(1).argmax(-1)
        return raw(op, beta).flatten(1)[ix, i]

    val, (A, B) = factored_ball_search(exact, steer, net.W0, omega, init, steps=steps)
    return val, val * unit, _lowrank_spec(A, B) / omega


_F1_SERIES = {"a": ("f1a", "random_f1a", None), "b": ("f1b", "random_f1b", "flips"), "c": ("f1c", "random_f1c", "back")}


F1_STEPS = {"a": 2, "b": 2, "c": 1}   # Frank-Wolfe steps per part: the ~3 s CPU per claim budget under 'ci' (issue 13)


def f1_measure(part: str, *, search: bool = True, steps: int | None = None):
    """The measure of claim ``AZL-RNN/F.1<part>`` (Lemma F.1, ``allen-zhu-li-rnn-generalization-full.txt``):
    the cached constructed + random measurement of :func:`measure_f1` (shared by the three parts) plus,
    with ``search``, the part's own :func:`f1_search` (cached per part).  ``values`` = the worst of the
    series ``random``, ``constructed``, ``search`` (extras, in the claim's units); the scaling series
    ``flips`` (b) / ``back`` (c) become the worst raw value; ``search_over_constructed``, ``search_norm``."""
    key_c, key_r, raw_key = _F1_SERIES[part]
    steps = F1_STEPS[part] if steps is None else steps

    def measure(point, ctx):
        ex = dict(_CACHE.get(_key("f1", point, ctx), lambda: measure_f1(point, ctx)))
        ser = {"random": ex[key_r], "constructed": ex[key_c]}
        if search:
            v, r, nrm = _CACHE.get(_key(f"f1s-{part}-{steps}", point, ctx), lambda: f1_search(point, ctx, part, steps=steps))
            ser["search"] = v
            ex.update({"search_over_constructed": v / ex[key_c].clamp_min(1e-30), "search_norm": nrm})
        values = torch.stack(list(ser.values())).amax(0)
        ex.update(ser)
        if raw_key is not None:
            Delta, m = float(point["Delta"]), int(point["m"])
            u = (Delta * m) ** (2 / 3) if part == "b" else (Delta * m) ** (1 / 3)
            ex[raw_key] = (values * u).clamp_min(0.5 if part == "b" else 0.0)
        return Measurement(values, ex)

    measure.__name__ = f"measure_f1{part}" + ("_search" if search else "")
    return measure


def lem61_search(point, ctx, *, steps: int = 2, temperature: float = 1.0):
    """Search of Lemma 6.1 (``allen-zhu-li-rnn-generalization-full.txt``, Sec. 6: "given any perturbation matrix
    W' with ||W'||_2 <= Delta/sqrt m", one perturbation of the shared recurrent W) for the residual
    ``max_{j, samples} ||B h_j(W + W') - B h_j(W) - f_j(W')||`` (``f_j`` = (5.1), the exact JVP, here the
    tangent recursion ``dg_l = W' h_{l-1} + W dh_{l-1}``, ``dh_l = D_l dg_l`` at ``W = W0``):
    :func:`factored_ball_search` warm-started at the construction of :func:`measure_lem61` (the aligned
    targeted flip at step L), steered by the softplus surrogate of the forward pass at the arg-max entry.
    Returns ``(raw residual [K], ||W'||_2 / omega [K])`` (float64, exact)."""
    net, x, tr = _init_state(point, ctx)
    K, L, n, m = tr.g.shape
    Delta = float(point["Delta"])
    omega = Delta / math.sqrt(m)
    q = torch.randn(K, net.d, generator=ctx.generator("q"), device=net.device, dtype=net.dtype)
    Wp, _ = _targeted(net, tr, L, omega, q)
    init = _rank_one_factors(Wp, tr.h[:, L - 2, 0])
    del Wp
    beta = _surrogate_beta(net, tr, omega, temperature)
    base = LowRankW(net.W0)
    with torch.no_grad():
        g0, h0, D0 = op_trace(net, x, base)
        hb0 = op_trace(net, x, base, beta)[1]
    outB = lambda h: torch.einsum("k...m,kdm->k...d", h, net.B)
    y0, yb0 = outB(h0), outB(hb0)
    ix = torch.arange(K, device=net.device)

    def resid(op, b=None):
        c = op.cand
        h = op_trace(net, x, op, b)[1]
        pert = LowRankW(None, op.A, op.B, tap=op.tap)
        pert.taps = op.taps
        hp, Dp = (h0.unsqueeze(1), D0.unsqueeze(1)) if c else (h0, D0)
        dh, dhs = None, []
        for l in range(L):
            if l == 0:
                dh = torch.zeros_like(h[..., 0, :, :])
            else:
                dh = Dp[..., l, :, :] * (pert.xWT(hp[..., l - 1, :, :]) + base.xWT(dh))
            dhs.append(dh)
        jv = outB(torch.stack(dhs, -3))
        ref = (yb0 if b is not None else y0)
        return (outB(h) - (ref.unsqueeze(1) if c else ref) - jv).norm(dim=-1)      # [K, (C,) L, n]

    def exact(op):
        return _flatmax(resid(op), op.cand)

    def steer(op):
        with torch.no_grad():
            i = resid(LowRankW(op.W0, op.A, op.B)).flatten(1).argmax(-1)
        return resid(op, beta).flatten(1)[ix, i]

    val, (A, B) = factored_ball_search(exact, steer, net.W0, omega, init, steps=steps)
    return val, _lowrank_spec(A, B) / omega, (A, B)


LEM61_STEPS = 2


def lem61_measure(*, search: bool = True, steps: int | None = None):
    """The measure of ``AZL-RNN/Lem6.1``: the cached constructed + random :func:`measure_lem61` plus, with
    ``search``, :func:`lem61_search` (cached).  ``values`` = the worst of the series ``random``,
    ``constructed``, ``search`` (extras, each residual / (Delta^{4/3} m^{-1/6})); the scaling series ``resid``
    becomes the worst raw residual (``resid_constructed``, ``resid_random`` the others)."""
    steps = LEM61_STEPS if steps is None else steps

    def measure(point, ctx):
        ex = dict(_CACHE.get(_key("l61", point, ctx), lambda: measure_lem61(point, ctx)))
        Delta, m = float(point["Delta"]), int(point["m"])
        unit = Delta ** (4 / 3) * m ** (-1 / 6)
        raw = {"random": ex["random"], "constructed": ex["resid"]}
        if search:
            v, nrm, _ = _CACHE.get(_key(f"l61s-{steps}", point, ctx), lambda: lem61_search(point, ctx, steps=steps))
            raw["search"] = v
            ex.update({"search_over_constructed": v / ex["resid"].clamp_min(1e-30), "search_norm": nrm})
        worst = torch.stack(list(raw.values())).amax(0)
        ex.update({"resid_constructed": ex["resid"], "resid_random": ex["random"], "resid": worst.clamp_min(1e-30)})
        ex.update({k: v / unit for k, v in raw.items()})
        return Measurement(worst / unit, ex)

    measure.__name__ = "measure_lem61" + ("_search" if search else "")
    return measure
