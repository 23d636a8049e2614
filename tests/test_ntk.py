"""ovpmodel.ntk: analytic infinite-width kernels of the AZLS-DNN FC net and the empirical NTK.

Kinds of test (as neural-tangents does for its kernels): closed-form special cases
(diagonals, identical and orthogonal inputs, ``L = 0``), structural identities
(symmetry, PSD, batched == unbatched, square == rectangular, per-layer sums),
implementation vs implementation (per-layer empirical NTK == autograd Jacobian Gram ==
the catalog's Theorem-3 Gram) to float64 round-off, and Monte Carlo vs closed form with
tolerances from the number of samples / the m^{-1/2} law, not hand-tuned ones.  An
optional cross-check against neural-tangents' ``stax`` kernel_fn runs when it is
installed (``pip install "ovpcheck[crosscheck]"``).
"""

from __future__ import annotations

import math

import pytest
import torch

from ovpmodel import FCNet, ResNet
from ovpmodel.data import close_pair_inputs, fc_inputs
from ovpmodel.ntk import (arccos_kernel, empirical_nngp, empirical_ntk, nngp, ntk, ntk_gram, zczg_empirical_ntk,
                          zczg_nngp, zczg_ntk)

F64 = torch.float64
ROUND = 1e-12          # float64 identities (a few hundred flops per entry)


def _x(n=5, d=4, seed=0):
    return fc_inputs(n, d, seed=seed)


def _close(a, b, rtol=ROUND, atol=ROUND):
    torch.testing.assert_close(a, b, rtol=rtol, atol=atol)


# ----------------------------------------------------------------------------- arc-cosine kernels


def test_arccos_special_values():
    r = torch.tensor([1.0, 0.0, -1.0], dtype=F64)
    _close(arccos_kernel(r, 0), torch.tensor([1.0, 0.5, 0.0], dtype=F64))
    _close(arccos_kernel(r, 1), torch.tensor([1.0, 1 / math.pi, 0.0], dtype=F64))
    # clamped outside [-1, 1] (rounding of a cosine), never NaN
    assert torch.isfinite(arccos_kernel(torch.tensor([1 + 1e-15, -1 - 1e-15], dtype=F64), 1)).all()
    with pytest.raises(ValueError, match="degree"):
        arccos_kernel(r, 2)


def test_arccos_matches_monte_carlo():
    """2 E[phi(u) phi(v)] and 2 E[1(u>0) 1(v>0)] for correlated standard normals; tolerance 5
    standard errors of the N-sample mean (sd of the summand <= sqrt(E[phi^2 phi'^2]) <= sqrt 3)."""
    g = torch.Generator().manual_seed(7)
    N = 400_000
    for rho in (-0.7, 0.0, 0.4, 0.95):
        u = torch.randn(N, generator=g, dtype=F64)
        v = rho * u + math.sqrt(1 - rho * rho) * torch.randn(N, generator=g, dtype=F64)
        k1 = 2 * (torch.relu(u) * torch.relu(v))
        k0 = 2 * ((u > 0) & (v > 0)).to(F64)
        for mc, deg in ((k1, 1), (k0, 0)):
            se = mc.std() / math.sqrt(N)
            assert abs(mc.mean() - arccos_kernel(torch.tensor(rho, dtype=F64), deg)) < 5 * se, (rho, deg)


# ----------------------------------------------------------------------------- analytic kernels


def test_nngp_diagonal_and_norm_preservation():
    """He initialisation (w_var = 2) preserves norms: Sigma_l(x, x) = ||x||^2 for every l."""
    x = _x() * torch.tensor([0.5, 1.0, 2.0, 3.0, 1.5], dtype=F64)[:, None]
    S = nngp(x, 4)
    assert S.shape == (5, 5, 5)
    for l in range(5):
        _close(torch.diagonal(S[l]), (x * x).sum(-1))
    # w_var = 1 halves the squared norm at every layer (l+1 halvings through h_0..h_l)
    S1 = nngp(x, 3, w_var=1.0)
    for l in range(4):
        _close(torch.diagonal(S1[l]), (x * x).sum(-1) * 0.5 ** (l + 1))


def test_nngp_L0_is_one_arccos_layer():
    x = _x()
    nx = x.norm(dim=-1)
    rho = (x @ x.T) / (nx[:, None] * nx[None, :])
    _close(nngp(x, 0)[0], nx[:, None] * nx[None, :] * arccos_kernel(rho, 1))


def test_ntk_diagonal_is_L_over_2_for_unit_inputs():
    x = _x()
    for L in (1, 2, 5):
        _close(torch.diagonal(ntk(x, L)), torch.full((5,), L / 2, dtype=F64))


def test_ntk_identical_and_orthogonal_inputs():
    x = _x(1).repeat(3, 1)
    _close(ntk(x, 3), torch.full((3, 3), 1.5, dtype=F64))          # rank one, all L/2
    e = torch.eye(2, dtype=F64)                                     # orthogonal unit inputs, L = 1
    T = ntk(e, 1)
    # Theta = (1/2) Sigma_0 kappa_0(rho_0): Sigma_0 = kappa_1(0) = 1/pi, rho_0 = 1/pi
    expect = 0.5 * (1 / math.pi) * arccos_kernel(torch.tensor(1 / math.pi, dtype=F64), 0)
    _close(T[0, 1], expect)


def test_ntk_symmetric_psd_and_monotone_in_depth():
    x = fc_inputs(12, 6, seed=3)
    prev = None
    for L in (1, 2, 4, 8):
        T = ntk(x, L)
        _close(T, T.T, rtol=0, atol=0)
        ev = torch.linalg.eigvalsh(T)
        assert ev.min() > -1e-12 * ev.max()
        if prev is not None:   # every diagonal entry is L/2: the trace grows with the depth
            assert torch.trace(T) > torch.trace(prev)
        prev = T


def test_ntk_per_layer_sum_batching_and_rectangular():
    x = torch.stack([_x(seed=s) for s in range(3)])                 # [3, 5, 4] batch of data sets
    T = ntk(x, 3)
    P = ntk(x, 3, per_layer=True)
    assert P.shape == (3, 3, 5, 5)
    _close(P.sum(-3), T)
    for b in range(3):
        _close(ntk(x[b], 3), T[b])
    _close(ntk(x[0, :2], 3, x[0, 2:]), T[0, :2, 2:])                # rectangular block
    _close(nngp(x[0, :2], 2, x[0, 2:]), nngp(x[0], 2)[:, :2, 2:])
    # the top layer alone: (b_var/2) Sigma_{L-1} kappa_0(rho_{L-1})
    S = nngp(x[0], 3)
    rho = S[2] / torch.sqrt(torch.diagonal(S[2])[:, None] * torch.diagonal(S[2])[None, :])
    _close(P[0, -1], 0.5 * S[2] * arccos_kernel(rho, 0))


def test_ntk_variance_scaling_and_input_layer():
    x = _x()
    _close(ntk(x, 2, b_var=3.0), 3.0 * ntk(x, 2))
    # L = 0 with the input layer trained: (b_var/2) <x, x'> kappa_0(cos)
    nx = x.norm(dim=-1)
    rho = (x @ x.T) / (nx[:, None] * nx[None, :])
    _close(ntk(x, 0, train_input=True), 0.5 * (x @ x.T) * arccos_kernel(rho, 0))
    P = ntk(x, 2, train_input=True, per_layer=True)
    assert P.shape[-3] == 3
    _close(P[1:].sum(0), ntk(x, 2))
    with pytest.raises(ValueError, match="L must be >= 1"):
        ntk(x, 0)


def test_ntk_gram_is_kron_with_identity():
    x = _x(3)
    G = ntk_gram(x, 2, 4)
    _close(G, torch.kron(ntk(x, 2), torch.eye(4, dtype=F64)))


def test_bad_inputs_rejected():
    with pytest.raises(ValueError):
        ntk(torch.ones(4, dtype=F64), 1)
    with pytest.raises(ValueError):
        nngp(_x(), 1, torch.ones(3, 5, dtype=F64))
    with pytest.raises(ValueError):
        nngp(torch.full((2, 3), float("nan"), dtype=F64), 1)


# ----------------------------------------------------------------------------- empirical NTK


def _autograd_gram(net, x):
    W = net.W0.detach().clone()
    J = torch.autograd.functional.jacobian(lambda W_: net.forward(x, W_), W)   # [K, n, d, K, L, m, m]
    K, n, d = J.shape[:3]
    Js = torch.stack([J[k, :, :, k].reshape(n * d, -1) for k in range(K)])
    return Js @ Js.transpose(-1, -2)


@pytest.mark.parametrize("cls", [FCNet, ResNet])
def test_empirical_ntk_equals_autograd(cls):
    x = _x(3)
    net = cls(12, 3, 4, d_out=3, trials=2, seed=11)
    G = empirical_ntk(net, x)
    assert G.shape == (2, 9, 9)
    Ga = _autograd_gram(net, x)
    _close(G, Ga, rtol=1e-10, atol=1e-12 * Ga.abs().max().item())
    _close(empirical_ntk(net, x, per_layer=True).sum(1), G)
    # at other weights too (the trace and the backward vectors use the given W)
    W = net.W0 + 0.1 * torch.randn(net.W0.shape, generator=torch.Generator().manual_seed(1), dtype=F64)
    net2 = cls(12, 3, 4, d_out=3, trials=2, seed=11)
    net2.W0 = W
    _close(empirical_ntk(net, x, W), _autograd_gram(net2, x), rtol=1e-10, atol=1e-10)


def test_empirical_ntk_equals_catalog_theorem3_gram():
    """Same matrix (and normalisation) as claims/catalog/_azls_dnn_measures.py::_ntk_gram."""
    from claims.catalog._azls_dnn_measures import _ntk_gram

    x = close_pair_inputs(4, 4, 0.3, seed=2)
    net = FCNet(24, 2, 4, trials=3, seed=5)
    G, _ = _ntk_gram(net, x, net.W0)
    _close(empirical_ntk(net, x), G)


def test_empirical_nngp_matches_trace():
    x = _x(3)
    net = FCNet(16, 2, 4, trials=2, seed=4)
    S = empirical_nngp(net, x)
    tr = net.trace(x)
    _close(S[:, 1, 0, 2], (tr.h[:, 1, 0] * tr.h[:, 1, 2]).sum(-1))


def test_convnet_not_supported():
    from ovpmodel import ConvNet

    net = ConvNet(4, 2, 4, trials=1, seed=0)
    with pytest.raises(NotImplementedError):
        empirical_ntk(net, _x(2))


def _rel_err(net, x, L):
    G = empirical_ntk(net, x).to(F64) * (net.d_out / net.m)
    Ginf = ntk_gram(x.to(F64), L, net.d_out)
    return (G - Ginf).norm(dim=(-1, -2)) / Ginf.norm()


def test_wide_empirical_ntk_matches_analytic():
    """m = 8192: the relative Frobenius error must lie under the m^{-1/2} law calibrated in the
    same test at m = 256 (64 trials; tolerance = 1.25 x their largest sqrt(m) x error / sqrt(8192):
    0.17 with these seeds, where the error at 8192 is 0.036; about 9 s on one CPU thread)."""
    x = _x(3, 4, seed=9)
    L = 2
    small = FCNet(256, L, 4, trials=64, seed=21)
    c = (_rel_err(small, x, L) * math.sqrt(256)).max().item()
    m = 8192
    wide = FCNet(m, L, 4, trials=1, seed=22, dtype=torch.float32)   # float32: 0.5 GB of weights, error >> eps
    err = _rel_err(wide, x.to(torch.float32), L).item()
    assert err < 1.25 * c / math.sqrt(m), (err, c)
    # one entry, Theta(x_0, x_1), within 5 of its standard deviations (that at m = 256 times sqrt(256/m))
    G = empirical_ntk(wide, x.to(torch.float32)).to(F64)[0] * (4 / m)
    sd = (empirical_ntk(small, x).to(F64)[:, 0, 4] * (4 / 256)).std().item() * math.sqrt(256 / m)
    assert abs(G[0, 4].item() - ntk(x, L)[0, 1].item()) < 5 * sd


# ----------------------------------------------------------------------------- neural-tangents


def test_crosscheck_neural_tangents():
    """neural-tangents' stax kernels (NTK parameterisation, every Dense layer trained, input
    covariance divided by the input dimension) mapped onto ours.  With inputs sqrt(d) x,
    ``Dense(W_std=sqrt(w_var), b_std=None)`` for A and W_1..W_L and a readout
    ``Dense(W_std=sqrt(b_var))``: nngp_NT = b_var Sigma_L and
    ntk_NT = b_var Sigma_L (readout) + w_var ntk(x, L, train_input=True) (A and W_l; in NTK
    parameterisation a weight's gradient carries the factor sqrt(w_var/m) of its layer, which
    turns our (d/m)-normalised terms into w_var times them)."""
    try:
        import jax
        from neural_tangents import stax
    except ImportError:
        pytest.skip('neural-tangents not installed: pip install "ovpcheck[crosscheck]"')
    import numpy as np

    jax.config.update("jax_enable_x64", True)
    w_var, b_var, d = 2.0, 1.0, 4
    x = fc_inputs(5, d, seed=1)
    for L in (1, 3):
        layers = [stax.Dense(512, W_std=math.sqrt(w_var), b_std=None), stax.Relu()]
        for _ in range(L):
            layers += [stax.Dense(512, W_std=math.sqrt(w_var), b_std=None), stax.Relu()]
        layers += [stax.Dense(1, W_std=math.sqrt(b_var), b_std=None)]
        _, _, kernel_fn = stax.serial(*layers)
        xn = jax.numpy.asarray(np.sqrt(d) * x.numpy())
        k = kernel_fn(xn, None, ("nngp", "ntk"))
        nngp_nt = torch.from_numpy(np.array(k.nngp, dtype=np.float64))   # a copy: jax arrays are read-only
        ntk_nt = torch.from_numpy(np.array(k.ntk, dtype=np.float64))
        _close(nngp_nt, b_var * nngp(x, L, w_var=w_var)[L], rtol=1e-9, atol=1e-9)
        _close(ntk_nt - nngp_nt, w_var * ntk(x, L, w_var=w_var, b_var=b_var, train_input=True),
               rtol=1e-9, atol=1e-9)


# ----------------------------------------------------------------------------- ZCZG net (issue 13)


def _zx(n=5, d=16, seed=0):
    from ovpmodel.data import zczg_inputs

    return zczg_inputs(n, d, seed=seed, dtype=F64)[0]


def test_zczg_kernels_are_azls_with_the_input_layer_trained():
    """Special case vs general case: ZCZG's W_1 is AZLS-DNN's A (trained), v its B (b_var = 1),
    so zczg_ntk(x, L) == ntk(x, L-1, train_input=True) term by term, and the NNGP is shifted by one."""
    x = _zx()
    for L in (1, 2, 4):
        _close(zczg_ntk(x, L, per_layer=True), ntk(x, L - 1, train_input=True, per_layer=True))
        _close(zczg_nngp(x, L)[1:], nngp(x, L - 1))
        _close(zczg_ntk(x, L, w_var=1.5), ntk(x, L - 1, w_var=1.5, train_input=True))
    _close(zczg_nngp(x, 2)[0], x @ x.T)


def test_zczg_ntk_diagonal_widths_and_structure():
    x = _zx(6)
    for L in (1, 3):
        P = zczg_ntk(x, L, per_layer=True)
        assert P.shape == (L, 6, 6)
        _close(torch.diagonal(P, dim1=-2, dim2=-1), torch.full((L, 6), 0.5, dtype=F64))   # ||grad_{W_l} f||^2 ~ m/2
        T = zczg_ntk(x, L)
        _close(T, P.sum(0))
        _close(T, T.T, rtol=0, atol=0)
        assert torch.linalg.eigvalsh(T).min() > 0
    # unequal widths (Assumption 4.3): layer terms weighted by m_l / min m
    P = zczg_ntk(x, 3, per_layer=True)
    Pw = zczg_ntk(x, 3, widths=(96, 64, 128), per_layer=True)
    _close(Pw, P * torch.tensor([1.5, 1.0, 2.0], dtype=F64)[:, None, None])
    _close(zczg_ntk(x[:2], 2, x[2:]), zczg_ntk(x, 2)[:2, 2:])                 # rectangular block
    with pytest.raises(ValueError, match="widths"):
        zczg_ntk(x, 2, widths=(64,))
    with pytest.raises(ValueError):
        zczg_ntk(x, 0)


def _zczg_autograd_gram(net, x):
    """Jacobian Gram of f_W(x_i) w.r.t. all W_l, trial by trial, via autograd."""
    out = []
    for k in range(net.trials):
        rows = []
        for i in range(x.shape[0]):
            W = tuple(w[k].detach().clone().requires_grad_(True) for w in net.W0)
            h = x[i]
            for Wl in W:
                h = torch.relu(h @ Wl)
            g = torch.autograd.grad(h @ net.v, W)
            rows.append(torch.cat([t.reshape(-1) for t in g]))
        J = torch.stack(rows)
        out.append(J @ J.T)
    return torch.stack(out)


def test_zczg_empirical_ntk_equals_autograd_and_grad_formula():
    from ovpmodel import ZCZGNet

    x = _zx(4)
    net = ZCZGNet((12, 10, 14), 16, trials=2, seed=3, dtype=F64)
    G = zczg_empirical_ntk(net, x)
    assert G.shape == (2, 4, 4)
    Ga = _zczg_autograd_gram(net, x)
    _close(G, Ga, rtol=1e-10, atol=1e-12 * Ga.abs().max().item())
    P = zczg_empirical_ntk(net, x, per_layer=True)
    _close(P.sum(1), G)
    # the diagonal of layer l is ||grad_{W_l} f(x_i)||_F^2: from ZCZGNet.grad_formula with one sample,
    # whose gradient is ell'(y f) y grad f  (ZCZG Sec. 3 "Calculations")
    y = torch.ones(1, dtype=F64)
    Gf = net.grad_formula(x[:1], y)
    lp = torch.sigmoid(-net.forward(x[:1]))[:, 0]                              # |ell'(f)|
    for l in range(3):
        _close(Gf[l].pow(2).sum(dim=(-1, -2)) / lp ** 2, P[:, l, 0, 0], rtol=1e-10, atol=1e-12)
    with pytest.raises(NotImplementedError):
        zczg_empirical_ntk(FCNet(8, 1, 4, trials=1, seed=0), _x(2))
