"""CUDA's device-placement rules, checked on a CPU.

No GPU is available to CI (and none was lent to the sessions that built this), yet
``--device cuda`` must work. The usual ways code breaks on a GPU are placement
errors that a CPU run never sees, because on a CPU every tensor is on the same
device:

* an operation mixing a device tensor with a host tensor of one or more dimensions
  ("Expected all tensors to be on the same device"; a 0-dim host tensor is allowed,
  CUDA treats it as a scalar), or with a numpy array;
* a generator on one device driving a random draw on the other ("Expected a 'cuda'
  device type for generator");
* ``.numpy()`` (or ``np.asarray``) of a device tensor ("can't convert cuda:0 device
  type tensor to numpy").

:class:`DeviceLint` plays the GPU on a CPU: the run is given the device
``torch.device("cpu", 0)`` in place of ``cuda`` (a real CPU device, so every number is
computed for real), and a ``TorchFunctionMode`` tags each tensor it sees as ``dev``
(created with ``device="cpu:0"``, a ``cpu:0`` generator, moved there with ``.to``, or
computed from such a tensor) or ``host`` (created without a device, by
``torch.from_numpy``, or moved back with ``.cpu()``), and records every operation that
would raise on CUDA, with the line of project code that called it. Tensors it never
saw created (autograd's ``.grad``, cache hits from an earlier run) carry no tag and are
not judged, so the lint can miss a placement error but does not invent one.

:func:`lint_claim` runs a claim's measure this way at its regime's low point and at
each option of its ``Choice`` parameters (one example, two trials, profile ``quick``);
``ovpcheck lint-devices`` does it for the catalog or a user claim, and the test suite
does it for every catalog claim.

Limits, stated plainly: this checks placement only. It cannot show CUDA numerics,
speed, memory, or kernels that exist only on the CPU; only a run on a GPU shows those.
It judges the code paths the points reach, not every branch.
"""
from __future__ import annotations

import os
import sysconfig
import traceback

import numpy as np
import torch
from torch.overrides import TorchFunctionMode

__all__ = ["DEV", "DeviceLint", "lint_call", "lint_points", "lint_claim", "describe"]

DEV = torch.device("cpu", 0)
_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))   # the checkout / site-packages
# frames that are not "the caller": torch itself, numpy, the standard library and this file
_NOT_CALLER = tuple(os.path.dirname(m.__file__) + os.sep for m in (torch, np)) + (
    sysconfig.get_paths()["stdlib"] + os.sep, os.path.abspath(__file__))
_RealGenerator = torch.Generator
_ATTR = "_devicelint_where"
_DEVICE_PROPERTY = torch._C.TensorBase.device     # the descriptor behind ``tensor.device``


class _DevGenerator(_RealGenerator):
    """A CPU generator that says it lives on ``cpu:0`` (as a CUDA one says ``cuda``)."""

    @property
    def device(self):
        return DEV

_FACTORY_LIKE = {"zeros_like", "ones_like", "empty_like", "full_like", "rand_like", "randn_like",
                 "randint_like"}
_NEW = {"new_zeros", "new_ones", "new_empty", "new_full", "new_tensor"}


def _where_of_device(d) -> str | None:
    if d is None:
        return None
    try:
        d = torch.device(d)
    except (RuntimeError, TypeError):
        return None
    return "dev" if (d.type == "cpu" and d.index == 0) else "host"


def _tensors(x, out: list):
    if isinstance(x, torch.Tensor):
        out.append(x)
    elif isinstance(x, (list, tuple)):
        for y in x:
            _tensors(y, out)
    elif isinstance(x, dict):
        for y in x.values():
            _tensors(y, out)
    return out


def _tag(t) -> str | None:
    return getattr(t, _ATTR, None) if isinstance(t, torch.Tensor) else None


def _set(x, where: str | None):
    if where is None:
        return
    for t in _tensors(x, []):
        try:
            setattr(t, _ATTR, where)
        except (AttributeError, RuntimeError):
            pass


class DeviceLint(TorchFunctionMode):
    """Record operations that would fail on CUDA; see the module docstring.

    Use ``with DeviceLint() as lint:`` and read ``lint.violations`` (a list of dicts
    with ``kind``, ``op``, ``where`` (project file:line) and ``detail``), deduplicated
    by (kind, op, where). Inside the block ``torch.Generator(device="cpu:0")`` gives a
    generator whose ``.device`` is ``cpu:0`` (a real one drops the index), so code that
    reads ``gen.device`` sees what it would see on a GPU.
    """

    def __init__(self):
        super().__init__()
        self.violations: list[dict] = []
        self._seen: set = set()

    # -- generators -----------------------------------------------------------------
    def __enter__(self):
        class _Meta(type):
            def __instancecheck__(cls, obj):
                return isinstance(obj, _RealGenerator)

            def __call__(cls, device="cpu"):
                if _where_of_device(device) == "dev":
                    return _DevGenerator(device="cpu")
                return _RealGenerator(device=device)

        class Generator(metaclass=_Meta):
            pass

        torch.Generator = Generator
        return super().__enter__()

    def __exit__(self, *exc):
        torch.Generator = _RealGenerator
        return super().__exit__(*exc)

    # -- reporting ------------------------------------------------------------------
    def _report(self, kind: str, op: str, detail: str):
        frames = [f for f in traceback.extract_stack()[:-2]
                  if not os.path.abspath(f.filename).startswith(_NOT_CALLER) and not f.filename.startswith("<")]
        rel = lambda f: os.path.relpath(f, _ROOT) if os.path.abspath(f).startswith(_ROOT + os.sep) else f
        chain = [f"{rel(f.filename)}:{f.lineno}" for f in frames[-4:]]
        where = chain[-1] if chain else "?"
        key = (kind, op, where)
        if key not in self._seen:
            self._seen.add(key)
            self.violations.append({"kind": kind, "op": op, "where": where, "detail": detail,
                                    "code": frames[-1].line if frames else "", "callers": chain[:-1]})

    # -- the rules ------------------------------------------------------------------
    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        name = getattr(func, "__name__", str(func))
        self_t = args[0] if args and isinstance(args[0], torch.Tensor) else None
        if getattr(func, "__self__", None) is _DEVICE_PROPERTY:
            # a device tensor says it is on cpu:0, as a CUDA one says cuda:0, so that
            # ``torch.zeros(..., device=x.device)`` lands where it would on a GPU
            return DEV if _tag(self_t) == "dev" else func(*args, **kwargs)

        if name == "numpy" and _tag(self_t) == "dev":
            self._report("numpy-of-device-tensor", name, "a device tensor converted to numpy; call .cpu() first")

        # placement of the inputs
        # (CUDA accepts host index tensors in x[idx] and x[idx] = v; it does not accept a host v)
        if name == "__getitem__":
            judged = args[:1]
        elif name == "__setitem__":
            judged = args[:1] + args[2:]
        else:
            judged = args + tuple(a for k, a in kwargs.items() if k != "generator")
        ins = _tensors(list(judged), [])
        tags = [(_tag(t), t.ndim) for t in ins]
        has_dev = any(w == "dev" for w, _ in tags)
        host_nd = [nd for w, nd in tags if w == "host" and nd > 0]
        if has_dev and host_nd and name not in ("copy_", "to", "cpu"):
            self._report("mixed-devices", name, f"device and host tensors (host one has {host_nd[0]} dims)")
        if has_dev and any(isinstance(a, np.ndarray) and a.ndim > 0 for a in args):
            self._report("mixed-devices", name, "a device tensor combined with a numpy array")

        # where the result lives
        dev_kw = _where_of_device(kwargs.get("device"))
        if name == "cpu":
            out_where = "host"
        elif name == "cuda":
            out_where = "dev"
        elif name == "to":
            out_where = dev_kw
            for a in args[1:]:
                if isinstance(a, torch.Tensor):
                    out_where = out_where or _tag(a)
                elif isinstance(a, (str, torch.device)):
                    out_where = out_where or _where_of_device(a)
            out_where = out_where or _tag(self_t)
        elif dev_kw is not None:
            out_where = dev_kw
        elif name in _FACTORY_LIKE or name in _NEW:
            out_where = _tag(self_t)
        elif name == "from_numpy" or not _tensors([args, kwargs], []):
            out_where = "host"     # made from shapes, lists or numpy without a device: the CPU
        elif has_dev:
            out_where = "dev"
        elif any(w == "host" for w, _ in tags):
            out_where = "host"
        else:
            out_where = None

        gen = kwargs.get("generator")
        if gen is not None and out_where is not None:
            g_where = "dev" if isinstance(gen, _DevGenerator) else "host"
            if g_where != out_where:
                self._report("generator-device", name, f"a generator on {g_where} draws a tensor on {out_where}")

        out = func(*args, **kwargs)
        in_place = name == "__setitem__" or (name.startswith("__i") and name.endswith("__")) or (
            name.endswith("_") and not name.endswith("__"))
        if in_place and self_t is not None:
            return out          # the tensor keeps its place
        _set(out, out_where)
        return out


def lint_call(fn, *args, **kwargs):
    """Run ``fn(*args, **kwargs)`` under :class:`DeviceLint`; return (result, violations)."""
    with DeviceLint() as lint:
        out = fn(*args, **kwargs)
    return out, lint.violations


def lint_points(claim, profile="quick") -> list[dict]:
    """The points :func:`lint_claim` visits: the low point of the profile's regime and, for
    each ``Choice`` parameter, the low point with each of its other options (points the
    claim's constraint rejects are left out)."""
    from ._engine import _low_point, resolve_ranges
    from ._profiles import get_profile

    ranges = resolve_ranges(claim, get_profile(profile))
    low = _low_point(ranges)
    pts = [low]
    for k, r in ranges.items():
        if r[0] == "choice":
            pts += [{**low, k: o} for o in r[1][1:]]
    return [p for p in pts if claim.constraint is None or claim.constraint(p)]


def lint_claim(claim, profile="quick", seed: int = 1, trials: int = 2) -> list[dict]:
    """Run ``claim``'s measure under :class:`DeviceLint` at :func:`lint_points`.

    Returns the violations (each with ``point`` added), deduplicated by (kind, where).
    A measure that raises is reported as kind ``"error"`` with the message: under the
    lint a placement error never raises, so an error here is the claim's own.
    """
    from ovpmodel._checks import resolve_dtype

    from ._engine import MeasureError, run_example
    from ._profiles import get_profile

    prof = get_profile(profile)
    dt = resolve_dtype(claim.dtype)
    out, seen = [], set()
    for pt in lint_points(claim, prof):
        lint = DeviceLint()
        try:
            with lint:
                run_example(claim, pt, seed, trials, DEV, dt, prof)
        except MeasureError as exc:
            out.append({"kind": "error", "op": "", "where": "", "detail": str(exc), "code": "",
                        "callers": [], "point": pt})
        for v in lint.violations:
            if (v["kind"], v["where"]) not in seen:
                seen.add((v["kind"], v["where"]))
                out.append({**v, "point": pt})
    return out


def describe(v: dict) -> str:
    """One violation as two lines of text."""
    head = f"{v['kind']}: {v['op']}() at {v['where']}" if v["where"] else f"{v['kind']}: {v['detail']}"
    lines = [head + (f" ({v['detail']})" if v["where"] else "")]
    if v.get("code"):
        lines.append(f"    {v['code']}")
    if v.get("callers"):
        lines.append("    called from " + " <- ".join(reversed(v["callers"])))
    if v.get("point"):
        lines.append(f"    at point {v['point']}")
    return "\n".join(lines)
