"""Run history: completed results files kept under a storage folder, read back in order.

Like pytest-benchmark's ``--benchmark-autosave`` and ``.benchmarks/``: ``ovpcheck run
--autosave`` / ``ovpcheck report --autosave`` / ``pytest --claims-autosave`` copy each
completed run's results document into the storage folder (``.claims/`` by default)
as ``NNNN_<shortcommit|nocommit>_<YYYYmmddTHHMMSSZ>.json``; ``NNNN`` is one more than
the largest counter already there, so the names sort in run order, and a name that
exists is never overwritten (the file is linked into place, which fails rather than
replace; the counter is then bumped). The saved document is the results file
(``claims/schema.md``) plus ``git_commit`` (full hash, or absent outside a git
checkout) and ``git_dirty`` (tracked files differ from that commit).

Only a run that completed is saved: an interrupted one (Ctrl-C, SIGTERM, a dead
worker, pytest ``-x``) would make its claims look as if they had vanished.

Reading (:func:`load_history`) never fails on a bad file: a truncated, non-JSON,
non-dict, foreign-schema or other-version file in the folder is skipped with a
:class:`HistoryFileWarning` naming it; nothing is ever deleted.

Margin (the quantity whose shrinking is flagged): the log distance from the
measured extreme to the bound, on the side that passes, per :func:`margin`.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import re
import subprocess
import tempfile
import time
import warnings
from typing import Any, Iterable, Sequence

__all__ = ["DEFAULT_STORAGE", "DEFAULT_MARGIN_SHRINK", "HistoryFileWarning", "SavedRun", "autosave_file",
           "autosave_results", "load_history", "margin", "margin_shrink", "claim_series", "history_lines",
           "history_json", "git_commit"]

DEFAULT_STORAGE = ".claims"
DEFAULT_MARGIN_SHRINK = 1.5
_NAME = re.compile(r"^(\d{4,})_")


class HistoryFileWarning(UserWarning):
    """A file in the run-history folder (``.claims/``) is not a readable ovpcheck
    results file (truncated, not JSON, another schema or version) and was skipped.
    It is left in place: move it out of the folder, or delete it, to silence this."""


# ----------------------------------------------------------------------------- writing


def git_commit(cwd: str | os.PathLike | None = None) -> tuple[str | None, bool]:
    """``(full hash of HEAD, dirty)`` for the git checkout at ``cwd`` (default: the
    current folder); ``(None, False)`` outside a checkout or without git."""
    cwd = os.fspath(cwd) if cwd is not None else os.getcwd()
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=cwd, capture_output=True, text=True, timeout=5)
        h = out.stdout.strip()
        if out.returncode != 0 or not re.fullmatch(r"[0-9a-f]{7,64}", h):
            return None, False
        st = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=cwd,
                            capture_output=True, text=True, timeout=10)
        return h, bool(st.returncode == 0 and st.stdout.strip())
    except (OSError, subprocess.SubprocessError):
        return None, False


def _next_counter(storage: str) -> int:
    n = 0
    for name in os.listdir(storage):
        m = _NAME.match(name)
        if m:
            n = max(n, int(m.group(1)))
    return n + 1


def _store(storage: str, doc: dict, commit: tuple[str | None, bool] | None) -> str:
    """Write ``doc`` (plus the commit) under a new counter-named file in ``storage``."""
    from ._result import atomic_write_json

    storage = os.fspath(storage)
    os.makedirs(storage, exist_ok=True)
    full, dirty = commit if commit is not None else git_commit()
    doc = dict(doc)
    if full:
        doc["git_commit"] = full
        doc["git_dirty"] = bool(dirty)
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    short = full[:8] if full else "nocommit"
    fd, tmp = tempfile.mkstemp(prefix=".saving-", suffix=".json", dir=storage)
    os.close(fd)
    try:
        atomic_write_json(tmp, doc)
        n = _next_counter(storage)
        for _ in range(1000):
            path = os.path.join(storage, f"{n:04d}_{short}_{stamp}.json")
            try:
                os.link(tmp, path)          # fails if the name exists: never overwrites
                return path
            except FileExistsError:
                n += 1
            except OSError:                 # no hard links on this file system: exclusive create
                try:
                    with open(path, "x", encoding="utf-8") as f, open(tmp, encoding="utf-8") as g:
                        f.write(g.read())
                    return path
                except FileExistsError:
                    n += 1
        raise OSError(f"could not find a free file name in {storage}")
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def autosave_file(results_path: str | os.PathLike, storage: str | os.PathLike = DEFAULT_STORAGE, *,
                  commit: tuple[str | None, bool] | None = None) -> str:
    """Copy the results file at ``results_path`` into ``storage`` under the next
    counter; returns the new path. ``commit``: ``(hash or None, dirty)``, default
    :func:`git_commit` of the current folder."""
    with open(results_path, encoding="utf-8") as f:
        doc = json.load(f)
    if not isinstance(doc, dict) or doc.get("schema") != "ovpcheck-results":
        raise ValueError(f"{os.fspath(results_path)}: not an ovpcheck-results file; nothing saved")
    return _store(os.fspath(storage), doc, commit)


def autosave_results(results: Iterable, profile: str, storage: str | os.PathLike = DEFAULT_STORAGE, *,
                     extra: dict | None = None, commit: tuple[str | None, bool] | None = None) -> str:
    """Save a completed run given as ClaimResults (or their dicts) into ``storage``,
    in the results-file layout (``claims.write_results``); returns the new path."""
    from ._result import write_results

    storage = os.fspath(storage)
    os.makedirs(storage, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".saving-", suffix=".json", dir=storage)
    os.close(fd)
    try:
        write_results(tmp, results, profile, complete=True, extra=extra)
        return autosave_file(tmp, storage, commit=commit)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


# ----------------------------------------------------------------------------- reading


@dataclasses.dataclass
class SavedRun:
    """One saved run: ``path``, ``name`` (file name), ``counter`` (None if the name has
    none), ``created``, ``commit`` (short hash, "nocommit"), ``complete``, and
    ``results`` {claim id: result dict}."""

    path: str
    name: str
    counter: int | None
    created: str
    commit: str
    complete: bool
    profile: str
    results: dict

    @property
    def label(self) -> str:
        return f"{self.counter:04d}" if self.counter is not None else self.name


def _problem(doc: Any) -> str | None:
    if not isinstance(doc, dict):
        return f"a JSON {type(doc).__name__}, not a results object"
    if doc.get("schema") != "ovpcheck-results":
        return f"schema {doc.get('schema')!r}, not 'ovpcheck-results'"
    if doc.get("version") != 1:
        return f"results version {doc.get('version')!r} (this ovpcheck reads version 1)"
    rs = doc.get("results")
    if not isinstance(rs, list):
        return "field 'results' is not a list"
    for i, r in enumerate(rs):
        if not isinstance(r, dict) or not isinstance(r.get("claim_id"), str) or not isinstance(r.get("verdict"), str):
            return f"results[{i}] is not a claim result (needs claim_id and verdict)"
    return None


def _short(commit: Any) -> str:
    if isinstance(commit, str) and commit:
        return commit.split()[0][:8]
    return "nocommit"


def doc_to_run(doc: dict, path: str = "", name: str | None = None) -> SavedRun:
    """A results document (already validated) as a :class:`SavedRun`."""
    name = name if name is not None else (os.path.basename(path) if path else "(current)")
    m = _NAME.match(name)
    short = _short(doc.get("git_commit"))
    if short != "nocommit" and doc.get("git_dirty"):
        short += "+dirty"
    return SavedRun(path=path, name=name, counter=int(m.group(1)) if m else None,
                    created=str(doc.get("created") or ""), commit=short,
                    complete=doc.get("complete", True) is not False, profile=str(doc.get("profile") or ""),
                    results={r["claim_id"]: r for r in doc.get("results") or []
                             if isinstance(r, dict) and isinstance(r.get("claim_id"), str)})


def load_history(storage: str | os.PathLike = DEFAULT_STORAGE) -> list[SavedRun]:
    """The runs saved in ``storage``, oldest first (by counter, then ``created``, then
    name). Files that are not readable results files are skipped, each with a
    :class:`HistoryFileWarning` naming it; none is modified or deleted. A missing
    folder is an empty history."""
    storage = os.fspath(storage)
    if not os.path.isdir(storage):
        return []
    runs = []
    for name in sorted(os.listdir(storage)):
        path = os.path.join(storage, name)
        if name.startswith(".") or not name.endswith(".json") or not os.path.isfile(path):
            continue
        try:
            with open(path, encoding="utf-8") as f:
                doc = json.load(f)
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            warnings.warn(HistoryFileWarning(f"run history: skipping {path}: not readable JSON "
                                             f"({type(exc).__name__}: {exc})"), stacklevel=2)
            continue
        why = _problem(doc)
        if why:
            warnings.warn(HistoryFileWarning(f"run history: skipping {path}: {why}"), stacklevel=2)
            continue
        runs.append(doc_to_run(doc, path))
    runs.sort(key=lambda r: (r.counter if r.counter is not None else math.inf, r.created, r.name))
    return runs


# ----------------------------------------------------------------------------- margins


def _f(x) -> float | None:
    """A float (+-inf kept: a tightness past every bound) or None."""
    from ._svg import _num

    return _num(x, allow_inf=True)


def _log_dist(t: float | None, side: str) -> float | None:
    """``-ln t`` (side "upper") or ``ln t`` (side "lower"); ±inf at t = 0 / inf."""
    if t is None or t < 0:
        return None
    if t == 0:
        return math.inf if side == "upper" else -math.inf
    if math.isinf(t):
        return -math.inf if side == "upper" else math.inf
    return -math.log(t) if side == "upper" else math.log(t)


def margin(result: dict) -> float | None:
    """How far a result stayed from its bound, as a log-ratio (None if unknown).

    With ``t`` the tightness (``stats.tightness``: max measured/bound for an upper
    bound, min measured/bound for a lower bound), the margin is ``-ln t`` for an
    upper bound and ``+ln t`` for a lower bound: positive when every measured value
    was on the allowed side with room, 0 at the bound, negative past it, and the
    same number for "10% under an upper bound" as for "10% over a lower bound" (up
    to the log). For a two-sided bound it is the smaller of ``-ln max_ratio`` and
    ``ln(min_ratio * constant / lower_constant)`` (the nearer side). An ``error``
    result has no margin.
    """
    if not isinstance(result, dict) or result.get("verdict") == "error":
        return None
    st = result.get("stats") if isinstance(result.get("stats"), dict) else {}
    b = ((result.get("claim") or {}).get("bound") or {}) if isinstance(result.get("claim"), dict) else {}
    kind = b.get("kind", "upper") if isinstance(b, dict) else "upper"
    t = _f(st.get("tightness"))
    if kind == "lower":
        return _log_dist(t, "lower")
    if kind == "two-sided":
        up = _log_dist(_f(st.get("max_ratio", t)), "upper")
        c, lo_c, mn = _f(b.get("constant")), _f(b.get("lower_constant")), _f(st.get("min_ratio"))
        if up is None or not (c and lo_c and mn is not None and c > 0 and lo_c > 0):
            return up
        low = _log_dist(mn * c / lo_c, "lower")
        return up if low is None else min(up, low)
    return _log_dist(t, "upper")


def margin_shrink(previous: float | None, current: float | None) -> float | None:
    """By what factor the margin shrank from ``previous`` to ``current``: ``prev/cur``
    for two positive margins, ``inf`` if the current one is ≤ 0 (at or past the
    bound); None when there is nothing to compare (a missing, infinite or
    non-positive previous margin)."""
    if previous is None or current is None or not math.isfinite(previous) or previous <= 0:
        return None
    if current <= 0:
        return math.inf
    return previous / current


def claim_series(runs: Sequence[SavedRun], claim_id: str, factor: float = DEFAULT_MARGIN_SHRINK) -> dict:
    """One claim across ``runs`` (oldest first): ``{"points": [{run, created, commit,
    verdict, tightness, margin, exponents}], "tightness": [float|None per run],
    "shrink": factor by which the latest margin shrank against the previous run that
    had one (or None), "flag": shrink > factor}``."""
    pts = []
    for run in runs:
        r = run.results.get(claim_id)
        if r is None:
            continue
        st = r.get("stats") if isinstance(r.get("stats"), dict) else {}
        exps = []
        for e in st.get("fitted_exponents") or []:
            if isinstance(e, dict):
                exps.append({"param": e.get("param"), "slope": _f(e.get("slope")), "ci": e.get("ci"),
                             "claimed": e.get("claimed"), "relation": e.get("relation"), "verdict": e.get("verdict")})
        pts.append({"run": run.label, "file": run.name, "created": run.created, "commit": run.commit,
                    "verdict": r.get("verdict"), "tightness": _f(st.get("tightness")), "margin": margin(r),
                    "exponents": exps})
    shrink = None
    if len(pts) >= 2 and pts[-1]["margin"] is not None:
        prev = next((p["margin"] for p in reversed(pts[:-1]) if p["margin"] is not None), None)
        shrink = margin_shrink(prev, pts[-1]["margin"])
    return {"id": claim_id, "points": pts, "tightness": [p["tightness"] for p in pts], "shrink": shrink,
            "flag": shrink is not None and shrink > factor}


def _ids(runs: Sequence[SavedRun], substr: str | None) -> list[str]:
    subs = [s.strip().lower() for s in (substr or "").split(",") if s.strip()]
    ids = sorted({cid for run in runs for cid in run.results})
    return [c for c in ids if not subs or any(s in c.lower() for s in subs)]


# ----------------------------------------------------------------------------- the history command


def _num(x, digits: int = 4) -> str:
    if x is None:
        return "-"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return f"{x:.{digits}g}"


def _exp_text(exps: list) -> str:
    out = []
    for e in exps:
        ci = e.get("ci")
        cis = f" [{_num(_f(ci[0]), 3)}, {_num(_f(ci[1]), 3)}]" if isinstance(ci, list) and len(ci) == 2 else ""
        out.append(f"{e.get('param')}: {_num(e.get('slope'), 3)}{cis}")
    return "; ".join(out) or "-"


def history_lines(runs: Sequence[SavedRun], substr: str | None = None,
                  factor: float = DEFAULT_MARGIN_SHRINK) -> list[str]:
    """The ``ovpcheck history`` table: per claim, one row per saved run (oldest
    first) with the run's counter, time, commit, verdict, tightness, margin and
    fitted exponents; a ``MARGIN SHRANK`` line when the latest margin shrank by more
    than ``factor``."""
    ids = _ids(runs, substr)
    lines = [f"{len(runs)} saved run(s), {len(ids)} claim(s); margin = -ln(tightness) for upper bounds, "
             f"+ln(tightness) for lower bounds (> 0: inside the bound)"]
    for cid in ids:
        s = claim_series(runs, cid, factor)
        lines.append("")
        lines.append(cid + ("   [MARGIN SHRANK x" + _num(s["shrink"], 3) + f" > {factor:g}]" if s["flag"] else ""))
        lines.append(f"  {'run':<6} {'created (UTC)':<25} {'commit':<15} {'verdict':<12} {'tightness':>10} "
                     f"{'margin':>8}  exponents")
        for p in s["points"]:
            lines.append(f"  {p['run']:<6} {p['created'] or '-':<25} {p['commit']:<15} {str(p['verdict']):<12} "
                         f"{_num(p['tightness']):>10} {_num(p['margin'], 3):>8}  {_exp_text(p['exponents'])}")
    return lines


def history_json(runs: Sequence[SavedRun], substr: str | None = None, factor: float = DEFAULT_MARGIN_SHRINK,
                 storage: str | None = None) -> dict:
    """The ``ovpcheck history --json`` document: ``{"storage", "margin_shrink", "runs":
    [{run, file, created, commit, complete, profile}], "claims": [claim_series ...]}``."""
    def clean(x):
        if isinstance(x, float) and not math.isfinite(x):
            return "nan" if math.isnan(x) else ("inf" if x > 0 else "-inf")
        if isinstance(x, dict):
            return {k: clean(v) for k, v in x.items()}
        if isinstance(x, list):
            return [clean(v) for v in x]
        return x

    return clean({"storage": storage, "margin_shrink": factor,
                  "runs": [{"run": r.label, "file": r.name, "created": r.created, "commit": r.commit,
                            "complete": r.complete, "profile": r.profile} for r in runs],
                  "claims": [claim_series(runs, cid, factor) for cid in _ids(runs, substr)]})
