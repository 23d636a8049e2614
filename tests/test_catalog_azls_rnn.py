"""AZLS-RNN catalog (claims/catalog/azls_rnn.py): true claims survive the quick profile and
deliberately FALSE variants (sharpened constants/exponents, broken models) are rejected with
a counterexample.  Also unit checks of the private measures against ovpmodel."""

import dataclasses
import functools
import math

import pytest
import torch

import claims
from claims import Bound, MeasureContext, PROFILES
from claims.catalog import azls_rnn as C
from claims.catalog import _azls_rnn_measures as M
from ovpmodel import ElmanRNN


def _ctx(K=4, dtype=torch.float64, seed=0):
    return MeasureContext(trials=K, device=torch.device("cpu"), dtype=dtype, seed=seed, profile=PROFILES["quick"])


def _fast(claim, **kw):
    """A cheap copy: one example, no sweeps (for falsification tests)."""
    kw.setdefault("examples", 1)
    kw.setdefault("scalings", ())
    return dataclasses.replace(claim, **kw)


def _assert_fail(res):
    assert res.verdict == "fail", (res.verdict, res.message)
    assert res.counterexample is not None or any(s["verdict"] == "fail" for s in res.scalings)


# ----------------------------------------------------------------------------- registry


def test_all_registered_with_paper_ids():
    ids = set(claims.catalog.ids())
    for cid in ("AZLS-RNN/Fact2.5", "AZLS-RNN/fn5-bias", "AZLS-RNN/(4.1)", "AZLS-RNN/(4.2)",
                "AZLS-RNN/(4.3)", "AZLS-RNN/(4.4)", "AZLS-RNN/(4.4)-fixed-z", "AZLS-RNN/Rem4.1",
                "AZLS-RNN/(4.5)", "AZLS-RNN/(4.6)", "AZLS-RNN/(5.1a)", "AZLS-RNN/(5.1b)", "AZLS-RNN/(5.1c)",
                "AZLS-RNN/S5-step1", "AZLS-RNN/S5-step2", "AZLS-RNN/(5.2)", "AZLS-RNN/(5.3)", "AZLS-RNN/(5.4)",
                "AZLS-RNN/(5.5)", "AZLS-RNN/Thm1", "AZLS-RNN/Thm2", "AZLS-RNN/Thm3-lower", "AZLS-RNN/Thm3-upper",
                "AZLS-RNN/Thm4", "AZLS-RNN/Intuition", "AZLS-RNN/fn9"):
        assert cid in ids
        c = claims.catalog.get(cid)
        assert c.source.paper == "allen-zhu-li-song-rnn-convergence.txt"
        assert c.family == "rnn" and c.bound.provenance and c.notes
    assert "AZLS-RNN/Rem4.1-strict" not in ids and "AZLS-RNN/Intuition-literal" not in ids
    assert claims.catalog.get("AZLS-RNN/Rem4.1").kind == "conjecture"


# ----------------------------------------------------------------------------- measures vs ovpmodel


def test_triple_sum_equals_autograd():
    net = ElmanRNN(24, 3, 2, trials=2, seed=1, dtype=torch.float64)
    x = torch.randn(3, 4, 3, dtype=torch.float64) / 2
    y = torch.randn(3, 4, 2, dtype=torch.float64)
    _, G = net.grad(x, y)
    assert M.rel_err(M.grad_triple_sum(net, x, y, net.W0), G).max() < 1e-12


def test_fresh_residuals_match_explicit_projection():
    net = ElmanRNN(40, 3, 1, trials=1, seed=2, dtype=torch.float64)
    x = torch.randn(2, 3, 3, dtype=torch.float64) / 2
    tr = net.trace(x)
    res = M.fresh_residuals(tr)[0]                                  # [L, n]
    for l in range(1, 3):
        H = tr.h[0, :l].reshape(-1, 40).T                            # previous steps
        Q, _ = torch.linalg.qr(H)
        for i in range(2):
            h = tr.h[0, l, i]
            assert abs(float((h - Q @ (Q.T @ h)).norm()) - float(res[l, i])) < 1e-10


def test_interval_products_match_ovpmodel_operator():
    net = ElmanRNN(16, 3, 2, trials=2, seed=3, dtype=torch.float64)
    x = torch.randn(1, 4, 3, dtype=torch.float64) / 2
    tr = net.trace(x)
    for l1, l2, P in M.interval_P(tr, net.W0):
        dense = net.interval_operator(tr, l1, l2).to_dense()[:, 0]  # [K, m, m]
        assert torch.allclose(torch.matmul(net.W0, P), dense, atol=1e-12)


# ----------------------------------------------------------------------------- Fact 2.5


def test_fact25_passes_quick():
    res = claims.check(_fast(C.FACT25, examples=2), profile="quick")
    assert res.verdict == "pass", res.message


def _broken_fact25(point, ctx):
    """Broken model: the closed form with the a = 2 loss term dropped (loss_from = 3)."""
    net = M.make_net(point, ctx)
    x = M.make_data(point, ctx)
    y = M.random_targets(net, x.shape[0], x.shape[1], ctx)
    wrong = ElmanRNN(net.m, net.d_x, net.d, trials=net.trials, generator=ctx.generator("net"),
                     device=ctx.device, dtype=ctx.dtype, loss_from=3)
    _, G = net.grad(x, y)
    return M.rel_err(wrong.grad_formula(x, y), G)


def test_fact25_broken_formula_fails():
    bad = _fast(C.FACT25, id="AZLS-RNN/Fact2.5-broken", measure=_broken_fact25)
    _assert_fail(claims.check(bad, profile="quick"))


# ----------------------------------------------------------------------------- fn5, (4.1)-(4.3)


def test_fn5_false_variance_fails():
    # claim the bias had variance 1/(4m) (a wrong scaling of the last column): z-score blows up
    def wrong(point, ctx):
        r = M.measure_fn5(point, ctx)
        m = point["m"]
        return ((r.extras["bias_var_times_m"] * 4 - 1).abs() / math.sqrt(2 / m))
    _assert_fail(claims.check(_fast(C.FN5, id="AZLS-RNN/fn5-wrong", measure=wrong), profile="quick"))


def test_41_passes_quick_and_sharpened_fails():
    res = claims.check(_fast(C.FWD41, examples=2), profile="quick")
    assert res.verdict in ("pass", "inconclusive"), res.message
    import functools
    sharp = _fast(C.FWD41, id="AZLS-RNN/(4.1)-sharp", measure=functools.partial(M.measure_41, c_up=0.1))
    _assert_fail(claims.check(sharp, profile="quick"))


def test_42_sharpened_constant_fails():
    b = dataclasses.replace(C.FRESH42.bound, constant=40.0)       # claims residual >= 40/L^2
    _assert_fail(claims.check(_fast(C.FRESH42, id="AZLS-RNN/(4.2)-sharp", bound=b), profile="quick"))


def test_43_sharpened_constant_fails():
    b = dataclasses.replace(C.SEP43.bound, constant=2.0)          # claims 2 delta-separability
    _assert_fail(claims.check(_fast(C.SEP43, id="AZLS-RNN/(4.3)-sharp", bound=b), profile="quick"))


# ----------------------------------------------------------------------------- (4.4) family


def test_44_sharpened_constant_fails():
    b = dataclasses.replace(C.INTER44.bound, constant=0.05)       # 0.05 L^3 < 4 at L <= 4
    sharp = _fast(C.INTER44, id="AZLS-RNN/(4.4)-sharp", bound=b,
                  regime=tuple(dataclasses.replace(p, high=4) if p.name == "L" else p for p in C.INTER44.regime))
    _assert_fail(claims.check(sharp, profile="quick"))


def test_rem41_literal_conjecture_is_rejected():
    """The finding: read as an L-uniform spectral bound, Remark 4.1's O(1) conjecture fails."""
    strict = dataclasses.replace(C.REM41_STRICT, examples=0)
    res = claims.check(strict, profile="quick")
    assert res.verdict == "fail", res.message
    assert res.scalings[0]["slope"] > 0.15


def test_fixed_z_and_sparse_sharpened_fail():
    for c in (C.FIXEDZ, C.SPARSE45, C.SPARSE46):   # (4.5): c = 9 re-calibrated on the regime's worst corner
        b = dataclasses.replace(c.bound, constant=c.bound.constant / 20)
        _assert_fail(claims.check(_fast(c, id=c.id + "-sharp", bound=b), profile="quick"))


# ----------------------------------------------------------------------------- Section 5: (5.1), S5-step1, fn9


def test_trace_rank_one_matches_dense_trace():
    net = ElmanRNN(20, 3, 1, trials=2, seed=4, dtype=torch.float64)
    x = torch.randn(2, 4, 3, dtype=torch.float64) / 2
    g = torch.Generator().manual_seed(0)
    Y = torch.randn(2, 3, 20, generator=g, dtype=torch.float64) / 10
    V = torch.randn(2, 3, 20, generator=g, dtype=torch.float64)
    G = M.trace_rank_one(net, x, Y, V)                               # [K, C, L, n, m]
    for c in range(3):
        W = net.W0 + Y[:, c].unsqueeze(-1) * V[:, c].unsqueeze(-2)
        assert torch.allclose(G[:, c], net.trace(x, W).g, atol=1e-12)


def test_s5_step1_exact_optimum_by_brute_force():
    """The closed-form worst case equals a brute-force search over flip sets on a tiny vector."""
    import itertools
    m = 8
    a = torch.tensor([0.01, 0.05, 0.1, 0.2, 0.3, 0.36, 0.5, 0.9], dtype=torch.float64) * m ** -0.5
    count, _, dg = M.s5_step1_exact(a, m)
    best = 0
    for r in range(m + 1):
        for S in itertools.combinations(range(m), r):
            if sum(max(float(a[k]) - 1 / m, 0.0) ** 2 for k in S) <= 1 / m:
                best = max(best, r)
    assert int(count) == best
    assert abs(float(dg) - (m ** -0.5 + float((1 / m - a).clamp_min(0).norm()))) < 1e-15


def test_51_recursion_is_exact_and_adversary_beats_random():
    pt = {"m": 64, "L": 4, "n": 2, "d_x": 4, "Delta": 1.0, "rest_norm": 1.0}
    r = M.measure_51(pt, _ctx(K=4))
    assert float(r["recursion_rel_err"].max()) < 1e-12
    assert bool((r["flips"] > r["random_flips"]).all())
    assert bool((r["a"] > r["random_a"]).all())


def test_51_sharpened_variants_fail():
    for c, div in ((C.FWD51A, 20.0), (C.FLIP51B, 10.0), (C.MAG51C, 20.0)):
        b = dataclasses.replace(c.bound, constant=c.bound.constant / div)
        _assert_fail(claims.check(_fast(c, id=c.id + "-sharp", bound=b), profile="quick"))


def test_51b_random_perturbation_exponent_is_rejected_for_the_adversary():
    """Claiming the random-perturbation m-exponent (1/2) for adversarial flips is false: the targeted
    construction reaches about 2/3."""
    sc = dataclasses.replace(C.FLIP51B.scalings[0], exponent=0.5, tolerance=0.0)
    res = claims.check(_fast(C.FLIP51B, id="AZLS-RNN/(5.1b)-exp-1/2", examples=0, scalings=(sc,)), profile="quick")
    assert res.verdict == "fail", res.message
    assert res.scalings[0]["slope"] > 0.55


def test_s5_step1_sqrt_m_exponent_is_rejected():
    sc = dataclasses.replace(C.S5STEP1.scalings[0], exponent=0.5, tolerance=0.0)
    res = claims.check(_fast(C.S5STEP1, id="AZLS-RNN/S5-step1-exp-1/2", examples=0, scalings=(sc,)), profile="quick")
    assert res.verdict == "fail", res.message


def test_fn9_wrong_floor_fails():
    """A floor twice the true one (1/2 instead of 1/4 of the squared target gap) is violated by GD."""
    def wrong(point, ctx):
        return M.measure_fn9(point, ctx).values * 2
    _assert_fail(claims.check(_fast(C.FN9, id="AZLS-RNN/fn9-wrong", measure=wrong), profile="quick"))


# ----------------------------------------------------------------------------- Theorems 3, 4, 1, 2


def test_jacobian_matches_autograd_gradient():
    """J^T r equals autograd's grad f for the residual r = B h - y* (Fact 2.5 via the Jacobian)."""
    net = ElmanRNN(12, 3, 2, trials=2, seed=5, dtype=torch.float64)
    x = torch.randn(2, 4, 3, dtype=torch.float64) / 2
    y = torch.randn(2, 4, 2, dtype=torch.float64)
    J = M.jacobian(net, x, net.W0)                                   # [K, n, L-1, d, m*m]
    tr = net.trace(x)
    r = (tr.out - y.transpose(0, 1).unsqueeze(0))[:, 1:].transpose(1, 2)   # [K, n, L-1, d]
    G = torch.einsum("knle,knlep->kp", r, J).reshape(2, 12, 12)
    _, Ga = net.grad(x, y)
    assert M.rel_err(G, Ga).max() < 1e-12


def test_thm3_sharpened_constants_fail():
    lo = dataclasses.replace(C.T3_LOWER.bound, constant=C.T3_LOWER.bound.constant * 100)
    _assert_fail(claims.check(_fast(C.T3_LOWER, id="AZLS-RNN/Thm3-lower-sharp", bound=lo), profile="quick"))
    up = _fast(C.T3_UPPER, id="AZLS-RNN/Thm3-upper-sharp",
               measure=M.pick("thm3u-sharp", functools.partial(M.measure_thm3_upper, c=C.C_T3_UP / 50), "value"))
    _assert_fail(claims.check(up, profile="quick"))


def _pin(claim, **vals):
    """The claim's regime with some parameters pinned to one value (a corner of the regime)."""
    out = []
    for p in claim.regime:
        out.append(claims.Choice(p.name, (vals[p.name],)) if p.name in vals else p)
    return tuple(out)


def test_thm4_sharpened_constant_fails():
    """Semi-smoothness with a 20x smaller constant fails where the kink term is largest (L = 6, n = 4, r = 1)."""
    b = dataclasses.replace(C.T4.bound, constant=C.T4.bound.constant / 20)
    sharp = _fast(C.T4, id="AZLS-RNN/Thm4-sharp", bound=b, regime=_pin(C.T4, L=6, n=4, r=1.0, m=64))
    _assert_fail(claims.check(sharp, profile="quick"))


def test_thm1_thm2_sublinear_L_claim_is_rejected():
    """'Iterations grow at most like sqrt(L)' is false (about L^1.7 measured): the L-trend check has power."""
    for c in (C.T1, C.T2):
        sc = dataclasses.replace(c.scalings[0], exponent=0.5, tolerance=0.0)
        res = claims.check(_fast(c, id=c.id + "-sqrtL", examples=0, scalings=(sc,)), profile="quick")
        assert res.verdict == "fail", res.message


def test_thm1_sharpened_constant_fails():
    b = dataclasses.replace(C.T1.bound, constant=0.02)
    _assert_fail(claims.check(_fast(C.T1, id="AZLS-RNN/Thm1-sharp", bound=b), profile="quick"))


# ----------------------------------------------------------------------------- (5.2)-(5.5)


def test_power_norm_is_a_lower_estimate_and_handles_zero():
    g = torch.Generator().manual_seed(0)
    G = torch.randn(3, 20, 30, generator=g, dtype=torch.float64)
    G[1] = 0
    est = M.power_norm(G, torch.Generator().manual_seed(1), iters=200)
    exact = torch.linalg.matrix_norm(G, ord=2)
    assert torch.isfinite(est).all() and float(est[1]) == 0.0
    assert bool((est <= exact * (1 + 1e-12)).all()) and bool((est >= 0.99 * exact).all())


def test_52_to_55_sharpened_variants_fail():
    """Sharpened constants fail at the corner where the perturbation effects are largest (L = 6, Delta = 2)."""
    for c, div, pin in ((C.D52, 1e4, {}), (C.D53, 10.0, {}), (C.D54, 20.0, {"s": 8}), (C.D55, 10.0, {"s": 8})):
        b = dataclasses.replace(c.bound, constant=c.bound.constant / div)
        reg = _pin(c, m=64, L=6, Delta=2.0, **pin)
        _assert_fail(claims.check(_fast(c, id=c.id + "-sharp", bound=b, regime=reg), profile="quick"))


def test_53_smallness_claim_is_rejected():
    """A false sharpening of (5.3): 'the backward change DECAYS like m^{-1/3}'.  The measured change grows
    (about m^{0.26}, ||B|| ~ sqrt(m/d)), so the m-sweep rejects it."""
    sc = dataclasses.replace(C.D53.scalings[0], exponent=-1 / 3, tolerance=0.0)
    res = claims.check(_fast(C.D53, id="AZLS-RNN/(5.3)-decay", examples=0, scalings=(sc,)), profile="quick")
    assert res.verdict == "fail", res.message


# ----------------------------------------------------------------------------- S5-step2, Intuition


def test_s5_step2_sharpened_constant_fails():
    b = dataclasses.replace(C.S5STEP2.bound, constant=C.S5STEP2.bound.constant / 8)
    sharp = _fast(C.S5STEP2, id="AZLS-RNN/S5-step2-sharp", bound=b, regime=_pin(C.S5STEP2, L=4, m=64))
    _assert_fail(claims.check(sharp, profile="quick"))


def test_s5_step2_without_the_inf_part_is_rejected():
    """Dropping y2 (c = 0: 'y itself has ||y|| <= O(m^{-2/3})') is false: ||y|| ~ m^{-1/2}."""
    bad = _fast(C.S5STEP2, id="AZLS-RNN/S5-step2-no-y2", measure=functools.partial(M.measure_s5_step2, c=0.0),
                regime=_pin(C.S5STEP2, L=4, m=256))
    _assert_fail(claims.check(bad, profile="quick"))


def test_intuition_text_values_are_rejected():
    """The text's ||W||_2 = 2 and ||DW||_2 = sqrt2 (CLAIMS.md section 6) fail; the corrected ones pass."""
    _assert_fail(claims.check(_fast(C.INTUITION_LITERAL), profile="quick"))
    res = claims.check(_fast(C.INTUITION, examples=2), profile="quick")
    assert res.verdict in ("pass", "inconclusive"), res.message
