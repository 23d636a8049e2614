"""ClaimResult and the versioned JSON results file (schema in ``claims/schema.md``)."""

from __future__ import annotations

import dataclasses
import datetime as _dt
import json
import math
import os
import tempfile
from dataclasses import dataclass, field
from typing import Any, Iterable

__all__ = ["ClaimResult", "RESULT_VERSION", "RESULTS_SCHEMA", "write_results", "read_results", "VERDICTS",
           "ResultsFileError", "atomic_write_json"]

RESULT_VERSION = 1
RESULTS_SCHEMA = "ovpcheck-results"
VERDICTS = ("pass", "fail", "inconclusive", "error")


def _jsonable(x: Any) -> Any:
    """Plain JSON values; non-finite floats become the strings "nan"/"inf"/"-inf"."""
    if isinstance(x, float):
        if math.isfinite(x):
            return x
        return "nan" if math.isnan(x) else ("inf" if x > 0 else "-inf")
    if isinstance(x, dict):
        return {str(k): _jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_jsonable(v) for v in x]
    if hasattr(x, "item") and callable(x.item) and getattr(x, "ndim", 1) == 0:
        return _jsonable(x.item())
    return x


@dataclass
class ClaimResult:
    """The outcome of ``claims.check``: verdict, statistics, counterexample, provenance.

    ``verdict`` is ``"pass"``, ``"fail"``, ``"inconclusive"`` or ``"error"``;
    ``message`` a one-line plain-language reason (estimate, interval, bound,
    margin, trials, alpha). ``stats`` holds: ``examples_run``, ``trials_per_example``,
    ``total_trials``, ``total_violations``, ``violation_rate``, ``violation_rate_ci``
    (Clopper–Pearson, level ``ci_level``), ``alpha``, ``alpha_per_test``, ``n_tests``,
    ``critical_count``, ``power`` (smallest violation rate detected with probability
    >= ``power_target``), ``tightness`` (max measured/bound for upper and two-sided
    bounds, min for lower), ``max_ratio``, ``min_ratio``, ``shrink_runs``.
    ``examples`` lists every explored example; ``scalings`` every sweep with its
    fitted exponent and CI; ``counterexample`` (fail only) is the shrunk failing
    example with its values and ``reproduce`` command; ``worst_example`` the
    example with the worst margin seen (the threshold problem).
    See ``claims/schema.md`` for every field.
    """

    claim_id: str
    title: str
    verdict: str
    message: str
    decision_rule: str
    claim: dict = field(default_factory=dict)
    stats: dict = field(default_factory=dict)
    examples: list = field(default_factory=list)
    scalings: list = field(default_factory=list)
    counterexample: dict | None = None
    worst_example: dict | None = None
    findings: list = field(default_factory=list)
    error: str | None = None
    seed: int = 0
    profile: dict = field(default_factory=dict)
    device: str = "cpu"
    dtype: str = "float64"
    versions: dict = field(default_factory=dict)
    wall_time_s: float = 0.0
    started: str = ""
    version: int = RESULT_VERSION

    @property
    def passed(self) -> bool:
        return self.verdict == "pass"

    @property
    def tightness(self) -> float | None:
        return self.stats.get("tightness")

    def summary_line(self) -> str:
        """``VERDICT  id  trials=..  tightness=..  time`` (the terminal summary line)."""
        t = self.stats.get("tightness")
        ts = "-" if t is None or (isinstance(t, float) and not math.isfinite(t)) else f"{t:.3g}"
        return (f"{self.verdict.upper():<12} {self.claim_id:<32} trials={self.stats.get('total_trials', 0):<6} "
                f"tightness={ts:<8} {self.wall_time_s:.2f}s")

    def to_dict(self) -> dict:
        return _jsonable(dataclasses.asdict(self))

    def to_json(self, indent: int | None = None) -> str:
        return json.dumps(self.to_dict(), indent=indent, allow_nan=False)

    @classmethod
    def from_dict(cls, d: dict) -> "ClaimResult":
        v = d.get("version", RESULT_VERSION)
        if v != RESULT_VERSION:
            raise ValueError(f"ClaimResult version {v} not supported (this library reads version {RESULT_VERSION})")
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: val for k, val in d.items() if k in names})

    @classmethod
    def from_json(cls, s: str) -> "ClaimResult":
        return cls.from_dict(json.loads(s))


def write_results(path: str | os.PathLike, results: Iterable[ClaimResult | dict], profile: str,
                  complete: bool = True, extra: dict | None = None) -> str:
    """Write the results file atomically (temp file + ``os.replace``); returns the path.

    Layout: ``{"schema": "ovpcheck-results", "version": 1, "created": ISO-8601,
    "profile": name, "complete": bool, "results": [ClaimResult dicts]}``.
    """
    path = os.fspath(path)
    doc = {
        "schema": RESULTS_SCHEMA,
        "version": RESULT_VERSION,
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "profile": profile,
        "complete": bool(complete),
        "results": [r.to_dict() if isinstance(r, ClaimResult) else _jsonable(r) for r in results],
    }
    if extra:
        doc.update(_jsonable(extra))
    return atomic_write_json(path, doc)


def atomic_write_json(path: str | os.PathLike, doc: dict) -> str:
    """Write ``doc`` as JSON to ``path`` atomically: a temp file in the same folder,
    flushed and fsynced, then ``os.replace`` — a reader (or a run killed mid-write)
    sees the old file or the new one, never a torn one. Returns the path."""
    path = os.fspath(path)
    d = os.path.dirname(os.path.abspath(path))
    os.makedirs(d, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".claims-", suffix=".json", dir=d)
    try:
        # mkstemp creates the file 0600; a results file is an ordinary output (0666 less the umask)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(_jsonable(doc), f, indent=1, allow_nan=False)
            f.write("\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


class ResultsFileError(ValueError):
    """A results file cannot be read: missing, not JSON, another schema, a newer
    version, or a malformed entry. The message names the file and the fix
    (regenerate it with ``ovpcheck run --json PATH``, or upgrade ovpcheck for a
    newer version)."""


_REQUIRED = ("claim_id", "title", "verdict", "message", "decision_rule")


def read_results(path: str | os.PathLike) -> dict:
    """Read a results file, checking schema and version; ``results`` become ClaimResults.

    Raises :class:`ResultsFileError` (a ``ValueError``) naming the file and the fix.
    """
    regen = "regenerate it with `ovpcheck run --json PATH` (or pytest --claims-json PATH)"
    try:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
    except FileNotFoundError:
        raise ResultsFileError(f"results file {os.fspath(path)!r} does not exist; check the path or {regen}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ResultsFileError(f"results file {os.fspath(path)!r} is not valid JSON ({exc}); it may be truncated "
                               f"or not a results file; {regen}") from None
    if not isinstance(doc, dict) or doc.get("schema") != RESULTS_SCHEMA:
        got = doc.get("schema") if isinstance(doc, dict) else type(doc).__name__
        raise ResultsFileError(f"{path}: not an {RESULTS_SCHEMA} file (schema={got!r}); pass a file written by "
                               f"ovpcheck, or {regen}")
    v = doc.get("version")
    if isinstance(v, int) and not isinstance(v, bool) and v > RESULT_VERSION:
        raise ResultsFileError(f"{path}: results version {v} was written by a newer ovpcheck (this one reads "
                               f"version {RESULT_VERSION}); upgrade ovpcheck or {regen}")
    if v != RESULT_VERSION:
        raise ResultsFileError(f"{path}: results version {v!r} not supported (expected {RESULT_VERSION}); {regen}")
    rs = doc.get("results")
    if not isinstance(rs, list):
        raise ResultsFileError(f"{path}: field 'results' must be a list of claim results, got "
                               f"{type(rs).__name__}; {regen}")
    out = []
    for i, r in enumerate(rs):
        missing = [k for k in _REQUIRED if not isinstance(r, dict) or k not in r]
        if missing:
            raise ResultsFileError(f"{path}: results[{i}] lacks fields {missing}; {regen}")
        if r["verdict"] not in VERDICTS:
            raise ResultsFileError(f"{path}: results[{i}] ({r['claim_id']}) has verdict {r['verdict']!r}, not one of "
                                   f"{VERDICTS}; {regen}")
        try:
            out.append(ClaimResult.from_dict(r))
        except (TypeError, ValueError) as exc:
            raise ResultsFileError(f"{path}: results[{i}] ({r['claim_id']}) is malformed: {exc}; {regen}") from None
    doc["results"] = out
    return doc
