"""Gradient descent and mini-batch SGD on the papers' objectives, with the
trajectory statistics the convergence theorems speak about.

Sources: AZLS-DNN Theorems 1 and 2 (``papers/allen-zhu-li-song-dnn-convergence.txt``;
GD ``W <- W - eta grad F(W)``, SGD with an unbiased mini-batch estimate
``(n/b) sum_{i in S} grad F_i``, step sizes ``eta = Theta(d delta / (poly(n,L) m))``),
AZLS-RNN Theorems 1 and 2, ZCZG Algorithm 1 (GD on the mean logistic loss).
Step sizes are given as ``eta`` directly; ``eta_times_m`` expresses the papers'
``eta proportional to 1/m`` scaling (``eta = eta_times_m / m``).

Recorded per recorded step (``K`` trials): loss ``[K]``, ``||grad F||_F`` ``[K]``,
per-layer ``||W_l - W_l^(0)||_2`` and ``||.||_F`` ``[K, L]``, and the number of
ReLU sign changes relative to initialisation summed over samples and layers ``[K]``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import torch

from ._checks import check_finite, check_positive_int, make_generator
from .linalg import spectral_norm

__all__ = ["TrainRecord", "train", "layer_list", "STATS"]

#: the trajectory statistics :func:`train` can record (``TrainRecord`` fields)
STATS = ("loss", "grad_norm", "dist_spec", "dist_fro", "sign_changes")


def layer_list(W) -> list[torch.Tensor]:
    """The trainable weights as a list of ``[K, p, q]`` matrices, one per layer."""
    if isinstance(W, (tuple, list)):
        out = []
        for w in W:
            out.extend(layer_list(w))
        return out
    if W.ndim == 3:
        return [W]
    if W.ndim == 4:
        return list(W.unbind(dim=1))
    if W.ndim == 5:   # conv kernels [K, L', c_out, c_in, q]: view each layer as c_out x (c_in q)
        return [w.reshape(w.shape[0], w.shape[1], -1) for w in W.unbind(dim=1)]
    raise ValueError(f"unsupported weight shape {tuple(W.shape)}")


def _map(fn, *Ws):
    if isinstance(Ws[0], (tuple, list)):
        return type(Ws[0])(_map(fn, *ws) for ws in zip(*Ws))
    return fn(*Ws)


def _step_(W, G, eta: float) -> None:
    """``W <- W - eta * G`` in place (``G`` is overwritten by ``eta * G``): the same two roundings as
    ``W - eta * G``, without allocating a new set of weights each step."""
    if isinstance(W, (tuple, list)):
        for w, g in zip(W, G):
            _step_(w, g, eta)
    else:
        W.sub_(G.mul_(eta))


def _sum_sq(G) -> torch.Tensor:
    return sum((g.reshape(g.shape[0], -1) ** 2).sum(-1) for g in layer_list(G))


def _masks(tr):
    D = tr.D
    return tuple(D) if isinstance(D, (tuple, list)) else (D,)


@dataclass
class TrainRecord:
    """Trajectory statistics; every field is a tensor stacked over recorded steps."""

    steps: list = field(default_factory=list)
    loss: list = field(default_factory=list)
    grad_norm: list = field(default_factory=list)
    dist_spec: list = field(default_factory=list)
    dist_fro: list = field(default_factory=list)
    sign_changes: list = field(default_factory=list)

    def stacked(self) -> dict[str, torch.Tensor]:
        """``{"steps": [T], "loss": [T, K], "grad_norm": [T, K], "dist_spec": [T, K, L],
        "dist_fro": [T, K, L], "sign_changes": [T, K]}`` (spectral entries NaN where not computed;
        statistics that were not recorded, see ``train(stats=...)``, are absent)."""
        return {"steps": torch.tensor(self.steps), **{
            k: torch.stack(getattr(self, k)) for k in STATS if getattr(self, k)}}


def train(net, x: torch.Tensor, y: torch.Tensor, *, steps: int, eta: float | None = None,
          eta_times_m: float | None = None, batch_size: int | None = None,
          generator: torch.Generator | None = None, seed: int | None = None, W=None,
          record_every: int = 1, spectral_every: int | None = None,
          callback: Callable | None = None, stats=None):
    """Run GD (``batch_size=None``) or mini-batch SGD on ``net.loss`` from ``W`` (default ``net.W0``).

    SGD draws, independently per trial and step, a uniformly random subset of
    ``batch_size`` samples and steps along ``(n / b) sum_{i in S} grad F_i`` (unbiased
    for the sum-loss of AZLS; for a mean loss such as ZCZG's it is the mean over the
    batch).  Returns ``(W_final, TrainRecord)``.  ``spectral_every`` controls how often
    the per-layer spectral distance is computed (default: at every recorded step).
    ``callback(t, W, loss)`` is called after each recorded step (progress display; ``W`` is
    updated in place afterwards, so a callback that keeps it must copy it).
    ``stats`` names the statistics to record (a subset of :data:`STATS`; default all):
    the trajectory does not depend on it, only the cost of recording does (``grad_norm``
    needs a full-batch gradient at each recorded SGD step, ``sign_changes`` a forward
    pass, the distances the differences ``W - W0``). ``loss`` is always recorded.
    """
    steps = check_positive_int("steps", steps) if steps else 0
    stats = set(STATS) if stats is None else {"loss", *stats}
    if not stats <= set(STATS):
        raise ValueError(f"unknown stats {sorted(stats - set(STATS))}; choose from {STATS}")
    if (eta is None) == (eta_times_m is None):
        raise ValueError("give exactly one of eta= or eta_times_m=")
    if eta is None:
        eta = check_finite("eta_times_m", eta_times_m) / net.m
    eta = check_finite("eta", eta)
    if eta <= 0:
        raise ValueError(f"eta must be positive, got {eta}")
    record_every = check_positive_int("record_every", record_every)
    spectral_every = record_every if spectral_every is None else check_positive_int("spectral_every", spectral_every)
    n = net.expand_data(x, y)[0].shape[1]
    if batch_size is not None:
        batch_size = check_positive_int("batch_size", batch_size)
        if batch_size > n:
            raise ValueError(f"batch_size must be <= n={n}, got {batch_size}")
        if (seed is None) == (generator is None):
            raise ValueError("SGD needs its randomness: give exactly one of seed= or generator=")
        gen = generator if generator is not None else make_generator(seed, net.device)
    W0 = net.W0
    W = W0 if W is None else W
    W = _map(lambda w: w.detach().clone(), W)
    D0 = _masks(net.trace(x, W0)) if "sign_changes" in stats else None
    n_layers = len(layer_list(W0))
    rec = TrainRecord()
    K = net.trials
    mean_loss = net.family == "zczg"

    def record(t, loss, G):
        rec.steps.append(t)
        rec.loss.append(loss.detach().clone())
        if "grad_norm" in stats:
            rec.grad_norm.append(_sum_sq(G).sqrt())
        spec_now = "dist_spec" in stats and (t % spectral_every == 0 or t == steps)
        diffs = ([a - b for a, b in zip(layer_list(W), layer_list(W0))]
                 if "dist_fro" in stats or spec_now else None)
        if "dist_fro" in stats:
            rec.dist_fro.append(torch.stack([dw.reshape(K, -1).norm(dim=-1) for dw in diffs], dim=-1))
        if spec_now:
            # Lanczos to 1e-6 relative (a fixed start-vector seed keeps it deterministic);
            # a zero difference (step 0) has norm 0.
            dspec = []
            for dw in diffs:
                if bool((dw == 0).all()):
                    dspec.append(torch.zeros(K, dtype=dw.dtype, device=dw.device))
                else:
                    dspec.append(spectral_norm(dw, tol=1e-6, generator=make_generator(0, dw.device)))
            rec.dist_spec.append(torch.stack(dspec, dim=-1))
        elif "dist_spec" in stats:
            rec.dist_spec.append(torch.full((K, n_layers), float("nan"), dtype=loss.dtype, device=loss.device))
        if "sign_changes" in stats:
            with torch.no_grad():
                Dt = _masks(net.trace(x, W))
            rec.sign_changes.append(sum((a != b).reshape(K, -1).sum(-1) for a, b in zip(Dt, D0)))
        if callback is not None:
            callback(t, W, loss)

    for t in range(steps + 1):
        if batch_size is None:
            loss, G = net.grad(x, y, W)
            step_G = G
        else:
            loss = net.loss(x, y, W).detach()
            G = None
            idx = torch.rand((K, n), generator=gen, device=net.device).argsort(dim=1)[:, :batch_size]
            xk, yk = net.expand_data(x, y)
            xb, yb = _gather(xk, idx), _gather(yk, idx)
            _, Gb = net.grad(xb, yb, W)
            scale = 1.0 if mean_loss else n / batch_size
            step_G = _map(lambda g: g * scale, Gb)
        if t % record_every == 0 or t == steps:
            if G is None and "grad_norm" in stats:
                _, G = net.grad(x, y, W)
            record(t, loss, G)
        if not torch.isfinite(loss).all():
            break
        if t < steps:
            _step_(W, step_G, eta)
    return W, rec


def _gather(t: torch.Tensor, idx: torch.Tensor) -> torch.Tensor:
    """Select samples ``idx [K, b]`` along dim 1 of a per-trial tensor ``t [K, n, ...]``."""
    K, b = idx.shape
    ix = idx.reshape(K, b, *([1] * (t.ndim - 2))).expand(K, b, *t.shape[2:])
    return torch.gather(t, 1, ix)
