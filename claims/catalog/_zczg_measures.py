"""Measures for the ZCZG claim catalog (``claims/catalog/zczg.py``).

Paper: ``papers/zou-cao-zhou-gu-deep-relu-gd.txt`` (Zou, Cao, Zhou, Gu, *Gradient
descent optimizes over-parameterized deep ReLU networks*, Mach. Learn. 2020).
Network F3 of CLAIMS.md: ``f_W(x) = v^T sigma(W_L^T ... sigma(W_1^T x))``, columns of
``W_l`` ~ ``N(0, 2/m_l I)``, balanced fixed ``v``, mean logistic loss.

Every measure is a factory ``make_*(**knobs) -> measure(point, ctx)`` so that tests
can build deliberately broken variants (``init_scale=1/sqrt(2)`` turns the He
variance ``2/m`` into ``1/m``).  All measures batch over the K trials of ``ctx``
(one ``ZCZGNet`` holds them) and draw all randomness from ``ctx.generator(...)``.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from ovpmodel import data as _data
from ovpmodel.zczg import ZCZGNet

from ovpmodel import perturb as _perturb

from claims import Measurement

MU = 1.0 / math.sqrt(2.0)     # Assumption 4.1 last coordinate used throughout
D_IN = 16                      # input dimension d (m_0)
LOG2 = math.log(2.0)


# ----------------------------------------------------------------------------- builders


def even(m) -> int:
    """``m`` rounded down to an even number >= 2 (v needs m_L even)."""
    return max(2, 2 * (int(m) // 2))


def build_net(point, ctx, *, init_scale: float = 1.0, key: str = "net", d: int = D_IN) -> ZCZGNet:
    """The ZCZG net of ``point`` (``m``, ``L``) with K = ctx.trials initialisations.

    ``init_scale`` multiplies every ``W_l^(0)`` (1/sqrt(2) = the *wrong* variance 1/m,
    used only by tests to show that the checks catch a broken model).
    """
    net = ZCZGNet(even(point["m"]), d, L=int(point["L"]), trials=ctx.trials,
                  generator=ctx.generator(key), device=ctx.device, dtype=ctx.dtype)
    if init_scale != 1.0:
        net.W0 = tuple(w * init_scale for w in net.W0)
    return net


def inputs(point, ctx, *, n=None, phi=None, d: int = D_IN, key: str = "data"):
    """Data satisfying Assumptions 4.1 (and 4.2 with ``phi``): ``(x [n,d], y [n])``."""
    n = int(point.get("n", 1) if n is None else n)
    return _data.zczg_inputs(n, d, mu=MU, phi=phi, generator=ctx.generator(key),
                             device=ctx.device, dtype=ctx.dtype)


def plant_close_pair(x, y, phi):
    """Replace the last point by one of the opposite label of point 0 at distance
    exactly ``phi`` (rotation inside the ``(x)_d = mu`` slice), so that the
    Assumption-4.2 constant is attained.  Returns ``(x, y, phi_actual)`` where
    ``phi_actual`` is the min cross-label distance of the new data (<= phi)."""
    x = x.clone()
    y = y.clone()
    n, d = x.shape
    r = math.sqrt(1 - MU * MU)
    a = x[0, :-1] / r                                   # unit in R^{d-1}
    b = x[1 % n, :-1] - (x[1 % n, :-1] @ a) * a          # a direction orthogonal to a
    if float(b.norm()) < 1e-8:
        b = torch.zeros_like(a)
        b[int(a.abs().argmin())] = 1.0
        b = b - (b @ a) * a
    b = b / b.norm()
    theta = 2 * math.asin(min(1.0, phi / (2 * r)))      # chord phi on the radius-r sphere
    x[-1, :-1] = r * (math.cos(theta) * a + math.sin(theta) * b)
    x[-1, -1] = MU
    y[-1] = -y[0]
    pos, neg = x[y > 0], x[y < 0]
    phi_act = float(torch.cdist(pos.double(), neg.double()).min())
    return x, y, phi_act


def layer_inputs(net, x, W):
    """``[x_0, x_1, ..., x_L]`` each ``[K, n, m_l]`` and the trace at ``W``."""
    tr = net.trace(x, W)
    x0 = net.expand_data(x, torch.ones(x.shape[-2], dtype=net.dtype, device=net.device))[0]
    return [x0] + list(tr.h), tr


def cheap_random_ball(net, tau, gen):
    """Gaussian perturbations with ``||Delta_l||_2 <= tau`` w.h.p.

    ``G / (sqrt p + sqrt q + 4)`` has spectral norm < 1 with probability
    ``>= 1 - e^{-8}`` (Gaussian concentration of ``||G||_2``), ``~ 1 - O(p^{-1/2})``
    close to 1 for large p, q: a full-rank random direction of norm ~tau without an
    SVD per matrix (``perturb.random_spectral`` does an exact SVD, too slow at m=1024).
    """
    out = []
    for w in net.W0:
        p, q = w.shape[-2:]
        G = torch.randn(w.shape, generator=gen, device=w.device, dtype=w.dtype)
        out.append(G * (tau / (math.sqrt(p) + math.sqrt(q) + 4.0)))
    return out


def random_rank_one_ball(net, tau, gen):
    """``W^(0) + Delta`` with ``Delta_l = tau u_l w_l^T`` (random unit u, w): a cheap point
    of ``B(W^(0), tau)`` with ``||Delta_l||_2 = tau`` exactly."""
    out = []
    for w in net.W0:
        K, p, q = w.shape
        u = torch.randn(K, p, 1, generator=gen, device=w.device, dtype=w.dtype)
        v = torch.randn(K, 1, q, generator=gen, device=w.device, dtype=w.dtype)
        out.append(w + tau * (u / u.norm(dim=-2, keepdim=True)) * (v / v.norm(dim=-1, keepdim=True)))
    return tuple(out)


def _flip_one_layer(g, h_prev, tau, exclude=None):
    """ZCZG-oriented targeted rank-one flip: ``Delta [K, m_in, m]`` (so ``Delta^T h_prev``
    moves ``g``), ``||Delta||_2 <= tau``.  Coordinates in ``exclude`` (already flipped)
    are not targeted (ovpmodel.perturb.targeted_sign_flip)."""
    gg = g
    if exclude is not None:
        big = 1e6 * (g.abs().amax(dim=-1, keepdim=True) + 1.0)
        gg = torch.where(exclude, torch.sign(g) * big + (g == 0) * big, g)
    Wp, _ = _perturb.targeted_sign_flip(gg, h_prev, tau)
    return Wp.transpose(-1, -2)


def targeted_perturbation(net, x, W0, tau, *, sample: int = 0, layers=None):
    """Greedy sequential multi-layer rank-one sign-flip attack inside ``B(W0, tau)``.

    For ``l = 1..L`` (in order): with the already perturbed ``x_hat_{l-1,i}`` of the
    targeted sample ``i``, add the rank-one ``Delta_l`` that flips as many of the
    not-yet-flipped signs of ``W_l^T x_hat_{l-1,i}`` relative to the *initial*
    pattern ``Sigma_{l,i}`` as the budget ``tau`` allows (CLAIMS.md section 0: about
    ``(3/pi)^{1/3} tau^{2/3} m_l`` flips).  Returns the perturbed tuple ``W``.
    """
    L = net.L
    layers = range(L) if layers is None else layers
    xs, tr0 = layer_inputs(net, x, W0)
    h = xs[0][:, sample]                                # [K, d]
    W = list(W0)
    for l in range(L):
        g = (h.unsqueeze(-2) @ W0[l]).squeeze(-2)       # [K, m_l]
        if l in layers:
            s0 = tr0.D[l][:, sample]
            flipped = (g > 0) != s0
            Delta = _flip_one_layer(g, h, tau, exclude=flipped)
            W[l] = W0[l] + Delta
            g = (h.unsqueeze(-2) @ W[l]).squeeze(-2)
        h = torch.relu(g)
    return tuple(W)


def flip_counts(net, x, W0, W):
    """``[K, L, n]`` counts ``||Sigma_hat_{l,i} - Sigma_{l,i}||_0`` and the traces."""
    t0, t1 = net.trace(x, W0), net.trace(x, W)
    return torch.stack([(a != b).sum(-1) for a, b in zip(t0.D, t1.D)], dim=1), t0, t1


def rows(net, tr, W):
    """Backward row vectors ``r_l = v^T (prod_{r=l+1}^L Sigma_r W_r^T) Sigma_l``,
    list over l of ``[K, n, m_l]`` (ZCZG (b.3); D^(k)_{l,i} of the Lemma 5.3 proof)."""
    K = net.trials
    n = tr.out.shape[-1]
    row = net.v.expand(K, n, -1)
    out = [None] * net.L
    for l in range(net.L - 1, -1, -1):
        r = row * tr.D[l].to(row.dtype)
        out[l] = r
        row = r @ W[l].transpose(-1, -2)
    return out


def lprime(z):
    """``ell'(z) = -1/(1+e^z)``."""
    return -torch.sigmoid(-z)


def per_layer_grad_norms(net, x, y, W):
    """Loss ``[K]``, ``||grad_{W_l} L_S||_F`` ``[K, L]``, ``sum_i |ell'_i|`` ``[K]``, outputs."""
    Ls, G = net.grad(x, y, W)
    gn = torch.stack([g.reshape(g.shape[0], -1).norm(dim=-1) for g in G], dim=-1)
    out = net.forward(x, W)
    yk = net.expand_data(x, y)[1]
    lp = lprime(yk * out)
    return Ls, gn, lp.abs().sum(-1), G, out


# ----------------------------------------------------------------------------- priority 1


def make_grad_measure(init_scale: float = 1.0, formula=None):
    """ZCZG/Grad: relative error of autograd vs the Sec. 3 closed form, and of the
    piecewise-linear identity ``f_W(x_i) = v^T (prod_{r=l}^L Sigma_r W_r^T) x_{l-1,i}``."""

    def measure(point, ctx):
        net = build_net(point, ctx, init_scale=init_scale)
        x, y = inputs(point, ctx)
        # evaluate at init and at a point of the ball (not only at W0)
        W = random_rank_one_ball(net, float(point["tau"]), ctx.generator("ball"))
        _, G = net.grad(x, y, W)
        Fm = net.grad_formula(x, y, W) if formula is None else formula(net, x, y, W)
        rel = torch.stack([(a - b).reshape(a.shape[0], -1).norm(dim=-1)
                           / b.reshape(b.shape[0], -1).norm(dim=-1).clamp_min(1e-300)
                           for a, b in zip(G, Fm)], dim=-1).amax(-1)
        xs, tr = layer_inputs(net, x, W)
        f = tr.out
        scale = (tr.h[-1].abs() @ net.v.abs()).clamp_min(1e-300)      # sum_k |v_k x_{L,k}|
        ident = torch.zeros_like(rel)
        for l in range(net.L):
            z = xs[l]
            for r in range(l, net.L):
                z = (z @ W[r]) * tr.D[r].to(z.dtype)
            ident = torch.maximum(ident, ((z @ net.v - f).abs() / scale).amax(-1))
        return Measurement(torch.maximum(rel, ident), {"grad_rel_err": rel, "identity_rel_err": ident})

    return measure


def make_rem41_measure():
    """ZCZG/Rem4.1: ``Q = n L_S(W) / ell(min_i y_i yhat_i) >= 1``; Q >= 1 together with
    ``ell`` strictly decreasing gives Remark 4.1 (``L_S <= log2/n  =>  y_i yhat_i >= 0``).
    Adversarial W: labels planted as ``sign(f_{W0}(x_i))`` except the point with the
    smallest |f| (misclassified), last layer scaled by ``c`` (log-uniform in [1, 1e3])
    so all other losses vanish: Q -> 1 from above (the inequality is tight). Where
    ``ell(min_i y_i yhat_i)`` underflows (huge margins) Q is computed in log space [U]."""

    def measure(point, ctx):
        net = build_net(point, ctx)
        n = int(point["n"])
        x, _ = inputs(point, ctx)
        K = ctx.trials
        f0 = net.forward(x)                                  # [K, n]
        y = torch.sign(f0)
        y = torch.where(y == 0, torch.ones_like(y), y)
        worst = f0.abs().argmin(dim=-1, keepdim=True)
        flip = torch.ones_like(y).scatter(-1, worst, -1.0)
        half = torch.arange(K, device=ctx.device) % 2 == 0    # odd trials: all correct
        y = torch.where(half.unsqueeze(-1), y * flip, y)
        u = torch.rand(K, generator=ctx.generator("scale"), device=ctx.device, dtype=ctx.dtype)
        c = 10.0 ** (3.0 * u)
        W = list(net.W0)
        W[-1] = W[-1] * c.view(K, 1, 1)
        Ls = net.loss(x, y, tuple(W))
        z = y * net.forward(x, tuple(W))
        zmin = z.amin(-1)
        Q = n * Ls / F.softplus(-zmin)
        # [U] float underflow: at margins zmin > ~708 (float64; c up to 1e3 on an all-correct
        # trial) ell(zmin) = log1p(e^{-zmin}) is subnormal or 0, and so is n L_S = sum_i ell_i:
        # the direct ratio loses all precision or is 0/0 = NaN. There Q is evaluated as
        # sum_i exp(log ell_i - log ell_imin) with log ell(z) = -z where ell(z) < tiny (exact
        # to float precision: log ell(z) = -z + log1p(-e^{-z}/2 + ...)); the same real number.
        # Trials with ell(zmin) >= tiny keep the direct ratio (bitwise unchanged).
        tiny = torch.finfo(z.dtype).tiny
        under = F.softplus(-zmin) < tiny
        if bool(under.any()):
            ell = F.softplus(-z)
            log_ell = torch.where(ell >= tiny, ell.clamp_min(tiny).log(), -z)
            log_ell_min = log_ell.gather(-1, z.argmin(-1, keepdim=True))
            Q = torch.where(under, torch.exp(log_ell - log_ell_min).sum(-1), Q)
        premise = (Ls <= LOG2 / n).to(ctx.dtype)
        all_correct = (zmin >= 0).to(ctx.dtype)
        # Remark 4.1 literally: premise => all correct; a violation forces Q < 1 anyway
        Q = torch.where((premise > 0) & (all_correct == 0), torch.zeros_like(Q), Q)
        return Measurement(Q, {"premise_holds": premise, "all_correct": all_correct})

    return measure


def logistic_facts(x, dl, a, b, p, q):
    """Normalised slacks (>= 0 iff the fact holds) of the four logistic-loss facts."""
    ell = F.softplus(-x)
    nlp = torch.sigmoid(-x)                       # -ell'(x) = 1/(1+e^x)
    s_a = (nlp - torch.minimum(torch.full_like(x, 0.5), ell / (2 * LOG2))) / nlp
    rhs = ell - nlp * dl + dl * dl / 8
    lhs = F.softplus(-(x + dl))
    s_b = (rhs - lhs) / (ell + (nlp * dl).abs() + dl * dl / 8 + lhs)
    mn = torch.minimum(a, b)
    s_c = (mn - 1 / (1 / a + 1 / b)) / mn
    xs, ys = torch.minimum(p, q), torch.maximum(p, q)
    # 1/y - 1/x evaluated as (x - y)/(x y): the same number without cancellation
    l4, r4 = (xs - ys) / ys ** 2, (xs - ys) / (xs * ys)
    s_d = (l4 - r4) / (l4.abs() + r4.abs() + 1e-300)
    return s_a, s_b, s_c, s_d


def make_aux_measure():
    """ZCZG/Aux-loss: ``Q = 1 + min`` normalised slack over the four facts on a grid of
    ``[-span, span]`` plus random points (per trial 4096 points)."""

    def measure(point, ctx):
        span = float(point["span"])
        K, N = ctx.trials, 4096
        g = ctx.generator("aux")
        dt, dev = ctx.dtype, ctx.device
        grid = torch.linspace(-span, span, 1001, dtype=dt, device=dev)
        grid = torch.cat([grid, torch.zeros(1, dtype=dt, device=dev)])
        x = torch.cat([grid.expand(K, -1), span * (2 * torch.rand(K, N, generator=g, device=dev, dtype=dt) - 1)], -1)
        M = x.shape[-1]
        dl = span * (2 * torch.rand(K, M, generator=g, device=dev, dtype=dt) - 1) \
            * 10.0 ** (-6 * torch.rand(K, M, generator=g, device=dev, dtype=dt))
        a = 10.0 ** (12 * torch.rand(K, M, generator=g, device=dev, dtype=dt) - 6)
        b = 10.0 ** (12 * torch.rand(K, M, generator=g, device=dev, dtype=dt) - 6)
        p = 10.0 ** (6 * torch.rand(K, M, generator=g, device=dev, dtype=dt) - 3)
        q = p * (1 + 10.0 ** (-8 * torch.rand(K, M, generator=g, device=dev, dtype=dt)))
        s = [t.amin(-1) for t in logistic_facts(x, dl, a, b, p, q)]
        Q = 1 + torch.stack(s, -1).amin(-1)
        return Measurement(Q, {"slack_lprime_lower": s[0], "slack_smooth": s[1],
                               "slack_min_harmonic": s[2], "slack_reciprocal": s[3]})

    return measure


def make_lemA1_measure(init_scale: float = 1.0):
    """ZCZG/LemA.1: ``max_{l,i} | ||x_{l,i}|| - 1 | / l`` (the bound's ``l`` moved left)."""

    def measure(point, ctx):
        net = build_net(point, ctx, init_scale=init_scale)
        x, _ = inputs(point, ctx)
        tr = net.trace(x)
        dev = torch.stack([(h.norm(dim=-1) - 1).abs().amax(-1) for h in tr.h], -1)   # [K, L]
        ls = torch.arange(1, net.L + 1, device=ctx.device, dtype=ctx.dtype)
        return Measurement((dev / ls).amax(-1), {"dev_last": dev[:, -1], "dev_max": dev.amax(-1)})

    return measure


def normalized_cross_dist(hs, y):
    """min over opposite-label pairs of ``||xbar_i - xbar_j||`` for each layer: ``[K, L]``."""
    out = []
    for h in hs:
        hb = h / h.norm(dim=-1, keepdim=True).clamp_min(1e-300)
        Dm = torch.cdist(hb, hb, compute_mode="donot_use_mm_for_euclid_dist")
        cross = (y.unsqueeze(-1) != y.unsqueeze(-2))
        out.append(torch.where(cross, Dm, torch.full_like(Dm, math.inf)).flatten(-2).amin(-1))
    return torch.stack(out, -1)


def make_lemB1_measure(init_scale: float = 1.0):
    """ZCZG/LemB.1: ``min_{l, y_i != y_j} ||xbar_{l,i} - xbar_{l,j}|| / phi`` with the
    Assumption-4.2 constant ``phi`` attained by a planted opposite-label pair."""

    def measure(point, ctx):
        net = build_net(point, ctx, init_scale=init_scale)
        x, y = inputs(point, ctx, phi=float(point["phi"]))
        x, y, phi_act = plant_close_pair(x, y, float(point["phi"]))
        tr = net.trace(x)
        dist = normalized_cross_dist(tr.h, y)
        # [D] infinite-width recursion 1/theta_l = 1/theta_{l-1} + 1/(3 pi)
        th = 2 * math.asin(min(1.0, phi_act / 2))
        pred = 1 / (1 / th + net.L / (3 * math.pi))
        return Measurement(dist.amin(-1) / phi_act,
                           {"last_layer": dist[:, -1] / phi_act, "inf_width_pred": 2 * math.sin(pred / 2) / phi_act})

    return measure


def _chain_points(n, d, phi, gen, dt, dev, K):
    """Per trial: unit vectors along a geodesic arc (cap of a pole), spacing phi."""
    base = torch.randn(K, 2, d, generator=gen, device=dev, dtype=dt)
    e1 = base[:, 0] / base[:, 0].norm(dim=-1, keepdim=True)
    e2 = base[:, 1] - (base[:, 1] * e1).sum(-1, keepdim=True) * e1
    e2 = e2 / e2.norm(dim=-1, keepdim=True)
    step = 2 * math.asin(phi / 2)
    ang = (torch.arange(n, device=dev, dtype=dt) - (n - 1) / 2) * step
    return torch.cos(ang).view(1, n, 1) * e1.unsqueeze(1) + torch.sin(ang).view(1, n, 1) * e2.unsqueeze(1), e1, e2


def make_lemB2_measure(samples: int = 1 << 15, sigmas: float = 5.0):
    """ZCZG/LemB.2: ``P[||h(w)|| >= ||a||_inf / 2] * n / phi_t`` by Monte Carlo over
    ``w ~ N(0, I_d)`` (an upper confidence bound ``p_hat + sigmas*SE + sigmas/N``,
    so Monte-Carlo noise cannot produce a false violation), for an adversarial
    configuration ``(z, y, a)`` per trial: family ``k mod 4`` of trial k:
    0 an opposite-label pair at distance phi_t with ``a = e_1 + e_2`` (others 0);
    1 the same pair plus random cap points with random ``a``;
    2 an alternating-label chain along an arc with spacing phi_t, ``a = 1``;
    3 two tight same-label clusters at distance phi_t, ``a = 1``.
    The premises (``phi_t <= mu_t/2``, ``z_i^T z_j >= mu_t^2`` across labels) hold by
    construction (all points in a cap of half-angle <= 0.6 rad); ``phi_t`` is
    replaced by the attained min cross-label distance."""

    def measure(point, ctx):
        n, d, phi = int(point["n"]), int(point["d"]), float(point["phi_t"])
        K, dt, dev = ctx.trials, ctx.dtype, ctx.device
        gen = ctx.generator("cfg")
        chain, e1, e2 = _chain_points(n, d, phi, gen, dt, dev, K)
        # random cap points around e1 (half-angle <= 0.5 rad)
        tang = torch.randn(K, n, d, generator=gen, device=dev, dtype=dt)
        tang = tang - (tang * e1.unsqueeze(1)).sum(-1, keepdim=True) * e1.unsqueeze(1)
        tang = tang / tang.norm(dim=-1, keepdim=True)
        ang = 0.5 * torch.rand(K, n, 1, generator=gen, device=dev, dtype=dt)
        cap = torch.cos(ang) * e1.unsqueeze(1) + torch.sin(ang) * tang
        step = 2 * math.asin(phi / 2)
        p1, p2 = e1, math.cos(step) * e1 + math.sin(step) * e2
        fam = torch.arange(K, device=dev) % 4
        z = cap.clone()
        z[:, 0], z[:, 1] = p1, p2
        # family 2: chain
        z = torch.where((fam == 2).view(K, 1, 1), chain, z)
        # family 3: clusters (tiny same-label spread 1e-4 rad)
        clus = torch.where((torch.arange(n, device=dev) % 2 == 0).view(1, n, 1), p1.unsqueeze(1), p2.unsqueeze(1))
        clus = clus + 1e-4 * tang
        clus = clus / clus.norm(dim=-1, keepdim=True)
        z = torch.where((fam == 3).view(K, 1, 1), clus, z)
        lab = torch.where(torch.arange(n, device=dev) % 2 == 0, 1.0, -1.0).to(dt)
        y = lab.expand(K, n).clone()
        a = torch.rand(K, n, generator=gen, device=dev, dtype=dt)
        a0 = torch.zeros(K, n, dtype=dt, device=dev)
        a0[:, :2] = 1.0
        a = torch.where((fam == 0).view(K, 1), a0, a)
        a[:, 0] = torch.where(fam == 1, torch.ones_like(a[:, 0]), a[:, 0])
        a = torch.where((fam >= 2).view(K, 1), torch.ones_like(a), a)
        # attained separation
        Dm = torch.cdist(z, z)
        cross = y.unsqueeze(-1) != y.unsqueeze(-2)
        phi_act = torch.where(cross, Dm, torch.full_like(Dm, math.inf)).flatten(-2).amin(-1)
        Gm = z @ z.transpose(-1, -2)
        w = torch.randn(K, samples, d, generator=ctx.generator("mc"), device=dev, dtype=dt)
        act = (w @ z.transpose(-1, -2) > 0).to(dt)              # [K, N, n]
        s = act * (a * y).unsqueeze(1)
        hn2 = ((s @ Gm) * s).sum(-1)
        thr = (a.amax(-1) / 2) ** 2
        p = (hn2 >= thr.unsqueeze(-1)).to(dt).mean(-1)
        ucb = (p + sigmas * (p * (1 - p) / samples).sqrt() + sigmas / samples).clamp(max=1.0)
        return Measurement(ucb * n / phi_act, {"p_hat": p, "phi_attained": phi_act, "family": fam.to(dt)})

    return measure


def relu_corr(rho):
    """``E[sigma(Z1) sigma(Z2)]`` for standard Gaussians with correlation ``rho`` (arc-cosine kernel)."""
    return ((1 - rho * rho).clamp_min(0).sqrt() + (math.pi - torch.arccos(rho)) * rho) / (2 * math.pi)


def make_lemC1_measure(samples: int = 1 << 16):
    """ZCZG/LemC.1: ``(E[sigma(Z1)sigma(Z2)] - 1/2 + theta^2/4)/theta^3`` from the exact
    closed form at correlation ``rho_k`` (trial 0: the worst case ``rho = 1 - theta^2/2``;
    others uniform below it, monotone so never worse); Monte-Carlo z-score in extras."""

    def measure(point, ctx):
        th = float(point["theta"])
        K, dt, dev = ctx.trials, ctx.dtype, ctx.device
        g = ctx.generator("rho")
        top = 1 - th * th / 2
        u = torch.rand(K, generator=g, device=dev, dtype=dt)
        u[0] = 0.0
        rho = top - u * (top + 1)
        Q = (relu_corr(rho) - 0.5 + th * th / 4) / th ** 3
        # Monte Carlo of E[sigma(Z1) sigma(Z2)] at the worst-case rho
        z1 = torch.randn(K, samples, generator=ctx.generator("mc"), device=dev, dtype=dt)
        z2 = top * z1 + math.sqrt(max(0.0, 1 - top * top)) * torch.randn(K, samples, generator=ctx.generator("mc2"), device=dev, dtype=dt)
        prod = torch.relu(z1) * torch.relu(z2)
        exact = relu_corr(torch.tensor(top, dtype=dt, device=dev))
        zsc = (prod.mean(-1) - exact) / (prod.std(-1) / math.sqrt(samples))
        return Measurement(Q, {"mc_z": zsc, "rho": rho})

    return measure


def make_lem51_measure(init_scale: float = 1.0):
    """ZCZG/Lem5.1: ``L_S(W^(0))`` (random labels; extras ``max_i |yhat_i|``)."""

    def measure(point, ctx):
        net = build_net(point, ctx, init_scale=init_scale)
        x, y = inputs(point, ctx)
        out = net.forward(x)
        Ls = F.softplus(-y * out).mean(-1)
        return Measurement(Ls, {"max_abs_out": out.abs().amax(-1)})

    return measure


# ----------------------------------------------------------------------------- priority 2


def make_lemA4_sigma_measure(init_scale: float = 1.0, *, search: bool = True, restarts: int = 3, steps: int = 3,
                             temperature=(1.0, 0.3, 1.0), warm: int = 2):
    """ZCZG/LemA.4-Sigma (``zou-cao-zhou-gu-deep-relu-gd.txt``, Lemma A.4, second bound): worst
    ``max_{l,i} ||Sigma_hat_{l,i} - Sigma_{l,i}||_0 / m_l`` over ``W_hat in B(W^(0), tau)`` (``W_tilde = W^(0)``),
    approached from three sides, each a series in ``extras``:

    * ``constructed``: the greedy multi-layer targeted rank-one attack (:func:`targeted_perturbation`, sample 0;
      also ``extras['targeted']``);
    * ``random``: a Gaussian ball point of the same per-layer norm;
    * ``search`` (``search=True``): Frank-Wolfe ascent over the ball (:func:`ball_search`, the Lemma 5.2 search:
      ``restarts`` x ``steps``, the first ``warm`` warm-started at the targeted point), steered by the smooth flip
      count ``sum_j |sigmoid(g_j/b) - Sigma_j|``, the exact count compared.

    ``values`` = the max of the three."""

    def measure(point, ctx):
        net = build_net(point, ctx, init_scale=init_scale)
        x, _ = inputs(point, ctx)
        tau = float(point["tau"])
        ms = torch.tensor(net.widths, device=ctx.device, dtype=ctx.dtype).view(1, -1, 1)
        W = targeted_perturbation(net, x, net.W0, tau)
        cnt, _, _ = flip_counts(net, x, net.W0, W)
        adv = (cnt.to(ctx.dtype) / ms).flatten(1).amax(-1)
        dW = cheap_random_ball(net, tau, ctx.generator("rand"))
        Wr = tuple(w + d for w, d in zip(net.W0, dW))
        cr, _, _ = flip_counts(net, x, net.W0, Wr)
        rnd = (cr.to(ctx.dtype) / ms).flatten(1).amax(-1)
        worst = torch.maximum(adv, rnd)
        extras = {"random": rnd, "constructed": adv, "targeted": adv,
                  "targeted_first_layer": cnt[:, 0, 0].to(ctx.dtype) / net.widths[0]}
        if search:
            with torch.no_grad():
                _, D0, _ = ball_forward(net, x, net.W0)
            q_s, _ = ball_search(net, x, _flip_q(net, x, D0, net.widths), tau, ctx, W, key="a4s-search",
                                 restarts=restarts, steps=steps, temperature=temperature, warm=warm)
            worst = torch.maximum(worst, q_s)
            extras.update({"search": q_s, "search_over_constructed": q_s / adv.clamp_min(1e-12)})
        return Measurement(worst, extras)

    return measure


def _top_right_singular(apply, apply_T, dim, K, gen, dt, dev, iters=40):
    v = torch.randn(K, dim, generator=gen, device=dev, dtype=dt)
    v = v / v.norm(dim=-1, keepdim=True)
    for _ in range(iters):
        v = apply_T(apply(v))
        v = v / v.norm(dim=-1, keepdim=True).clamp_min(1e-300)
    return v


def _interval_top_sv(W, Df, K, gen, dt, dev, iters=60, vectors=False):
    """``max_{l1 < l2} ||prod_{r=l1}^{l2} Sigma_r W_r^T||_2`` per trial (``[K]``) by ``iters`` steps of
    power iteration on ``A^T A`` for every interval ``A = Sigma_{l2} W_{l2}^T ... Sigma_{l1} W_{l1}^T``.

    All intervals iterate together: each layer is applied once per sweep to the stacked vectors of the
    intervals that contain it (``[K, P_r, m] @ [K, m, m']``), so each weight matrix is read 2 x iters
    times instead of 2 x iters x (number of intervals containing it).  Start vectors are drawn from
    ``gen`` interval by interval, ``(l1, l2)`` in lexicographic order.  The iterate's ``||A u||``
    (``u`` unit) is a lower estimate of ``||A||_2``: under-convergence loses power, never gives a
    false fail.  ``vectors=True``: also the maximising interval per trial, ``(a [K], b [K])`` (0-based layers),
    and its unit start vector (dict ``(l1, l2) -> u [K, m_{l1-1}]``: the start vectors of every interval)."""
    L = len(W)
    ivs = [(a, b) for a in range(L) for b in range(a + 1, L)]
    if not ivs:
        return torch.zeros(K, dtype=dt, device=dev)
    v = {}
    for a, b in ivs:
        u = torch.randn(K, W[a].shape[-2], generator=gen, device=dev, dtype=dt)
        v[(a, b)] = u / u.norm(dim=-1, keepdim=True)

    def sweep(vecs, forward):
        """Apply ``A`` (forward) or ``A^T`` to every interval's vector; returns a new dict."""
        out, cur = {}, {}
        for r in (range(L) if forward else range(L - 1, -1, -1)):
            act = [iv for iv in ivs if iv[0] <= r <= iv[1]]
            X = torch.stack([vecs[iv] if iv[0 if forward else 1] == r else cur[iv] for iv in act], 1)
            if forward:
                Y = (X @ W[r]) * Df[r].unsqueeze(1)
            else:
                Y = (X * Df[r].unsqueeze(1)) @ W[r].transpose(-1, -2)
            for j, iv in enumerate(act):
                if iv[1 if forward else 0] == r:
                    out[iv] = Y[:, j]
                else:
                    cur[iv] = Y[:, j]
        return out

    for _ in range(iters):
        v = sweep(sweep(v, True), False)
        v = {iv: u / u.norm(dim=-1, keepdim=True).clamp_min(1e-300) for iv, u in v.items()}
    Av = sweep(v, True)
    vals = torch.stack([Av[iv].norm(dim=-1) for iv in ivs], -1)
    if not vectors:
        return vals.amax(-1)
    best, idx = vals.max(-1)
    iv_t = torch.tensor(ivs, device=dev)[idx]
    return best, (iv_t[:, 0], iv_t[:, 1]), v


def make_lemA4_x_measure(init_scale: float = 1.0, *, search: bool = True, restarts: int = 2, steps: int = 3,
                         temperature=(1.0, 0.3), warm: int = 2):
    """ZCZG/LemA.4-x (``zou-cao-zhou-gu-deep-relu-gd.txt``, Lemma A.4, first bound):
    ``max_{l,i} ||x_hat_{l,i} - x_tilde_{l,i}|| / (L sum_r ||W_hat_r - W_tilde_r||_2)`` with ``W_tilde = W^(0)``;
    series in ``extras``:

    * ``constructed`` (also ``extras['targeted']``): the aligned rank-one perturbation of layer 1
      (``Delta_1 = tau xbar_0 u^T`` with ``u`` the top right singular vector of the frozen-pattern Jacobian
      ``prod_{r=2}^L Sigma_r W_r^T Sigma_1``, 25 power iterations): exact for the linearisation;
    * ``random``: a Gaussian ball perturbation of every layer (nominal denominator ``L * L tau``: a lower estimate);
    * ``search`` (``search=True``): Frank-Wolfe ascent of the ratio over ``||Delta_1||_2 <= tau`` in layer 1
      (:func:`ball_search` with :func:`_forward_lipschitz_q`), 2 restarts x 3 steps both warm-started at the
      constructed point (surrogate temperatures 1 and 0.3; a third, random restart found the same max over 48
      trials at 1.5x the cost), steered by the softplus surrogate (through the ReLU pattern), the ratio exact
      (the denominator is ``L ||Delta_1||_2`` of the point found, not ``L tau``).

    ``values`` = the max of the three."""

    def measure(point, ctx):
        net = build_net(point, ctx, init_scale=init_scale)
        x, _ = inputs(point, ctx)
        tau = float(point["tau"])
        K, dt, dev = ctx.trials, ctx.dtype, ctx.device
        xs, tr = layer_inputs(net, x, net.W0)
        D = [t[:, 0].to(dt) for t in tr.D]                   # sample 0 masks [K, m_l]

        def J(u):                                            # u in R^{m_1} -> R^{m_L}
            z = u * D[0]
            for r in range(1, net.L):
                z = (z.unsqueeze(-2) @ net.W0[r]).squeeze(-2) * D[r]
            return z

        def JT(z):
            for r in range(net.L - 1, 0, -1):
                z = ((z * D[r]).unsqueeze(-2) @ net.W0[r].transpose(-1, -2)).squeeze(-2)
            return z * D[0]

        u = _top_right_singular(J, JT, net.widths[0], K, ctx.generator("pow"), dt, dev, iters=25)
        x0 = xs[0][:, 0]
        Delta = tau * (x0 / x0.norm(dim=-1, keepdim=True)).unsqueeze(-1) * u.unsqueeze(-2)
        W = list(net.W0)
        W[0] = W[0] + Delta

        def ratio(Wh, total):
            th = net.trace(x, tuple(Wh))
            diff = torch.stack([(a - b).norm(dim=-1).amax(-1) for a, b in zip(th.h, tr.h)], -1)
            return diff.amax(-1) / (net.L * total)

        adv = ratio(W, tau)
        dW = cheap_random_ball(net, tau, ctx.generator("rand"))
        # nominal sum of norms (each ||Delta_r||_2 <= tau w.h.p.): the random ratio is a lower estimate
        tot = torch.full((K,), net.L * tau, dtype=dt, device=dev)
        rnd = ratio([w + d for w, d in zip(net.W0, dW)], tot)
        worst = torch.maximum(adv, rnd)
        extras = {"random": rnd, "constructed": adv, "targeted": adv}
        if search:
            q_s, _ = ball_search(net, x, _forward_lipschitz_q(net, x, xs), tau, ctx, W, key="a4x-search",
                                 restarts=restarts, steps=steps, temperature=temperature, warm=warm)
            worst = torch.maximum(worst, q_s)
            extras.update({"search": q_s, "search_over_constructed": q_s / adv.clamp_min(1e-12)})
        return Measurement(worst, extras)

    return measure


def make_pf53_backward_measure(init_scale: float = 1.0, *, search: bool = True, restarts: int = 3, steps: int = 3,
                               temperature=(1.0, 0.3, 1.0), warm: int = 2):
    """ZCZG/Pf5.3-backward (``zou-cao-zhou-gu-deep-relu-gd.txt``, proof of Lemma 5.3, display (A.3)):
    ``max_{l,i} ||v^T (D_hat_{l,i} - D_{l,i})||_2 / sqrt(M log M)`` with ``D_{l,i} = (prod_{r>l} Sigma_r W_r^T)
    Sigma_l`` at ``W^(0)`` and at ``W_hat in B(W^(0), tau)``; series in ``extras``: ``constructed`` (the targeted
    attack point, also ``extras['targeted']``), ``random`` (a Gaussian ball point) and ``search`` (Frank-Wolfe
    ascent, :func:`ball_search`, steered by the softplus surrogate of the rows, exact values compared).
    ``values`` = the max of the three."""

    def measure(point, ctx):
        net = build_net(point, ctx, init_scale=init_scale)
        x, _ = inputs(point, ctx)
        tau = float(point["tau"])
        M = max(net.widths)
        norm = math.sqrt(M * math.log(M))
        tr0 = net.trace(x)
        r0 = rows(net, tr0, net.W0)

        def q(W):
            tr = net.trace(x, W)
            r1 = rows(net, tr, W)
            return torch.stack([(a - b).norm(dim=-1).amax(-1) for a, b in zip(r1, r0)], -1).amax(-1) / norm

        Wt = targeted_perturbation(net, x, net.W0, tau)
        adv = q(Wt)
        dW = cheap_random_ball(net, tau, ctx.generator("rand"))
        rnd = q(tuple(w + d for w, d in zip(net.W0, dW)))
        worst = torch.maximum(adv, rnd)
        extras = {"random": rnd, "constructed": adv, "targeted": adv}
        if search:
            q_s, _ = ball_search(net, x, _backward_q(net, x, r0, norm), tau, ctx, Wt, key="p53b-search",
                                 restarts=restarts, steps=steps, temperature=temperature, warm=warm)
            worst = torch.maximum(worst, q_s)
            extras.update({"search": q_s, "search_over_constructed": q_s / adv.clamp_min(1e-12)})
        return Measurement(worst, extras)

    return measure


# ----------------------------------------------------------------------------- Lemma 5.2: search over the ball


def lem52_grads(net, x, y, W, *, beta=None, delta=None, taps=None):
    """``(||grad_{W_l} L_S(W)||_F^2 [K, L], sum_i |ell'(y_i yhat_i)| [K])``, differentiable in ``W``.

    ZCZG Sec. 3 "Calculations" (CLAIMS.md (b.3)), ``zou-cao-zhou-gu-deep-relu-gd.txt``:
    ``grad_{W_l} L_S = (1/n) sum_i ell'_i y_i x_{l-1,i} r_{l,i}`` with the row vector
    ``r_{l,i} = v^T (prod_{r=l+1}^L Sigma_{r,i} W_r^T) Sigma_{l,i}``, so in Gram form
    ``||grad_{W_l}||_F^2 = (1/n^2) sum_{i,j} c_i c_j <x_{l-1,i}, x_{l-1,j}> <r_{l,i}, r_{l,j}>``
    (``c_i = ell'_i y_i``; ``O(n^2 m)`` per layer instead of forming the ``m_{l-1} x m_l`` matrix).

    ``beta=None``: the exact ReLU net (``Sigma = 1[g > 0]``, ``torch.relu``; equals autograd, see
    ``tests/test_zczg_lem52_search.py``).  ``beta`` = per-layer temperatures (each broadcastable to
    ``[K, n, m_l]``): the smooth surrogate ``sigma_b(g) = b softplus(g/b)``, ``sigma'_b = sigmoid(g/b)``
    (ReLU as ``b -> 0``).  The exact value is piecewise smooth with ``Sigma`` piecewise constant, so
    its gradient in ``W`` cannot see a sign flip; the surrogate's can (used only to steer the search).

    ``delta``: per-layer low-rank perturbations ``(A_l [K, m_{l-1}, r], B_l [K, m_l, r])``; the weights
    are then ``W_l + A_l B_l^T``, applied as products (no ``m x m`` matrix is formed).  ``taps``: a list
    that receives, per layer, the tensors through which ``W_l`` enters -- ``x_{l-1}`` (``h``), the
    pre-activation ``g_l = x_{l-1} W_l`` (``g``), the row vectors ``r_l`` (``r``) and
    ``r_l W_l^T`` (``row``, absent for l = 1) -- from which :func:`lem52_search` assembles the
    gradient in ``W_l`` in factored form.
    """
    def mm(a, l):                                          # a @ (W_l + A_l B_l^T)
        return a @ W[l] if delta is None else a @ W[l] + (a @ delta[l][0]) @ delta[l][1].mT

    def mmT(a, l):                                         # a @ (W_l + A_l B_l^T)^T
        return a @ W[l].mT if delta is None else a @ W[l].mT + (a @ delta[l][1]) @ delta[l][0].mT

    xin, yk = net.expand_data(x, y)
    n = xin.shape[-2]
    h, hs, Ds, gs = xin, [xin], [], []
    for l in range(net.L):
        g = mm(h, l)
        if beta is None:
            D, h = (g > 0).to(g.dtype), torch.relu(g)
        else:
            D, h = torch.sigmoid(g / beta[l]), beta[l] * F.softplus(g / beta[l])
        gs.append(g)
        Ds.append(D)
        hs.append(h)
    out = h @ net.v
    nlp = torch.sigmoid(-yk * out)                         # -ell'(y_i yhat_i) in (0, 1)
    c = -nlp * yk / n                                      # ell'_i y_i / n, [K, n]
    row = net.v.expand(xin.shape[0], n, -1)
    gn2 = [None] * net.L
    tap = [dict(h=hs[l], g=gs[l]) for l in range(net.L)]
    for l in range(net.L - 1, -1, -1):
        r = row * Ds[l]                                    # r_{l,i} [K, n, m_l]
        a = hs[l] * c.unsqueeze(-1)                        # c_i x_{l-1,i} [K, n, m_{l-1}]
        gn2[l] = ((a @ a.mT) * (r @ r.mT)).sum((-1, -2))
        tap[l]["r"] = r
        if l:
            row = mmT(r, l)
            tap[l]["row"] = row
    if taps is not None:
        taps.extend(tap)
    return torch.stack(gn2, -1), nlp.sum(-1)


def _surrogate_temperatures(net, x, tau):
    """Per-layer, per-trial temperatures ``[K, 1, 1]`` of the search's smooth surrogate:
    ``tau^{2/3}`` times the rms pre-activation of layer l at ``W^(0)``, the scale of ``|g|`` below
    which a perturbation of spectral norm ``tau`` flips signs (the ``tau^{2/3} m`` flips of
    Lemma A.4 / CLAIMS.md section 0)."""
    tr = net.trace(x)
    return [tau ** (2 / 3) * g.pow(2).mean((-1, -2), keepdim=True).sqrt().clamp_min(1e-12) for g in tr.g]


def lem52_search(net, x, y, q_fn, tau, *, sense: int, inits, gens, steps: int, gammas=(1.0, 0.5, 0.25, 0.0625),
                 temperature=1.0):
    """Adversarial search of ``q_fn`` over the paper's ball ``B(W^(0), tau) = {W: ||W_l - W_l^(0)||_2 <= tau
    for all l}`` (ZCZG Sec. 5, before Lemma 5.1: per-layer SPECTRAL norm), maximising (``sense=+1``) or
    minimising (``sense=-1``) it.

    The algorithm is that of :func:`ovpmodel.perturb.maximize_spectral_balls` (Frank-Wolfe with
    restarts: oracle ``tau U V^T`` per layer, ``W' <- W' + gamma (S - W')`` with the best improving
    ``gamma`` of ``gammas`` per trial, no move if none improves, early stop when no trial improved;
    best over restarts), written in FACTORED form: every iterate is ``Delta_l = A_l B_l^T`` of rank
    ``<= 1 + steps * 2n`` and the gradient is ``G_l = X_l Y_l^T`` with ``2n`` columns
    (``X_l = [x_{l-1}^T, adj(r_l W_l^T)^T]``, ``Y_l = [adj(g_l)^T, r_l^T]``: ``W_l`` enters only through
    ``g_l = x_{l-1} W_l`` and ``r_l W_l^T``), so the oracle is exact (:func:`ovpmodel.perturb.lowrank_spectral_lmo`; the loop is
    :func:`ovpmodel.perturb.maximize_spectral_balls_factored`) and no
    dense ``m x m`` iterate, gradient or SVD is formed (the dense search costs ~6 s CPU at m = 512,
    L = 4, K = 16 in memory traffic alone).  Each layer has its own shape (``W_1`` is ``d x m_1``).
    ``tests/test_zczg_lem52_search.py`` checks it against ``maximize_spectral_balls`` step for step.

    ``q_fn(W, beta, delta, taps) -> [K]`` evaluates the quantity with :func:`lem52_grads`.  The search
    compares EXACT values (line search, restarts, the result) and steers by the gradient of the smooth
    surrogate (temperatures :func:`_surrogate_temperatures` times ``temperature``: a number, ``None`` for
    the exact gradient, or one per restart, cycled), which sees sign flips.  Restart ``j``
    starts at ``inits[j]`` (a tuple of per-layer ``(A_l, B_l)`` inside the ball) or, past them, at a
    random rank-one ``tau u v^T`` per layer (``u, v`` Gaussian from ``gens[j]``).  Radius
    ``tau (1 - 1e-4)`` (float32 atoms are orthonormal to ~1e-6).  Returns ``(q [K] exact value at the
    point found, delta: tuple of per-layer (A_l, B_l), restart values [R, K])``.
    """
    gammas = tuple(float(g) for g in gammas)
    if not gammas or any(not 0.0 < g <= 1.0 for g in gammas):
        raise ValueError(f"gammas must be a non-empty sequence of step sizes in (0, 1], got {gammas}")
    if len(inits) > len(gens) or not gens:
        raise ValueError(f"need one generator per restart and at least as many as inits, got {len(gens)} "
                         f"generators for {len(inits)} inits")
    K, L, dt, dev = net.trials, net.L, net.dtype, net.device
    shapes = [tuple(w.shape[-2:]) for w in net.W0]
    base_beta = _surrogate_temperatures(net, x, tau)
    temps = tuple(temperature) if isinstance(temperature, (tuple, list)) else (temperature,)
    if not temps or any(t is not None and not t > 0 for t in temps):
        raise ValueError(f"temperature must be > 0, None, or a non-empty sequence of them, got {temperature!r}")
    omega = tau * (1 - 1e-4)
    W0 = net.W0

    def value(fac):
        with torch.no_grad():
            return sense * q_fn(W0, None, fac, None)

    def gradient(fac, beta):
        taps = []
        with torch.enable_grad():
            # the factors require grad only so that g_l and r_l W_l^T are graph nodes
            fac = tuple((a.detach().requires_grad_(True), b.detach().requires_grad_(True)) for a, b in fac)
            s = sense * q_fn(W0, beta, fac, taps)
            wrt = [t["g"] for t in taps] + [t["row"] for t in taps[1:]]
            adj = torch.autograd.grad(s.sum(), wrt, allow_unused=True)
        adj = [torch.zeros_like(t) if a is None else a for t, a in zip(wrt, adj)]
        adj_g, adj_row = adj[:L], [None] + adj[L:]
        out = []
        for l, t in enumerate(taps):
            X = [t["h"].detach().mT] + ([adj_row[l].mT] if l else [])
            Y = [adj_g[l].mT] + ([t["r"].detach().mT] if l else [])
            out.append((torch.cat(X, -1), torch.cat(Y, -1)))
        return out

    betas, starts = [], []
    for j, gen in enumerate(gens):
        T = temps[j % len(temps)]
        betas.append(None if T is None else [b * T for b in base_beta])
        if j < len(inits):
            starts.append(tuple((a.to(dev, dt) * (1 - 1e-4), b.to(dev, dt)) for a, b in inits[j]))
        else:
            fac = []
            for p, q in shapes:
                u = torch.randn(K, p, 1, generator=gen, device=dev, dtype=dt)
                v = torch.randn(K, q, 1, generator=gen, device=dev, dtype=dt)
                fac.append((omega * u / u.norm(dim=-2, keepdim=True), v / v.norm(dim=-2, keepdim=True)))
            starts.append(tuple(fac))
    _, best_fac, per_restart = _perturb.maximize_spectral_balls_factored(
        value, lambda fac, j: gradient(fac, betas[j]), starts, omega, steps=steps, gammas=gammas)
    q = sense * value(best_fac)
    return q, best_fac, sense * per_restart


def _rank_one_factors(D):
    """Exact factors ``(A [K, p, 1], B [K, q, 1])`` with ``A B^T = D`` of a rank-<=1 ``D [K, p, q]``
    (the targeted sign-flip perturbation): with ``z`` the largest row of ``D``, ``a = D z``,
    ``D = a (D^T a)^T / ||a||^2``; zero factors where ``D = 0``."""
    K = D.shape[0]
    z = D[torch.arange(K, device=D.device), D.norm(dim=-1).argmax(-1)]
    a = D @ z.unsqueeze(-1)
    nrm = (a * a).sum((-2, -1), keepdim=True)
    return a, torch.where(nrm > 0, D.mT @ a / nrm.clamp_min(torch.finfo(D.dtype).tiny), torch.zeros_like(nrm))


def _lem52_constructed(net, x, tau, ctx, targeted_layers=None):
    """The constructed points of ``B(W^(0), tau)``: ``W^(0)`` and the targeted sign-flip point
    (:func:`targeted_perturbation`, sample 0); and the random point (:func:`cheap_random_ball`)."""
    dW = cheap_random_ball(net, tau, ctx.generator("rand"))
    return ({"init": net.W0, "targeted": targeted_perturbation(net, x, net.W0, tau, layers=targeted_layers)},
            tuple(w + dd for w, dd in zip(net.W0, dW)))


def lem52_tau(point) -> float:
    """The ball radius of a Lemma 5.2 point: ``point["tau"]`` if given, else Lemma 5.2's hypothesis
    ``tau = O(phi^{3/2} n^{-3} L^{-2})`` (``zou-cao-zhou-gu-deep-relu-gd.txt``) read with the constant
    ``c_tau``: ``tau = c_tau phi^{3/2} n^{-3} L^{-2}``."""
    if "tau" in point:
        return float(point["tau"])
    return float(point["c_tau"]) * float(point["phi"]) ** 1.5 / (int(point["n"]) ** 3 * int(point["L"]) ** 2)


def _lem52_measure(kind, *, init_scale, search, restarts, steps, temperature, warm):
    """Shared body of the two Lemma 5.2 measures (``kind`` "upper" or "lower")."""

    def measure(point, ctx):
        net = build_net(point, ctx, init_scale=init_scale)
        n, tau = int(point["n"]), lem52_tau(point)
        if kind == "upper":
            x, y = inputs(point, ctx)
            M = max(net.widths)

            def q_fn(W, beta=None, delta=None, taps=None):
                gn2, sl = lem52_grads(net, x, y, W, beta=beta, delta=delta, taps=taps)
                return n * gn2.clamp_min(1e-30).sqrt().amax(-1) / (math.sqrt(M) * sl)
            worst_of, sense, layers = torch.maximum, 1, None
        else:
            phi = float(point["phi"])
            x, y = inputs(point, ctx, phi=phi)
            x, y, phi_act = plant_close_pair(x, y, phi)
            m = min(net.widths)

            def q_fn(W, beta=None, delta=None, taps=None):
                gn2, sl = lem52_grads(net, x, y, W, beta=beta, delta=delta, taps=taps)
                return gn2[:, -1] * n ** 5 / (m * phi_act * sl * sl)
            worst_of, sense, layers = torch.minimum, -1, [net.L - 1]

        cons, W_rnd = _lem52_constructed(net, x, tau, ctx, targeted_layers=layers)
        with torch.no_grad():
            q_cons = {k: q_fn(W) for k, W in cons.items()}
            q_rnd = q_fn(W_rnd)
        constructed = worst_of(q_cons["init"], q_cons["targeted"])
        worst = worst_of(constructed, q_rnd)
        extras = {"random": q_rnd, "constructed": constructed, "init": q_cons["init"]}
        if search:
            gens = [ctx.generator(f"lem52-search-{j}") for j in range(restarts)]
            start = [tuple(_rank_one_factors(w - w0) for w, w0 in zip(cons["targeted"], net.W0))] * min(warm, restarts)
            q_s, _, _ = lem52_search(net, x, y, q_fn, tau, sense=sense, inits=start, gens=gens, steps=steps,
                                    temperature=temperature)
            worst = worst_of(worst, q_s)
            extras.update({"search": q_s, "search_over_constructed": q_s / constructed})
        if kind == "lower":
            # ||grad_{W_L}||^2 / (sum ell')^2 without the n, phi, m normalisation (for the m-scaling)
            extras["raw"] = worst * m * phi_act / n ** 5
        return Measurement(worst, extras)

    return measure


def make_lem52_upper_measure(init_scale: float = 1.0, *, search: bool = True, restarts: int = 3, steps: int = 3,
                             temperature=(1.0, 0.3, 1.0), warm: int = 2):
    """ZCZG/Lem5.2-upper (``zou-cao-zhou-gu-deep-relu-gd.txt``, Lemma 5.2, second inequality):
    ``Q = max_l n ||grad_{W_l} L_S(W_tilde)||_F / (sqrt(M) sum_i |ell'(y_i y_tilde_i)|)``, the sup over
    ``W_tilde in B(W^(0), tau)`` (per-layer spectral ball) approached from three sides, each a series in
    ``extras`` (same units as ``values``):

    * ``constructed``: max over ``W^(0)`` (also ``extras['init']``) and the targeted sign-flip point;
    * ``random``: a random point of the ball;
    * ``search`` (``search=True``): Frank-Wolfe ascent over the whole ball (:func:`lem52_search`:
      ``restarts`` restarts of ``steps`` steps, the first ``warm`` warm-started at the targeted point,
      the others at random rank-one points; surrogate temperature factors ``temperature``, one per
      restart).

    ``values`` = the max of the three; ``extras['search_over_constructed']`` = search / constructed.
    """
    return _lem52_measure("upper", init_scale=init_scale, search=search, restarts=restarts, steps=steps,
                          temperature=temperature, warm=warm)


def make_lem52_lower_measure(init_scale: float = 1.0, *, search: bool = True, restarts: int = 3, steps: int = 3,
                             temperature=(1.0, 0.3, 1.0), warm: int = 2):
    """ZCZG/Lem5.2-lower (``zou-cao-zhou-gu-deep-relu-gd.txt``, Lemma 5.2, first inequality):
    ``Q = ||grad_{W_L} L_S(W_tilde)||_F^2 n^5 / (m phi (sum_i ell'(y_i y_tilde_i))^2)``, the inf over
    ``W_tilde in B(W^(0), tau)`` (``tau`` from :func:`lem52_tau`); data with a planted opposite-label
    pair at distance phi (:func:`plant_close_pair`).  Series in ``extras`` as in
    :func:`make_lem52_upper_measure`, with min for max: ``constructed`` (``W^(0)`` and targeted flips in
    layer L), ``random``, ``search`` (Frank-Wolfe DESCENT of Q over the ball).  ``values`` = the min;
    ``extras['raw']`` = the same without the ``n^5/(m phi)`` normalisation (for the m-scaling).
    """
    return _lem52_measure("lower", init_scale=init_scale, search=search, restarts=restarts, steps=steps,
                          temperature=temperature, warm=warm)


def make_lemA2_measure(init_scale: float = 1.0, threshold: float = 0.25):
    """ZCZG/LemA.2: ``min_a`` (fraction of last-layer neurons j with
    ``||(1/n) sum_i a_i y_i sigma'(<w_{L,j}, x_{L-1,i}>) x_{L-1,i}|| >= threshold ||a||_inf/n``)
    ``* n / phi``.  Search over a: the n unit vectors, all ones, the planted close pair,
    16 random ``a`` and 3 rounds of greedy coordinate moves (a_i in {0, 1/2, 1}) from
    the worst candidate."""

    def measure(point, ctx):
        net = build_net(point, ctx, init_scale=init_scale)
        n = int(point["n"])
        phi = float(point["phi"])
        x, y = inputs(point, ctx, phi=phi)
        x, y, phi_act = plant_close_pair(x, y, phi)
        K, dt, dev = ctx.trials, ctx.dtype, ctx.device
        xs, tr = layer_inputs(net, x, net.W0)
        xl = xs[net.L - 1]                                  # [K, n, m_{L-1}]
        Dl = tr.D[net.L - 1].to(dt)                         # [K, n, m_L]
        G = xl @ xl.transpose(-1, -2)                       # [K, n, n]
        yk = y.to(dt)

        def frac(A):                                        # A [K, P, n] -> [K, P]
            S = A.unsqueeze(-1) * (yk.view(1, 1, n, 1) * Dl.unsqueeze(1))      # [K, P, n, m]
            GS = torch.einsum("kij,kpjm->kpim", G, S)
            nrm2 = (S * GS).sum(-2)                          # [K, P, m]
            thr = (threshold * A.amax(-1)) ** 2
            return (nrm2 >= thr.unsqueeze(-1)).to(dt).mean(-1)

        eye = torch.eye(n, dtype=dt, device=dev)
        cands = [eye, torch.ones(1, n, dtype=dt, device=dev)]
        pair = torch.zeros(1, n, dtype=dt, device=dev)
        pair[0, 0] = pair[0, -1] = 1.0
        cands.append(pair)
        cands.append(torch.rand(16, n, generator=ctx.generator("a"), dtype=dt, device=dev))
        A = torch.cat(cands, 0).expand(K, -1, -1).contiguous()
        fr = frac(A)
        best, idx = fr.min(-1)
        a = A[torch.arange(K, device=dev), idx]              # [K, n]
        levels = (0.0, 0.5, 1.0)
        for _ in range(3):
            trial = a.unsqueeze(1).repeat(1, n * len(levels), 1)
            for j, lv in enumerate(levels):
                trial[:, j * n:(j + 1) * n] = torch.where(eye.bool(), torch.full_like(eye, lv), a.unsqueeze(1).expand(K, n, n))
            ok = trial.amax(-1) > 0
            ft = torch.where(ok, frac(trial), torch.full((K, trial.shape[1]), math.inf, dtype=dt, device=dev))
            b2, i2 = ft.min(-1)
            better = b2 < best
            a = torch.where(better.unsqueeze(-1), trial[torch.arange(K, device=dev), i2], a)
            best = torch.minimum(best, b2)
        return Measurement(best * n / phi_act, {"frac_good": best, "frac_unit_vectors": fr[:, :n].amin(-1)})

    return measure


def _dense(net, fac):
    """``W^(0) + A_l B_l^T`` per layer (factors of :func:`lem52_search`)."""
    return tuple(w + a @ b.mT for w, (a, b) in zip(net.W0, fac))


def _a3_rows_q(net, x, which, M, s=None):
    """``q_fn`` of ZCZG/LemA.3-vprod / -sparse (sample 0): ``max_{l1} ||v^T prod_{r=l1}^L Sigma_r W_r^T||_2 /
    sqrt(M)`` or the norm of its top-``s`` entries ``/ sqrt(s log M)``; the rows of :func:`ball_forward` (the
    ``l1 = 1`` row, through ``W_1^T``, is exact but not steered: ``lem52_search`` taps ``W_1`` only through
    ``g_1``)."""
    def q(W, beta=None, delta=None, taps=None):
        tp = [] if taps is None else taps
        _, _, rs = ball_forward(net, x, W, beta=beta, delta=delta, taps=tp)
        r0 = rs[0] @ W[0].mT if delta is None else rs[0] @ W[0].mT + (rs[0] @ delta[0][1]) @ delta[0][0].mT
        fulls = [r0[:, 0]] + [t["row"][:, 0] for t in tp[-net.L + 1:]] if net.L > 1 else [r0[:, 0]]
        if which == "vprod":
            out = [f.pow(2).sum(-1).clamp_min(1e-30).sqrt() / math.sqrt(M) for f in fulls]
        else:
            out = [f.abs().topk(min(s, f.shape[-1]), dim=-1).values.pow(2).sum(-1).clamp_min(1e-30).sqrt()
                   / math.sqrt(s * math.log(M)) for f in fulls]
        return torch.stack(out, -1).amax(-1)
    return q


def _a3_prod_q(net, x, a, b, u):
    """``q_fn`` of ZCZG/LemA.3-prod: ``||prod_{r=a}^{b} Sigma_r W_r^T u||_2`` per trial for the interval ``(a, b)``
    (0-based, per trial) and unit start vector ``u`` of the interval that attained the max at the constructed
    point (a lower bound on ``||prod||_2``, exact; masks of sample 0).  The probe ``z`` travels with sample 0 as a
    second row of every layer's input (``g = [x_{r-1}; z] W_r``), so :func:`lem52_search` steers it like data."""
    K = net.trials

    def q(W, beta=None, delta=None, taps=None):
        h = x[:1].expand(K, 1, -1)
        z = torch.where((a == 0).view(K, 1), u[0], torch.zeros_like(u[0])) if 0 in u else torch.zeros_like(h[:, 0])
        fin = None
        for r in range(net.L):
            hr = torch.cat([h, z.unsqueeze(1)], 1)
            g = hr @ W[r] if delta is None else hr @ W[r] + (hr @ delta[r][0]) @ delta[r][1].mT
            if beta is None:
                D, h = (g[:, :1] > 0).to(g.dtype), torch.relu(g[:, :1])
            else:
                D, h = torch.sigmoid(g[:, :1] / beta[r]), beta[r] * F.softplus(g[:, :1] / beta[r])
            if taps is not None:
                t = dict(h=hr, g=g, r=torch.zeros_like(g))
                if r:
                    t["row"] = hr * 0
                taps.append(t)
            zo = (g[:, 1:] * D)[:, 0]
            fin = zo if fin is None else torch.where((b == r).view(K, 1), zo, fin)
            if r + 1 < net.L:
                nxt = torch.where((b > r).view(K, 1), zo, torch.zeros_like(zo))
                if (r + 1) in u:
                    nxt = torch.where((a == r + 1).view(K, 1), u[r + 1], nxt)
                z = nxt
        return fin.pow(2).sum(-1).clamp_min(1e-30).sqrt()
    return q


def lemA3_tau(point) -> float:
    """The ball radius of a Lemma A.3 point: ``point["tau"]`` if given, else Lemma A.3's hypothesis
    ``tau <= kappa L^{-3/2}`` (``zou-cao-zhou-gu-deep-relu-gd.txt``) read as ``tau = c_tau L^{-3/2}`` with the
    regime constant ``c_tau`` (<= 0.1: our reading of "small enough kappa")."""
    if "tau" in point:
        return float(point["tau"])
    return float(point["c_tau"]) * int(point["L"]) ** -1.5


def make_lemA3_measure(which: str, init_scale: float = 1.0, *, search: bool = True, restarts=None,
                       steps: int = 3, temperature=None, warm: int = 2):
    """ZCZG/LemA.3-{prod,vprod,sparse} (``zou-cao-zhou-gu-deep-relu-gd.txt``, Lemma A.3) at points ``W_tilde`` of
    ``B(W^(0), tau)`` with ``Sigma_tilde = Sigma(W_tilde)``:

    * prod: ``max_{l1<l2} ||prod_{r=l1}^{l2} Sigma_r W_r^T||_2`` (power iteration, 60 steps: low, never high);
    * vprod: ``max_{l1} ||v^T prod_{r=l1}^L Sigma_r W_r^T||_2 / sqrt(M)``;
    * sparse: ``max_{l1} sup_{||u||_0<=s} |v^T prod u| / sqrt(s log M)`` (the norm of the top-s entries, exact).

    Sample 0 only.  Series in ``extras``: ``constructed`` = max over ``W^(0)`` (also ``extras['init']``) and the
    targeted sign-flip point (``extras['targeted']``); ``random`` = a Gaussian ball point (prod: 15 power
    iterations); ``search``
    (``search=True``): Frank-Wolfe ascent over the ball (:func:`ball_search`; default prod: 3 restarts x 3 steps,
    2 warm-started at the targeted point, temperatures 1, 0.3, 1 -- the random restart finds the max at m = 64,
    L = 8; vprod/sparse: 2 restarts x 3 steps, both warm-started, temperatures 1, 0.3 -- a third, random restart
    found the same max over 1536 trials at twice the cost)
    of the row norms (:func:`_a3_rows_q`) or, for prod, of ``||A u||`` for the interval ``A`` and power-iteration
    vector ``u`` that attained the max at the constructed point (:func:`_a3_prod_q`), then the full interval
    maximum by power iteration (15 steps) at the point found (the larger of the two lower estimates).  The radius
    is :func:`lemA3_tau` (Lemma A.3's hypothesis ``tau <= kappa L^{-3/2}``).  ``values`` = the max."""
    def one(net, x, W, point, ctx, vectors=False, iters=60):
        tr = net.trace(x, W)
        M = max(net.widths)
        D = [t[:, 0] for t in tr.D]
        if which == "prod":
            # power iteration (60 steps) on every interval product at once; an under-converged
            # norm is low, never high (lost power, never a false fail)
            return _interval_top_sv(W, [d.to(ctx.dtype) for d in D], ctx.trials, ctx.generator("pow"),
                                    ctx.dtype, ctx.device, iters=iters, vectors=vectors)
        xs0 = net.v.expand(ctx.trials, -1)
        row = xs0
        out = []
        for l in range(net.L - 1, -1, -1):
            row = row * D[l].to(row.dtype)
            full = (row.unsqueeze(-2) @ W[l].transpose(-1, -2)).squeeze(-2)   # v^T prod_{r=l}^L Sigma_r W_r^T
            if which == "vprod":
                out.append(full.norm(dim=-1) / math.sqrt(M))
            else:
                s = int(point["s"])
                top = full.abs().topk(min(s, full.shape[-1]), dim=-1).values
                out.append(top.norm(dim=-1) / math.sqrt(s * math.log(M)))
            row = full
        return torch.stack(out, -1).amax(-1)

    if restarts is None:
        restarts = 3 if which == "prod" else 2
    if temperature is None:
        temperature = (1.0, 0.3, 1.0) if which == "prod" else (1.0, 0.3)

    def measure(point, ctx):
        net = build_net(point, ctx, init_scale=init_scale)
        x, _ = inputs(point, ctx, n=1)
        tau = lemA3_tau(point)
        Wt = targeted_perturbation(net, x, net.W0, tau)
        adv = one(net, x, Wt, point, ctx, vectors=search and which == "prod")
        if search and which == "prod":
            adv, (ia, ib), vecs = adv
        ini = one(net, x, net.W0, point, ctx)
        cons = torch.maximum(adv, ini)
        dW = cheap_random_ball(net, tau, ctx.generator("rand"))
        rnd = one(net, x, tuple(w + d for w, d in zip(net.W0, dW)), point, ctx, iters=15)
        worst = torch.maximum(cons, rnd)
        extras = {"init": ini, "targeted": adv, "constructed": cons, "random": rnd}
        if search:
            M = max(net.widths)
            if which == "prod":
                K = ctx.trials
                starts = {}
                for (l1, l2), u in vecs.items():        # the start vector of each trial's maximising interval
                    sel = ((ia == l1) & (ib == l2)).view(K, 1)
                    starts[l1] = torch.where(sel, u, starts.get(l1, torch.zeros_like(u)))
                q_fn = _a3_prod_q(net, x, ia, ib, starts)
            else:
                q_fn = _a3_rows_q(net, x, which, M, s=int(point["s"]) if which == "sparse" else None)
            q_s, fac = ball_search(net, x, q_fn, tau, ctx, Wt, key=f"a3{which}-search", restarts=restarts,
                                   steps=steps, temperature=temperature, warm=warm)
            if which == "prod":
                q_s = torch.maximum(q_s, one(net, x, _dense(net, fac), point, ctx, iters=15))
            worst = torch.maximum(worst, q_s)
            extras.update({"search": q_s, "search_over_constructed": q_s / cons.clamp_min(1e-12)})
        return Measurement(worst, extras)

    return measure


# ----------------------------------------------------------------------------- priority 3


def make_lem53_measure(init_scale: float = 1.0):
    """ZCZG/Lem5.3: from ``W = W^(0) + Delta`` (random, ``||Delta_l||_2 <= tau``) one step
    ``W' = W - eta grad`` with ``eta = c/(M L^3)``; excess over first order
    ``E = L_S(W') - L_S(W) + eta ||grad||_F^2`` divided by
    ``M L^3 eta^2 ||grad||^2 + L^{8/3} tau^{1/3} sqrt(M log M) eta ||grad|| (-sum ell')/n``
    (the lemma's right side with C' = C'' = 1)."""

    def measure(point, ctx):
        net = build_net(point, ctx, init_scale=init_scale)
        n, L = int(point["n"]), net.L
        x, y = inputs(point, ctx)
        tau = float(point["tau"])
        M = max(net.widths)
        eta = float(point["c"]) / (M * L ** 3)
        dW = cheap_random_ball(net, tau, ctx.generator("rand"))
        W = tuple(w + d for w, d in zip(net.W0, dW))
        Ls, gn, sl, G, _ = per_layer_grad_norms(net, x, y, W)
        g2 = (gn ** 2).sum(-1)
        W1 = tuple(w - eta * g for w, g in zip(W, G))
        L1 = net.loss(x, y, W1)
        E = L1 - Ls + eta * g2
        rhs = M * L ** 3 * eta ** 2 * g2 + L ** (8 / 3) * tau ** (1 / 3) * math.sqrt(M * math.log(M)) * eta * g2.sqrt() * sl / n
        ratio = E / rhs
        # E can be (slightly) negative: the step may beat the first-order prediction. The m-scaling is fitted on
        # |E|/rhs, an upper envelope of the positive part, so "does not grow with m" is checked conservatively.
        return Measurement(ratio, {"excess": E.abs().clamp_min(1e-300), "ratio_abs": ratio.abs().clamp_min(1e-300),
                                   "smooth_term": M * L ** 3 * eta ** 2 * g2})

    return measure


def run_gd(point, ctx, *, eta, steps, init_scale=1.0, digits=False, record_every=1):
    """GD from ``W^(0)``; returns ``(net, x, y, W_final, rec.stacked())``."""
    from ovpmodel.train import train
    net = build_net(point, ctx, init_scale=init_scale, d=65 if digits else D_IN)
    if digits:
        x, y, _ = _data.digits_3_vs_8(mu=MU, max_samples=int(point["n"]), device=ctx.device, dtype=ctx.dtype)
    else:
        x, y = inputs(point, ctx, phi=float(point.get("phi", 0.05)) if "phi" in point else None)
    W, rec = train(net, x, y, steps=int(steps), eta=float(eta), record_every=record_every,
                   spectral_every=int(steps))
    return net, x, y, W, rec.stacked()


def make_descent_measure(init_scale: float = 1.0):
    """ZCZG/Pf4.4-descent: ``min_k (L_S^(k) - L_S^(k+1)) / (eta ||grad^(k)||_F^2)`` along GD
    with ``eta = c/(M L^3)``."""

    def measure(point, ctx):
        M, L = even(point["m"]), int(point["L"])
        eta = float(point["c"]) / (M * L ** 3)
        net, x, y, W, st = run_gd(point, ctx, eta=eta, steps=int(point["steps"]), init_scale=init_scale)
        loss, gn = st["loss"], st["grad_norm"]
        q = (loss[:-1] - loss[1:]) / (eta * gn[:-1] ** 2)
        return Measurement(q.amin(0), {"final_loss": loss[-1], "initial_loss": loss[0]})

    return measure


def make_path_measure(init_scale: float = 1.0):
    """ZCZG/Pf4.4-path: ``max_l ||W_l^(k) - W_l^(0)||_2 / sqrt(2 k eta L_S(W^(0)))`` at the last
    step k of GD with ``eta = c/(M L^3)``; the spectral distance itself in
    ``extras['dist']`` (for the m-scaling)."""

    def measure(point, ctx):
        M, L = even(point["m"]), int(point["L"])
        eta = float(point["c"]) / (M * L ** 3)
        k = int(point["steps"])
        net, x, y, W, st = run_gd(point, ctx, eta=eta, steps=k, init_scale=init_scale, record_every=k)
        dist = st["dist_spec"][-1].amax(-1)
        return Measurement(dist / (2 * k * eta * st["loss"][0]).sqrt(), {"dist": dist})

    return measure


def make_thm44_measure(init_scale: float = 1.0):
    """ZCZG/Thm4.4: ``L_S(W^(T)) / L_S(W^(0))`` after T GD steps with ``eta = c/(M L^3)``;
    the final loss and the zero-training-error indicator in extras."""

    def measure(point, ctx):
        M, L = even(point["m"]), int(point["L"])
        eta = float(point["c"]) / (M * L ** 3)
        T = int(point["steps"])
        net, x, y, W, st = run_gd(point, ctx, eta=eta, steps=T, init_scale=init_scale, record_every=T)
        out = net.forward(x, W)
        yk = net.expand_data(x, y)[1]
        err = ((yk * out) < 0).to(ctx.dtype).mean(-1)
        return Measurement(st["loss"][-1] / st["loss"][0], {"final_loss": st["loss"][-1], "train_error": err + 1e-12})

    return measure


def make_fig_measure(which: str, init_scale: float = 1.0):
    """ZCZG/Fig1-3 on scikit-learn digits 3 vs 8 (``data.digits_3_vs_8``: 64 pixels scaled
    to norm sqrt(1-mu^2), mu appended, d = 65), GD with a width-independent step ``eta``.

    * Fig1: ``L_S(W^(T)) / L_S(W^(0))`` (extras: final loss);
    * Fig2: ``max_l ||W_l^(T) - W_l^(0)||_2 / sqrt(2 T eta L_S(W^(0)))`` (extras: the
      spectral and Frobenius distances);
    * Fig3: the activation-pattern difference ratio ``#changed (node, input) / (sum_l m_l n)``
      divided by ``L^{4/3} tau_T^{2/3}`` with ``tau_T`` the measured spectral distance
      (extras: the raw ratio)."""

    def measure(point, ctx):
        T = int(point["steps"])
        eta = float(point["eta"])
        if which in ("Fig2", "Fig3"):      # eta proportional to 1/M (equal to `eta` at M = 64), see zczg.py notes
            eta = eta * 64.0 / even(point["m"])
        net, x, y, W, st = run_gd(point, ctx, eta=eta, steps=T, init_scale=init_scale, digits=True, record_every=T)
        L0, LT = st["loss"][0], st["loss"][-1]
        dspec = st["dist_spec"][-1].amax(-1)
        dfro = st["dist_fro"][-1].pow(2).sum(-1).sqrt()
        n = x.shape[0]
        ratio = st["sign_changes"][-1].to(ctx.dtype) / (sum(net.widths) * n)
        if which == "Fig1":
            return Measurement(LT / L0, {"final_loss": LT})
        if which == "Fig2":
            return Measurement(dspec / (2 * T * eta * L0).sqrt(), {"dist_spec": dspec, "dist_fro": dfro})
        return Measurement(ratio / (net.L ** (4 / 3) * dspec.clamp_min(1e-12) ** (2 / 3)),
                           {"ratio": ratio.clamp_min(1e-9), "dist_spec": dspec})

    return measure


# ----------------------------------------------------------------------------- Lemma A.4 / Pf 5.3: search over the ball


def ball_forward(net, x, W, *, beta=None, delta=None, taps=None, with_rows=True):
    """Forward trace and backward rows of the ZCZG net at ``W`` (or ``W + A B^T`` with ``delta``),
    differentiable in the factors: ``(hs [x_0..x_L], Ds [Sigma_1..Sigma_L], rs [r_1..r_L])``, each
    ``[K, n, .]``, with ``r_l = v^T (prod_{r=l+1}^L Sigma_r W_r^T) Sigma_l`` (ZCZG (b.3),
    ``zou-cao-zhou-gu-deep-relu-gd.txt`` Sec. 3; the ``D_{l,i}`` of the proof of Lemma 5.3).

    ``beta=None``: the exact ReLU net (``Sigma = 1[g > 0]``, as :meth:`ZCZGNet.trace` and :func:`rows`);
    ``beta``: the softplus surrogate of :func:`lem52_grads` (``Sigma = sigmoid(g/b)``), used only to steer
    :func:`lem52_search`.  ``taps`` receives the same per-layer tensors as in :func:`lem52_grads`
    (``h``, ``g``, ``r``, ``row``), so any ``q_fn`` built on this is searchable by :func:`lem52_search`.
    ``with_rows=False`` (a forward-only quantity): ``rs`` is ``None`` and the taps' ``r``/``row`` are zero
    placeholders (``row = 0 * h``, a graph node with zero adjoint), which halves the cost."""
    def mm(a, l):
        return a @ W[l] if delta is None else a @ W[l] + (a @ delta[l][0]) @ delta[l][1].mT

    def mmT(a, l):
        return a @ W[l].mT if delta is None else a @ W[l].mT + (a @ delta[l][1]) @ delta[l][0].mT

    xin = net.expand_data(x, torch.ones(x.shape[-2], dtype=net.dtype, device=net.device))[0]
    h, hs, Ds, gs = xin, [xin], [], []
    for l in range(net.L):
        g = mm(h, l)
        if beta is None:
            D, h = (g > 0).to(g.dtype), torch.relu(g)
        else:
            D, h = torch.sigmoid(g / beta[l]), beta[l] * F.softplus(g / beta[l])
        gs.append(g)
        Ds.append(D)
        hs.append(h)
    tap = [dict(h=hs[l], g=gs[l]) for l in range(net.L)]
    if not with_rows:
        if taps is not None:
            for l, t in enumerate(tap):
                t["r"] = torch.zeros_like(gs[l])
                if l:
                    t["row"] = hs[l] * 0
            taps.extend(tap)
        return hs, Ds, None
    row = net.v.expand(xin.shape[0], xin.shape[-2], -1)
    rs = [None] * net.L
    for l in range(net.L - 1, -1, -1):
        r = row * Ds[l]
        rs[l] = r
        tap[l]["r"] = r
        if l:
            row = mmT(r, l)
            tap[l]["row"] = row
    if taps is not None:
        taps.extend(tap)
    return hs, Ds, rs


def _flip_q(net, x, D0, ms):
    """``q_fn`` of ZCZG/LemA.4-Sigma: ``max_{l,i} ||Sigma_hat_{l,i} - Sigma_{l,i}||_0 / m_l`` (exact: the
    count of flipped signs; surrogate: ``sum_j |sigmoid(g_j/b) - Sigma_j|``, a smooth flip count)."""
    def q(W, beta=None, delta=None, taps=None):
        _, Ds, _ = ball_forward(net, x, W, beta=beta, delta=delta, taps=taps, with_rows=False)
        return torch.stack([(d - d0).abs().sum(-1) / m for d, d0, m in zip(Ds, D0, ms)], -1).flatten(1).amax(-1)
    return q


def _backward_q(net, x, r0, norm):
    """``q_fn`` of ZCZG/Pf5.3-backward: ``max_{l,i} ||r_hat_{l,i} - r_{l,i}||_2 / norm`` (rows of
    :func:`ball_forward`)."""
    def q(W, beta=None, delta=None, taps=None):
        _, _, rs = ball_forward(net, x, W, beta=beta, delta=delta, taps=taps)
        d2 = torch.stack([(a - b).pow(2).sum(-1) for a, b in zip(rs, r0)], -1)
        return d2.clamp_min(1e-30).sqrt().flatten(1).amax(-1) / norm
    return q


def ball_search(net, x, q_fn, tau, ctx, W_start, *, key, restarts=3, steps=3, temperature=(1.0, 0.3, 1.0), warm=2,
                sense=1, gammas=(1.0, 0.5, 0.25, 0.0625)):
    """:func:`lem52_search` of ``q_fn`` over ``B(W^(0), tau)`` (per-layer spectral ball, ZCZG Sec. 5), the first
    ``warm`` of ``restarts`` restarts warm-started at the rank-one constructed point ``W_start`` (factors by
    :func:`_rank_one_factors`), the others at random rank-one points (generators ``ctx.generator(key-j)``).
    ``gammas``: the line-search step sizes.  Returns the exact value ``[K]`` at the best point found and its
    factors."""
    gens = [ctx.generator(f"{key}-{j}") for j in range(restarts)]
    start = [tuple(_rank_one_factors(w - w0) for w, w0 in zip(W_start, net.W0))] * min(warm, restarts)
    q, fac, _ = lem52_search(net, x, None, q_fn, tau, sense=sense, inits=start,
                             gens=gens, steps=steps, temperature=temperature, gammas=gammas)
    return q, fac


def _spectral_norm_lowrank(A, B):
    """``||A B^T||_2`` ``[K]`` exactly (thin QR of both factors, SVD of the ``k x k`` core)."""
    _, Ra = torch.linalg.qr(A)
    _, Rb = torch.linalg.qr(B)
    return torch.linalg.matrix_norm(Ra @ Rb.mT, ord=2)


def _forward_lipschitz_q(net, x, h0):
    """``q_fn`` of ZCZG/LemA.4-x with ``W_tilde = W^(0)`` and ``W_hat - W^(0) = A_1 B_1^T`` in LAYER 1 only (the
    factors the search keeps for layers 2..L are ignored): ``max_{l,i} ||x_hat_{l,i} - x_{l,i}|| / (L ||A_1 B_1^T||_2)``,
    the norm exact (:func:`_spectral_norm_lowrank`, not differentiated: the search steers by the numerator)."""
    def q(W, beta=None, delta=None, taps=None):
        d = (delta[0],) + tuple((a[..., :0], b[..., :0]) for a, b in delta[1:])
        hs, _, _ = ball_forward(net, x, W, beta=beta, delta=d, taps=taps, with_rows=False)
        num = torch.stack([(a - b).pow(2).sum(-1) for a, b in zip(hs[1:], h0[1:])], -1)
        with torch.no_grad():
            den = net.L * _spectral_norm_lowrank(*delta[0]).clamp_min(1e-30)
        return num.clamp_min(1e-30).sqrt().flatten(1).amax(-1) / den
    return q
