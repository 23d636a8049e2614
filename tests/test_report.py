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


# ----------------------------------------------------------------------------- anytime decision (issue 14)

import functools
import importlib.util
import random
import re

from claims._sequential import cs_upper, log_e_value


@functools.lru_cache(maxsize=None)
def _seq_point(n, v, p0, beta):
    return float(log_e_value(n, v, p0)), cs_upper(n, v, beta)


def _trajectory(counts, p0=0.05, beta=0.1):
    """Engine-shaped trajectory from cumulative (trials, violations) per batch."""
    out = []
    for n, v in counts:
        le, up = _seq_point(n, v, p0, beta)
        out.append({"trials": n, "violations": v, "log_e": le, "cs_upper": up})
    return out


def _anytime(r, trajectories, decisions, *, batch=8, max_trials=64, alpha_ex=0.0025, used=None, budget=None,
             keep_examples=False):
    """Turn a synthetic result into an anytime one (the fields the engine writes); with
    ``keep_examples`` the existing examples (one per trajectory) keep their other fields."""
    old = r["examples"] if keep_examples else [{} for _ in trajectories]
    r["examples"] = [
        {"point": {"m": 64 * (k + 1), "L": 3}, "draw": k, "seed": 1000 + k, "max_ratio": 0.5, "min_ratio": 0.3,
         "score": 0.5, **e, "trials": tr[-1]["trials"], "violations": tr[-1]["violations"],
         "p_value": min(1.0, math.exp(-float(tr[-1]["log_e"]))), "significant": dec == "fail", "decision": dec,
         "log_e": tr[-1]["log_e"], "trajectory": tr}
        for k, (tr, dec, e) in enumerate(zip(trajectories, decisions, old))]
    n_ex = len(trajectories)
    st = r["stats"]
    st.update(decision="anytime", trials_budget_per_example=max_trials,
              trials_budget=budget if budget is not None else max_trials * n_ex,
              trials_used=used if used is not None else sum(tr[-1]["trials"] for tr in trajectories),
              alpha_per_test=alpha_ex, critical_count=None, fail_power=0.99, examples_planned=n_ex,
              examples_run=n_ex, max_detectable_rate=0.5, failure_prob=0.05, power_target=0.9)
    st["total_trials"] = sum(tr[-1]["trials"] for tr in trajectories)
    r["profile"].update(decision="anytime", batch=batch, max_trials=max_trials)
    if not keep_examples:
        r["worst_example"] = r["examples"][0]
    return r


def _section(html, cid):
    i = html.index(f'data-claim="{cid}" data-paper', html.index('<h2 id="claims">'))
    j = html.find("<section", i)
    return html[i:j if j > 0 else len(html)]


def _traj_svgs(html):
    return re.findall(r'<svg class="plot traj".*?</svg>', html, re.S)


def _points(polyline):
    return [tuple(int(c) for c in p.split(",")) for p in polyline.split()]


def test_evidence_plot_anytime_places_values_and_threshold():
    doc = make_results()
    r = doc["results"][1]
    fail_tr = _trajectory([(8, 2), (16, 5), (24, 9)])          # reaches the threshold: log E >= log(400)
    pass_tr = _trajectory([(8, 0)])
    assert fail_tr[-1]["log_e"] >= math.log(400) > fail_tr[-2]["log_e"]
    _anytime(r, [fail_tr, pass_tr], ["fail", "pass"], max_trials=32)
    html = report.build_html(doc)
    sec = _section(html, r["claim_id"])
    svgs = _traj_svgs(sec)
    assert len(svgs) == 1
    svg = svgs[0]
    assert "Anytime evidence: all 2 examples" in svg and 'role="img"' in svg and "aria-label=" in svg
    polys = re.findall(r'<polyline points="([^"]*)"/>', svg)
    assert len(polys) == 4                                    # one per example in each panel
    # drawn pass first, the fail on top; each curve starts at (0 trials, log E = 0, CS upper = 1)
    top_pass, bot_pass, top_fail, bot_fail = (_points(p) for p in polys)
    assert len(top_fail) == 4 and len(bot_fail) == 4 and top_fail[0] == top_pass[0] and bot_fail[0] == bot_pass[0]
    # x is affine in the trials: 0, 8, 16, 24 evenly spaced; the budget (32) is the last quarter
    xs = [x for x, _ in top_fail]
    assert [x for x, _ in bot_fail] == xs and all(abs((xs[k] - xs[0]) - k * (xs[1] - xs[0])) <= 1 for k in range(4))
    assert top_pass[-1][0] == xs[1]
    # y is affine in log E: recover the map from two points and place the threshold line with it
    les = [0.0] + [t["log_e"] for t in fail_tr]
    ys = [y for _, y in top_fail]
    scale = (ys[3] - ys[0]) / (les[3] - les[0])
    assert scale < 0                                          # up is more evidence
    for le, y in zip(les, ys):
        assert abs(ys[0] + scale * le - y) <= 1.0
    thr = math.log(1 / 0.0025)
    ref = re.findall(r'<path d="M(\d+) (\d+)H(\d+)" stroke="([^"]+)"', svg)
    assert len(ref) == 3                                      # threshold, p_det, p0
    (x0, y_thr, x1, c_thr), (_, y_det, _, c_det), (_, y_p0, _, c_p0) = ref
    assert c_thr == "#d62728" and abs(int(y_thr) - (ys[0] + scale * thr)) <= 1.0
    assert ys[3] <= int(y_thr) < ys[2]                       # the last batch crossed it, the one before did not
    assert int(x0) < xs[0] and int(x1) > xs[3]
    # the confidence-sequence panel: affine in the rate, 1 at the start; p_det = 0.5 and p0 = 0.05 lines
    cs = [1.0] + [t["cs_upper"] for t in fail_tr]
    yb = [y for _, y in bot_fail]
    mc, my = sum(cs) / 4, sum(yb) / 4                          # least squares: the points are whole pixels
    sb = sum((c - mc) * (y - my) for c, y in zip(cs, yb)) / sum((c - mc) ** 2 for c in cs)
    assert sb < 0
    for c, y in zip(cs, yb):
        assert abs(my + sb * (c - mc) - y) <= 1.0
    assert abs(int(y_det) - (my + sb * (0.5 - mc))) <= 1.5 and c_det == "#1a7f37"
    assert abs(int(y_p0) - (my + sb * (0.05 - mc))) <= 1.5
    # the pass example's CS upper bound ended below p_det, the fail's above
    assert bot_pass[-1][1] > int(y_det) > bot_fail[-1][1]
    # legend, colours by decision, hover titles, caption
    assert "log(1/α_ex) = 5.99" in svg and "p_det = 0.5" in svg and "p0 = 0.05" in svg
    assert 'stroke="#cf222e"' in svg and 'stroke="#1a7f37"' in svg
    assert "<title>#1: fail at 24 trials, 9 violations" in svg and "<title>#2: pass at 8 trials, 0 violations" in svg
    assert "2 curves for all 2 examples." in sec and "fixed-budget test" not in sec
    # the claim's trials used / budget, the stopping counts and the examples table's decisions
    assert "trials 32 / 64 (50%)" in sec and "batches of 8, at most 32 trials per example" in sec
    assert "stopped: 1 fail, 1 pass" in sec
    assert "<th>Stopped</th>" in sec and "<td>fail</tr>" in sec and "<td>pass</tr>" in sec
    assert "fail when the log e-value ≥ log(1/α_ex) = 5.99" in sec
    assert "an example at that rate fails within its budget with probability 0.99" in sec


def test_evidence_plot_caps_curves_and_merges_identical_trajectories():
    doc = make_results()
    r = doc["results"][1]
    # 12 examples: 9 distinct inconclusive trajectories, one pass far from a fail, 2 identical passes
    rng = random.Random(3)
    trs, decs = [], []
    for k in range(9):
        v, counts = 0, []
        for n in range(8, 65, 8):
            v += rng.randint(0, 2) + (k % 3 == 0)
            counts.append((n, min(v, n)))
        trs.append(_trajectory(counts))
        decs.append("inconclusive")
    trs += [_trajectory([(8, 1), (16, 1)])] * 2 + [_trajectory([(8, 0)])]   # the pair is nearer to a fail
    decs += ["pass", "pass", "pass"]
    _anytime(r, trs, decs)
    sec = _section(report.build_html(doc), r["claim_id"])
    (svg,) = _traj_svgs(sec)
    assert svg.count("<polyline") == 2 * report._MAX_EVIDENCE_CURVES == 10
    assert svg.count('<g class="c" stroke="#1a7f37"') == 1          # one pass curve kept (one per decision)
    assert svg.count('<g class="c" stroke="#9a6700"') == 4          # the inconclusive ones nearest to a fail
    assert "Anytime evidence: 6 of 12 examples" in svg and "<title>#10, #11: pass at 16 trials, 1 violation," in svg
    assert "5 curves for 6 of 12 examples (those nearest to a fail" in sec
    assert "stopped: 9 inconclusive, 3 pass" in sec
    # with few examples, identical counts share one curve, and the title lists them
    r2 = doc["results"][0]
    same = _trajectory([(8, 0)])
    _anytime(r2, [same, same, same], ["pass"] * 3, max_trials=32)
    sec2 = _section(report.build_html(doc), r2["claim_id"])
    (svg2,) = _traj_svgs(sec2)
    assert svg2.count("<polyline") == 2 and "<title>#1, #2, #3: pass at 8 trials" in svg2
    assert "1 curve for all 3 examples (same counts, same curve)." in sec2


def test_evidence_plot_every_point_inside_its_panel_and_few_points():
    from claims._svg import evidence_plot

    n = list(range(0, 1025, 8))
    series = [{"trials": n, "log_e": [0.01 * k * math.sin(k / 5) for k in range(len(n))],
               "cs_upper": [1 / (1 + 0.05 * k) for k in range(len(n))], "color": "#123456", "title": "t"},
              {"trials": [0, 8, 16], "log_e": [0, 3.0, "inf"], "cs_upper": [1, 0.8, None], "color": "#654321"}]
    svg = evidence_plot(series, threshold=4.0, p_det=0.5, p0=0.05, budget=1024, legend=[("#cf222e", "fail")])
    polys = [_points(p) for p in re.findall(r'points="([^"]*)"', svg)]
    assert len(polys) == 4
    assert all(len(p) <= 32 for p in polys)                   # long trajectories are thinned
    frames = [tuple(map(int, m)) for m in re.findall(r'<rect x="(\d+)" y="(\d+)" width="(\d+)" height="(\d+)"', svg)]
    (ax, ay, aw, ah), (bx, by, bw, bh) = frames
    for (pts, (x, y, w, h)) in zip(polys, [frames[0], frames[1], frames[0], frames[1]]):
        assert all(x <= px <= x + w and y <= py <= y + h for px, py in pts), (pts, (x, y, w, h))
    assert polys[2][-1][1] == ay                              # log E = +inf is drawn at the top of its panel
    assert "fail: log e-value ≥ log(1/α_ex) = 4" in svg and "stopped:" in svg
    assert evidence_plot([{"trials": [], "log_e": [], "cs_upper": []}], threshold=1.0) == ""
    # text from the data is escaped
    bad = evidence_plot([{"trials": [0, 8], "log_e": [0, 1], "cs_upper": [1, 0.5], "title": "<script>x</script>",
                          "color": '"><script>'}], threshold=2.0, title="<b>t</b>")
    assert "<script>" not in bad and "<b>" not in bad


def test_fixed_results_say_no_trajectory_and_show_trials_used():
    doc = make_results()
    html = report.build_html(doc)
    assert not _traj_svgs(html)
    sec = _section(html, "AZLS-DNN/Step2a")
    assert "trials 48 / 48 (100%)" in sec and "fixed-budget test: no trajectory" in sec
    assert "<th>Significant</th>" in sec
    assert "mean 48 per claim over 5 claims (fixed budget)" in " ".join(html.split())
    # an old results file without the new stats fields: the budget is K x examples planned
    r = doc["results"][1]
    r["stats"]["examples_planned"] = 4
    sec = _section(report.build_html(doc), "AZLS-DNN/Step2a")
    assert "trials 48 / 64 (75%)" in sec


def test_anytime_trials_used_in_summary_and_header():
    doc = make_results()
    a, b = doc["results"][1], doc["results"][2]
    _anytime(a, [_trajectory([(8, 0)])] * 2, ["pass"] * 2, used=96, budget=256)
    _anytime(b, [_trajectory([(8, 0)])] * 2, ["pass"] * 2, used=32, budget=256)
    doc["results"] = [a, b] + [r for r in doc["results"] if r is not a and r is not b]
    html = report.build_html(doc)
    text = " ".join(html.split())
    assert "trials 96 / 256 (38%)" in _section(html, a["claim_id"])
    assert "trials 32 / 256 (13%)" in _section(html, b["claim_id"])           # 12.5% rounds half up
    assert "of 256 (38%)" in html and "of 256 (13%)" in html        # the summary table's trials column
    assert "3 examples × ≤ 64 trials (anytime, batches of 8)" in text          # the header's profile line
    assert "3 examples × 16 trials" in " ".join(report.build_html(make_results()).split())
    assert ('<td id="trials-mean">mean 64 per claim over 2 anytime claims (mean budget 256; 128 of 512 budgeted '
            'trials used, 25%)</td>') in text
    # the fixed claims of the same page still say so
    assert "fixed-budget test: no trajectory" in _section(html, "ZCZG/A.4")


def test_anytime_without_trajectories_or_with_garbage_still_renders():
    doc = make_results()
    r = doc["results"][1]
    _anytime(r, [_trajectory([(8, 0)])], ["pass"])
    r["examples"][0]["trajectory"] = [{"trials": "x"}, None, {"trials": 8, "log_e": "nan", "cs_upper": "oops"}]
    sec = _section(report.build_html(doc), r["claim_id"])
    assert not _traj_svgs(sec) and "anytime rule: no example trajectory recorded" in sec
    assert "(no example ran)" not in sec
    r["examples"] = []
    sec = _section(report.build_html(doc), r["claim_id"])
    assert "anytime rule: no example trajectory recorded (no example ran)" in sec
    # an exact claim (p0 = 0): log E = +inf after a violation, written "inf" in the JSON
    tr = [{"trials": 8, "violations": 1, "log_e": "inf", "cs_upper": 0.6}]
    _anytime(r, [tr], ["fail"])
    sec = _section(report.build_html(json.loads(json.dumps(doc))), r["claim_id"])
    (svg,) = _traj_svgs(sec)
    assert svg.count("<polyline") == 2 and "log e ∞" in svg


@pytest.mark.parametrize("relation, sign", [("at_most", "+"), ("at_least", "−"), ("equal", "±")],
                         ids=["at_most", "at_least", "equal"])
def test_scaling_detectable_deviation_shown(relation, sign):
    doc = make_results()
    r = doc["results"][1]
    sc = r["scalings"][0]
    sc["relation"], sc["detectable_deviation"] = relation, 0.1234
    html = report.build_html(doc)
    sec = _section(html, r["claim_id"])
    assert f"detects {sign}0.12 (the smallest exponent error this sweep detects with probability ≥ 0.9)" in sec
    assert f"omega: slope 0.66 · detects {sign}0.12" in sec                     # the sweep's line
    row = html[html.index(f'<tr data-claim="{r["claim_id"]}"'):]
    assert f"vs {'≤' if relation == 'at_most' else '≥' if relation == 'at_least' else '='} 0.6667 · detects {sign}0.12" \
        in row[:row.index("</tr>")]
    sc["message"] = "slope 0.66; detects deviations >= 0.123"   # the engine's message says it: not twice
    assert f"omega: slope 0.66; detects deviations &gt;= 0.123</li>" in _section(report.build_html(doc), r["claim_id"])
    sc["power"] = 0.8                                        # the sweep's own power, when recorded, wins
    assert "detects with probability ≥ 0.8)" in report.build_html(doc)
    sc["detectable_deviation"] = "inf"                       # nothing detectable at this budget
    assert f"detects {sign}∞" in report.build_html(doc)
    del sc["detectable_deviation"]                           # results without the field: nothing shown
    sc["message"] = "slope 0.66"
    assert "detects" not in report.build_html(doc)


def test_anytime_exponent_test_shows_its_bound_and_looks():
    """A sweep decided by the anytime exponent test says what its bound rules out, and draws its looks
    (slope, fail band, pass bound vs trials per grid point) with the claimed exponent, claimed +
    target and claimed + tolerance as reference lines; a malformed trajectory draws nothing."""
    doc = make_results()
    r = doc["results"][1]
    sc = r["scalings"][0]
    sc.update(relation="at_most", exponent=2 / 3, tolerance=0.1, decision="anytime", detectable_deviation=0.094,
              exponent_target=1 / 6, power=0.9, bound_level=0.975, ci_level=1 - 2.5e-6, trials_budget=64,
              trajectory=[[8, 0.80, 0.2, 1.4, 0.5, 1.1], [16, 0.70, 0.4, 1.0, 0.58, 0.82],
                          [32, 0.66, 0.5, 0.82, 0.60, 0.76]], verdict="ok", message="slope 0.66")
    sec = _section(report.build_html(doc), r["claim_id"])
    assert "rules out +0.094" in sec and "an exponent error of 0.167 or more passes with probability ≤ 0.1" in sec
    assert "1 − 2.5e-06 CI" in sec                             # a tiny level is not rounded to "100%"
    assert "Exponent test in omega: 3 looks" in sec and "trials per grid point 8, 16, 32 of 64" in sec
    for lab in ("claimed 0.6667", "claimed + target 0.167 (a pass excludes it)", "claimed + tolerance 0.1",
                "pass bound, upper (0.975)"):
        assert lab in sec, lab
    assert "pass bound, lower" not in sec                       # at_most: only the upper bound matters
    sc["trajectory"] = [[8, "x"], None]
    assert "Exponent test in omega" not in _section(report.build_html(doc), r["claim_id"])
    sc["decision"] = "fixed"                                   # the fixed rule: no looks, "detects"
    sec = _section(report.build_html(doc), r["claim_id"])
    assert "detects +0.094" in sec and "Exponent test in" not in sec


def _bench_module():
    path = pathlib.Path(__file__).parent / "benchmarks" / "bench_report.py"
    spec = importlib.util.spec_from_file_location("bench_report_for_size", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _bench_anytime(doc, batch=8, max_trials=64, seed=0):
    """The 200-claim benchmark results under the anytime rule: every example a trajectory,
    true claims at violation rates up to the allowed 0.05, false ones up to 0.6 (many
    distinct curves: a heavy case for the page size)."""
    rng = random.Random(seed)
    for r in doc["results"]:
        st = r["stats"]
        thr = math.log(1 / st["alpha_per_test"])
        trs, decs = [], []
        for e in r["examples"]:
            q = rng.uniform(0, 0.6 if r["verdict"] == "fail" else 0.05)
            n = v = 0
            counts, dec = [], "inconclusive"
            while n < max_trials:
                v += sum(rng.random() < q for _ in range(batch))
                n += batch
                counts.append((n, v))
                le, up = _seq_point(n, v, 0.05, 0.1)
                if le >= thr:
                    dec = "fail"
                    break
                if up < 0.5:
                    dec = "pass"
                    break
            trs.append(_trajectory(counts))
            decs.append(dec)
        _anytime(r, trs, decs, batch=batch, max_trials=max_trials, alpha_ex=st["alpha_per_test"], keep_examples=True)
    return doc


@pytest.mark.parametrize("decision", ["fixed", "anytime"])
def test_200_claim_report_under_size_limit(decision, tmp_path):
    """The benchmark's 200 realistically sized claims (tests/benchmarks/bench_report.py) stay
    under its 5 MiB limit, also with an evidence plot per claim under the anytime rule."""
    bench = _bench_module()
    doc = bench.synthetic_results()
    if decision == "anytime":
        doc = _bench_anytime(doc)
    src = _write(tmp_path, doc)
    out = report.render_html(src, tmp_path / "r.html", git_commit="0" * 40)
    html = pathlib.Path(out).read_text(encoding="utf-8")
    size = len(html.encode("utf-8"))
    assert size < bench.MAX_BYTES, f"{decision}: {size} bytes for {bench.N_CLAIMS} claims (limit {bench.MAX_BYTES})"
    svgs = _traj_svgs(html)
    if decision == "fixed":
        assert not svgs and html.count("fixed-budget test: no trajectory") == bench.N_CLAIMS
    else:
        assert len(svgs) == bench.N_CLAIMS
        assert max(s.count("<polyline") for s in svgs) == 2 * report._MAX_EVIDENCE_CURVES
        assert max(len(s.encode()) for s in svgs) < 5000     # each evidence plot stays small
