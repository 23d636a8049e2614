"""claims.report: the self-contained HTML claim report and the comparison page.

Fast (no claims are run): a synthetic results file with every verdict, a fail
with a counterexample, scaling sweeps, a ∀-claim with random/adversarial extras,
loss trajectories, a hostile ``<script>`` claim id, and a result with most
optional fields missing. Checked with ``html.parser`` and string checks; no
browser needed.
"""

from __future__ import annotations

import copy
import json
import math
import pathlib
from html.parser import HTMLParser

import pytest

from claims import report
from claims._mathml import tex_to_html, tex_to_mathml, TexError

XSS = "EVIL/<script>alert(1)</script>"


def _result(cid, verdict, *, paper="allen-zhu-li-song-dnn-convergence.txt", key="azls_dnn", ref="Lemma 7.1",
            family="fc", tex=r"\|h_{i,\ell}\| \le 1 + \omega", tightness=0.8, scalings=(), counterexample=None,
            examples=None, notes="", quantifier="init", wall=1.5, error=None, message=None):
    examples = examples if examples is not None else [
        {"point": {"m": 64 * (k + 1), "L": 3}, "draw": k, "seed": 1000 + k, "trials": 16, "violations": k % 2,
         "p_value": 0.5, "significant": False, "max_ratio": tightness * (0.7 + 0.1 * k), "min_ratio": 0.3,
         "score": tightness} for k in range(3)]
    return {
        "claim_id": cid, "title": f"title of {cid}", "verdict": verdict,
        "message": message or f"{verdict}: 1/48 violations", "decision_rule": "Per example: exact binomial test ...",
        "claim": {"id": cid, "title": f"title of {cid}", "paper": paper, "ref": ref, "source_note": "",
                  "paper_key": key, "family": family, "kind": "theorem", "quantifier": quantifier,
                  "adversary": "pgd" if quantifier == "forall" else None, "failure_prob": 0.05,
                  "statement_tex": tex,
                  "bound": {"kind": "upper", "constant": 1.0, "lower_constant": None, "provenance": "explicit",
                            "shape_tex": r"\omega^{2/3} m"},
                  "regime": [{"name": "m", "type": "int", "low": 64, "high": 4096, "log": True, "limit": "width"},
                             {"name": "L", "type": "choice", "options": [2, 3, 4], "limit": "depth"}],
                  "tags": [], "notes": notes, "dtype": "float64", "scalings": []},
        "stats": {"examples_planned": 3, "examples_run": 3, "trials_per_example": 16, "total_trials": 48,
                  "total_violations": 1, "violation_rate": 1 / 48, "violation_rate_ci": [0.0005, 0.14],
                  "ci_level": 0.99, "failure_prob": 0.05, "alpha": 0.01, "alpha_per_test": 0.0025, "n_tests": 4,
                  "critical_count": 5, "power": 0.34, "power_target": 0.9, "max_detectable_rate": 0.5,
                  "tightness": tightness, "max_ratio": tightness, "min_ratio": 0.3, "shrink_runs": 0,
                  "fitted_exponents": [{"param": s["param"], "slope": s["slope"], "ci": s["ci"],
                                        "claimed": s["exponent"], "relation": s["relation"], "verdict": s["verdict"]}
                                       for s in scalings]},
        "examples": examples, "scalings": list(scalings), "counterexample": counterexample,
        "worst_example": examples[-1] if examples else None, "findings": [], "error": error, "seed": 7,
        "profile": {"name": "ci", "max_examples": 3, "trials": 16, "limits": {"width": 1024, "depth": 8},
                    "alpha": 0.01, "power_target": 0.9, "max_detectable_rate": 0.5},
        "device": "cpu", "dtype": "float64",
        "versions": {"python": "3.11.7", "torch": "2.13.0+cpu", "numpy": "2.4.6", "hypothesis": "6.170.15",
                     "ovpcheck": "0.1.0"},
        "wall_time_s": wall, "started": "2026-11-22T08:00:00+00:00", "version": 1,
    }


def _scaling(param="omega", slope=0.66, ci=(0.6, 0.72), exponent=2 / 3, verdict="ok"):
    grid = [0.01, 0.03, 0.1, 0.3]
    return {"param": param, "exponent": exponent, "relation": "at_most", "tolerance": 0.0, "series": "values",
            "note": "", "grid": grid, "dropped": [], "base": {"m": 256}, "verdict": verdict,
            "message": f"slope {slope}", "slope": slope, "ci": list(ci), "ci_level": 0.9975, "trials": 16,
            "bootstrap_reps": 2000, "max_ratio": 0.7, "means": [2.0 * g ** slope for g in grid]}


def make_results(complete=True):
    """A synthetic results document covering every rendering path."""
    cex = {"point": {"m": 13, "L": 2}, "draw": 0, "seed": 2552086458221780553, "trials": 16, "violations": 13,
           "p_value": 5.9e-15, "significant": True, "max_ratio": 2.25, "min_ratio": 0.74, "score": 2.25,
           "values": [1.8, 2.25, 1.9, 1.3, 0.74, 1.1, 1.2, 1.5, 1.6, 1.7, 1.05, 1.01, 1.02, 0.9, 0.8, 1.4],
           "ratios": [1.8, 2.25, 1.9, 1.3, 0.74, 1.1, 1.2, 1.5, 1.6, 1.7, 1.05, 1.01, 1.02, 0.9, 0.8, 1.4],
           "bound_upper": 1.0, "bound_lower": None, "extras": {},
           "reproduce": "python -m claims reproduce 'ZCZG/A.4' --point '{\"L\": 2, \"m\": 13}' --seed 2552086458221780553 "
                        "--trials 16 --device cpu --dtype float64 --profile ci",
           "reproduce_python": "claims.reproduce(claim, point={\"L\": 2, \"m\": 13}, seed=2552086458221780553, trials=16)"}
    fa = _result("ZCZG/A.4", "fail", paper="zou-cao-zhou-gu-deep-relu-gd.txt", key="zczg", ref="Lemma A.4",
                 tex=r"\frac{1}{m}\sum_{j=1}^{m} \mathbb{1}[\tilde{\sigma}_j \ne \sigma_j] \le C \tau^{2/3}",
                 tightness=2.25, counterexample=cex)
    fa["worst_example"] = dict(cex)
    adv = _result("AZLS-DNN/Step2a", "pass", ref="Sec. 4, Step 2(a)", quantifier="forall",
                  tex=r"\left|\{k : \mathrm{sign}(g'_k) \ne \mathrm{sign}(g_k)\}\right| \le O(m \omega^{2/3} L)",
                  scalings=[_scaling()])
    adv["examples"][0]["extras"] = {"random_flips": [3, 4, 5, 4, 6], "adversarial_flips": [30, 41, 38, 35, 44]}
    adv["worst_example"] = adv["examples"][0]
    conv = _result("AZLS-RNN/Thm1", "inconclusive", paper="allen-zhu-li-song-rnn-convergence.txt", key="azls_rnn",
                   ref="Theorem 1", family="rnn",
                   tex=r"f(W^{(T)}) \le \varepsilon \text{ for } T = \widetilde{O}\left(\frac{n^6 \rho^2}{\delta^2} \log \frac{1}{\varepsilon}\right)",
                   scalings=[_scaling("m", slope=-0.98, ci=(-1.1, -0.9), exponent=-1.0)])
    conv["trajectories"] = [{"width": w, "step": list(range(0, 200, 10)),
                             "loss": [math.exp(-s / (400 / w * 64)) for s in range(0, 200, 10)]} for w in (64, 128, 256)]
    err = _result("ZCZG/Thm3.3", "error", paper="zou-cao-zhou-gu-deep-relu-gd.txt", key="zczg", ref="Theorem 3.3",
                  tex=r"\unsupportedmacro{x} \le 1", error="MeasureError: NaN in 3 of 16 trials\nTraceback ...",
                  examples=[])
    xss = _result(XSS, "pass", notes="note <script>alert(2)</script> & <b>bold</b>",
                  tex=r"\text{<script>alert(3)</script>} \le 1", message="<img src=x onerror=alert(4)>")
    sparse = {"claim_id": "MINIMAL/only-verdict", "verdict": "pass"}  # almost everything missing
    return {"schema": "ovpcheck-results", "version": 1, "created": "2026-11-22T08:30:00+00:00", "profile": "ci",
            "complete": complete, "git_commit": "0123456789abcdef0123456789abcdef01234567",
            "results": [fa, adv, conv, err, xss, sparse]}


def _write(tmp_path, doc, name="claims.json"):
    p = tmp_path / name
    p.write_text(json.dumps(doc), encoding="utf-8")
    return p


class _Collect(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.attrs, self.scripts, self._in_script, self.text = [], [], [], False, []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs.append((tag, dict(attrs)))
        self._in_script = tag == "script"
        if tag == "script":
            self.scripts.append("")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.scripts[-1] += data
        else:
            self.text.append(data)


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    d = tmp_path_factory.mktemp("rep")
    src = _write(d, make_results())
    out = report.render_html(src, d / "sub" / "claims.html")
    html = pathlib.Path(out).read_text(encoding="utf-8")
    parser = _Collect()
    parser.feed(html)
    return html, parser


def test_self_contained(page):
    html, p = page
    for tag, attrs in p.attrs:
        for k in ("src", "href", "srcset", "data", "action", "poster"):
            v = (attrs.get(k) or "").strip().lower()
            assert not v.startswith(("http:", "https:", "//", "file:")), (tag, k, v)
        if tag == "link":
            raise AssertionError(f"external <link>: {attrs}")
        if tag == "script":
            assert "src" not in attrs
    assert "@import" not in html and "url(http" not in html and "fonts.googleapis" not in html
    assert p.scripts and all("</" not in s for s in p.scripts)
    assert html.count("<script") == 1  # only our inline script; the hostile ones are escaped


def test_escaping(page):
    html, p = page
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in html  # note
    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(4)&gt;" in html
    assert "<b>bold</b>" not in html
    assert not any(t == "img" for t in p.tags)
    # the claim id shows as text
    assert XSS in "".join(p.text)


def test_header_counts_and_metadata(page):
    html, p = page
    text = " ".join(" ".join(p.text).split())
    assert "1 fail" in text and "1 error" in text and "1 inconclusive" in text and "3 pass" in text
    assert "6 claims" in text
    assert "0123456789abcdef0123456789abcdef01234567" in html
    assert "2.13.0+cpu" in html and "float64" in html and "cpu" in html
    assert "α = 0.01" in html and "Bonferroni" in html and "0.9" in html


def test_summary_table_rows(page):
    html, p = page
    rows = [a for t, a in p.attrs if t == "tr" and "data-claim" in a]
    ids = [a["data-claim"] for a in rows]
    # one summary row and one section per claim
    for cid in ("ZCZG/A.4", "AZLS-DNN/Step2a", "AZLS-RNN/Thm1", "ZCZG/Thm3.3", XSS, "MINIMAL/only-verdict"):
        assert ids.count(cid) == 1
    verdicts = {a["data-claim"]: a["data-verdict"] for a in rows}
    assert verdicts["ZCZG/A.4"] == "fail" and verdicts["ZCZG/Thm3.3"] == "error"
    assert {a["data-paper"] for a in rows} >= {"zczg", "azls_dnn", "azls_rnn"}
    assert 'id="filters"' in html and "sortable" in html


def test_plots_math_and_counterexample(page):
    html, p = page
    assert p.tags.count("svg") >= 5  # scaling x2, strips, random-vs-adversarial, trajectories
    assert "Scaling in omega" in html and "Random vs adversarial" in html and "Training loss" in html
    assert p.tags.count("math") >= 4 and "<msup>" in html and "<mfrac>" in html and "∑" in html
    assert "<mi>ω</mi>" in html
    # unparseable LaTeX falls back to escaped source in <code>
    assert '<code class="tex">\\unsupportedmacro{x} \\le 1</code>' in html
    # the counterexample and its exact reproduction command
    assert "Counterexample" in html and "2552086458221780553" in html
    assert "python -m claims reproduce &#39;ZCZG/A.4&#39;" in html
    # the missing-everything result still renders
    assert "MINIMAL/only-verdict" in html and "—" in html


def test_incomplete_banner(tmp_path):
    src = _write(tmp_path, make_results(complete=False))
    html = pathlib.Path(report.render_html(src, tmp_path / "r.html")).read_text(encoding="utf-8")
    assert "Incomplete run" in html


def test_bad_files_raise_clear_errors(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(ValueError, match="not valid JSON"):
        report.render_html(bad, tmp_path / "x.html")
    bad.write_text(json.dumps({"schema": "other"}), encoding="utf-8")
    with pytest.raises(ValueError, match="not an ovpcheck-results file"):
        report.render_html(bad, tmp_path / "x.html")
    bad.write_text(json.dumps({"schema": "ovpcheck-results", "version": 99, "results": []}), encoding="utf-8")
    with pytest.raises(ValueError, match="version 99"):
        report.render_html(bad, tmp_path / "x.html")


def test_empty_results_render(tmp_path):
    src = _write(tmp_path, {"schema": "ovpcheck-results", "version": 1, "results": [], "git_commit": "abc"})
    html = pathlib.Path(report.render_html(src, tmp_path / "r.html")).read_text(encoding="utf-8")
    assert "0 claims" in " ".join(html.split()).replace("<b>0</b>claims", "0 claims")


def test_comparison_lists_changes(tmp_path):
    old = make_results()
    new = copy.deepcopy(old)
    by = {r["claim_id"]: r for r in new["results"]}
    by["AZLS-DNN/Step2a"]["verdict"] = "fail"                 # regression
    by["ZCZG/A.4"]["verdict"] = "pass"                         # improvement
    by[XSS]["verdict"] = "inconclusive"                        # hostile id on the comparison page
    by["AZLS-RNN/Thm1"]["stats"]["tightness"] = 0.8 * 3        # tightness moved x3
    sc = by["AZLS-DNN/Step2a"]["scalings"][0]
    sc["slope"], sc["ci"] = 0.9, [0.85, 0.95]                  # exponent CI moved
    new["results"].append(_result("NEW/claim", "pass"))
    a, b = _write(tmp_path, old, "old.json"), _write(tmp_path, new, "new.json")
    html = pathlib.Path(report.render_comparison(a, b, tmp_path / "cmp.html")).read_text(encoding="utf-8")
    assert "regression" in html and "AZLS-DNN/Step2a" in html and "improvement" in html
    assert "×3" in html and "0.85" in html and "NEW/claim" in html
    assert "<script>alert" not in html and html.count("<script") == 1
    assert "EVIL/&lt;script&gt;alert(1)&lt;/script&gt;" in html
    cmp = report.compare_results(old, new, tightness_factor=1.5)
    assert {r["id"] for r in cmp["verdict"]} == {"AZLS-DNN/Step2a", "ZCZG/A.4", XSS}
    assert [r["id"] for r in cmp["tightness"]] == ["AZLS-RNN/Thm1"]
    assert [(r["id"], r["param"]) for r in cmp["exponents"]] == [("AZLS-DNN/Step2a", "omega")]
    assert [r["id"] for r in cmp["added"]] == ["NEW/claim"]
    assert cmp["unchanged"] == 2
    with pytest.raises(ValueError, match="tightness_factor"):
        report.compare_results(old, new, tightness_factor=0.5)


def test_cli_main(tmp_path, capsys):
    src = _write(tmp_path, make_results())
    assert report.main(["render", str(src), "-o", str(tmp_path / "a.html")]) == 0
    assert (tmp_path / "a.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert report.main(["compare", str(src), str(src), "-o", str(tmp_path / "c.html")]) == 0
    assert report.main(["render", str(tmp_path / "missing.json")]) == 2
    assert "error" in capsys.readouterr().err


@pytest.mark.parametrize("tex, needle", [
    (r"\|W'\|_2 \le \omega", "<msub>"),
    (r"1 - e^{-\Omega(m/L^2)}", "<msup>"),
    (r"\frac{a}{b} \cdot \sqrt{m}", "<msqrt>"),
    (r"\max_{\ell \le L} \min_{i} \phi(x) \ge \delta", "<munder>"),
    (r"\sum_{i=1}^{n} \sigma_i", "<munderover>"),
    (r"\widetilde{O}(\epsilon) + \tilde{x}", 'accent="true"'),
    (r"\mathrm{poly}(n, L) \omega^{2/3}", 'mathvariant="normal"'),
    (r"a \\ b", "<mtable"),
])
def test_mathml_subset(tex, needle):
    html, ok = tex_to_html(tex)
    assert ok and html.startswith("<math") and needle in html


@pytest.mark.parametrize("bad", [r"\frac{1}", "{", "}", r"\left( x", r"\nosuch", "x^", r"\begin{tikz}x\end{tikz}"])
def test_mathml_fallback_never_raises(bad):
    with pytest.raises(TexError):
        tex_to_mathml(bad)
    html, ok = tex_to_html(bad)
    assert not ok and html.startswith('<code class="tex">')


def test_mathml_prose_with_dollars_and_escaping():
    html, ok = tex_to_html(r"With probability $1-\delta$: <b> & $\|x\| \le 1$")
    assert ok and html.count("<math") == 2 and "&lt;b&gt; &amp;" in html
    assert tex_to_html(None)[1] is False and tex_to_html("")[1] is False


def test_trajectories_from_loss_extras_one_line_per_width():
    doc = make_results()
    r = doc["results"][2]
    r.pop("trajectories")
    for i, e in enumerate(r["examples"]):
        e["point"] = {"m": 64 * 2 ** i}
        if i % 2:
            e["extras_mean"] = {f"loss@{t}": 2.0 ** (-t * (i + 1) / 50) for t in range(0, 200, 20)}
        else:
            e["extras"] = {f"loss@{t}": [2.0 ** (-t * (i + 1) / 50)] * 4 for t in range(0, 200, 20)}
    html = report.build_html(doc)
    assert "Training loss" in html and all(f"m = {64 * 2 ** i}" in html for i in range(3))


def test_random_vs_adversarial_from_paired_sweeps():
    doc = make_results()
    r = doc["results"][1]                      # the forall claim
    r["examples"][0].pop("extras")
    r["worst_example"] = r["examples"][0]
    adv = r["scalings"][0]
    rnd = dict(adv, series="random", means=[m / 10 for m in adv["means"]])
    r["scalings"] = [adv, rnd]
    html = report.build_html(doc)
    assert "Random vs adversarial in omega" in html and "random: random (geometric mean)" in html


def test_tick_labels_distinct_and_exact():
    from claims._svg import _tick_labels
    assert _tick_labels([0.95, 0.975, 1.0, 1.025, 1.05]) == ["0.95", "0.975", "1", "1.025", "1.05"]
    assert _tick_labels([0.01, 0.1, 1, 10]) == ["0.01", "0.1", "1", "10"]
    labels = _tick_labels([1.0425, 1.045, 1.0475])
    assert len(set(labels)) == 3


def test_incomplete_banner_lists_missing_planned_claims(tmp_path):
    doc = make_results(complete=False)
    doc["run"] = {"planned": [r["claim_id"] for r in doc["results"]] + ["NOT/run-yet", "ALSO/<b>missing</b>"]}
    html = report.build_html(doc)
    assert "Incomplete run" in html and "2 of the planned claims have no result" in html
    assert "NOT/run-yet" in html and "ALSO/&lt;b&gt;missing&lt;/b&gt;" in html
