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

__all__ = ["xy_plot", "strip_plot", "fmt_num", "PALETTE"]

_CLIP_IDS = itertools.count(1)

PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf",
           "#7f7f7f", "#bcbd22")


def _e(s) -> str:
    return html.escape(str(s), quote=True)


def _num(x):
    """``x`` as a finite float, or None."""
    if isinstance(x, bool) or x is None:
        return None
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


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
    for t in X.ticks():
        px = X(t)
        out.append(f'<line x1="{px:.1f}" x2="{px:.1f}" y1="{mt}" y2="{height - mb}" class="grid"/>')
        out.append(f'<text x="{px:.1f}" y="{height - mb + 15}" class="tick" text-anchor="middle">{_e(fmt_num(t, 2))}</text>')
    for t in Y.ticks():
        py = Y(t)
        out.append(f'<line x1="{ml}" x2="{W - mr}" y1="{py:.1f}" y2="{py:.1f}" class="grid"/>')
        out.append(f'<text x="{ml - 5}" y="{py + 4:.1f}" class="tick" text-anchor="end">{_e(fmt_num(t, 2))}</text>')
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
            pts = list(zip(L.get("x") or (), L.get("y") or ()))
            lo_e = L.get("yerr_lo") or [None] * len(pts)
            hi_e = L.get("yerr_hi") or [None] * len(pts)
            r = L.get("r", 3.5)
            for (x, y), a, b in zip(pts, lo_e, hi_e):
                if not _finite_pairs([x], [y], xlog, ylog):
                    continue
                x, y = float(x), float(y)
                if _finite_pairs([x, x], [a, b], xlog, ylog).__len__() == 2:
                    out.append(f'<line x1="{X(x):.1f}" x2="{X(x):.1f}" y1="{Y(float(a)):.1f}" y2="{Y(float(b)):.1f}" '
                               f'stroke="{color}" stroke-width="1.2"/>')
                out.append(f'<circle cx="{X(x):.1f}" cy="{Y(y):.1f}" r="{r}" fill="{color}" '
                           f'fill-opacity="{L.get("opacity", 0.9)}"><title>{_e(fmt_num(x, 4))}, {_e(fmt_num(y, 4))}</title></circle>')
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
               width: int = 460, height: int = 300, aria: str = "", xlabel: str = "",
               label_angle: float | None = None) -> str:
    """One column per group: ``{"label", "values": [...], "lo", "hi", "color", "hit"}``.
    Dots are the values (jittered deterministically), a bar spans ``lo..hi`` when
    given (e.g. min..max ratio of an example whose per-trial values were not kept).
    ``ref`` draws the dashed line where measured = bound. Column labels are written
    horizontally (split at ``": "`` onto two lines) when the columns are wide enough,
    else rotated (``label_angle``, default -40°); the full label is the hover title.
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
    ml, mr, mt = 64, 14, 28 if title else 12
    W = max(width, ml + mr + 28 * n)
    colw = (W - ml - mr) / n
    rotate = label_angle if label_angle is not None else (0 if colw >= 64 else -40)
    lab_h = 34 if not rotate else 74
    mb = lab_h + (18 if xlabel else 4)
    H = height - 58 + mb if height > 58 + mb else height
    Y = _Axis(min(ys), max(ys), ylog, H - mb, mt)
    out = [f'<svg class="plot" width="{W}" height="{H}" viewBox="0 0 {W} {H}" role="img" aria-label="{_e(aria or title)}">']
    out.append(f'<rect x="{ml}" y="{mt}" width="{W - ml - mr}" height="{H - mb - mt}" class="frame"/>')
    if title:
        out.append(f'<text x="{ml}" y="{mt - 9}" class="ptitle">{_e(title)}</text>')
    for t in Y.ticks():
        py = Y(t)
        out.append(f'<line x1="{ml}" x2="{W - mr}" y1="{py:.1f}" y2="{py:.1f}" class="grid"/>')
        out.append(f'<text x="{ml - 5}" y="{py + 4:.1f}" class="tick" text-anchor="end">{_e(fmt_num(t, 2))}</text>')
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
        for k, v in enumerate(vals):
            jit = (((k * 0.6180339887) % 1.0) - 0.5) * 2 * half if len(vals) > 1 else 0.0
            out.append(f'<circle cx="{cx + jit:.1f}" cy="{Y(v):.1f}" r="2.6" fill="{c}" fill-opacity="0.75"/>')
        full = str(g.get("label", ""))
        tip = f"<title>{_e(full)}</title>"
        y0 = H - mb + 14
        if rotate:
            label = full if len(full) <= 16 else full[:15] + "…"
            out.append(f'<text x="{cx + 3:.1f}" y="{y0 - 2}" class="tick" text-anchor="end" '
                       f'transform="rotate({rotate:g} {cx + 3:.1f} {y0 - 2})">{_e(label)}{tip}</text>')
        else:
            lines = full.split(": ", 1) if ": " in full else [full]
            for j, ln in enumerate(lines[:2]):
                ln = ln if len(ln) <= room else ln[:room - 1] + "…"
                out.append(f'<text x="{cx:.1f}" y="{y0 + 13 * j}" class="tick" text-anchor="middle">{_e(ln)}{tip}</text>')
    if ref is not None and (not ylog or ref > 0):
        yr = Y(ref)
        out.append(f'<line x1="{ml}" x2="{W - mr}" y1="{yr:.1f}" y2="{yr:.1f}" stroke="#d62728" '
                   f'stroke-width="1.4" stroke-dasharray="6 3"/>')
        ly = yr - 4 if yr - 4 > mt + 12 else yr + 13
        out.append(f'<text x="{W - mr - 4}" y="{ly:.1f}" class="legend" text-anchor="end" fill="#d62728">{_e(ref_label)}</text>')
    out.append("</svg>")
    return "".join(out)
