"""The fully-connected deep ReLU network of Allen-Zhu, Li, Song and its variants.

Source: ``papers/allen-zhu-li-song-dnn-convergence.txt`` (AZLS-DNN), Sec. 2
(Def. 2.2 sign masks, Def. 2.3 initialisation, Fact 2.6 gradient), Sec. 5
(Theorem 6, CNN; Theorem 7, ResNet).

Network (Sec. 2)::

    g_{i,0} = A x_i,        h_{i,0} = phi(g_{i,0})
    g_{i,l} = W_l h_{i,l-1}, h_{i,l} = phi(g_{i,l})     l = 1..L
    y_i     = B h_{i,L}
    F(W)    = sum_i 1/2 ||B h_{i,L} - y*_i||^2        (a *sum* over samples)

with ``A in R^{m x d}``, ``W_l in R^{m x m}`` entries ``N(0, 2/m)`` and
``B in R^{d_out x m}`` entries ``N(0, 1/d_out)`` (the paper uses ``d_out = d``).
Only ``W_1..W_L`` are trained; ``A`` and ``B`` stay at initialisation.
``D_{i,l} = diag(1[(g_{i,l})_k >= 0])`` (Def. 2.2).

Trial batching: ``A`` is ``[K, m, d]``, the trainable weights are one tensor
``W`` of shape ``[K, L, m, m]``, ``B`` is ``[K, d_out, m]``.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from ._base import Trace, as_batched_input
from ._checks import (check_finite, check_positive_int, make_generator, resolve_device,
                      resolve_dtype)
from .linalg import Diag, ProductOperator

__all__ = ["FCNet", "ResNet", "ConvNet"]


def _gauss(shape, var, generator, device, dtype):
    return torch.randn(shape, generator=generator, device=device, dtype=dtype) * math.sqrt(var)


class FCNet:
    """Trial-batched fully-connected ReLU net of AZLS-DNN (Sec. 2, Def. 2.3).

    Parameters
    ----------
    m, L, d : width, number of trained layers, input dimension.
    d_out : output dimension (the paper's ``d``; defaults to ``d``).
    trials : number ``K`` of independent initialisations held at once.
    seed / generator : the randomness (exactly one source; ``seed`` builds a
        ``torch.Generator``).  The same seed gives identical weights.
    device, dtype : where and in which precision (default float64).

    Attributes ``A [K,m,d]``, ``W0 [K,L,m,m]`` (initial trainable weights) and
    ``B [K,d_out,m]``.  Methods take an explicit ``W`` (default ``W0``) so that
    perturbed or trained weights are evaluated with the same fixed ``A``, ``B``.
    """

    family = "fc"
    relu_ge = True  # D uses 1[g >= 0] (Def. 2.2)

    def __init__(self, m: int, L: int, d: int, d_out: int | None = None, *, trials: int = 1,
                 seed: int | None = None, generator: torch.Generator | None = None,
                 device=None, dtype=None):
        self.m = check_positive_int("m", m)
        self.L = check_positive_int("L", L)
        self.d = check_positive_int("d", d)
        self.d_out = check_positive_int("d_out", d if d_out is None else d_out)
        self.trials = check_positive_int("trials", trials)
        self.device = resolve_device(device)
        self.dtype = resolve_dtype(dtype)
        if (seed is None) == (generator is None):
            raise ValueError("give exactly one of seed= or generator= (all randomness is explicit)")
        gen = generator if generator is not None else make_generator(seed, self.device)
        self._init_weights(gen)

    # -- initialisation -------------------------------------------------------------
    def _init_weights(self, gen):
        K, m, L, d, dev, dt = self.trials, self.m, self.L, self.d, self.device, self.dtype
        self.A = _gauss((K, m, d), 2.0 / m, gen, dev, dt)
        self.W0 = _gauss((K, L, m, m), 2.0 / m, gen, dev, dt)
        self.B = _gauss((K, self.d_out, m), 1.0 / self.d_out, gen, dev, dt)

    # -- forward --------------------------------------------------------------------
    def _input(self, x):
        return as_batched_input("x", x, self.trials, 1, self.d, self.dtype, self.device)

    def expand_data(self, x, y_star):
        """``(x [K, n, d], y* [K, n, d_out])`` from shared or per-trial data (validated)."""
        x = self._input(x)
        y = as_batched_input("y_star", y_star, self.trials, 1, self.d_out, self.dtype, self.device)
        if y.shape[1] != x.shape[1]:
            raise ValueError(f"y_star has {y.shape[1]} samples but x has {x.shape[1]}")
        return x, y

    def _weights(self, W):
        if W is None:
            return self.W0
        if not isinstance(W, torch.Tensor) or tuple(W.shape) != tuple(self.W0.shape):
            raise ValueError(f"W must be a tensor of shape {tuple(self.W0.shape)} [K, L, m, m], "
                             f"got {getattr(W, 'shape', type(W).__name__)}")
        return W

    def _layer(self, W_l, h):
        """Pre-activation of trained layer l: ``g = W_l h`` for all samples, ``[K,n,m]``."""
        return torch.matmul(h, W_l.transpose(-1, -2))

    def trace(self, x: torch.Tensor, W: torch.Tensor | None = None) -> Trace:
        """Forward pass recording ``g, h, D`` for layers ``0..L`` (layer 0 is ``A x``).

        ``x``: ``[n, d]`` or ``[K, n, d]``.  Returns a :class:`Trace` with ``g, h, D`` of
        shape ``[K, L+1, n, m]`` and ``out = B h_L`` of shape ``[K, n, d_out]``.
        """
        x = self._input(x)
        W = self._weights(W)
        g = torch.empty((self.trials, self.L + 1, x.shape[1], self.m), device=self.device, dtype=self.dtype)
        g[:, 0] = torch.matmul(x, self.A.transpose(-1, -2))
        h = torch.relu(g[:, 0])
        hs = [h]
        for l in range(1, self.L + 1):
            g[:, l] = self._layer_pre(W[:, l - 1], h)
            h = torch.relu(g[:, l])
            hs.append(h)
        H = torch.stack(hs, dim=1)
        D = g >= 0
        return Trace(g=g, h=H, D=D, out=torch.matmul(H[:, -1], self.B.transpose(-1, -2)))

    def _layer_pre(self, W_l, h):
        """Pre-activation of a trained layer from its weight ``W_l [K, m, m]``."""
        return self._layer(W_l, h)

    def forward(self, x: torch.Tensor, W: torch.Tensor | None = None) -> torch.Tensor:
        """Outputs ``y_i = B h_{i,L}``, ``[K, n, d_out]`` (differentiable in ``W``)."""
        x = self._input(x)
        W = self._weights(W)
        h = torch.relu(torch.matmul(x, self.A.transpose(-1, -2)))
        # one view per layer via unbind: autograd's backward then STACKS the L layer
        # gradients once, where W[:, l - 1] would scatter each into its own zero-filled
        # [K, L, m, m] tensor (L full-size allocations; 3x slower backward at m = 1024)
        for l, W_l in enumerate(W.unbind(1), start=1):
            h = torch.relu(self._layer_pre(W_l, h))
        return torch.matmul(h, self.B.transpose(-1, -2))

    def loss(self, x, y_star, W=None) -> torch.Tensor:
        """``F(W) = sum_i 1/2 ||B h_{i,L} - y*_i||^2`` per trial, ``[K]`` (AZLS-DNN Sec. 2)."""
        x, y_star = self.expand_data(x, y_star)
        out = self.forward(x, W)
        return 0.5 * ((out - y_star) ** 2).sum(dim=(-1, -2))

    def grad(self, x, y_star, W=None) -> tuple[torch.Tensor, torch.Tensor]:
        """Loss ``[K]`` and its autograd gradient w.r.t. ``W`` (same shape as ``W``)."""
        W = self._weights(W).detach().requires_grad_(True)
        with torch.enable_grad():
            F_ = self.loss(x, y_star, W)
            (G,) = torch.autograd.grad(F_.sum(), W)
        return F_.detach(), G

    # -- closed forms and implicit operators ---------------------------------------------
    def back_operator(self, tr: Trace, l: int, W: torch.Tensor | None = None) -> ProductOperator:
        """``Back_{i,l} = B D_{i,L} W_L ... D_{i,l} W_l`` (AZLS-DNN Fact 2.6) as an implicit
        operator ``R^m -> R^{d_out}``, batched over ``[K, n]``.  ``l in 1..L+1``;
        ``Back_{i,L+1} = B``.  ``tr`` must be the trace at the same ``W``.
        """
        W = self._weights(W)
        if not 1 <= l <= self.L + 1:
            raise ValueError(f"l must lie in [1, L+1] = [1, {self.L + 1}], got {l}")
        n = tr.g.shape[2]
        factors = [self.B.unsqueeze(1).expand(-1, n, -1, -1)]
        for a in range(self.L, l - 1, -1):
            factors += [Diag(tr.D[:, a].to(self.dtype)), W[:, a - 1].unsqueeze(1)]
        return ProductOperator(factors)

    def interval_operator(self, tr: Trace, a: int, b: int, W: torch.Tensor | None = None) -> ProductOperator:
        """``D_{i,a} W_a ... D_{i,b} W_b`` (AZLS-DNN Sec. 4, Step 1), ``1 <= b <= a <= L``,
        as an implicit ``m x m`` operator batched over ``[K, n]``."""
        W = self._weights(W)
        if not 1 <= b <= a <= self.L:
            raise ValueError(f"need 1 <= b <= a <= L={self.L}, got a={a}, b={b}")
        factors = []
        for c in range(a, b - 1, -1):
            factors += [Diag(tr.D[:, c].to(self.dtype)), W[:, c - 1].unsqueeze(1)]
        return ProductOperator(factors)

    def interval_spectral_norms(self, tr: Trace, W: torch.Tensor | None = None, *, tol: float = 1e-6,
                                generator: torch.Generator, samples=None, deflate: bool = True,
                                return_info: bool = False):
        """``||D_{i,a} W_a ... D_{i,b} W_b||_2`` for all ``1 <= b <= a <= L`` (AZLS-DNN Sec. 4,
        Step 1), ``[K, n', L, L]`` indexed ``[..., a-1, b-1]`` (NaN where ``a < b``).

        All ``P = L(L+1)/2`` intervals (and all trials and samples) form ONE batched
        implicit operator: a matvec sweeps the layers ``c = 1..L`` once and applies
        ``D_c W_c`` to the vectors of every interval that contains ``c`` -- one fat
        ``[m, m] x [m, n P_c]`` product per layer instead of thin matrix-vector
        products -- and one batched Lanczos run (:func:`ovpmodel.linalg.spectral_norm`,
        relative tolerance ``tol``) gives every norm.  No product is formed.
        ``samples`` (a list of sample indices) restricts the samples.

        With ``deflate`` (default) an interval leaves the batch once it has converged
        for every trial and sample (``spectral_norm(deflate=True)``): long intervals,
        the expensive ones, have a large spectral gap and converge in few steps.  Each
        value then meets the stopping rule at its own last step, so it agrees with
        ``deflate=False`` to about ``tol`` relative, not bit for bit.
        ``return_info`` also returns the info dict of :func:`ovpmodel.linalg.spectral_norm`
        with ``steps``/``converged``/``rel_err`` as ``[K, n', L, L]`` tensors (like the
        norms) and ``pairs``, the list of intervals ``(a, b)`` in batch order.
        """
        from .linalg import LinearOperator, spectral_norm
        W = self._weights(W)
        K, L, m = self.trials, self.L, self.m
        D = tr.D[:, 1:].to(self.dtype)                              # [K, L, n, m]
        if samples is not None:
            D = D[:, :, list(samples)]
        n = D.shape[2]
        Dc = D.unsqueeze(3)                                         # [K, L, n, 1, m]
        Wt = W.mT                                                   # g = h W^T (row layout)
        pairs = [(a, b) for a in range(1, L + 1) for b in range(1, a + 1)]
        a_all = torch.tensor([a for a, _ in pairs])
        b_all = torch.tensor([b for _, b in pairs])

        def make(sel):
            """The operator on the intervals ``sel`` (indices into ``pairs``), batch ``[K, n, P']``."""
            a_t, b_t = a_all[sel], b_all[sel]
            P = sel.numel()
            members = [torch.nonzero((b_t <= c) & (c <= a_t)).flatten().to(self.device) for c in range(1, L + 1)]

            def sweep(V, transpose):
                # vectors in row layout [K, n, P, r, m] (a view for r = 1): each layer is ONE
                # [K, n Pc r, m] x [m, m] GEMM over the intervals containing it
                X = V.transpose(-1, -2).contiguous()
                if X.data_ptr() == V.data_ptr():
                    X = X.clone()
                r = X.shape[3]
                for c in (range(L, 0, -1) if transpose else range(1, L + 1)):
                    idx = members[c - 1]
                    if idx.numel() == 0:
                        continue
                    Xc = X.index_select(2, idx)                     # [K, n, Pc, r, m]
                    Pc = idx.numel()
                    if transpose:
                        Xc = Xc.mul_(Dc[:, c - 1].unsqueeze(3))
                        Y = torch.bmm(Xc.reshape(K, -1, m), W[:, c - 1])
                    else:
                        Y = torch.bmm(Xc.reshape(K, -1, m), Wt[:, c - 1])
                        Y = Y.view(K, n, Pc, r, m).mul_(Dc[:, c - 1].unsqueeze(3))
                    X.index_copy_(2, idx, Y.view(K, n, Pc, r, m))
                return X.transpose(-1, -2)

            def deflate(done):
                live = ~done.reshape(K * n, P).all(0)               # an interval leaves when done everywhere
                if bool(live.all()):
                    return None
                kp = live.nonzero().flatten()
                keep = (torch.arange(K * n).unsqueeze(1) * P + kp.unsqueeze(0)).flatten()
                return make(sel[kp]), keep

            return LinearOperator.from_functions(lambda V: sweep(V, False), lambda U: sweep(U, True), (m, m),
                                                 (K, n, P), self.dtype, self.device,
                                                 deflate=deflate if deflate_ else None)

        deflate_ = bool(deflate)
        op = make(torch.arange(len(pairs)))
        sig, info = spectral_norm(op, tol=tol, generator=generator, deflate=deflate_,
                                  return_info=True)                  # [K, n, P]
        out = torch.full((K, n, L, L), float("nan"), dtype=self.dtype, device=self.device)
        out[:, :, a_all - 1, b_all - 1] = sig
        if not return_info:
            return out
        for key in ("steps", "converged", "rel_err"):
            t = info[key]
            full = torch.zeros((K, n, L, L), dtype=t.dtype)
            full[:, :, a_all - 1, b_all - 1] = t
            info[key] = full
        info["pairs"] = pairs
        return out, info

    def grad_formula(self, x, y_star, W=None) -> torch.Tensor:
        """Closed-form gradient of AZLS-DNN Fact 2.6, ``[K, L, m, m]``::

            grad_{W_l} F = sum_i D_{i,l} (Back_{i,l+1}^T loss_i) h_{i,l-1}^T,
            loss_i = B h_{i,L} - y*_i,  Back_{i,L+1} = B.

        Computed by back-substitution with the sign masks of the trace (no autograd).
        """
        W = self._weights(W)
        tr = self.trace(x, W)
        y_star = as_batched_input("y_star", y_star, self.trials, 1, self.d_out, self.dtype, self.device)
        loss = tr.out - y_star                                   # [K, n, d_out]
        u = torch.matmul(loss, self.B)                           # Back_{i,L+1}^T loss_i  [K, n, m]
        G = torch.empty_like(W)
        for l in range(self.L, 0, -1):
            du = tr.D[:, l].to(self.dtype) * u                   # D_{i,l} Back_{i,l+1}^T loss_i
            G[:, l - 1] = torch.matmul(du.transpose(-1, -2), tr.h[:, l - 1])
            u = torch.matmul(du, W[:, l - 1])                    # Back_{i,l}^T loss_i
        return G


class ResNet(FCNet):
    """Residual variant of AZLS-DNN Theorem 7 (Sec. 5, "Residual neural networks"):
    ``h_0 = phi(A x)``, ``h_l = phi(h_{l-1} + W_l h_{l-1})``, ``y = B h_L``.

    The paper's initialisation is "appropriately chosen" and specified only in
    Appendix J, which is not in the file.  We take ``A`` and ``B`` as in Def. 2.3 and
    the residual branch ``W_l`` with entries ``N(0, branch_var/m)``; ``branch_var``
    defaults to ``1/L**2`` (a small branch so that the depth does not blow the norm
    up); CLAIMS.md suggests sweeping ``branch_var in {2, 2/L, 1/L^2}``.  This is an
    assumption of this project, not the paper's statement.
    ``D_{i,l} = diag(1[h_{i,l-1} + W_l h_{i,l-1} >= 0])``.
    """

    family = "resnet"

    def __init__(self, m, L, d, d_out=None, *, branch_var: float | None = None, **kw):
        L_ = check_positive_int("L", L)
        bv = 1.0 / L_ ** 2 if branch_var is None else check_finite("branch_var", branch_var)
        if bv <= 0:
            raise ValueError(f"branch_var must be positive, got {bv}")
        self.branch_var = bv
        super().__init__(m, L, d, d_out, **kw)

    def _init_weights(self, gen):
        K, m, L, d, dev, dt = self.trials, self.m, self.L, self.d, self.device, self.dtype
        self.A = _gauss((K, m, d), 2.0 / m, gen, dev, dt)
        self.W0 = _gauss((K, L, m, m), self.branch_var / m, gen, dev, dt)
        self.B = _gauss((K, self.d_out, m), 1.0 / self.d_out, gen, dev, dt)

    def _layer_pre(self, W_l, h):
        return h + self._layer(W_l, h)

    def back_operator(self, tr, l, W=None):
        raise NotImplementedError("Back operators of the residual net are (I + W_l) products; "
                                  "use autograd (ResNet.grad) instead")

    interval_operator = back_operator

    def grad_formula(self, x, y_star, W=None):
        """Closed form by back-substitution with ``d g_l / d h_{l-1} = I + W_l``."""
        W = self._weights(W)
        tr = self.trace(x, W)
        y_star = as_batched_input("y_star", y_star, self.trials, 1, self.d_out, self.dtype, self.device)
        u = torch.matmul(tr.out - y_star, self.B)
        G = torch.empty_like(W)
        for l in range(self.L, 0, -1):
            du = tr.D[:, l].to(self.dtype) * u
            G[:, l - 1] = torch.matmul(du.transpose(-1, -2), tr.h[:, l - 1])
            u = du + torch.matmul(du, W[:, l - 1])
        return G


class ConvNet(FCNet):
    """Convolutional variant of AZLS-DNN Theorem 6 (Sec. 5, "Convolutional neural networks").

    The paper: ``A, W_1..W_{L-1}`` convolutional, ``W_L`` and ``B`` fully connected,
    each hidden layer ``d`` points x ``m`` channels; kernel size, padding and the
    conv-weight variance are in Appendix I, not in the file.  Our choices (stated
    as assumptions): the input ``x in R^d`` is ``d`` points with one channel; 1-D
    convolutions with kernel size ``q`` (default 3), stride 1 and circular padding;
    conv weights ``N(0, 2/(q m))`` (He fan-out, so ``E||phi(conv h)||^2 = ||h||^2``);
    ``W_L in R^{m x (d m)}`` entries ``N(0, 2/m)`` maps the flattened ``d x m`` map to
    ``m`` units; ``B in R^{d_out x m}`` entries ``N(0, 1/d_out)``.

    Trainable weights are a tuple ``(Wc [K, L-1, m, m, q], WL [K, m, d*m])``;
    ``trace`` returns per-layer tuples (layers ``0..L-1`` have ``d*m`` units, layer
    ``L`` has ``m``).  Requires ``L >= 2``.
    """

    family = "cnn"

    def __init__(self, m, L, d, d_out=None, *, kernel: int = 3, **kw):
        self.q = check_positive_int("kernel", kernel)
        if check_positive_int("L", L) < 2:
            raise ValueError(f"L must be >= 2 for the CNN (W_1..W_(L-1) convolutional, W_L dense), got {L}")
        super().__init__(m, L, d, d_out, **kw)

    def _init_weights(self, gen):
        K, m, L, d, q, dev, dt = self.trials, self.m, self.L, self.d, self.q, self.device, self.dtype
        self.A = _gauss((K, m, 1, q), 2.0 / (q * m), gen, dev, dt)
        self.W0 = (_gauss((K, L - 1, m, m, q), 2.0 / (q * m), gen, dev, dt),
                   _gauss((K, m, d * m), 2.0 / m, gen, dev, dt))
        self.B = _gauss((K, self.d_out, m), 1.0 / self.d_out, gen, dev, dt)

    def _weights(self, W):
        if W is None:
            return self.W0
        ok = (isinstance(W, (tuple, list)) and len(W) == 2
              and all(isinstance(t, torch.Tensor) and t.shape == s.shape for t, s in zip(W, self.W0)))
        if not ok:
            raise ValueError("W must be a tuple (Wc [K, L-1, m, m, q], WL [K, m, d*m]) like ConvNet.W0")
        return tuple(W)

    def _conv(self, h, w, transpose: bool = False):
        """Trial-grouped circular conv: h ``[K, n, c_in, d]``, w ``[K, c_out, c_in, q]``.

        ``out[c, p] = sum_{c', j} w[c, c', j] h[c', (p + j - left) mod d]``, ``left = (q-1)//2``.
        ``transpose=True`` applies the transposed operator (h then has ``c_out`` channels):
        the same circular conv with the kernel ``w[c, c', q-1-j]`` channel-transposed and the
        padding split mirrored (``left' = q - 1 - left``).
        """
        q = w.shape[-1]
        left = (q - 1) // 2
        if transpose:
            w = w.transpose(-2, -3).flip(-1)
            left = q - 1 - left
        K, n, c_in, d = h.shape
        inp = h.transpose(0, 1).reshape(n, K * c_in, d)
        inp = F.pad(inp, (left, q - 1 - left), mode="circular")
        out = F.conv1d(inp, w.reshape(K * w.shape[1], c_in, q), groups=K)
        return out.reshape(n, K, w.shape[1], d).transpose(0, 1)

    def _run(self, x, W, record):
        x = self._input(x)
        Wc, WL = self._weights(W)
        K, n = self.trials, x.shape[1]
        gs = []
        g = self._conv(x.unsqueeze(2), self.A)                   # [K, n, m, d]
        gs.append(g)
        h = torch.relu(g)
        for l in range(self.L - 1):
            g = self._conv(h, Wc[:, l])
            gs.append(g)
            h = torch.relu(g)
        g = torch.matmul(h.reshape(K, n, -1), WL.transpose(-1, -2))
        gs.append(g)
        h = torch.relu(g)
        out = torch.matmul(h, self.B.transpose(-1, -2))
        return gs, out

    def trace(self, x, W=None) -> Trace:
        gs, out = self._run(x, W, True)
        K, n = out.shape[:2]
        g = tuple(t.reshape(K, n, -1) for t in gs)
        return Trace(g=g, h=tuple(torch.relu(t) for t in g), D=tuple(t >= 0 for t in g), out=out)

    def forward(self, x, W=None):
        return self._run(x, W, False)[1]

    def grad(self, x, y_star, W=None):
        W = tuple(t.detach().requires_grad_(True) for t in self._weights(W))
        with torch.enable_grad():
            F_ = self.loss(x, y_star, W)
            G = torch.autograd.grad(F_.sum(), W)
        return F_.detach(), G

    def conv_spectral_norm(self, w: torch.Tensor) -> torch.Tensor:
        """Spectral norm of the circular convolution ``R^{c_in x d} -> R^{c_out x d}`` of
        kernels ``w [..., c_out, c_in, q]`` (the conv layers of Theorem 6's CNN as built
        here), ``[...]``: exact, ``max_k ||W_hat(k)||_2`` over the ``d`` Fourier modes, where
        ``W_hat(k) = sum_j w[..., j] e^{-2 pi i k s_j / d}`` with tap ``j`` at shift
        ``s_j = j - (q-1)//2`` (mod d): a circular conv is block-circulant and the DFT over
        the ``d`` points block-diagonalises it (the blocks are the complex conjugates of
        these, with the same singular values; for a real kernel mode ``d - k`` is the conjugate
        of mode ``k``, so ``d//2 + 1`` modes suffice).  Cost: an FFT and ``d//2 + 1`` complex
        ``c_out x c_in`` singular-value problems per kernel (about 0.6 ms each at 64 x 64 on
        one CPU core).  (allen-zhu-li-song-dnn-convergence.txt, Sec. 5
        "Convolutional neural networks": the conv layers' ``||W_l - W_l^(0)||_2`` of Step 2.)
        """
        if not isinstance(w, torch.Tensor) or w.ndim < 3 or not w.is_floating_point():
            raise ValueError(f"w must be a floating tensor [..., c_out, c_in, q], got "
                             f"{getattr(w, 'shape', type(w).__name__)}")
        q, d = w.shape[-1], self.d
        shift = (torch.arange(q, device=w.device) - (q - 1) // 2) % d
        wf = torch.zeros(*w.shape[:-1], d, device=w.device, dtype=w.dtype).index_add_(-1, shift, w)
        # real kernels: mode d-k is the conjugate of mode k, so the d//2 + 1 modes of rfft suffice
        blocks = torch.fft.rfft(wf, dim=-1).movedim(-1, -3)             # [..., d//2+1, c_out, c_in]
        return torch.linalg.svdvals(blocks)[..., 0].amax(-1).to(w.dtype)

    def back_operator(self, tr: Trace, l: int, W=None):
        """``Back_{i,l}``, the CNN analogue of AZLS-DNN Fact 2.6's backward matrix, as an
        implicit operator batched over ``[K, n]``::

            Back_{i,L+1} = B                                     (R^m -> R^{d_out})
            Back_{i,L}   = B D_{i,L} W_L                         (R^{d m} -> R^{d_out})
            Back_{i,l}   = B D_{i,L} W_L D_{i,L-1} C_{L-1} ... D_{i,l} C_l    (l < L)

        with ``C_a`` the circular conv of ``W_a`` (``Wc[:, a-1]``) on the flattened
        ``m x d`` maps (channel-major, as in :meth:`trace`) and ``D`` the masks of ``tr``
        (the trace at the same ``W``).  ``l in 1..L+1``.  ``rmatvec`` uses the transposed
        convs; no matrix is formed.  (allen-zhu-li-song-dnn-convergence.txt, Fact 2.6 and
        Sec. 5, Theorem 6: ``A, W_1..W_{L-1}`` convolutional, ``W_L``, ``B`` dense.)
        """
        from .linalg import LinearOperator

        Wc, WL = self._weights(W)
        if not 1 <= l <= self.L + 1:
            raise ValueError(f"l must lie in [1, L+1] = [1, {self.L + 1}], got {l}")
        K, n = tr.out.shape[:2]
        m, d, L = self.m, self.d, self.L
        D = [t.to(self.dtype).unsqueeze(-1) for t in tr.D]               # [K, n, dim, 1]

        def conv(x, a, transpose):                                       # x [K, n, d m, r]
            r = x.shape[-1]
            y = x.reshape(K, n, m, d, r).permute(0, 1, 4, 2, 3).reshape(K, n * r, m, d)
            y = self._conv(y, Wc[:, a - 1], transpose=transpose)
            return y.reshape(K, n, r, m, d).permute(0, 1, 3, 4, 2).reshape(K, n, m * d, r)

        def mv(v):
            x = v
            for a in range(l, L):
                x = D[a] * conv(x, a, False)
            if l <= L:
                x = D[L] * torch.matmul(WL.unsqueeze(1), x)
            return torch.matmul(self.B.unsqueeze(1), x)

        def rmv(u):
            x = torch.matmul(self.B.mT.unsqueeze(1), u)
            if l <= L:
                x = torch.matmul(WL.mT.unsqueeze(1), D[L] * x)
            for a in range(L - 1, l - 1, -1):
                x = conv(D[a] * x, a, True)
            return x

        in_dim = m if l == L + 1 else d * m
        return LinearOperator.from_functions(mv, rmv, (self.d_out, in_dim), (K, n), self.dtype, self.device)

    def _no_closed_form(self, *a, **k):
        raise NotImplementedError("use autograd (ConvNet.grad) for the CNN")

    interval_operator = _no_closed_form
    grad_formula = _no_closed_form
