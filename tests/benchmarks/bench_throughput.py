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
