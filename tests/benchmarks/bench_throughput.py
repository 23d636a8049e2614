"""Throughput benchmarks (pytest-benchmark) of the hot paths of ``ovpmodel``.

Excluded from the default test run (the files are ``bench_*.py``; pytest collects
``test_*.py``).  Run them with ONE command::

    scripts/dev.sh bench            # = .venv/bin/python -m pytest tests/benchmarks \\
                                    #     -o python_files="bench_*.py" --benchmark-enable -s

(``-k fc_forward``, ``-k interval`` ... select a subset).  Every benchmark prints and
stores in ``extra_info``:

* ``gflops``: the useful GEMM flops of the hot path (counted per benchmark, below)
  divided by the best time of its rounds;
* ``matmul_gflops``: the reference, a SQUARE ``m x m @ m x m`` ``torch.matmul`` at the
  same dtype and the same ``m``, timed in the same test right before and right after
  the hot path (best of both; so a load change on a shared machine during the test
  penalises the hot path, not the reference);
* ``ratio`` = ``gflops / matmul_gflops``: the fraction of this machine's (current) square
  matmul rate.  The square product is the fairest ceiling: it is the fastest GEMM
  shape this BLAS runs at that size, so a ratio near 1 means "as fast as the machine
  multiplies matrices"; a same-shape ``bmm`` would hide that thin products are slow.
* ``gemm_ratio`` (forward/backward/operators): the hot path's rate over that of its own
  GEMMs alone (the same shapes as bare ``bmm`` calls), i.e. what the Python/bookkeeping
  around the GEMMs costs.

Accuracy is asserted where there is an exact reference (the interval norms vs the
dense SVD); time is never asserted.

Device: ``OVP_BENCH_DEVICE=cuda`` (default ``cpu``) runs every benchmark on that device,
the reference matmul included, with ``torch.cuda.synchronize`` around each timed call
(CUDA kernels are asynchronous: without it the clock stops before the GEMMs finish).
On CUDA the widths go up to 16384 (``WIDTHS_CUDA``). ``scripts/gpu_check.sh`` runs a
selection of them with the ``thorough`` profile, for a session lent a GPU.
``OVP_BENCH_DEVICE=cpu:0 OVP_BENCH_LINT=1`` checks the benchmarks' own device placement
on a CPU (see ``claims/devicelint.py``).
"""

from __future__ import annotations

import math
import os
import platform
import time

import pytest
import torch

from ovpmodel import ElmanRNN, FCNet
from ovpmodel._checks import resolve_device
from ovpmodel.perturb import targeted_sign_flip
from ovpmodel.train import train

DEVICE = resolve_device(os.environ.get("OVP_BENCH_DEVICE", "cpu"))
CUDA = DEVICE.type == "cuda"
DTYPES = {"float32": torch.float32, "float64": torch.float64}
WIDTHS_CPU = [512, 1024, 2048, 4096]
WIDTHS_CUDA = [1024, 4096, 8192, 16384]
WIDTHS = WIDTHS_CUDA if CUDA else WIDTHS_CPU
FC_TRIALS = {512: 16, 1024: 16, 2048: 4, 4096: 2, 8192: 2, 16384: 1}   # K: K L m^2 <= 1 GB float64 on the CPU
FC_DEPTH = {512: 4, 1024: 4, 2048: 4, 4096: 2, 8192: 2, 16384: 2}       # (8192, 16384: CUDA only, <= 4.3 GB)
RNN_TRIALS = {512: 16, 1024: 8, 2048: 4, 4096: 2, 8192: 2, 16384: 1}
SAMPLES = [16, 256]                                    # catalog-typical n, and a data-set-sized n


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def pytest_report_header_line() -> str:
    load = os.getloadavg() if hasattr(os, "getloadavg") else ("?",)
    line = (f"torch {torch.__version__}, {torch.get_num_threads()} threads, {os.cpu_count()} CPUs "
            f"({_cpu_model()}), load average {load[0]:.1f}")
    if CUDA:
        line += f"; device {DEVICE}: {torch.cuda.get_device_name(DEVICE)}, CUDA {torch.version.cuda}"
    return line


def _sync() -> None:
    if CUDA:
        torch.cuda.synchronize(DEVICE)


def _synced(fn):
    """``fn`` that returns only once the device has finished its work."""
    def run(*args, **kwargs):
        out = fn(*args, **kwargs)
        _sync()
        return out
    return run


def _gen(seed: int) -> torch.Generator:
    return torch.Generator(device=DEVICE).manual_seed(seed)


@pytest.fixture(autouse=True)
def _device_lint():
    """``OVP_BENCH_LINT=1`` (with ``OVP_BENCH_DEVICE=cpu:0``): each benchmark runs under
    ``claims.devicelint.DeviceLint`` and fails on an operation CUDA would reject."""
    if os.environ.get("OVP_BENCH_LINT") != "1":
        yield
        return
    from claims.devicelint import DeviceLint, describe

    with DeviceLint() as lint:
        yield
    assert not lint.violations, "\n".join(describe(v) for v in lint.violations)


@pytest.fixture(scope="module", autouse=True)
def _header():
    print("\n  machine: " + pytest_report_header_line())
    yield
    print("\n  after: " + pytest_report_header_line())


def _best(fn, reps: int) -> float:
    best = math.inf
    _sync()
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        _sync()
        best = min(best, time.perf_counter() - t)
    return best


def _square_reps(m: int) -> int:
    return 5 if m <= 1024 else 3 if m <= 2048 else 1


class MatmulRef:
    """The square ``torch.matmul`` reference at one ``(m, dtype)``, timed on demand."""

    def __init__(self, m: int, dtype: torch.dtype):
        g = _gen(0)
        self.m = m
        self.a = torch.randn(m, m, generator=g, dtype=dtype, device=DEVICE)
        self.b = torch.randn(m, m, generator=g, dtype=dtype, device=DEVICE)
        self.a @ self.b                                       # warm-up
        self.best = math.inf

    def time(self) -> None:
        self.best = min(self.best, _best(lambda: self.a @ self.b, _square_reps(self.m)))

    @property
    def gflops(self) -> float:
        return 2 * self.m ** 3 / self.best / 1e9


def _run(benchmark, fn, *, m, dtype, flops, rounds=3, gemm=None, args=(), kwargs=None, interleave=2, **info):
    """Time ``fn`` with pytest-benchmark, then ``interleave`` more times alternating with
    the square reference (which is also timed before); the best time of each enters
    GFLOP/s and the ratio (on a loaded machine, interleaving exposes both to the same
    load).  ``gemm``: a callable doing the same GEMMs as bare ``bmm`` calls (ratio
    ``gemm_ratio``)."""
    ref = MatmulRef(m, dtype)
    ref.time()
    kwargs = kwargs or {}
    fn = _synced(fn)
    result = benchmark.pedantic(fn, args=args, kwargs=kwargs, rounds=rounds, warmup_rounds=1)
    t = benchmark.stats.stats.min
    for _ in range(interleave):
        ref.time()
        t = min(t, _best(lambda: fn(*args, **kwargs), 1))
    ref.time()
    gf = flops / t / 1e9
    out = dict(gflops=round(gf, 2), matmul_gflops=round(ref.gflops, 2), ratio=round(gf / ref.gflops, 3),
               seconds=t, **info)
    line = (f"\n  {benchmark.name}: {t * 1e3:.1f} ms, {gf:.1f} GFLOP/s = {gf / ref.gflops:.2f} x "
            f"square matmul ({ref.gflops:.1f} GFLOP/s, {str(dtype)[6:]}, m={m}, {DEVICE})")
    if gemm is not None:
        gemm()
        tg = _best(gemm, rounds)
        out["gemm_ratio"] = round(tg / t, 3)
        line += f"; {tg / t:.2f} x its bare GEMMs"
    benchmark.extra_info.update(out)
    print(line + "".join(f", {k}={v}" for k, v in info.items()))
    return result


def _fc_data(n, d, d_out, dt, seed=1):
    g = _gen(seed)
    x = torch.randn(n, d, generator=g, dtype=dt, device=DEVICE)
    x = x / x.norm(dim=1, keepdim=True)
    y = torch.randn(n, d_out, generator=g, dtype=dt, device=DEVICE)
    return x, y


def _bare_layers(K, n, m, L, dt, transposes):
    """The GEMMs of ``L`` layers of ``[K, n, m] x [K, m, m]`` as bare ``bmm`` calls (one per
    entry of ``transposes``: whether the weight enters transposed)."""
    g = _gen(2)
    W = torch.randn(K, m, m, generator=g, dtype=dt, device=DEVICE)
    h = torch.randn(K, n, m, generator=g, dtype=dt, device=DEVICE)

    def run():
        for _ in range(L):
            for tr_ in transposes:
                torch.bmm(h, W.mT if tr_ else W)
    return run


# ------------------------------------------------------------------ FC net (AZLS-DNN)


@pytest.mark.parametrize("n", SAMPLES)
@pytest.mark.parametrize("dtype", list(DTYPES))
@pytest.mark.parametrize("m", WIDTHS)
def test_fc_forward_trace(benchmark, m, dtype, n):
    """``FCNet.trace``: batched forward of K inits recording g, h, D for every layer."""
    dt = DTYPES[dtype]
    K, L, d = FC_TRIALS[m], FC_DEPTH[m], 16
    net = FCNet(m, L, d, trials=K, seed=0, dtype=dt, device=DEVICE)
    x, _ = _fc_data(n, d, d, dt)
    flops = 2 * K * n * m * (d + L * m + d)
    _run(benchmark, net.trace, args=(x,), m=m, dtype=dt, flops=flops,
         gemm=_bare_layers(K, n, m, L, dt, [True]), K=K, L=L, n=n)


@pytest.mark.parametrize("n", SAMPLES)
@pytest.mark.parametrize("dtype", list(DTYPES))
@pytest.mark.parametrize("m", WIDTHS)
def test_fc_forward_backward(benchmark, m, dtype, n):
    """``FCNet.grad``: loss and autograd gradient w.r.t. all W_l (forward + backward)."""
    dt = DTYPES[dtype]
    K, L, d = FC_TRIALS[m], FC_DEPTH[m], 16
    net = FCNet(m, L, d, trials=K, seed=0, dtype=dt, device=DEVICE)
    x, y = _fc_data(n, d, d, dt)
    # forward L layer GEMMs; backward: dW_l (L GEMMs) and dh_{l-1} for l = 2..L (L - 1)
    flops = 2 * K * n * m * m * (3 * L - 1) + 2 * K * n * m * (d + 2 * d)
    bare = _bare_layers(K, n, m, 1, dt, [True] * L + [False] * (2 * L - 1))
    _run(benchmark, net.grad, args=(x, y), m=m, dtype=dt, flops=flops, gemm=bare, K=K, L=L, n=n)


@pytest.mark.parametrize("which", ["back_rmatvec", "interval_matvec"])
@pytest.mark.parametrize("dtype", list(DTYPES))
@pytest.mark.parametrize("m", WIDTHS)
def test_fc_operators(benchmark, m, dtype, which):
    """Implicit operators, n = 16 samples x r = 16 columns each (the d_out columns of the
    Gram of ``Back`` for sigma_min, or a block of probe vectors):
    ``Back_{i,1}^T = W_1^T D_1 ... W_L^T D_L B^T`` (rmatvec) and the intermediate
    product ``D_L W_L ... D_1 W_1`` (matvec)."""
    dt = DTYPES[dtype]
    K, L, d, n, r = FC_TRIALS[m], FC_DEPTH[m], 16, 16, 16
    net = FCNet(m, L, d, trials=K, seed=0, dtype=dt, device=DEVICE)
    x, _ = _fc_data(n, d, d, dt)
    tr = net.trace(x)
    g = _gen(3)
    if which == "back_rmatvec":
        op = net.back_operator(tr, 1)
        vec = torch.randn(K, n, d, r, generator=g, dtype=dt, device=DEVICE)
        fn = op.rmatvec
        flops = 2 * K * n * r * (L * m * m + d * m)
    else:
        op = net.interval_operator(tr, L, 1)
        vec = torch.randn(K, n, m, r, generator=g, dtype=dt, device=DEVICE)
        fn = op.matvec
        flops = 2 * K * n * r * L * m * m
    _run(benchmark, fn, args=(vec,), m=m, dtype=dt, flops=flops,
         gemm=_bare_layers(K, n * r, m, L, dt, [False]), K=K, L=L, n=n, r=r)


# ------------------------------------------------------------------ Elman RNN


@pytest.mark.parametrize("dtype", list(DTYPES))
@pytest.mark.parametrize("m", WIDTHS)
@pytest.mark.parametrize("which", ["trace", "grad", "back_rmatvec", "interval_matvec"])
def test_rnn(benchmark, m, dtype, which):
    """Elman RNN (AZLS-RNN), L = 8 steps, n = 32 sequences: forward trace, forward +
    autograd backward, ``Back_{i,1->L}^T`` (rmatvec, r = d columns) and the
    intermediate product ``W D_L W ... D_1 W`` (matvec, r = 8 columns)."""
    dt = DTYPES[dtype]
    K, L, n, dx, d = RNN_TRIALS[m], 8, 32, 10, 8
    net = ElmanRNN(m, dx, d, trials=K, seed=0, dtype=dt, device=DEVICE)
    g = _gen(1)
    x = torch.randn(n, L, dx, generator=g, dtype=dt, device=DEVICE) / math.sqrt(dx)
    y = torch.randn(n, L, d, generator=g, dtype=dt, device=DEVICE)
    if which == "trace":
        fn, args = net.trace, (x,)
        flops = 2 * K * n * m * m * (L - 1)
        bare = _bare_layers(K, n, m, L - 1, dt, [True])
    elif which == "grad":
        fn, args = net.grad, (x, y)
        # forward L-1 GEMMs; backward dW (L-1) and dh for steps 2..L-1 (L-2)
        flops = 2 * K * n * m * m * (3 * L - 4)
        bare = _bare_layers(K, n, m, 1, dt, [True] * (L - 1) + [False] * (2 * L - 3))
    else:
        tr = net.trace(x)
        r = d if which == "back_rmatvec" else 8
        if which == "back_rmatvec":
            op = net.back_operator(tr, 1, L)
            args = (torch.randn(K, n, d, r, generator=g, dtype=dt, device=DEVICE),)
            fn, nW = op.rmatvec, L - 1
        else:
            op = net.interval_operator(tr, L, 1)
            args = (torch.randn(K, n, m, r, generator=g, dtype=dt, device=DEVICE),)
            fn, nW = op.matvec, L + 1
        flops = 2 * K * n * r * nW * m * m
        bare = _bare_layers(K, n * r, m, nW, dt, [False])
    _run(benchmark, fn, args=args, m=m, dtype=dt, flops=flops, gemm=bare, K=K, L=L, n=n)


# ------------------------------------------------------------------ all interval spectral norms


def _dense_interval_norms(net, tr):
    """Dense route: cumulative products ``D_a W_a ... D_b W_b`` (one GEMM each, shared
    prefixes) and ``torch.linalg.matrix_norm(ord=2)`` of every product."""
    L = net.L
    out = torch.full((L, L), float("nan"), dtype=net.dtype, device=DEVICE)
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
    """All ``L(L+1)/2`` interval norms ``||D_a W_a ... D_b W_b||_2`` of one trial and
    sample, float64: ``FCNet.interval_spectral_norms`` (one batched implicit Lanczos over
    all intervals, relative tolerance 1e-6, converged intervals leave the batch) vs the
    dense route.  Asserts agreement to 1e-6 relative; reports speed-up and GFLOP/s."""
    dt = torch.float64
    net = FCNet(m, L, 10, trials=1, seed=0, dtype=dt, device=DEVICE)
    x = torch.randn(1, 10, generator=_gen(1), dtype=dt, device=DEVICE)
    tr = net.trace(x / x.norm())
    ref = MatmulRef(m, dt)
    ref.time()
    _sync()
    t = time.perf_counter()
    dense = _dense_interval_norms(net, tr)
    _sync()
    t_dense = time.perf_counter() - t
    implicit, info = benchmark.pedantic(
        _synced(net.interval_spectral_norms), args=(tr,),
        kwargs={"tol": 1e-6, "generator": _gen(0), "return_info": True},
        rounds=2, warmup_rounds=0)
    t_impl = benchmark.stats.stats.min
    ref.time()
    mask = ~torch.isnan(dense)
    err = ((implicit[0, 0][mask] - dense[mask]).abs() / dense[mask]).max().item()
    P = int(mask.sum())
    steps = info["steps"][0, 0]
    length = torch.tensor([[a - b + 1 for b in range(1, L + 1)] for a in range(1, L + 1)], dtype=torch.float64,
                          device=steps.device)
    flops = float((steps.double() * length)[mask].sum()) * 4 * m * m        # matvec + rmatvec per step
    gf = flops / t_impl / 1e9
    dense_flops = 2 * m ** 3 * (P - L)
    benchmark.extra_info.update(
        dense_s=round(t_dense, 2), implicit_s=round(t_impl, 2), speedup=round(t_dense / t_impl, 2),
        max_rel_err=err, intervals=P, dense_s_per_product=round(t_dense / P, 4),
        implicit_s_per_product=round(t_impl / P, 4), mean_steps=round(float(steps[mask].double().mean()), 1),
        max_steps=int(steps[mask].max()), gflops=round(gf, 2), matmul_gflops=round(ref.gflops, 2),
        ratio=round(gf / ref.gflops, 3))
    print(f"\n  intervals m={m} L={L} ({P} products, float64): dense {t_dense:.1f} s "
          f"({t_dense / P * 1e3:.0f} ms/product), implicit {t_impl:.2f} s ({t_impl / P * 1e3:.1f} ms/product), "
          f"speed-up {t_dense / t_impl:.1f}x, max rel err {err:.1e}; Lanczos steps mean "
          f"{float(steps[mask].double().mean()):.1f} max {int(steps[mask].max())}; implicit GEMMs "
          f"{gf:.1f} GFLOP/s = {gf / ref.gflops:.2f} x square matmul ({ref.gflops:.1f}); dense products "
          f"{dense_flops / 1e9:.0f} GFLOP")
    assert err < 1e-6


# ------------------------------------------------------------------ adversarial search and GD


def _sequential_attack(net, x, omega, sample=0):
    """The layer-by-layer targeted rank-one sign-flip construction of AZLS-DNN/Step2a
    (the algorithm of ``claims.catalog._azls_dnn_measures._sequential_attack``, built on
    :func:`ovpmodel.perturb.targeted_sign_flip`): one step per layer, all K trials at
    once; the last step recounts the flips of all samples with the perturbation."""
    x = net._input(x)
    W0 = net.W0
    g0 = [torch.matmul(x, net.A.transpose(-1, -2))]
    h = torch.relu(g0[0])
    for l in range(1, net.L + 1):
        g0.append(torch.matmul(h, W0[:, l - 1].mT))
        h = torch.relu(g0[-1])
    D0 = [g >= 0 for g in g0]
    big = torch.finfo(net.dtype).max ** 0.25
    h = torch.relu(g0[0])
    pert, flips = [], []
    for l in range(1, net.L + 1):
        g = torch.matmul(h, W0[:, l - 1].mT)
        gi, hi = g[:, sample], h[:, sample]
        g_eff = torch.where((gi >= 0) == D0[l][:, sample], gi, torch.full_like(gi, big))
        Wp, _ = targeted_sign_flip(g_eff, hi, omega)
        v = hi / hi.norm(dim=-1, keepdim=True)
        u = (Wp @ v.unsqueeze(-1)).squeeze(-1)
        pert.append((u, v))
        g = g + (h @ v.unsqueeze(-1)) * u.unsqueeze(1)                 # all samples, perturbed
        flips.append(((g >= 0) != D0[l]).sum(-1))
        h = torch.relu(g)
    return pert, torch.stack(flips, -1)                                   # [K, n, L]


@pytest.mark.parametrize("m", [1024, 2048])
def test_sign_flip_search_per_step(benchmark, m):
    """Adversarial sign-flip search (AZLS-DNN Step 2a, float64 as that claim needs),
    K = 16 (m = 1024) / 4 trials, n = 16, L = 4: time per layer step.  GFLOP/s counts
    the forward GEMMs; the step also sorts |g| and forms the dense rank-one W'."""
    dt = torch.float64
    K, L, n, d = (16 if m == 1024 else 4), 4, 16, 4
    net = FCNet(m, L, d, trials=K, seed=0, dtype=dt, device=DEVICE)
    x, _ = _fc_data(n, d, d, dt)
    flops = 2 * K * n * m * m * 2 * L + 2 * K * m * m * L
    _run(benchmark, _sequential_attack, args=(net, x, 0.01), m=m, dtype=dt, flops=flops, rounds=3,
         K=K, L=L, n=n)
    t = benchmark.extra_info["seconds"]
    benchmark.extra_info["seconds_per_step"] = t / L
    print(f"  -> {t / L * 1e3:.1f} ms per layer step")


@pytest.mark.parametrize("dtype", list(DTYPES))
@pytest.mark.parametrize("m", [512, 1024, 2048])
def test_gd_per_step(benchmark, m, dtype):
    """``ovpmodel.train`` GD (AZLS-DNN Theorem 1 setting), K = 4 trials, L = 4, n = 16,
    20 steps, statistics recorded at the first and last step (incl. the spectral
    distance): time per step; GFLOP/s counts the forward + backward GEMMs of a step."""
    dt = DTYPES[dtype]
    K, L, n, d, T = 4, 4, 16, 8, 20
    net = FCNet(m, L, d, trials=K, seed=0, dtype=dt, device=DEVICE)
    x, y = _fc_data(n, d, d, dt)
    flops = T * (2 * K * n * m * m * (3 * L - 1))
    _run(benchmark, train, args=(net, x, y), kwargs=dict(steps=T, eta_times_m=1.0, record_every=T),
         m=m, dtype=dt, flops=flops, rounds=2, interleave=1, K=K, L=L, n=n, steps=T)
    t = benchmark.extra_info["seconds"]
    benchmark.extra_info["seconds_per_step"] = t / T
    print(f"  -> {t / T * 1e3:.1f} ms per GD step")
