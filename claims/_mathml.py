"""LaTeX -> MathML for the claim report: a thin wrapper around ``latex2mathml``.

The conversion itself is `latex2mathml <https://pypi.org/project/latex2mathml/>`_.
This module only adds what the report needs on top of it:

* :data:`SUBSTITUTIONS`, a small table for macros the catalog uses that
  ``latex2mathml`` does not know (rewritten to an equivalent it does know);
* display-style limits (``\\max_{x}`` puts ``x`` under ``max`` in display mode, as
  TeX does) and top-level ``\\\\`` line breaks as a one-column table (Chromium
  ignores ``<mspace linebreak>``);
* checks that turn what ``latex2mathml`` silently accepts into errors: unbalanced
  braces, unknown commands or environments, a command missing an argument, control
  characters (a ``\\frac`` in a non-raw Python string is form feed + ``rac``);
* a safe serialisation: ``latex2mathml.converter.convert`` un-escapes ``<``, ``>``
  and ``&`` in its output (``\\text{<script>}`` would come out as a live tag), so the
  element tree is serialised here with every text escaped, character references
  decoded to characters, and ``mathvariant`` letters (``\\mathbb E``,
  ``\\mathcal Z``) mapped to Unicode mathematical alphanumerics, because MathML Core
  browsers honour only ``mathvariant="normal"``.

:func:`tex_to_html` never raises: input that cannot be converted is shown as
escaped LaTeX source in ``<code class="tex">``. Chromium, Firefox and Safari render
MathML Core natively (no scripts, no fonts to download).
"""

from __future__ import annotations

import functools
import html
import re
import unicodedata
from xml.etree.ElementTree import Element, SubElement, tostring

from latex2mathml import commands as _l2m_commands
from latex2mathml.converter import convert_to_element as _convert_to_element

__all__ = ["tex_to_mathml", "tex_to_html", "TexError", "SUBSTITUTIONS"]


class TexError(ValueError):
    """The LaTeX could not be converted to MathML (bad syntax, or a command or
    environment ``latex2mathml`` does not know). Add the macro to
    ``claims._mathml.SUBSTITUTIONS`` if it is a spelling of something it does know."""


#: Macros used by the catalog that latex2mathml lacks, each rewritten to an
#: equivalent it supports: ``(command, replacement)``; matched as whole commands.
SUBSTITUTIONS: tuple[tuple[str, str], ...] = (
    (r"\arg", r"\operatorname{arg}"),       # latex2mathml has \arcsin, \argmax, but not \arg
)

_SUBST = {cmd: rep for cmd, rep in SUBSTITUTIONS}
_SUBST_RE = re.compile("|".join(re.escape(c) + r"(?![A-Za-z])" for c in _SUBST)) if _SUBST else None
# In display mode these take their sub/superscripts as limits below/above (TeX's \displaystyle).
_LIMIT_OPS = ("max", "min", "sup", "inf", "lim", "limsup", "liminf", "argmax", "argmin", "det", "gcd", "Pr")
_LIMITS_RE = re.compile(r"(\\(?:%s))(?![A-Za-z])(?=\s*[_^])" % "|".join(_LIMIT_OPS))
_ENVIRONMENTS = frozenset(m[1:] for m in _l2m_commands.MATRICES)
_ENV_RE = re.compile(r"\\(?:begin|end)\s*\{([^{}]*)\}")
_TOKEN_RE = re.compile(r"\\(?:[A-Za-z]+|.)|.", re.S)
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # not LaTeX, not allowed in XML
_CHARREF_RE = re.compile(r"&#(?:x([0-9A-Fa-f]+)|([0-9]+));")
_ARITY = {"mfrac": 2, "mroot": 2, "msub": 2, "msup": 2, "munder": 2, "mover": 2, "msubsup": 3, "munderover": 3}
_TOKEN_ELEMENTS = ("mi", "mo", "mn")
# over-scripts drawn as accents (tight above the base, not shrunk): ~ ^ ¯ ˙ ¨ ˇ ˘ ´ ` ˜ ˆ → ‾ ―
_ACCENT_CHARS = frozenset("~^\u00af\u02d9\u00a8\u02c7\u02d8\u00b4`\u02dc\u02c6\u2192\u203e\u2015")
_VARIANT_NAMES = {"bold": "BOLD", "italic": "ITALIC", "bold-italic": "BOLD ITALIC", "double-struck": "DOUBLE-STRUCK",
                  "script": "SCRIPT", "bold-script": "BOLD SCRIPT", "fraktur": "FRAKTUR", "bold-fraktur": "BOLD FRAKTUR",
                  "sans-serif": "SANS-SERIF", "bold-sans-serif": "SANS-SERIF BOLD", "monospace": "MONOSPACE"}
# letters that live in the Letterlike Symbols block instead (e.g. ℝ, ℰ, ℌ)
_VARIANT_FALLBACK = {"FRAKTUR": "BLACK-LETTER"}


def _e(s: str) -> str:
    """HTML-escaped ``s``; control characters (invalid in XML) shown as ``\\xNN``."""
    return html.escape(_CONTROL_RE.sub(lambda m: f"\\x{ord(m.group(0)):02x}", s), quote=True)


def _check_source(tex: str) -> None:
    """Raise :class:`TexError` on what latex2mathml would silently accept or mangle."""
    bad = _CONTROL_RE.search(tex)
    if bad:
        # usually "\\frac" written in a non-raw string, which Python reads as form feed + "rac"
        raise TexError(f"control character U+{ord(bad.group(0)):04X} in the LaTeX source (a lost backslash escape?)")
    depth = 0
    for tok in _TOKEN_RE.findall(tex):
        if tok == "{":
            depth += 1
        elif tok == "}":
            depth -= 1
            if depth < 0:
                raise TexError("unbalanced braces: '}' without '{'")
    if depth:
        raise TexError("unbalanced braces: '{' without '}'")
    for env in _ENV_RE.findall(tex):
        if env.strip() not in _ENVIRONMENTS:
            raise TexError(f"environment {env!r} not supported")


def _has_top_level_newline(tex: str) -> bool:
    depth = 0
    for tok in _TOKEN_RE.findall(tex):
        if tok in ("{", r"\left") or tok.startswith(r"\begin"):
            depth += 1
        elif tok in ("}", r"\right") or tok.startswith(r"\end"):
            depth -= 1
        elif tok == "\\\\" and depth == 0:
            return True
    return False


def _prepare(tex: str, display: bool) -> str:
    """Apply :data:`SUBSTITUTIONS`, display-style limits and the top-level line-break table."""
    if _SUBST_RE is not None:
        tex = _SUBST_RE.sub(lambda m: _SUBST[m.group(0)], tex)
    if display:
        tex = _LIMITS_RE.sub(r"\1\\limits", tex)
    if _has_top_level_newline(tex):
        tex = r"\begin{array}{l}" + tex + r"\end{array}"
    return tex


def _decode(s: str | None) -> str | None:
    """latex2mathml stores characters as ``&#x...;`` references: turn them into characters."""
    if not s or "&#" not in s:
        return s
    return _CHARREF_RE.sub(lambda m: chr(int(m.group(1), 16) if m.group(1) else int(m.group(2))), s)


@functools.lru_cache(maxsize=4096)
def _styled_char(ch: str, variant: str) -> str:
    """``ch`` in the Unicode mathematical alphanumeric style ``variant`` (itself if none exists)."""
    style = _VARIANT_NAMES.get(variant)
    try:
        name = unicodedata.name(ch)
    except ValueError:
        return ch
    m = re.fullmatch(r"(?:LATIN|GREEK) (CAPITAL|SMALL) LETTER (\w+)|DIGIT (\w+)", name)
    if style is None or m is None:
        return ch
    tail = f"DIGIT {m.group(3)}" if m.group(3) else f"{m.group(1)} {m.group(2)}"
    for prefix in ("MATHEMATICAL " + style, style, _VARIANT_FALLBACK.get(style, "")):
        if not prefix:
            continue
        try:
            return unicodedata.lookup(f"{prefix} {tail}")
        except KeyError:
            continue
    return ch


def _fix_tree(el: Element) -> None:
    """Decode references, check arities and unknown commands, mark accents, map mathvariant."""
    el.text, el.tail = _decode(el.text), _decode(el.tail)
    for k, v in list(el.attrib.items()):
        el.attrib[k] = _decode(v) or ""
    for child in el:  # children first: the accent check reads a decoded <mo>
        _fix_tree(child)
    tag = el.tag
    if tag in _TOKEN_ELEMENTS and el.text and re.match(r"\\[A-Za-z]", el.text):
        raise TexError(f"unknown command {el.text}")
    n = _ARITY.get(tag)
    if n is not None and len(el) != n:
        raise TexError(f"<{tag}> with {len(el)} parts instead of {n}: a command is missing an argument")
    if tag == "mover" and "accent" not in el.attrib and el[1].tag == "mo" and el[1].text in _ACCENT_CHARS:
        el.set("accent", "true")
    variant = el.attrib.get("mathvariant")
    if tag in _TOKEN_ELEMENTS and variant and variant != "normal" and el.text:
        styled = "".join(_styled_char(c, variant) for c in el.text)
        if styled != el.text:
            el.text = styled
            del el.attrib["mathvariant"]


@functools.lru_cache(maxsize=1024)
def _convert(tex: str, display: bool) -> str:
    _check_source(tex)
    try:
        root = _convert_to_element(_prepare(tex, display), display="block" if display else "inline")
    except Exception as exc:  # latex2mathml raises its own exception classes, and IndexError/StopIteration
        raise TexError(f"latex2mathml: {type(exc).__name__} {exc}".strip()) from exc
    if len(root) == 0 or len(root[0]) == 0:
        raise TexError("empty formula")
    for child in root:
        _fix_tree(child)
    # HTML puts <math> in the MathML namespace by itself; the TeX source travels as an annotation
    math = Element("math", {"display": "block" if display else "inline"})
    sem = SubElement(math, "semantics")
    sem.extend(list(root))
    ann = SubElement(sem, "annotation", {"encoding": "application/x-tex"})
    ann.text = tex
    return tostring(math, encoding="unicode")


def tex_to_mathml(tex: str, display: bool = True) -> str:
    """MathML for ``tex`` (math mode) as a ``<math>`` element string, every text escaped.

    Raises :class:`TexError` on what it cannot convert. Results are cached.
    """
    if not isinstance(tex, str):
        raise TexError("not a string")
    if not tex.strip():
        raise TexError("empty formula")
    return _convert(tex, bool(display))


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
    except Exception:  # never crash (RecursionError, MemoryError aside): show the source
        return f"<code class=\"tex\">{_e(tex)}</code>", False
