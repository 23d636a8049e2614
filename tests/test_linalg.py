"""Tests for ovpmodel.linalg: operators, batched Lanczos spectral norm, sparse bounds."""

import itertools

import pytest
import torch

from ovpmodel.linalg import (
    Diag,
    LinearOperator,
    ProductOperator,
    smallest_singular_value,
    sparse_spectral_norm_lower_bound,
    spectral_norm,
    spectral_norm_dense,
)


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


def relu_product(K=3, n=4, m=64, d=5, dtype=torch.float64, seed=1):
    g = gen(seed)
    W1 = torch.randn(K, 1, m, m, generator=g, dtype=dtype) * (2 / m) ** 0.5
    W2 = torch.randn(K, 1, m, m, generator=g, dtype=dtype) * (2 / m) ** 0.5
    B = torch.randn(K, 1, d, m, generator=g, dtype=dtype) / d**0.5
    D1 = torch.rand(K, n, m, generator=g) > 0.5
    D2 = torch.rand(K, n, m, generator=g) > 0.5
    dense = B @ (D2.to(dtype).unsqueeze(-1) * W2) @ (D1.to(dtype).unsqueeze(-1) * W1)
    return [B, Diag(D2), W2, Diag(D1), W1], dense


def test_product_to_dense_and_shape():
    factors, dense = relu_product()
    op = ProductOperator(factors)
    assert op.shape == (5, 64) and op.batch_shape == (3, 4)
    torch.testing.assert_close(op.to_dense(), dense, rtol=1e-12, atol=1e-12)


def test_rmatvec_is_adjoint():
    factors, _ = relu_product()
    op = ProductOperator(factors)
    g = gen(3)
    v = torch.randn(3, 4, 64, 2, generator=g, dtype=torch.float64)
    u = torch.randn(3, 4, 5, 2, generator=g, dtype=torch.float64)
    lhs = (op.matvec(v) * u).sum(-2)
    rhs = (v * op.rmatvec(u)).sum(-2)
    torch.testing.assert_close(lhs, rhs, rtol=1e-12, atol=1e-12)
    M = torch.randn(2, 6, 9, generator=g, dtype=torch.float64)
    dop = LinearOperator.from_dense(M)
    torch.testing.assert_close(dop.adjoint().to_dense(), M.mT)
    fop = LinearOperator.from_functions(lambda x: M @ x, lambda y: M.mT @ y, (6, 9), (2,), torch.float64, "cpu")
    torch.testing.assert_close(fop.to_dense(), M)


def test_fat_bmm_matches_broadcast_matmul():
    g = gen(4)
    M = torch.randn(3, 1, 7, 5, generator=g, dtype=torch.float64)
    x = torch.randn(3, 4, 5, 2, generator=g, dtype=torch.float64)
    op = LinearOperator.from_dense(M)
    torch.testing.assert_close(op.matvec(x), M @ x)
    M2 = torch.randn(7, 5, generator=g, dtype=torch.float64)
    torch.testing.assert_close(LinearOperator.from_dense(M2).matvec(x), M2 @ x)


@pytest.mark.parametrize("shape", [(5, 30, 20), (4, 7, 40), (2, 3, 50, 50)])
def test_spectral_norm_dense_batches_float64(shape):
    M = torch.randn(*shape, generator=gen(5), dtype=torch.float64)
    s, info = spectral_norm(M, generator=gen(6), return_info=True)
    ref = spectral_norm_dense(M)
    assert s.shape == shape[:-2]
    assert ((s - ref).abs() / ref).max() < 1e-6
    assert bool(info["converged"].all())
    assert (s <= ref * (1 + 1e-12)).all()  # Ritz values are lower bounds


def test_spectral_norm_product_float64_and_float32():
    factors, dense = relu_product(m=120)
    op = ProductOperator(factors)
    ref = spectral_norm_dense(dense)
    s = spectral_norm(op, generator=gen(7))
    assert ((s - ref).abs() / ref).max() < 1e-6
    # square intermediate product D W D W
    op2 = ProductOperator(factors[1:])
    ref2 = spectral_norm_dense(op2.to_dense())
    s2, info = spectral_norm(op2, generator=gen(8), return_info=True)
    assert ((s2 - ref2).abs() / ref2).max() < 1e-6
    assert info["iterations"] < 60
    f32 = [Diag(f.d) if isinstance(f, Diag) else f.float() for f in factors[1:]]
    s3 = spectral_norm(ProductOperator(f32), generator=gen(8))
    assert s3.dtype == torch.float32
    assert ((s3.double() - ref2).abs() / ref2).max() < 1e-4


def test_spectral_norm_batch_KP_and_determinism():
    M = torch.randn(3, 4, 25, 25, generator=gen(9), dtype=torch.float64)
    a = spectral_norm(M, generator=gen(1))
    b = spectral_norm(M, generator=gen(1))
    assert torch.equal(a, b)
    assert a.shape == (3, 4)


def test_spectral_norm_zero_operator():
    s = spectral_norm(torch.zeros(2, 5, 4, dtype=torch.float64), generator=gen())
    assert torch.equal(s, torch.zeros(2, dtype=torch.float64))


def test_smallest_singular_value():
    factors, dense = relu_product()
    op = ProductOperator(factors)
    ref = torch.linalg.svdvals(dense)[..., -1]
    torch.testing.assert_close(smallest_singular_value(op), ref, rtol=1e-8, atol=1e-10)
    M = torch.randn(3, 20, 4, generator=gen(2), dtype=torch.float64)
    torch.testing.assert_close(smallest_singular_value(M), torch.linalg.svdvals(M)[..., -1], rtol=1e-8, atol=1e-10)


def brute_sparse_norm(M, s):
    p, q = M.shape
    best = 0.0
    for I in itertools.combinations(range(p), s):
        sub = M[list(I)]
        for J in itertools.combinations(range(q), s):
            best = max(best, torch.linalg.matrix_norm(sub[:, list(J)], ord=2).item())
    return best


def test_sparse_lower_bound_vs_bruteforce():
    M = torch.randn(6, 8, 8, generator=gen(11), dtype=torch.float64)
    val, u, v = sparse_spectral_norm_lower_bound(M, 2, generator=gen(12))
    assert val.shape == (6,) and u.shape == (6, 8) and v.shape == (6, 8)
    assert ((u != 0).sum(-1) <= 2).all() and ((v != 0).sum(-1) <= 2).all()
    torch.testing.assert_close(torch.linalg.vector_norm(u, dim=-1), torch.ones(6, dtype=torch.float64))
    torch.testing.assert_close(torch.linalg.vector_norm(v, dim=-1), torch.ones(6, dtype=torch.float64))
    exact = (u.unsqueeze(-2) @ M @ v.unsqueeze(-1)).squeeze(-1).squeeze(-1).abs()
    torch.testing.assert_close(val, exact, rtol=1e-12, atol=1e-12)
    for i in range(6):
        true = brute_sparse_norm(M[i], 2)
        assert val[i].item() <= true * (1 + 1e-12)
        assert val[i].item() >= 0.9 * true


def test_sparse_lower_bound_product_and_supports():
    factors, dense = relu_product(m=16)
    op = ProductOperator(factors[1:])
    mask = torch.zeros(3, 4, 16, dtype=torch.bool)
    mask[..., :5] = True
    val, u, v = sparse_spectral_norm_lower_bound(
        op, 3, s_left=4, generator=gen(13), support_right=mask, restarts=4, iters=20
    )
    assert ((u != 0).sum(-1) <= 4).all() and ((v != 0).sum(-1) <= 3).all()
    assert (v[..., 5:] == 0).all()
    assert (val <= spectral_norm_dense(op.to_dense()) * (1 + 1e-12)).all()


def test_bad_inputs():
    M = torch.randn(4, 5, dtype=torch.float64)
    with pytest.raises(ValueError, match="tol"):
        spectral_norm(M, tol=0, generator=gen())
    with pytest.raises(ValueError, match="max_iter"):
        spectral_norm(M, max_iter=0, generator=gen())
    with pytest.raises(TypeError, match="generator"):
        spectral_norm(M, generator=None)
    with pytest.raises(ValueError, match="s "):
        sparse_spectral_norm_lower_bound(M, 0, generator=gen())
    with pytest.raises(ValueError, match="s_right"):
        sparse_spectral_norm_lower_bound(M, 6, s_left=2, generator=gen())
    with pytest.raises(ValueError, match="factors\\[0\\]"):
        ProductOperator([torch.randn(3, 4), torch.randn(5, 6)])
    with pytest.raises(TypeError, match="factors"):
        ProductOperator([torch.randn(3, 4), "x"])
    op = LinearOperator.from_dense(M)
    with pytest.raises(ValueError, match="v must have shape"):
        op.matvec(torch.randn(4, 1, dtype=torch.float64))
