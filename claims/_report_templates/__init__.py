"""Jinja2 templates of the HTML claim report and the comparison page.

Kept as Python strings (not data files) so that they ship with any install of
the package. Rendered with ``autoescape=True``: every value from the results
JSON is escaped; only MathML/SVG built (and escaped) in Python is marked safe.
The pages are self-contained: inline CSS, inline SVG, a few lines of inline
JavaScript for sorting/filtering/copying (the page reads fine with scripts off),
system fonts only, no external resource of any kind.
"""

CSS = r"""
:root { --pass:#1a7f37; --fail:#cf222e; --inc:#9a6700; --err:#8250df; --mut:#57606a; --bd:#d0d7de; --bg2:#f6f8fa; }
* { box-sizing: border-box; }
body { font: 14px/1.45 -apple-system, "Segoe UI", Helvetica, Arial, "DejaVu Sans", sans-serif; color:#1f2328;
       margin: 0 auto; max-width: 1320px; padding: 16px 24px 64px; }
h1 { font-size: 24px; margin: 8px 0 4px; }
h2 { font-size: 19px; margin: 28px 0 8px; border-bottom: 1px solid var(--bd); padding-bottom: 4px; }
h3 { font-size: 16px; margin: 0; }
code, pre, .mono { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, "DejaVu Sans Mono", monospace; font-size: 12.5px; }
pre { background: var(--bg2); border: 1px solid var(--bd); border-radius: 6px; padding: 8px 10px; white-space: pre-wrap;
      word-break: break-all; margin: 4px 0; }
a { color: #0969da; text-decoration: none; } a:hover { text-decoration: underline; }
.sub { color: var(--mut); }
.na { color: var(--mut); }
.banner { border: 1px solid var(--fail); background: #ffebe9; padding: 8px 12px; border-radius: 6px; margin: 8px 0; }
.counts { display: flex; gap: 10px; margin: 12px 0; flex-wrap: wrap; }
.count { border: 1px solid var(--bd); border-radius: 8px; padding: 6px 14px; min-width: 110px; }
.count b { font-size: 22px; display: block; }
.count.pass b { color: var(--pass); } .count.fail b { color: var(--fail); }
.count.inconclusive b { color: var(--inc); } .count.error b { color: var(--err); }
table { border-collapse: collapse; }
table.kv td, table.kv th { padding: 2px 12px 2px 0; text-align: left; vertical-align: top; }
table.kv th { color: var(--mut); font-weight: 600; white-space: nowrap; }
.meta { display: grid; grid-template-columns: 1fr 1fr; gap: 4px 32px; }
table.grid { width: 100%; font-size: 13px; }
table.grid th, table.grid td { border-bottom: 1px solid var(--bd); padding: 4px 6px; text-align: left; vertical-align: top; }
table.grid th { background: var(--bg2); position: sticky; top: 0; white-space: nowrap; }
table.grid td.num, table.grid th.num { text-align: right; white-space: nowrap; }
table.ex td:nth-child(n+4):nth-child(-n+7) { text-align: right; white-space: nowrap; }  /* numbers of the examples table */
table.grid td.mono:first-child { white-space: nowrap; }  /* claim ids on one line */
.js table.sortable th { cursor: pointer; user-select: none; }
.js table.sortable th::after { content: " \2195"; color: #afb8c1; font-size: 11px; }
.js table.sortable th.asc::after { content: " \2191"; color: #1f2328; }
.js table.sortable th.desc::after { content: " \2193"; color: #1f2328; }
.badge { display: inline-block; border-radius: 10px; padding: 0 8px; font-size: 12px; font-weight: 600; color: #fff;
         text-transform: uppercase; letter-spacing: .03em; }
.badge.pass { background: var(--pass); } .badge.fail { background: var(--fail); }
.badge.inconclusive { background: var(--inc); } .badge.error { background: var(--err); }
.badge.unknown { background: var(--mut); }
.badge.added, .badge.removed { background: var(--mut); }
.badge.shrank { background: var(--inc); text-transform: none; }
svg.spark { vertical-align: middle; }
.filters { display: none; gap: 12px; align-items: center; margin: 8px 0; flex-wrap: wrap; }
.js .filters { display: flex; }
.js-only { display: none; } .js .js-only { display: inline-block; }
.filters label { color: var(--mut); }
select, input[type=search] { font: inherit; padding: 2px 4px; }
section.claim { border: 1px solid var(--bd); border-left: 6px solid var(--mut); border-radius: 6px; padding: 12px 16px;
                margin: 16px 0; }
section.claim.pass { border-left-color: var(--pass); } section.claim.fail { border-left-color: var(--fail); }
section.claim.inconclusive { border-left-color: var(--inc); } section.claim.error { border-left-color: var(--err); }
.claimhead { display: flex; gap: 10px; align-items: baseline; flex-wrap: wrap; }
.claimid { font-family: ui-monospace, Menlo, Consolas, monospace; font-weight: 700; font-size: 15px; }
.statement { background: #fbfbfd; border: 1px solid #eaeef2; border-radius: 6px; padding: 6px 12px; margin: 8px 0;
             overflow-x: auto; font-size: 16px; }
.statement math[display=block] { margin: 4px 0; }
math { font-size: 1.1em; font-family: "STIX Two Math", "Latin Modern Math", "Cambria Math", "Noto Sans Math", math; }
/* without an OpenType math font, browsers draw large operators at text size: enlarge them a little */
math[display=block] mo[largeop=true] { font-size: 1.45em; }
math mfrac > * { padding: 0 .1em; }
code.tex { background: #fff8c5; padding: 1px 4px; border-radius: 4px; }
.cols { display: grid; grid-template-columns: minmax(320px, 1fr) minmax(320px, 1fr); gap: 8px 28px; }
.plots { display: flex; flex-wrap: wrap; gap: 12px 20px; margin: 10px 0; }
figure { margin: 0; } figcaption { color: var(--mut); font-size: 12px; max-width: 470px; }
svg.plot { background: #fff; font-family: -apple-system, "Segoe UI", Helvetica, Arial, "DejaVu Sans", sans-serif; }
svg.plot .frame { fill: none; stroke: #8c959f; }
svg.plot .grid { stroke: #eaeef2; fill: none; }
svg.plot .tick { font-size: 11px; fill: #57606a; }
svg.plot .alabel { font-size: 12px; fill: #1f2328; }
svg.plot .ptitle { font-size: 12.5px; font-weight: 600; fill: #1f2328; }
svg.plot .legend { font-size: 11.5px; fill: #1f2328; }
svg.traj .c { fill: none; stroke-width: 1.6; stroke-linejoin: round; stroke-opacity: .85; }
svg.traj .end { stroke-width: 5; stroke-linecap: round; stroke-opacity: 1; }
svg.traj .ref { fill: none; stroke-width: 1.3; }
.cex { border: 1px solid var(--fail); background: #fff5f5; border-radius: 6px; padding: 8px 12px; margin: 8px 0; }
.cex h4, .worst h4 { margin: 0 0 4px; }
.worst { border: 1px dashed var(--bd); border-radius: 6px; padding: 8px 12px; margin: 8px 0; }
.copyrow { display: flex; gap: 8px; align-items: flex-start; }
.copyrow pre { flex: 1; }
button.copy { font: inherit; font-size: 12px; padding: 3px 8px; margin-top: 6px; cursor: pointer; }
details { margin: 6px 0; } summary { cursor: pointer; color: #0969da; }
.msg { margin: 6px 0; }
.findings li { color: var(--inc); }
.err pre { border-color: var(--err); }
.small { font-size: 12px; }
.good { color: var(--pass); font-weight: 600; } .bad { color: var(--fail); font-weight: 600; }
footer { margin-top: 40px; color: var(--mut); font-size: 12px; }
@media print { .filters, button.copy { display: none !important; } section.claim { break-inside: avoid; } }
"""

JS = r"""
document.documentElement.classList.add('js');
document.addEventListener('DOMContentLoaded', function () {
  function key(td) { var v = td.getAttribute('data-sort'); if (v === null) v = td.textContent.trim();
    var n = parseFloat(v); return (v !== '' && !isNaN(n) && /^[-+0-9.eE]+$/.test(v)) ? n : v.toLowerCase(); }
  document.querySelectorAll('table.sortable').forEach(function (t) {
    t.querySelectorAll('th').forEach(function (th, i) {
      th.addEventListener('click', function () {
        var asc = !th.classList.contains('asc');
        t.querySelectorAll('th').forEach(function (h) { h.classList.remove('asc', 'desc'); });
        th.classList.add(asc ? 'asc' : 'desc');
        var body = t.tBodies[0], rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) { var x = key(a.cells[i]), y = key(b.cells[i]);
          if (typeof x !== typeof y) { x = String(x); y = String(y); }
          return (x < y ? -1 : x > y ? 1 : 0) * (asc ? 1 : -1); });
        rows.forEach(function (r) { body.appendChild(r); });
      });
    });
  });
  var f = document.getElementById('filters');
  if (f) {
    var sel = f.querySelectorAll('select, input');
    function apply() {
      var want = {}; sel.forEach(function (s) { want[s.name] = s.value.toLowerCase(); });
      document.querySelectorAll('[data-claim]').forEach(function (el) {
        var ok = true;
        ['paper', 'family', 'verdict', 'shrink'].forEach(function (k) { if (want[k] && el.getAttribute('data-' + k) !== want[k]) ok = false; });
        if (want.q && el.getAttribute('data-claim').toLowerCase().indexOf(want.q) < 0) ok = false;
        el.style.display = ok ? '' : 'none';
      });
      var n = document.querySelectorAll('#summary tbody tr:not([style*="none"])').length;
      var c = document.getElementById('shown'); if (c) c.textContent = n;
    }
    sel.forEach(function (s) { s.addEventListener('input', apply); s.addEventListener('change', apply); });
    // a link like report.html#verdict=fail&paper=zczg opens with that filter applied
    function fromHash() {
      var h = location.hash.replace(/^#/, ''); if (h.indexOf('=') < 0) return;
      h.split('&').forEach(function (kv) { var i = kv.indexOf('='); if (i < 0) return;
        var k = decodeURIComponent(kv.slice(0, i)), v = decodeURIComponent(kv.slice(i + 1)).toLowerCase();
        sel.forEach(function (s) { if (s.name === k) s.value = v; }); });
      apply();
    }
    fromHash(); window.addEventListener('hashchange', fromHash);
  }
  document.querySelectorAll('button.copy').forEach(function (b) {
    b.addEventListener('click', function () {
      var pre = document.getElementById(b.getAttribute('data-target')); if (!pre) return;
      var text = pre.textContent;
      function done() { var o = b.textContent; b.textContent = 'copied'; setTimeout(function () { b.textContent = o; }, 1200); }
      if (navigator.clipboard && navigator.clipboard.writeText) { navigator.clipboard.writeText(text).then(done, function () {
          var r = document.createRange(); r.selectNodeContents(pre); var s = getSelection(); s.removeAllRanges(); s.addRange(r); }); }
      else { var r = document.createRange(); r.selectNodeContents(pre); var s = getSelection(); s.removeAllRanges(); s.addRange(r); }
    });
  });
});
"""

REPORT = r"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="ovpcheck claims.report">
<title>Claim report — {{ h.total }} claims ({{ h.counts.fail }} fail, {{ h.counts.error }} error)</title>
<style>{{ css }}</style>
<script>{{ js }}</script>
</head>
<body>
<h1>Over-parameterization claim report</h1>
<div class="sub">results file <code>{{ h.source_name }}</code> · created {{ h.created }} · rendered {{ h.rendered }}{% if h.calibration_href %} · <a href="{{ h.calibration_href }}" id="calibration-link">calibration: false-fail rates over many seeds</a>{% endif %}{% if h.history_runs %} · history of {{ h.history_runs }} run{{ "s" if h.history_runs != 1 }}{% if h.n_shrank %}: <a href="#shrink=shrank">{{ h.n_shrank }} claim(s) whose margin shrank more than ×{{ h.margin_shrink }}</a>{% endif %}{% endif %}</div>
{% if not h.complete %}<div class="banner"><b>Incomplete run.</b> The results file says the run did not finish
(interrupted or failed); claims that had not finished are missing from this report{% if h.missing %}:
{{ h.missing|length }} of the planned claims have no result (<span class="mono small">{{ h.missing|join(", ") }}</span>){% endif %}.</div>{% endif %}

<div class="counts">
{% for v in verdicts %}<div class="count {{ v }}"><b>{{ h.counts[v] }}</b>{{ v }}</div>{% endfor %}
<div class="count"><b>{{ h.total }}</b>claims</div>
</div>

<div class="meta">
<table class="kv">
<tr><th>Profile</th><td>{{ h.profile }}</td></tr>
<tr><th>Seed</th><td>{{ h.seeds }}</td></tr>
<tr><th>Device</th><td>{{ h.devices }}</td></tr>
<tr><th>Dtype</th><td>{{ h.dtypes }}</td></tr>
<tr><th>Git commit</th><td class="mono">{{ h.commit }}</td></tr>
<tr><th>Wall time</th><td>{{ h.wall }}</td></tr>
<tr><th>Trials used</th><td id="trials-mean">{{ h.trials_mean }}</td></tr>
</table>
<table class="kv">
{% for k, v in h.versions %}<tr><th>{{ k }}</th><td>{{ v }}</td></tr>{% else %}<tr><th>Versions</th><td class="na">—</td></tr>{% endfor %}
</table>
</div>

<h2 id="contract">Statistical contract</h2>
<ul>
{% if h.suite %}<li id="suite-contract"><b>Suite:</b> {{ h.suite }}.</li>{% endif %}
<li>Decision rule per example: <b>{{ h.decisions }}</b> (fixed: K trials and one exact binomial test; anytime: batches of trials until
an anytime-valid e-value rejects or a confidence sequence rules out the detectable rate, valid under optional stopping).</li>
<li>Per claim, the false-fail rate is at most <b>α = {{ h.alpha }}</b> (a true claim is reported as <i>fail</i> with probability ≤ α).</li>
<li>α is split by <b>Bonferroni</b> across the claim's tests (one test per Hypothesis example — fixed: an exact one-sided binomial test;
anytime: the e-value reaching 1/α<sub>ex</sub>, whose evidence per example is plotted against the trials used —
plus one per non-report scaling exponent): each test runs at α / n<sub>tests</sub> = {{ h.alpha_ex }} (n<sub>tests</sub> = {{ h.n_tests }}).</li>
<li>A <i>pass</i> states its power: the smallest violation rate that would have been detected with probability ≥ <b>{{ h.power_target }}</b>;
if that rate exceeds {{ h.max_detectable }}, the verdict is <i>inconclusive</i> (budget too small). <i>error</i> means the check itself broke and is never a pass.</li>
<li>Violation-rate intervals are Clopper–Pearson at level {{ h.ci_level }}; exponent intervals are slope ± t · (bootstrap standard error) at level 1 − α/n<sub>tests</sub> (anytime exponent test: 1 − α/(n<sub>tests</sub> J) at each of its J looks, and a pass needs its 0.9 bound to exclude an exponent error of the profile's target).
Tightness is max measured/bound (min for lower bounds): &gt; 1 means the bound was exceeded somewhere.</li>
{% if h.history_runs %}<li>History ({{ h.history_runs }} runs, oldest first, this one last): the sparkline is the tightness per run. The <b>margin</b> is
−ln(tightness) for an upper bound and +ln(tightness) for a lower bound (two-sided: the nearer side); it is &gt; 0 inside the bound.
A claim is flagged when its margin shrank by more than ×{{ h.margin_shrink }} since the previous run, or reached the bound.</li>{% endif %}
</ul>

<h2 id="summary-h">Summary</h2>
<div class="filters" id="filters">
<label>paper <select name="paper"><option value="">all</option>{% for p in h.papers %}<option value="{{ p|lower }}">{{ p }}</option>{% endfor %}</select></label>
<label>family <select name="family"><option value="">all</option>{% for p in h.families %}<option value="{{ p|lower }}">{{ p }}</option>{% endfor %}</select></label>
<label>verdict <select name="verdict"><option value="">all</option>{% for p in verdicts %}<option value="{{ p }}">{{ p }}</option>{% endfor %}</select></label>
<label>id <input type="search" name="q" placeholder="substring"></label>
{% if h.history_runs %}<label>margin <select name="shrink"><option value="">all</option><option value="shrank">shrank more than ×{{ h.margin_shrink }}</option></select></label>{% endif %}
<span class="sub"><span id="shown">{{ h.total }}</span> of {{ h.total }} shown · click a column header to sort</span>
</div>
<table class="grid sortable" id="summary">
<thead><tr><th>Claim</th><th>Paper · lemma</th><th>Family</th><th>Verdict</th><th class="num">Trials</th>
<th class="num">Violations (rate CI)</th><th class="num">Tightness</th>{% if h.history_runs %}<th>Trend</th>{% endif %}<th>Exponents fitted vs claimed</th><th class="num">Time</th></tr></thead>
<tbody>
{% for c in claims %}<tr data-claim="{{ c.id }}" data-paper="{{ c.paper_key|lower }}" data-family="{{ c.family|lower }}" data-verdict="{{ c.verdict }}"{% if h.history_runs %} data-shrink="{{ 'shrank' if c.shrink_flag else 'no' }}"{% endif %}>
<td><a href="#{{ c.anchor }}" class="mono">{{ c.id }}</a>{% if c.title and c.title != c.id %}<div class="small sub">{{ c.title }}</div>{% endif %}</td>
<td>{{ c.paper_key }}<div class="small sub">{{ c.ref }}</div></td>
<td>{{ c.family }}</td>
<td data-sort="{{ c.verdict_rank }}"><span class="badge {{ c.verdict_class }}">{{ c.verdict }}</span></td>
<td class="num" data-sort="{{ c.trials_sort }}">{{ c.trials }}{% if c.budget_sub %}<div class="small sub">{{ c.budget_sub }}</div>{% endif %}</td>
<td class="num" data-sort="{{ c.viol_sort }}">{{ c.violations }}<div class="small sub">{{ c.rate_ci }}</div></td>
<td class="num" data-sort="{{ c.tight_sort }}">{{ c.tightness }}</td>
{% if h.history_runs %}<td data-sort="{{ 0 if c.shrink_flag else 1 }}">{{ c.spark }}{% if c.shrink_flag %} <span class="badge shrank" title="{{ c.shrink }}">margin shrank</span>{% endif %}</td>{% endif %}
<td class="small">{% for e in c.exponents %}<div>{{ e.short }}</div>{% else %}<span class="na">—</span>{% endfor %}</td>
<td class="num" data-sort="{{ c.time_sort }}">{{ c.time }}</td>
</tr>
{% endfor %}</tbody>
</table>

<h2 id="claims">Claims</h2>
{% for c in claims %}
<section class="claim {{ c.verdict_class }}" id="{{ c.anchor }}" data-claim="{{ c.id }}" data-paper="{{ c.paper_key|lower }}" data-family="{{ c.family|lower }}" data-verdict="{{ c.verdict }}"{% if h.history_runs %} data-shrink="{{ 'shrank' if c.shrink_flag else 'no' }}"{% endif %}>
<div class="claimhead"><span class="badge {{ c.verdict_class }}">{{ c.verdict }}</span><span class="claimid">{{ c.id }}</span>{% if c.shrink_flag %}<span class="badge shrank">{{ c.shrink }}</span>{% endif %}
{% if c.title != c.id %}<h3>{{ c.title }}</h3>{% endif %}</div>
<div class="sub">{{ c.paper }} · <b>{{ c.ref }}</b>{% if c.source_note %} · {{ c.source_note }}{% endif %} · family {{ c.family }} · {{ c.kind }}
· quantifier {{ c.quantifier }}{% if c.adversary %} (adversary: {{ c.adversary }}){% endif %}</div>
<div class="statement">{{ c.statement_html }}</div>
{% if c.statement_tex %}<details><summary>LaTeX source</summary><pre>{{ c.statement_tex }}</pre></details>{% endif %}
<div class="msg"><b>Result:</b> {{ c.message }}</div>
{% if c.findings %}<ul class="findings">{% for f in c.findings %}<li>{{ f }}</li>{% endfor %}</ul>{% endif %}
{% if c.error %}<div class="err"><b>Error</b> (the check itself broke; never a pass):<pre>{{ c.error }}</pre></div>{% endif %}

{% if c.cex %}<div class="cex"><h4>Counterexample</h4>
<table class="kv">
<tr><th>Parameters</th><td class="mono">{{ c.cex.point }}</td></tr>
<tr><th>Seed</th><td class="mono">{{ c.cex.seed }}</td></tr>
<tr><th>Violations</th><td>{{ c.cex.violations }} of {{ c.cex.trials }} trials (p = {{ c.cex.p }})</td></tr>
<tr><th>Measured vs bound</th><td>{{ c.cex.measured }}</td></tr>
<tr><th>measured / bound</th><td>max {{ c.cex.max_ratio }}, min {{ c.cex.min_ratio }}</td></tr>
</table>
{% if c.cex.reproduce %}<div>Reproduce exactly (shell):</div>
<div class="copyrow"><pre id="{{ c.anchor }}-repro">{{ c.cex.reproduce }}</pre><button class="copy js-only" type="button" data-target="{{ c.anchor }}-repro">copy</button></div>{% endif %}
{% if c.cex.reproduce_python %}<div>From Python:</div>
<div class="copyrow"><pre id="{{ c.anchor }}-repropy">{{ c.cex.reproduce_python }}</pre><button class="copy js-only" type="button" data-target="{{ c.anchor }}-repropy">copy</button></div>{% endif %}
{% if not c.cex.reproduce and not c.cex.reproduce_python %}<div class="sub">No reproduction command recorded (the claim is not importable by the CLI).</div>{% endif %}
</div>{% endif %}
{% if c.worst %}<div class="worst"><h4>Worst margin seen</h4>
<span class="mono">{{ c.worst.point }}</span> · seed <span class="mono">{{ c.worst.seed }}</span> · {{ c.worst.violations }}/{{ c.worst.trials }} violations ·
measured/bound max {{ c.worst.max_ratio }}, min {{ c.worst.min_ratio }}</div>{% endif %}

<div class="cols">
<div>
<table class="kv">
<tr><th>Bound</th><td>{{ c.bound_kind }}: {{ c.bound_desc }}</td></tr>
{% if c.shape_html %}<tr><th>Bound shape</th><td>{{ c.shape_html }}</td></tr>{% endif %}
<tr><th>Constant provenance</th><td>{{ c.provenance }}</td></tr>
<tr><th>Allowed failure prob.</th><td>{{ c.failure_prob }}</td></tr>
<tr><th>Regime checked</th><td>{% for p in c.regime %}<div><span class="mono">{{ p.name }}</span> ∈ {{ p.range }}{% if p.note %} <span class="sub small">{{ p.note }}</span>{% endif %}</div>{% else %}<span class="na">—</span>{% endfor %}</td></tr>
</table>
</div>
<div>
<table class="kv">
{% if c.decision == "anytime" %}<tr><th>Examples · trials</th><td>{{ c.examples_run }} examples · {{ c.trials }} trials</td></tr>
{% else %}<tr><th>Examples × trials</th><td>{{ c.examples_run }} × {{ c.trials_per_example }} = {{ c.trials }}</td></tr>{% endif %}
<tr><th>Trials used / budget</th><td class="trials-used">{{ c.trials_used }}{% if c.anytime_rule %} · anytime: {{ c.anytime_rule }}{% endif %}{% if c.stopped %} · stopped: {{ c.stopped }}{% endif %}{% if c.evidence_note %} · <span class="sub">{{ c.evidence_note }}</span>{% endif %}</td></tr>
<tr><th>Violations</th><td>{{ c.violations }} · rate {{ c.rate }} · {{ c.rate_ci_long }}</td></tr>
<tr><th>Tightness</th><td>{{ c.tightness }}</td></tr>
{% if c.spark %}<tr><th>History</th><td>{{ c.spark }} <span class="small">{{ c.hist_text }}</span></td></tr>{% endif %}
<tr><th>Power</th><td>{{ c.power }}</td></tr>
<tr><th>α / per test</th><td>{{ c.alpha }} / {{ c.alpha_ex }} (n<sub>tests</sub> = {{ c.n_tests }}, {% if c.fail_at %}{{ c.fail_at }}{% else %}reject at ≥ {{ c.crit }} violations{% endif %})</td></tr>
{% for e in c.exponents %}<tr><th>Exponent in {{ e.param }}</th><td>{{ e.long }}</td></tr>{% endfor %}
<tr><th>Run</th><td>seed {{ c.seed }} · {{ c.device }} · {{ c.dtype }} · profile {{ c.profile }} · {{ c.time }}{% if c.started %} · started {{ c.started }}{% endif %}</td></tr>
</table>
</div>
</div>

{% if c.plots %}<div class="plots">{% for p in c.plots %}<figure>{{ p.svg }}<figcaption>{{ p.caption }}</figcaption></figure>{% endfor %}</div>{% endif %}
{% if c.notes %}<div><b>Notes:</b> {{ c.notes }}</div>{% endif %}
{% if c.examples %}<details><summary>{{ c.examples|length }} example(s) explored</summary>
<table class="grid small ex"><thead><tr><th>#</th><th>Point</th><th>Seed</th><th class="num">Violations</th><th class="num">p-value</th>
<th class="num">max ratio</th><th class="num">min ratio</th><th>{{ "Stopped" if c.decision == "anytime" else "Significant" }}</th></tr></thead><tbody>
{% for e in c.examples %}<tr><td>{{ loop.index }}<td class="mono">{{ e.point }}<td class="mono">{{ e.seed }}<td>{{ e.violations }}/{{ e.trials }}<td>{{ e.p }}<td>{{ e.max_ratio }}<td>{{ e.min_ratio }}<td>{{ e.significant }}</tr>{% endfor %}
</tbody></table></details>{% endif %}
{% if c.scal_msgs %}<details><summary>Scaling sweeps</summary><ul>{% for s in c.scal_msgs %}<li>{{ s }}</li>{% endfor %}</ul></details>{% endif %}
{% if c.decision_rule %}<details><summary>Decision rule</summary><p class="small">{{ c.decision_rule }}</p></details>{% endif %}
</section>
{% endfor %}
<footer>Generated by ovpcheck (claims.report). Self-contained page: no network access needed. Values from the results JSON are shown as recorded; “—” marks a field the file does not have.</footer>
</body>
</html>
"""

COMPARE = r"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Claim comparison — {{ d.n_verdict }} verdict change(s), {{ d.n_regress }} regression(s)</title>
<style>{{ css }}</style>
<script>{{ js }}</script>
</head>
<body>
<h1>Claim results comparison</h1>
<table class="kv">
<tr><th>Old</th><td><code>{{ d.old_name }}</code> · created {{ d.old_created }} · profile {{ d.old_profile }} · commit <span class="mono">{{ d.old_commit }}</span></td></tr>
<tr><th>New</th><td><code>{{ d.new_name }}</code> · created {{ d.new_created }} · profile {{ d.new_profile }} · commit <span class="mono">{{ d.new_commit }}</span></td></tr>
</table>
<div class="counts">
<div class="count fail"><b>{{ d.n_regress }}</b>regressions</div>
<div class="count"><b>{{ d.n_verdict }}</b>verdict changes</div>
<div class="count"><b>{{ d.tight|length }}</b>tightness moves</div>
<div class="count"><b>{{ d.expo|length }}</b>exponent moves</div>
<div class="count"><b>{{ d.unchanged }}</b>unchanged</div>
</div>
<p class="sub">Criteria: a verdict change is any change of verdict (a <b>regression</b> is a change to fail or error);
tightness moved significantly when old/new differ by more than a factor <b>{{ d.factor }}</b>;
an exponent moved significantly when its old and new confidence intervals do not overlap.</p>

<h2>Verdict changes</h2>
{% if d.verdict %}<table class="grid sortable"><thead><tr><th>Claim</th><th>Paper · lemma</th><th>Old</th><th>New</th><th>Kind</th><th>New message</th></tr></thead><tbody>
{% for r in d.verdict %}<tr><td class="mono">{{ r.id }}</td><td>{{ r.paper }}<div class="small sub">{{ r.ref }}</div></td>
<td><span class="badge {{ r.old_class }}">{{ r.old }}</span></td><td><span class="badge {{ r.new_class }}">{{ r.new }}</span></td>
<td>{% if r.regression %}<span class="bad">regression</span>{% elif r.improvement %}<span class="good">improvement</span>{% else %}change{% endif %}</td>
<td class="small">{{ r.message }}</td></tr>{% endfor %}
</tbody></table>{% else %}<p class="sub">No verdict changed.</p>{% endif %}

<h2>Tightness moved by more than ×{{ d.factor }}</h2>
{% if d.tight %}<table class="grid sortable"><thead><tr><th>Claim</th><th class="num">Old tightness</th><th class="num">New tightness</th><th class="num">new / old</th></tr></thead><tbody>
{% for r in d.tight %}<tr><td class="mono">{{ r.id }}</td><td class="num">{{ r.old }}</td><td class="num">{{ r.new }}</td><td class="num" data-sort="{{ r.ratio_sort }}">{{ r.ratio }}</td></tr>{% endfor %}
</tbody></table>{% else %}<p class="sub">None.</p>{% endif %}

<h2>Exponents whose confidence intervals no longer overlap</h2>
{% if d.expo %}<table class="grid sortable"><thead><tr><th>Claim</th><th>Parameter</th><th>Claimed</th><th>Old slope [CI]</th><th>New slope [CI]</th></tr></thead><tbody>
{% for r in d.expo %}<tr><td class="mono">{{ r.id }}</td><td class="mono">{{ r.param }}</td><td>{{ r.claimed }}</td><td>{{ r.old }}</td><td>{{ r.new }}</td></tr>{% endfor %}
</tbody></table>{% else %}<p class="sub">None.</p>{% endif %}

{% if d.added or d.removed %}<h2>Claims added or removed</h2>
<ul>{% for r in d.added %}<li><span class="badge added">added</span> <span class="mono">{{ r.id }}</span> — <span class="badge {{ r.cls }}">{{ r.verdict }}</span></li>{% endfor %}
{% for r in d.removed %}<li><span class="badge removed">removed</span> <span class="mono">{{ r.id }}</span> (was <span class="badge {{ r.cls }}">{{ r.verdict }}</span>)</li>{% endfor %}</ul>{% endif %}
<footer>Generated by ovpcheck (claims.report, comparison mode). Self-contained page.</footer>
</body>
</html>
"""
