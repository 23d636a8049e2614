"""Tiny inline-SVG plotting helpers for the HTML report (no matplotlib, no scripts).

Every function returns an ``<svg>`` string; every piece of text in it (labels,
legends, tick labels) is HTML-escaped, so it is safe to insert verbatim.
Non-finite values and, on log axes, non-positive values are dropped silently.
"""

from __future__ import annotations

import html
import itertools
import math
from typing import Iterable, Sequence

__all__ = ["xy_plot", "strip_plot", "sparkline", "evidence_plot", "fmt_num", "PALETTE"]

_CLIP_IDS = itertools.count(1)

PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf",
           "#7f7f7f", "#bcbd22")


def _e(s) -> str:
    return html.escape(str(s), quote=True)


def _num(x, allow_inf: bool = False):
    """``x`` as a finite float (``allow_inf``: or +-inf), or None; strings are parsed, bools refused."""
    if isinstance(x, bool) or x is None:
        return None
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    if math.isnan(v) or (math.isinf(v) and not allow_inf):
        return None
    return v


def fmt_num(x, digits: int = 3) -> str:
    """A short number: ``0.0123``, ``1.2e+04``, ``512``."""
    v = _num(x)
    if v is None:
        return "—"
    if v == 0:
        return "0"
    if v == int(v) and abs(v) < 1e6:
        return str(int(v))
    a = abs(v)
    if 1e-3 <= a < 1e5:
        return f"{v:.{digits}g}"
    return f"{v:.{max(1, digits - 1)}e}".replace("e-0", "e-").replace("e+0", "e")


class _Axis:
    def __init__(self, lo: float, hi: float, log: bool, p0: float, p1: float):
        self.log = log
        if log:
            lo, hi = math.log10(lo), math.log10(hi)
        if hi - lo < 1e-12:
            pad = 0.5 if log else (abs(lo) * 0.1 or 1.0)
            lo, hi = lo - pad, hi + pad
        else:
            pad = 0.06 * (hi - lo)
            lo, hi = lo - pad, hi + pad
        self.lo, self.hi, self.p0, self.p1 = lo, hi, p0, p1

    def __call__(self, v: float) -> float:
        t = math.log10(v) if self.log else v
        return self.p0 + (t - self.lo) / (self.hi - self.lo) * (self.p1 - self.p0)

    def ticks(self) -> list[float]:
        lo, hi = self.lo, self.hi
        if self.log:
            a, b = math.floor(lo), math.ceil(hi)
            decades = [10.0 ** k for k in range(a, b + 1) if lo <= k <= hi]
            if len(decades) >= 3:
                step = max(1, math.ceil(len(decades) / 7))
                return decades[::step]
            for mults in ((1, 2, 5), (1, 1.5, 2, 3, 5, 7)):
                out = []
                for k in range(a - 1, b + 1):
                    for m in mults:
                        t = math.log10(m) + k
                        if lo <= t <= hi:
                            out.append(m * 10.0 ** k)
                if len(out) >= 3:
                    return out
            # a very narrow range: nice linear ticks inside it
            lin = _Axis.__new__(_Axis)
            lin.log, lin.lo, lin.hi = False, 10 ** lo, 10 ** hi
            return [t for t in lin.ticks() if t > 0]
        span = hi - lo
        raw = span / 5
        mag = 10 ** math.floor(math.log10(raw))
        step = min((m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw), default=raw)
        start = math.ceil(lo / step) * step
        out, v = [], start
        while v <= hi + 1e-9 * step and len(out) < 20:
            out.append(0.0 if abs(v) < 1e-12 * step else v)
            v += step
        return out


_DENSE = 24


def _dots(pts, color: str, r: float, opacity: float = 0.75) -> str:
    """Many dots as one ``<path>`` of zero-length round-capped segments (a tenth of
    the bytes of one ``<circle>`` per dot)."""
    if not pts:
        return ""
    # whole pixels, duplicates dropped (invisible under a 4-5 px dot), and a column of
    # dots at one x written as relative moves
    px = sorted({(int(round(x)), int(round(y))) for x, y in pts})
    parts, last = [], None
    for x, y in px:
        if last is not None and last[0] == x:
            parts.append(f"m0 {y - last[1]}h0")
        else:
            parts.append(f"M{x} {y}h0")
        last = (x, y)
    d = "".join(parts)
    return (f'<path d="{d}" fill="none" stroke="{color}" stroke-width="{2 * r:g}" stroke-linecap="round" '
            f'stroke-opacity="{opacity:g}"/>')


def _grid(xs, ys, x0, x1, y0, y1) -> str:
    """Vertical lines at ``xs`` and horizontal ones at ``ys`` as one path."""
    d = "".join(f"M{x:.1f} {y0}V{y1}" for x in xs) + "".join(f"M{x0} {y:.1f}H{x1}" for y in ys)
    return f'<path class="grid" d="{d}"/>' if d else ""


def _tick_labels(values) -> list[str]:
    """Short labels for tick values, with just enough digits to tell them apart
    (evenly spaced plain-range ticks: as many decimals as the step needs)."""
    vals = [_num(v) for v in values]
    if len(vals) >= 2 and all(v is not None and (v == 0 or 1e-3 <= abs(v) < 1e5) for v in vals):
        steps = [b - a for a, b in zip(vals, vals[1:])]
        if max(steps) > 0 and max(steps) - min(steps) <= 1e-6 * max(steps):   # linear ticks
            step = steps[0]
            dec = 0
            while dec < 6 and abs(step * 10 ** dec - round(step * 10 ** dec)) > 1e-6 * step * 10 ** dec:
                dec += 1
            out = []
            for v in vals:
                t = f"{v:.{dec}f}"
                if "." in t:
                    t = t.rstrip("0").rstrip(".")
                out.append("0" if t in ("-0", "") else t)
            if len(set(out)) == len(out):
                return out
    for digits in range(2, 8):
        out = [fmt_num(v, digits) for v in values]
        if len(set(out)) == len(out):
            return out
    return out


def _ticks(items, anchor: str) -> str:
    """Tick labels ``[(x, y, value)]`` in one group (class and anchor set once)."""
    if not items:
        return ""
    labels = _tick_labels([v for _, _, v in items])
    body = "".join(f'<text x="{x:.1f}" y="{y:.1f}">{_e(t)}</text>' for (x, y, _), t in zip(items, labels))
    return f'<g class="tick" text-anchor="{anchor}">{body}</g>'


def _finite_pairs(xs, ys, xlog, ylog):
    out = []
    for x, y in zip(xs or (), ys or ()):
        x, y = _num(x), _num(y)
        if x is None or y is None or (xlog and x <= 0) or (ylog and y <= 0):
            continue
        out.append((x, y))
    return out


def xy_plot(layers: Sequence[dict], *, xlabel: str = "", ylabel: str = "", title: str = "",
            xlog: bool = True, ylog: bool = True, hlines: Iterable[dict] = (), width: int = 460,
            height: int = 300, aria: str = "") -> str:
    """A 2-D plot. ``layers``: dicts with ``kind`` in ``points | line | band`` and
    ``x``, ``y`` (``band``: ``x``, ``ylo``, ``yhi``), optional ``label``, ``color``,
    ``dash`` (line), ``yerr_lo``/``yerr_hi`` (points), ``opacity``.
    ``hlines``: ``{"y": v, "label": str, "color": c}`` horizontal reference lines.
    Returns ``""`` if there is nothing finite to plot."""
    hlines = list(hlines)
    xs_all, ys_all = [], []
    for L in layers:
        if L.get("kind") == "band":
            for y_key in ("ylo", "yhi"):
                for x, y in _finite_pairs(L.get("x"), L.get(y_key), xlog, ylog):
                    xs_all.append(x)
                    ys_all.append(y)
        else:
            pairs = _finite_pairs(L.get("x"), L.get("y"), xlog, ylog)
            for x, y in pairs:
                xs_all.append(x)
                ys_all.append(y)
            for k in ("yerr_lo", "yerr_hi"):
                for x, y in _finite_pairs(L.get("x"), L.get(k), xlog, ylog):
                    ys_all.append(y)
    for h in hlines:
        v = _num(h.get("y"))
        if v is not None and (not ylog or v > 0):
            ys_all.append(v)
    if not xs_all or not ys_all:
        return ""
    ml, mr, mt, mb = 64, 14, 28 if title else 12, 44
    legend = [L for L in layers if L.get("label")] + [h for h in hlines if h.get("label")]
    leg_h = 16 * len(legend)
    W, H = width, height + leg_h
    X = _Axis(min(xs_all), max(xs_all), xlog, ml, W - mr)
    Y = _Axis(min(ys_all), max(ys_all), ylog, height - mb, mt)
    out = [f'<svg class="plot" width="{W}" height="{H}" viewBox="0 0 {W} {H}" role="img" '
           f'aria-label="{_e(aria or title)}">']
    out.append(f'<rect x="{ml}" y="{mt}" width="{W - ml - mr}" height="{height - mb - mt}" class="frame"/>')
    if title:
        out.append(f'<text x="{ml}" y="{mt - 9}" class="ptitle">{_e(title)}</text>')
    xt = [(X(t), t) for t in X.ticks()]
    yt = Y.ticks()
    out.append(_grid([p for p, _ in xt], [Y(t) for t in yt], ml, W - mr, mt, height - mb))
    out.append(_ticks([(p, height - mb + 15, t) for p, t in xt], "middle"))
    out.append(_ticks([(ml - 5, Y(t) + 4, t) for t in yt], "end"))
    out.append(f'<text x="{(ml + W - mr) / 2:.0f}" y="{height - 8}" class="alabel" text-anchor="middle">{_e(xlabel)}</text>')
    out.append(f'<text x="14" y="{(mt + height - mb) / 2:.0f}" class="alabel" text-anchor="middle" '
               f'transform="rotate(-90 14 {(mt + height - mb) / 2:.0f})">{_e(ylabel)}</text>')
    cid = f"clip{next(_CLIP_IDS)}"
    out.append(f'<clipPath id="{cid}"><rect x="{ml}" y="{mt}" width="{W - ml - mr}" height="{height - mb - mt}"/></clipPath>')
    out.append(f'<g clip-path="url(#{cid})">')
    for i, L in enumerate(layers):
        color = _e(L.get("color") or PALETTE[i % len(PALETTE)])
        kind = L.get("kind", "points")
        if kind == "band":
            lo = _finite_pairs(L.get("x"), L.get("ylo"), xlog, ylog)
            hi = _finite_pairs(L.get("x"), L.get("yhi"), xlog, ylog)
            if len(lo) >= 2 and len(hi) >= 2:
                pts = [(X(x), Y(y)) for x, y in lo] + [(X(x), Y(y)) for x, y in reversed(hi)]
                d = " ".join(f"{a:.1f},{b:.1f}" for a, b in pts)
                out.append(f'<polygon points="{d}" fill="{color}" fill-opacity="{L.get("opacity", 0.18)}" stroke="none"/>')
        elif kind == "line":
            pts = _finite_pairs(L.get("x"), L.get("y"), xlog, ylog)
            if len(pts) >= 2:
                d = " ".join(f"{X(x):.1f},{Y(y):.1f}" for x, y in pts)
                dash = f' stroke-dasharray="{_e(L["dash"])}"' if L.get("dash") else ""
                out.append(f'<polyline points="{d}" fill="none" stroke="{color}" stroke-width="{L.get("width", 1.8)}"{dash}/>')
        else:
            xs, ys = list(L.get("x") or ()), list(L.get("y") or ())
            lo_e = list(L.get("yerr_lo") or [None] * len(xs))
            hi_e = list(L.get("yerr_hi") or [None] * len(xs))
            r = L.get("r", 3.5)
            op = L.get("opacity", 0.9)
            keep = []
            for x, y, a, b in zip(xs, ys, lo_e, hi_e):
                x, y = _num(x), _num(y)
                if x is None or y is None or (xlog and x <= 0) or (ylog and y <= 0):
                    continue
                keep.append((x, y, _num(a), _num(b)))
            for x, y, a, b in keep:
                if a is not None and b is not None and (not ylog or (a > 0 and b > 0)):
                    out.append(f'<line x1="{X(x):.1f}" x2="{X(x):.1f}" y1="{Y(a):.1f}" y2="{Y(b):.1f}" '
                               f'stroke="{color}" stroke-width="1.2"/>')
            if len(keep) > _DENSE or L.get("dense"):
                # many points (every trial of a sweep): one path of round dots, no per-point tooltips
                out.append(_dots([(X(x), Y(y)) for x, y, _, _ in keep], color, r, op))
            else:
                for x, y, _, _ in keep:
                    out.append(f'<circle cx="{X(x):.1f}" cy="{Y(y):.1f}" r="{r}" fill="{color}" '
                               f'fill-opacity="{op}"><title>{_e(fmt_num(x, 4))}, {_e(fmt_num(y, 4))}</title></circle>')
    for h in hlines:
        v = _num(h.get("y"))
        if v is None or (ylog and v <= 0):
            continue
        c = _e(h.get("color", "#d62728"))
        out.append(f'<line x1="{ml}" x2="{W - mr}" y1="{Y(v):.1f}" y2="{Y(v):.1f}" stroke="{c}" '
                   f'stroke-width="1.4" stroke-dasharray="6 3"/>')
    out.append("</g>")
    for j, L in enumerate(legend):
        y = height + 4 + 16 * j
        idx = layers.index(L) if L in layers else None
        c = _e(L.get("color") or (PALETTE[idx % len(PALETTE)] if idx is not None else "#d62728"))
        kind = L.get("kind", "hline" if idx is None else "points")
        if kind == "points":
            out.append(f'<circle cx="{ml + 8}" cy="{y}" r="4" fill="{c}"/>')
        elif kind == "band":
            out.append(f'<rect x="{ml}" y="{y - 5}" width="16" height="10" fill="{c}" fill-opacity="0.25"/>')
        else:
            dash = ' stroke-dasharray="6 3"' if (kind == "hline" or L.get("dash")) else ""
            out.append(f'<line x1="{ml}" x2="{ml + 16}" y1="{y}" y2="{y}" stroke="{c}" stroke-width="2"{dash}/>')
        out.append(f'<text x="{ml + 22}" y="{y + 4}" class="legend">{_e(L.get("label"))}</text>')
    out.append("</svg>")
    return "".join(out)


def strip_plot(groups: Sequence[dict], *, ylabel: str = "measured / bound", title: str = "",
               ref: float | None = 1.0, ref_label: str = "bound", ylog: bool = False,
               width: int = 460, height: int = 300, aria: str = "", xlabel: str = "") -> str:
    """One column per group: ``{"label", "values": [...], "lo", "hi", "color", "hit"}``.
    Dots are the values (jittered deterministically), a bar spans ``lo..hi`` when
    given (e.g. min..max ratio of an example whose per-trial values were not kept).
    ``ref`` draws the dashed line where measured = bound. Column labels are written
    horizontally: ``"head: tail"`` on two lines for up to 8 columns, else only the
    group's ``short`` label (or the head); the full label is the bar's hover title.
    ``""`` if nothing to plot."""
    ys = []
    for g in groups:
        for v in list(g.get("values") or ()) + [g.get("lo"), g.get("hi")]:
            v = _num(v)
            if v is not None and (not ylog or v > 0):
                ys.append(v)
    if not ys:
        return ""
    if ref is not None and (not ylog or ref > 0):
        ys.append(ref)
    n = max(len(groups), 1)
    ml, mr, mt = 64, 14, 28 if (title or ref is not None) else 12
    W = max(width, ml + mr + 34 * n)
    colw = (W - ml - mr) / n
    # labels: "head: tail" on two lines while the columns are wide enough, else the
    # short form (``short`` or the head) on one line; the full label is the bar's tooltip
    two_lines = n <= 8
    lab_h = 34 if two_lines else 20
    mb = lab_h + (18 if xlabel else 4)
    H = height - 58 + mb
    Y = _Axis(min(ys), max(ys), ylog, H - mb, mt)
    out = [f'<svg class="plot" width="{W}" height="{H}" viewBox="0 0 {W} {H}" role="img" aria-label="{_e(aria or title)}">']
    out.append(f'<rect x="{ml}" y="{mt}" width="{W - ml - mr}" height="{H - mb - mt}" class="frame"/>')
    if title:
        out.append(f'<text x="{ml}" y="{mt - 9}" class="ptitle">{_e(title)}</text>')
    yt = Y.ticks()
    out.append(_grid([], [Y(t) for t in yt], ml, W - mr, mt, H - mb))
    out.append(_ticks([(ml - 5, Y(t) + 4, t) for t in yt], "end"))
    out.append(f'<text x="14" y="{(mt + H - mb) / 2:.0f}" class="alabel" text-anchor="middle" '
               f'transform="rotate(-90 14 {(mt + H - mb) / 2:.0f})">{_e(ylabel)}</text>')
    if xlabel:
        out.append(f'<text x="{(ml + W - mr) / 2:.0f}" y="{H - 6}" class="alabel" text-anchor="middle">{_e(xlabel)}</text>')
    room = max(4, int(colw / 6.3))   # characters that fit a column at the tick font size
    for i, g in enumerate(groups):
        cx = ml + colw * (i + 0.5)
        c = _e(g.get("color") or ("#d62728" if g.get("hit") else "#1f77b4"))
        lo, hi = _num(g.get("lo")), _num(g.get("hi"))
        if lo is not None and hi is not None and (not ylog or lo > 0):
            out.append(f'<line x1="{cx:.1f}" x2="{cx:.1f}" y1="{Y(lo):.1f}" y2="{Y(hi):.1f}" stroke="{c}" '
                       f'stroke-width="6" stroke-opacity="0.45" stroke-linecap="round"><title>{_e(g.get("label", ""))}: '
                       f'{_e(fmt_num(lo, 4))} .. {_e(fmt_num(hi, 4))}</title></line>')
        vals = [v for v in (_num(v) for v in g.get("values") or ()) if v is not None and (not ylog or v > 0)]
        half = min(colw * 0.35, 18)
        jit = [(((k * 0.6180339887) % 1.0) - 0.5) * 2 * half if len(vals) > 1 else 0.0 for k in range(len(vals))]
        out.append(_dots([(cx + j, Y(v)) for j, v in zip(jit, vals)], c, 2.6, 0.75))
        full = str(g.get("label", ""))
        y0 = H - mb + 14
        lines = full.split(": ", 1) if ": " in full else [full]
        if not two_lines:
            lines = [str(g.get("short") or lines[0])]
        for j, ln in enumerate(lines):
            ln = ln if len(ln) <= room else ln[:room - 1] + "…"
            out.append(f'<text x="{cx:.1f}" y="{y0 + 13 * j}" class="tick" text-anchor="middle">{_e(ln)}</text>')
    if ref is not None and (not ylog or ref > 0):
        yr = Y(ref)
        out.append(f'<line x1="{ml}" x2="{W - mr}" y1="{yr:.1f}" y2="{yr:.1f}" stroke="#d62728" '
                   f'stroke-width="1.4" stroke-dasharray="6 3"/>')
        # the key sits above the frame, right-aligned (never on top of the data)
        tw = 6.5 * len(ref_label)
        out.append(f'<line x1="{W - mr - tw - 26:.0f}" x2="{W - mr - tw - 6:.0f}" y1="{mt - 13}" y2="{mt - 13}" '
                   f'stroke="#d62728" stroke-width="1.4" stroke-dasharray="6 3"/>')
        out.append(f'<text x="{W - mr}" y="{mt - 9}" class="legend" text-anchor="end">{_e(ref_label)}</text>')
    out.append("</svg>")
    return "".join(out)


def sparkline(values: Sequence, *, width: int = 84, height: int = 20, ref: float | None = 1.0,
              color: str = "#1f77b4", last_color: str | None = None, title: str = "", aria: str = "") -> str:
    """A tiny line of ``values`` in order (e.g. tightness over saved runs), log y when
    every value is positive; ``None`` / non-finite values leave a gap. ``ref`` draws
    a dashed line (measured = bound) when it lies in the plotted range; the last
    point is a dot in ``last_color``. ``title`` is the hover text. ``""`` with fewer
    than one finite value."""
    vals = [_num(v) for v in values]
    pts = [(i, v) for i, v in enumerate(vals) if v is not None]
    if not pts:
        return ""
    log = all(v > 0 for _, v in pts)
    tr = (lambda v: math.log10(v)) if log else (lambda v: v)
    ys = [tr(v) for _, v in pts]
    lo, hi = min(ys), max(ys)
    show_ref = ref is not None and (not log or ref > 0) and lo <= tr(ref) <= hi
    if hi - lo < 1e-12:
        lo, hi = lo - 0.5, hi + 0.5
    n = max(len(vals) - 1, 1)
    pad = 2.5

    def X(i):
        return pad + (width - 2 * pad) * (i / n if len(vals) > 1 else 0.5)

    def Y(y):
        return height - pad - (height - 2 * pad) * (y - lo) / (hi - lo)

    out = [f'<svg class="spark" width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" '
           f'aria-label="{_e(aria or title or "trend")}">']
    if title:
        out.append(f"<title>{_e(title)}</title>")
    if show_ref:
        yr = Y(tr(ref))
        out.append(f'<line x1="0" x2="{width}" y1="{yr:.1f}" y2="{yr:.1f}" stroke="#d62728" stroke-width="0.8" '
                   f'stroke-dasharray="3 2"/>')
    seg: list[str] = []
    for i, v in enumerate(vals):
        if v is None:
            if len(seg) > 1:
                out.append(f'<polyline fill="none" stroke="{_e(color)}" stroke-width="1.3" points="{" ".join(seg)}"/>')
            seg = []
            continue
        seg.append(f"{X(i):.1f},{Y(tr(v)):.1f}")
    if len(seg) > 1:
        out.append(f'<polyline fill="none" stroke="{_e(color)}" stroke-width="1.3" points="{" ".join(seg)}"/>')
    i, v = pts[-1]
    out.append(f'<circle cx="{X(i):.1f}" cy="{Y(tr(v)):.1f}" r="2.2" fill="{_e(last_color or color)}"/>')
    out.append("</svg>")
    return "".join(out)


def _simplify(px: list[tuple[int, int]], eps: float = 0.8) -> list[tuple[int, int]]:
    """Drop points of a polyline (in pixels) that lie within ``eps`` px of the line through
    their neighbours that are kept (Ramer-Douglas-Peucker): same picture, fewer bytes."""
    if len(px) <= 2:
        return px
    keep = [False] * len(px)
    keep[0] = keep[-1] = True
    stack = [(0, len(px) - 1)]
    while stack:
        i, j = stack.pop()
        (x0, y0), (x1, y1) = px[i], px[j]
        dx, dy = x1 - x0, y1 - y0
        norm = math.hypot(dx, dy)
        best, k = -1.0, None
        for m in range(i + 1, j):
            x, y = px[m]
            d = abs(dy * (x - x0) - dx * (y - y0)) / norm if norm else math.hypot(x - x0, y - y0)
            if d > best:
                best, k = d, m
        if k is not None and best > eps:
            keep[k] = True
            stack += [(i, k), (k, j)]
    return [p for p, f in zip(px, keep) if f]


_TRAJ_POINTS = 32


def evidence_plot(series: Sequence[dict], *, threshold: float | None, p_det: float | None = None,
                  p0: float | None = None, budget: float | None = None, title: str = "Anytime evidence",
                  xlabel: str = "trials used (cumulative)", legend: Sequence[tuple[str, str]] = (),
                  width: int = 460, aria: str = "") -> str:
    """Two stacked panels of the anytime-valid decision of examples (``claims._sequential``).

    ``series``: ``{"trials": [...], "log_e": [...], "cs_upper": [...], "color", "title"}`` per
    curve (``trials`` cumulative; include the start ``0, 0, 1`` if it should be drawn).
    Top panel: ``log_e`` (the log e-value; ``+inf`` is drawn at the panel's top) with the
    fail ``threshold`` = log(1/alpha) as a dashed red line. Bottom panel: ``cs_upper`` (the
    confidence sequence's upper end on the violation rate, 0..1) with ``p_det`` (pass below
    it; dashed green) and ``p0`` (the allowed rate; dotted grey). x runs from 0 to
    ``budget`` (or the largest trial count). Each curve is one ``<g class="c">`` holding its
    ``<title>`` (hover text), one ``<polyline>`` per panel and a dot where it stopped
    (``<path class="end">``). Small on purpose (a report has one per claim): whole-pixel
    coordinates, points within a pixel of the line dropped, styles from the page's CSS
    (``svg.traj``), the reference lines explained by a legend line per panel. ``legend``:
    ``(color, label)`` pairs for a last legend line (e.g. the decisions). ``""`` if no curve
    has a point."""
    thr = _num(threshold)
    curves = []
    for s in series:
        pts = []
        for n, le, up in zip(s.get("trials") or (), s.get("log_e") or (), s.get("cs_upper") or ()):
            n, up = _num(n), _num(up)
            le = _num(le, allow_inf=True)
            if n is None or n < 0 or le is None or le == -math.inf:
                continue
            pts.append((n, le, up))
        if pts:
            curves.append((s, pts))
    if not curves:
        return ""
    xmax = max(max(n for _, pts in curves for n, _, _ in pts), _num(budget) or 0.0) or 1.0
    fin = [le for _, pts in curves for _, le, _ in pts if math.isfinite(le)] + [0.0]
    if thr is not None:
        fin.append(thr)
    ml, mr, W = 54, 14, width
    a0, a1 = 26, 146          # top panel (log e-value)
    b0, b1 = 160, 250         # bottom panel (confidence sequence)
    X = _Axis(0.0, xmax, False, ml, W - mr)
    X.lo, X.hi = -0.02 * xmax, 1.02 * xmax
    YA = _Axis(min(fin), max(fin), False, a1, a0)
    YB = _Axis(0.0, 1.0, False, b1, b0)
    YB.lo, YB.hi = -0.04, 1.04
    # reference lines (color, dash, legend text, y in pixels)
    refs_a, refs_b = [], []
    if thr is not None:
        refs_a.append(("#d62728", "6 3", f"fail: log e-value ≥ log(1/α_ex) = {fmt_num(thr, 3)}", YA(thr)))
    pd, pz = _num(p_det), _num(p0)
    if pd is not None and 0 <= pd <= 1:
        refs_b.append(("#1a7f37", "6 3", f"pass: CS upper bound < p_det = {fmt_num(pd, 3)}", YB(pd)))
    if pz is not None and 0 <= pz <= 1:
        refs_b.append(("#57606a", "2 2", f"allowed rate p0 = {fmt_num(pz, 3)}", YB(pz)))
    refs = refs_a + refs_b
    rows = [r for r in (refs_a, refs_b, legend) if r]
    H = b1 + 40 + 16 * len(rows)
    out = [f'<svg class="plot traj" width="{W}" height="{H}" viewBox="0 0 {W} {H}" role="img" '
           f'aria-label="{_e(aria or title)}">',
           f'<text x="{ml}" y="17" class="ptitle">{_e(title)}</text>']

    def ticks(items, anchor):
        labels = _tick_labels([v for _, _, v in items])
        body = "".join(f'<text x="{x:.0f}" y="{y:.0f}">{_e(t)}</text>' for (x, y, _), t in zip(items, labels))
        return f'<g class="tick" text-anchor="{anchor}">{body}</g>'

    for top, bot, Y, yt, lab in ((a0, a1, YA, YA.ticks(), "log e-value"),
                                 (b0, b1, YB, [0.0, 0.5, 1.0], "CS upper bound")):
        c = (top + bot) // 2
        out.append(f'<rect x="{ml}" y="{top}" width="{W - ml - mr}" height="{bot - top}" class="frame"/>'
                   + ticks([(ml - 5, Y(t) + 4, t) for t in yt], "end")
                   + f'<text x="14" y="{c}" class="alabel" text-anchor="middle" transform="rotate(-90 14 {c})">'
                     f'{_e(lab)}</text>')
    out.append(ticks([(X(t), b1 + 14, t) for t in X.ticks()], "middle"))
    out.append(f'<text x="{(ml + W - mr) // 2}" y="{b1 + 29}" class="alabel" text-anchor="middle">{_e(xlabel)}</text>')
    for color, dash, _, y in refs:
        out.append(f'<path d="M{ml} {y:.0f}H{W - mr}" stroke="{color}" stroke-dasharray="{dash}" class="ref"/>')

    def poly(pairs):
        px = _simplify([(int(round(x)), int(round(y))) for x, y in pairs])
        if len(px) > _TRAJ_POINTS:
            step = (len(px) - 1) / (_TRAJ_POINTS - 1)
            px = [px[round(i * step)] for i in range(_TRAJ_POINTS)]
        if len(px) == 1:
            px.append(px[0])
        return " ".join(f"{x},{y}" for x, y in px)

    for s, pts in curves:
        top = [(X(n), a0 if le == math.inf else YA(le)) for n, le, _ in pts]
        bot = [(X(n), YB(min(1.0, max(0.0, up)))) for n, _, up in pts if up is not None]
        g = [f'<g class="c" stroke="{_e(s.get("color") or PALETTE[0])}">']
        if s.get("title"):
            g.append(f"<title>{_e(s['title'])}</title>")
        g.append(f'<polyline points="{poly(top)}"/>')
        ends = [top[-1]]
        if bot:
            g.append(f'<polyline points="{poly(bot)}"/>')
            ends.append(bot[-1])
        g.append(f'<path class="end" d="{"".join(f"M{x:.0f} {y:.0f}h0" for x, y in ends)}"/></g>')
        out.append("".join(g))

    def key(k, color, mark, text):   # a legend entry: the line's mark as coloured text, then its label
        return f'<tspan dx="{12 if k else 4}" fill="{_e(color)}">{mark}</tspan> {_e(text)}'

    y = b1 + 50
    for refs_row in (refs_a, refs_b):   # the top panel's line, then the bottom panel's
        if refs_row:
            body = " ".join(key(k, c, "– –" if d == "6 3" else "···", t) for k, (c, d, t, _) in enumerate(refs_row))
            out.append(f'<text x="{ml - 4}" y="{y}" class="legend">{body}</text>')
            y += 16
    if legend:
        body = " ".join(key(k, c, "━", t) for k, (c, t) in enumerate(legend))
        out.append(f'<text x="{ml}" y="{y}" class="legend">stopped:{body}</text>')
    out.append("</svg>")
    return "".join(out)
