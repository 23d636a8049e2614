"""Tests for ovpmodel.perturb: spectral-ball perturbations and the targeted sign-flip attack."""

import pytest
import torch

from ovpmodel.perturb import (
    lowrank_spectral_lmo,
    maximize_spectral_balls_factored,
    maximize_spectral_balls,
    pgd_spectral_ball,
    project_spectral_ball,
    random_spectral,
    rank_one,
    rerandomize_rows,
    scale_to_spectral_ball,
    sparse_rank_one,
    targeted_sign_flip,
)


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


def snorm(W):
    return torch.linalg.matrix_norm(W, ord=2)


def test_random_spectral_norm_and_determinism():
    W = random_spectral((3, 2, 10, 7), 0.25, generator=gen(1))
    assert W.shape == (3, 2, 10, 7) and W.dtype == torch.float64
    torch.testing.assert_close(snorm(W), torch.full((3, 2), 0.25, dtype=torch.float64))
    assert torch.equal(W, random_spectral((3, 2, 10, 7), 0.25, generator=gen(1)))
    W32 = random_spectral((4, 4), 1.0, generator=gen(1), dtype="float32")
    assert W32.dtype == torch.float32


def test_projection_and_scaling():
    W = torch.randn(5, 8, 6, generator=gen(2), dtype=torch.float64)
    omega = 1.5
    P = project_spectral_ball(W, omega)
    assert (snorm(P) <= omega).all()
    # Frobenius projection: singular values clipped, singular vectors kept
    torch.testing.assert_close(torch.linalg.svdvals(P), torch.linalg.svdvals(W).clamp(max=omega), rtol=1e-12, atol=1e-12)
    S = scale_to_spectral_ball(W, omega)
    assert (snorm(S) <= omega).all()
    inside = W / snorm(W)[:, None, None] * 0.5
    assert torch.equal(project_spectral_ball(inside, omega), inside)
    assert torch.equal(scale_to_spectral_ball(inside, omega), inside)


def test_rank_one_and_sparse_rank_one():
    u = torch.randn(3, 5, generator=gen(3), dtype=torch.float64)
    v = torch.randn(3, 4, generator=gen(4), dtype=torch.float64)
    W = rank_one(u, v, 0.3)
    torch.testing.assert_close(snorm(W), torch.full((3,), 0.3, dtype=torch.float64))
    assert (torch.linalg.matrix_rank(W) == 1).all()
    W2, uu, vv = sparse_rank_one(12, 3, 0.7, generator=gen(5), batch_shape=(4,), n=9, return_factors=True)
    assert W2.shape == (4, 12, 9)
    assert ((uu != 0).sum(-1) == 3).all()
    torch.testing.assert_close(snorm(W2), torch.full((4,), 0.7, dtype=torch.float64))
    assert torch.equal(W2, sparse_rank_one(12, 3, 0.7, generator=gen(5), batch_shape=(4,), n=9))


def count_flips(g, Wp, h):
    gn = g + (Wp @ h.unsqueeze(-1)).squeeze(-1)
    return ((g > 0) != (gn > 0)).sum(-1)


@pytest.mark.parametrize("omega", [1e-3, 1e-2, 0.3])
def test_targeted_sign_flip_designed_count(omega):
    K, m = 4, 256
    g = torch.randn(K, m, generator=gen(6), dtype=torch.float64) * (2 / m) ** 0.5
    h = torch.randn(K, m, generator=gen(7), dtype=torch.float64) / m**0.5
    Wp, n = targeted_sign_flip(g, h, omega)
    assert Wp.shape == (K, m, m) and n.shape == (K,)
    assert (snorm(Wp) <= omega * (1 + 1e-9)).all()
    assert torch.equal(count_flips(g, Wp, h), n)
    assert (n >= 1).all()
    # far more than a random perturbation of the same norm
    R = random_spectral((K, m, m), omega, generator=gen(8))
    assert n.sum() > 3 * count_flips(g, R, h).sum()


def test_targeted_sign_flip_fixed_s_and_broadcast():
    m = 200
    g = torch.randn(2, 3, m, generator=gen(9), dtype=torch.float64) * (2 / m) ** 0.5
    h = torch.randn(2, 1, 50, generator=gen(10), dtype=torch.float64)
    _, n_free = targeted_sign_flip(g, h, 0.05)
    for s in (1, 5, 400 // 2):
        Wp, n = targeted_sign_flip(g, h, 0.05, s=s)
        assert Wp.shape == (2, 3, m, 50)
        assert (n <= s).all() and (n <= n_free).all()
        assert torch.equal(count_flips(g, Wp, h.expand(2, 3, 50)), n)
        assert ((Wp.abs().sum(-1) > 0).sum(-1) <= s).all()  # support of y
        assert (snorm(Wp) <= 0.05 * (1 + 1e-9)).all()


def test_pgd_improves_and_stays_in_ball():
    # maximise the top-row norm of (W0 + W') x: a smooth objective with a known direction
    K, p, q = 4, 6, 5
    W0 = torch.randn(K, p, q, generator=gen(11), dtype=torch.float64)
    x = torch.randn(K, q, generator=gen(12), dtype=torch.float64)
    omega = 0.5

    def obj(Wp):
        return ((W0 + Wp) @ x.unsqueeze(-1)).squeeze(-1).pow(2).sum(-1)

    start = random_spectral((K, p, q), omega, generator=gen(13))
    Wb, val = pgd_spectral_ball(obj, start, omega, steps=30, lr=0.3)
    assert (snorm(Wb) <= omega * (1 + 1e-9)).all()
    assert (val > obj(start)).all()
    torch.testing.assert_close(obj(Wb), val)
    # optimum: omega * ||x|| added along (W0 x) direction
    opt = (torch.linalg.vector_norm((W0 @ x.unsqueeze(-1)).squeeze(-1), dim=-1) + omega * x.norm(dim=-1)) ** 2
    assert (val >= 0.99 * opt).all() and (val <= opt * (1 + 1e-9)).all()
    # list form
    Wl, vl = pgd_spectral_ball(lambda ws: obj(ws[0]) + obj(ws[1]), [start, start], omega, steps=5, lr=0.3)
    assert isinstance(Wl, list) and len(Wl) == 2 and vl.shape == (K,)


def test_frank_wolfe_search_reaches_known_optimum_in_product_of_balls():
    # maximise sum_l ||(W0_l + W'_l) x_l||^2 over ||W'_l||_2 <= omega (two balls per trial):
    # optimum (||W0_l x_l|| + omega ||x_l||)^2 per ball, attained by one oracle step
    K, p, q, omega = 3, 6, 5, 0.4
    W0 = torch.randn(K, 2, p, q, generator=gen(21), dtype=torch.float64)
    x = torch.randn(K, 2, q, generator=gen(22), dtype=torch.float64)

    def obj(Wp):
        return ((W0 + Wp) @ x.unsqueeze(-1)).squeeze(-1).pow(2).sum((-1, -2))

    res = maximize_spectral_balls(obj, (K, 2, p, q), omega, generators=[gen(23), gen(24)], steps=3)
    opt = ((W0 @ x.unsqueeze(-1)).squeeze(-1).norm(dim=-1) + omega * x.norm(dim=-1)).pow(2).sum(-1)
    assert res.W.shape == (K, 2, p, q) and res.value.shape == (K,) and res.restart_values.shape == (2, K)
    assert (snorm(res.W) <= omega * (1 + 1e-9)).all()
    torch.testing.assert_close(obj(res.W), res.value)
    assert (res.value >= opt * (1 - 1e-6)).all() and (res.value <= opt * (1 + 1e-9)).all()
    torch.testing.assert_close(res.value, res.restart_values.amax(0))
    # deterministic in the generators; a warm start is used as restart 0 and never lost (monotone)
    again = maximize_spectral_balls(obj, (K, 2, p, q), omega, generators=[gen(23), gen(24)], steps=3)
    assert torch.equal(again.W, res.W)
    start = random_spectral((K, 2, p, q), omega / 2, generator=gen(25))
    warm = maximize_spectral_balls(obj, (K, 2, p, q), omega, generators=[gen(26)], inits=[start], steps=0)
    torch.testing.assert_close(warm.value, obj(start))


def test_frank_wolfe_oracle_is_the_polar_factor_not_the_top_pair():
    # linear objective <C, W'> with rank-3 C: sup over the spectral ball is omega ||C||_* (nuclear
    # norm), attained at omega U V^T; the top pair alone (lmo_rank=1) stalls at omega sigma_1
    K, m, omega = 2, 12, 0.3
    C = torch.randn(K, m, 3, generator=gen(27), dtype=torch.float64) @ torch.randn(K, 3, m, generator=gen(28), dtype=torch.float64)
    sv = torch.linalg.svdvals(C)

    def obj(Wp):
        return (C * Wp).sum((-1, -2))

    full = maximize_spectral_balls(obj, (K, m, m), omega, generators=[gen(29)], steps=2)
    torch.testing.assert_close(full.value, omega * sv.sum(-1))
    low = maximize_spectral_balls(obj, (K, m, m), omega, generators=[gen(29)], steps=2, lmo_rank=3)
    torch.testing.assert_close(low.value, omega * sv.sum(-1))
    top = maximize_spectral_balls(obj, (K, m, m), omega, generators=[gen(29)], steps=4, lmo_rank=1)
    assert (top.value < omega * (sv[:, 0] + 0.5 * sv[:, 1])).all()
    assert (snorm(low.W) <= omega * (1 + 1e-9)).all()


def test_frank_wolfe_search_bad_inputs():
    obj = lambda W: W.sum((-1, -2))  # noqa: E731
    with pytest.raises(ValueError, match="generators"):
        maximize_spectral_balls(obj, (2, 3, 3), 1.0, generators=[])
    with pytest.raises(ValueError, match="inits"):
        maximize_spectral_balls(obj, (2, 3, 3), 1.0, generators=[gen()], inits=[torch.zeros(2, 3, 3)] * 2)
    with pytest.raises(ValueError, match="gammas"):
        maximize_spectral_balls(obj, (2, 3, 3), 1.0, generators=[gen()], gammas=(0.0,))
    with pytest.raises(ValueError, match="objective must return shape"):
        maximize_spectral_balls(lambda W: W.sum(-1), (2, 3, 3), 1.0, generators=[gen()])
    with pytest.raises(ValueError, match="omega"):
        maximize_spectral_balls(obj, (2, 3, 3), 0.0, generators=[gen()])


def test_rerandomize_rows():
    W = torch.randn(3, 6, 4, generator=gen(14), dtype=torch.float64)
    mask = torch.zeros(3, 6, dtype=torch.bool)
    mask[0, 1] = mask[2, 4] = mask[2, 5] = True
    W2 = rerandomize_rows(W, mask, std=0.1, generator=gen(15))
    assert torch.equal(W2[~mask], W[~mask])
    assert (W2[mask] != W[mask]).all()
    assert torch.equal(W2, rerandomize_rows(W, mask, std=0.1, generator=gen(15)))


def test_bad_inputs():
    W = torch.randn(4, 4, dtype=torch.float64)
    for bad in (0, -1.0):
        with pytest.raises(ValueError, match="omega"):
            project_spectral_ball(W, bad)
        with pytest.raises(ValueError, match="omega"):
            random_spectral((3, 3), bad, generator=gen())
    with pytest.raises(ValueError, match="shape"):
        random_spectral((3,), 1.0, generator=gen())
    with pytest.raises(ValueError, match="Wp"):
        scale_to_spectral_ball(torch.randn(3), 1.0)
    g, h = torch.randn(10, dtype=torch.float64), torch.randn(5, dtype=torch.float64)
    with pytest.raises(ValueError, match="s "):
        targeted_sign_flip(g, h, 0.1, s=0)
    with pytest.raises(ValueError, match="s must be <= m"):
        targeted_sign_flip(g, h, 0.1, s=11)
    with pytest.raises(ValueError, match="h_prev"):
        targeted_sign_flip(g, torch.zeros(5, dtype=torch.float64), 0.1)
    with pytest.raises(ValueError, match="s must be <= m"):
        sparse_rank_one(5, 6, 1.0, generator=gen())
    with pytest.raises(ValueError, match="rows_mask"):
        rerandomize_rows(W, torch.zeros(5, dtype=torch.bool), std=1.0, generator=gen())
    with pytest.raises(TypeError, match="generator"):
        rerandomize_rows(W, torch.zeros(4, dtype=torch.bool), std=1.0, generator=None)
    with pytest.raises(ValueError, match="objective must return shape"):
        pgd_spectral_ball(lambda w: w.sum(), W.unsqueeze(0), 1.0, steps=1)


def test_lowrank_spectral_lmo_is_the_dense_oracle():
    """``omega U V^T`` of ``G = X Y^T`` from factors equals the polar factor of the dense ``G``; a zero
    gradient is flagged."""
    g = gen(3)
    X = torch.randn(2, 9, 3, generator=g, dtype=torch.float64)
    Y = torch.randn(2, 7, 3, generator=g, dtype=torch.float64)
    Y[1] = 0.0
    U, V, zero = lowrank_spectral_lmo(X, Y, 0.3)
    assert zero.tolist() == [False, True]
    Ud, S, Vh = torch.linalg.svd(X[0] @ Y[0].mT, full_matrices=False)
    torch.testing.assert_close(U[0] @ V[0].mT, 0.3 * Ud[:, :3] @ Vh[:3])
    assert float(snorm(U[0] @ V[0].mT)) == pytest.approx(0.3)
    with pytest.raises(ValueError):
        lowrank_spectral_lmo(X, Y, 0.0)


def test_factored_search_follows_the_dense_search():
    """On a quadratic objective whose gradient is rank n, the factored Frank-Wolfe takes the dense
    search's steps (same oracle, same line search): values agree to rounding, iterates stay in the ball."""
    g = gen(4)
    K, p, q, n, omega = 3, 12, 10, 2, 0.5
    W0 = torch.randn(K, p, q, generator=g, dtype=torch.float64)
    a = torch.randn(K, n, p, generator=g, dtype=torch.float64)
    b = torch.randn(K, n, q, generator=g, dtype=torch.float64)

    def dense_obj(Wp):                        # sum_i (a_i^T (W0 + W') b_i)^2
        return torch.einsum("kip,kpq,kiq->ki", a, W0 + Wp, b).pow(2).sum(-1)

    def value(fac):
        (A, B), = fac
        return dense_obj(A @ B.mT)

    def gradient(fac, j):
        (A, B), = fac
        c = torch.einsum("kip,kpq,kiq->ki", a, W0 + A @ B.mT, b)
        return [((2 * c.unsqueeze(-2)) * a.mT, b.mT)]

    u = torch.randn(K, p, 1, generator=g, dtype=torch.float64)
    v = torch.randn(K, q, 1, generator=g, dtype=torch.float64)
    u, v = omega * u / u.norm(dim=-2, keepdim=True), v / v.norm(dim=-2, keepdim=True)
    val, fac, per = maximize_spectral_balls_factored(value, gradient, [((u, v),)], omega, steps=4)
    dense = maximize_spectral_balls(dense_obj, (K, p, q), omega, generators=[gen(0)], inits=[u @ v.mT], steps=4)
    torch.testing.assert_close(val, dense.value)
    torch.testing.assert_close(fac[0][0] @ fac[0][1].mT, dense.W)
    assert per.shape == (1, K) and bool((val > value(((u, v),))).all())
    assert bool((snorm(fac[0][0] @ fac[0][1].mT) <= omega * (1 + 1e-9)).all())
    with pytest.raises(ValueError):
        maximize_spectral_balls_factored(value, gradient, [], omega, steps=1)
    with pytest.raises(ValueError):
        maximize_spectral_balls_factored(value, gradient, [((u, v),)], omega, steps=1, gammas=(0.0,))
