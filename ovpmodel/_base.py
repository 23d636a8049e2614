"""Shared machinery of the trial-batched networks: input normalisation and traces.

Every network holds ``K`` independent random initialisations ("trials") in one
tensor whose leading dimension is the trial index, so that any statistic over
trials is one batched computation.  Inputs may be shared by all trials (shape
``[n, ...]``) or given per trial (``[K, n, ...]``).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from ._checks import check_tensor

__all__ = ["Trace", "as_batched_input"]


@dataclass(frozen=True)
class Trace:
    """Forward trace of a trial-batched network.

    Attributes (``K`` trials, ``n`` samples, ``P`` layers or time steps, ``m`` width):

    - ``g``: pre-activations ``[K, P, n, m]`` (``g_{i,l}`` of the papers),
    - ``h``: post-activations ``[K, P, n, m]`` (``h_{i,l} = phi(g_{i,l})``),
    - ``D``: ReLU sign masks ``[K, P, n, m]`` (bool; ``D_{i,l} = diag(1[g_{i,l} >= 0])``
      for the Allen-Zhu papers, ``1[g > 0]`` for Zou et al.),
    - ``out``: network outputs (shape documented by each network).

    For networks whose layers have different widths (Zou et al.) ``g``, ``h`` and
    ``D`` are tuples of ``[K, n, m_l]`` tensors instead.
    """

    g: torch.Tensor | tuple
    h: torch.Tensor | tuple
    D: torch.Tensor | tuple
    out: torch.Tensor


def as_batched_input(name: str, x: torch.Tensor, trials: int, feature_ndim: int, last: int,
                     dtype: torch.dtype, device: torch.device) -> torch.Tensor:
    """Return ``x`` as ``[K, n, *features]`` on ``device``/``dtype``, validating its shape.

    ``x`` is either shared by all trials (``[n, *features]``) or per trial
    (``[K, n, *features]``); ``feature_ndim`` is the number of feature dims and
    ``last`` the required size of the last one.
    """
    check_tensor(name, x, ndim=(feature_ndim + 1, feature_ndim + 2), last=last)
    x = x.to(device=device, dtype=dtype)
    if x.ndim == feature_ndim + 1:
        return x.unsqueeze(0).expand(trials, *x.shape)
    if x.shape[0] != trials:
        raise ValueError(
            f"{name} has a leading trial dimension of {x.shape[0]} but the network holds {trials} trials"
        )
    return x
