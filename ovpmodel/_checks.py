"""Input validation and determinism helpers shared by every ovpmodel module.

Every public function validates its arguments through these helpers so that a bad
input raises a ``ValueError`` (or ``TypeError``) that names the parameter and the
constraint it broke, never a bare traceback from deep inside torch.
"""

from __future__ import annotations

import math
from typing import Any

import torch

__all__ = [
    "check_positive_int",
    "check_nonneg_int",
    "check_finite",
    "check_in_range",
    "resolve_device",
    "resolve_dtype",
    "make_generator",
    "check_tensor",
]

_DTYPES = {
    "float32": torch.float32,
    "float64": torch.float64,
    "float": torch.float32,
    "double": torch.float64,
}


def check_positive_int(name: str, value: Any) -> int:
    """Return ``value`` as an ``int`` if it is an integer >= 1, else raise ``ValueError``."""
    if isinstance(value, bool) or not isinstance(value, (int,)) and not (
        hasattr(value, "__index__") and not isinstance(value, float)
    ):
        raise TypeError(f"{name} must be a positive integer, got {value!r} of type {type(value).__name__}")
    value = int(value)
    if value < 1:
        raise ValueError(f"{name} must be a positive integer (>= 1), got {value}")
    return value


def check_nonneg_int(name: str, value: Any) -> int:
    """Return ``value`` as an ``int`` if it is an integer >= 0, else raise."""
    if isinstance(value, bool) or isinstance(value, float) or not hasattr(value, "__index__"):
        raise TypeError(f"{name} must be a non-negative integer, got {value!r}")
    value = int(value)
    if value < 0:
        raise ValueError(f"{name} must be a non-negative integer (>= 0), got {value}")
    return value


def check_finite(name: str, value: Any) -> float:
    """Return ``value`` as a finite ``float`` or raise ``ValueError``."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a real number, got {value!r}") from None
    if not math.isfinite(v):
        raise ValueError(f"{name} must be finite, got {v}")
    return v


def check_in_range(
    name: str,
    value: Any,
    low: float | None = None,
    high: float | None = None,
    *,
    low_open: bool = False,
    high_open: bool = False,
) -> float:
    """Return ``value`` as a finite float inside the stated interval, or raise ``ValueError``.

    The message states the interval, e.g. ``delta must lie in (0, 1], got 1.5``.
    """
    v = check_finite(name, value)
    lo_ok = low is None or (v > low if low_open else v >= low)
    hi_ok = high is None or (v < high if high_open else v <= high)
    if not (lo_ok and hi_ok):
        lb = "(" if low_open else "["
        rb = ")" if high_open else "]"
        lo = "-inf" if low is None else f"{low:g}"
        hi = "inf" if high is None else f"{high:g}"
        raise ValueError(f"{name} must lie in {lb}{lo}, {hi}{rb}, got {v:g}")
    return v


def resolve_device(device: str | torch.device | None) -> torch.device:
    """Resolve ``device`` ("cpu", "cuda", "cuda:1", a ``torch.device`` or None = cpu).

    Raises ``ValueError`` for an unknown device string and for CUDA requested on a
    machine without a usable GPU.
    """
    if device is None:
        return torch.device("cpu")
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError):
        raise ValueError(
            f"device must be 'cpu', 'cuda' or 'cuda:N', got {device!r}"
        ) from None
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(
                f"device {device!r} requested but torch.cuda.is_available() is False "
                "(no GPU or a CPU-only torch build); use device='cpu' or install a CUDA build of torch"
            )
        if dev.index is not None and dev.index >= torch.cuda.device_count():
            raise ValueError(
                f"device {device!r}: only {torch.cuda.device_count()} CUDA device(s) visible"
            )
    elif dev.type != "cpu":
        raise ValueError(f"device must be 'cpu' or 'cuda[:N]', got {device!r}")
    return dev


def resolve_dtype(dtype: str | torch.dtype | None, default: torch.dtype = torch.float64) -> torch.dtype:
    """Resolve ``dtype`` ("float32", "float64", a torch float dtype, or None = default)."""
    if dtype is None:
        return default
    if isinstance(dtype, torch.dtype):
        if dtype not in (torch.float32, torch.float64):
            raise ValueError(f"dtype must be float32 or float64, got {dtype}")
        return dtype
    if isinstance(dtype, str) and dtype.replace("torch.", "") in _DTYPES:
        return _DTYPES[dtype.replace("torch.", "")]
    raise ValueError(f"dtype must be one of 'float32', 'float64', got {dtype!r}")


def make_generator(seed: int | torch.Generator, device: torch.device | str = "cpu") -> torch.Generator:
    """A ``torch.Generator`` on ``device`` seeded with ``seed`` (or ``seed`` itself if it is one).

    All randomness in ovpmodel flows from such generators; the global RNG is never used.
    """
    if isinstance(seed, torch.Generator):
        return seed
    if isinstance(seed, bool) or not hasattr(seed, "__index__"):
        raise TypeError(f"seed must be an int or a torch.Generator, got {seed!r}")
    seed = int(seed)
    if seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed}")
    g = torch.Generator(device=torch.device(device))
    g.manual_seed(seed)
    return g


def check_tensor(name: str, t: Any, *, ndim: int | tuple[int, ...] | None = None, last: int | None = None) -> torch.Tensor:
    """Check that ``t`` is a floating tensor with the given number of dims and last-dim size."""
    if not isinstance(t, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(t).__name__}")
    if not t.is_floating_point():
        raise TypeError(f"{name} must be a floating-point tensor, got dtype {t.dtype}")
    if ndim is not None:
        nd = (ndim,) if isinstance(ndim, int) else ndim
        if t.ndim not in nd:
            raise ValueError(f"{name} must have {' or '.join(map(str, nd))} dimensions, got shape {tuple(t.shape)}")
    if last is not None and t.shape[-1] != last:
        raise ValueError(f"{name} must have last dimension {last}, got shape {tuple(t.shape)}")
    if not torch.isfinite(t).all():
        raise ValueError(f"{name} contains non-finite values (NaN or inf)")
    return t
