"""A small LaTeX -> MathML converter for the statements in the claim catalog.

Covers the subset the catalog uses: Greek letters, ``\\|``, relations (``\\le``,
``\\ge``, ``\\ne``, ``\\sim``, ...), sub/superscripts, ``\\frac``, ``\\sqrt``,
big operators with limits (``\\sum``, ``\\max``, ``\\min``, ...), function names
(``\\log``, ``\\exp``), ``\\mathrm`` / ``\\text`` / ``\\operatorname``, accents
(``\\tilde``, ``\\widetilde``, ``\\hat``, ``\\bar``), ``\\left``/``\\right``, spacing,
``\\\\`` line breaks and ``$...$`` inline math inside prose.

:func:`tex_to_html` never raises: input it cannot parse is shown as escaped
LaTeX source in ``<code>``. Every piece of text in the output is HTML-escaped.
Chromium, Firefox and Safari render MathML Core natively (no scripts, no fonts
to download).
"""

from __future__ import annotations

import html
import re

__all__ = ["tex_to_mathml", "tex_to_html", "TexError"]


class TexError(ValueError):
    """The LaTeX uses a construct this converter does not know."""


def _e(s: str) -> str:
    return html.escape(s, quote=True)


GREEK = {
    "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ϵ", "varepsilon": "ε",
    "zeta": "ζ", "eta": "η", "theta": "θ", "vartheta": "ϑ", "iota": "ι", "kappa": "κ",
    "lambda": "λ", "mu": "μ", "nu": "ν", "xi": "ξ", "pi": "π", "varpi": "ϖ", "rho": "ρ",
    "varrho": "ϱ", "sigma": "σ", "varsigma": "ς", "tau": "τ", "upsilon": "υ", "phi": "ϕ",
    "varphi": "φ", "chi": "χ", "psi": "ψ", "omega": "ω", "ell": "ℓ", "imath": "ı", "jmath": "ȷ",
}
GREEK_UPPER = {
    "Gamma": "Γ", "Delta": "Δ", "Theta": "Θ", "Lambda": "Λ", "Xi": "Ξ", "Pi": "Π", "Sigma": "Σ",
    "Upsilon": "Υ", "Phi": "Φ", "Psi": "Ψ", "Omega": "Ω",
}
OPERATORS = {
    "le": "≤", "leq": "≤", "ge": "≥", "geq": "≥", "ne": "≠", "neq": "≠", "lt": "<", "gt": ">",
    "ll": "≪", "gg": "≫", "lesssim": "≲", "gtrsim": "≳", "approx": "≈", "sim": "∼", "simeq": "≃",
    "equiv": "≡", "propto": "∝", "cdot": "⋅", "times": "×", "pm": "±", "mp": "∓", "div": "÷",
    "to": "→", "rightarrow": "→", "leftarrow": "←", "Rightarrow": "⇒", "implies": "⟹",
    "iff": "⟺", "mapsto": "↦", "in": "∈", "notin": "∉", "ni": "∋", "subset": "⊂",
    "subseteq": "⊆", "supset": "⊃", "supseteq": "⊇", "cup": "∪", "cap": "∩", "setminus": "∖",
    "forall": "∀", "exists": "∃", "neg": "¬", "land": "∧", "lor": "∨", "wedge": "∧", "vee": "∨",
    "circ": "∘", "star": "⋆", "ast": "∗", "otimes": "⊗", "oplus": "⊕", "odot": "⊙",
    "mid": "∣", "|": "‖", "Vert": "‖", "vert": "|", "langle": "⟨", "rangle": "⟩",
    "lfloor": "⌊", "rfloor": "⌋", "lceil": "⌈", "rceil": "⌉", "{": "{", "}": "}",
    "ldots": "…", "cdots": "⋯", "dots": "…", "vdots": "⋮", "colon": ":", "perp": "⊥",
    "parallel": "∥", "coloneqq": "≔", "prec": "≺", "succ": "≻", "preceq": "⪯", "succeq": "⪰",
    "wr": "≀", "bullet": "∙", "lvert": "|", "rvert": "|", "lVert": "‖", "rVert": "‖",
    "%": "%", "#": "#", "&": "&", "_": "_", "$": "$",
}
IDENTIFIERS = {
    "infty": "∞", "partial": "∂", "nabla": "∇", "top": "⊤", "bot": "⊥", "emptyset": "∅",
    "varnothing": "∅", "prime": "′", "hbar": "ℏ", "Re": "ℜ", "Im": "ℑ", "aleph": "ℵ",
}
FUNCTIONS = {"log", "ln", "exp", "sin", "cos", "tan", "tanh", "det", "tr", "dim", "rank", "sgn",
             "Pr", "deg", "arg", "ker", "poly", "polylog", "diag", "span", "argmax", "argmin",
             "Var", "Cov", "E", "arcsin", "arccos", "arctan", "sinh", "cosh", "coth", "cot", "sec", "csc",
             "lg", "Tr", "erf", "sign", "supp", "dist"}
BIG_OPS = {"sum": "∑", "prod": "∏", "max": "max", "min": "min", "sup": "sup", "inf": "inf",
           "lim": "lim", "limsup": "lim sup", "liminf": "lim inf", "bigcup": "⋃", "bigcap": "⋂",
           "int": "∫", "argmax": "arg max", "argmin": "arg min", "mathop": None}
ACCENTS = {"tilde": "~", "widetilde": "~", "hat": "^", "widehat": "^", "bar": "‾", "overline": "‾",
           "vec": "→", "dot": "˙", "ddot": "¨", "check": "ˇ", "breve": "˘", "acute": "´", "grave": "`",
           "overrightarrow": "→"}
SPACES = {",": "0.1667em", ":": "0.2222em", ";": "0.2778em", "!": "-0.1667em", " ": "0.25em",
          "quad": "1em", "qquad": "2em", "enspace": "0.5em", "thinspace": "0.1667em"}
IGNORED = {"displaystyle", "textstyle", "scriptstyle", "limits", "nolimits", "big", "Big", "bigg",
           "Bigg", "bigl", "bigr", "Bigl", "Bigr", "biggl", "biggr", "Biggl", "Biggr", "middle",
           "nonumber", "notag"}
STYLES = {"mathrm": "normal", "mathbf": "bold", "boldsymbol": "bold-italic", "bm": "bold-italic",
          "mathit": "italic", "mathcal": "script", "mathscr": "script", "mathbb": "double-struck",
          "mathsf": "sans-serif", "mathtt": "monospace", "mathfrak": "fraktur"}
BB = {"R": "ℝ", "N": "ℕ", "Z": "ℤ", "Q": "ℚ", "C": "ℂ", "E": "𝔼", "P": "ℙ", "1": "𝟙"}
CAL = {"N": "𝒩", "O": "𝒪", "L": "ℒ", "D": "𝒟", "F": "ℱ", "S": "𝒮", "A": "𝒜", "B": "ℬ", "E": "ℰ",
       "H": "ℋ", "W": "𝒲", "X": "𝒳", "Y": "𝒴", "G": "𝒢", "C": "𝒞", "M": "ℳ", "P": "𝒫", "R": "ℛ",
       "T": "𝒯", "U": "𝒰", "V": "𝒱", "I": "ℐ", "K": "𝒦", "Q": "𝒬", "Z": "𝒵", "J": "𝒥"}
TEXT_CMDS = {"text", "textrm", "mbox", "textit", "textbf", "operatorname", "mathrm_text"}
ENVS_OK = {"aligned", "align", "align*", "gathered", "gather", "gather*", "split", "equation",
           "equation*", "array", "matrix"}

_TOKEN = re.compile(r"\\([A-Za-z]+|.)|(\s+)|([0-9]+(?:\.[0-9]+)?)|(.)", re.S)


def _tokenize(src: str) -> list[tuple[str, str]]:
    toks = []
    for m in _TOKEN.finditer(src):
        if m.group(1) is not None:
            toks.append(("cmd", m.group(1)))
        elif m.group(2) is not None:
            toks.append(("ws", m.group(2)))
        elif m.group(3) is not None:
            toks.append(("num", m.group(3)))
        else:
            toks.append(("chr", m.group(4)))
    return toks


def _mo(s: str, **attrs) -> str:
    a = "".join(f' {k.replace("_", "-")}="{_e(str(v))}"' for k, v in attrs.items())
    return f"<mo{a}>{_e(s)}</mo>"


def _mi(s: str, variant: str | None = None) -> str:
    a = f' mathvariant="{variant}"' if variant else ""
    return f"<mi{a}>{_e(s)}</mi>"


def _row(items: list[str]) -> str:
    if len(items) == 1:
        return items[0]
    return "<mrow>" + "".join(items) + "</mrow>"


class _Parser:
    def __init__(self, src: str):
        self.toks = _tokenize(src)
        self.i = 0
        self.depth = 0

    # -------------------------------------------------------------- helpers
    def peek(self, skip_ws: bool = True):
        j = self.i
        while skip_ws and j < len(self.toks) and self.toks[j][0] == "ws":
            j += 1
        return self.toks[j] if j < len(self.toks) else None

    def next(self, skip_ws: bool = True):
        while skip_ws and self.i < len(self.toks) and self.toks[self.i][0] == "ws":
            self.i += 1
        if self.i >= len(self.toks):
            raise TexError("unexpected end of input")
        t = self.toks[self.i]
        self.i += 1
        return t

    def raw_group(self) -> str:
        """The literal text of the next ``{...}`` group (or single token)."""
        t = self.next()
        if t != ("chr", "{"):
            return "\\" + t[1] if t[0] == "cmd" else t[1]
        depth, out = 1, []
        while True:
            t = self.next(skip_ws=False)
            if t == ("chr", "{"):
                depth += 1
            elif t == ("chr", "}"):
                depth -= 1
                if depth == 0:
                    return "".join(out)
            out.append("\\" + t[1] if t[0] == "cmd" else t[1])

    # -------------------------------------------------------------- grammar
    def parse(self) -> str:
        rows = self.rows(stop=None)
        if self.peek() is not None:
            raise TexError(f"unexpected {self.peek()[1]!r}")
        if len(rows) == 1:
            return rows[0]
        return "<mtable columnalign=\"left\">" + "".join(
            f"<mtr><mtd>{r}</mtd></mtr>" for r in rows) + "</mtable>"

    def rows(self, stop) -> list[str]:
        rows, cur = [], []
        while True:
            t = self.peek()
            if t is None:
                if stop is not None:
                    raise TexError(f"missing {stop!r}")
                break
            if stop is not None and t == stop:
                break
            if t == ("cmd", "\\"):
                self.next()
                rows.append(_row(cur) if cur else "<mrow></mrow>")
                cur = []
                continue
            if t == ("chr", "&"):
                self.next()
                cur.append('<mspace width="0.5em"></mspace>')
                continue
            if t[0] == "cmd" and t[1] in ("right", "end"):
                break
            cur.append(self.scripted())
        rows.append(_row(cur) if cur else "<mrow></mrow>")
        return rows

    def group_body(self) -> str:
        """Parse until the matching ``}`` (the ``{`` was consumed)."""
        self.depth += 1
        if self.depth > 60:
            raise TexError("nesting too deep")
        rows = self.rows(stop=("chr", "}"))
        if self.next() != ("chr", "}"):
            raise TexError("unbalanced group")
        self.depth -= 1
        if len(rows) > 1:
            return "<mtable>" + "".join(f"<mtr><mtd>{r}</mtd></mtr>" for r in rows) + "</mtable>"
        return rows[0] if rows[0] != "<mrow></mrow>" else "<mrow></mrow>"

    def argument(self) -> str:
        t = self.peek()
        if t is None:
            raise TexError("missing argument")
        if t == ("chr", "{"):
            self.next()
            return self.group_body()
        return self.atom()

    def scripted(self) -> str:
        base_tok = self.peek()
        limits = base_tok is not None and base_tok[0] == "cmd" and base_tok[1] in BIG_OPS
        base = self.atom()
        sub = sup = None
        while True:
            t = self.peek()
            if t == ("chr", "_") and sub is None:
                self.next()
                sub = self.argument()
            elif t == ("chr", "^") and sup is None:
                self.next()
                sup = self.argument()
            elif t == ("chr", "'"):
                self.next()
                sup = (sup or "") + _mo("′")
                if not sup.startswith("<mrow>"):
                    sup = "<mrow>" + sup + "</mrow>"
            elif t is not None and t[0] == "cmd" and t[1] in ("limits", "nolimits"):
                self.next()
            else:
                break
        if sub is None and sup is None:
            return base
        if limits:
            if sub is not None and sup is not None:
                return f"<munderover>{base}{sub}{sup}</munderover>"
            if sub is not None:
                return f"<munder>{base}{sub}</munder>"
            return f"<mover>{base}{sup}</mover>"
        if sub is not None and sup is not None:
            return f"<msubsup>{base}{sub}{sup}</msubsup>"
        if sub is not None:
            return f"<msub>{base}{sub}</msub>"
        return f"<msup>{base}{sup}</msup>"

    def atom(self) -> str:
        t = self.next()
        kind, val = t
        if kind == "num":
            return f"<mn>{_e(val)}</mn>"
        if kind == "chr":
            if val == "{":
                return self.group_body()
            if val in "}^_":
                raise TexError(f"unexpected {val!r}")
            if val.isalpha():
                return _mi(val)
            if val in "()[]|":
                return _mo(val, stretchy="false")
            if val == "~":
                return '<mspace width="0.25em"></mspace>'
            if val == "'":
                return _mo("′")
            if val == "-":
                return _mo("−")
            return _mo(val)
        if kind == "ws":  # pragma: no cover - next() skips whitespace
            return ""
        return self.command(val)

    def command(self, name: str) -> str:
        if name in GREEK:
            return _mi(GREEK[name])
        if name in GREEK_UPPER:
            return _mi(GREEK_UPPER[name], "normal")
        if name in IDENTIFIERS:
            return _mi(IDENTIFIERS[name], "normal" if len(IDENTIFIERS[name]) == 1 else None)
        if name in OPERATORS:
            return _mo(OPERATORS[name])
        if name in SPACES:
            return f'<mspace width="{SPACES[name]}"></mspace>'
        if name in IGNORED:
            return "<mrow></mrow>"
        if name in BIG_OPS:
            if name == "mathop":
                return "<mrow>" + self.argument() + "</mrow>"
            sym = BIG_OPS[name]
            if len(sym) == 1:
                return _mo(sym, largeop="true", movablelimits="false")
            return _mo(sym, movablelimits="false")
        if name in FUNCTIONS:
            return _mi(name, "normal" if len(name) == 1 else None) + _mo("\u2061")
        if name in ("frac", "dfrac", "tfrac", "cfrac"):
            a = self.argument()
            b = self.argument()
            return f"<mfrac>{a}{b}</mfrac>"
        if name == "binom":
            a = self.argument()
            b = self.argument()
            return f'<mrow>{_mo("(")}<mfrac linethickness="0">{a}{b}</mfrac>{_mo(")")}</mrow>'
        if name == "sqrt":
            t = self.peek()
            if t == ("chr", "["):
                self.next()
                idx = []
                while self.peek() != ("chr", "]"):
                    if self.peek() is None:
                        raise TexError("missing ] in \\sqrt[")
                    idx.append(self.scripted())
                self.next()
                body = self.argument()
                return f"<mroot>{body}{_row(idx) if idx else '<mrow></mrow>'}</mroot>"
            return f"<msqrt>{self.argument()}</msqrt>"
        if name in ACCENTS:
            body = self.argument()
            # stretchy accents need an OpenType math font, which many systems lack: keep them at text size
            stretch = "true" if name == "overline" else "false"
            return f'<mover accent="true">{body}{_mo(ACCENTS[name], stretchy=stretch)}</mover>'
        if name == "underline":
            return f'<munder>{self.argument()}{_mo("_", stretchy="true")}</munder>'
        if name in STYLES:
            variant = STYLES[name]
            if name == "mathrm" or name in ("mathbb", "mathcal", "mathscr"):
                raw = self.raw_group()
                if name == "mathbb":
                    return _mi("".join(BB.get(c, c) for c in raw), None if len(raw) == 1 and raw in BB else variant)
                if name in ("mathcal", "mathscr"):
                    if all(c in CAL for c in raw):
                        return _mi("".join(CAL[c] for c in raw))
                    return _mi(raw, variant)
                if re.fullmatch(r"[A-Za-z0-9 .,\-]+", raw):
                    return _mi(raw, "normal") if not raw.isdigit() else f"<mn>{_e(raw)}</mn>"
                # \mathrm{...} with math inside: parse it
                inner = _Parser(raw).parse()
                return f'<mstyle mathvariant="normal">{inner}</mstyle>'
            body = self.argument()
            return f'<mstyle mathvariant="{variant}">{body}</mstyle>'
        if name in TEXT_CMDS:
            raw = self.raw_group()
            if name == "operatorname":
                return _mi(raw, "normal" if len(raw) == 1 else None) + _mo("\u2061")
            raw = re.sub(r"\\([%&#_$ {}])", r"\1", raw)
            return f"<mtext>{_e(raw.replace(' ', chr(0xA0)))}</mtext>"
        if name in ("left", "right"):
            t = self.next()
            d = t[1]
            if t[0] == "cmd":
                d = OPERATORS.get(d, None)
                if d is None:
                    raise TexError(f"unknown delimiter \\{t[1]}")
            if d == ".":
                d = ""
            if name == "right":
                return _mo(d, fence="true") if d else "<mrow></mrow>"
            # \left ... \right: parse the inside as one row
            inner = self.rows(stop=None)
            t2 = self.next()
            if t2 != ("cmd", "right"):
                raise TexError("\\left without \\right")
            t3 = self.next()
            r = t3[1]
            if t3[0] == "cmd":
                r = OPERATORS.get(r)
                if r is None:
                    raise TexError(f"unknown delimiter \\{t3[1]}")
            if r == ".":
                r = ""
            parts = ([_mo(d, fence="true")] if d else []) + [_row(inner)] + ([_mo(r, fence="true")] if r else [])
            return "<mrow>" + "".join(parts) + "</mrow>"
        if name == "begin":
            env = self.raw_group()
            if env not in ENVS_OK and env not in ("cases", "pmatrix", "bmatrix"):
                raise TexError(f"environment {env!r} not supported")
            if env == "array":
                self.raw_group()  # column spec
            rows = self.rows(stop=None)
            t = self.next()
            if t != ("cmd", "end"):
                raise TexError(f"\\begin{{{env}}} without \\end")
            self.raw_group()
            table = "<mtable columnalign=\"left\">" + "".join(f"<mtr><mtd>{r}</mtd></mtr>" for r in rows) + "</mtable>"
            if env == "cases":
                return f"<mrow>{_mo('{')}{table}</mrow>"
            if env == "pmatrix":
                return f"<mrow>{_mo('(')}{table}{_mo(')')}</mrow>"
            if env == "bmatrix":
                return f"<mrow>{_mo('[')}{table}{_mo(']')}</mrow>"
            return table
        if name == "not":
            nxt = self.atom()
            return f"<mrow>{nxt}{_mo(chr(0x338))}</mrow>"
        if name in ("mathbin", "mathrel", "mathord"):
            return self.argument()
        if name in ("overbrace", "underbrace"):
            body = self.argument()
            return f'<m{"over" if name == "overbrace" else "under"}>{body}{_mo("⏞" if name == "overbrace" else "⏟")}</m{"over" if name == "overbrace" else "under"}>'
        raise TexError(f"unknown command \\{name}")


def tex_to_mathml(tex: str, display: bool = True) -> str:
    """MathML for ``tex`` (math mode). Raises :class:`TexError` on what it cannot parse."""
    if not isinstance(tex, str):
        raise TexError("not a string")
    body = _Parser(tex).parse()
    mode = "block" if display else "inline"
    return (f'<math display="{mode}"><semantics>{_row([body])}'
            f'<annotation encoding="application/x-tex">{_e(tex)}</annotation></semantics></math>')


def _split_dollars(tex: str) -> list[tuple[bool, str]] | None:
    """Split prose with ``$...$`` / ``$$...$$`` into (is_math, text) pieces (None if unbalanced)."""
    parts, buf, i, math = [], [], 0, False
    while i < len(tex):
        c = tex[i]
        if c == "\\" and i + 1 < len(tex) and tex[i + 1] == "$":
            buf.append("\\$" if math else "$")
            i += 2
            continue
        if c == "$":
            parts.append((math, "".join(buf)))
            buf = []
            math = not math
            i += 2 if tex.startswith("$$", i) else 1
            continue
        buf.append(c)
        i += 1
    if math:
        return None
    parts.append((False, "".join(buf)))
    return [(m, s) for m, s in parts if s]


def tex_to_html(tex, display: bool = True) -> tuple[str, bool]:
    """``(html, ok)``: MathML for ``tex`` (prose with ``$...$`` allowed), or on any
    failure the escaped source in ``<code class="tex">`` and ``ok=False``. Never raises."""
    if tex is None or (isinstance(tex, str) and not tex.strip()):
        return "<span class=\"na\">—</span>", False
    if not isinstance(tex, str):
        tex = str(tex)
    try:
        if "$" in tex.replace("\\$", ""):
            pieces = _split_dollars(tex)
            if pieces is None:
                raise TexError("unbalanced $")
            out = []
            for is_math, s in pieces:
                out.append(tex_to_mathml(s, display=False) if is_math else _e(s))
            return "<span class=\"stmt-prose\">" + "".join(out) + "</span>", True
        return tex_to_mathml(tex, display=display), True
    except Exception:  # never crash: show the source
        return f"<code class=\"tex\">{_e(tex)}</code>", False
