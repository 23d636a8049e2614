"""Step 2(b)/(c) of AZLS-DNN on the CNN (Theorem 6) and ResNet (Theorem 7):
claims/catalog/azls_dnn_arch_step2.py, measures in claims/catalog/_azls_dnn_arch_measures.py.

* the four claims pass under ``quick`` and ``ci`` (each a few seconds on one core);
* at least one deliberately false variant per claim (``dataclasses.replace``: the omega
  exponent sharpened by 1/3, a constant divided by 4, an exponent of the sweep sharpened,
  a depth-free bound) is REJECTED (verdict ``fail`` with a counterexample, or a failing
  scaling); one of them passes the dense-only attack and is refuted only by the search
  over the conv kernels;
* the ovpmodel pieces they use (``ConvNet.conv_spectral_norm``, ``ConvNet.back_operator``,
  the transposed conv) against dense matrices / autograd, and the adversaries stay in the
  balls (``allen-zhu-li-song-dnn-convergence.txt``, Sec. 4 Step 2, Sec. 5).
"""

from __future__ import annotations

import dataclasses

import pytest
import torch

import claims
from claims import catalog
from claims.catalog import _azls_dnn_arch_measures as A
from claims.catalog import azls_dnn_arch_step2 as C

F64 = torch.float64
NEW = (C.THM7_STEP2B, C.THM7_STEP2C, C.THM6_STEP2B, C.THM6_STEP2C)


def _assert_fails(claim, profile="quick"):
    r = claims.check(claim, profile=profile)
    assert r.verdict == "fail", (r.verdict, r.message, r.error)
    assert r.counterexample is not None, r.message
    assert r.counterexample["violations"] >= 1
    return r


def _variant(claim, suffix, **changes):
    return dataclasses.replace(claim, id=claim.id + "/" + suffix, kind="conjecture", **changes)


def _regime(claim, **params):
    return tuple(params.get(p.name, p) for p in claim.regime)


# ----------------------------------------------------------------------------- registration


def test_registered_with_provenance_and_adversary():
    ids = set(catalog.ids())
    for c in NEW:
        assert c.id in ids and catalog.get(c.id) is c
        assert c.source.paper == "allen-zhu-li-song-dnn-convergence.txt" and "Step 2" in c.source.ref
        assert c.quantifier == "forall" and c.adversary and c.notes and c.tags
        assert "calibrated" in c.bound.provenance and "trials" in c.bound.provenance
        assert "NOT shown" in c.notes
        assert any(s.relation != "report" and s.param == "omega" for s in c.scalings), c.id
    # the paper's omega exponents are the gated ones
    assert [s.exponent for s in C.THM7_STEP2B.scalings if s.param == "omega"] == [1.0]
    assert [s.exponent for s in C.THM7_STEP2C.scalings if s.param == "omega" and s.relation != "report"] == [1 / 3]
    # the CNN adversary texts say what is done to the conv kernels
    assert "ARE attacked" in C.THM6_STEP2B.adversary
    assert "NOT by a search" in C.THM6_STEP2C.adversary


# ----------------------------------------------------------------------------- true claims


@pytest.mark.parametrize("profile", ["quick", "ci"])
@pytest.mark.parametrize("claim", NEW, ids=lambda c: c.id)
def test_true_claim_passes(claim, profile):
    r = claims.check(claim, profile=profile)
    assert r.verdict == "pass", (claim.id, r.verdict, r.message, r.error)
    assert all(s["verdict"] != "fail" for s in r.scalings), r.scalings
    assert 0 < r.stats["tightness"] < 1


# ----------------------------------------------------------------------------- false variants


def test_resnet_step2b_omega_exponent_sharpened_fails():
    """||Δh|| <= c omega^{4/3} L^{5/2} (the omega exponent sharpened by 1/3): the ascent's ||Δh|| is
    linear in omega, so the ratio grows like omega^{-1/3} (x 4.6-10 on the regime)."""
    b = dataclasses.replace(C.THM7_STEP2B.bound, shape=lambda p: p["omega"] ** (1 / 3) * p["L"] ** 2.5)
    r = _assert_fails(_variant(C.THM7_STEP2B, "omega-4-3", bound=b, scalings=()))
    assert r.counterexample["max_ratio"] > 1


def test_resnet_step2b_sweep_exponent_two_thirds_fails():
    """'||Δh|| grows at most like omega^{2/3}' is refuted by the omega sweep (slope ≈ 1)."""
    sc = dataclasses.replace(C.THM7_STEP2B.scalings[0], exponent=2 / 3, tolerance=0.05)
    r = claims.check(_variant(C.THM7_STEP2B, "sweep-2-3", scalings=(sc,), examples=0), profile="quick")
    assert r.verdict == "fail", r.message
    assert r.scalings[0]["verdict"] == "fail" and r.scalings[0]["ci"][0] > 0.75


def test_resnet_step2c_omega_exponent_sharpened_fails():
    """omega^{2/3} L^2 instead of omega^{1/3} L^2 is broken by the targeted flips (at L = 2, where
    the L^2 factor leaves the least slack)."""
    b = dataclasses.replace(C.THM7_STEP2C.bound, shape=lambda p: p["omega"] ** (2 / 3) * p["L"] ** 2)
    reg = _regime(C.THM7_STEP2C, L=claims.Choice("L", (2,)))
    _assert_fails(_variant(C.THM7_STEP2C, "omega-2-3", bound=b, regime=reg, scalings=()))


def test_cnn_step2b_omega_exponent_sharpened_fails():
    b = dataclasses.replace(C.THM6_STEP2B.bound, shape=lambda p: p["omega"] ** (1 / 3) * p["L"] ** 2.5)
    _assert_fails(_variant(C.THM6_STEP2B, "omega-4-3", bound=b, scalings=()))


def test_cnn_step2b_depth_free_bound_refuted_only_by_the_conv_search():
    """'||Δh_l|| <= 2 omega' (depth-free, the Lipschitz constant of one dense layer): the dense-only
    attack (what Thm6-CNN-Step1-2 does to W_L) stays below it (||Δh|| <= omega ||h_{L-1}||, values
    ≈ 1), the search over the conv kernels breaks it (values ≈ 3-10)."""
    b = dataclasses.replace(C.THM6_STEP2B.bound, shape=lambda p: 1.0, constant=2.0)
    dense_only = _variant(C.THM6_STEP2B, "depth-free-dense-only", bound=b, scalings=(),
                          measure=A.cnn_step2b_measure(attack_conv=False))
    r = claims.check(dense_only, profile="quick")
    assert r.verdict == "pass", (r.verdict, r.message, r.error)
    r = _assert_fails(_variant(C.THM6_STEP2B, "depth-free", bound=b, scalings=()))
    assert r.counterexample["max_ratio"] > 1.2


def test_cnn_step2c_omega_exponent_sharpened_fails():
    b = dataclasses.replace(C.THM6_STEP2C.bound, shape=lambda p: p["omega"] ** (2 / 3) * p["L"] ** 2)
    _assert_fails(_variant(C.THM6_STEP2C, "omega-2-3", bound=b, scalings=()))


def test_cnn_step2c_constant_over_4_fails():
    b = dataclasses.replace(C.THM6_STEP2C.bound, constant=C.THM6_STEP2C.bound.constant / 4)
    _assert_fails(_variant(C.THM6_STEP2C, "c-over-4", bound=b, scalings=()))


# ----------------------------------------------------------------------------- ovpmodel pieces


def _conv_matrix(net, w):
    """Dense ``[K, m d, m d]`` matrix of the circular conv with kernels ``w [K, m, m, q]``."""
    K, dim = w.shape[0], net.m * net.d
    E = torch.eye(dim, dtype=F64).reshape(dim, net.m, net.d).unsqueeze(0).expand(K, dim, net.m, net.d)
    return net._conv(E, w).reshape(K, dim, dim).mT


@pytest.mark.parametrize("q", [1, 2, 3, 4, 5])
def test_conv_spectral_norm_is_the_operator_norm(q):
    """ConvNet.conv_spectral_norm (max over Fourier modes) equals the SVD of the dense conv
    matrix; the transposed conv is its transpose (odd and even kernels, q up to d - 1)."""
    from ovpmodel import ConvNet

    net = ConvNet(4, 2, 6, trials=3, seed=q, kernel=q)
    w = net.W0[0][:, 0]
    M = _conv_matrix(net, w)
    torch.testing.assert_close(net.conv_spectral_norm(w), torch.linalg.matrix_norm(M, ord=2), rtol=1e-10, atol=0)
    dim = net.m * net.d
    E = torch.eye(dim, dtype=F64).reshape(dim, net.m, net.d).unsqueeze(0).expand(3, dim, net.m, net.d)
    Mt = net._conv(E, w, transpose=True).reshape(3, dim, dim).mT
    torch.testing.assert_close(Mt, M.mT, rtol=0, atol=1e-12)


def test_conv_back_operator_is_the_jacobian():
    """ConvNet.back_operator(tr, l) = d y / d h_{l-1} at fixed masks (Fact 2.6's Back for the CNN),
    l = 1..L+1, and its rmatvec is its transpose."""
    from ovpmodel import ConvNet
    from ovpmodel.data import fc_inputs

    net = ConvNet(5, 3, 6, d_out=2, trials=2, seed=1)
    x = fc_inputs(3, 6, seed=0, dtype=F64)
    tr = net.trace(x)
    Wc, WL = net.W0
    for l in range(1, net.L + 2):
        op = net.back_operator(tr, l)
        dense = op.to_dense()                                                   # [K, n, d_out, dim]
        eye = torch.eye(2, dtype=F64).expand(2, 3, 2, 2)
        torch.testing.assert_close(op.rmatvec(eye).mT, dense, rtol=0, atol=1e-12)
        for k in range(2):
            for i in range(3):
                def f(hp, k=k, l=l):
                    h = hp
                    for a in range(l, net.L):
                        inp = h.reshape(1, 1, net.m, net.d).expand(2, 1, net.m, net.d)
                        h = torch.relu(net._conv(inp, Wc[:, a - 1])[k].reshape(-1))
                    if l <= net.L:
                        h = torch.relu(WL[k] @ h)
                    return net.B[k] @ h

                J = torch.autograd.functional.jacobian(f, tr.h[l - 1][k, i])
                torch.testing.assert_close(dense[k, i], J, rtol=0, atol=1e-12)
    with pytest.raises(ValueError, match="l must lie"):
        net.back_operator(tr, 0)
    with pytest.raises(NotImplementedError):
        net.grad_formula(x, torch.zeros(3, 2, dtype=F64))


def test_cnn_adversaries_stay_in_the_balls():
    """The conv atom, the random point and the sequential flips have conv norm <= omega (kernels)
    and spectral norm <= omega (W'_L); the atom beats the gradient rescaled onto the ball."""
    from ovpmodel import ConvNet
    from ovpmodel.data import fc_inputs

    net = ConvNet(16, 3, 8, trials=4, seed=3)
    g = torch.Generator().manual_seed(5)
    G = torch.randn(net.W0[0].shape, generator=g, dtype=F64)
    S = A._conv_atom(net, G)
    torch.testing.assert_close(net.conv_spectral_norm(S), torch.ones(4, 2, dtype=F64), rtol=1e-10, atol=0)
    plain = A._conv_ball_scale(net, G)
    assert bool(((S * G).sum((-1, -2, -3)) >= (plain * G).sum((-1, -2, -3))).all())
    omega = 0.05
    Wc, WL = A._cnn_random(net, omega, torch.Generator().manual_seed(6))
    assert bool((net.conv_spectral_norm(Wc - net.W0[0]) <= omega * (1 + 1e-9)).all())
    assert bool((torch.linalg.matrix_norm(WL - net.W0[1], ord=2) <= omega * 1.02).all())   # Lanczos-scaled
    x = fc_inputs(1, 8, seed=0, dtype=F64)
    Pc, PL = A._cnn_sequential_attack(net, x, omega)
    assert bool((net.conv_spectral_norm(Pc) <= omega * (1 + 1e-9)).all())
    assert bool((net.conv_spectral_norm(Pc) >= omega * 0.5).all())                  # the kernels are used
    assert bool((torch.linalg.matrix_norm(PL, ord=2) <= omega * (1 + 1e-9)).all())
    tr0, tr1 = net.trace(x), net.trace(x, (net.W0[0] + Pc, net.W0[1] + PL))
    assert all(int((tr0.D[l] != tr1.D[l]).sum()) > 0 for l in range(1, net.L + 1))   # flips in every layer


def test_resnet_backs_are_the_jacobian():
    """_resid_backs: Back_{i,a} = B D_L (I + W_L) ... D_a (I + W_a) = d y / d h_{a-1} at fixed masks,
    also with a rank-one perturbation W_a + u v^T in place (the Step 2(c) measure's two evaluations)."""
    from ovpmodel import ResNet
    from ovpmodel.data import fc_inputs

    from claims.catalog import _azls_dnn_measures as M

    net = ResNet(6, 3, 4, trials=2, seed=2, branch_var=0.5)
    x = fc_inputs(2, 4, seed=1, dtype=F64)
    g = torch.Generator().manual_seed(3)
    pert = [(0.1 * torch.randn(2, 6, generator=g, dtype=F64), torch.randn(2, 6, generator=g, dtype=F64))
            for _ in range(net.L)]
    gs, hs = M._hidden(net, x, pert)
    backs = A._resid_backs(net, [t >= 0 for t in gs], net.W0, pert)
    for a in range(1, net.L + 2):
        for k in range(2):
            for i in range(2):
                def f(hp, k=k, a=a):
                    h = hp
                    for l in range(a, net.L + 1):
                        u, v = pert[l - 1]
                        h = torch.relu(h + net.W0[k, l - 1] @ h + u[k] * (v[k] @ h))
                    return net.B[k] @ h

                J = torch.autograd.functional.jacobian(f, hs[a - 1][k, i])
                torch.testing.assert_close(backs[a][k, i], J, rtol=0, atol=1e-12)
