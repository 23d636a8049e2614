"""Claim values: what a claim is, as immutable data.

A :class:`Claim` pairs a *measure* (K batched trials -> one number per trial) with
a *bound* (upper, lower or two-sided; ``constant * shape(point)``), cites the
paper and lemma it comes from, and states the regime of parameters over which
the paper asserts it. Every field is validated when the value is built; an
invalid claim raises :class:`InvalidClaimError` naming the field and the fix.

Variants are ordinary ``dataclasses.replace`` calls, e.g. a researcher
sharpening a scaling exponent to test a conjecture::

    sharper = dataclasses.replace(
        claim, id=claim.id + "/sharper", kind="conjecture",
        scalings=(dataclasses.replace(claim.scalings[0], exponent=0.5),))
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Union

import numpy as np
import torch

__all__ = [
    "InvalidClaimError",
    "PAPER_KEYS",
    "Source",
    "Bound",
    "Scaling",
    "IntParam",
    "FloatParam",
    "Choice",
    "Param",
    "Measurement",
    "MeasureContext",
    "Claim",
    "derive_seed",
]


class InvalidClaimError(ValueError):
    """A claim (or one of its parts) is malformed.

    The message names the claim, the field and the constraint it broke, e.g.
    ``Claim 'X/1': bound.constant must be finite and > 0, got 0.0``. Fix the
    definition of the claim; nothing was run.
    """


#: The five seed papers (files in ``../shared/papers/``) and their short keys,
#: used for pytest markers (``-m azls_dnn``) and catalog filters.
PAPER_KEYS: dict[str, str] = {
    "allen-zhu-li-song-dnn-convergence.txt": "azls_dnn",
    "allen-zhu-li-song-rnn-convergence.txt": "azls_rnn",
    "zou-cao-zhou-gu-deep-relu-gd.txt": "zczg",
    "allen-zhu-li-rnn-generalization-full.txt": "azl_rnn",
    "allen-zhu-li-rnn-generalization-short.txt": "azl_rnn_conf",
}

#: attribute the catalog sets on each claim it registers: the CLI's reference to it ("'ID'")
CATALOG_REF_ATTR = "_catalog_ref"

_ID_RE = re.compile(r"^[^\s'\"\\]+$")
KINDS = ("theorem", "conjecture", "surrogate", "sanity")
QUANTIFIERS = ("init", "forall")
BOUND_KINDS = ("upper", "lower", "two-sided")
RELATIONS = ("at_most", "at_least", "equal", "report")
DTYPES = ("float32", "float64")


def identifier(text: str) -> str:
    """``text`` as a lower-case Python identifier (used for marker names)."""
    s = re.sub(r"[^0-9a-zA-Z]+", "_", str(text)).strip("_").lower()
    if not s:
        return "_"
    return "_" + s if s[0].isdigit() else s


def derive_seed(*parts: Any) -> int:
    """A 62-bit seed that is a stable hash of ``parts`` (ints / strings).

    Used for example seeds (``derive_seed(base_seed, drawn)``) and sub-streams;
    stable across processes and platforms (unlike ``hash``).
    """
    h = hashlib.blake2b(repr(tuple(parts)).encode(), digest_size=8).digest()
    return int.from_bytes(h, "little") >> 2


def _is_finite_number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


@dataclass(frozen=True)
class Source:
    """Where a claim comes from: a paper file and the lemma/theorem in it.

    ``paper`` is a file name in ``../shared/papers/`` (user papers allowed, any
    non-empty name); ``ref`` is the numbered statement, e.g. ``"Sec. 4, Step 2(a)"``.
    """

    paper: str
    ref: str
    note: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.paper, str) or not self.paper.strip():
            raise InvalidClaimError(f"Source.paper must be a non-empty file name, got {self.paper!r}")
        if not isinstance(self.ref, str) or not self.ref.strip():
            raise InvalidClaimError(
                f"Source.ref must name the lemma/theorem (e.g. 'Lemma 7.1'), got {self.ref!r}"
            )

    @property
    def paper_key(self) -> str:
        """Short key of the paper: ``azls_dnn``, ``zczg``, ... or derived from the file name."""
        if self.paper in PAPER_KEYS:
            return PAPER_KEYS[self.paper]
        stem = self.paper.rsplit("/", 1)[-1]
        stem = stem.rsplit(".", 1)[0] if "." in stem else stem
        return identifier(stem)


@dataclass(frozen=True)
class Bound:
    """The claimed bound ``constant * shape(point)`` (and for two-sided, a lower one).

    * ``kind="upper"``: violation when ``measured > constant * shape``; tightness = max ratio.
    * ``kind="lower"``: violation when ``measured < constant * shape``; tightness = min ratio.
    * ``kind="two-sided"``: violation outside ``[lower_constant*shape, constant*shape]``.

    ``ratio = measured / (constant * shape(point))``. ``shape`` must return a finite
    positive number at every point of the regime. ``provenance`` says where the
    constant comes from ("explicit in the paper", "calibrated at m=256, seed 0", ...).
    """

    kind: str
    shape: Callable[[Mapping[str, Any]], float]
    constant: float
    provenance: str
    shape_tex: str = ""
    lower_constant: float | None = None

    def __post_init__(self) -> None:
        if self.kind not in BOUND_KINDS:
            raise InvalidClaimError(f"Bound.kind must be one of {BOUND_KINDS}, got {self.kind!r}")
        if not callable(self.shape):
            raise InvalidClaimError(f"Bound.shape must be a callable point -> float, got {self.shape!r}")
        if not _is_finite_number(self.constant) or self.constant <= 0:
            raise InvalidClaimError(f"Bound.constant must be finite and > 0, got {self.constant!r}")
        if not isinstance(self.provenance, str) or not self.provenance.strip():
            raise InvalidClaimError(
                "Bound.provenance must say where the constant comes from "
                "(e.g. 'explicit in paper' or 'calibrated at m=256'), got an empty value"
            )
        if self.kind == "two-sided":
            lc = self.lower_constant
            if not _is_finite_number(lc) or lc <= 0 or lc > self.constant:
                raise InvalidClaimError(
                    "Bound.lower_constant must be finite with 0 < lower_constant <= constant "
                    f"for a two-sided bound, got {lc!r}"
                )
        elif self.lower_constant is not None:
            raise InvalidClaimError(f"Bound.lower_constant is only used with kind='two-sided' (kind={self.kind!r})")

    def evaluate_shape(self, point: Mapping[str, Any]) -> float:
        """``shape(point)`` checked to be finite and > 0 (else :class:`InvalidClaimError`)."""
        try:
            s = float(self.shape(point))
        except InvalidClaimError:
            raise
        except Exception as exc:  # the shape is user code
            raise InvalidClaimError(f"Bound.shape raised {type(exc).__name__}: {exc} at point {dict(point)}") from exc
        if not math.isfinite(s) or s <= 0:
            raise InvalidClaimError(
                f"Bound.shape must be finite and > 0, got {s!r} at point {dict(point)}"
            )
        return s


@dataclass(frozen=True)
class Scaling:
    """A predicted exponent: ``series ~ param ** exponent`` with other params fixed.

    The engine sweeps ``param`` over ``grid`` (a tuple, or a dict profile name ->
    tuple), holds the other parameters at ``base`` (a dict, a callable
    ``profile -> dict``, or ``None`` = each parameter's low end clipped to the
    profile limits), runs K trials per grid value, fits the OLS slope of
    ``log(series)`` on ``log(param)`` and a bootstrap-SE t interval (``claims._stats.slope_fit``).

    ``relation``: ``"at_most"`` (fail if the CI lies above ``exponent + tolerance``;
    finding "loose" if it lies below ``exponent``), ``"at_least"`` (mirrored),
    ``"equal"`` (fail if ``[exponent - tolerance, exponent + tolerance]`` misses the
    CI), ``"report"`` (never fails; the slope is recorded).
    ``series``: ``"values"`` or the key of an ``extras`` entry of the measurement.
    ``zeros``: what an exact 0 in the series means for the log-log fit. ``"error"`` (default:
    the scaling is an ``error``) or ``"drop"`` — for series where 0 is a legitimate outcome
    (a count or a change that can vanish, e.g. no re-drawn unit ever fires): zeros are left
    out of the fit (the slope uses the mean log over the positive trials of each grid point,
    the bootstrap resamples those) and counted in the result (``zeros_dropped``); a grid point
    with fewer than half of its trials positive is still an ``error``. Dropping zeros at the
    small end of the grid lowers the fitted slope a little (toward passing ``at_most``): use it
    only where zeros are rare, and say so in the claim's notes.
    """

    param: str
    exponent: float
    relation: str = "at_most"
    grid: Union[tuple, Mapping[str, tuple]] = ()
    base: Union[None, Mapping[str, Any], Callable[[Any], Mapping[str, Any]]] = None
    series: str = "values"
    tolerance: float = 0.0
    note: str = ""
    zeros: str = "error"

    def __post_init__(self) -> None:
        if not isinstance(self.param, str) or not self.param:
            raise InvalidClaimError(f"Scaling.param must be a parameter name, got {self.param!r}")
        if not _is_finite_number(self.exponent):
            raise InvalidClaimError(f"Scaling.exponent must be a finite number, got {self.exponent!r}")
        if self.relation not in RELATIONS:
            raise InvalidClaimError(f"Scaling.relation must be one of {RELATIONS}, got {self.relation!r}")
        if not _is_finite_number(self.tolerance) or self.tolerance < 0:
            raise InvalidClaimError(f"Scaling.tolerance must be finite and >= 0, got {self.tolerance!r}")
        grids = self.grid.values() if isinstance(self.grid, Mapping) else [self.grid]
        for g in grids:
            g = tuple(g)
            if len(set(g)) < 2 or not all(_is_finite_number(x) and x > 0 for x in g):
                raise InvalidClaimError(
                    f"Scaling.grid for {self.param!r} needs >= 2 distinct finite positive values, got {g!r}"
                )
        if not isinstance(self.series, str) or not self.series:
            raise InvalidClaimError(f"Scaling.series must be 'values' or an extras key, got {self.series!r}")
        if self.zeros not in ("error", "drop"):
            raise InvalidClaimError(f"Scaling.zeros must be 'error' or 'drop', got {self.zeros!r}")

    def grid_for(self, profile_name: str) -> tuple:
        """The grid to use under the named profile."""
        if isinstance(self.grid, Mapping):
            if profile_name in self.grid:
                return tuple(self.grid[profile_name])
            # fall back to the smallest grid declared (cheapest), deterministically
            for name in ("quick", "ci", "thorough"):
                if name in self.grid:
                    return tuple(self.grid[name])
            return tuple(next(iter(self.grid.values())))
        return tuple(self.grid)


# ----------------------------------------------------------------------------- params


@dataclass(frozen=True)
class IntParam:
    """An integer parameter in ``[low, high]`` (log-uniform if ``log``).

    ``limit`` names a profile cap (``"width"``, ``"depth"``, ``"n"``, ``"seq_len"``,
    ``"steps"``): draws lie in ``[low, min(high, profile.limits[limit])]``.
    """

    name: str
    low: int
    high: int
    log: bool = False
    limit: str | None = None

    def __post_init__(self) -> None:
        _check_name(self.name)
        for f in ("low", "high"):
            v = getattr(self, f)
            if isinstance(v, bool) or not isinstance(v, int):
                raise InvalidClaimError(f"IntParam {self.name!r}: {f} must be an int, got {v!r}")
        if self.low > self.high:
            raise InvalidClaimError(f"IntParam {self.name!r}: low={self.low} > high={self.high}")
        if self.log and self.low < 1:
            raise InvalidClaimError(f"IntParam {self.name!r}: log=True needs low >= 1, got {self.low}")


@dataclass(frozen=True)
class FloatParam:
    """A real parameter in ``[low, high]`` (log-uniform if ``log``); ``limit`` as for :class:`IntParam`."""

    name: str
    low: float
    high: float
    log: bool = False
    limit: str | None = None

    def __post_init__(self) -> None:
        _check_name(self.name)
        if not (_is_finite_number(self.low) and _is_finite_number(self.high)) or self.low > self.high:
            raise InvalidClaimError(
                f"FloatParam {self.name!r}: need finite low <= high, got [{self.low!r}, {self.high!r}]"
            )
        if self.log and self.low <= 0:
            raise InvalidClaimError(f"FloatParam {self.name!r}: log=True needs low > 0, got {self.low}")


@dataclass(frozen=True)
class Choice:
    """A parameter taking one of ``options`` (JSON scalars); shrinks toward the first.

    ``limit``, if given, drops numeric options above the profile cap.
    """

    name: str
    options: tuple
    limit: str | None = None

    def __post_init__(self) -> None:
        _check_name(self.name)
        opts = tuple(self.options)
        object.__setattr__(self, "options", opts)
        if not opts:
            raise InvalidClaimError(f"Choice {self.name!r}: options must be non-empty")
        for o in opts:
            if not isinstance(o, (int, float, str, bool)):
                raise InvalidClaimError(f"Choice {self.name!r}: options must be JSON scalars, got {o!r}")


Param = Union[IntParam, FloatParam, Choice]


def _check_name(name: Any) -> None:
    if not isinstance(name, str) or not name.isidentifier():
        raise InvalidClaimError(f"parameter name must be an identifier, got {name!r}")


# ----------------------------------------------------------------------------- measure I/O


@dataclass(frozen=True)
class Measurement:
    """What a measure returns: ``values`` (shape ``[K]``, one number per trial) and
    optional ``extras`` (name -> ``[K]`` tensor/array or a float) used by scalings
    and reported alongside. A measure may also return a bare ``[K]`` tensor."""

    values: Any
    extras: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class MeasureContext:
    """Everything a measure needs besides the point.

    ``trials`` (K), ``device``, ``dtype``, ``seed`` (this example's seed) and the
    active ``profile``. All randomness must come from :meth:`generator`.
    """

    trials: int
    device: torch.device
    dtype: torch.dtype
    seed: int
    profile: Any

    def generator(self, offset: int | str | None = None) -> torch.Generator:
        """A NEW ``torch.Generator`` on ``device``; same seed on every call.

        ``generator(offset)`` gives an independent sub-stream seeded with a hash
        of ``(seed, offset)`` (e.g. one for the network, one for the data).
        """
        return self._torch_generator(self.device, offset)

    def cpu_generator(self, offset: int | str | None = None) -> torch.Generator:
        """Like :meth:`generator` but always on the CPU, for host-side work (numpy, scipy,
        small Monte Carlo) on any device; on a CPU run it is the same stream as ``generator(offset)``."""
        return self._torch_generator("cpu", offset)

    def numpy_rng(self, offset: int | str | None = None) -> np.random.Generator:
        """A NEW ``numpy.random.Generator`` from the same seed (or sub-stream)."""
        return np.random.default_rng(self._sub_seed(offset))

    def _sub_seed(self, offset) -> int:
        return int(self.seed if offset is None else derive_seed(self.seed, "sub", offset))

    def _torch_generator(self, device, offset) -> torch.Generator:
        g = torch.Generator(device=device)
        g.manual_seed(self._sub_seed(offset))
        return g


# ----------------------------------------------------------------------------- claim


@dataclass(frozen=True)
class Claim:
    """An executable statement of a lemma: measure + bound + regime + source.

    Fields (validated on construction, errors name the field):

    * ``id`` — unique, no whitespace/quotes, e.g. ``"AZLS-DNN/Step2a"``.
    * ``title``, ``source`` (:class:`Source`), ``statement_tex`` (LaTeX).
    * ``family`` — network family/setting (``"fc"``, ``"rnn"``, ...).
    * ``regime`` — tuple of :class:`IntParam` / :class:`FloatParam` / :class:`Choice`.
    * ``measure(point, ctx) -> Measurement | Tensor[K]`` — K batched trials.
    * ``bound`` — :class:`Bound`.
    * ``quantifier`` — ``"init"`` (random init only) or ``"forall"`` (then ``adversary``
      names the search that supplies the worst case it finds).
    * ``failure_prob`` — allowed per-trial failure probability (``0.0``: EXACT claim,
      any violation fails).
    * ``scalings`` — tuple of :class:`Scaling`.
    * ``dtype`` — dtype the claim needs (``check(dtype=...)`` overrides).
    * ``tags``, ``notes``, ``kind`` (theorem/conjecture/surrogate/sanity).
    * ``constraint(point) -> bool`` — points where it is False are skipped.
    * ``examples`` — overrides the profile's number of examples (e.g. 1 for
      deterministic claims; 0 to run only the scalings).
    """

    id: str
    title: str
    source: Source
    statement_tex: str
    family: str
    regime: tuple
    measure: Callable[[dict, MeasureContext], Any]
    bound: Bound
    quantifier: str = "init"
    adversary: str | None = None
    failure_prob: float = 0.05
    scalings: tuple = ()
    dtype: str = "float64"
    tags: tuple = ()
    notes: str = ""
    kind: str = "theorem"
    constraint: Callable[[Mapping[str, Any]], bool] | None = None
    examples: int | None = None

    def __post_init__(self) -> None:
        def bad(msg: str) -> InvalidClaimError:
            return InvalidClaimError(f"Claim {self.id!r}: {msg}")

        if not isinstance(self.id, str) or not self.id or not _ID_RE.match(self.id):
            raise InvalidClaimError(f"Claim.id must be a non-empty string without whitespace or quotes, got {self.id!r}")
        if not isinstance(self.title, str) or not self.title.strip():
            raise bad("title must be a non-empty string")
        if not isinstance(self.source, Source):
            raise bad(f"source must be a claims.Source(paper=..., ref=...), got {self.source!r}")
        if not isinstance(self.statement_tex, str) or not self.statement_tex.strip():
            raise bad("statement_tex must be the LaTeX statement (non-empty)")
        if not isinstance(self.family, str) or not self.family.strip():
            raise bad("family must be a non-empty string (e.g. 'fc', 'rnn')")
        regime = tuple(self.regime)
        object.__setattr__(self, "regime", regime)
        names = []
        for p in regime:
            if not isinstance(p, (IntParam, FloatParam, Choice)):
                raise bad(f"regime entries must be IntParam/FloatParam/Choice, got {p!r}")
            names.append(p.name)
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise bad(f"regime has duplicate parameter names {dup}")
        if "seed" in names:
            raise bad("'seed' is reserved (the engine draws seeds itself); rename the parameter")
        if not callable(self.measure):
            raise bad("measure must be a callable (point, ctx) -> Measurement | Tensor[K]")
        if not isinstance(self.bound, Bound):
            raise bad(f"bound must be a claims.Bound, got {self.bound!r}")
        if self.quantifier not in QUANTIFIERS:
            raise bad(f"quantifier must be one of {QUANTIFIERS}, got {self.quantifier!r}")
        if self.quantifier == "forall" and (not isinstance(self.adversary, str) or not self.adversary.strip()):
            raise bad("quantifier='forall' needs adversary= naming the search that supplies the worst case")
        fp = self.failure_prob
        if not _is_finite_number(fp) or not (0.0 <= fp < 1.0):
            raise bad(f"failure_prob must lie in [0, 1), got {fp!r}")
        scalings = tuple(self.scalings)
        object.__setattr__(self, "scalings", scalings)
        for s in scalings:
            if not isinstance(s, Scaling):
                raise bad(f"scalings entries must be claims.Scaling, got {s!r}")
            if s.param not in names:
                raise bad(f"scaling parameter {s.param!r} is not in the regime {names}")
        if self.dtype not in DTYPES:
            raise bad(f"dtype must be one of {DTYPES}, got {self.dtype!r}")
        tags = tuple(self.tags)
        object.__setattr__(self, "tags", tags)
        if not all(isinstance(t, str) and t for t in tags):
            raise bad(f"tags must be non-empty strings, got {tags!r}")
        if self.kind not in KINDS:
            raise bad(f"kind must be one of {KINDS}, got {self.kind!r}")
        if self.constraint is not None and not callable(self.constraint):
            raise bad("constraint must be None or a callable point -> bool")
        if self.examples is not None and (isinstance(self.examples, bool) or not isinstance(self.examples, int) or self.examples < 0):
            raise bad(f"examples must be None or an int >= 0, got {self.examples!r}")
        if self.examples == 0 and not any(s.relation != "report" for s in scalings) and not scalings:
            raise bad("examples=0 with no scalings leaves nothing to check")

    @property
    def paper_key(self) -> str:
        return self.source.paper_key

    def markers(self) -> tuple[str, ...]:
        """pytest marker names: paper key, family, tags (as identifiers), deduplicated."""
        out: list[str] = []
        for m in (self.paper_key, identifier(self.family), *(identifier(t) for t in self.tags)):
            if m not in out:
                out.append(m)
        return tuple(out)

    def param(self, name: str) -> Param:
        for p in self.regime:
            if p.name == name:
                return p
        raise KeyError(name)
