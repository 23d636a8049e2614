"""claims._mathml: the latex2mathml wrapper behind the report's formulas.

Every statement (and bound shape) in the catalog must convert with no fallback;
input that cannot be converted is shown as escaped source and never raises; the
output is always well-formed XML with only MathML (or the fallback's <code>/<span>)
elements in it — checked on fixed cases and on Hypothesis-generated TeX-like text.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest
from hypothesis import given, settings, strategies as st

from claims import catalog
from claims._mathml import SUBSTITUTIONS, TexError, tex_to_html, tex_to_mathml

MATHML_TAGS = {"math", "semantics", "annotation", "mrow", "mi", "mn", "mo", "mtext", "mspace", "ms", "mfrac",
               "msqrt", "mroot", "msub", "msup", "msubsup", "munder", "mover", "munderover", "mmultiscripts",
               "mprescripts", "none", "mtable", "mtr", "mtd", "mstyle", "mpadded", "mphantom", "menclose", "merror"}
WRAPPER_TAGS = {"span", "code"}


def _parse(fragment: str) -> ET.Element:
    """The fragment as XML (wrapped, since prose gives several top-level nodes)."""
    return ET.fromstring(f"<root>{fragment}</root>")


def _tags(fragment: str) -> set[str]:
    return {el.tag for el in _parse(fragment).iter()} - {"root"}


def _catalog_tex() -> list[tuple[str, str, str]]:
    out = []
    for c in catalog.all_claims():
        out.append((c.id, "statement_tex", c.statement_tex))
        shape = getattr(c.bound, "shape_tex", None)
        if shape:
            out.append((c.id, "bound.shape_tex", shape))
    return out


def test_every_catalog_formula_converts_without_fallback():
    items = _catalog_tex()
    assert len(items) >= 100
    bad = []
    for cid, field, tex in items:
        if "\t" in tex:  # legal TeX whitespace, but in the catalog it is a "\text" whose backslash was lost
            bad.append(f"{cid} {field}: tab character (a lost backslash, e.g. '\\text' in a non-raw string)")
            continue
        try:
            mathml = tex_to_mathml(tex, display=field == "statement_tex")
        except TexError as exc:
            bad.append(f"{cid} {field}: {exc}")
            continue
        root = ET.fromstring(mathml)
        assert root.tag == "math" and len(root) == 1 and root[0].tag == "semantics", (cid, mathml)
        assert _tags(mathml) <= MATHML_TAGS, (cid, _tags(mathml) - MATHML_TAGS)
        assert root.find("semantics/annotation").text == tex
        html, ok = tex_to_html(tex)
        assert ok and html.startswith("<math"), (cid, html)
    assert not bad, "catalog LaTeX that does not convert:\n  " + "\n  ".join(bad)


@pytest.mark.parametrize("bad", [
    "{", "}", "x}{", r"\frac{1}", r"\sqrt", r"\left( x", r"x \right)", r"\nosuch x", "x^", "x_", "a^b^c",
    r"\begin{tikz}x\end{tikz}", r"\begin{array}{l} x", "\\frac\x0c{1}{2}", r"\text{<b>} {",
])
def test_fallback_shows_escaped_source(bad):
    with pytest.raises(TexError):
        tex_to_mathml(bad)
    html, ok = tex_to_html(bad)
    assert not ok and html.startswith('<code class="tex">') and html.endswith("</code>")
    root = _parse(html)[0]
    assert root.tag == "code" and len(root) == 0
    assert root.text == re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", lambda m: f"\\x{ord(m.group(0)):02x}", bad)


def test_text_is_escaped_not_markup():
    tex = r"\text{<script>alert(1)</script> & <img src=x onerror=alert(2)>} U \le 1"
    html, ok = tex_to_html(tex)
    assert ok and "<script" not in html and "<img" not in html and "&lt;script&gt;" in html
    assert _tags(html) <= MATHML_TAGS
    mtext = _parse(html).find(".//mtext")
    assert "<script>alert(1)</script>" in mtext.text.replace("\u00a0", " ")


def test_substitution_table_entries_convert():
    assert SUBSTITUTIONS, "document why the table is empty before deleting this test"
    for cmd, replacement in SUBSTITUTIONS:
        mathml = tex_to_mathml(cmd + " x")
        assert "\\" not in "".join(el.text or "" for el in ET.fromstring(mathml).iter() if el.tag != "annotation")
        assert replacement  # the table says what the macro becomes


@pytest.mark.parametrize("tex, char", [
    (r"\mathbb E[X]", "\U0001d53c"), (r"\mathbb{R}^d", "\u211d"), (r"\mathbb{1}[x>0]", "\U0001d7d9"),
    (r"\mathcal Z", "\U0001d4b5"), (r"\mathcal{E}", "\u2130"), (r"\mathfrak R", "\u211c"),
    (r"\boldsymbol{\alpha}", "\U0001d736"),
])
def test_mathvariant_letters_become_unicode(tex, char):
    # MathML Core browsers honour only mathvariant="normal": styled letters must be characters
    mathml = tex_to_mathml(tex)
    assert char in mathml and 'mathvariant="double-struck"' not in mathml and 'mathvariant="script"' not in mathml


def test_display_limits_and_line_breaks():
    assert "<munder>" in tex_to_mathml(r"\max_{\ell \le L} x", display=True)
    assert "<munder>" not in tex_to_mathml(r"\max_{\ell \le L} x", display=False)
    assert "<munderover>" in tex_to_mathml(r"\sum_{i=1}^{n} x_i", display=True)
    two = tex_to_mathml(r"a \le b \\ c \ge d")
    assert two.count("<mtr>") == 2 and "linebreak" not in two
    assert tex_to_mathml(r"\begin{cases} a & x \\ b & y \end{cases}").count("<mtr>") == 2
    assert tex_to_mathml(r"\tilde{x} + \widetilde{O}(1)").count('accent="true"') == 2


def test_prose_with_dollars():
    html, ok = tex_to_html(r"With probability $1-\delta$: <b> & $\|x\| \le 1$")
    assert ok and html.count("<math") == 2 and "&lt;b&gt; &amp;" in html
    assert _tags(html) <= MATHML_TAGS | WRAPPER_TAGS
    assert tex_to_html("only $one dollar")[1] is False
    assert tex_to_html(None) == ('<span class="na">—</span>', False) and tex_to_html("  ")[1] is False
    assert tex_to_html(42) == tex_to_html("42")


def test_conversion_is_cached_and_stable():
    a = tex_to_mathml(r"\frac{1}{m}\sum_j x_j")
    assert tex_to_mathml(r"\frac{1}{m}\sum_j x_j") is a


TEX_PIECES = st.sampled_from([
    "x", "1", " ", "{", "}", "^", "_", "&", "<", ">", "\"", "$", "\\\\", r"\frac", r"\sqrt", r"\left(", r"\right)",
    r"\text{", r"\mathbb", r"\mathcal", r"\le", r"\alpha", r"\tilde", r"\max", r"\sum", r"\begin{cases}",
    r"\end{cases}", r"\Big|", r"\nosuch", r"\arg", "\x0c", "<script>", "&amp;", "&#x41;",
])


@settings(max_examples=300, deadline=None, database=None, derandomize=True)
@given(st.one_of(st.lists(TEX_PIECES, max_size=12).map("".join), st.text(max_size=40)))
def test_never_raises_and_always_well_formed(tex):
    html, ok = tex_to_html(tex)
    tags = _tags(html)  # parses as XML
    assert tags <= MATHML_TAGS | WRAPPER_TAGS, tags
    if ok and not html.startswith("<span"):
        assert html.startswith("<math")
