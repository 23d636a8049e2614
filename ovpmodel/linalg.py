"""Batched matrix-free linear algebra for spectral-norm claims.

Everything here works on a *batch* of linear operators sharing one shape
``(out_dim, in_dim)`` and a leading batch shape (e.g. ``[K]`` trials, ``[K, P]``
trials x interval products, ``[K, n]`` trials x samples).  Vectors are always
passed with an explicit column dimension: ``[*batch, in_dim, r]``.

Contents
--------
* :class:`LinearOperator` -- a light matrix-free operator (``matvec``/``rmatvec``),
  with :meth:`LinearOperator.from_dense` and :meth:`LinearOperator.from_functions`.
* :class:`Diag` and :class:`ProductOperator` -- implicit products such as
  ``B D_L W_L ... D_a W_a`` without forming them.
* :func:`spectral_norm` -- batched Golub-Kahan-Lanczos with full reorthogonalisation.
* :func:`spectral_norm_dense` -- ``torch.linalg.matrix_norm(ord=2)`` for comparison.
* :func:`smallest_singular_value` -- via the small Gram matrix of a short-fat operator.
* :func:`sparse_spectral_norm_lower_bound` -- truncated power method for the
  s-sparse spectral norm, returning a certified lower bound and its witnesses.
"""

from __future__ import annotations

import math
import os
from typing import Callable, Sequence

import torch

from ._checks import check_in_range, check_positive_int

__all__ = [
    "LinearOperator",
    "Diag",
    "ProductOperator",
    "spectral_norm",
    "spectral_norm_dense",
    "smallest_singular_value",
    "sparse_spectral_norm_lower_bound",
    "request_huge_pages",
]


# --------------------------------------------------------------------------- allocation


def request_huge_pages() -> bool:
    """Opt in to transparent huge pages for PyTorch's large CPU tensors; an application's choice.

    Sets ``THP_MEM_ALLOC_ENABLE=1`` in ``os.environ`` unless the variable is already set
    (``THP_MEM_ALLOC_ENABLE=0`` in the environment keeps huge pages off) and returns whether
    it is now ``"1"``. Nothing in ovpmodel or claims calls this on import: it changes the
    whole process, so the program decides. The ``ovpcheck`` command line calls it first
    thing, and ``scripts/dev.sh`` exports the variable; a library user calls it at the top
    of their script, or exports the variable in the shell.

    Why: large tensors (weights ``[K, L, m, m]``, their gradients, Lanczos bases) are
    allocated fresh many times per claim, and on the VMs this was tuned on first-touching
    freshly mmap-ed 4 KB pages cost more than the GEMMs that fill them (a
    ``[16, 1024, 1024]`` float32 weight gradient: 0.11 s, of which the bmm is 0.03 s). With
    the variable set, PyTorch's CPU allocator asks for huge pages (``madvise``) for
    allocations >= 2 MB. No effect on numerics, on GPU tensors, or where the kernel's THP
    mode is ``never``.

    When: PyTorch reads the variable once, at the process's FIRST CPU tensor allocation of
    any size (importing torch, ovpmodel or claims allocates none). Called after a tensor
    exists, it changes ``os.environ`` but not the allocator. See docs/performance.md.
    """
    os.environ.setdefault("THP_MEM_ALLOC_ENABLE", "1")
    return os.environ["THP_MEM_ALLOC_ENABLE"] == "1"


# --------------------------------------------------------------------------- helpers


def _check_generator(generator, device: torch.device, name: str = "generator") -> torch.Generator:
    if not isinstance(generator, torch.Generator):
        raise TypeError(f"{name} must be a torch.Generator (all randomness is explicit), got {type(generator).__name__}")
    if torch.device(generator.device).type != torch.device(device).type:
        raise ValueError(
            f"{name} lives on {generator.device} but the operator/tensors live on {device}; "
            "create the generator on the same device type"
        )
    return generator


def _prod(xs: Sequence[int]) -> int:
    out = 1
    for x in xs:
        out *= int(x)
    return out


def _bmm(M: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """``bmm(M, x)`` choosing the faster memory orientation.

    For few columns (matrix-vector-like products) or a transposed-stored ``M``
    (``rmatvec``), ``(x^T M^T)^T`` streams ``M`` row-major and was 3-10x faster on CPU.
    """
    if x.shape[-1] <= 8 or (M.stride(-2) == 1 and M.stride(-1) != 1):
        return torch.bmm(x.mT, M.mT).mT
    return torch.bmm(M, x)


def _apply_matrix(M: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """``M @ x`` with broadcasting, done as ONE fat ``bmm``.

    ``M`` is ``[*bm, p, q]`` and ``x`` is ``[*bx, q, r]``.  Batch dimensions where
    ``M`` has size 1 but ``x`` does not ("free" dims, e.g. samples sharing one weight
    matrix) are folded into the column dimension, so a ``[K, 1, p, q]`` factor applied
    to ``[K, n, q, r]`` vectors becomes ``bmm([K, p, q], [K, q, n*r])``.
    """
    bm, bx = tuple(M.shape[:-2]), tuple(x.shape[:-2])
    p, q = M.shape[-2:]
    r = x.shape[-1]
    B = torch.broadcast_shapes(bm, bx)
    nb = len(B)
    if nb == 0:
        return M @ x
    bm_p = (1,) * (nb - len(bm)) + bm
    free = [i for i in range(nb) if bm_p[i] == 1 and B[i] > 1]
    if not free:
        S = _prod(B)
        out = _bmm(M.expand(*B, p, q).reshape(S, p, q), x.expand(*B, q, r).reshape(S, q, r))
        return out.reshape(*B, p, r)
    shared = [i for i in range(nb) if i not in free]
    S = _prod([B[i] for i in shared])
    F = _prod([B[i] for i in free])
    xe = x.expand(*B, q, r)
    perm = shared + [nb] + free + [nb + 1]
    xp = xe.permute(perm).reshape(S, q, F * r)
    Mp = M.reshape(*bm_p, p, q).expand(*[B[i] if i in shared else 1 for i in range(nb)], p, q).reshape(S, p, q)
    out = _bmm(Mp, xp)
    out = out.reshape(*[B[i] for i in shared], p, *[B[i] for i in free], r)
    inv = [0] * len(perm)
    for j, pj in enumerate(perm):
        inv[pj] = j
    return out.permute(inv)


def _safe_normalize(x: torch.Tensor, dim: int = -2) -> tuple[torch.Tensor, torch.Tensor]:
    n = torch.linalg.vector_norm(x, dim=dim, keepdim=True)
    return x / torch.where(n > 0, n, torch.ones_like(n)), n


# --------------------------------------------------------------------------- operators


class LinearOperator:
    """A batch of matrix-free linear maps ``R^{in_dim} -> R^{out_dim}``.

    Attributes
    ----------
    shape : ``(out_dim, in_dim)``
    batch_shape : tuple, the leading batch shape of the operator family
    dtype, device : of the vectors it acts on

    ``matvec(v)``: ``v`` of shape ``[*batch, in_dim, r]`` (batch broadcastable against
    ``batch_shape``) -> ``[*batch, out_dim, r]``.  ``rmatvec(u)`` applies the transpose:
    ``[*batch, out_dim, r] -> [*batch, in_dim, r]``.  ``to_dense()`` applies ``matvec``
    to the identity (``in_dim`` columns) and is meant for tests and small cases.
    """

    def __init__(self, shape, batch_shape, dtype: torch.dtype, device):
        if len(tuple(shape)) != 2:
            raise ValueError(f"shape must be (out_dim, in_dim), got {shape!r}")
        out_dim = check_positive_int("shape[0] (out_dim)", shape[0])
        in_dim = check_positive_int("shape[1] (in_dim)", shape[1])
        self.shape = (out_dim, in_dim)
        self.batch_shape = tuple(int(b) for b in batch_shape)
        if any(b < 0 for b in self.batch_shape):
            raise ValueError(f"batch_shape must have non-negative entries, got {batch_shape!r}")
        if dtype not in (torch.float32, torch.float64):
            raise TypeError(f"dtype must be float32 or float64, got {dtype}")
        self.dtype = dtype
        self.device = torch.device(device)

    # subclasses implement these two
    def _matvec(self, v: torch.Tensor) -> torch.Tensor:  # pragma: no cover - abstract
        raise NotImplementedError

    def _rmatvec(self, u: torch.Tensor) -> torch.Tensor:  # pragma: no cover - abstract
        raise NotImplementedError

    def _check_vec(self, name: str, v, dim: int) -> None:
        if not isinstance(v, torch.Tensor):
            raise TypeError(f"{name} must be a torch.Tensor, got {type(v).__name__}")
        if v.ndim < 2 or v.shape[-2] != dim:
            raise ValueError(
                f"{name} must have shape [*batch, {dim}, r] (explicit column dim), got {tuple(v.shape)}"
            )

    def matvec(self, v: torch.Tensor) -> torch.Tensor:
        """``M v`` for ``v`` of shape ``[*batch, in_dim, r]`` -> ``[*batch, out_dim, r]``."""
        self._check_vec("v", v, self.shape[1])
        return self._matvec(v)

    def rmatvec(self, u: torch.Tensor) -> torch.Tensor:
        """``M^T u`` for ``u`` of shape ``[*batch, out_dim, r]`` -> ``[*batch, in_dim, r]``."""
        self._check_vec("u", u, self.shape[0])
        return self._rmatvec(u)

    def to_dense(self) -> torch.Tensor:
        """Dense ``[*batch_shape, out_dim, in_dim]`` matrix (``in_dim`` matvecs; small cases only)."""
        eye = torch.eye(self.shape[1], dtype=self.dtype, device=self.device)
        out = self._matvec(eye.expand(*self.batch_shape, *eye.shape))
        return out.expand(*self.batch_shape, *self.shape).contiguous()

    def _deflate(self, done: torch.Tensor):
        """Batch reduction hook of :func:`spectral_norm` (``deflate=True``).

        ``done`` is a bool ``[*batch_shape]`` of members that need no more work.  Return
        ``None`` (cannot shrink; the default) or ``(op2, keep)``: an operator on the kept
        members only (any batch shape with ``len(keep)`` members, in the order of
        ``keep``) and ``keep``, the sorted flat indices (into ``batch_shape``) of the kept
        members, a superset of the members not ``done``.
        """
        return None

    def adjoint(self) -> "LinearOperator":
        """The transposed operator (``matvec`` and ``rmatvec`` swapped)."""
        src = self

        def deflate(done):
            r = src._deflate(done)
            return None if r is None else (r[0].adjoint(), r[1])

        return LinearOperator.from_functions(
            self._rmatvec, self._matvec, (self.shape[1], self.shape[0]), self.batch_shape, self.dtype, self.device,
            deflate=deflate,
        )

    @property
    def T(self) -> "LinearOperator":
        return self.adjoint()

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(shape={self.shape}, batch_shape={self.batch_shape}, "
            f"dtype={self.dtype}, device={self.device})"
        )

    @staticmethod
    def from_dense(M: torch.Tensor) -> "LinearOperator":
        """Wrap a dense ``[*batch, p, q]`` tensor."""
        if not isinstance(M, torch.Tensor):
            raise TypeError(f"M must be a torch.Tensor, got {type(M).__name__}")
        if M.ndim < 2:
            raise ValueError(f"M must have shape [*batch, p, q], got {tuple(M.shape)}")
        if M.dtype not in (torch.float32, torch.float64):
            raise TypeError(f"M must be float32 or float64, got {M.dtype}")
        return _DenseOperator(M)

    @staticmethod
    def from_functions(
        matvec: Callable[[torch.Tensor], torch.Tensor],
        rmatvec: Callable[[torch.Tensor], torch.Tensor],
        shape,
        batch_shape=(),
        dtype: torch.dtype = torch.float64,
        device="cpu",
        deflate: Callable | None = None,
    ) -> "LinearOperator":
        """Operator from two callables implementing ``M v`` and ``M^T u`` on ``[*batch, dim, r]``.

        ``deflate`` (optional) implements :meth:`LinearOperator._deflate`: given a bool
        ``[*batch]`` of finished members it returns ``None`` or ``(op2, keep)``.
        """
        if not callable(matvec):
            raise TypeError("matvec must be callable")
        if not callable(rmatvec):
            raise TypeError("rmatvec must be callable")
        if deflate is not None and not callable(deflate):
            raise TypeError("deflate must be callable or None")
        return _FunctionOperator(matvec, rmatvec, shape, batch_shape, dtype, device, deflate)


class _DenseOperator(LinearOperator):
    def __init__(self, M: torch.Tensor):
        super().__init__(tuple(M.shape[-2:]), tuple(M.shape[:-2]), M.dtype, M.device)
        self.M = M

    def _matvec(self, v):
        return _apply_matrix(self.M, v)

    def _rmatvec(self, u):
        return _apply_matrix(self.M.mT, u)

    def to_dense(self):
        return self.M

    def _deflate(self, done):
        keep = (~done.reshape(-1)).nonzero().squeeze(-1).cpu()
        p, q = self.shape
        M = self.M.expand(*self.batch_shape, p, q).reshape(-1, p, q)
        return _DenseOperator(M.index_select(0, keep.to(M.device))), keep


class _FunctionOperator(LinearOperator):
    def __init__(self, matvec, rmatvec, shape, batch_shape, dtype, device, deflate=None):
        super().__init__(shape, batch_shape, dtype, device)
        self._mv, self._rmv = matvec, rmatvec
        self._dfl = deflate

    def _deflate(self, done):
        return None if self._dfl is None else self._dfl(done)

    def _matvec(self, v):
        return self._mv(v)

    def _rmatvec(self, u):
        return self._rmv(u)


class Diag:
    """A diagonal factor ``diag(d)`` for :class:`ProductOperator`.

    ``d`` is ``[*batch, p]``: a 0/1 activation mask (bool allowed) or any vector.
    Applied elementwise (never materialised as a matrix).
    """

    def __init__(self, d: torch.Tensor):
        if not isinstance(d, torch.Tensor):
            raise TypeError(f"Diag argument must be a torch.Tensor, got {type(d).__name__}")
        if d.ndim < 1:
            raise ValueError(f"Diag argument must have shape [*batch, p], got {tuple(d.shape)}")
        if not (d.dtype == torch.bool or d.is_floating_point()):
            raise TypeError(f"Diag argument must be bool or floating, got {d.dtype}")
        self.d = d

    @property
    def dim(self) -> int:
        return int(self.d.shape[-1])

    @property
    def batch_shape(self) -> tuple:
        return tuple(self.d.shape[:-1])


class ProductOperator(LinearOperator):
    """Implicit product ``F_1 F_2 ... F_k`` of dense matrices and :class:`Diag` factors.

    ``factors`` are listed left-to-right as written mathematically, e.g.
    ``[B, Diag(D_L), W_L, ..., Diag(D_a), W_a]``.  A dense factor is ``[*b, p, q]`` and a
    ``Diag`` is ``[*b, p]``; all batch shapes must broadcast to the operator's
    ``batch_shape``.  ``matvec`` applies the factors right-to-left, ``rmatvec``
    left-to-right with transposes.  Dense factors whose batch dims are 1 where the
    vectors' are not (weights shared across samples) are applied as one fat ``bmm``
    (see :func:`_apply_matrix`).  Cost per matvec: ``sum_j p_j q_j r`` flops per batch
    member, no product is ever formed.
    """

    def __init__(self, factors: Sequence):
        if isinstance(factors, (torch.Tensor, Diag)) or not isinstance(factors, (list, tuple)):
            raise TypeError("factors must be a list/tuple of tensors and Diag objects")
        if len(factors) == 0:
            raise ValueError("factors must be a non-empty list")
        dtype = None
        device = None
        for i, f in enumerate(factors):
            if isinstance(f, torch.Tensor):
                if f.ndim < 2:
                    raise ValueError(f"factors[{i}] must be a matrix [*batch, p, q], got shape {tuple(f.shape)}")
                if f.dtype not in (torch.float32, torch.float64):
                    raise TypeError(f"factors[{i}] must be float32 or float64, got {f.dtype}")
                t = f
            elif isinstance(f, Diag):
                t = f.d
            else:
                raise TypeError(f"factors[{i}] must be a torch.Tensor or a Diag, got {type(f).__name__}")
            if t.is_floating_point():
                if dtype is None:
                    dtype = t.dtype
                elif t.dtype != dtype:
                    raise TypeError(f"factors must share one dtype; factors[{i}] is {t.dtype}, expected {dtype}")
            if device is None:
                device = t.device
            elif t.device != device:
                raise ValueError(f"factors must share one device; factors[{i}] is on {t.device}, expected {device}")
        if dtype is None:
            raise TypeError("at least one factor must be floating-point (all Diag factors are bool)")
        # dims
        dims = []
        for f in factors:
            dims.append((f.dim, f.dim) if isinstance(f, Diag) else (int(f.shape[-2]), int(f.shape[-1])))
        for i in range(len(dims) - 1):
            if dims[i][1] != dims[i + 1][0]:
                raise ValueError(
                    f"factors[{i}] has in_dim {dims[i][1]} but factors[{i + 1}] has out_dim {dims[i + 1][0]}"
                )
        bshapes = [f.batch_shape if isinstance(f, Diag) else tuple(f.shape[:-2]) for f in factors]
        try:
            batch = torch.broadcast_shapes(*bshapes)
        except RuntimeError:
            raise ValueError(f"factor batch shapes do not broadcast: {bshapes}") from None
        super().__init__((dims[0][0], dims[-1][1]), tuple(batch), dtype, device)
        self.factors = [
            Diag(f.d.to(dtype)) if isinstance(f, Diag) and f.d.dtype != dtype else f for f in factors
        ]

    def _matvec(self, v):
        x = v
        for f in reversed(self.factors):
            x = x * f.d.unsqueeze(-1) if isinstance(f, Diag) else _apply_matrix(f, x)
        return x

    def _rmatvec(self, u):
        x = u
        for f in self.factors:
            x = x * f.d.unsqueeze(-1) if isinstance(f, Diag) else _apply_matrix(f.mT, x)
        return x


def _as_operator(op, name: str = "op") -> LinearOperator:
    if isinstance(op, LinearOperator):
        return op
    if isinstance(op, torch.Tensor):
        if op.ndim < 2:
            raise ValueError(f"{name} must be a LinearOperator or a [*batch, p, q] tensor, got shape {tuple(op.shape)}")
        return LinearOperator.from_dense(op)
    raise TypeError(f"{name} must be a LinearOperator or a torch.Tensor, got {type(op).__name__}")


# --------------------------------------------------------------------------- spectral norm


def spectral_norm_dense(M: torch.Tensor) -> torch.Tensor:
    """``||M||_2`` of each ``[*batch, p, q]`` matrix via ``torch.linalg.matrix_norm(ord=2)`` (full SVD)."""
    if not isinstance(M, torch.Tensor) or M.ndim < 2 or not M.is_floating_point():
        raise TypeError("M must be a floating tensor of shape [*batch, p, q]")
    return torch.linalg.matrix_norm(M, ord=2)


def _tridiag_top(alpha: torch.Tensor, beta: torch.Tensor):
    """Top Ritz data of the k x k upper-bidiagonal ``B`` (diag ``alpha``, superdiag ``beta[:-1]``).

    ``alpha``, ``beta``: ``[N, k]`` float64.  Returns ``sigma1``, ``sigma2`` (second
    singular value, 0 if k == 1) and ``|p_k|``: the last component of the top *left*
    singular vector of ``B``.  Uses ``eigvalsh`` of the tridiagonal ``B^T B`` and the
    LDL^T (Sturm) recurrence for the last eigenvector component
    (``q_k^2 = -1/d_k'(theta)``), then ``p_k = alpha_k q_k / sigma``.
    """
    N, k = alpha.shape
    a = alpha**2
    a = a.clone()
    a[:, 1:] += beta[:, : k - 1] ** 2
    b = alpha[:, : k - 1] * beta[:, : k - 1]
    T = torch.diag_embed(a)
    if k > 1:
        T = T + torch.diag_embed(b, 1) + torch.diag_embed(b, -1)
    ev = torch.linalg.eigvalsh(T)
    theta = ev[:, -1].clamp_min(0)
    theta2 = ev[:, -2].clamp_min(0) if k > 1 else torch.zeros_like(theta)
    # Sturm/LDL recurrence at x = theta for d_k'(theta)
    x = theta
    tiny = torch.finfo(torch.float64).tiny
    d = a[:, 0] - x
    dp = -torch.ones_like(x)
    for j in range(1, k):
        dprev = torch.where(d.abs() > tiny, d, torch.full_like(d, -tiny))
        bb = b[:, j - 1] ** 2
        dp = -1.0 + bb * dp / dprev**2
        d = a[:, j] - x - bb / dprev
    qk2 = (-1.0 / dp).clamp(0, 1)
    sigma1 = theta.sqrt()
    pk = torch.where(sigma1 > 0, alpha[:, -1] * qk2.sqrt() / torch.where(sigma1 > 0, sigma1, 1.0), torch.zeros_like(sigma1))
    return sigma1, theta2.sqrt(), pk.clamp(0, 1)


def _augmented_top(alpha: torch.Tensor, beta: torch.Tensor) -> torch.Tensor:
    """Top singular value of the k x (k+1) matrix ``C = U_k^T A V_{k+1} = [B_k, beta_k e_k]``.

    ``C C^T`` is tridiagonal with diagonal ``alpha_j^2 + beta_j^2`` and off-diagonal
    ``beta_j alpha_{j+1}``.  ``sigma_1(B_k) <= sigma_1(C) <= sigma_max(A)`` (a compression
    of ``A`` by orthonormal bases), and ``C`` is exact once ``k = min(p, q)``.
    """
    k = alpha.shape[-1]
    a = alpha**2 + beta**2
    T = torch.diag_embed(a)
    if k > 1:
        b = beta[:, : k - 1] * alpha[:, 1:]
        T = T + torch.diag_embed(b, 1) + torch.diag_embed(b, -1)
    return torch.linalg.eigvalsh(T)[:, -1].clamp_min(0).sqrt()


def spectral_norm(
    op,
    *,
    tol: float = 1e-6,
    max_iter: int | None = None,
    generator: torch.Generator,
    return_info: bool = False,
    deflate: bool = False,
):
    """Largest singular value of every operator in a batch, matrix-free.

    Parameters
    ----------
    op : LinearOperator or tensor ``[*batch, p, q]``
    tol : target relative accuracy of ``sigma_max`` (clamped below at ``10 * eps`` of
        the operator dtype, i.e. about 1.2e-6 in float32).
    max_iter : cap on Lanczos steps (default ``min(p, q)``, at which point the Krylov
        space is the whole space and the answer is exact up to rounding).
    generator : source of the random start vector (same device type as ``op``).
    return_info : also return a dict ``{"iterations", "rel_err", "rel_change",
        "converged", "steps"}`` (``rel_err``/``rel_change``/``converged``/``steps`` are
        ``[*batch]``; ``steps`` is the number of Lanczos steps each member took).
    deflate : let converged members leave the batch (default False).  After a step in
        which at least 10% of the active members have converged, the operator is asked
        (``op._deflate(done)``, see :meth:`LinearOperator.from_functions`) for a smaller
        operator without them; one that cannot shrink keeps iterating them.  A deflated
        member's value is that of its own last step (it met the stopping rule below),
        so results differ from ``deflate=False`` by at most about ``tol`` relative (the
        non-deflated run keeps refining already converged members until all are).

    Returns
    -------
    ``sigma`` of shape ``[*batch]`` (op dtype/device) [, info].

    Method
    ------
    Golub-Kahan-Lanczos bidiagonalisation ``A V_k = U_k B_k``, started from one random
    unit vector per batch member, with full (classical Gram-Schmidt, applied twice)
    reorthogonalisation of both Lanczos bases; all batch members iterate together
    (``op.matvec``/``rmatvec`` get ``[*batch, dim, 1]``), so a ``[K, P]`` batch of
    products costs one batched product per step.  The small bidiagonal problem is
    solved in float64 on the CPU (``eigvalsh`` of ``B_k^T B_k`` plus a Sturm
    recurrence for the last eigenvector component); the returned value is the top
    singular value of the compression ``U_k^T A V_{k+1}`` (a tridiagonal eigenproblem,
    at least the ``B_k`` Ritz value, still a lower bound, exact at ``k = min(p, q)``).  Member ``i`` is converged when
    (a) the relative change of its top Ritz value was ``< tol`` at each of the last 2
    steps and (b) the residual-based estimate ``min(res/(2 sigma), res^2/(2 gap))`` of
    the relative error is ``< tol``, where ``res = beta_k |p_k| = ||A^T u - sigma v||``
    is the Ritz-pair residual and ``gap = sigma_1^2 - sigma_2^2`` uses the second Ritz
    value (a heuristic: it assumes the random start did not miss the top singular
    direction, which happens with probability 0).  Iteration stops when all members are
    converged or ``max_iter`` is reached.  Typically 15-40 steps for 1e-6..1e-7 on
    ReLU-net products (power iteration needs ~10x more).

    Ritz values are Rayleigh quotients, hence LOWER bounds of ``sigma_max`` in exact
    arithmetic: an under-converged estimate is too small, which makes an upper-bound
    claim ``||M|| <= C`` easier to pass (lost power).  Always converge to ``tol`` and
    check ``info["converged"]``.

    Memory: two bases of ``[*batch, p, k]`` and ``[*batch, q, k]`` (``k`` = steps);
    chunk very large batches.
    """
    op = _as_operator(op)
    tol = check_in_range("tol", tol, 0.0, 1.0, low_open=True, high_open=True)
    p, q = op.shape
    kmax = min(p, q)
    if max_iter is None:
        max_iter = kmax
    else:
        max_iter = min(check_positive_int("max_iter", max_iter), kmax)
    gen = _check_generator(generator, op.device)
    eff_tol = max(tol, 10 * torch.finfo(op.dtype).eps)
    batch = op.batch_shape
    N = _prod(batch)
    dt, dev = op.dtype, op.device
    eps = torch.finfo(dt).eps

    v = torch.randn(*batch, q, 1, generator=gen, dtype=dt, device=dev)
    v, _ = _safe_normalize(v)
    # State of the ACTIVE members, flattened to [Na, ...]; the Lanczos bases are stored
    # row-wise ([Na, cap, dim]: basis vector j is row j, so the first k rows are one
    # contiguous block per member and the reorthogonalisation is two batched GEMVs).
    v = v.reshape(N, q)
    act = torch.arange(N)                      # flat (CPU) indices of the active members
    cur = op                                   # operator on the active members
    cap = min(max_iter + 1, 32)
    Vb = torch.zeros(N, cap, q, dtype=dt, device=dev)
    Ub = torch.zeros(N, cap, p, dtype=dt, device=dev)
    alphas: list[torch.Tensor] = []            # per step, [N] float64 (0 for deflated members)
    betas: list[torch.Tensor] = []
    scale = torch.zeros(N, 1, dtype=dt, device=dev)

    sigma = torch.zeros(N, dtype=torch.float64)
    rel_err = torch.full((N,), math.inf, dtype=torch.float64)
    rel_change = torch.full((N,), math.inf, dtype=torch.float64)
    converged = torch.zeros(N, dtype=torch.bool)
    steps = torch.zeros(N, dtype=torch.int64)  # Lanczos steps taken by each member
    beta_prev = None
    u_prev = None
    k = 0

    def reorth(x, Q):
        # x <- (I - Q^T Q)^2 x for x [Na, dim], Q [Na, j, dim] (classical Gram-Schmidt twice)
        x = x.unsqueeze(1)
        for _ in range(2):
            x = torch.baddbmm(x, torch.bmm(x, Q.mT), Q, alpha=-1)
        return x.squeeze(1)

    while k < max_iter:
        Na = act.numel()
        if k + 1 > cap:
            newcap = min(2 * cap, max_iter + 1)
            Vb = torch.cat([Vb, Vb.new_zeros(Na, newcap - cap, q)], dim=1)
            Ub = torch.cat([Ub, Ub.new_zeros(Na, newcap - cap, p)], dim=1)
            cap = newcap
        Vb[:, k] = v
        u = cur.matvec(v.reshape(*cur.batch_shape, q, 1)).expand(*cur.batch_shape, p, 1).reshape(Na, p)
        if u_prev is not None:
            u = u - beta_prev * u_prev
        if k > 0:
            u = reorth(u, Ub[:, :k])
        u, alpha = _safe_normalize(u, dim=-1)
        scale = torch.maximum(scale, alpha)
        dead = alpha <= 100 * eps * scale
        u = torch.where(dead, torch.zeros_like(u), u)
        alpha = torch.where(dead, torch.zeros_like(alpha), alpha)
        Ub[:, k] = u
        w = cur.rmatvec(u.reshape(*cur.batch_shape, p, 1)).expand(*cur.batch_shape, q, 1).reshape(Na, q) - alpha * v
        w = reorth(w, Vb[:, : k + 1])
        w, beta = _safe_normalize(w, dim=-1)
        scale = torch.maximum(scale, beta)
        dead = beta <= 100 * eps * scale
        w = torch.where(dead, torch.zeros_like(w), w)
        beta = torch.where(dead, torch.zeros_like(beta), beta)
        a_full = torch.zeros(N, dtype=torch.float64)
        b_full = torch.zeros(N, dtype=torch.float64)
        a_full[act] = alpha.reshape(Na).to("cpu", torch.float64)
        b_full[act] = beta.reshape(Na).to("cpu", torch.float64)
        alphas.append(a_full)
        betas.append(b_full)
        steps[act] += 1
        u_prev, beta_prev, v = u, beta, w
        k += 1

        # convergence check on the active, not-yet-converged members
        idx = act[~converged[act]]
        A = torch.stack(alphas, dim=-1)[idx]
        Bt = torch.stack(betas, dim=-1)[idx]
        s1, s2, pk = _tridiag_top(A, Bt)
        res = Bt[:, -1] * pk
        gap = (s1**2 - s2**2).clamp_min(0)
        pos = s1 > 0
        s1safe = torch.where(pos, s1, torch.ones_like(s1))
        est_a = res / (2 * s1safe)
        est_b = torch.where(gap > 0, res**2 / (2 * torch.where(gap > 0, gap, torch.ones_like(gap))), torch.full_like(res, math.inf))
        est = torch.minimum(est_a, est_b)
        est = torch.where(pos, est, torch.where(res > 0, torch.full_like(res, math.inf), torch.zeros_like(res)))
        prev = sigma[idx]
        chg = torch.where(pos, (s1 - prev).abs() / s1safe, torch.zeros_like(s1))
        sigma[idx] = s1
        rel_err[idx] = est
        ok = (chg < eff_tol) & (rel_change[idx] < eff_tol) & (est < eff_tol) | ((res == 0) & (k > 1))
        rel_change[idx] = chg
        converged[idx] = ok
        if bool(converged.all()):
            break
        # deflation: hand the converged members back to the operator, which may drop them
        done = converged[act]
        if deflate and int(done.sum()) >= max(1, Na // 10):
            red = cur._deflate(done.reshape(cur.batch_shape))
            if red is not None:
                cur, keep = red
                keep = torch.as_tensor(keep, dtype=torch.int64).cpu()
                dropped = torch.ones(Na, dtype=torch.bool)
                dropped[keep] = False
                if bool((dropped & ~done).any()) or cur.shape != (p, q) or _prod(cur.batch_shape) != keep.numel():
                    raise RuntimeError("operator _deflate dropped an unconverged member or returned a wrong shape")
                if keep.numel() < Na:
                    kd = keep.to(dev)
                    act = act[keep]
                    Vb, Ub = Vb.index_select(0, kd), Ub.index_select(0, kd)
                    v, u_prev, beta_prev = v.index_select(0, kd), u_prev.index_select(0, kd), beta_prev.index_select(0, kd)
                    scale = scale.index_select(0, kd)
    # final values for everybody from the full bidiagonal (Ritz values only increase)
    A = torch.stack(alphas, dim=-1)
    Bt = torch.stack(betas, dim=-1)
    sigma = _augmented_top(A, Bt)
    exhausted = steps >= kmax  # Krylov space exhausted: exact up to rounding
    rel_err = torch.where(exhausted, torch.zeros_like(rel_err), rel_err)
    converged = converged | exhausted
    out = sigma.to(device=dev, dtype=dt).reshape(batch)
    if not return_info:
        return out
    info = {
        "iterations": k,
        "steps": steps.reshape(batch),
        "rel_err": rel_err.reshape(batch),
        "rel_change": rel_change.reshape(batch),
        "converged": converged.reshape(batch),
        "tol": eff_tol,
    }
    return out, info


# --------------------------------------------------------------------------- smallest singular value


def smallest_singular_value(op) -> torch.Tensor:
    """Smallest singular value ``sigma_min`` of each operator in a batch (short-fat or tall-thin).

    For ``op`` of shape ``d x m`` with ``d <= m`` (e.g. the backward matrix
    ``Back_{i,a}``, ``d`` small) forms the ``d x d`` Gram matrix ``M M^T`` with ``d``
    ``rmatvec`` plus ``d`` ``matvec`` columns and returns ``sqrt(lambda_min)`` via
    ``eigvalsh`` in float64; for ``d > m`` it uses ``M^T M`` (``m x m``) instead.  This is
    ``sigma_d`` (the ``min(d, m)``-th singular value).  Cost: ``2 min(d, m)`` operator
    columns.  Accuracy: squaring makes the absolute error about
    ``eps * sigma_max^2``, so the relative error of ``sigma_min`` is about
    ``eps * (sigma_max / sigma_min)^2 / 2`` (fine for well-conditioned backward
    matrices; use float64 operators for ill-conditioned ones).  Returns ``[*batch]``.
    """
    op = _as_operator(op)
    p, q = op.shape
    s = min(p, q)
    eye = torch.eye(s, dtype=op.dtype, device=op.device).expand(*op.batch_shape, s, s)
    if p <= q:
        G = op.matvec(op.rmatvec(eye))
    else:
        G = op.rmatvec(op.matvec(eye))
    G = G.to(torch.float64)
    G = 0.5 * (G + G.mT)
    lam = torch.linalg.eigvalsh(G)[..., 0].clamp_min(0)
    return lam.sqrt().to(op.dtype).expand(op.batch_shape).contiguous()


# --------------------------------------------------------------------------- sparse spectral norm


def _truncate(x: torch.Tensor, s: int, mask: torch.Tensor | None) -> torch.Tensor:
    """Keep the ``s`` largest-|.| entries of each column of ``x`` ([*b, n, r]) inside ``mask``; normalise."""
    if mask is not None:
        x = x * mask.unsqueeze(-1).to(x.dtype)
    if s < x.shape[-2]:
        idx = x.abs().topk(s, dim=-2).indices
        keep = torch.zeros_like(x, dtype=torch.bool).scatter_(-2, idx, True)
        x = x * keep
    x, _ = _safe_normalize(x)
    return x


def _check_support(name: str, m, batch, dim, device):
    if m is None:
        return None
    if not isinstance(m, torch.Tensor) or m.dtype != torch.bool:
        raise TypeError(f"{name} must be a bool tensor [*batch, {dim}], got {type(m).__name__}")
    if m.ndim < 1 or m.shape[-1] != dim:
        raise ValueError(f"{name} must have shape [*batch, {dim}], got {tuple(m.shape)}")
    return m.to(device)


def sparse_spectral_norm_lower_bound(
    op,
    s: int | None = None,
    *,
    s_left: int | None = None,
    s_right: int | None = None,
    restarts: int = 8,
    iters: int = 50,
    generator: torch.Generator,
    support_left: torch.Tensor | None = None,
    support_right: torch.Tensor | None = None,
):
    """Certified lower bound of the sparse spectral norm ``max |u^T M v|`` over
    ``||u||_0 <= s_left``, ``||v||_0 <= s_right``, ``||u|| = ||v|| = 1``.

    The exact value is NP-hard; this runs the truncated power method
    (``u <- top_{s_left}(M v)/||.||``, ``v <- top_{s_right}(M^T u)/||.||``, Yuan & Zhang
    2013) for ``iters`` rounds from ``restarts`` random starts plus two informed starts
    (the ``s_right`` largest column norms of ``M``, estimated from 8 Gaussian probes of
    ``M^T``; and a 10-step untruncated power iterate truncated to ``s_right``), all
    restarts batched as columns of one ``[*batch, dim, restarts + 2]`` block.  The best
    iterate seen per member is kept.  Optional bool masks ``support_left``
    ``[*batch, out_dim]`` / ``support_right`` ``[*batch, in_dim]`` restrict the supports.

    Returns ``(value [*batch], u [*batch, out_dim], v [*batch, in_dim])`` where ``u``
    and ``v`` are unit vectors with at most ``s_left``/``s_right`` nonzeros and
    ``value = |u^T M v|`` is recomputed for exactly these vectors: a certified lower
    bound of the sparse norm (up to floating-point rounding of one matvec).  On random
    8x8 matrices with s = 2 it is within 10% of the brute-force optimum (usually equal).
    """
    op = _as_operator(op)
    p, q = op.shape
    if s is None and (s_left is None or s_right is None):
        raise ValueError("s must be given unless both s_left and s_right are given")
    if s is not None:
        s = check_positive_int("s", s)
    s_left = check_positive_int("s_left", s_left if s_left is not None else s)
    s_right = check_positive_int("s_right", s_right if s_right is not None else s)
    if s_left > p:
        raise ValueError(f"s_left (or s) must be <= out_dim = {p}, got {s_left}")
    if s_right > q:
        raise ValueError(f"s_right (or s) must be <= in_dim = {q}, got {s_right}")
    restarts = check_positive_int("restarts", restarts)
    iters = check_positive_int("iters", iters)
    gen = _check_generator(generator, op.device)
    mL = _check_support("support_left", support_left, op.batch_shape, p, op.device)
    mR = _check_support("support_right", support_right, op.batch_shape, q, op.device)
    batch = op.batch_shape
    dt, dev = op.dtype, op.device

    R = restarts + 2
    v_rand = torch.randn(*batch, q, restarts, generator=gen, dtype=dt, device=dev)
    # informed start 1: largest estimated column norms (E (M^T z)_j^2 = ||M e_j||^2)
    z = torch.randn(*batch, p, 8, generator=gen, dtype=dt, device=dev)
    if mL is not None:
        z = z * mL.unsqueeze(-1).to(dt)
    colsq = op.rmatvec(z).pow(2).mean(-1, keepdim=True).expand(*batch, q, 1)
    if mR is not None:
        colsq = colsq * mR.unsqueeze(-1).to(dt)
    idx = colsq.topk(s_right, dim=-2).indices
    v_col = torch.zeros_like(colsq).scatter_(-2, idx, 1.0)
    # informed start 2: dense power iterate
    w = torch.randn(*batch, q, 1, generator=gen, dtype=dt, device=dev)
    for _ in range(10):
        x = op.matvec(w)
        if mL is not None:
            x = x * mL.unsqueeze(-1).to(dt)
        w = op.rmatvec(x)
        if mR is not None:
            w = w * mR.unsqueeze(-1).to(dt)
        w, _ = _safe_normalize(w)
    w = w.expand(*batch, q, 1)
    v = torch.cat([v_rand.expand(*batch, q, restarts), v_col, w], dim=-1)
    v = _truncate(v, s_right, mR)

    best_val = torch.full((*batch, R), -1.0, dtype=dt, device=dev)
    best_u = torch.zeros(*batch, p, R, dtype=dt, device=dev)
    best_v = torch.zeros(*batch, q, R, dtype=dt, device=dev)

    def record(val, uu, vv):
        nonlocal best_val, best_u, best_v
        better = val > best_val
        best_val = torch.where(better, val, best_val)
        best_u = torch.where(better.unsqueeze(-2), uu, best_u)
        best_v = torch.where(better.unsqueeze(-2), vv, best_v)

    for _ in range(iters):
        Mv = op.matvec(v).expand(*batch, p, R)
        u = _truncate(Mv, s_left, mL)
        record((u * Mv).sum(-2).abs(), u, v)
        Mtu = op.rmatvec(u).expand(*batch, q, R)
        v = _truncate(Mtu, s_right, mR)
        record((v * Mtu).sum(-2).abs(), u, v)

    j = best_val.argmax(-1, keepdim=True)  # [*batch, 1]
    u = torch.gather(best_u, -1, j.unsqueeze(-2).expand(*batch, p, 1))
    v = torch.gather(best_v, -1, j.unsqueeze(-2).expand(*batch, q, 1))
    value = (u * op.matvec(v)).sum(-2).abs().squeeze(-1)
    return value.expand(batch).contiguous(), u.squeeze(-1), v.squeeze(-1)
