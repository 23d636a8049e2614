"""Calibration: measure the false-fail rate by re-running claims under many base seeds.

In the spirit of TensorFlow Probability's ``--vary_seed --analyze_calibration``: each
selected claim is checked under base seeds ``seed_start, ..., seed_start + N - 1``
(every example seed, Hypothesis' draws where not derandomized, and the bootstrap
change with the base seed). For a claim that is true, each run fails with
probability at most the designed ``alpha`` (the profile's claim-level false-fail
rate, Bonferroni-split over examples and scalings). The report gives, per claim,
the observed fail rate with its two-sided Clopper–Pearson interval at level
``conf`` and the exact one-sided p-value ``P(Binom(N, alpha) >= fails)`` (small =
the claim fails more often than designed: a miscalibrated constant, a
mis-specified regime, or a claim that is false); and, for the suite, the fraction
of base seeds on which at least one claim failed (what a CI gate would see), with
its interval and the design bound ``min(1, claims x alpha)``.

Units of work are (claim, base seed) runs; they go through any
``concurrent.futures.Executor`` (:mod:`claims._executor`), and the numbers do not
depend on which one. The document (schema ``ovpcheck-calibration``, version 1) is
written atomically at most every ``SAVE_EVERY_S`` seconds and at the end (also when
interrupted), so an interrupted calibration keeps
what it measured (``"complete": false``).

    ovpcheck calibrate --profile ci --seeds 20 --json reports/calibration.json \\
        --html reports/calibration.html [-k ID] [--scheduler processes:2]
"""

from __future__ import annotations

import concurrent.futures as cf
import datetime as _dt
import html
import json
import math
import os
import time
from typing import Callable, Sequence

from . import _stats
from ._claim import Claim
from ._profiles import Profile, get_profile
from ._result import atomic_write_json

__all__ = ["CALIBRATION_SCHEMA", "CALIBRATION_VERSION", "calibrate", "summarize", "read_calibration",
           "merge_calibrations", "render_calibration_html", "calibration_lines"]

SAVE_EVERY_S = 10.0   # the calibration document is rewritten at most this often while runs finish

CALIBRATION_SCHEMA = "ovpcheck-calibration"
CALIBRATION_VERSION = 1


def _unit(claim: Claim, prof: Profile, device, dtype, seed: int, ref: str | None = None) -> dict:
    """One calibration run: the claim checked under base seed ``seed`` (small summary)."""
    from ._runner import check_one

    r = check_one(claim, prof, device, dtype, seed, claim_ref=ref)
    return {"claim_id": claim.id, "seed": int(seed), "verdict": r.verdict, "wall_time_s": r.wall_time_s,
            "message": r.message if r.verdict in ("fail", "error", "inconclusive") else "",
            "tightness": r.stats.get("tightness")}


def summarize(runs: Sequence[dict], claim_ids: Sequence[str], seeds: Sequence[int], alpha: float,
              conf: float = 0.95, target: float = 0.05) -> dict:
    """Per-claim and suite-level fail rates from run summaries (pure; see module doc)."""
    per = []
    by: dict[str, list] = {cid: [] for cid in claim_ids}
    for r in runs:
        if r["claim_id"] in by:
            by[r["claim_id"]].append(r)
    for cid in claim_ids:
        rs = sorted(by[cid], key=lambda r: r["seed"])
        n = len(rs)
        f = sum(r["verdict"] == "fail" for r in rs)
        e = sum(r["verdict"] == "error" for r in rs)
        lo, hi = _stats.clopper_pearson(f, n, conf) if n else (0.0, 1.0)
        p = _stats.binom_pvalue(f, n, alpha) if n else 1.0
        per.append({
            "claim_id": cid, "runs": n, "fails": f, "errors": e,
            "inconclusive": sum(r["verdict"] == "inconclusive" for r in rs),
            "passes": sum(r["verdict"] == "pass" for r in rs),
            "fail_rate": f / n if n else None, "fail_rate_ci": [lo, hi], "alpha": alpha,
            "p_value": p, "consistent": bool(p > 1 - conf),
            "fail_seeds": [r["seed"] for r in rs if r["verdict"] == "fail"],
            "error_seeds": [r["seed"] for r in rs if r["verdict"] == "error"],
            "inconclusive_seeds": [r["seed"] for r in rs if r["verdict"] == "inconclusive"],
            "mean_wall_s": (sum(r["wall_time_s"] for r in rs) / n) if n else None,
        })
    # one pass over the runs: which claims ran on each seed, and which verdicts they had there
    ran: dict[int, set] = {}
    verdicts: dict[int, set] = {}
    for r in runs:
        ran.setdefault(r["seed"], set()).add(r["claim_id"])
        verdicts.setdefault(r["seed"], set()).add(r["verdict"])
    want = set(claim_ids)
    full = [s for s in seeds if want <= ran.get(s, set())]
    n = len(full)

    def seeds_with(bad: set) -> tuple[list, float | None, list]:
        hit = [s for s in full if verdicts[s] & bad]
        return hit, (len(hit) / n if n else None), list(_stats.clopper_pearson(len(hit), n, conf) if n else (0.0, 1.0))

    fail_seeds, rate, ci = seeds_with({"fail"})
    gate_seeds, grate, gci = seeds_with({"fail", "error"})
    strict_seeds, srate, sci = seeds_with({"fail", "error", "inconclusive"})
    suite = {
        "seeds_complete": n, "failed_seeds": fail_seeds, "fail_rate": rate, "fail_rate_ci": ci,
        "gate_failed_seeds": gate_seeds, "gate_fail_rate": grate, "gate_fail_rate_ci": gci,
        "strict_failed_seeds": strict_seeds, "strict_fail_rate": srate, "strict_fail_rate_ci": sci,
        "checks": sum(c["runs"] for c in per), "inconclusive_checks": sum(c["inconclusive"] for c in per),
        "claims": len(claim_ids),
        "design_bound": min(1.0, len(claim_ids) * alpha), "target": target,
        "meets_target": bool(rate is not None and rate <= target),
        "conf": conf,
    }
    return {"claims": per, "suite": suite}


def calibrate(claims: Sequence[Claim], seeds: int | Sequence[int] = 20, *, profile: str | Profile = "ci",
              seed_start: int = 0, device="cpu", dtype=None, executor: cf.Executor | None = None,
              conf: float = 0.95, target: float = 0.05, json_path: str | None = None,
              progress: Callable[[str], None] | None = None, n_suite: int | None = None) -> dict:
    """Check every claim under each base seed; return (and write to ``json_path``) the
    calibration document. ``seeds``: a count N (seeds ``seed_start .. seed_start+N-1``)
    or an explicit list. Raises ``ValueError`` for no claims, no seeds, a negative
    seed, ``conf`` or ``target`` outside (0, 1).

    Each claim runs under the statistical contract of a run of ``n_suite`` claims (default:
    the selected claims; :func:`claims._sequential.suite_contract`): with the profile's
    ``alpha_suite`` every claim is checked at ``alpha_suite / n_suite``, exactly as in
    ``ovpcheck run`` of that suite, so the measured suite rate is the gate's.  A few claims
    re-calibrated into a full calibration (``--merge-into``) pass the full suite's size."""
    from ._sequential import suite_contract

    claims = list(claims)
    if not claims:
        raise ValueError("calibrate: no claims selected; check the -k / --paper / --family filters")
    if n_suite is not None and (isinstance(n_suite, bool) or not isinstance(n_suite, int) or n_suite < len(claims)):
        raise ValueError(f"calibrate: n_suite must be an int >= the {len(claims)} selected claims, got {n_suite!r}")
    prof, contract = suite_contract(get_profile(profile), n_suite or len(claims))
    if isinstance(seeds, int) and not isinstance(seeds, bool):
        if seeds < 1:
            raise ValueError(f"calibrate: --seeds must be >= 1 (the number of base seeds), got {seeds}")
        if seed_start < 0:
            raise ValueError(f"calibrate: --seed-start must be >= 0, got {seed_start}")
        seeds = list(range(seed_start, seed_start + seeds))
    seeds = [int(s) for s in seeds]
    if not seeds or min(seeds) < 0 or len(set(seeds)) != len(seeds):
        raise ValueError(f"calibrate: seeds must be distinct non-negative integers, got {seeds}")
    for name, v in (("conf", conf), ("target", target)):
        if not (isinstance(v, (int, float)) and 0 < v < 1):
            raise ValueError(f"calibrate: {name} must lie in (0, 1), got {v!r}")
    say = progress or (lambda msg: None)
    ids = [c.id for c in claims]
    created = _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")
    commit = _code_commit()
    t0 = time.perf_counter()
    runs: list[dict] = []

    def doc(complete: bool) -> dict:
        d = {"schema": CALIBRATION_SCHEMA, "version": CALIBRATION_VERSION, "created": created,
             "profile": prof.name, "profile_settings": prof.to_dict(), "device": str(device), "dtype": dtype,
             "seeds": seeds, "claim_ids": ids, "complete": complete, "contract": contract,
             "wall_time_s": time.perf_counter() - t0, "commit": commit,
             "command": (f"ovpcheck calibrate --profile {prof.name} --seeds {len(seeds)} --seed-start {seeds[0]}"
                         if seeds == list(range(seeds[0], seeds[0] + len(seeds))) else None),
             "runs": sorted(runs, key=lambda r: (pos[r["claim_id"]], r["seed"]))}
        d.update(summarize(runs, ids, seeds, prof.alpha, conf, target))
        return d

    pos = {cid: i for i, cid in enumerate(ids)}
    last_save = [-math.inf]

    def save(complete: bool, final: bool = False) -> None:
        # rewriting (and re-summarising) the whole document after every run is quadratic in the
        # runs and, with sub-second runs, kept the main process as busy as a worker (the ci
        # catalog's 135 x 24 runs went 3.5 x slower than the runs themselves); so at most every
        # SAVE_EVERY_S seconds, and always at the end or on an interruption (the finally below)
        now = time.perf_counter()
        if json_path and (final or now - last_save[0] >= SAVE_EVERY_S):
            atomic_write_json(json_path, doc(complete))
            last_save[0] = time.perf_counter()

    units = [(c, s) for s in seeds for c in claims]
    complete = False
    try:
        if executor is None:
            for k, (c, s) in enumerate(units, 1):
                runs.append(_unit(c, prof, device, dtype, s))
                say(f"[{k}/{len(units)}] {c.id} seed {s}: {runs[-1]['verdict']} "
                    f"({runs[-1]['wall_time_s']:.1f} s)")
                save(False)
        else:
            from ._engine import _claim_ref
            from ._executor import HardTimeLimit, submit_with_limit

            refs = {c.id: _claim_ref(c) for c in claims}
            futs = {submit_with_limit(executor, prof.hard_timeout_s, _unit, c, prof, device, dtype, s,
                                      refs[c.id]): (c, s) for c, s in units}
            for k, fut in enumerate(cf.as_completed(futs), 1):
                try:
                    runs.append(fut.result())
                except HardTimeLimit as exc:   # its worker was killed at the hard limit: an error run
                    c, s = futs[fut]
                    runs.append({"claim_id": c.id, "seed": int(s), "verdict": "error", "wall_time_s": exc.elapsed_s,
                                 "message": f"timed out: {exc}", "tightness": None})
                say(f"[{k}/{len(units)}] {runs[-1]['claim_id']} seed {runs[-1]['seed']}: {runs[-1]['verdict']}")
                save(False)
        complete = True
    finally:
        save(complete, final=True)
    return doc(complete)


def _code_commit() -> str | None:
    """The git commit of the checked code (this package's checkout), or None."""
    from .report import _git_commit_at

    return _git_commit_at(__file__)


def merge_calibrations(base: dict, update: dict) -> dict:
    """Merge two calibrations of the same profile, device, dtype and claim-level alpha.

    * Same seeds: ``base`` with the runs of ``update``'s claims replaced by ``update``'s
      (claims new in ``update`` are added): re-calibrating a few changed claims without
      re-running the whole catalog.
    * Disjoint seeds, same claims: the union of both (more base seeds in chunks, e.g.
      seeds 0..35 in one session and 36..71 in the next).

    Anything else is a ``ValueError`` naming the difference. The result lists each part
    (when, which claims or seeds, commit, wall time) under ``"parts"``, so the report says
    which runs came from which code; the summary is recomputed with ``base``'s interval
    level and target."""
    for k in ("profile", "device", "dtype"):
        if base.get(k) != update.get(k):
            raise ValueError(f"cannot merge calibrations with different {k}: {base.get(k)!r} vs {update.get(k)!r}; "
                             f"re-run the update with the base's --profile / --device / --dtype")
    a_b, a_u = base["profile_settings"]["alpha"], update["profile_settings"]["alpha"]
    if not math.isclose(a_b, a_u, rel_tol=1e-9):
        raise ValueError(f"cannot merge calibrations with different claim-level alpha: {a_b:.4g} vs {a_u:.4g} "
                         f"(a different --alpha or suite size); re-run the update with the base's contract")
    same_seeds = list(base["seeds"]) == list(update["seeds"])
    if not same_seeds:
        overlap = sorted(set(base["seeds"]) & set(update["seeds"]))
        if overlap or list(base["claim_ids"]) != list(update["claim_ids"]):
            raise ValueError("cannot merge calibrations with different seeds unless they are disjoint and calibrate "
                             f"the same claims (overlapping seeds: {overlap[:5]}{'...' if len(overlap) > 5 else ''}; "
                             f"claims {len(base['claim_ids'])} vs {len(update['claim_ids'])}); re-run the update with "
                             f"the base's --seeds / --seed-start, or with new seeds and the same selection")

    def part(d, which):
        return d.get("parts") or [{"created": d.get("created"), "commit": d.get("commit"), "claims": which,
                                   "wall_time_s": d.get("wall_time_s")}]

    def seeds_of(d):
        s = d["seeds"]
        return f"all {len(d['claim_ids'])} claims, seeds {s[0]}..{s[-1]}" if s == list(range(s[0], s[0] + len(s))) \
            else f"all {len(d['claim_ids'])} claims, {len(s)} seeds"

    out = dict(base)
    if same_seeds:
        upd = set(update["claim_ids"])
        ids = list(base["claim_ids"]) + [c for c in update["claim_ids"] if c not in set(base["claim_ids"])]
        runs = [r for r in base["runs"] if r["claim_id"] not in upd] + list(update["runs"])
        seeds = list(base["seeds"])
        parts = part(base, f"all {len(base['claim_ids'])} claims") + part(update, sorted(upd))
    else:
        ids = list(base["claim_ids"])
        runs = list(base["runs"]) + list(update["runs"])
        seeds = sorted(set(base["seeds"]) | set(update["seeds"]))
        parts = part(base, seeds_of(base)) + part(update, seeds_of(update))
    out.update(
        claim_ids=ids, seeds=seeds, complete=bool(base.get("complete")) and bool(update.get("complete")),
        wall_time_s=float(base.get("wall_time_s") or 0) + float(update.get("wall_time_s") or 0),
        runs=sorted(runs, key=lambda r: (ids.index(r["claim_id"]), r["seed"])),
        parts=parts, command=None)
    suite = base.get("suite") or {}
    out.update(summarize(runs, ids, seeds, a_b, suite.get("conf", 0.95), suite.get("target", 0.05)))
    return out


def read_calibration(path: str | os.PathLike) -> dict:
    """Read a calibration document, checking schema and version (``ValueError`` naming the fix)."""
    try:
        with open(path, encoding="utf-8") as f:
            d = json.load(f)
    except (OSError, json.JSONDecodeError) as exc:
        raise ValueError(f"calibration file {os.fspath(path)!r} cannot be read ({exc}); regenerate it with "
                         f"`ovpcheck calibrate --json PATH`") from None
    if not isinstance(d, dict) or d.get("schema") != CALIBRATION_SCHEMA:
        raise ValueError(f"{path}: not an {CALIBRATION_SCHEMA} file; regenerate it with `ovpcheck calibrate`")
    if d.get("version") != CALIBRATION_VERSION:
        raise ValueError(f"{path}: calibration version {d.get('version')!r} not supported (expected "
                         f"{CALIBRATION_VERSION}); upgrade ovpcheck or regenerate the file")
    return d


def _pct(x) -> str:
    return "-" if x is None else f"{100 * x:.1f}%"


def _part_lines(doc: dict) -> list[str]:
    """One line per merged part (:func:`merge_calibrations`): which claims ran on which code, when."""
    out = []
    for p in doc.get("parts") or []:
        claims = p["claims"] if isinstance(p["claims"], str) else ", ".join(p["claims"])
        out.append(f"  part {p.get('created')} commit {(p.get('commit') or 'unknown')[:10]} "
                   f"({float(p.get('wall_time_s') or 0):.0f} s): {claims}")
    return out


def calibration_lines(doc: dict) -> list[str]:
    """A plain-text table of a calibration document (the CLI prints it; README quotes it)."""
    s = doc["suite"]
    conf = s["conf"]
    ct = doc.get("contract") or {}
    lines = [f"calibration: profile {doc['profile']}, {len(doc['seeds'])} base seeds {doc['seeds'][0]}.."
             f"{doc['seeds'][-1]}, {len(doc['claim_ids'])} claim(s), designed alpha per claim "
             f"{doc['profile_settings']['alpha']:.3g}"
             + (f" (alpha_suite {ct['alpha_suite']:g} over {ct['n_claims']} claims)" if ct.get("by_design") else "")
             + (f", decision {ct['decision']}" if ct.get("decision") else "")
             + f", {doc['wall_time_s']:.0f} s"
             + ("" if doc.get("complete", True) else " (INCOMPLETE)"),
             *_part_lines(doc),
             f"{'claim':<34} {'fails/runs':>10} {'rate':>7}  {100 * conf:g}% CP interval     p(>=fails|alpha)"]
    for c in doc["claims"]:
        lo, hi = c["fail_rate_ci"]
        flag = "" if c["consistent"] else "  MISCALIBRATED"
        if c["errors"]:
            flag += f"  ({c['errors']} error run(s))"
        if c.get("inconclusive"):
            flag += f"  ({c['inconclusive']} inconclusive)"
        lines.append(f"{c['claim_id']:<34} {c['fails']:>4}/{c['runs']:<5} {_pct(c['fail_rate']):>7}  "
                     f"[{lo:.3f}, {hi:.3f}]         {c['p_value']:.3g}{flag}")
    lo, hi = s["fail_rate_ci"]
    lines.append(f"suite: {len(s['failed_seeds'])}/{s['seeds_complete']} base seeds with >= 1 failing claim = "
                 f"{_pct(s['fail_rate'])} ({100 * conf:g}% CP [{lo:.3f}, {hi:.3f}]); with fail or error "
                 f"{_pct(s['gate_fail_rate'])}; design bound {s['design_bound']:.3g}; target <= "
                 f"{s['target']:g}: {'met' if s['meets_target'] else 'NOT met'}")
    if "strict_failed_seeds" in s:
        lo, hi = s["strict_fail_rate_ci"]
        lines.append(f"inconclusive: {s['inconclusive_checks']}/{s['checks']} claim checks; --strict (inconclusive "
                     f"also red): {len(s['strict_failed_seeds'])}/{s['seeds_complete']} base seeds = "
                     f"{_pct(s['strict_fail_rate'])} ({100 * conf:g}% CP [{lo:.3f}, {hi:.3f}]; no designed bound)")
    return lines


def render_calibration_html(doc: dict | str | os.PathLike, path: str | os.PathLike) -> str:
    """Write a self-contained HTML page (no network) for a calibration document; returns the path.

    One row per claim: fail rate, its Clopper–Pearson interval drawn against the
    designed alpha (inline SVG), p-value, the failing seeds; a suite-level row on top.
    """
    if not isinstance(doc, dict):
        doc = read_calibration(doc)
    e = html.escape
    s = doc["suite"]
    alpha = doc["profile_settings"]["alpha"]

    def bar(lo, hi, rate, mark):
        w = 240
        xs = lambda v: 4 + (w - 8) * min(1.0, max(0.0, math.sqrt(v)))  # sqrt axis: small rates stay visible
        return (f'<svg width="{w}" height="18" role="img" aria-label="interval"><line x1="4" y1="9" x2="{w - 4}" '
                f'y2="9" stroke="#ddd"/><line x1="{xs(lo):.1f}" y1="9" x2="{xs(hi):.1f}" y2="9" stroke="#345" '
                f'stroke-width="4"/><circle cx="{xs(rate or 0):.1f}" cy="9" r="3.5" fill="#000"/><line '
                f'x1="{xs(mark):.1f}" y1="2" x2="{xs(mark):.1f}" y2="16" stroke="#c00" stroke-width="2"/></svg>')

    rows = []
    for c in doc["claims"]:
        lo, hi = c["fail_rate_ci"]
        cls = "bad" if not c["consistent"] else ("warn" if c["errors"] else "")
        rows.append(f'<tr class="{cls}"><td><code>{e(c["claim_id"])}</code></td><td>{c["fails"]}/{c["runs"]}</td>'
                    f'<td>{_pct(c["fail_rate"])}</td><td>[{lo:.3f}, {hi:.3f}]</td>'
                    f'<td>{bar(lo, hi, c["fail_rate"], alpha)}</td><td>{c["p_value"]:.3g}</td>'
                    f'<td>{c["errors"]}</td><td>{c.get("inconclusive", 0)}</td>'
                    f'<td>{e(", ".join(map(str, c["fail_seeds"])))}</td></tr>')
    lo, hi = s["fail_rate_ci"]
    page = f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>ovpcheck calibration</title>
<style>body{{font:14px system-ui,sans-serif;margin:2em;max-width:72em}}table{{border-collapse:collapse}}
td,th{{border-bottom:1px solid #eee;padding:3px 8px;text-align:left}}tr.bad{{background:#fee}}
tr.warn{{background:#ffd}}code{{font-size:13px}}</style></head><body>
<h1>Calibration: false-fail rates over base seeds</h1>
<p>Profile <b>{e(doc['profile'])}</b>, {len(doc['seeds'])} base seeds ({doc['seeds'][0]}..{doc['seeds'][-1]}),
{len(doc['claim_ids'])} claims, device {e(str(doc['device']))}, designed claim-level alpha {alpha:g};
{doc['wall_time_s']:.0f} s{'' if doc.get('complete', True) else ' — <b>incomplete run</b>'}.
Created {e(doc['created'])}{', code commit ' + e(doc['commit'][:10]) if doc.get('commit') else ''}.</p>
{''.join(f"<p>Merged part: {e(str(p.get('created')))}, commit {e((p.get('commit') or 'unknown')[:10])}, "
         f"{float(p.get('wall_time_s') or 0):.0f} s: {e(p['claims'] if isinstance(p['claims'], str) else ', '.join(p['claims']))}</p>"
         for p in doc.get('parts') or [])}
<p><b>Suite:</b> {len(s['failed_seeds'])}/{s['seeds_complete']} base seeds had at least one failing claim
= {_pct(s['fail_rate'])} ({100 * s['conf']:g}% Clopper–Pearson [{lo:.3f}, {hi:.3f}]); counting errors
{_pct(s['gate_fail_rate'])}; design bound min(1, claims × alpha) = {s['design_bound']:.3g}; target ≤
{s['target']:g}: <b>{'met' if s['meets_target'] else 'not met'}</b>.</p>
{(f"<p><b>Inconclusive:</b> {s['inconclusive_checks']}/{s['checks']} claim checks; under <code>--strict</code> "
  f"(an inconclusive claim also turns the gate red) {len(s['strict_failed_seeds'])}/{s['seeds_complete']} base "
  f"seeds = {_pct(s['strict_fail_rate'])} (Clopper–Pearson [{s['strict_fail_rate_ci'][0]:.3f}, "
  f"{s['strict_fail_rate_ci'][1]:.3f}]): not a false fail, a check that could not reach its precision; no "
  f"designed bound.</p>") if 'strict_failed_seeds' in s else ''}
<p>Bars: {100 * s['conf']:g}% Clopper–Pearson interval of the fail rate (square-root axis, 0 to 1), the dot the observed
rate, the red tick the designed alpha. p = P(Binom(runs, alpha) ≥ fails): a small value means the claim fails
more often than designed.</p>
<table><thead><tr><th>claim</th><th>fails/runs</th><th>rate</th><th>interval</th><th></th><th>p</th>
<th>errors</th><th>inconclusive</th><th>failing seeds</th></tr></thead><tbody>
{''.join(rows)}
</tbody></table></body></html>
"""
    path = os.fspath(path)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(page)
    os.replace(tmp, path)
    return path
