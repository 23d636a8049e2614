"""The HTML claim report opened in a real browser (headless Chromium via Playwright).

The results file is built from real engine results: ``claims.check`` on cheap
synthetic claims (a false claim that fails with a counterexample, a ∀-claim with
random-vs-adversarial extras and a scaling sweep, a convergence claim with loss
trajectories, a claim whose id and notes carry ``<script>``). The page is then
loaded from ``file://`` with the network blocked and checked for: no console
errors or page errors, one section per claim, every SVG plot drawn and non-empty,
every formula laid out as MathML with a non-empty box, the filter hiding rows,
sorting, and the hostile id shown as text (no alert).

Needs Debian's ``chromium`` (``apt-get install chromium``; ``.ci/run`` installs it)
and the ``playwright`` Python package (the ``test`` extra) — Playwright drives the
system binary through ``executable_path``, it downloads no browser. Without either
the tests are *skipped* with the reason; with a browser present that fails to
start, they fail. ``OVPCHECK_CHROMIUM`` points at another Chromium binary.
"""

from __future__ import annotations

import json
import math
import os
import pathlib
import shutil

import pytest
import torch

import claims
from claims import Bound, Claim, FloatParam, IntParam, Measurement, Profile, Scaling, Source
from claims import report

CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-dev-shm-usage"]
EVIL_ID = "EVIL/<script>alert(1)</script>"
SRC = Source("synthetic.txt", "Fact 1")
FAST = Profile("fast", max_examples=3, trials=12, limits={"width": 64}, alpha=0.01, max_shrinks=8)


# ----------------------------------------------------------------------------- synthetic claims


def _width_measure(point, ctx):
    """Violations only for m > 12: the shrunk counterexample is m = 13."""
    u = torch.rand(ctx.trials, generator=ctx.generator(), dtype=ctx.dtype)
    return u * (1.0 + float(point["m"] > 12)) + 0.5 * float(point["m"] > 12)


def _forall_measure(point, ctx):
    """values: an 'adversary' (largest of 8 draws) of omega^(2/3) * noise; random: one draw."""
    g = ctx.generator()
    z = torch.rand(ctx.trials, 8, generator=g, dtype=ctx.dtype)
    base = point["omega"] ** (2 / 3)
    return Measurement(values=base * (0.5 + 0.5 * z.max(dim=1).values), extras={"random": base * (0.5 + 0.5 * z[:, 0])})


def _convergence_measure(point, ctx):
    """Loss of GD-like linear convergence at rate eta*m/(m+64); values = final/initial loss."""
    m = float(point["m"])
    noise = 1.0 + 0.05 * torch.rand(ctx.trials, generator=ctx.generator(), dtype=ctx.dtype)
    rate = 0.02 * m / (m + 64.0)
    ex = {f"loss@{t}": noise * math.exp(-rate * t) for t in range(0, 201, 20)}
    return Measurement(values=noise * math.exp(-rate * 200), extras=ex)


def _uniform(point, ctx):
    return torch.rand(ctx.trials, generator=ctx.generator(), dtype=ctx.dtype)


FAIL = Claim(id="SYN/false-width", title="A false claim: U(1 + [m > 12]) <= 1", source=SRC,
             statement_tex=r"U \cdot (1 + \mathbb{1}[m > 12]) \le 1", family="fc",
             regime=(IntParam("m", 8, 512, log=True, limit="width"),), measure=_width_measure,
             bound=Bound("upper", lambda p: 1.0, 1.0, provenance="exact"), failure_prob=0.05)
FORALL = Claim(id="SYN/forall-omega", title="sign changes under any ||W'|| <= omega", source=Source("synthetic.txt", "Lemma 8.2"),
               statement_tex=r"\max_{\|W'\|_2 \le \omega} Q(W') \le 1.2\, \omega^{2/3}", family="rnn",
               regime=(FloatParam("omega", 1e-3, 1e-1, log=True),), measure=_forall_measure,
               bound=Bound("upper", lambda p: p["omega"] ** (2 / 3), 1.2, provenance="exact", shape_tex=r"\omega^{2/3}"),
               failure_prob=0.0,
               quantifier="forall", adversary="best of 8 random directions",
               scalings=(Scaling("omega", 2 / 3, "at_most", grid=(1e-3, 1e-2, 1e-1)),))
CONV = Claim(id="SYN/converge", title="GD converges linearly at every width", source=Source("synthetic.txt", "Theorem 1"),
             statement_tex=r"F(W^{(T)}) \le e^{-\eta T / 4} F(W^{(0)})", family="fc",
             regime=(IntParam("m", 16, 64, log=True, limit="width"),), measure=_convergence_measure,
             bound=Bound("upper", lambda p: 1.0, 1.0, provenance="exact"), failure_prob=0.05)
EVIL = Claim(id=EVIL_ID, title="hostile <script>alert(2)</script> title", source=SRC,
             statement_tex=r"\text{<script>alert(3)</script>} U \le 1", family="sanity",
             regime=(IntParam("n", 1, 100),), measure=_uniform,
             bound=Bound("upper", lambda p: 1.0, 0.999, provenance="exact"), failure_prob=0.05,
             notes="a note with <img src=x onerror=alert(4)> and <script>alert(5)</script>")


def _results_doc() -> dict:
    fail, forall, conv, evil = FAIL, FORALL, CONV, EVIL
    rs = [claims.check(c, profile=FAST, seed=1).to_dict() for c in (fail, forall, conv, evil)]
    by = {r["claim_id"]: r for r in rs}
    assert by["SYN/false-width"]["verdict"] == "fail", by["SYN/false-width"]["message"]
    # the engine keeps the worst example's per-trial extras (random vs adversarial) and
    # every example's extras_mean (the loss@<step> curves, one per width)
    assert by["SYN/forall-omega"]["worst_example"]["extras"]["random"]
    assert all("loss@0" in e["extras_mean"] for e in by["SYN/converge"]["examples"])
    return {"schema": "ovpcheck-results", "version": 1, "created": "2026-12-01T00:00:00+00:00", "profile": "fast",
            "complete": True, "git_commit": "0" * 40, "results": rs}


# ----------------------------------------------------------------------------- browser


def _chromium() -> str | None:
    env = os.environ.get("OVPCHECK_CHROMIUM")
    if env:
        return env
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        p = shutil.which(name)
        if p:
            return p
    return None


@pytest.fixture(scope="module")
def browser():
    exe = _chromium()
    if exe is None:
        pytest.skip("no Chromium binary found (install Debian's 'chromium' package: apt-get install chromium; "
                    ".ci/run does this) — the in-browser report test did NOT run")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("the 'playwright' Python package is not installed (pip install -e '.[test]') — "
                    "the in-browser report test did NOT run")
    with sync_playwright() as pw:
        try:
            b = pw.chromium.launch(executable_path=exe, headless=True, args=CHROMIUM_FLAGS, timeout=60_000)
        except Exception as exc:  # a browser that is there but cannot start is a failure, not a skip
            pytest.fail(f"Chromium at {exe} is installed but failed to start under Playwright: {exc}")
        yield b
        b.close()


@pytest.fixture(scope="module")
def report_file(tmp_path_factory):
    d = tmp_path_factory.mktemp("browser-report")
    doc = _results_doc()
    src = d / "claims.json"
    src.write_text(json.dumps(doc), encoding="utf-8")
    out = report.render_html(src, d / "claims.html")
    return pathlib.Path(out), doc


@pytest.fixture()
def page(browser, report_file):
    path, doc = report_file
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000}, java_script_enabled=True)
    pg = ctx.new_page()
    pg.set_default_timeout(5_000)
    log = {"console": [], "errors": [], "dialogs": [], "requests": []}
    pg.on("console", lambda m: log["console"].append((m.type, m.text)))
    pg.on("pageerror", lambda e: log["errors"].append(str(e)))

    def on_dialog(d):
        log["dialogs"].append(d.message)
        d.dismiss()

    pg.on("dialog", on_dialog)

    def on_route(route):
        url = route.request.url
        if url.startswith("file://") and url.split("#")[0] == path.as_uri():
            route.continue_()
        else:
            log["requests"].append(url)
            route.abort()

    pg.route("**/*", on_route)
    pg.goto(path.as_uri(), wait_until="load")
    yield pg, log, doc
    ctx.close()


def test_page_loads_without_errors_or_network(page):
    pg, log, doc = page
    assert pg.evaluate("document.documentElement.classList.contains('js')")
    errors = [t for k, t in log["console"] if k in ("error", "assert")]
    assert not errors and not log["errors"], (errors, log["errors"])
    assert not log["requests"], f"the page requested external resources: {log['requests']}"
    assert not log["dialogs"], f"a script from the JSON ran: {log['dialogs']}"


def test_every_claim_section_and_plot(page):
    pg, log, doc = page
    ids = [r["claim_id"] for r in doc["results"]]
    sections = pg.eval_on_selector_all("section.claim", "els => els.map(e => e.dataset.claim)")
    assert sections == ids
    rows = pg.eval_on_selector_all("#summary tbody tr", "els => els.map(e => e.dataset.claim)")
    assert sorted(rows) == sorted(ids)
    # every plot is drawn: a real box and marks inside its frame
    plots = pg.eval_on_selector_all("svg.plot", """els => els.map(s => {
        const r = s.getBoundingClientRect();
        return {w: r.width, h: r.height, marks: s.querySelectorAll('circle, path, polyline, polygon, line[stroke-width]').length,
                text: s.querySelectorAll('text').length, claim: s.closest('section').dataset.claim,
                title: (s.querySelector('.ptitle') || {}).textContent || ''}; })""")
    assert len(plots) >= 7, plots
    for p in plots:
        assert p["w"] > 200 and p["h"] > 150 and p["marks"] > 0 and p["text"] >= 3, p
    titles = {(p["claim"], p["title"]) for p in plots}
    assert ("SYN/forall-omega", "Random vs adversarial") in titles
    assert ("SYN/forall-omega", "Scaling in omega") in titles
    assert ("SYN/converge", "Training loss") in titles
    for cid in ids:
        assert any(p["claim"] == cid for p in plots), f"no plot for {cid}"
    # the statements rendered as MathML with a real layout box
    h = pg.eval_on_selector_all("section.claim .statement math", "els => els.map(e => e.getBoundingClientRect().height)")
    assert len(h) >= 3 and all(x > 5 for x in h), h


def test_every_formula_renders_as_mathml(page):
    """Every <math> (statements, display; bound shapes, inline) is laid out by the
    browser's MathML engine with a non-empty box, and none fell back to source."""
    pg, log, doc = page
    boxes = pg.eval_on_selector_all("math", """els => els.map(e => { const r = e.getBoundingClientRect();
        return {w: r.width, h: r.height, css: getComputedStyle(e).display, mode: e.getAttribute('display'),
                ns: e.namespaceURI, claim: e.closest('section').dataset.claim}; })""")
    assert len(boxes) == len(doc["results"]) + 1, boxes       # one statement per claim, one bound shape
    assert [b["mode"] for b in boxes].count("inline") == 1
    for b in boxes:
        assert b["w"] > 0 and b["h"] > 0, b
        assert b["ns"] == "http://www.w3.org/1998/Math/MathML", b
        # MathML layout, not unknown inline elements ("inline math" serialises as "math")
        assert b["css"] == ("block math" if b["mode"] == "block" else "math"), b
    assert pg.locator("code.tex").count() == 0
    # the hostile \text{<script>...} statement is MathML text, not a script
    assert "<script>alert(3)</script>" in pg.locator(f'section.claim[data-claim="{EVIL_ID}"] .statement mtext').text_content()


def test_counterexample_and_copyable_command(page):
    pg, log, doc = page
    sec = pg.locator('section.claim[data-claim="SYN/false-width"]')
    assert "Counterexample" in sec.inner_text()
    cmd = sec.locator("pre[id$='-repro']").inner_text()
    fail = next(r for r in doc["results"] if r["claim_id"] == "SYN/false-width")
    assert cmd == fail["counterexample"]["reproduce"] and "reproduce" in cmd and "--seed" in cmd
    assert sec.locator("button.copy").first.is_visible()


def test_filter_and_sort(page):
    pg, log, doc = page
    visible = "() => [...document.querySelectorAll('#summary tbody tr')].filter(r => r.offsetParent !== null).map(r => r.dataset.claim)"
    assert len(pg.evaluate(visible)) == 4
    pg.select_option("#filters select[name=verdict]", "fail")
    assert pg.evaluate(visible) == ["SYN/false-width"]
    assert pg.locator('section.claim[data-claim="SYN/converge"]').is_hidden()
    assert pg.locator('section.claim[data-claim="SYN/false-width"]').is_visible()
    assert pg.inner_text("#shown") == "1"
    pg.select_option("#filters select[name=verdict]", "")
    pg.select_option("#filters select[name=family]", "rnn")
    assert pg.evaluate(visible) == ["SYN/forall-omega"]
    pg.select_option("#filters select[name=family]", "")
    pg.fill("#filters input[name=q]", "EVIL")
    assert pg.evaluate(visible) == [EVIL_ID]
    pg.fill("#filters input[name=q]", "")
    assert len(pg.evaluate(visible)) == 4
    # sorting by verdict puts the fail first, clicking again reverses
    pg.click("#summary thead th:nth-child(4)")
    assert pg.evaluate(visible)[0] == "SYN/false-width"
    pg.click("#summary thead th:nth-child(4)")
    assert pg.evaluate(visible)[-1] == "SYN/false-width"


def test_filter_from_url_hash(browser, report_file):
    path, doc = report_file
    pg = browser.new_page()
    pg.goto(path.as_uri() + "#verdict=fail")
    vis = pg.eval_on_selector_all("#summary tbody tr", "els => els.filter(r => r.offsetParent !== null).length")
    assert vis == 1 and pg.input_value("#filters select[name=verdict]") == "fail"
    pg.close()


def test_hostile_id_stays_text(page):
    pg, log, doc = page
    assert pg.evaluate("document.querySelectorAll('script').length") == 1
    assert pg.evaluate("document.querySelectorAll('img').length") == 0
    sec = pg.locator("section.claim").nth(3)
    assert sec.get_attribute("data-claim") == EVIL_ID
    assert EVIL_ID in sec.locator(".claimid").inner_text()
    assert "<img src=x onerror=alert(4)>" in sec.inner_text()
    assert EVIL_ID in pg.locator("#summary").inner_text()
    assert not log["dialogs"]


def test_readable_with_scripts_off(browser, report_file):
    path, doc = report_file
    ctx = browser.new_context(java_script_enabled=False)
    pg = ctx.new_page()
    pg.goto(path.as_uri())
    assert pg.locator("#filters").is_hidden()               # controls that need JS are not shown
    assert pg.locator("#summary tbody tr").count() == len(doc["results"])
    assert all(pg.locator("section.claim").nth(i).is_visible() for i in range(len(doc["results"])))
    assert pg.locator("svg.plot").count() >= 7
    ctx.close()


def test_desktop_layout_has_no_overlaps(page, tmp_path):
    """At 1400 px: no horizontal scrollbar, summary cells don't overflow, plot figures
    don't overlap each other; a screenshot is saved for a human look."""
    pg, log, doc = page
    assert pg.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    overlaps = pg.evaluate("""() => {
        const out = [];
        document.querySelectorAll('.plots').forEach(box => {
          const f = [...box.querySelectorAll(':scope > figure')].map(e => e.getBoundingClientRect());
          for (let i = 0; i < f.length; i++) for (let j = i + 1; j < f.length; j++) {
            const a = f[i], b = f[j];
            if (a.left < b.right - 1 && b.left < a.right - 1 && a.top < b.bottom - 1 && b.top < a.bottom - 1) out.push([i, j]);
          }
        });
        return out; }""")
    assert overlaps == []
    # inside every plot: no two labels overlap, none spills out of the SVG, axes are labelled
    bad = pg.evaluate("""() => { const out = [];
      document.querySelectorAll('svg.plot').forEach(s => {
        const R = s.getBoundingClientRect(), who = s.closest('section').dataset.claim;
        const t = [...s.querySelectorAll('text')].map(e => [e.getBoundingClientRect(), e.textContent]);
        for (let i = 0; i < t.length; i++) {
          const a = t[i][0];
          if (a.left < R.left - 1 || a.right > R.right + 1 || a.top < R.top - 1 || a.bottom > R.bottom + 1)
            out.push([who, 'outside', t[i][1]]);
          for (let j = i + 1; j < t.length; j++) { const b = t[j][0];
            if (a.left < b.right - 1 && b.left < a.right - 1 && a.top < b.bottom - 1 && b.top < a.bottom - 1)
              out.push([who, 'overlap', t[i][1], t[j][1]]); }
        }
        const labels = [...s.querySelectorAll('text.alabel')].filter(e => e.textContent.trim());
        if (labels.length < 1) out.push([who, 'no axis label']);
      });
      return out; }""")
    assert bad == []
    shot = pathlib.Path(os.environ.get("OVPCHECK_SCREENSHOT_DIR", tmp_path)) / "report-1400.png"
    shot.parent.mkdir(parents=True, exist_ok=True)
    pg.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
