"""Tests for ovpmodel.data: every generator meets the assumptions of its paper."""

from __future__ import annotations

import math

import pytest
import torch

from ovpmodel.data import (
    INV_SQRT2,
    PHI_FUNCTIONS,
    ConceptClass,
    close_pair_inputs,
    digits_3_vs_8,
    digits_regression,
    fc_inputs,
    null_sequence,
    pad_tokens,
    raw_tokens,
    rnn_sequences,
    separation_upper_bound,
    transform_inputs,
    validate_concept_class,
    validate_fc_inputs,
    validate_normalized,
    validate_raw_tokens,
    validate_rnn_sequences,
    validate_zczg_inputs,
    zczg_inputs,
)

TOL = 1e-12


# ---------------------------------------------------------------- AZLS-DNN


@pytest.mark.parametrize("n,d,delta", [(1, 2, None), (2, 2, 1.0), (50, 8, 0.5), (30, 3, 0.1), (100, 20, None)])
def test_fc_inputs_assumptions(n, d, delta):
    x = fc_inputs(n, d, delta=delta, seed=3)
    assert x.shape == (n, d) and x.dtype == torch.float64
    assert (x.norm(dim=1) - 1).abs().max() <= TOL
    assert torch.all(x[:, -1] == INV_SQRT2)
    dmin = validate_fc_inputs(x, delta=delta, atol=TOL)
    if delta is not None:
        assert dmin >= delta
    if n == 1:
        assert dmin == math.inf


def test_fc_inputs_custom_last_and_float32():
    x = fc_inputs(10, 5, last=0.3, delta=0.2, seed=0, dtype="float32")
    assert x.dtype == torch.float32
    assert torch.all(x[:, -1] == torch.tensor(0.3, dtype=torch.float32))
    validate_fc_inputs(x, last=0.3, delta=0.2)  # float32 default atol
    x64 = fc_inputs(10, 5, last=0.3, delta=0.2, seed=0)
    assert torch.allclose(x.double(), x64, atol=1e-6)  # same draws in every dtype


def test_fc_inputs_determinism():
    a = fc_inputs(20, 6, delta=0.3, seed=11)
    b = fc_inputs(20, 6, delta=0.3, seed=11)
    c = fc_inputs(20, 6, delta=0.3, seed=12)
    assert torch.equal(a, b)
    assert not torch.equal(a, c)
    g1, g2 = torch.Generator().manual_seed(5), torch.Generator().manual_seed(5)
    assert torch.equal(fc_inputs(7, 4, generator=g1), fc_inputs(7, 4, generator=g2))


def test_global_rng_untouched():
    torch.manual_seed(0)
    before = torch.get_rng_state()
    fc_inputs(10, 4, delta=0.2, seed=1)
    zczg_inputs(10, 4, seed=1)
    rnn_sequences(3, 4, 3, seed=1)
    ConceptClass.random(5, 4, 2, 3, seed=1).sample(3, seed=2)
    assert torch.equal(before, torch.get_rng_state())


def test_fc_inputs_bad_args():
    with pytest.raises(ValueError, match="delta"):
        fc_inputs(3, 2, delta=0.5, seed=0)  # a 0-sphere holds only 2 points
    with pytest.raises(ValueError, match="delta"):
        fc_inputs(6, 3, delta=0.8, seed=0)  # circle bound 2 r sin(pi/6) = r
    with pytest.raises(ValueError, match="delta"):
        fc_inputs(2, 5, delta=1.5, seed=0)  # > 2r = sqrt 2
    with pytest.raises(ValueError, match="delta=0.35 too large for n=40, d=4: could place only"):
        fc_inputs(40, 4, delta=0.35, seed=0, max_attempts=50)  # passes the bound, rejection fails
    with pytest.raises(ValueError, match="delta"):
        fc_inputs(3, 4, delta=float("nan"), seed=0)
    with pytest.raises(ValueError, match="delta"):
        fc_inputs(3, 4, delta=0.0, seed=0)
    with pytest.raises(ValueError, match="n"):
        fc_inputs(0, 4, seed=0)
    with pytest.raises(TypeError, match="n"):
        fc_inputs(2.5, 4, seed=0)
    with pytest.raises(ValueError, match="d must be >= 2"):
        fc_inputs(3, 1, seed=0)
    with pytest.raises(ValueError, match="last"):
        fc_inputs(3, 4, last=1.0, seed=0)
    with pytest.raises(ValueError, match="generator"):
        fc_inputs(3, 4)
    with pytest.raises(ValueError, match="dtype"):
        fc_inputs(3, 4, seed=0, dtype="int8")
    with pytest.raises(ValueError, match="device"):
        fc_inputs(3, 4, seed=0, device="tpu")


def test_separation_upper_bound():
    r = INV_SQRT2
    assert separation_upper_bound(1, 5) == math.inf
    assert separation_upper_bound(5, 3) == pytest.approx(2 * r * math.sin(math.pi / 5))
    assert separation_upper_bound(3, 4) == pytest.approx(r * math.sqrt(3))  # triangle (simplex)
    assert separation_upper_bound(3, 2) == 0.0
    assert separation_upper_bound(100, 4) < r * math.sqrt(2)  # cap bound bites


def test_validate_fc_inputs_rejects():
    x = fc_inputs(5, 4, seed=0)
    with pytest.raises(ValueError, match="unit norm"):
        validate_fc_inputs(2 * x)
    with pytest.raises(ValueError, match="last"):
        validate_fc_inputs(x, last=0.5)
    y = x.clone()
    y[1] = y[0]
    with pytest.raises(ValueError, match="Assumption 2.1"):
        validate_fc_inputs(y, delta=0.1)
    with pytest.raises(ValueError, match="non-finite"):
        validate_fc_inputs(torch.full((2, 3), float("nan"), dtype=torch.float64))


@pytest.mark.parametrize("n,delta", [(12, 1e-6), (12, 0.05), (12, 0.5), (2, math.sqrt(2))])
def test_close_pair_inputs(n, delta):
    x = close_pair_inputs(n, 6, delta, seed=4)
    assert abs(float((x[0] - x[1]).norm()) - delta) <= TOL
    dmin = validate_fc_inputs(x, atol=TOL)
    assert dmin == pytest.approx(delta, abs=TOL)  # (0, 1) is a closest pair
    if n > 2:
        assert torch.cdist(x[2:], x).topk(2, largest=False).values[:, 1].min() >= delta - TOL


def test_close_pair_inputs_bad_args():
    with pytest.raises(ValueError, match="delta"):
        close_pair_inputs(5, 4, 1.5, seed=0)
    with pytest.raises(ValueError, match="d must be >= 3"):
        close_pair_inputs(5, 2, 0.1, seed=0)
    with pytest.raises(ValueError, match="n must be >= 2"):
        close_pair_inputs(1, 4, 0.1, seed=0)


# ---------------------------------------------------------------- ZCZG


def test_zczg_inputs():
    x, y = zczg_inputs(41, 6, mu=0.4, phi=0.6, seed=0)
    assert x.shape == (41, 6) and y.shape == (41,)
    assert (x.norm(dim=1) - 1).abs().max() <= TOL
    assert torch.all(x[:, -1] == 0.4)
    assert set(y.tolist()) == {1.0, -1.0}
    assert int((y == 1).sum()) == 21 and int((y == -1).sum()) == 20
    cross = validate_zczg_inputs(x, y, mu=0.4, phi=0.6, atol=TOL)
    assert cross >= 0.6
    # same-class pairs are not constrained: with many points they get close
    x2, y2 = zczg_inputs(200, 3, phi=0.3, seed=1)
    assert torch.pdist(x2).min() < 0.3
    assert validate_zczg_inputs(x2, y2, phi=0.3) >= 0.3


def test_zczg_inputs_labels_and_determinism():
    labels = [1, 1, 1, -1]
    x, y = zczg_inputs(4, 5, labels=labels, phi=0.2, seed=2)
    assert y.tolist() == [1.0, 1.0, 1.0, -1.0]
    a = zczg_inputs(10, 5, seed=7)
    b = zczg_inputs(10, 5, seed=7)
    c = zczg_inputs(10, 5, seed=8)
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
    assert not torch.equal(a[0], c[0])
    # one class only: phi imposes nothing
    x1, _ = zczg_inputs(5, 3, labels=[1] * 5, phi=10.0, seed=0)
    assert validate_zczg_inputs(x1, torch.ones(5), phi=10.0) == math.inf


def test_zczg_bad_args():
    with pytest.raises(ValueError, match="phi"):
        zczg_inputs(4, 4, phi=1.5, seed=0)  # > 2 sqrt(1 - 1/2)
    with pytest.raises(ValueError, match="mu"):
        zczg_inputs(4, 4, mu=0.0, seed=0)
    with pytest.raises(ValueError, match="labels"):
        zczg_inputs(4, 4, labels=[1, 0, 1, -1], seed=0)
    with pytest.raises(ValueError, match="labels"):
        zczg_inputs(4, 4, labels=[1, -1], seed=0)
    x, y = zczg_inputs(6, 4, seed=0)
    with pytest.raises(ValueError, match="Assumption 4.2"):
        validate_zczg_inputs(x, y, phi=1.4142)
    with pytest.raises(ValueError, match="Assumption 4.1"):
        validate_zczg_inputs(x, y, mu=0.3)


# ---------------------------------------------------------------- AZLS-RNN


@pytest.mark.parametrize("rest_norm", [0.0, 0.5, 1.0])
@pytest.mark.parametrize("shared_tail", [False, True])
def test_rnn_sequences(rest_norm, shared_tail):
    n, L, d_x = 15, 5, 4
    x = rnn_sequences(n, L, d_x, delta=0.3, rest_norm=rest_norm, shared_tail=shared_tail, seed=0)
    assert x.shape == (n, L, d_x)
    first = x[:, 0]
    assert (first.norm(dim=1) - 1).abs().max() <= TOL
    assert torch.all(first[:, -1] == INV_SQRT2)
    assert torch.pdist(first).min() >= 0.3
    assert (x[:, 1:].norm(dim=2) - rest_norm).abs().max() <= TOL
    if shared_tail:
        assert torch.equal(x[:, 1:], x[:1, 1:].expand(n, L - 1, d_x))
    assert validate_rnn_sequences(x, delta=0.3, atol=TOL) >= 0.3


def test_rnn_sequences_determinism_and_errors():
    assert torch.equal(rnn_sequences(4, 3, 3, seed=1), rnn_sequences(4, 3, 3, seed=1))
    assert not torch.equal(rnn_sequences(4, 3, 3, seed=1), rnn_sequences(4, 3, 3, seed=2))
    with pytest.raises(ValueError, match="delta"):
        rnn_sequences(4, 3, 3, delta=1.2, seed=0)  # Asm 2.1: delta in (0, 1]
    with pytest.raises(ValueError, match="rest_norm"):
        rnn_sequences(4, 3, 3, rest_norm=1.5, seed=0)
    with pytest.raises(ValueError, match="d_x"):
        rnn_sequences(4, 3, 1, seed=0)
    x = rnn_sequences(4, 3, 3, seed=0)
    x[0, 2] *= 3
    with pytest.raises(ValueError, match="<= 1"):
        validate_rnn_sequences(x)


# ---------------------------------------------------------------- AZL-RNN


@pytest.mark.parametrize("z_dist", ["ball", "sphere"])
def test_raw_tokens(z_dist):
    xs = raw_tokens(7, 6, 5, z_dist=z_dist, seed=0)
    assert xs.shape == (7, 4, 5)
    assert (xs.norm(dim=-1) - 1).abs().max() <= TOL
    assert torch.all(xs[..., -1] == 0.5)
    assert torch.all(xs[..., -2] >= 0)
    assert validate_raw_tokens(xs, atol=TOL) <= TOL
    if z_dist == "sphere":
        assert xs[..., -2].abs().max() <= 1e-7
    assert torch.equal(xs, raw_tokens(7, 6, 5, z_dist=z_dist, seed=0))
    assert not torch.equal(xs, raw_tokens(7, 6, 5, z_dist=z_dist, seed=1))


def test_pad_tokens_and_raw_errors():
    z = torch.tensor([[0.0, 0.0], [0.5, 0.5]], dtype=torch.float64)
    x = pad_tokens(z)
    assert torch.allclose(x.norm(dim=1), torch.ones(2, dtype=torch.float64), atol=TOL)
    with pytest.raises(ValueError, match="sqrt"):
        pad_tokens(torch.ones(1, 3, dtype=torch.float64))
    with pytest.raises(ValueError, match="L"):
        raw_tokens(2, 2, 4, seed=0)
    with pytest.raises(ValueError, match="d_x"):
        raw_tokens(2, 4, 2, seed=0)


def test_transform_inputs_def31_def32():
    eps = 0.05
    xs = raw_tokens(3, 6, 4, seed=0)
    x = transform_inputs(xs, eps)
    assert x.shape == (3, 6, 5)
    e = torch.zeros(5, dtype=torch.float64)
    e[-1] = 1
    assert torch.equal(x[:, 0], e.expand(3, 5))
    assert torch.equal(x[:, -1], eps * e.expand(3, 5))
    assert torch.equal(x[:, 1:-1, :4], eps * xs)
    assert torch.all(x[:, 1:-1, 4] == 0)
    assert validate_normalized(x, eps, atol=TOL, check_structure=True) <= TOL
    # single sequence
    x1 = transform_inputs(xs[0], eps)
    assert torch.equal(x1, x[0])
    with pytest.raises(ValueError, match="eps_x"):
        transform_inputs(xs, 1.0)
    with pytest.raises(ValueError, match="eps_x"):
        transform_inputs(xs, 0.0)
    with pytest.raises(ValueError, match="unit norm"):
        transform_inputs(2 * xs, 0.1)
    with pytest.raises(ValueError, match="Definition 3.2"):
        validate_normalized(x, 0.06)


def test_null_sequence():
    x0 = null_sequence(6, 4, 0.1)
    assert x0.shape == (6, 5)
    assert float(x0[0, -1]) == 1.0 and torch.all(x0[1:, -1] == 0.1)
    assert torch.all(x0[:, :4] == 0)
    assert validate_normalized(x0, 0.1, atol=TOL) <= TOL
    with pytest.raises(ValueError, match="Definition 3.1"):
        validate_normalized(x0, 0.1, check_structure=True)  # not a Def 3.1 sequence
    with pytest.raises(ValueError, match="eps_x"):
        null_sequence(6, 4, 1.5)


def _reference_targets(cc: ConceptClass, xs: torch.Tensor) -> torch.Tensor:
    """Slow literal loop over Example 3.5: F*_j = Σ_{i=2}^{j-1} A*_{j-i} φ(W*_{j-i} x*_i)."""
    N, L = xs.shape[0], cc.L
    out = torch.zeros(N, L - 2, cc.d, dtype=torch.float64)
    phi = PHI_FUNCTIONS[cc.phi]
    for n in range(N):
        for j in range(3, L + 1):
            acc = torch.zeros(cc.d, dtype=torch.float64)
            for i in range(2, j):
                k = j - i
                acc += cc.A_star[k - 1] @ phi(cc.W_star[k - 1] @ xs[n, i - 2])
            out[n, j - 3] = acc
    return out


@pytest.mark.parametrize("phi", sorted(PHI_FUNCTIONS))
def test_concept_class_targets_match_reference(phi):
    cc = ConceptClass.random(6, 4, 3, 2, phi=phi, seed=0)
    validate_concept_class(cc)
    assert cc.L == 6 and cc.d_x == 4 and cc.d == 3 and cc.p == 2
    assert torch.allclose(cc.W_star.norm(dim=2), torch.ones(4, 2, dtype=torch.float64), atol=TOL)
    assert torch.all(cc.W_star[..., -1] == 0)
    xs = raw_tokens(5, 6, 4, seed=1)
    y = cc.targets(xs)
    assert y.shape == (5, 4, 3)
    assert torch.allclose(y, _reference_targets(cc, xs), rtol=1e-12, atol=1e-14)
    assert torch.allclose(cc(xs[2]), y[2], rtol=1e-12, atol=1e-14)


def test_concept_class_sample_and_noise():
    cc = ConceptClass.random(5, 4, 2, 3, seed=0)
    xs, ys = cc.sample(8, seed=1)
    assert xs.shape == (8, 3, 4) and ys.shape == (8, 3, 2)
    validate_raw_tokens(xs, atol=TOL)
    assert torch.equal(ys, cc.targets(xs))  # noise-free
    xs2, ys2 = cc.sample(8, seed=1)
    assert torch.equal(xs, xs2) and torch.equal(ys, ys2)
    assert not torch.equal(xs, cc.sample(8, seed=2)[0])
    noisy = ConceptClass(cc.A_star, cc.W_star, phi=cc.phi, noise=0.1)
    xn, yn = noisy.sample(200, seed=3)
    resid = yn - noisy.targets(xn)
    assert 0.08 < float(resid.std()) < 0.12
    assert noisy.noise_risk() > 0 and cc.noise_risk() == 0.0
    # ConceptClass.random is deterministic in its seed
    assert torch.equal(ConceptClass.random(5, 4, 2, 3, seed=0).A_star, cc.A_star)


def test_concept_class_bad_args():
    cc = ConceptClass.random(5, 4, 2, 3, seed=0)
    with pytest.raises(ValueError, match="phi"):
        ConceptClass(cc.A_star, cc.W_star, phi="relu")
    W = cc.W_star.clone()
    W[0, 0, -1] = 0.1
    W = W / W.norm(dim=2, keepdim=True)
    with pytest.raises(ValueError, match="last coordinate 0"):
        ConceptClass(cc.A_star, W)
    with pytest.raises(ValueError, match="unit"):
        ConceptClass(cc.A_star, 2 * cc.W_star)
    with pytest.raises(ValueError, match="noise"):
        ConceptClass(cc.A_star, cc.W_star, noise=-1.0)
    with pytest.raises(ValueError, match="L"):
        ConceptClass.random(2, 4, 2, 3, seed=0)
    with pytest.raises(ValueError, match="L-2"):
        cc.targets(raw_tokens(2, 6, 4, seed=0))


# ---------------------------------------------------------------- digits


def test_digits_3_vs_8():
    x, y, info = digits_3_vs_8(mu=0.5)
    assert x.shape[1] == 65 and x.shape[0] == y.shape[0]
    assert info["counts"][1] == int((y == 1).sum()) == 183
    assert info["counts"][-1] == int((y == -1).sum()) == 174
    cross = validate_zczg_inputs(x, y, mu=0.5, phi=info["phi"], atol=TOL)
    assert cross == pytest.approx(info["phi"]) and info["phi"] > 0
    xs, ys, _ = digits_3_vs_8(max_samples=20)
    assert xs.shape == (20, 65) and int((ys == 1).sum()) == 10
    with pytest.raises(ValueError, match="mu"):
        digits_3_vs_8(mu=1.0)


def test_digits_regression():
    x, y, info = digits_regression(classes=[0, 1, 2], d_out=5, target_scale=2.0, max_samples=100)
    assert x.shape == (100, 65) and y.shape == (100, 5)
    assert torch.all(y.sum(dim=1) == 2.0) and torch.all(y[:, 3:] == 0)
    d = validate_fc_inputs(x, atol=TOL)
    assert d == pytest.approx(info["delta"]) and d > 0
    with pytest.raises(ValueError, match="d_out"):
        digits_regression(classes=[0, 1, 2], d_out=2)
