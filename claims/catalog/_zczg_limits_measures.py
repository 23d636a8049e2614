"""Measures for the finite-width vs infinite-width claims of ZCZG (:mod:`.zczg_limits`).

Paper: ``papers/zou-cao-zhou-gu-deep-relu-gd.txt`` (ZCZG), Sec. 3 (network, Gaussian (He)
initialisation ``w_{l,j} ~ N(0, (2/m_l) I)``, fixed ``v``, all ``W_1..W_L`` trained,
"Calculations" gradient), Assumptions 4.1-4.3, Lemma 5.2.  The limits are
:func:`ovpmodel.ntk.zczg_ntk` (normalisation ``K / m -> Theta``, ``m = min_l m_l``).

Each measure returns a finite-width quantity and its limit side by side in ``extras`` under
``<name>`` and ``<name>@limit`` (the engine collects them along a sweep and the report draws
the finite curve in ``m`` with the limit as a line).  Data are fixed per ``(n[, phi])``
(independent of the example seed; only the network is random), so a sweep over ``m``
compares networks on the SAME inputs and the limit is one line.
"""

from __future__ import annotations

import math

import torch

from .._claim import Measurement, derive_seed
from ._zczg_measures import D_IN, MU, even, plant_close_pair

__all__ = ["ntk_init_measure", "lem52_lower_measure", "limit_inputs", "limit_net", "simplex_min_quadratic"]


def limit_net(point, ctx, *, var_scale: float = 1.0):
    """:class:`ovpmodel.ZCZGNet` with ``m`` (rounded to even), ``L``, ``d = 16``, K = ctx.trials.

    In float64 the Gaussian weights are drawn in float32 and cast (3-4x cheaper on a CPU; the
    cast is exact, the law is ``N(0, 2/m_l)`` up to float32 rounding of each draw).  ``var_scale``
    (false variants only) multiplies the variance of every ``W_l`` (1 = the paper's ``2/m_l``).
    """
    from ovpmodel import ZCZGNet

    draw = torch.float32 if ctx.dtype == torch.float64 else ctx.dtype
    net = ZCZGNet(even(point["m"]), D_IN, L=int(point["L"]), trials=ctx.trials, generator=ctx.generator("net"),
                  device=ctx.device, dtype=draw)
    s = math.sqrt(var_scale)
    if draw != ctx.dtype or var_scale != 1.0:
        net.dtype = ctx.dtype
        net.W0 = tuple(w.to(ctx.dtype) * s for w in net.W0)
        net.v = net.v.to(ctx.dtype)
    return net


def limit_inputs(n: int, ctx, phi: float | None = None):
    """Data of ZCZG Assumption 4.1 (``||x|| = 1``, ``(x)_d = mu = 1/sqrt 2``, ``d = 16``), balanced
    labels, fixed per ``(n, phi)``: ``(x [n, d], y [n], phi_attained)`` in float64.  With ``phi``
    the points are drawn phi-separated across labels (Assumption 4.2) and the last one is replaced by one of the opposite label of point 0 at distance exactly
    ``phi`` (``_zczg_measures.plant_close_pair``: the Assumption-4.2 constant is attained)."""
    from ovpmodel.data import zczg_inputs

    g = torch.Generator(device="cpu")
    g.manual_seed(derive_seed("zczg-limits-data", int(n), None if phi is None else float(phi)))
    x, y = zczg_inputs(int(n), D_IN, mu=MU, phi=phi, generator=g, dtype=torch.float64)
    if phi is None:
        pos, neg = x[y > 0], x[y < 0]
        phi_act = float(torch.cdist(pos, neg).min()) if len(pos) and len(neg) else math.inf
    else:
        x, y, phi_act = plant_close_pair(x, y, float(phi))
    return x.to(ctx.device), y.to(ctx.device), phi_act


def _full(v, K, dtype, device):
    return torch.as_tensor(float(v), dtype=torch.float64).expand(K).to(device=device, dtype=dtype)


def ntk_init_measure(var_scale: float = 1.0):
    """Relative Frobenius error of the empirical NTK of the ZCZG net at initialisation against
    :func:`ovpmodel.ntk.zczg_ntk`: ``values = ||K/m - Theta||_F / ||Theta||_F`` per trial, ``K`` the
    Gram of ``grad_W f_W(x_i)`` over ALL ``W_1..W_L`` (:func:`ovpmodel.ntk.zczg_empirical_ntk`).

    Extras (finite / ``@limit`` pairs, drawn by the report along the sweep):

    * ``grad_sq``: mean over ``i`` of ``||grad_W f(x_i)||_F^2 / m`` (the NTK diagonal; limit ``L/2``);
    * ``grad_last_sq``: mean over ``i`` of ``||grad_{W_L} f(x_i)||_F^2 / m`` (limit ``1/2``);
    * ``theta01``: ``K_{01} / m`` (limit ``Theta(x_0, x_1)``);
    * ``lem52_upper``: ``max_{l,i} ||grad_{W_l} f(x_i)||_F / sqrt(M)``, Lemma 5.2's upper-bound
      ratio ``n ||grad_{W_l} L_S||_F / (sqrt(M) sum_i |ell'_i|)`` for a single sample (``n = 1``,
      where it is ``||grad_{W_l} f||/sqrt(M)`` whatever ``ell'``); limit
      ``max_{l,i} sqrt(Theta_l(x_i, x_i))`` = ``1/sqrt 2`` (equal widths), against the lemma's ``C' L``;
    * ``err_x_sqrt_m``: ``sqrt(m)`` times the value.

    ``var_scale`` (false variants) multiplies the variance of every ``W_l`` in the network while
    the limit keeps the paper's ``2/m_l``.
    """

    def measure(point, ctx):
        from ovpmodel.ntk import zczg_empirical_ntk, zczg_ntk

        n, L = int(point["n"]), int(point["L"])
        net = limit_net(point, ctx, var_scale=var_scale)
        m, M = net.m, max(net.widths)
        x, _, _ = limit_inputs(n, ctx)
        P = zczg_empirical_ntk(net, x.to(net.dtype), per_layer=True).to(torch.float64) / m   # [K, L, n, n]
        G = P.sum(1)
        Tl = zczg_ntk(x, L, widths=net.widths, per_layer=True)                             # [L, n, n]
        T = Tl.sum(0)
        err = (G - T).norm(dim=(-1, -2)) / T.norm()
        dg = torch.diagonal(G, dim1=-2, dim2=-1)                                             # [K, n]
        dl = torch.diagonal(P, dim1=-2, dim2=-1)                                             # [K, L, n]
        up = (dl * (m / M)).clamp_min(0).sqrt().amax(dim=(1, 2))
        up_inf = (torch.diagonal(Tl, dim1=-2, dim2=-1) * (m / M)).sqrt().max()
        K, dt, dev = ctx.trials, ctx.dtype, ctx.device
        return Measurement(values=err.to(dt), extras={
            "grad_sq": dg.mean(-1).to(dt), "grad_sq@limit": _full(torch.diagonal(T).mean(), K, dt, dev),
            "grad_last_sq": dl[:, -1].mean(-1).to(dt),
            "grad_last_sq@limit": _full(torch.diagonal(Tl[-1]).mean(), K, dt, dev),
            "theta01": G[:, 0, 1].to(dt), "theta01@limit": _full(T[0, 1], K, dt, dev),
            "lem52_upper": up.to(dt), "lem52_upper@limit": _full(up_inf, K, dt, dev),
            "err_x_sqrt_m": (err * math.sqrt(m)).to(dt)})

    return measure


def _simplex_project(v):
    """Euclidean projection of the rows of ``v [..., n]`` onto the probability simplex (sort-based)."""
    n = v.shape[-1]
    u, _ = torch.sort(v, dim=-1, descending=True)
    css = u.cumsum(-1) - 1.0
    k = torch.arange(1, n + 1, dtype=v.dtype, device=v.device)
    cond = (u - css / k) > 0
    r = cond.to(v.dtype).cumsum(-1).argmax(-1, keepdim=True)           # last index where cond holds
    tau = css.gather(-1, r) / (r + 1).to(v.dtype)
    return (v - tau).clamp_min(0.0)


def simplex_min_quadratic(G: torch.Tensor, iters: int = 500) -> torch.Tensor:
    """``min_{a >= 0, sum a = 1} a^T G a`` for PSD ``G [..., n, n]`` (projected gradient with step
    ``1/lambda_max``, from the uniform point; the objective is convex, the iterates feasible, so
    the value returned is an upper bound on the minimum that the iterations tighten; for the
    ``n <= 8`` kernels of the catalog it is stable to 1e-9 relative after ~100 steps)."""
    n = G.shape[-1]
    a = torch.full(G.shape[:-1], 1.0 / n, dtype=G.dtype, device=G.device)
    step = 1.0 / torch.linalg.eigvalsh(G)[..., -1:].clamp_min(1e-300)
    for _ in range(iters):
        a = _simplex_project(a - step * (G @ a.unsqueeze(-1)).squeeze(-1))
    return (a.unsqueeze(-2) @ G @ a.unsqueeze(-1)).squeeze(-1).squeeze(-1)


def lem52_lower_measure(var_scale: float = 1.0):
    """ZCZG Lemma 5.2 (first inequality) at initialisation against its infinite-width value.

    ``grad_{W_L} L_S = (1/n) sum_i ell'_i y_i grad_{W_L} f(x_i)`` (ZCZG Sec. 3), so
    ``||grad_{W_L} L_S||_F^2 = (1/n^2) a^T (y y^T o K_L) a`` with ``a_i = |ell'(y_i f(x_i))|`` and
    ``K_L`` the last layer's empirical NTK; its limit is ``(m/n^2) a^T (y y^T o Theta_L) a``.
    ``ratio = ||grad_{W_L} L_S(W^(0))||_F^2 / ((m/n^2) a^T (y y^T o Theta_L) a)`` (-> 1), with ``a``
    the finite network's own ``|ell'|`` (the same weights on both sides: only the kernel differs);
    ``values = |ratio - 1|`` (the relative deviation, ``O(m^{-1/2})``), ``ratio`` in the extras.

    Extras: ``q`` = Lemma 5.2's ratio ``n^5 ||grad_{W_L} L_S||_F^2 / (m phi (sum_i a_i)^2)`` at
    ``W^(0)`` (the catalog's ``ZCZG/Lem5.2-lower`` value at init) and ``q@limit`` (same ``a``,
    ``Theta_L``); ``q_worst_limit`` = ``n^3 min_{a in simplex} a^T (y y^T o Theta_L) a / phi`` (no
    finite twin: the lemma must hold for every ``ell'`` along GD, so this is its content at
    infinite width, the largest constant ``C`` the limit allows); ``phi_attained``.  Data: planted opposite-label pair at
    distance ``phi`` (Assumption 4.2 attained), fixed per ``(n, phi)``.
    """

    def measure(point, ctx):
        from ovpmodel.ntk import zczg_empirical_ntk, zczg_ntk

        n, L, phi = int(point["n"]), int(point["L"]), float(point["phi"])
        net = limit_net(point, ctx, var_scale=var_scale)
        m = net.m
        x, y, phi_act = limit_inputs(n, ctx, phi)
        xd = x.to(net.dtype)
        out = net.forward(xd).to(torch.float64)                                            # [K, n]
        a = torch.sigmoid(-y * out)                                  # |ell'(y f)|, ell'(z) = -1/(1 + e^z)
        KL = zczg_empirical_ntk(net, xd, per_layer=True)[:, -1].to(torch.float64)          # [K, n, n]
        TL = zczg_ntk(x, L, widths=net.widths, per_layer=True)[-1]                        # [n, n]
        yy = y[:, None] * y[None, :]
        quad = lambda Gm: (a.unsqueeze(-2) @ (yy * Gm) @ a.unsqueeze(-1)).squeeze(-1).squeeze(-1)
        fin = quad(KL) / n ** 2                                                            # ||grad_{W_L} L_S||^2
        lim = m * quad(TL.expand_as(KL)) / n ** 2
        ratio = fin / lim
        s2 = a.sum(-1) ** 2
        worst = n ** 3 * simplex_min_quadratic(yy * TL) / phi_act
        K, dt, dev = ctx.trials, ctx.dtype, ctx.device
        return Measurement(values=(ratio - 1).abs().clamp_min(1e-300).to(dt), extras={
            "ratio": ratio.to(dt),
            "q": (fin * n ** 5 / (m * phi_act * s2)).to(dt), "q@limit": (lim * n ** 5 / (m * phi_act * s2)).to(dt),
            "q_worst_limit": _full(worst, K, dt, dev), "phi_attained": _full(phi_act, K, dt, dev)})

    return measure
