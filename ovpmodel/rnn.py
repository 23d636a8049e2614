"""The Elman ReLU recurrent network of both RNN papers.

Sources: ``papers/allen-zhu-li-song-rnn-convergence.txt`` (AZLS-RNN), Sec. 2.1
(network, Def. 2.2 masks, Def. 2.3 initialisation, Fact 2.5 gradient) and
``papers/allen-zhu-li-rnn-generalization-full.txt`` (AZL-RNN), Sec. 3 (same
recurrence; a trained shift ``W'`` and output scale ``lambda``).

Recurrence (``h_{i,0} = 0``)::

    g_{i,l} = W h_{i,l-1} + A x_{i,l},  h_{i,l} = phi(g_{i,l}),  y_{i,l} = B h_{i,l}
    D_{i,l} = diag(1[(g_{i,l})_k >= 0])
    f(W) = sum_i 1/2 sum_{l=2}^{L} ||B h_{i,l} - y*_{i,l}||^2     (AZLS-RNN; the l = 1 term
                                                                does not depend on W)

``W in R^{m x m}`` and ``A in R^{m x d_x}`` entries ``N(0, 2/m)``, ``B in R^{d x m}`` entries
``N(0, 1/d)``; only ``W`` is trained.  Note the paper's typo (Def. 2.2 writes
``h = D W h``; the correct form is ``h_{i,l} = D_{i,l} g_{i,l}``), see CLAIMS.md (b.2).
"""

from __future__ import annotations

import math

import torch

from ._base import Trace, as_batched_input
from ._checks import check_positive_int, make_generator, resolve_device, resolve_dtype
from .linalg import Diag, ProductOperator

__all__ = ["ElmanRNN"]


class ElmanRNN:
    """Trial-batched Elman RNN: ``A [K,m,d_x]``, ``W0 [K,m,m]``, ``B [K,d,m]``.

    ``loss_from`` is the first time step of the loss (2 in AZLS-RNN, 3 in AZL-RNN);
    ``output_scale`` is AZL-RNN's ``lambda`` (1 in AZLS-RNN).
    """

    family = "rnn"

    def __init__(self, m: int, d_x: int, d: int, *, trials: int = 1, seed=None, generator=None,
                 device=None, dtype=None, loss_from: int = 2, output_scale: float = 1.0):
        self.m = check_positive_int("m", m)
        self.d_x = check_positive_int("d_x", d_x)
        self.d = check_positive_int("d", d)
        self.trials = check_positive_int("trials", trials)
        self.loss_from = check_positive_int("loss_from", loss_from)
        self.output_scale = float(output_scale)
        self.device, self.dtype = resolve_device(device), resolve_dtype(dtype)
        if (seed is None) == (generator is None):
            raise ValueError("give exactly one of seed= or generator=")
        gen = generator if generator is not None else make_generator(seed, self.device)
        K, dev, dt = self.trials, self.device, self.dtype
        rn = lambda shape, var: torch.randn(shape, generator=gen, device=dev, dtype=dt) * math.sqrt(var)
        self.W0 = rn((K, m, m), 2.0 / m)
        self.A = rn((K, m, d_x), 2.0 / m)
        self.B = rn((K, d, m), 1.0 / d)

    def _weights(self, W):
        if W is None:
            return self.W0
        if not isinstance(W, torch.Tensor) or tuple(W.shape) != tuple(self.W0.shape):
            raise ValueError(f"W must be a tensor of shape {tuple(self.W0.shape)} [K, m, m]")
        return W

    def _input(self, x):
        return as_batched_input("x", x, self.trials, 2, self.d_x, self.dtype, self.device)

    def trace(self, x, W=None) -> Trace:
        """``x``: ``[n, L, d_x]`` or ``[K, n, L, d_x]``.  Returns ``g, h, D`` of shape
        ``[K, L, n, m]`` (time step ``l`` at index ``l-1``) and ``out = B h`` ``[K, L, n, d]``
        (unscaled by ``output_scale``)."""
        x = self._input(x)
        W = self._weights(W)
        K, n, L = x.shape[0], x.shape[1], x.shape[2]
        Ax = torch.matmul(x, self.A.unsqueeze(1).transpose(-1, -2))   # [K, n, L, m]
        g = torch.empty((K, L, n, self.m), device=self.device, dtype=self.dtype)
        hs = []
        h = None
        Wt = W.transpose(-1, -2)
        for l in range(L):
            g_l = Ax[:, :, l] if h is None else Ax[:, :, l] + torch.matmul(h, Wt)
            g[:, l] = g_l
            h = torch.relu(g_l)
            hs.append(h)
        H = torch.stack(hs, dim=1)
        return Trace(g=g, h=H, D=g >= 0, out=torch.matmul(H, self.B.unsqueeze(1).transpose(-1, -2)))

    def forward(self, x, W=None) -> torch.Tensor:
        """Outputs ``B h_{i,l}`` for all steps, ``[K, L, n, d]`` (differentiable in W)."""
        x = self._input(x)
        W = self._weights(W)
        Ax = torch.matmul(x, self.A.unsqueeze(1).transpose(-1, -2))
        h, outs, Wt = None, [], W.transpose(-1, -2)
        for l in range(x.shape[2]):
            g = Ax[:, :, l] if h is None else Ax[:, :, l] + torch.matmul(h, Wt)
            h = torch.relu(g)
            outs.append(torch.matmul(h, self.B.transpose(-1, -2)))
        return torch.stack(outs, dim=1)

    def expand_data(self, x, y_star):
        """``(x [K, n, L, d_x], y* [K, n, L, d])`` from shared or per-trial data."""
        x = self._input(x)
        y = as_batched_input("y_star", y_star, self.trials, 2, self.d, self.dtype, self.device)
        if y.shape[1:3] != x.shape[1:3]:
            raise ValueError(f"y_star must have n={x.shape[1]} sequences of L={x.shape[2]} steps, got {tuple(y.shape)}")
        return x, y

    def _targets(self, y_star, L):
        y = as_batched_input("y_star", y_star, self.trials, 2, self.d, self.dtype, self.device)
        if y.shape[2] != L:
            raise ValueError(f"y_star must have {L} time steps like x, got {y.shape[2]}")
        return y.transpose(1, 2)                                   # [K, L, n, d]

    def loss(self, x, y_star, W=None) -> torch.Tensor:
        """``f(W) = sum_i 1/2 sum_{l >= loss_from} ||lambda B h_{i,l} - y*_{i,l}||^2``, ``[K]``."""
        out = self.output_scale * self.forward(x, W)
        y = self._targets(y_star, out.shape[1])
        s = self.loss_from - 1
        return 0.5 * ((out[:, s:] - y[:, s:]) ** 2).sum(dim=(1, 2, 3))

    def grad(self, x, y_star, W=None):
        W = self._weights(W).detach().requires_grad_(True)
        with torch.enable_grad():
            f = self.loss(x, y_star, W)
            (G,) = torch.autograd.grad(f.sum(), W)
        return f.detach(), G

    def back_operator(self, tr: Trace, l: int, a: int, W=None) -> ProductOperator:
        """``Back_{i,l->a} = B D_{i,a} W ... D_{i,l+1} W`` (AZLS-RNN Fact 2.5; excludes step l),
        ``Back_{i,l->l} = B``; implicit ``R^m -> R^d`` operator batched over ``[K, n]``."""
        W = self._weights(W)
        L = tr.g.shape[1]
        if not 1 <= l <= a <= L:
            raise ValueError(f"need 1 <= l <= a <= L={L}, got l={l}, a={a}")
        n = tr.g.shape[2]
        factors = [self.B.unsqueeze(1).expand(-1, n, -1, -1)]
        for c in range(a, l, -1):
            factors += [Diag(tr.D[:, c - 1].to(self.dtype)), W.unsqueeze(1)]
        return ProductOperator(factors)

    def interval_operator(self, tr: Trace, l1: int, l2: int, W=None) -> ProductOperator:
        """``W D_{i,l1} W ... D_{i,l2} W`` (AZLS-RNN eq. (4.4), read as alternating), ``l1 >= l2``."""
        W = self._weights(W)
        L = tr.g.shape[1]
        if not 1 <= l2 <= l1 <= L:
            raise ValueError(f"need 1 <= l2 <= l1 <= L={L}, got l1={l1}, l2={l2}")
        factors = [W.unsqueeze(1)]
        for c in range(l1, l2 - 1, -1):
            factors += [Diag(tr.D[:, c - 1].to(self.dtype)), W.unsqueeze(1)]
        return ProductOperator(factors)

    def grad_formula(self, x, y_star, W=None) -> torch.Tensor:
        """AZLS-RNN Fact 2.5 (CLAIMS.md (b.2))::

            grad f(W) = sum_i sum_{a>=2} sum_{l=1}^{a-1} D_{i,l+1} (Back_{i,l+1->a}^T loss_{i,a}) h_{i,l}^T

        evaluated by backpropagation through time with the recorded masks; loss
        terms start at ``loss_from``.
        """
        W = self._weights(W)
        tr = self.trace(x, W)
        L = tr.g.shape[1]
        lam = self.output_scale
        y = self._targets(y_star, L)
        loss = lam * tr.out - y                                   # [K, L, n, d]
        G = torch.zeros_like(W)
        u = torch.zeros_like(tr.h[:, 0])                           # running sum_a Back^T loss_a at step l+1
        for s in range(L, 1, -1):                                  # s = l + 1 (1-based)
            if s >= self.loss_from:
                u = u + lam * torch.matmul(loss[:, s - 1], self.B)
            du = tr.D[:, s - 1].to(self.dtype) * u                # D_{i,s} (...)
            G += torch.matmul(du.transpose(-1, -2), tr.h[:, s - 2])
            u = torch.matmul(du, W)                                # propagate to step s-1
        return G
