"""The deep ReLU network of Zou, Cao, Zhou, Gu with logistic loss.

Source: ``papers/zou-cao-zhou-gu-deep-relu-gd.txt`` (ZCZG), Sec. 3 (network,
Gaussian initialisation, "Calculations" gradient), Assumption 4.3 (widths).

Network::

    x_{0,i} = x_i,  x_{l,i} = sigma(W_l^T x_{l-1,i}),  f_W(x_i) = v^T x_{L,i}
    Sigma_{l,i} = Diag(1[W_l^T x_{l-1,i} > 0])          (strict inequality)
    L_S(W) = (1/n) sum_i ell(y_i f_W(x_i)),  ell(z) = log(1 + e^{-z})   (a *mean*)

with ``W_l in R^{m_{l-1} x m_l}``, ``m_0 = d``, each column ``w_{l,j} ~ N(0, (2/m_l) I)``,
and a fixed output ``v in {+1,-1}^{m_L}`` (first half +1, second half -1).  All
``W_1..W_L`` are trained (including the first layer).  Assumption 4.3 requires
``max_l m_l <= 2 min_l m_l`` over the hidden widths; it is enforced.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from ._base import Trace, as_batched_input
from ._checks import check_positive_int, make_generator, resolve_device, resolve_dtype

__all__ = ["ZCZGNet"]


class ZCZGNet:
    """Trial-batched ZCZG network; ``W0`` is a tuple of ``[K, m_{l-1}, m_l]`` tensors.

    ``widths`` are the hidden widths ``(m_1, ..., m_L)``; a single int ``m`` with
    ``L`` gives equal widths.
    """

    family = "zczg"

    def __init__(self, widths, d: int, *, L: int | None = None, trials: int = 1, seed=None,
                 generator=None, device=None, dtype=None, check_widths: bool = True):
        if isinstance(widths, int):
            if L is None:
                raise ValueError("give L= when widths is a single int")
            widths = (widths,) * check_positive_int("L", L)
        widths = tuple(check_positive_int(f"widths[{i}]", w) for i, w in enumerate(widths))
        if not widths:
            raise ValueError("widths must name at least one hidden layer (L >= 1)")
        if check_widths and max(widths) > 2 * min(widths):
            raise ValueError(f"widths {widths} violate ZCZG Assumption 4.3: max m_l <= 2 min m_l")
        if widths[-1] % 2:
            raise ValueError(f"the last width m_L={widths[-1]} must be even (v is half +1, half -1)")
        self.widths, self.L = widths, len(widths)
        self.d = check_positive_int("d", d)
        self.trials = check_positive_int("trials", trials)
        self.device, self.dtype = resolve_device(device), resolve_dtype(dtype)
        if (seed is None) == (generator is None):
            raise ValueError("give exactly one of seed= or generator=")
        gen = generator if generator is not None else make_generator(seed, self.device)
        dims = (self.d,) + widths
        self.W0 = tuple(
            torch.randn((self.trials, dims[l], dims[l + 1]), generator=gen, device=self.device,
                        dtype=self.dtype) * math.sqrt(2.0 / dims[l + 1])
            for l in range(self.L))
        half = widths[-1] // 2
        self.v = torch.cat([torch.ones(half), -torch.ones(half)]).to(self.device, self.dtype)

    @property
    def m(self) -> int:
        """``m = min_l m_l`` (Assumption 4.3 notation)."""
        return min(self.widths)

    def _weights(self, W):
        if W is None:
            return self.W0
        if (not isinstance(W, (tuple, list)) or len(W) != self.L
                or any(tuple(a.shape) != tuple(b.shape) for a, b in zip(W, self.W0))):
            raise ValueError(f"W must be a tuple of {self.L} tensors shaped like ZCZGNet.W0 "
                             f"{[tuple(w.shape) for w in self.W0]}")
        return tuple(W)

    def trace(self, x, W=None) -> Trace:
        """Forward trace: tuples of ``[K, n, m_l]`` (``g = W_l^T x_{l-1}``, ``h = x_l``,
        ``D = 1[g > 0]``); ``out = f_W(x)`` of shape ``[K, n]``."""
        W = self._weights(W)
        h = as_batched_input("x", x, self.trials, 1, self.d, self.dtype, self.device)
        gs, hs = [], []
        for Wl in W:
            g = torch.matmul(h, Wl)
            h = torch.relu(g)
            gs.append(g)
            hs.append(h)
        return Trace(g=tuple(gs), h=tuple(hs), D=tuple(g > 0 for g in gs), out=h @ self.v)

    def forward(self, x, W=None) -> torch.Tensor:
        return self.trace(x, W).out

    def loss(self, x, y, W=None) -> torch.Tensor:
        """``L_S(W) = mean_i log(1 + exp(-y_i f_W(x_i)))`` per trial, ``[K]``."""
        x, y = self.expand_data(x, y)
        return F.softplus(-y * self.forward(x, W)).mean(dim=-1)

    def expand_data(self, x, y):
        """``(x [K, n, d], y [K, n])`` from shared or per-trial data (validated)."""
        x = as_batched_input("x", x, self.trials, 1, self.d, self.dtype, self.device)
        y = self._labels(y)
        if y.ndim == 1:
            y = y.unsqueeze(0).expand(self.trials, -1)
        if y.shape != x.shape[:2]:
            raise ValueError(f"y must have shape [n] or [K, n] matching x {tuple(x.shape[:2])}, got {tuple(y.shape)}")
        return x, y

    def _labels(self, y):
        if not isinstance(y, torch.Tensor):
            raise TypeError("y must be a tensor of labels in {+1, -1}")
        y = y.to(self.device, self.dtype)
        if not bool(((y == 1) | (y == -1)).all()):
            raise ValueError("y must contain only labels +1 and -1 (ZCZG Sec. 3)")
        return y

    def grad(self, x, y, W=None):
        """Loss ``[K]`` and autograd gradients (tuple like ``W``)."""
        W = tuple(w.detach().requires_grad_(True) for w in self._weights(W))
        with torch.enable_grad():
            Ls = self.loss(x, y, W)
            G = torch.autograd.grad(Ls.sum(), W)
        return Ls.detach(), G

    def grad_formula(self, x, y, W=None):
        """ZCZG Sec. 3 "Calculations"::

            grad_{W_l} L_S = (1/n) sum_i ell'(y_i yhat_i) y_i x_{l-1,i} v^T (prod_{r=l+1}^L Sigma_{r,i} W_r^T) Sigma_{l,i}

        with ``ell'(z) = -1/(1+e^z)``.  The row factor is propagated backwards.
        """
        W = self._weights(W)
        tr = self.trace(x, W)
        y = self._labels(y)
        xin = as_batched_input("x", x, self.trials, 1, self.d, self.dtype, self.device)
        n = xin.shape[1]
        coef = -torch.sigmoid(-y * tr.out) * y / n                # ell'(y yhat) y / n, [K, n]
        row = self.v.expand(self.trials, n, -1)                   # v^T ... as rows [K, n, m_L]
        G = [None] * self.L
        for l in range(self.L - 1, -1, -1):
            r = row * tr.D[l].to(self.dtype)                      # ... Sigma_{l,i}
            prev = xin if l == 0 else tr.h[l - 1]
            G[l] = torch.matmul((prev * coef.unsqueeze(-1)).transpose(-1, -2), r)
            row = torch.matmul(r, W[l].transpose(-1, -2))         # ... W_l^T
        return tuple(G)
