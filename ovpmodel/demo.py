"""Demo: build every network of the seed papers and print forward-norm and
sign-pattern statistics at initialisation.  ``python -m ovpmodel.demo [--m 1024]``.
"""

from __future__ import annotations

import argparse
import math
import sys
import time

import torch

from . import ConvNet, ElmanRNN, FCNet, ResNet, ZCZGNet


def _unit_inputs(n, d, gen, last=1 / math.sqrt(2)):
    z = torch.randn(n, d - 1, generator=gen, dtype=torch.float64)
    z = z / z.norm(dim=1, keepdim=True) * math.sqrt(1 - last ** 2)
    return torch.cat([z, torch.full((n, 1), last, dtype=torch.float64)], dim=1)


def _stats(name, hs, masks):
    norms = torch.cat([h.norm(dim=-1).flatten() for h in hs])
    active = torch.cat([m.to(torch.float64).mean(dim=-1).flatten() for m in masks])
    print(f"{name:<34} ||h||: min {norms.min():.3f}  mean {norms.mean():.3f}  max {norms.max():.3f}   "
          f"active fraction: {active.mean():.3f} (min {active.min():.3f}, max {active.max():.3f})")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--m", type=int, default=512, help="width (default 512)")
    p.add_argument("--L", type=int, default=4, help="depth / sequence length (default 4)")
    p.add_argument("--n", type=int, default=8, help="samples (default 8)")
    p.add_argument("--trials", type=int, default=4, help="independent initialisations (default 4)")
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args(argv)
    t0 = time.perf_counter()
    gen = torch.Generator().manual_seed(a.seed)
    d = 10
    x = _unit_inputs(a.n, d, gen)
    print(f"m={a.m} L={a.L} n={a.n} trials={a.trials} seed={a.seed}  (float64, cpu)")
    for cls, kw in ((FCNet, {}), (ResNet, {}), (ConvNet, {})):
        net = cls(a.m, a.L, d, trials=a.trials, seed=a.seed, **kw)
        tr = net.trace(x)
        hs = tr.h if isinstance(tr.h, tuple) else tr.h.unbind(1)
        ms = tr.D if isinstance(tr.D, tuple) else tr.D.unbind(1)
        _stats(f"AZLS-DNN {cls.__name__} (L+1 layers)", hs, ms)
    z = ZCZGNet(a.m, d, L=a.L, trials=a.trials, seed=a.seed)
    tr = z.trace(_unit_inputs(a.n, d, gen, last=0.5))
    _stats("ZCZG deep ReLU (mu=0.5)", tr.h, tr.D)
    rnn = ElmanRNN(a.m, d, 3, trials=a.trials, seed=a.seed)
    seq = torch.randn(a.n, a.L, d, generator=gen, dtype=torch.float64)
    seq = seq / seq.norm(dim=-1, keepdim=True)
    tr = rnn.trace(seq)
    _stats("Elman RNN (||x_l|| = 1)", tr.h.unbind(1), tr.D.unbind(1))
    print(f"done in {time.perf_counter() - t0:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
