"""ovpmodel networks: closed-form gradients, implicit operators, concentration, training.

Deterministic identities use float64 round-off tolerances; statistical facts are
asserted as trends across widths, not single numbers.
"""

from __future__ import annotations

import math

import pytest
from scipy.stats import mannwhitneyu
import torch

from ovpmodel import ConvNet, ElmanRNN, FCNet, ResNet, ZCZGNet
from ovpmodel.train import train

F64 = torch.float64


def unit_inputs(n, d, seed):
    g = torch.Generator().manual_seed(seed)
    z = torch.randn(n, d - 1, generator=g, dtype=F64)
    z = z / z.norm(dim=1, keepdim=True) / math.sqrt(2)
    return torch.cat([z, torch.full((n, 1), 1 / math.sqrt(2), dtype=F64)], dim=1)


def rel(a, b):
    return ((a - b).norm() / b.norm()).item()


def perturbed(W, seed, scale=0.05):
    g = torch.Generator().manual_seed(seed)
    return W + scale * torch.randn(W.shape, generator=g, dtype=W.dtype) / math.sqrt(W.shape[-1])


@pytest.mark.parametrize("cls", [FCNet, ResNet])
def test_fc_gradient_equals_fact_2_6(cls):
    """AZLS-DNN Fact 2.6 (and its ResNet analogue) equals autograd to 1e-10, at init and off init."""
    net = cls(64, 3, 6, trials=3, seed=1)
    x = unit_inputs(5, 6, 2)
    y = torch.randn(5, 6, generator=torch.Generator().manual_seed(3), dtype=F64)
    for W in (net.W0, perturbed(net.W0, 4)):
        _, G = net.grad(x, y, W)
        assert rel(G, net.grad_formula(x, y, W)) < 1e-10


def test_zczg_gradient_equals_formula():
    """ZCZG Sec. 3 "Calculations" gradient equals autograd, unequal widths (Asm 4.3)."""
    net = ZCZGNet((40, 60, 50), d=7, trials=2, seed=5)
    x = unit_inputs(9, 7, 6)
    y = torch.tensor([1, -1] * 4 + [1], dtype=F64)
    W = tuple(perturbed(w, 7 + i) for i, w in enumerate(net.W0))
    for WW in (net.W0, W):
        _, G = net.grad(x, y, WW)
        Gf = net.grad_formula(x, y, WW)
        for a, b in zip(G, Gf):
            assert rel(a, b) < 1e-10


@pytest.mark.parametrize("loss_from,lam", [(2, 1.0), (3, 0.3)])
def test_rnn_gradient_equals_fact_2_5(loss_from, lam):
    """AZLS-RNN Fact 2.5 equals autograd (also with AZL-RNN's loss from step 3 and lambda)."""
    net = ElmanRNN(48, 5, 3, trials=2, seed=8, loss_from=loss_from, output_scale=lam)
    g = torch.Generator().manual_seed(9)
    x = torch.randn(4, 6, 5, generator=g, dtype=F64) / 3
    y = torch.randn(4, 6, 3, generator=g, dtype=F64)
    for W in (net.W0, perturbed(net.W0, 10)):
        _, G = net.grad(x, y, W)
        assert rel(G, net.grad_formula(x, y, W)) < 1e-10


def test_rnn_first_step_loss_does_not_depend_on_W():
    """CLAIMS.md (b.2): B h_{i,1} does not depend on W, so including l = 1 changes nothing in grad."""
    net1 = ElmanRNN(32, 4, 2, trials=1, seed=3, loss_from=1)
    net2 = ElmanRNN(32, 4, 2, trials=1, seed=3, loss_from=2)
    x = torch.randn(3, 5, 4, generator=torch.Generator().manual_seed(1), dtype=F64)
    y = torch.randn(3, 5, 2, generator=torch.Generator().manual_seed(2), dtype=F64)
    assert rel(net1.grad(x, y)[1], net2.grad(x, y)[1]) < 1e-14


def test_fc_back_operator_is_the_jacobian():
    """``Back_{i,l} = dy_i / dh_{i,l-1}`` for every l, against autograd."""
    net = FCNet(24, 3, 5, d_out=4, trials=2, seed=11)
    x = unit_inputs(3, 5, 12)
    tr = net.trace(x)
    for l in range(1, net.L + 2):
        dense = net.back_operator(tr, l).to_dense()          # [K, n, d_out, m]
        for k in range(net.trials):
            for i in range(3):
                def f(h):
                    for a in range(l, net.L + 1):
                        h = torch.relu(net.W0[k, a - 1] @ h)
                    return net.B[k] @ h
                J = torch.autograd.functional.jacobian(f, tr.h[k, l - 1, i])
                assert torch.allclose(dense[k, i], J, rtol=1e-12, atol=1e-12)


def test_fc_interval_operator_matches_explicit_product():
    net = FCNet(16, 4, 5, trials=2, seed=2)
    tr = net.trace(unit_inputs(3, 5, 1))
    dense = net.interval_operator(tr, 3, 2).to_dense()
    k, i = 1, 2
    D = lambda a: torch.diag(tr.D[k, a, i].to(F64))
    expected = D(3) @ net.W0[k, 2] @ D(2) @ net.W0[k, 1]
    assert torch.allclose(dense[k, i], expected, atol=1e-13)


def test_rnn_back_operator_is_the_jacobian():
    """``Back_{i,l->a} = dy_{i,a} / dh_{i,l}`` (AZLS-RNN Fact 2.5 notation)."""
    net = ElmanRNN(20, 4, 3, trials=1, seed=4)
    x = torch.randn(2, 5, 4, generator=torch.Generator().manual_seed(5), dtype=F64) / 2
    tr = net.trace(x)
    for l, a in [(1, 1), (1, 4), (2, 5), (3, 4)]:
        dense = net.back_operator(tr, l, a).to_dense()
        for i in range(2):
            def f(h):
                for c in range(l + 1, a + 1):
                    h = torch.relu(net.W0[0] @ h + net.A[0] @ x[i, c - 1])
                return net.B[0] @ h
            J = torch.autograd.functional.jacobian(f, tr.h[0, l - 1, i])
            assert torch.allclose(dense[0, i], J, rtol=1e-12, atol=1e-12)


def test_trace_masks_and_outputs_consistent():
    net = FCNet(32, 2, 4, trials=2, seed=0)
    x = unit_inputs(3, 4, 0)
    tr = net.trace(x)
    assert tr.g.shape == (2, 3, 3, 32) and tr.D.dtype == torch.bool
    assert torch.equal(tr.h, torch.relu(tr.g))
    assert torch.allclose(tr.out, net.forward(x))
    z = ZCZGNet(16, 4, L=2, trials=2, seed=0)
    trz = z.trace(x)
    assert torch.equal(trz.D[1], trz.g[1] > 0)   # strict inequality in ZCZG


def test_cnn_and_resnet_forward_shapes_and_grads():
    net = ConvNet(8, 3, 6, d_out=2, trials=2, seed=1)
    x = unit_inputs(4, 6, 3)
    y = torch.zeros(4, 2, dtype=F64)
    tr = net.trace(x)
    assert [t.shape[-1] for t in tr.g] == [48, 48, 48, 8]
    F_, G = net.grad(x, y)
    assert F_.shape == (2,) and G[0].shape == net.W0[0].shape
    # finite difference along a random direction
    g = torch.Generator().manual_seed(2)
    Dir = tuple(torch.randn(w.shape, generator=g, dtype=F64) for w in net.W0)
    eps = 1e-6
    Wp = tuple(w + eps * d for w, d in zip(net.W0, Dir))
    Wm = tuple(w - eps * d for w, d in zip(net.W0, Dir))
    fd = (net.loss(x, y, Wp) - net.loss(x, y, Wm)) / (2 * eps)
    an = sum((gg * d).sum(dim=tuple(range(1, d.ndim))) for gg, d in zip(G, Dir))
    assert torch.allclose(fd, an, rtol=1e-5)


def test_forward_norms_concentrate_as_width_grows():
    """AZLS-DNN Sec. 4 Step 1: ||h_{i,l}|| ~ 1, with deviation shrinking in m (about m^{-1/2})."""
    x = unit_inputs(8, 10, 1)
    devs = {}
    for m in (256, 2048):
        net = FCNet(m, 4, 10, trials=8, seed=m)
        h = net.trace(x).h
        devs[m] = (h.norm(dim=-1) - 1).abs().amax(dim=(1, 2))        # [K]
    # expected ratio sqrt(256/2048) = 0.35.  One-sided Mann-Whitney U test, 8 vs 8 trials, at
    # level 0.01 (false-fail rate <= 1% if the widths did not matter); power vs the predicted
    # 0.35 ratio is > 99% (per-trial spread ~ 30%, measured in scratch runs).
    p = mannwhitneyu(devs[2048].numpy(), devs[256].numpy(), alternative="less").pvalue
    assert p < 0.01, (p, devs)
    assert devs[2048].median() < 0.6 * devs[256].median()


def test_same_seed_same_numbers_different_seed_different():
    a, b, c = (FCNet(32, 2, 4, trials=2, seed=s) for s in (7, 7, 8))
    assert torch.equal(a.W0, b.W0) and torch.equal(a.A, b.A) and torch.equal(a.B, b.B)
    assert not torch.equal(a.W0, c.W0)
    r1, r2 = ElmanRNN(16, 3, 2, seed=1), ElmanRNN(16, 3, 2, seed=1)
    assert torch.equal(r1.W0, r2.W0)


def test_gd_drives_loss_down_linearly():
    """AZLS-DNN Theorem 1 regime: n=8, d=10, L=3, m=1024; l2 loss falls >= 1000x, log-loss ~ linear."""
    x = unit_inputs(8, 10, 3)
    y = torch.randn(8, 10, generator=torch.Generator().manual_seed(4), dtype=F64)
    net = FCNet(1024, 3, 10, trials=1, seed=5)
    _, rec = train(net, x, y, steps=150, eta_times_m=2.0, record_every=5, spectral_every=75)
    r = rec.stacked()
    F0, FT = r["loss"][0, 0].item(), r["loss"][-1, 0].item()
    assert FT < F0 / 1000, (F0, FT)
    t = r["steps"].to(F64)
    logF = r["loss"][:, 0].log()
    half = len(t) // 2
    tt, ll = t[half:], logF[half:]
    slope = ((tt - tt.mean()) * (ll - ll.mean())).sum() / ((tt - tt.mean()) ** 2).sum()
    resid = ll - ll.mean() - slope * (tt - tt.mean())
    r2 = 1 - (resid ** 2).sum() / ((ll - ll.mean()) ** 2).sum()
    assert slope < 0 and r2 > 0.95, (slope.item(), r2.item())
    assert (r["dist_spec"][-1] < 1.0).all()          # stays near initialisation
    assert r["sign_changes"][0].item() == 0 and r["sign_changes"][-1].item() > 0


def test_sgd_runs_and_decreases_loss_deterministically():
    x = unit_inputs(8, 6, 1)
    y = torch.randn(8, 6, generator=torch.Generator().manual_seed(2), dtype=F64)
    net = FCNet(256, 2, 6, trials=2, seed=3)
    runs = [train(net, x, y, steps=60, eta_times_m=1.0, batch_size=4, seed=9, record_every=20)[1].stacked()
            for _ in range(2)]
    assert torch.equal(runs[0]["loss"], runs[1]["loss"])
    assert (runs[0]["loss"][-1] < runs[0]["loss"][0] / 5).all()


@pytest.mark.parametrize("sgd", [False, True])
def test_train_stats_subset_leaves_trajectory_unchanged(sgd):
    """``train(stats=...)`` only skips recording: loss curve, spectral distances and final weights are
    bitwise those of a full-statistics run; the skipped statistics are absent from ``stacked()``."""
    x = unit_inputs(6, 5, 7)
    y = torch.randn(6, 5, generator=torch.Generator().manual_seed(8), dtype=F64)
    net = FCNet(64, 2, 5, trials=3, seed=11)
    kw = dict(steps=30, eta_times_m=1.0, spectral_every=15, **({"batch_size": 3, "seed": 4} if sgd else {}))
    W_all, rec_all = train(net, x, y, **kw)
    W_sub, rec_sub = train(net, x, y, stats=("dist_spec",), **kw)
    full, sub = rec_all.stacked(), rec_sub.stacked()
    assert torch.equal(W_all, W_sub)
    assert torch.equal(full["loss"], sub["loss"]) and full["loss"].shape == (31, 3)
    assert torch.equal(full["dist_spec"].nan_to_num(-1.0), sub["dist_spec"].nan_to_num(-1.0))
    assert set(sub) == {"steps", "loss", "dist_spec"}
    assert full["sign_changes"][-1].min().item() > 0          # the full run did record them
    assert torch.equal(net.W0, FCNet(64, 2, 5, trials=3, seed=11).W0)   # in-place steps leave W0 alone
    with pytest.raises(ValueError, match="unknown stats.*grad_nrm"):
        train(net, x, y, stats=("grad_nrm",), **kw)


@pytest.mark.parametrize("make,match", [
    (lambda: FCNet(-4, 2, 3, seed=0), "m must be a positive integer"),
    (lambda: FCNet(8, 0, 3, seed=0), "L must be a positive integer"),
    (lambda: FCNet(8, 2, 3, seed=0, device="tpu"), "device"),
    (lambda: FCNet(8, 2, 3, seed=0, device="cuda") if not torch.cuda.is_available() else (_ for _ in ()).throw(ValueError("device")), "device"),
    (lambda: FCNet(8, 2, 3, seed=0, dtype="float16"), "dtype"),
    (lambda: FCNet(8, 2, 3), "seed"),
    (lambda: FCNet(8, 2, 3, seed=0).trace(torch.zeros(4, 5, dtype=F64)), "last dimension 3"),
    (lambda: FCNet(8, 2, 3, seed=0).trace(torch.full((4, 3), float("nan"), dtype=F64)), "non-finite"),
    (lambda: FCNet(8, 2, 3, seed=0).trace(torch.zeros(4, 3, dtype=F64), W=torch.zeros(1, 2, 8, 7)), "W must be"),
    (lambda: FCNet(8, 2, 3, trials=2, seed=0).trace(torch.zeros(3, 4, 3, dtype=F64)), "trial dimension"),
    (lambda: ZCZGNet((10, 30), 3, seed=0), "Assumption 4.3"),
    (lambda: ZCZGNet(9, 3, L=2, seed=0), "even"),
    (lambda: ZCZGNet(8, 3, L=2, seed=0).loss(torch.zeros(2, 3, dtype=F64), torch.tensor([1.0, 0.0])), "labels"),
    (lambda: ElmanRNN(8, 3, 2, seed=0).trace(torch.zeros(2, 3, dtype=F64)), "dimensions"),
    (lambda: train(FCNet(8, 1, 3, seed=0), torch.zeros(2, 3, dtype=F64), torch.zeros(2, 3, dtype=F64), steps=2, eta=-1.0), "eta"),
    (lambda: train(FCNet(8, 1, 3, seed=0), torch.zeros(2, 3, dtype=F64), torch.zeros(2, 3, dtype=F64), steps=2, eta=0.1, batch_size=5, seed=0), "batch_size"),
])
def test_bad_input_gives_clear_error(make, match):
    with pytest.raises((ValueError, TypeError), match=match):
        make()


def test_interval_spectral_norms_match_dense_products():
    """All interval norms by batched Lanczos equal the dense product's ``matrix_norm(ord=2)``."""
    net = FCNet(40, 4, 5, trials=2, seed=3)
    tr = net.trace(unit_inputs(3, 5, 4))
    S = net.interval_spectral_norms(tr, tol=1e-9, generator=torch.Generator().manual_seed(0))
    for a in range(1, 5):
        for b in range(1, a + 1):
            dense = torch.linalg.matrix_norm(net.interval_operator(tr, a, b).to_dense(), ord=2)
            assert torch.allclose(S[:, :, a - 1, b - 1], dense, rtol=1e-7), (a, b)
    assert torch.isnan(S[:, :, 0, 1]).all()
