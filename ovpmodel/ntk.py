"""Infinite-width kernels of the AZLS-DNN fully-connected net, beside their finite-width twins.

Paper: ``papers/allen-zhu-li-song-dnn-convergence.txt`` (AZLS-DNN), Sec. 2 (the network,
Def. 2.3 initialisation, Def. 2.5 ``Back``, Fact 2.6 gradient) and the Gram matrix behind
Theorem 3 (Sec. 4, Step 3; ``sup/inf_{y*} ||grad F||_F^2 / F = 2 lambda_max/min(K)``).
The ReLU expectations are the arc-cosine kernels of Cho & Saul, *Kernel Methods for Deep
Learning*, NIPS 2009 (degree 0 and 1); the layer recursion is the neural tangent kernel
of Jacot, Gabriel & Hongler, NeurIPS 2018, written for the paper's parameterisation.

Network (``ovpmodel.FCNet``)::

    h_0 = phi(A x),  h_l = phi(W_l h_{l-1}) (l = 1..L),  y = B h_L,
    A, W_l entries N(0, w_var/m) (paper: w_var = 2),  B entries N(0, b_var/d_out) (paper: b_var = 1),

and ONLY ``W_1..W_L`` are trained.  This is the *standard* parameterisation with
He-initialised, unit-norm-preserving hidden vectors (``||h_l|| -> ||x||``), not the
NTK parameterisation of neural-tangents.

Normalisation (the one thing to get right)
------------------------------------------
Empirical Gram.  :func:`empirical_ntk` returns the raw Jacobian Gram matrix of the outputs
w.r.t. ``W_1..W_L``, exactly the matrix ``K`` of ``claims/catalog/_azls_dnn_measures.py``
(``_ntk_gram``, Theorem 3): rows/columns indexed ``(i, a) -> i * d_out + a``::

    K_{(i,a),(j,b)} = sum_{l=1}^L <h_{i,l-1}, h_{j,l-1}> <beta_{i,l,a}, beta_{j,l,b}>,
    beta_{i,l,a} = D_{i,l} Back_{i,l+1}^T e_a  (the backward vector at layer l's pre-activation).

Its entries grow like ``m / d_out`` (``||Back_{i,L+1}^T e_a||^2 = ||B_a||^2 ~ m b_var / d_out``);
the catalog reports ``2 lambda(K) d / m`` for Theorem 3.

Limit.  :func:`ntk` returns ``Theta(x, x') = lim_{m -> inf} (d_out / m) K_{(x,a),(x',a)}``
(in probability, every output ``a``; the cross-output entries ``a != b`` vanish), so::

    (d_out / m) K  ->  Theta (x) I_{d_out}    (:func:`ntk_gram`, Kronecker product, same indexing)

with the recursion (``rho`` the cosine of the two inputs' layer-``l`` vectors)::

    Sigma_{-1}(x, x') = <x, x'>
    Sigma_l(x, x')    = (w_var / 2) sqrt(Sigma_{l-1}(x,x) Sigma_{l-1}(x',x')) kappa_1(rho_{l-1})   l = 0..L
    Sigma_l(x, x')    = lim_m <h_l(x), h_l(x')>                                     (NNGP, :func:`nngp`)
    dot_l(x, x')      = kappa_0(rho_{l-1})   (derivative kernel of the ReLU at layer l, l = 0..L)
    Theta(x, x')      = (b_var / 2) sum_{l=1}^L Sigma_{l-1}(x, x') prod_{k=l}^L (w_var / 2)^{[k > l]} dot_k(x, x')

i.e. ``Theta = (b_var/2) sum_l Sigma_{l-1} dot_l dot_{l+1}...dot_L (w_var/2)^{L-l}``, where
``kappa_0(rho) = (pi - arccos rho) / pi`` and ``kappa_1(rho) = (sqrt(1 - rho^2) + (pi - arccos rho) rho) / pi``
(Cho & Saul's ``J_0 / pi`` and ``J_1 / pi``; ``kappa(1) = 1``).  ``b_var/2`` comes from
``E[B_{ak}^2] m / d_out = b_var`` times ``P[unit active] = 1/2`` on the diagonal; each layer
below the top multiplies the backward inner product by ``m (w_var/m) E[1 1'] = (w_var/2) kappa_0``.
For unit-norm inputs and the paper's variances: ``Sigma_l(x, x) = 1`` for every ``l`` and
``Theta(x, x) = L / 2``; so ``2 lambda_max(K) <= L n m / d`` to leading order, the shape of
Theorem 3's upper bound.  With ``train_input=True`` the sum also runs over ``l = 0``
(``A`` trained too, ``Sigma_{-1} = <x, x'>``); the readout ``B`` contributes ``Sigma_L``
*unnormalised*, i.e. ``O(d_out / m)`` after the normalisation, and is left out (it is the
NTK-vs-standard parameterisation difference: under the NTK parameterisation every layer,
the readout included, contributes at the same order).

Deviation at finite width: entries of ``(d_out/m) K`` fluctuate by ``O(m^{-1/2})`` around
``Theta`` (concentration of sums over ``m`` units; the fluctuations grow with the depth-to-width
ratio ``L / m``, Hanin & Nica 2020).  Measured here: ``sqrt(m)`` times the relative Frobenius error
of ``(d_out/m) K`` is 4-6 for ``L = 1..3`` (``claims/catalog/azls_dnn_limits.py``).

ResNet (Theorem 7, Sec. 5; ``ovpmodel.ResNet``: ``h_l = phi(h_{l-1} + W_l h_{l-1})``).
No analytic kernel here: the pre-activation ``h_{l-1} + W_l h_{l-1}`` is a unit's
*non-Gaussian* value ``h_{l-1,k}`` (a ReLU of the previous layer's mixture) plus a Gaussian,
so the joint law of a unit's pair ``(h_{l,k}(x), h_{l,k}(x'))`` is not determined by a 2x2
covariance: the limit exists (it is a tensor program) but each layer is a 4-dimensional
integral of the previous layer's joint law, not a closed recursion in ``Sigma``.  Already
``E[phi(h_0 + z) phi(h_0' + z')]`` with ``h_0 = phi(u)`` has no arc-cosine form.  (The
``1/sqrt(L)``-scaled branch ``h_l = h_{l-1} + tau phi(W_l h_{l-1})`` has one; it is not the
paper's net.)  :func:`empirical_ntk` does handle the ResNet (``d g_l / d h_{l-1} = I + W_l``).

ZCZG net (``ovpmodel.ZCZGNet``; ``papers/zou-cao-zhou-gu-deep-relu-gd.txt``, Sec. 3 and
Assumption 4.3): :func:`zczg_nngp`, :func:`zczg_ntk` and :func:`zczg_empirical_ntk`, below.  It
is the same arc-cosine recursion (He variance ``2/m_l``), with the first layer ``W_1`` trained
and a fixed ``+-1`` readout, normalised by ``m = min_l m_l`` (see :func:`zczg_ntk`).

Shapes: inputs ``x [..., n, d]`` (any leading batch dims); kernels ``[..., n, n2]``.
All arithmetic in the dtype of ``x`` (float64 recommended).  Nothing here draws random
numbers.
"""

from __future__ import annotations

import itertools
import math

import torch

from ._base import as_batched_input
from ._checks import check_finite, check_nonneg_int, check_positive_int, check_tensor

__all__ = ["arccos_kernel", "nngp", "ntk", "ntk_gram", "empirical_ntk", "empirical_nngp",
           "zczg_nngp", "zczg_ntk", "zczg_empirical_ntk"]


def arccos_kernel(rho: torch.Tensor, degree: int) -> torch.Tensor:
    """Normalised arc-cosine kernel of Cho & Saul (2009), ``kappa_n(rho) = J_n(theta) / pi``
    with ``theta = arccos rho`` (``rho`` clamped to [-1, 1]), ``degree`` 0 or 1::

        kappa_0(rho) = (pi - theta) / pi = 2 E[1(u > 0) 1(v > 0)]
        kappa_1(rho) = (sin theta + (pi - theta) cos theta) / pi = 2 E[phi(u) phi(v)]

    for ``(u, v)`` standard normal with correlation ``rho``; ``kappa_n(1) = 1``.
    """
    rho = rho.clamp(-1.0, 1.0)
    theta = torch.arccos(rho)
    if degree == 0:
        return (math.pi - theta) / math.pi
    if degree == 1:
        return (torch.sqrt((1.0 - rho * rho).clamp_min(0.0)) + (math.pi - theta) * rho) / math.pi
    raise ValueError(f"degree must be 0 or 1 (the ReLU and its derivative), got {degree!r}")


def _pair(x, x2):
    x = check_tensor("x", x)
    if x.ndim < 2:
        raise ValueError(f"x must be [..., n, d], got shape {tuple(x.shape)}")
    if not x.is_floating_point():
        raise ValueError(f"x must be a floating tensor, got {x.dtype}")
    if x2 is None:
        return x, None
    x2 = check_tensor("x2", x2)
    if x2.ndim < 2 or x2.shape[-1] != x.shape[-1]:
        raise ValueError(f"x2 must be [..., n2, {x.shape[-1]}] like x {tuple(x.shape)}, got {tuple(x2.shape)}")
    return x, x2.to(dtype=x.dtype, device=x.device)


def _layers(x, x2, L, w_var):
    """Yield ``(Sigma_{l-1}, rho_{l-1})`` for ``l = 0..L+1`` (``Sigma_{-1} = <x, x'>``): the
    covariance entering layer ``l``'s pre-activation (up to the factor ``w_var/m``) and its cosine."""
    same = x2 is None
    S = x @ (x if same else x2).transpose(-1, -2)
    if same:
        S = 0.5 * (S + S.transpose(-1, -2))            # exact symmetry (matmul rounding need not be)
    q1 = (x * x).sum(-1)                               # Sigma_l(x, x), [..., n]
    q2 = q1 if same else (x2 * x2).sum(-1)
    for _ in range(L + 2):
        den = torch.sqrt(q1.unsqueeze(-1) * q2.unsqueeze(-2))
        rho = torch.where(den > 0, S / torch.where(den > 0, den, torch.ones_like(den)), torch.zeros_like(S))
        if same:
            rho.diagonal(dim1=-2, dim2=-1).copy_((q1 > 0).to(rho.dtype))   # cos(x, x) = 1 exactly
        yield S, rho
        S = 0.5 * w_var * den * arccos_kernel(rho, 1)
        q1, q2 = 0.5 * w_var * q1, 0.5 * w_var * q2    # diagonal: kappa_1(1) = 1


def nngp(x: torch.Tensor, L: int, x2: torch.Tensor | None = None, *, w_var: float = 2.0) -> torch.Tensor:
    """Forward (NNGP) kernels ``Sigma_l(x, x') = lim_m <h_l(x), h_l(x')>`` for ``l = 0..L``,
    stacked as ``[..., L+1, n, n2]`` (``x [..., n, d]``, ``x2`` defaults to ``x``).

    ``h_l`` is the post-activation of AZLS-DNN Sec. 2 at the initialisation of Def. 2.3
    (``A, W_l ~ N(0, w_var/m)``); ``L = 0`` gives ``Sigma_0`` only.  With ``w_var = 2``
    (the paper) the norms are preserved: ``Sigma_l(x, x) = ||x||^2``.
    """
    L = check_nonneg_int("L", L)
    w_var = check_finite("w_var", w_var)
    x, x2 = _pair(x, x2)
    out = []
    for l, (S, _) in enumerate(_layers(x, x2, L, w_var)):
        if l >= 1:
            out.append(S)                                # Sigma_{l-1}, l-1 = 0..L
    return torch.stack(out, dim=-3)


def ntk(x: torch.Tensor, L: int, x2: torch.Tensor | None = None, *, w_var: float = 2.0, b_var: float = 1.0,
        train_input: bool = False, per_layer: bool = False) -> torch.Tensor:
    """Analytic NTK ``Theta(x, x') = lim_m (d_out/m) K_{(x,a),(x',a)}`` of the AZLS-DNN FC net
    with only ``W_1..W_L`` trained (module docstring: recursion and normalisation).

    ``x [..., n, d]``, ``x2 [..., n2, d]`` (default ``x``) -> ``[..., n, n2]``; ``L >= 1``
    (``L = 0`` with ``train_input=True`` is the kernel of training ``A`` alone).
    ``per_layer``: ``[..., L(+1), n, n2]``, the term of each trained layer (``l = 1..L``,
    preceded by ``l = 0`` if ``train_input``), summing to the kernel.
    """
    L = check_nonneg_int("L", L)
    if L == 0 and not train_input:
        raise ValueError("L must be >= 1 (W_1..W_L are the trained layers); L = 0 needs train_input=True")
    w_var, b_var = check_finite("w_var", w_var), check_finite("b_var", b_var)
    x, x2 = _pair(x, x2)
    Ss, dots = [], []
    for S, rho in _layers(x, x2, L, w_var):              # l = 0..L+1: Sigma_{l-1}, rho_{l-1}
        Ss.append(S)
        dots.append(arccos_kernel(rho, 0))                # dot_l = kappa_0(rho_{l-1})
    first = 0 if train_input else 1
    terms = []
    # backward inner products from the top: prod_{k=l}^{L} dot_k (w_var/2)^{L-l}, times b_var/2
    back = 0.5 * b_var * dots[L]
    for l in range(L, first - 1, -1):
        terms.append(Ss[l] * back)                        # Sigma_{l-1} * backward(l)
        if l > first:
            back = back * (0.5 * w_var) * dots[l - 1]
    terms.reverse()
    T = torch.stack(terms, dim=-3)
    return T if per_layer else T.sum(dim=-3)


def ntk_gram(x: torch.Tensor, L: int, d_out: int, **kw) -> torch.Tensor:
    """``Theta (x) I_{d_out}``, ``[..., n d_out, n d_out]`` indexed ``(i, a) -> i d_out + a``:
    the limit of ``(d_out / m)`` times :func:`empirical_ntk` (keywords as :func:`ntk`)."""
    d_out = check_positive_int("d_out", d_out)
    T = ntk(x, L, **kw)
    eye = torch.eye(d_out, dtype=T.dtype, device=T.device)
    n, n2 = T.shape[-2:]
    return (T[..., :, None, :, None] * eye[:, None, :]).reshape(*T.shape[:-2], n * d_out, n2 * d_out)


def _backward_vectors(net, tr, W):
    """``beta_l = D_l Back_{l+1}^T e_a`` for ``l = L..1`` as ``[K, n, d_out, m]`` tensors (list
    indexed ``l - 1``), by back-substitution: ``beta_L = D_L B^T e_a``,
    ``beta_{l-1} = D_{l-1} (I [ResNet] + W_l)^T beta_l`` (the recursion of
    ``FCNet.grad_formula``, run on the ``d_out`` unit loss vectors at once)."""
    K, n = tr.out.shape[:2]
    dd, m = net.B.shape[1:]
    resid = getattr(net, "family", "fc") == "resnet"
    U = net.B.unsqueeze(1).expand(K, n, dd, m)              # Back_{L+1}^T e_a = B_a  (rows)
    out = [None] * net.L
    for l in range(net.L, 0, -1):
        beta = U * tr.D[:, l].unsqueeze(2).to(U.dtype)      # D_l Back_{l+1}^T e_a
        out[l - 1] = beta
        if l > 1:
            U = torch.bmm(beta.reshape(K, n * dd, m), W[:, l - 1]).reshape(K, n, dd, m)
            if resid:
                U = U + beta
    return out


def empirical_ntk(net, x: torch.Tensor, W: torch.Tensor | None = None, *, per_layer: bool = False) -> torch.Tensor:
    """Empirical NTK: the Jacobian Gram matrix of the outputs w.r.t. ``W_1..W_L`` (AZLS-DNN
    Fact 2.6), ``[K, n d_out, n d_out]`` indexed ``(i, a) -> i d_out + a``, for a trial-batched
    :class:`ovpmodel.FCNet` or :class:`ovpmodel.ResNet` at weights ``W`` (default ``W0``).

    Per layer: ``K = sum_l (H_{l-1} H_{l-1}^T (x) 1 1^T) * (Z_l Z_l^T)`` with ``H_{l-1} [K, n, m]``
    the forward features (``net.trace``) and ``Z_l [K, n d_out, m]`` the backward vectors
    ``D_{i,l} Back_{i,l+1}^T e_a``; no per-parameter gradient is formed (cost
    ``O(K L n d_out m^2)``, that of ``d_out`` backward passes).  Not normalised: the limit of
    ``(d_out / m) K`` is :func:`ntk_gram`.  ``per_layer``: ``[K, L, n d_out, n d_out]``.
    """
    if getattr(net, "family", None) not in ("fc", "resnet"):
        raise NotImplementedError(f"empirical_ntk supports FCNet and ResNet, not {type(net).__name__}")
    W = net._weights(W)
    tr = net.trace(x, W)
    K, n = tr.out.shape[:2]
    dd, m = net.B.shape[1:]
    betas = _backward_vectors(net, tr, W)
    terms = []
    for l in range(1, net.L + 1):
        Z = betas[l - 1].reshape(K, n * dd, m)
        H = tr.h[:, l - 1]                                   # [K, n, m]
        HH = H @ H.transpose(-1, -2)
        HH = HH.repeat_interleave(dd, dim=-1).repeat_interleave(dd, dim=-2)
        terms.append(HH * (Z @ Z.transpose(-1, -2)))
    T = torch.stack(terms, dim=1)
    return T if per_layer else T.sum(dim=1)


def empirical_nngp(net, x: torch.Tensor, W: torch.Tensor | None = None) -> torch.Tensor:
    """``<h_l(x_i), h_l(x_j)>`` for ``l = 0..L``, ``[K, L+1, n, n]`` (the finite twin of :func:`nngp`)."""
    tr = net.trace(x, net._weights(W))
    return tr.h @ tr.h.transpose(-1, -2)


# ----------------------------------------------------------------------------- ZCZG net


def _zczg_widths(L, widths):
    """Weights ``m_l / m`` (``m = min_l m_l``, Assumption 4.3) of the layer terms, ``[L]`` floats."""
    if widths is None:
        return [1.0] * L
    if isinstance(widths, int) or len(widths) != L:
        raise ValueError(f"widths must be a sequence of the L={L} hidden widths (m_1, ..., m_L), got {widths!r}")
    ws = [check_positive_int(f"widths[{i}]", w) for i, w in enumerate(widths)]
    m = min(ws)
    return [w / m for w in ws]


def zczg_nngp(x: torch.Tensor, L: int, x2: torch.Tensor | None = None, *, w_var: float = 2.0) -> torch.Tensor:
    """Forward kernels of the ZCZG net, ``Sigma_l(x, x') = lim <x_l, x'_l>`` for ``l = 0..L`` in
    the paper's indexing (``x_0 = x``, ``x_l = sigma(W_l^T x_{l-1})``), ``[..., L+1, n, n2]``.

    Source: ``papers/zou-cao-zhou-gu-deep-relu-gd.txt``, Sec. 3 (network (3.1) and "Gaussian
    initialization": each column ``w_{l,j} ~ N(0, (2/m_l) I)``).  Given ``x_{l-1}``, unit ``j`` of
    layer ``l`` is ``N(0, (w_var/m_l) ||x_{l-1}||^2)`` and the ``m_l`` units are independent, so
    ``<x_l, x'_l> -> (w_var/2) sqrt(Sigma_{l-1}(x,x) Sigma_{l-1}(x',x')) kappa_1(rho_{l-1})`` whatever
    the widths (the ``1/m_l`` of the variance cancels the sum over ``m_l`` units).  ``Sigma_0 = <x, x'>``;
    with ``w_var = 2`` (He) ``Sigma_l(x, x) = ||x||^2``, the limit behind Lemma A.1 (``||x_{l,i}|| -> 1``).
    Equal to :func:`nngp` shifted by one (AZLS-DNN's ``h_{l-1}`` is ZCZG's ``x_l``).
    """
    L = check_positive_int("L", L)
    w_var = check_finite("w_var", w_var)
    x, x2 = _pair(x, x2)
    return torch.stack([S for S, _ in itertools.islice(_layers(x, x2, L, w_var), L + 1)], dim=-3)


def zczg_ntk(x: torch.Tensor, L: int, x2: torch.Tensor | None = None, *, widths=None, w_var: float = 2.0,
             per_layer: bool = False) -> torch.Tensor:
    """Analytic NTK of the ZCZG net with ALL ``W_1..W_L`` trained and ``v`` fixed (ZCZG Sec. 3:
    gradient descent on every ``W_l``, ``v in {+-1}^{m_L}`` half and half, never trained)::

        Theta(x, x') = lim_{m -> inf} (1/m) sum_{l=1}^L <grad_{W_l} f_W(x), grad_{W_l} f_W(x')>_F
                     = sum_{l=1}^L (m_l/m) (1/2) Sigma_{l-1}(x, x') prod_{k=l}^L kappa_0(rho_{k-1}(x, x'))
                       (w_var/2)^{L-l}

    at the Gaussian initialisation, ``m = min_l m_l`` (Assumption 4.3), the width ratios
    ``m_l/m`` held fixed (``widths=None``: equal widths, all ratios 1); ``Sigma_l`` and ``rho_l``
    of :func:`zczg_nngp`.  Derivation (Sec. 3 "Calculations": ``grad_{W_l} f = x_{l-1} b_l^T`` with
    the backward vector ``b_l^T = v^T (prod_{r=l+1}^L Sigma_r W_r^T) Sigma_l``, i.e. ``b_L = Sigma_L v``,
    ``b_l = Sigma_l W_{l+1} b_{l+1}``): ``<b_L, b'_L> = sum_j v_j^2 1 1' -> m_L kappa_0(rho_{L-1}) / 2``
    (``v_j^2 = 1``); each step down multiplies by ``m_l (w_var/m_{l+1}) kappa_0(rho_{l-1}) / 2``, so
    ``<b_l, b'_l> / m_l -> (1/2) prod_{k=l}^L kappa_0(rho_{k-1}) (w_var/2)^{L-l}`` (backward weights
    treated as independent of the forward ones, exact in the limit: Yang 2020, Tensor Programs II).
    The layer-``l`` term is ``<x_{l-1}, x'_{l-1}> <b_l, b'_l>``.

    For unit inputs (Assumption 4.1) and ``w_var = 2``: ``Theta_l(x, x) = (m_l/m)/2``, so the
    per-sample squared gradient norm is ``||grad_{W_l} f(x)||_F^2 ~ m_l / 2`` (the quantity behind
    Lemma 5.2's bounds) and ``Theta(x, x) = L/2`` for equal widths.  It equals AZLS-DNN's
    :func:`ntk` with ``L-1`` hidden layers and ``train_input=True`` (ZCZG's ``W_1`` is AZLS's ``A``,
    ``v`` its ``B`` with ``b_var = 1``).  ``x [..., n, d]``, ``x2 [..., n2, d]`` -> ``[..., n, n2]``;
    ``per_layer``: ``[..., L, n, n2]``, the term of ``W_1..W_L`` in order.
    """
    L = check_positive_int("L", L)
    w_var = check_finite("w_var", w_var)
    ratios = _zczg_widths(L, widths)
    x, x2 = _pair(x, x2)
    Ss, dots = [], []
    for S, rho in itertools.islice(_layers(x, x2, L, w_var), L):   # Sigma_{l-1}, rho_{l-1}, l = 1..L
        Ss.append(S)
        dots.append(arccos_kernel(rho, 0))                           # kappa_0(rho_{l-1}): layer l's ReLU'
    terms = [None] * L
    back = 0.5 * dots[L - 1]                                         # <b_L, b'_L> / m_L
    for l in range(L, 0, -1):
        terms[l - 1] = ratios[l - 1] * Ss[l - 1] * back
        if l > 1:
            back = back * (0.5 * w_var) * dots[l - 2]
    T = torch.stack(terms, dim=-3)
    return T if per_layer else T.sum(dim=-3)


def zczg_empirical_ntk(net, x: torch.Tensor, W=None, *, per_layer: bool = False) -> torch.Tensor:
    """Empirical NTK of a trial-batched :class:`ovpmodel.ZCZGNet`: the Gram matrix of the
    gradients of ``f_W(x_i)`` w.r.t. ``W_1..W_L`` (ZCZG Sec. 3 "Calculations",
    ``grad_{W_l} f(x_i) = x_{l-1,i} b_{l,i}^T``), ``[K, n, n]`` (``per_layer``: ``[K, L, n, n]``)::

        K_{ij} = sum_l <x_{l-1,i}, x_{l-1,j}> <b_{l,i}, b_{l,j}>,  b_l^T = v^T (prod_{r>l} Sigma_r W_r^T) Sigma_l

    at weights ``W`` (a tuple like ``net.W0``; default ``W0``).  The diagonal is the per-sample
    squared gradient norm ``||grad_W f(x_i)||_F^2``.  No per-parameter gradient is formed (one
    backward sweep of the rows, cost ``O(K n sum_l m_{l-1} m_l)``).  Not normalised: the limit of
    ``K / min_l m_l`` is :func:`zczg_ntk` with ``widths=net.widths``.
    """
    if getattr(net, "family", None) != "zczg":
        raise NotImplementedError(f"zczg_empirical_ntk supports ZCZGNet, not {type(net).__name__}")
    W = net._weights(W)
    tr = net.trace(x, W)
    K, n = tr.out.shape
    xin = as_batched_input("x", x, net.trials, 1, net.d, net.dtype, net.device)
    row = net.v.expand(K, n, -1)
    terms = [None] * net.L
    for l in range(net.L - 1, -1, -1):                       # 0-based: W[l] is the paper's W_{l+1}
        b = row * tr.D[l].to(row.dtype)                      # b_{l+1}^T = (... W_{l+2}^T) Sigma_{l+1}
        prev = xin if l == 0 else tr.h[l - 1]
        terms[l] = (prev @ prev.transpose(-1, -2)) * (b @ b.transpose(-1, -2))
        if l > 0:
            row = b @ W[l].transpose(-1, -2)
    T = torch.stack(terms, dim=1)
    return T if per_layer else T.sum(dim=1)
