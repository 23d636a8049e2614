"""The HTML claim report: one self-contained page from a results JSON file.

API::

    render_html(results_json_path, html_path, history=None,
                margin_shrink=None)                             -> html_path
    render_comparison(old_json_path, new_json_path, html_path,
                      tightness_factor=1.5)                     -> html_path
    build_html(doc) / build_comparison(old_doc, new_doc)        -> str
    compare_results(old_doc, new_doc, tightness_factor=1.5)     -> dict

Command line::

    python -m claims.report render  reports/claims.json [-o reports/claims.html]
                                    [--history .claims] [--margin-shrink 1.5]
    python -m claims.report compare old.json new.json [-o reports/compare.html] [--factor 1.5]

The page has inline CSS, inline SVG plots (``claims._svg``), statements as
MathML (``claims._mathml``, a thin wrapper around ``latex2mathml``) and a
few lines of inline JavaScript for sorting, filtering and copying; it needs
nothing but a browser and reads fine with scripts off. Every value from the JSON is HTML-escaped (Jinja2 autoescape);
missing optional fields show "—" instead of failing.

Per claim it states the trials its examples used against their budget; under the
anytime decision (``stats.decision == "anytime"``) it also draws the evidence of each
example against the trials used (``examples[i].trajectory``: the log e-value with the
fail threshold log(1/alpha_ex), the confidence sequence's upper bound with p_det and
p0; at most ``_MAX_EVIDENCE_CURVES`` curves, examples with equal counts sharing one)
and the header gives the mean trials used per claim.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import math
import os
import re
import subprocess
import sys
from typing import Any, Iterable

import jinja2
from markupsafe import Markup

from ._mathml import tex_to_html
from ._svg import _num, evidence_plot, fmt_num, sparkline, strip_plot, xy_plot, PALETTE
from . import _report_templates as _T

__all__ = ["render_html", "render_comparison", "build_html", "build_comparison", "compare_results",
           "load_results", "main", "VERDICTS", "DEFAULT_TIGHTNESS_FACTOR"]

VERDICTS = ("pass", "fail", "inconclusive", "error")
DEFAULT_TIGHTNESS_FACTOR = 1.5
DASH = "—"
_MAX_STRIP_GROUPS = 30


# ----------------------------------------------------------------------------- small helpers


def _get(d: Any, *keys, default=None):
    """``d[k1][k2]...`` or ``default`` if any level is missing or not a dict/list."""
    for k in keys:
        if isinstance(d, dict):
            d = d.get(k)
        elif isinstance(d, (list, tuple)) and isinstance(k, int) and -len(d) <= k < len(d):
            d = d[k]
        else:
            return default
        if d is None:
            return default
    return d


def _f(x) -> float | None:
    """A finite float or None (also parses "inf"/"nan" strings, then rejects them)."""
    from ._svg import _num

    return _num(x)


def _n(x, digits: int = 4) -> str:
    """A number for display; strings like "inf" are shown as-is; missing -> "—"."""
    if isinstance(x, str):
        return {"inf": "∞", "-inf": "−∞", "nan": "NaN"}.get(x, x) or DASH
    if isinstance(x, bool):
        return str(x).lower()
    if isinstance(x, float) and math.isinf(x):
        return "∞" if x > 0 else "−∞"
    return fmt_num(x, digits)


def _sort_key(x) -> str:
    v = _f(x)
    return repr(v) if v is not None else ""


def _s(x) -> str:
    """Any value as display text (``None`` -> "—")."""
    if x is None or x == "":
        return DASH
    if isinstance(x, float):
        return _n(x)
    if isinstance(x, (dict, list)):
        return json.dumps(x, sort_keys=True, default=str)
    return str(x)


def _point(p) -> str:
    if isinstance(p, dict):
        return ", ".join(f"{k}={_n(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else v}"
                         for k, v in p.items()) or DASH
    return _s(p)


def _ci(ci, digits: int = 3) -> str:
    if isinstance(ci, (list, tuple)) and len(ci) == 2:
        return f"[{_n(ci[0], digits)}, {_n(ci[1], digits)}]"
    return DASH


def _uniq(values: Iterable) -> list:
    out = []
    for v in values:
        if v is not None and v != "" and v not in out:
            out.append(v)
    return out


def _join(values: Iterable, empty: str = DASH) -> str:
    u = _uniq(values)
    return ", ".join(_s(v) for v in u) if u else empty


def _verdict(r: dict) -> str:
    v = r.get("verdict")
    return v.lower() if isinstance(v, str) and v else "unknown"


def _duration(s) -> str:
    v = _f(s)
    if v is None:
        return DASH
    if v < 1:
        return f"{v * 1000:.0f} ms"
    if v < 120:
        return f"{v:.1f} s"
    if v < 7200:
        return f"{v / 60:.1f} min"
    return f"{v / 3600:.2f} h"


def _git_commit_at(path: str) -> str | None:
    """``git rev-parse HEAD`` in the directory of ``path`` (None on any failure)."""
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=os.path.dirname(os.path.abspath(path)) or ".",
                             capture_output=True, text=True, timeout=5)
    except Exception:
        return None
    h = out.stdout.strip()
    return h if out.returncode == 0 and h else None


def _env() -> jinja2.Environment:
    env = jinja2.Environment(autoescape=True, undefined=jinja2.ChainableUndefined, trim_blocks=False)
    return env


# ----------------------------------------------------------------------------- loading


def load_results(path: str | os.PathLike) -> dict:
    """Read a results file as plain dicts. Raises ``ValueError`` naming the file if it
    is not JSON, not an ``ovpcheck-results`` file, or of an unsupported version."""
    path = os.fspath(path)
    try:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: not valid JSON ({exc})") from None
    if not isinstance(doc, dict) or doc.get("schema") != "ovpcheck-results":
        sch = doc.get("schema") if isinstance(doc, dict) else type(doc).__name__
        raise ValueError(f"{path}: not an ovpcheck-results file (schema={sch!r})")
    if doc.get("version") != 1:
        raise ValueError(f"{path}: results version {doc.get('version')!r} not supported (this report reads version 1)")
    res = doc.get("results")
    doc["results"] = [r for r in res if isinstance(r, dict)] if isinstance(res, list) else []
    return doc


# ----------------------------------------------------------------------------- per-claim view


def _detects(s: dict, relation) -> str:
    """``"detects ±0.12"`` from a scaling's ``detectable_deviation`` (the smallest exponent error
    its slope test detects with probability >= the power target); the sign says which errors
    the relation tests: ``+`` above the claim (at_most), ``−`` below it (at_least), ``±`` both."""
    dd = s.get("detectable_deviation") if isinstance(s, dict) else None
    v = _num(dd, allow_inf=True)
    if v is None or v < 0:
        return ""
    sign = {"at_most": "+", "at_least": "−"}.get(relation, "±")
    val = _n(v, 2) if math.isfinite(v) else '∞'
    if s.get("decision") == "anytime":   # the anytime rule's bound: errors beyond it are ruled out
        return f"rules out {sign}{val}"
    return f"detects {sign}{val}"


def _scal_msg(s: dict) -> str:
    """A sweep's line: its message, plus the deviation it detects unless the message says it."""
    msg = _s(s.get("message"))
    det = _detects(s, s.get("relation"))
    said = "detect" in msg.lower() or "exclude" in msg.lower()
    return f"{_s(s.get('param'))}: {msg}" + (f" · {det}" if det and not said else "")


def _exponents(r: dict) -> list[dict]:
    """Fitted exponents: from ``scalings`` (full) or ``stats.fitted_exponents``."""
    rows = []
    src = r.get("scalings") if isinstance(r.get("scalings"), list) and r.get("scalings") else \
        _get(r, "stats", "fitted_exponents", default=[])
    rel_sym = {"at_most": "≤", "at_least": "≥", "equal": "=", "report": "report"}
    for s in src if isinstance(src, list) else []:
        if not isinstance(s, dict):
            continue
        claimed = s.get("exponent", s.get("claimed"))
        rel = s.get("relation", "")
        tol = _f(s.get("tolerance")) or 0.0
        sym = rel_sym.get(rel, _s(rel))
        claim_txt = "reported only" if rel == "report" else f"{sym} {_n(claimed)}" + (f" ± {_n(tol)}" if tol else "")
        slope = s.get("slope")
        verdict = s.get("verdict", "")
        param = _s(s.get("param"))
        short = f"{param}: {_n(slope, 3)} {_ci(s.get('ci'))} vs {claim_txt}"
        lvl = _f(s.get("ci_level"))
        lvl_txt = ("" if not lvl else f"1 − {1 - lvl:.2g} " if 1 - lvl < 1e-3 else "%.4g%% " % (100 * lvl))
        long = (f"fitted slope {_n(slope, 4)}, {lvl_txt}CI {_ci(s.get('ci'), 4)}; "
                f"claimed {claim_txt}" + (f" — {verdict}" if verdict else ""))
        if slope is None and s.get("message"):
            long = f"{_s(s.get('message'))}" + (f" — {verdict}" if verdict else "")
            short = f"{param}: {verdict or DASH}"
        det = _detects(s, rel)
        if det:
            pw = _n(_f(s.get("power")) or _f(_get(r, "stats", "power_target")) or 0.9)   # the sweep's own, if recorded
            short += f" · {det}"
            long += (f"; {det} (the {_n(_f(s.get('bound_level')) or 0, 4)} bound: an exponent error of "
                     f"{_n(_f(s.get('exponent_target')) or 1 / 6, 3)} or more passes with probability ≤ "
                     f"{_n(1 - (_f(s.get('power')) or 0.9))})" if s.get("decision") == "anytime" else
                     f"; {det} (the smallest exponent error this sweep detects with probability ≥ {pw})")
        rows.append({"param": param, "short": short, "long": long, "slope": slope, "ci": s.get("ci"),
                     "claimed": claimed, "verdict": verdict, "detects": det})
    return rows


def _scaling_plot(r: dict, s: dict, unit: str) -> dict | None:
    grid, means = s.get("grid"), s.get("means")
    if not isinstance(grid, list) or not isinstance(means, list) or len(grid) != len(means) or len(grid) < 2:
        return None
    pairs = [(_f(x), _f(y)) for x, y in zip(grid, means)]
    pairs = [(x, y) for x, y in pairs if x and y and x > 0 and y > 0]
    if len(pairs) < 2:
        return None
    xs, ys = [p[0] for p in pairs], [p[1] for p in pairs]
    layers: list[dict] = []
    # per-trial values (optional: "values" = list per grid point) as light points
    vals = s.get("values")
    if isinstance(vals, list) and len(vals) == len(grid):
        px, py = [], []
        for g, vs in zip(grid, vals):
            if isinstance(vs, list):
                for v in vs:
                    px.append(g)
                    py.append(v)
        if px:
            layers.append({"kind": "points", "x": px, "y": py, "color": "#9ecae1", "r": 2.2, "opacity": 0.6,
                           "label": "trials"})
    lx = [math.log(x) for x in xs]
    ly = [math.log(y) for y in ys]
    cx, cy = sum(lx) / len(lx), sum(ly) / len(ly)
    # lines through the centre are straight on log-log axes: the ends and the centre
    # (where the band's two edges cross) are all the polygon and polylines need
    xfine = [math.exp(min(lx)), math.exp(cx), math.exp(max(lx))]
    slope = _f(s.get("slope"))
    ci = s.get("ci") if isinstance(s.get("ci"), list) and len(s.get("ci")) == 2 else None
    if slope is not None and ci and _f(ci[0]) is not None and _f(ci[1]) is not None:
        lo_s, hi_s = _f(ci[0]), _f(ci[1])
        ylo, yhi = [], []
        for x in xfine:
            a = math.exp(cy + lo_s * (math.log(x) - cx))
            b = math.exp(cy + hi_s * (math.log(x) - cx))
            ylo.append(min(a, b))
            yhi.append(max(a, b))
        layers.append({"kind": "band", "x": xfine, "ylo": ylo, "yhi": yhi, "color": "#1f77b4",
                       "label": f"slope CI {_ci(ci)}"})
    if slope is not None:
        layers.append({"kind": "line", "x": xfine, "y": [math.exp(cy + slope * (math.log(x) - cx)) for x in xfine],
                       "color": "#1f77b4", "label": f"fit: slope {_n(slope, 3)}"})
    bounds = s.get("bounds") if isinstance(s.get("bounds"), list) else s.get("bound") if isinstance(s.get("bound"), list) else None
    claimed = _f(s.get("exponent", s.get("claimed")))
    if bounds and len(bounds) == len(grid):
        layers.append({"kind": "line", "x": list(grid), "y": bounds, "color": "#d62728", "dash": "6 3",
                       "label": "bound (constant × shape)"})
    elif claimed is not None:
        layers.append({"kind": "line", "x": xfine, "y": [math.exp(cy + claimed * (math.log(x) - cx)) for x in xfine],
                       "color": "#d62728", "dash": "6 3",
                       "label": f"claimed slope {_n(claimed)} (through the data's centre)"})
    lo_v, hi_v = s.get("q_lo"), s.get("q_hi")
    pts = {"kind": "points", "x": xs, "y": ys, "color": "#08306b", "label": "geometric mean per grid point"}
    if isinstance(lo_v, list) and isinstance(hi_v, list) and len(lo_v) == len(hi_v) == len(xs):
        pts["yerr_lo"], pts["yerr_hi"] = lo_v, hi_v
    layers.append(pts)
    series = _s(s.get("series") or "values")
    param = _s(s.get("param"))
    ylab = "measured (log scale)" if series == "values" else f"measured {series} (log scale)"
    svg = xy_plot(layers, xlabel=f"{param} (log scale)", ylabel=ylab,
                  title=f"Scaling in {param}" if series == "values" else f"Scaling of {series} in {param}",
                  aria=f"scaling of {series} in {param}")
    if not svg:
        return None
    msg = s.get("message") or ""
    return {"svg": Markup(svg), "caption": f"{unit}: measured {series} vs {param} on log-log axes; "
            f"fitted line with its slope confidence band; {msg}"}


def _exponent_trajectory_plot(s: dict, unit: str) -> dict | None:
    """The anytime exponent test's looks (``s["trajectory"]``: ``[trials, slope, ci_lo, ci_hi,
    bound_lo, bound_hi]`` per look): the fitted slope, its fail interval (band) and its pass bound
    against the trials per grid point, with the claimed exponent, claimed + tolerance (fail side)
    and claimed ± the target (what a pass must exclude) as reference lines."""
    tr = [t for t in (s.get("trajectory") or []) if isinstance(t, list) and len(t) == 6]
    if s.get("decision") != "anytime" or not tr:
        return None
    rel = s.get("relation")
    e, tol, tgt = _f(s.get("exponent")), _f(s.get("tolerance")) or 0.0, _f(s.get("exponent_target"))
    if e is None or tgt is None:
        return None
    xs = [_f(t[0]) for t in tr]
    side = {"at_most": 1, "at_least": -1}.get(rel)
    layers = [{"kind": "band", "x": xs, "ylo": [_f(t[2]) for t in tr], "yhi": [_f(t[3]) for t in tr],
               "color": "#1f77b4", "label": f"fail interval ({_n(_f(s.get('ci_level')) or 0, 6)})"},
              {"kind": "line", "x": xs, "y": [_f(t[1]) for t in tr], "color": "#1f77b4", "label": "fitted slope"}]
    for k, lab in ((5, "upper"), (4, "lower")):
        if side in (None, 1 if k == 5 else -1):
            layers.append({"kind": "line", "x": xs, "y": [_f(t[k]) for t in tr], "color": "#2ca02c", "dash": "4 2",
                           "label": f"pass bound, {lab} ({_n(_f(s.get('bound_level')) or 0, 4)})"})
    layers.append({"kind": "points", "x": xs, "y": [_f(t[1]) for t in tr], "color": "#08306b"})
    hl = [{"y": e, "label": f"claimed {_n(e)}", "color": "#d62728"}]
    for sg in ((side,) if side else (1, -1)):
        hl.append({"y": e + sg * tgt, "label": f"claimed {'+' if sg > 0 else '−'} target {_n(tgt, 3)} (a pass "
                   f"excludes it)", "color": "#9467bd"})
        if tol:
            hl.append({"y": e + sg * tol, "label": f"claimed {'+' if sg > 0 else '−'} tolerance {_n(tol)} (fail side)",
                       "color": "#ff7f0e"})
    param = _s(s.get("param"))
    svg = xy_plot(layers, hlines=hl, xlog=True, ylog=False, xlabel="trials per grid point (log scale)",
                  ylabel="exponent", title=f"Exponent test in {param}: {len(tr)} look{'s' if len(tr) != 1 else ''}",
                  aria=f"anytime exponent test in {param}")
    if not svg:
        return None
    return {"svg": Markup(svg), "caption": (f"{unit}: the anytime exponent test at each look (trials per grid point "
            f"{', '.join(_n(x) for x in xs)} of {_n(_f(s.get('trials_budget')))}): fail when the band clears the "
            f"tolerance line, pass when the green bound clears claimed ± target; verdict {_s(s.get('verdict'))}.")}


def _limit_plots(s: dict, unit: str) -> list[dict]:
    """Finite width vs infinite-width limit along a sweep (``s["limits"]``, recorded by the engine
    for extras pairs ``k`` / ``k@limit``: per grid value the trial mean and 10%/90% quantiles of
    ``k`` and the mean of its limit): the measured curve on log-log axes with the limit as a
    dashed line."""
    out = []
    lims, grid = s.get("limits"), s.get("grid")
    if not isinstance(lims, dict) or not isinstance(grid, list):
        return out
    param = _s(s.get("param"))
    for key, d in lims.items():
        fin = d.get("finite") if isinstance(d, dict) else None
        lim = d.get("limit") if isinstance(d, dict) else None
        if not (isinstance(fin, list) and isinstance(lim, list) and len(fin) == len(lim) == len(grid) >= 2):
            continue
        layers = [{"kind": "line", "x": grid, "y": lim, "color": "#d62728", "dash": "6 3",
                   "label": "infinite-width limit"},
                  {"kind": "line", "x": grid, "y": fin, "color": "#08306b", "width": 1.2},
                  {"kind": "points", "x": grid, "y": fin, "color": "#08306b",
                   "label": "finite width (trial mean, bar: 10-90% of trials)"}]
        q10, q90 = d.get("q10"), d.get("q90")
        if isinstance(q10, list) and isinstance(q90, list) and len(q10) == len(q90) == len(grid):
            layers[-1]["yerr_lo"], layers[-1]["yerr_hi"] = q10, q90
        svg = xy_plot(layers, xlabel=f"{param} (log scale)", ylabel=f"{_s(key)} (log scale)",
                      title=f"{_s(key)}: finite width vs limit", aria=f"{_s(key)} at finite {param} and its limit")
        if svg:
            out.append({"svg": Markup(svg), "caption": f"{unit}: {_s(key)} at each {param} (trial mean, bars "
                        f"10-90% of the trials) and its infinite-width limit (dashed)"})
    return out


def _strip(r: dict) -> dict | None:
    groups = []
    exs = [e for e in (r.get("examples") or []) if isinstance(e, dict)]
    shown = list(enumerate(exs))
    note = ""
    if len(exs) > _MAX_STRIP_GROUPS:
        shown = sorted(shown, key=lambda ie: -(_f(ie[1].get("score")) or -math.inf))[:_MAX_STRIP_GROUPS]
        shown.sort(key=lambda ie: ie[0])
        note = f" (the {_MAX_STRIP_GROUPS} worst of {len(exs)} examples)"
    for i, e in shown:
        groups.append({"label": f"{i + 1}: {_point(e.get('point'))}", "values": e.get("ratios") or [],
                       "lo": e.get("min_ratio"), "hi": e.get("max_ratio"), "hit": bool(e.get("significant"))})
    ce = r.get("counterexample")
    if isinstance(ce, dict):
        groups.append({"label": "counterexample", "short": "cex", "values": ce.get("ratios") or [], "lo": ce.get("min_ratio"),
                       "hi": ce.get("max_ratio"), "color": "#d62728"})
    we = r.get("worst_example")
    if isinstance(we, dict) and we.get("ratios") and we is not ce and we.get("ratios") != _get(ce, "ratios"):
        groups.append({"label": "worst", "values": we.get("ratios"), "lo": we.get("min_ratio"),
                       "hi": we.get("max_ratio"), "color": "#ff7f0e"})
    if not groups:
        return None
    allv = [v for g in groups for v in (list(g["values"]) + [g["lo"], g["hi"]]) if _f(v) is not None]
    pos = [_f(v) for v in allv if _f(v) and _f(v) > 0]
    ylog = len(pos) == len(allv) and pos and max(pos) / min(pos) > 50
    svg = strip_plot(groups, ylog=bool(ylog), ylabel="measured / bound" + (" (log)" if ylog else ""),
                     title="measured / bound over trials",
                     xlabel="example: parameter point" if len(groups) <= 8 else "example # (points in the table below)",
                     ref_label="measured = bound", aria="distribution of measured over bound")
    if not svg:
        return None
    return {"svg": Markup(svg), "caption": "One column per example: bars span min..max of measured/bound over its "
            "trials, dots are individual trials where recorded (the counterexample keeps all). Dashed line: "
            "measured = bound." + note}


def _adv_keys(ex: dict) -> tuple[str | None, str | None]:
    """(random key, adversarial key or None) in a measurement's extras. The catalog's
    convention: ``values`` is the adversary's worst case, ``extras["random"]`` the same
    quantity under a random perturbation of the same size."""
    keys = [k for k in ex if isinstance(ex.get(k), list)]
    low = {k: k.lower() for k in keys}
    rk = next((k for k in keys if low[k] == "random"), None) or \
        next((k for k in keys if low[k].startswith("rand") or low[k].endswith("random")), None)
    ak = next((k for k in keys if low[k] in ("adversarial", "adv", "targeted", "pgd", "worst")), None) or \
        next((k for k in keys if any(w in low[k] for w in ("adv", "targeted", "pgd"))), None)
    return rk, ak


def _adv_plot(r: dict) -> dict | None:
    """∀-claims: random vs adversarial side by side (from measurement extras)."""
    is_forall = _get(r, "claim", "quantifier") == "forall" or bool(_get(r, "claim", "adversary"))
    cands = [r.get("counterexample"), r.get("worst_example")] + list(r.get("examples") or [])
    for e in cands:
        ex = _get(e, "extras")
        if not isinstance(ex, dict):
            continue
        rk, ak = _adv_keys(ex)
        if not rk:
            continue
        if ak:
            adv_vals, adv_label = ex[ak], ak
        elif is_forall and isinstance(e.get("values"), list):
            adv_vals, adv_label = e["values"], "adversarial"
        else:
            continue
        groups = [{"label": f"random ({rk})" if rk != "random" else "random", "values": ex[rk], "color": "#1f77b4"},
                  {"label": adv_label, "values": adv_vals, "color": "#d62728"}]
        # a claim that runs both a constructed direction and a search (extras "constructed", "search",
        # in the units of "random") shows the three series: random, constructed, search
        three = [k for k in ("constructed", "search") if isinstance(ex.get(k), list)]
        if rk == "random" and len(three) == 2:
            groups = groups[:1] + [{"label": "constructed", "values": ex["constructed"], "color": "#ff7f0e"},
                                   {"label": "search", "values": ex["search"], "color": "#d62728"}]
            adv_vals = list(ex["constructed"]) + list(ex["search"])
        vals = [_f(v) for v in list(ex[rk]) + list(adv_vals) if _f(v) is not None]
        if not vals:
            continue
        ylog = min(vals) > 0 and max(vals) / min(vals) > 50
        adv = _get(r, "claim", "adversary")
        svg = strip_plot(groups, ylabel="measured quantity" + (" (log)" if ylog else ""), ref=None, ylog=ylog,
                         width=340, title="Random vs adversarial", aria="random versus adversarial",
                         xlabel=f"perturbation at {_point(e.get('point'))}")
        if svg:
            return {"svg": Markup(svg), "caption": f"Same point {_point(e.get('point'))}, same initialisations: the "
                    f"measured quantity under a random perturbation ({rk}) vs the worst case the adversary"
                    f"{' (' + _s(adv) + ')' if adv else ''} found, one dot per trial."}
    return _adv_sweep_plot(r) if is_forall else None


def _adv_sweep_plot(r: dict) -> dict | None:
    """∀-claims without per-trial extras: sweeps of a "random" series and of the
    adversarial one over the same parameter, drawn on one log-log plot."""
    sweeps = [s for s in (r.get("scalings") or []) if isinstance(s, dict) and isinstance(s.get("grid"), list)
              and isinstance(s.get("means"), list) and len(s["grid"]) == len(s["means"]) >= 2]
    for param in _uniq(s.get("param") for s in sweeps):
        same = [s for s in sweeps if s.get("param") == param]
        rnd = [s for s in same if "random" in str(s.get("series", "")).lower()]
        adv = [s for s in same if s not in rnd]
        if not rnd or not adv:
            continue
        layers = []
        for s, color in [(adv[0], "#d62728"), (rnd[0], "#1f77b4")]:
            name = "adversarial" if s is adv[0] else "random"
            ser = _s(s.get("series"))
            layers.append({"kind": "line", "x": s["grid"], "y": s["means"], "color": color, "width": 1.4})
            layers.append({"kind": "points", "x": s["grid"], "y": s["means"], "color": color,
                           "label": f"{name}: {ser} (geometric mean)"})
        svg = xy_plot(layers, xlabel=f"{_s(param)} (log scale)", ylabel="measured (log scale)",
                      title=f"Random vs adversarial in {_s(param)}", aria="random versus adversarial")
        if svg:
            return {"svg": Markup(svg), "caption": f"The adversary's worst case ({_s(adv[0].get('series'))}) and the "
                    f"same quantity under a random perturbation ({_s(rnd[0].get('series'))}) along the sweep in "
                    f"{_s(param)}; geometric means over the trials at each grid value."}
    return None


_TRAJ_KEY = re.compile(r"^(?:loss|train_loss)@(\d+)$")


def _geomean(vs) -> float | None:
    pos = [v for v in (_f(x) for x in (vs if isinstance(vs, list) else [vs])) if v is not None and v > 0]
    return math.exp(sum(math.log(v) for v in pos) / len(pos)) if pos else None


def _trajectories(r: dict) -> list[dict]:
    """Normalise optional trajectory data to ``[{label, step, loss}]``.

    Read from ``trajectories`` (``[{width|label, step, loss}]`` or ``{label: {...}}``),
    ``extras.trajectories``, or measurement extras named ``loss@<step>`` in the
    examples that kept them (``extras`` per trial, or ``extras_mean``): one line per
    example point, the geometric mean over its trials.
    """
    raw = r.get("trajectories")
    if raw is None:
        raw = _get(r, "extras", "trajectories")
    out = []
    if isinstance(raw, dict):
        raw = [{"label": k, **(v if isinstance(v, dict) else {"loss": v})} for k, v in raw.items()]
    if isinstance(raw, list):
        for t in raw:
            if not isinstance(t, dict):
                continue
            loss = t.get("loss") or t.get("losses") or t.get("values")
            if not isinstance(loss, list) or not loss:
                continue
            step = t.get("step") or t.get("steps") or list(range(len(loss)))
            label = t.get("label")
            if label is None:
                w = t.get("width", t.get("m"))
                label = f"m = {_s(w)}" if w is not None else f"run {len(out) + 1}"
            out.append({"label": _s(label), "step": step, "loss": loss})
    if out:
        return out
    seen = set()
    for e in [r.get("counterexample"), r.get("worst_example")] + list(r.get("examples") or []):
        ex = _get(e, "extras")
        if not isinstance(ex, dict):
            ex = _get(e, "extras_mean")   # per-example means of the extras, if the engine kept them
        if not isinstance(ex, dict):
            continue
        pts = sorted((int(m.group(1)), _geomean(v)) for k, v in ex.items() for m in [_TRAJ_KEY.match(str(k))] if m)
        pts = [(t, y) for t, y in pts if y is not None]
        if len(pts) < 2:
            continue
        point = e.get("point") if isinstance(e.get("point"), dict) else {}
        key = json.dumps(point, sort_keys=True, default=str)
        if key in seen:
            continue
        seen.add(key)
        w = point.get("m", point.get("width"))
        out.append({"point": point, "step": [t for t, _ in pts],
                    "loss": [y for _, y in pts], "sort": _f(w) if _f(w) is not None else math.inf})
    # label each curve by the width and by whatever else differs between the curves
    keys = _uniq(k for t in out for k in t["point"])
    varies = [k for k in keys if len({json.dumps(t["point"].get(k), default=str) for t in out}) > 1]
    wkey = "m" if "m" in keys else ("width" if "width" in keys else None)
    show = ([wkey] if wkey else []) + [k for k in varies if k != wkey][:3]
    for t in out:
        p = t.pop("point")
        t["label"] = ", ".join(f"{k} = {_n(p[k]) if isinstance(p.get(k), (int, float)) else _s(p.get(k))}"
                               for k in show if k in p) or _point(p)
    out.sort(key=lambda t: t.get("sort", math.inf))
    return out


def _traj_plot(r: dict) -> dict | None:
    ts = _trajectories(r)
    if not ts:
        return None
    layers = [{"kind": "line", "x": t["step"], "y": t["loss"], "label": t["label"], "color": PALETTE[i % len(PALETTE)]}
              for i, t in enumerate(ts[:10])]
    svg = xy_plot(layers, xlabel="step", ylabel="loss (log)", xlog=False, ylog=True, title="Training loss",
                  aria="log loss versus step")
    if not svg:
        return None
    return {"svg": Markup(svg), "caption": "Loss vs step on a log scale (mean over the trials), one line per width and run setting (linear convergence is a straight line)."}


# ----------------------------------------------------------------------------- anytime decision


_MAX_EVIDENCE_CURVES = 5
_DECISION_COLORS = {"fail": "#cf222e", "pass": "#1a7f37", "inconclusive": "#9a6700"}
_DECISION_ORDER = ("fail", "inconclusive", "pass")


def _stop_counts(r: dict) -> list[tuple[str, int]]:
    """How many examples stopped with each decision (fail, inconclusive, pass, others)."""
    counts: dict[str, int] = {}
    for e in r.get("examples") or []:
        if isinstance(e, dict) and e.get("decision"):
            d = _s(e.get("decision"))
            counts[d] = counts.get(d, 0) + 1
    order = [d for d in _DECISION_ORDER if d in counts] + sorted(d for d in counts if d not in _DECISION_ORDER)
    return [(d, counts[d]) for d in order]


def _decision_rule(r: dict) -> str:
    """``"anytime"`` or ``"fixed"`` (results written before the anytime rule existed are fixed)."""
    d = _get(r, "stats", "decision") or _get(r, "profile", "decision")
    return "anytime" if d == "anytime" else "fixed"


def _int(x) -> int | None:
    v = _f(x)
    return int(round(v)) if v is not None else None


def _trials_used(r: dict) -> tuple[int | None, int | None]:
    """(trials used by the claim's examples, their budget): ``stats.trials_used`` /
    ``stats.trials_budget``, else ``total_trials`` / K × examples planned."""
    st = r.get("stats") if isinstance(r.get("stats"), dict) else {}
    used = _int(st.get("trials_used", st.get("total_trials")))
    budget = _int(st.get("trials_budget"))
    if budget is None:
        per, planned = _int(st.get("trials_per_example")), _int(st.get("examples_planned", st.get("examples_run")))
        if per is not None and planned is not None and _decision_rule(r) == "fixed":
            budget = per * planned
    return used, budget


def _pct(used, budget) -> str:
    return f"{math.floor(100.0 * used / budget + 0.5)}%" if used is not None and budget else DASH   # half up


def _trials_text(r: dict) -> str:
    """``"trials 96 / 256 (38%)"``: trials the examples used against their budget."""
    used, budget = _trials_used(r)
    if used is None:
        return DASH
    if budget is None:
        return f"trials {used}"
    return f"trials {used} / {budget} ({_pct(used, budget)})"


def _evidence(r: dict) -> dict:
    """The anytime rule's evidence of a claim: ``{"plot": figure or None, "note": text}``.

    One curve per example trajectory (``examples[i].trajectory``: ``trials, violations, log_e,
    cs_upper`` after each batch), starting at 0 trials where the e-value is 1 and the confidence
    sequence is [0, 1]. Examples with the same counts after every batch have the same curve and
    share one; at most ``_MAX_EVIDENCE_CURVES`` curves are drawn: the nearest one of every
    decision seen, then those nearest to a fail (fails first, then the largest e-value)."""
    if _decision_rule(r) != "anytime":
        return {"plot": None, "note": "fixed-budget test: no trajectory"}
    st = r.get("stats") if isinstance(r.get("stats"), dict) else {}
    prof = r.get("profile") if isinstance(r.get("profile"), dict) else {}
    exs = [e for e in (r.get("examples") or []) if isinstance(e, dict)]
    groups: dict = {}
    for i, e in enumerate(exs):
        tr = [t for t in (e.get("trajectory") or []) if isinstance(t, dict) and _f(t.get("trials")) is not None
              and _num(t.get("log_e"), allow_inf=True) is not None]
        if not tr:
            continue
        key = json.dumps([[t.get("trials"), t.get("violations"), str(t.get("log_e"))] for t in tr], default=str)
        groups.setdefault(key, {"tr": tr, "idx": [], "decision": e.get("decision")})["idx"].append(i + 1)
    if not groups:
        return {"plot": None, "note": "anytime rule: no example trajectory recorded"
                + (" (no example ran)" if not exs else "")}

    def peak(g):
        vals = [v for v in (_num(t.get("log_e"), allow_inf=True) for t in g["tr"]) if v is not None]
        return max(vals) if vals else -math.inf

    ranked = sorted(groups.values(), key=lambda g: (g["decision"] == "fail", peak(g)), reverse=True)
    # the curves nearest to a fail, and at least the nearest one of every decision seen
    firsts = list({_s(g["decision"]): g for g in reversed(ranked)}.values())
    shown = [g for g in ranked if any(g is f for f in firsts)][:_MAX_EVIDENCE_CURVES]
    shown += [g for g in ranked if not any(g is f for f in shown)][:_MAX_EVIDENCE_CURVES - len(shown)]
    shown.sort(key=lambda g: (g["decision"] == "fail", peak(g)))   # the nearest to a fail drawn last, on top
    n_ex = sum(len(g["idx"]) for g in groups.values())
    n_shown = sum(len(g["idx"]) for g in shown)
    series = []
    for g in shown:
        tr, idx, dec = g["tr"], g["idx"], _s(g["decision"])
        last = tr[-1]
        names = ", ".join(f"#{i}" for i in idx[:4]) + (f" +{len(idx) - 4}" if len(idx) > 4 else "")
        series.append({
            "trials": [0] + [t.get("trials") for t in tr],
            "log_e": [0.0] + [t.get("log_e") for t in tr],
            "cs_upper": [1.0] + [t.get("cs_upper") for t in tr],
            "color": _DECISION_COLORS.get(dec, "#57606a"),
            "title": (f"{names}: {dec} at {_s(last.get('trials'))} trials, {_s(last.get('violations'))} "
                      f"violation{'' if last.get('violations') == 1 else 's'}, log e {_n(last.get('log_e'), 3)}, "
                      f"CS upper {_n(last.get('cs_upper'), 3)}")})
    decs = _uniq(_s(g["decision"]) for g in shown)
    legend = [(_DECISION_COLORS.get(d, "#57606a"), d)
              for d in [d for d in _DECISION_ORDER if d in decs] + [d for d in decs if d not in _DECISION_ORDER]]
    a_ex = _f(st.get("alpha_per_test"))
    thr = math.log(1.0 / a_ex) if a_ex and 0 < a_ex < 1 else None
    p_det = st.get("max_detectable_rate", prof.get("max_detectable_rate"))
    p0 = st.get("failure_prob", _get(r, "claim", "failure_prob"))
    budget = _f(st.get("trials_budget_per_example")) or _f(prof.get("max_trials"))
    batch = _int(prof.get("batch"))
    drawn = f"{n_shown} of {n_ex} examples" if n_shown < n_ex else (f"all {n_ex} examples" if n_ex > 1 else "1 example")
    svg = evidence_plot(series, threshold=thr, p_det=_f(p_det), p0=_f(p0), budget=budget, legend=legend,
                        title=f"Anytime evidence: {drawn}",
                        xlabel="trials used by the example" + (f" (budget {_n(budget)})" if budget else ""),
                        aria="log e-value and confidence bound vs trials")
    if not svg:
        return {"plot": None, "note": "anytime rule: no finite trajectory recorded"}
    k = len(shown)
    which = f"{k} curve{'s' if k != 1 else ''} for {drawn}"
    if n_shown < n_ex:
        which += " (those nearest to a fail, one per decision at least)"
    elif k < n_ex:
        which += " (same counts, same curve)"
    cap = (f"Per example, batches of {batch if batch else DASH}: log e-value from 0 before any trial, fail at the "
           f"dashed red line; upper end of the {_n(st.get('power_target', prof.get('power_target')))} confidence "
           f"sequence for the violation rate, pass below p_det. Dot: where it stopped. {which}.")
    return {"plot": {"svg": Markup(svg), "caption": cap}, "note": ""}


def _counterexample(r: dict) -> dict | None:
    ce = r.get("counterexample")
    if not isinstance(ce, dict):
        return None
    values = [v for v in (_f(x) for x in (ce.get("values") or [])) if v is not None]
    bu, bl = ce.get("bound_upper"), ce.get("bound_lower")
    kind = _get(r, "claim", "bound", "kind", default="upper")
    if values:
        if kind == "lower":
            meas = f"min measured {_n(min(values))} vs lower bound {_n(bl)}"
        elif kind == "two-sided":
            meas = (f"measured in [{_n(min(values))}, {_n(max(values))}] vs allowed "
                    f"[{_n(bl)}, {_n(bu)}]")
        else:
            meas = f"max measured {_n(max(values))} vs bound {_n(bu)}"
    else:
        meas = f"bound {_n(bu if bu is not None else bl)}"
    return {"point": _point(ce.get("point")), "seed": _s(ce.get("seed")), "trials": _s(ce.get("trials")),
            "violations": _s(ce.get("violations")), "p": _n(ce.get("p_value"), 3), "measured": meas,
            "max_ratio": _n(ce.get("max_ratio")), "min_ratio": _n(ce.get("min_ratio")),
            "reproduce": ce.get("reproduce") or "", "reproduce_python": ce.get("reproduce_python") or ""}


def _regime(r: dict) -> list[dict]:
    limits = _get(r, "profile", "limits", default={})
    out = []
    for p in _get(r, "claim", "regime", default=[]) or []:
        if not isinstance(p, dict):
            continue
        if p.get("type") == "choice":
            rng = "{" + ", ".join(_s(o) for o in (p.get("options") or [])) + "}"
        else:
            rng = f"[{_n(p.get('low'))}, {_n(p.get('high'))}]" + (" (log-uniform)" if p.get("log") else "")
        note = ""
        lim = p.get("limit")
        if lim:
            cap = limits.get(lim) if isinstance(limits, dict) else None
            hi = _f(p.get("high"))
            if cap is not None and hi is not None and _f(cap) is not None and _f(cap) < hi:
                note = f"capped at {_n(cap)} by the profile's {lim} limit"
            else:
                note = f"profile limit: {lim}"
        out.append({"name": _s(p.get("name")), "range": rng, "note": note})
    return out


def _claim_view(r: dict, idx: int) -> dict:
    c = r.get("claim") if isinstance(r.get("claim"), dict) else {}
    st = r.get("stats") if isinstance(r.get("stats"), dict) else {}
    cid = _s(r.get("claim_id") or c.get("id") or f"(claim {idx + 1})")
    verdict = _verdict(r)
    vclass = verdict if verdict in VERDICTS else "unknown"
    stmt_tex = c.get("statement_tex") or r.get("statement_tex")
    stmt_html, _ok = tex_to_html(stmt_tex)
    b = c.get("bound") if isinstance(c.get("bound"), dict) else {}
    shape_html = Markup(tex_to_html(b["shape_tex"], display=False)[0]) if b.get("shape_tex") else ""
    bkind = b.get("kind") or DASH
    if bkind == "two-sided":
        bdesc = f"{_n(b.get('lower_constant'))} × shape ≤ measured ≤ {_n(b.get('constant'))} × shape"
    elif bkind == "lower":
        bdesc = f"measured ≥ {_n(b.get('constant'))} × shape"
    elif bkind == "upper":
        bdesc = f"measured ≤ {_n(b.get('constant'))} × shape"
    else:
        bdesc = DASH
    trials = st.get("total_trials")
    viol = st.get("total_violations")
    lvl = _f(st.get("ci_level"))
    exps = _exponents(r)
    plots = []
    for k, s in enumerate(r.get("scalings") or []):
        if isinstance(s, dict):
            p = _scaling_plot(r, s, f"Sweep {k + 1}")
            if p:
                plots.append(p)
            try:
                p = _exponent_trajectory_plot(s, f"Sweep {k + 1}")
            except Exception:  # an optional field: never break the page
                p = None
            if p:
                plots.append(p)
            plots.extend(_limit_plots(s, f"Sweep {k + 1}"))
    for fn in (_strip, _adv_plot, _traj_plot):
        try:
            p = fn(r)
        except Exception:  # a malformed optional field must not break the page
            p = None
        if p:
            plots.append(p)
    decision = _decision_rule(r)
    try:
        evidence = _evidence(r)
    except Exception:  # a malformed optional field must not break the page
        evidence = {"plot": None, "note": "anytime rule: the recorded trajectories could not be drawn"}
    if evidence["plot"]:
        plots.insert(0, evidence["plot"])
    used, budget = _trials_used(r)
    we = r.get("worst_example") if isinstance(r.get("worst_example"), dict) else None
    ce = r.get("counterexample")
    worst = None
    if we and not (isinstance(ce, dict) and we.get("point") == ce.get("point") and we.get("seed") == ce.get("seed")):
        worst = {"point": _point(we.get("point")), "seed": _s(we.get("seed")), "violations": _s(we.get("violations")),
                 "trials": _s(we.get("trials")), "max_ratio": _n(we.get("max_ratio")), "min_ratio": _n(we.get("min_ratio"))}
    examples = []
    for e in r.get("examples") or []:
        if isinstance(e, dict):
            sig = "yes" if e.get("significant") else "no"
            if decision == "anytime" and e.get("decision"):
                sig = _s(e.get("decision"))   # where the anytime rule stopped (fail = significant)
            examples.append({"point": _point(e.get("point")), "seed": _s(e.get("seed")),
                             "violations": _s(e.get("violations")), "trials": _s(e.get("trials")),
                             "p": _n(e.get("p_value"), 3), "max_ratio": _n(e.get("max_ratio")),
                             "min_ratio": _n(e.get("min_ratio")), "significant": sig})
    power = st.get("power")
    power_txt = (f"would detect a violation rate ≥ {_n(power, 3)} with probability ≥ {_n(st.get('power_target'))}"
                 if _f(power) is not None else DASH)
    if _f(power) is not None and _f(st.get("fail_power")) is not None:   # anytime: pass ruled out, and fail?
        power_txt += (f"; an example at that rate fails within its budget with probability "
                      f"{_n(st.get('fail_power'), 3)}")
    findings = r.get("findings") if isinstance(r.get("findings"), list) else ([r["findings"]] if r.get("findings") else [])
    prof = r.get("profile")
    prof_name = prof.get("name") if isinstance(prof, dict) else prof
    tight = st.get("tightness", r.get("tightness"))
    return {
        "anchor": f"claim-{idx + 1}", "id": cid, "title": _s(r.get("title") or c.get("title")),
        "verdict": verdict, "verdict_class": vclass,
        "verdict_rank": {"fail": 0, "error": 1, "inconclusive": 2, "pass": 3}.get(verdict, 4),
        "paper": _s(c.get("paper")), "paper_key": _s(c.get("paper_key") or c.get("paper")),
        "ref": _s(c.get("ref")), "source_note": c.get("source_note") or "",
        "family": _s(c.get("family") or r.get("family")), "kind": _s(c.get("kind")),
        "quantifier": _s(c.get("quantifier")), "adversary": c.get("adversary") or "",
        "statement_html": Markup(stmt_html), "statement_tex": stmt_tex or "",
        "bound_kind": _s(bkind), "bound_desc": bdesc, "shape_html": shape_html,
        "provenance": _s(b.get("provenance")), "failure_prob": _n(c.get("failure_prob", st.get("failure_prob"))),
        "regime": _regime(r),
        "message": _s(r.get("message")), "decision_rule": r.get("decision_rule") or "",
        "findings": [_s(f) for f in findings], "error": r.get("error") or "",
        "notes": c.get("notes") or r.get("notes") or "",
        "trials": _s(trials), "trials_sort": _sort_key(trials),
        "violations": _s(viol), "viol_sort": _sort_key(st.get("violation_rate")),
        "rate": _n(st.get("violation_rate"), 3),
        "rate_ci": (f"{_ci(st.get('violation_rate_ci'))}" if st.get("violation_rate_ci") else DASH),
        "rate_ci_long": (f"{'%.4g%% ' % (100 * lvl) if lvl else ''}Clopper–Pearson CI {_ci(st.get('violation_rate_ci'))}"
                         f" (allowed {_n(c.get('failure_prob', st.get('failure_prob')))})"),
        "tightness": _n(tight), "tight_sort": _sort_key(tight),
        "power": power_txt, "alpha": _n(st.get("alpha")), "alpha_ex": _n(st.get("alpha_per_test"), 3),
        "n_tests": _s(st.get("n_tests")), "crit": _s(st.get("critical_count")),
        "examples_run": _s(st.get("examples_run")), "trials_per_example": _s(st.get("trials_per_example")),
        "exponents": exps, "time": _duration(r.get("wall_time_s")), "time_sort": _sort_key(r.get("wall_time_s")),
        "decision": decision, "trials_used": _trials_text(r), "evidence_note": evidence["note"],
        "fail_at": (f"fail when the log e-value ≥ log(1/α_ex) = {_n(math.log(1 / _f(st.get('alpha_per_test'))), 3)}"
                    if decision == "anytime" and (_f(st.get("alpha_per_test")) or 0) > 0 else ""),
        "budget_sub": (f"of {budget} ({_pct(used, budget)})" if decision == "anytime" and used is not None and budget
                       else ""),
        "anytime_rule": (f"batches of {_s(_get(r, 'profile', 'batch'))}, at most "
                         f"{_s(st.get('trials_budget_per_example', _get(r, 'profile', 'max_trials')))} trials per example"
                         if decision == "anytime" else ""),
        "stopped": (", ".join(f"{n} {d}" for d, n in _stop_counts(r)) if decision == "anytime" else ""),
        "seed": _s(r.get("seed")), "device": _s(r.get("device")), "dtype": _s(r.get("dtype")),
        "profile": _s(prof_name), "started": r.get("started") or "",
        "plots": plots, "cex": _counterexample(r), "worst": worst, "examples": examples,
        "scal_msgs": [_scal_msg(s) for s in (r.get("scalings") or []) if isinstance(s, dict)],
    }


# ----------------------------------------------------------------------------- header


def _commit(doc: dict, path: str | None, git_commit: str | None) -> str:
    if git_commit:
        return git_commit
    for keys in (("git_commit",), ("commit",), ("git", "commit"), ("run", "git_commit"), ("run", "commit")):
        v = _get(doc, *keys)
        if isinstance(v, str) and v:
            return v
    for r in doc.get("results") or []:
        v = _get(r, "versions", "git_commit") or _get(r, "versions", "commit")
        if isinstance(v, str) and v:
            return v
    if path:
        h = _git_commit_at(path)
        if h:
            return f"{h} (at render time)"
    return DASH


def _missing(doc: dict) -> list[str]:
    """Claims the run planned (``run.planned``) that have no result in the file."""
    planned = _get(doc, "run", "planned")
    if not isinstance(planned, list):
        return []
    have = {_s(r.get("claim_id") or _get(r, "claim", "id")) for r in doc.get("results") or [] if isinstance(r, dict)}
    return [_s(p) for p in planned if _s(p) not in have]


def _suite_line(doc: dict) -> str:
    """The run's suite-level contract (``run.contract``, written by ovpcheck run / the pytest plugin)."""
    from ._sequential import contract_line

    c = _get(doc, "run", "contract")
    return contract_line(c) if isinstance(c, dict) else ""


def _trials_mean(rs: list[dict]) -> str:
    """Mean trials used per claim. Under the anytime rule also the share of the budget used
    (the point of stopping early); claims without recorded trials are left out."""
    anytime = [r for r in rs if _decision_rule(r) == "anytime"]
    pool = anytime or rs
    used = [(u, b) for u, b in (_trials_used(r) for r in pool) if u is not None]
    if not used:
        return DASH
    mean = sum(u for u, _ in used) / len(used)
    txt = f"mean {_n(round(mean, 1))} per claim"
    if not anytime:
        return txt + f" over {len(used)} claim{'s' if len(used) != 1 else ''} (fixed budget)"
    both = [(u, b) for u, b in used if b]
    txt += f" over {len(used)} anytime claim{'s' if len(used) != 1 else ''}"
    if both:
        tu, tb = sum(u for u, _ in both), sum(b for _, b in both)
        txt += (f" (mean budget {_n(round(tb / len(both), 1))}; {tu} of {tb} budgeted trials used, "
                f"{_pct(tu, tb)})")
    return txt


def _header(doc: dict, path: str | None, git_commit: str | None) -> dict:
    rs = doc.get("results") or []
    counts = {v: 0 for v in VERDICTS}
    for r in rs:
        v = _verdict(r)
        counts[v] = counts.get(v, 0) + 1
    versions: dict[str, list] = {}
    for r in rs:
        for k, v in (r.get("versions") or {}).items() if isinstance(r.get("versions"), dict) else ():
            versions.setdefault(str(k), [])
            if v not in versions[str(k)]:
                versions[str(k)].append(v)
    stats = [r.get("stats") for r in rs if isinstance(r.get("stats"), dict)]
    profs = [r.get("profile") for r in rs if isinstance(r.get("profile"), dict)]
    prof_names = _uniq([p.get("name") for p in profs])
    profile = _s(doc.get("profile"))
    if prof_names and [profile] != prof_names:
        profile += f" (per claim: {', '.join(_s(p) for p in prof_names)})"
    prof_detail = next(iter(profs), None)
    if prof_detail:
        per = (f"≤ {_s(prof_detail.get('max_trials'))} trials (anytime, batches of {_s(prof_detail.get('batch'))})"
               if prof_detail.get("decision") == "anytime" and prof_detail.get("max_trials") else
               f"{_s(prof_detail.get('trials'))} trials")
        profile += (f" — {_s(prof_detail.get('max_examples'))} examples × {per}, "
                    f"limits {_s(prof_detail.get('limits'))}")

    def uvals(key, src):
        return _join([s.get(key) for s in src]) if src else DASH

    n_tests = [s.get("n_tests") for s in stats if isinstance(s.get("n_tests"), int)]
    alpha_ex = [_f(s.get("alpha_per_test")) for s in stats if _f(s.get("alpha_per_test")) is not None]
    alphas = _uniq([s.get("alpha") for s in stats] + [p.get("alpha") for p in profs])
    wall = sum(_f(r.get("wall_time_s")) or 0.0 for r in rs)
    return {
        "trials_mean": _trials_mean(rs),
        "source_name": os.path.basename(path) if path else DASH,
        "created": _s(doc.get("created")),
        "rendered": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "complete": doc.get("complete", True) is not False,
        "missing": _missing(doc),
        "counts": counts, "total": len(rs),
        "profile": profile,
        "seeds": _join([r.get("seed") for r in rs]),
        "devices": _join([r.get("device") for r in rs]),
        "dtypes": _join([r.get("dtype") for r in rs]),
        "versions": [(k, ", ".join(_s(x) for x in v)) for k, v in versions.items()],
        "commit": _commit(doc, path, git_commit),
        "wall": (_duration(wall) + f" (sum over {len(rs)} claims)") if rs else DASH,
        "alpha": ", ".join(_n(a) for a in alphas) if alphas else DASH,
        "alpha_ex": (f"{_n(min(alpha_ex), 3)} … {_n(max(alpha_ex), 3)}" if alpha_ex and min(alpha_ex) != max(alpha_ex)
                     else (_n(alpha_ex[0], 3) if alpha_ex else DASH)),
        "n_tests": (f"{min(n_tests)} … {max(n_tests)}" if n_tests and min(n_tests) != max(n_tests)
                    else (str(n_tests[0]) if n_tests else DASH)),
        "power_target": uvals("power_target", stats) if stats else uvals("power_target", profs),
        "max_detectable": uvals("max_detectable_rate", stats) if stats else uvals("max_detectable_rate", profs),
        "ci_level": uvals("ci_level", stats),
        "suite": _suite_line(doc),
        "decisions": _join([st.get("decision") or "fixed" for st in stats]) if stats else DASH,
        "papers": sorted(_uniq(_s(_get(r, "claim", "paper_key") or _get(r, "claim", "paper")) for r in rs)),
        "families": sorted(_uniq(_s(_get(r, "claim", "family") or r.get("family")) for r in rs)),
    }


# ----------------------------------------------------------------------------- public API


def _add_history(claims: list[dict], doc: dict, history, factor: float) -> int:
    """Per claim view: ``spark`` (tightness over the saved runs, this one last),
    ``shrink`` / ``shrink_flag`` (margin shrink against the previous run, see
    ``claims._history.margin``). ``history``: a storage folder or SavedRuns. Returns
    the number of runs shown."""
    from . import _history as H

    runs = list(H.load_history(history) if isinstance(history, (str, os.PathLike)) else history)
    cur = H.doc_to_run(doc)
    started = lambda run: {k: _get(v, "started") for k, v in run.results.items()}  # noqa: E731
    if not (runs and runs[-1].created == cur.created and started(runs[-1]) == started(cur)):
        runs.append(cur)   # the run shown, unless it is already the latest saved one
    for c in claims:
        s = H.claim_series(runs, c["id"], factor)
        pts = s["points"]
        c["shrink_flag"] = bool(s["flag"])
        c["shrink"] = (f"margin shrank ×{_n(s['shrink'], 3)} (more than ×{_n(factor)}) since the previous run"
                       if s["flag"] else "")
        c["spark"] = ""
        if len(pts) >= 2:
            tl = ", ".join(_n(t, 3) for t in s["tightness"])
            c["spark"] = Markup(sparkline(s["tightness"], last_color="#cf222e" if s["flag"] else "#08306b",
                                          title=f"tightness over {len(pts)} runs (oldest first): {tl}",
                                          aria="tightness over runs"))
            c["hist_text"] = (f"{len(pts)} runs: tightness {_n(pts[0]['tightness'], 3)} → {_n(pts[-1]['tightness'], 3)},"
                              f" margin {_n(pts[0]['margin'], 3)} → {_n(pts[-1]['margin'], 3)}")
    return len(runs)


def build_html(doc: dict, *, source_path: str | None = None, git_commit: str | None = None,
               history=None, margin_shrink: float | None = None, calibration_href: str | None = None) -> str:
    """The report page for a results document (as read by :func:`load_results`).

    ``history``: a run-history folder (``.claims``) or a list of
    ``claims._history.SavedRun``: adds a tightness sparkline per claim and flags a
    margin that shrank by more than ``margin_shrink`` (default 1.5) since the
    previous run. ``calibration_href``: link the calibration page from the header.
    """
    from ._history import DEFAULT_MARGIN_SHRINK

    factor = DEFAULT_MARGIN_SHRINK if margin_shrink is None else margin_shrink
    if not (_f(factor) and factor > 1):
        raise ValueError(f"margin_shrink must be a number > 1, got {margin_shrink!r}")
    rs = [r for r in (doc.get("results") or []) if isinstance(r, dict)]
    doc = dict(doc, results=rs)
    header = _header(doc, source_path, git_commit)
    header["calibration_href"] = calibration_href or ""
    claims = [_claim_view(r, i) for i, r in enumerate(rs)]
    n_runs = _add_history(claims, doc, history, factor) if history is not None else 0
    header["history_runs"] = n_runs
    header["n_shrank"] = sum(bool(c.get("shrink_flag")) for c in claims)
    header["margin_shrink"] = _n(factor)
    tmpl = _env().from_string(_T.REPORT)
    return tmpl.render(h=header, claims=claims, verdicts=VERDICTS, css=Markup(_T.CSS), js=Markup(_T.JS))


def render_html(results_json_path: str | os.PathLike, html_path: str | os.PathLike, *,
                git_commit: str | None = None, history=None, margin_shrink: float | None = None) -> str:
    """Render the results file at ``results_json_path`` into one self-contained HTML
    file at ``html_path`` (written atomically; parent folders created). Returns the path.

    ``git_commit``: record this commit; by default the one in the JSON, else
    ``git rev-parse HEAD`` in the JSON's folder (failure tolerated: "—").
    ``history`` / ``margin_shrink``: see :func:`build_html`. A ``calibration.html``
    beside ``html_path`` (``ovpcheck calibrate``) is linked from the header.
    """
    src = os.fspath(results_json_path)
    doc = load_results(src)
    out_dir = os.path.dirname(os.path.abspath(os.fspath(html_path)))
    cal = os.path.join(out_dir, "calibration.html")
    cal_href = "calibration.html" if (os.path.isfile(cal) and os.path.abspath(os.fspath(html_path)) != cal) else None
    page = build_html(doc, source_path=src, git_commit=git_commit, history=history, margin_shrink=margin_shrink,
                      calibration_href=cal_href)
    return _write(html_path, page)


def _write(path, text: str) -> str:
    path = os.fspath(path)
    d = os.path.dirname(os.path.abspath(path))
    os.makedirs(d, exist_ok=True)
    tmp = os.path.join(d, f".{os.path.basename(path)}.tmp{os.getpid()}")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)
    return path


def _exp_map(r: dict) -> dict:
    out = {}
    for s in _exponents(r):
        out.setdefault(s["param"], s)
    return out


def compare_results(old: dict, new: dict, tightness_factor: float = DEFAULT_TIGHTNESS_FACTOR) -> dict:
    """What changed between two results documents.

    Returns ``{"verdict": [...], "tightness": [...], "exponents": [...], "added": [...],
    "removed": [...], "unchanged": n}``. A verdict change to fail/error is a
    regression; tightness moved when new/old (or old/new) exceeds
    ``tightness_factor``; an exponent moved when its old and new CIs are disjoint.
    """
    if not (_f(tightness_factor) and tightness_factor > 1):
        raise ValueError(f"tightness_factor must be a number > 1, got {tightness_factor!r}")

    def by_id(doc):
        out = {}
        for r in doc.get("results") or []:
            if isinstance(r, dict):
                out.setdefault(_s(r.get("claim_id") or _get(r, "claim", "id")), r)
        return out

    o, n = by_id(old), by_id(new)
    verdict, tight, expo, added, removed = [], [], [], [], []
    unchanged = 0
    for cid in sorted(set(o) | set(n)):
        if cid not in o:
            added.append({"id": cid, "verdict": _verdict(n[cid])})
            continue
        if cid not in n:
            removed.append({"id": cid, "verdict": _verdict(o[cid])})
            continue
        a, b = o[cid], n[cid]
        moved = False
        va, vb = _verdict(a), _verdict(b)
        if va != vb:
            moved = True
            verdict.append({"id": cid, "old": va, "new": vb, "regression": vb in ("fail", "error"),
                            "improvement": vb == "pass", "paper": _s(_get(b, "claim", "paper_key")),
                            "ref": _s(_get(b, "claim", "ref")), "message": _s(b.get("message"))})
        ta, tb = _f(_get(a, "stats", "tightness")), _f(_get(b, "stats", "tightness"))
        if ta and tb and ta > 0 and tb > 0 and max(tb / ta, ta / tb) > tightness_factor:
            moved = True
            tight.append({"id": cid, "old": ta, "new": tb, "ratio": tb / ta})
        ea, eb = _exp_map(a), _exp_map(b)
        for p in sorted(set(ea) & set(eb)):
            ca, cb = ea[p].get("ci"), eb[p].get("ci")
            if not (isinstance(ca, list) and isinstance(cb, list) and len(ca) == len(cb) == 2):
                continue
            lo_a, hi_a, lo_b, hi_b = map(_f, (ca[0], ca[1], cb[0], cb[1]))
            if None in (lo_a, hi_a, lo_b, hi_b):
                continue
            if hi_a < lo_b or hi_b < lo_a:
                moved = True
                expo.append({"id": cid, "param": p, "claimed": eb[p].get("claimed"),
                             "old_slope": ea[p].get("slope"), "old_ci": ca,
                             "new_slope": eb[p].get("slope"), "new_ci": cb})
        if not moved:
            unchanged += 1
    return {"verdict": verdict, "tightness": tight, "exponents": expo, "added": added, "removed": removed,
            "unchanged": unchanged, "tightness_factor": tightness_factor}


def build_comparison(old: dict, new: dict, *, tightness_factor: float = DEFAULT_TIGHTNESS_FACTOR,
                     old_name: str = "old", new_name: str = "new") -> str:
    """The comparison page for two results documents."""
    cmp = compare_results(old, new, tightness_factor)

    def cls(v):
        return v if v in VERDICTS else "unknown"

    d = {
        "old_name": old_name, "new_name": new_name,
        "old_created": _s(old.get("created")), "new_created": _s(new.get("created")),
        "old_profile": _s(old.get("profile")), "new_profile": _s(new.get("profile")),
        "old_commit": _commit(old, None, None), "new_commit": _commit(new, None, None),
        "factor": _n(tightness_factor),
        "verdict": [dict(r, old_class=cls(r["old"]), new_class=cls(r["new"])) for r in
                    sorted(cmp["verdict"], key=lambda r: (not r["regression"], r["id"]))],
        "tight": [{"id": r["id"], "old": _n(r["old"]), "new": _n(r["new"]), "ratio": "×" + _n(r["ratio"], 3),
                   "ratio_sort": _sort_key(r["ratio"])} for r in cmp["tightness"]],
        "expo": [{"id": r["id"], "param": r["param"], "claimed": _n(r["claimed"]),
                  "old": f"{_n(r['old_slope'], 3)} {_ci(r['old_ci'])}", "new": f"{_n(r['new_slope'], 3)} {_ci(r['new_ci'])}"}
                 for r in cmp["exponents"]],
        "added": [dict(r, cls=cls(r["verdict"])) for r in cmp["added"]],
        "removed": [dict(r, cls=cls(r["verdict"])) for r in cmp["removed"]],
        "unchanged": cmp["unchanged"],
        "n_verdict": len(cmp["verdict"]),
        "n_regress": sum(r["regression"] for r in cmp["verdict"]),
    }
    return _env().from_string(_T.COMPARE).render(d=d, css=Markup(_T.CSS), js=Markup(_T.JS))


def render_comparison(old_json_path: str | os.PathLike, new_json_path: str | os.PathLike,
                      html_path: str | os.PathLike, *, tightness_factor: float = DEFAULT_TIGHTNESS_FACTOR) -> str:
    """Write the comparison page of two results files to ``html_path``; returns the path."""
    old, new = load_results(old_json_path), load_results(new_json_path)
    page = build_comparison(old, new, tightness_factor=tightness_factor,
                            old_name=os.path.basename(os.fspath(old_json_path)),
                            new_name=os.path.basename(os.fspath(new_json_path)))
    return _write(html_path, page)


def main(argv: list[str] | None = None) -> int:
    """``python -m claims.report render RESULTS.json [-o OUT.html]`` or
    ``python -m claims.report compare OLD.json NEW.json [-o OUT.html] [--factor F]``."""
    ap = argparse.ArgumentParser(prog="python -m claims.report", description="Render claim reports.")
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("render", help="render a results JSON file as one self-contained HTML page")
    p.add_argument("results")
    p.add_argument("-o", "--output", default=None, help="HTML path (default: the JSON path with .html)")
    p.add_argument("--history", default=None, metavar="DIR",
                   help="run-history folder (e.g. .claims, from --autosave): tightness sparklines and margin flags")
    p.add_argument("--margin-shrink", type=float, default=None, metavar="F",
                   help="with --history: flag a claim whose margin shrank by more than F since the previous run "
                        "(default 1.5)")
    p = sub.add_parser("compare", help="compare two results files (regressions, moved tightness/exponents)")
    p.add_argument("old")
    p.add_argument("new")
    p.add_argument("-o", "--output", default=None, help="HTML path (default: reports/compare.html)")
    p.add_argument("--factor", type=float, default=DEFAULT_TIGHTNESS_FACTOR,
                   help=f"tightness change factor that counts as significant (default {DEFAULT_TIGHTNESS_FACTOR})")
    args = ap.parse_args(argv)
    try:
        if args.cmd == "render":
            out = args.output or os.path.splitext(args.results)[0] + ".html"
            if args.margin_shrink is not None and not args.margin_shrink > 1:
                raise ValueError(f"--margin-shrink must be > 1, got {args.margin_shrink}")
            import warnings

            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                render_html(args.results, out, history=args.history, margin_shrink=args.margin_shrink)
            for w in caught:   # e.g. a bad file in the run history: skipped, named
                print(f"claims.report render: warning: {w.message}", file=sys.stderr)
        else:
            out = args.output or os.path.join("reports", "compare.html")
            render_comparison(args.old, args.new, out, tightness_factor=args.factor)
    except (OSError, ValueError) as exc:
        print(f"claims.report {args.cmd}: error: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
