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

Shapes: inputs ``x [..., n, d]`` (any leading batch dims); kernels ``[..., n, n2]``.
All arithmetic in the dtype of ``x`` (float64 recommended).  Nothing here draws random
numbers.
"""

from __future__ import annotations

import math

import torch

from ._checks import check_finite, check_nonneg_int, check_positive_int, check_tensor

__all__ = ["arccos_kernel", "nngp", "ntk", "ntk_gram", "empirical_ntk", "empirical_nngp"]


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
