"""Measures for the finite-width vs infinite-width claims of AZLS-DNN (:mod:`.azls_dnn_limits`).

Each measure compares a finite-width quantity of :class:`ovpmodel.FCNet` with its limit from
:mod:`ovpmodel.ntk` and returns the finite value and the limit side by side in ``extras``
under the keys ``<name>`` and ``<name>@limit`` (the report draws them as a curve in ``m``
with the limit as a line; see ``claims/report.py``).

Normalisation: the empirical Gram ``K`` of :func:`ovpmodel.ntk.empirical_ntk` is the matrix of
Theorem 3's proof (``claims/catalog/_azls_dnn_measures.py::_ntk_gram``); ``(d/m) K`` tends to
``Theta (x) I_d`` with ``Theta`` = :func:`ovpmodel.ntk.ntk` (``d = d_out``).

Data are fixed per ``(n, d[, delta])`` (independent of the example seed; only the network is
random): the limit is then a deterministic function of the point and a sweep over ``m``
compares networks on the SAME inputs, so the limit is one line.  The theorems are stated
for a fixed data set and a random initialisation.
"""

from __future__ import annotations

import math

import torch

from .._claim import Measurement, derive_seed
from ._azls_dnn_measures import _fixed_data, _net

__all__ = ["ntk_init_measure", "lambda_min_measure", "gd_vs_kernel_measure", "limit_inputs"]


def limit_inputs(n: int, d: int, ctx, delta: float | None = None) -> torch.Tensor:
    """Inputs ``x [n, d]`` of AZLS-DNN Sec. 2 (unit norm, ``x_d = 1/sqrt 2``), fixed per
    ``(n, d, delta)``: ``fc_inputs`` (``delta=None``) or ``close_pair_inputs`` with the pair
    ``(0, 1)`` at distance exactly ``delta`` (the separation of Assumption 2.1 / Theorem 3)."""
    from ovpmodel.data import close_pair_inputs, fc_inputs

    g = torch.Generator(device="cpu")
    g.manual_seed(derive_seed("azls-dnn-limits-data", int(n), int(d), None if delta is None else float(delta)))
    if delta is None:
        return fc_inputs(int(n), int(d), generator=g, device=ctx.device, dtype=torch.float64)
    return close_pair_inputs(int(n), int(d), float(delta), generator=g, device=ctx.device, dtype=torch.float64)


def _normalised_gram(net, x):
    """``(d/m) K`` in float64, ``[K, n d, n d]``."""
    from ovpmodel.ntk import empirical_ntk

    return empirical_ntk(net, x.to(net.dtype)).to(torch.float64) * (net.d_out / net.m)


def _full(v, K, dtype):
    return torch.as_tensor(v, dtype=torch.float64).expand(K).to(dtype)


def ntk_init_measure(var_scale: float = 1.0):
    """Relative Frobenius error of the empirical NTK at initialisation against the analytic
    one: ``values = ||(d/m) K - Theta (x) I_d||_F / ||Theta (x) I_d||_F`` per trial.

    ``var_scale`` (false variants only) multiplies the variance of ``A`` and ``W_l`` in the
    network while the limit keeps the paper's ``2/m``.  Extras: ``theta01`` (the empirical
    ``(d/m) K_{(0,a),(1,a)}`` averaged over the outputs ``a``) and ``theta01@limit`` =
    ``Theta(x_0, x_1)``; ``theta00``/``theta00@limit`` (= L/2); ``cross_output`` (RMS of the
    off-diagonal output blocks, limit 0).
    """

    def measure(point, ctx):
        from ovpmodel.ntk import ntk

        n, d, L = int(point["n"]), int(point["d"]), int(point["L"])
        net = _net(point, ctx, var_scale=var_scale)
        x = limit_inputs(n, d, ctx)
        G = _normalised_gram(net, x)                                   # [K, nd, nd]
        T = ntk(x, L)                                                  # [n, n]
        eye = torch.eye(d, dtype=torch.float64, device=T.device)
        Ginf = (T[:, None, :, None] * eye[:, None, :]).reshape(n * d, n * d)
        err = (G - Ginf).norm(dim=(-1, -2)) / Ginf.norm()
        Gb = G.reshape(-1, n, d, n, d)
        diag = torch.diagonal(Gb, dim1=2, dim2=4)                      # [K, n, n, d]: same output a
        off = Gb * (1 - eye)[None, None, :, None, :]
        K = ctx.trials
        return Measurement(values=err.to(ctx.dtype), extras={
            "theta01": diag[:, 0, 1].mean(-1).to(ctx.dtype), "theta01@limit": _full(T[0, 1], K, ctx.dtype),
            "theta00": diag[:, 0, 0].mean(-1).to(ctx.dtype), "theta00@limit": _full(T[0, 0], K, ctx.dtype),
            "cross_output": (off.pow(2).sum(dim=(1, 2, 3, 4)) / (n * n * d * (d - 1))).sqrt().to(ctx.dtype),
            "err_x_sqrt_m": (err * math.sqrt(net.m)).to(ctx.dtype)})

    return measure


def lambda_min_measure(var_scale: float = 1.0):
    """Least eigenvalue of the normalised Gram ``(d/m) K`` at initialisation against the
    analytic ``lambda_min(Theta)`` (= ``lambda_min(Theta (x) I_d)``), inputs with the closest
    pair at exactly ``delta``.

    ``values = lambda_min((d/m) K) / lambda_min(Theta)`` (-> 1).  Extras: ``lambda_min`` and
    ``lambda_min@limit`` (finite and infinite width, same normalisation); the looseness of
    the paper's bound (Theorem 3, ``||grad F||^2 >= Omega(F delta m / (d n^2))``, i.e.
    ``2 lambda_min(K) >= c delta m/(d n^2)``): ``vs_delta_bound = 2 lambda_min(K) / (delta m/(d n^2))``
    and ``limit_vs_delta_bound = 2 lambda_min(Theta) n^2 / delta`` (the same ratio at infinite
    width: how much room the n^{-2} delta shape leaves even without finite-m noise);
    ``abs_rel_dev = |values - 1|``.
    """

    def measure(point, ctx):
        from ovpmodel.ntk import ntk

        n, d, L, delta = int(point["n"]), int(point["d"]), int(point["L"]), float(point["delta"])
        net = _net(point, ctx, var_scale=var_scale)
        x = limit_inputs(n, d, ctx, delta)
        lam = torch.linalg.eigvalsh(_normalised_gram(net, x))[..., 0]   # [K]
        lam_inf = torch.linalg.eigvalsh(ntk(x, L))[0]
        ratio = lam / lam_inf
        K = ctx.trials
        return Measurement(values=ratio.to(ctx.dtype), extras={
            "lambda_min": lam.to(ctx.dtype), "lambda_min@limit": _full(lam_inf, K, ctx.dtype),
            "vs_delta_bound": (2 * lam * n * n / delta).to(ctx.dtype),
            "limit_vs_delta_bound": _full(2 * lam_inf * n * n / delta, K, ctx.dtype),
            "abs_rel_dev": (ratio - 1).abs().clamp_min(1e-300).to(ctx.dtype)})

    return measure


def _gd_outputs(net, x, y, eta, T):
    """Plain GD ``W <- W - eta grad F`` (F = sum_i 1/2 ||B h_{i,L} - y_i||^2, AZLS-DNN Sec. 2)
    for ``T`` steps; returns the outputs ``[T+1, K, n, d]`` along the run.  One trace and one
    back-substitution per step (Fact 2.6, as ``FCNet.grad_formula``)."""
    W = net.W0
    outs = []
    for t in range(T + 1):
        tr = net.trace(x, W)
        outs.append(tr.out)
        if t == T:
            break
        u = torch.matmul(tr.out - y, net.B)                               # Back_{L+1}^T loss_i
        G = torch.empty_like(W)
        for l in range(net.L, 0, -1):
            du = tr.D[:, l].to(W.dtype) * u
            G[:, l - 1] = torch.matmul(du.transpose(-1, -2), tr.h[:, l - 1])
            u = torch.matmul(du, W[:, l - 1])
        W = W - eta * G
    return torch.stack(outs)


def gd_vs_kernel_measure(kernel_scale: float = 1.0):
    """GD at width ``m`` vs GD on the linearised model with the analytic NTK (kernel regression).

    Finite: GD on the l2 objective with ``eta = eta_m / m`` (the Theorem 1 step ``Theta(d delta /
    (poly(n, L) m))`` at a fixed ``eta m``, as the catalog's Thm1 claim), ``T`` steps, on the fixed
    data set of Thm1 (``_fixed_data``: unit-norm inputs and targets).  Limit: the residual
    ``u_t = f_t - y`` of the linearised model under the infinite-width Gram
    ``K_inf = (m/d) Theta (x) I_d``: ``u_{t+1} = (I - eta K_inf) u_t = u_t - (eta_m/d) Theta u_t``,
    started from the SAME ``f_0`` (the network's own output at initialisation), so only the
    kernel differs (``K_0`` vs ``K_inf`` and its drift along the run).

    ``values = max_t ||f_t - f^lin_t||_F / ||f_0 - y||_F``.  Extras: ``loss_ratio`` =
    ``F_T / F_0`` and ``loss_ratio@limit`` (the kernel-regression value), ``final_dist``
    (the distance at ``t = T``).  ``kernel_scale`` (false variants) multiplies ``Theta`` in the
    linearised model.
    """

    def measure(point, ctx):
        from ovpmodel.ntk import ntk

        n, d, L, T = int(point["n"]), int(point["d"]), int(point["L"]), int(point["T"])
        eta_m = float(point["eta_m"])
        net = _net(point, ctx)
        x, y = _fixed_data(n, d, ctx)
        x, y = x.to(net.dtype), y.to(net.dtype)
        outs = _gd_outputs(net, x, y, eta_m / net.m, T).to(torch.float64)   # [T+1, K, n, d]
        Th = kernel_scale * ntk(x.to(torch.float64), L)
        yd = y.to(torch.float64)
        u = outs[0] - yd
        lin = [u]
        for _ in range(T):
            u = u - (eta_m / d) * torch.matmul(Th, u)
            lin.append(u)
        lin = torch.stack(lin)                                              # residuals [T+1, K, n, d]
        res = outs - yd
        scale = res[0].norm(dim=(-1, -2))
        dist = (res - lin).norm(dim=(-1, -2)) / scale                       # [T+1, K]
        F0 = res[0].pow(2).sum(dim=(-1, -2))
        return Measurement(values=dist.amax(0).to(ctx.dtype), extras={
            "final_dist": dist[-1].to(ctx.dtype),
            "loss_ratio": (res[-1].pow(2).sum(dim=(-1, -2)) / F0).to(ctx.dtype),
            "loss_ratio@limit": (lin[-1].pow(2).sum(dim=(-1, -2)) / F0).to(ctx.dtype)})

    return measure
