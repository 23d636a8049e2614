"""Throughput benchmarks (pytest-benchmark), excluded from the default test run.

Run with ``scripts/dev.sh bench`` (= ``pytest tests/benchmarks -o python_files=bench_*.py
--benchmark-enable``).  Every benchmark stores in ``extra_info`` its achieved GFLOP/s
and the ratio to a ``torch.matmul`` reference measured in the same run at the same
dtype and a comparable size, so numbers from noisy shared machines stay comparable.
"""

from __future__ import annotations

import math
import time

import pytest
import torch

from ovpmodel import ElmanRNN, FCNet

DTYPES = {"float32": torch.float32, "float64": torch.float64}
_REF: dict = {}


def matmul_gflops(m: int, dtype: torch.dtype, reps: int = 5) -> float:
    """Best-of-``reps`` GFLOP/s of a square ``m x m`` ``torch.matmul`` (cached per run)."""
    key = (m, dtype)
    if key not in _REF:
        g = torch.Generator().manual_seed(0)
        a = torch.randn(m, m, generator=g, dtype=dtype)
        b = torch.randn(m, m, generator=g, dtype=dtype)
        a @ b
        best = math.inf
        for _ in range(reps):
            t = time.perf_counter()
            a @ b
            best = min(best, time.perf_counter() - t)
        _REF[key] = 2 * m ** 3 / best / 1e9
    return _REF[key]


def _record(benchmark, flops: float, m: int, dtype: torch.dtype):
    t = benchmark.stats.stats.min
    gf = flops / t / 1e9
    ref = matmul_gflops(m, dtype)
    benchmark.extra_info.update(gflops=round(gf, 2), matmul_gflops=round(ref, 2), ratio=round(gf / ref, 3))
    print(f"\n  {benchmark.name}: {gf:.1f} GFLOP/s = {gf / ref:.2f} x torch.matmul ({ref:.1f} GFLOP/s)")


@pytest.mark.parametrize("dtype", list(DTYPES))
@pytest.mark.parametrize("m", [512, 1024, 2048])
def test_fc_forward_backward(benchmark, m, dtype):
    """Batched forward + autograd backward of the AZLS-DNN net: K=16 trials, L=4, n=64."""
    dt = DTYPES[dtype]
    K, L, n, d = 16 if m <= 1024 else 4, 4, 64, 16
    net = FCNet(m, L, d, trials=K, seed=0, dtype=dt)
    g = torch.Generator().manual_seed(1)
    x = torch.randn(n, d, generator=g, dtype=dt)
    x = x / x.norm(dim=1, keepdim=True)
    y = torch.randn(n, d, generator=g, dtype=dt)
    benchmark.pedantic(net.grad, args=(x, y), rounds=3, warmup_rounds=1)
    # forward 2Knm(d + Lm + d_out); backward: two products per trained layer
    flops = 2 * K * n * m * (d + L * m + d) + 4 * K * n * m * m * L
    _record(benchmark, flops, m, dt)


@pytest.mark.parametrize("m", [512, 1024])
def test_rnn_forward_backward(benchmark, m):
    """Batched forward + autograd backward of the Elman RNN: K=8, L=8 steps, n=32, float32."""
    dt = torch.float32
    K, L, n, dx = 8, 8, 32, 10
    net = ElmanRNN(m, dx, 4, trials=K, seed=0, dtype=dt)
    g = torch.Generator().manual_seed(1)
    x = torch.randn(n, L, dx, generator=g, dtype=dt) / math.sqrt(dx)
    y = torch.randn(n, L, 4, generator=g, dtype=dt)
    benchmark.pedantic(net.grad, args=(x, y), rounds=3, warmup_rounds=1)
    flops = 3 * 2 * K * n * m * m * (L - 1)
    _record(benchmark, flops, m, dt)


def _dense_interval_norms(net, tr):
    """Dense route: cumulative products ``D_a W_a ... D_b W_b`` and ``matrix_norm(ord=2)``."""
    L = net.L
    out = torch.full((L, L), float("nan"), dtype=net.dtype)
    D = tr.D[0, 1:, 0].to(net.dtype)                               # trial 0, sample 0: [L, m]
    for b in range(1, L + 1):
        P = None
        for a in range(b, L + 1):
            M = D[a - 1].unsqueeze(-1) * net.W0[0, a - 1]
            P = M if P is None else M @ P
            out[a - 1, b - 1] = torch.linalg.matrix_norm(P, ord=2)
    return out


@pytest.mark.parametrize("m,L", [(1024, 32)])
def test_interval_norms_implicit_vs_dense(benchmark, m, L):
    """All L(L+1)/2 interval spectral norms, one trial and sample, float64: batched implicit
    Lanczos (1e-7 tolerance) vs dense products + ``matrix_norm(ord=2)``; reports the speed-up
    and the largest relative disagreement."""
    net = FCNet(m, L, 10, trials=1, seed=0)
    x = torch.randn(1, 10, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    tr = net.trace(x / x.norm())
    t = time.perf_counter()
    dense = _dense_interval_norms(net, tr)
    t_dense = time.perf_counter() - t
    implicit = benchmark.pedantic(net.interval_spectral_norms, args=(tr,),
                                  kwargs={"tol": 1e-7, "generator": torch.Generator().manual_seed(0)},
                                  rounds=1, warmup_rounds=0)
    t_impl = benchmark.stats.stats.min
    mask = ~torch.isnan(dense)
    err = ((implicit[0, 0][mask] - dense[mask]).abs() / dense[mask]).max().item()
    benchmark.extra_info.update(dense_s=round(t_dense, 2), implicit_s=round(t_impl, 2),
                                speedup=round(t_dense / t_impl, 2), max_rel_err=err)
    print(f"\n  intervals m={m} L={L}: dense {t_dense:.1f} s, implicit {t_impl:.1f} s, "
          f"speed-up {t_dense / t_impl:.1f}x, max rel err {err:.1e}")
    assert err < 1e-6
