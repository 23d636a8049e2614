"""Run history (issue 15): --autosave / --claims-autosave, ``ovpcheck history``, the
report's tightness sparklines and margin-shrink flags, bad files in the storage
folder, and the calibration link in the report header.

Cheap: one user claim (24 uniform draws) run through the real CLI (``cli.main``
in-process, once as a subprocess); the margin cases use synthetic results
documents from tests/test_report.py.
"""

from __future__ import annotations

import copy
import json
import math
import os
import pathlib
import subprocess
import sys
import time

import pytest

from claims import _history, cli, report
from claims._history import HistoryFileWarning, claim_series, load_history, margin, margin_shrink

from test_report import _Collect, _result, make_results

pytest_plugins = ["pytester"]

CHEAP = '''
import torch, claims

def uniform(point, ctx):
    return torch.rand(ctx.trials, generator=ctx.generator(), dtype=ctx.dtype)

CHEAP = claims.Claim(id="USER/cheap", title="U <= c", source=claims.Source("user-paper.txt", "Lemma 2"),
                     statement_tex="U \\\\le c", family="toy", regime=(claims.IntParam("n", 1, 50),),
                     measure=uniform, bound=claims.Bound("upper", lambda p: 1.0, 2.0, provenance="exact"),
                     failure_prob=0.0)
'''


@pytest.fixture
def cheap_dir(tmp_path, monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "cheap.py").write_text(CHEAP, encoding="utf-8")
    return tmp_path


def _saved(storage) -> list[str]:
    return sorted(p.name for p in pathlib.Path(storage).glob("*.json"))


# ----------------------------------------------------------------------------- CLI end to end


def test_cli_autosave_three_runs_and_history(cheap_dir, capsys):
    # one run as a real subprocess (the installed entry point's code path), two in-process
    env = dict(os.environ, OMP_NUM_THREADS="1")
    env.pop("CI", None)
    out = subprocess.run([sys.executable, "-m", "claims", "run", "--claim", "cheap.py:CHEAP", "--autosave",
                          "--time-report", "0"], cwd=cheap_dir, capture_output=True, text=True, timeout=300, env=env)
    assert out.returncode == 0, out.stderr
    assert "run saved to .claims" in out.stderr
    for seed in (1, 2):
        args = ["run", "--claim", "cheap.py:CHEAP", "--autosave", "--seed", str(seed), "--time-report", "0"]
        if seed == 2:
            args += ["--json", "out.json"]      # saved as a copy of the results file
        assert cli.main(args) == 0
    names = _saved(cheap_dir / ".claims")
    assert len(names) == 3
    assert [n[:5] for n in names] == ["0001_", "0002_", "0003_"]
    assert all("_nocommit_" in n and n.endswith("Z.json") for n in names)   # tmp_path is no git checkout
    saved = json.loads((cheap_dir / ".claims" / names[2]).read_text())
    assert saved == dict(json.loads((cheap_dir / "out.json").read_text()), **{k: saved[k] for k in saved
                                                                              if k.startswith("git_")})
    capsys.readouterr()

    assert cli.main(["history"]) == 0
    text = capsys.readouterr().out
    assert "3 saved run(s), 1 claim(s)" in text and "USER/cheap" in text
    rows = [ln for ln in text.splitlines() if ln.strip().startswith("000")]
    assert [r.split()[0] for r in rows] == ["0001", "0002", "0003"]          # oldest first
    assert all("pass" in r and "nocommit" in r for r in rows)
    assert cli.main(["history", "-k", "nope", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert len(doc["runs"]) == 3 and doc["claims"] == []
    assert cli.main(["history", "-k", "cheap", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    pts = doc["claims"][0]["points"]
    assert [p["run"] for p in pts] == ["0001", "0002", "0003"]
    assert all(0 < p["tightness"] < 1 and p["margin"] == pytest.approx(-math.log(p["tightness"])) for p in pts)


def test_cli_report_autosave_uses_the_storage(cheap_dir, capsys):
    for seed in (0, 1):
        assert cli.main(["report", "--claim", "cheap.py:CHEAP", "--autosave", "--storage", "hist", "--seed",
                         str(seed), "--scheduler", "inprocess", "--time-report", "0"]) == 0
    assert len(_saved(cheap_dir / "hist")) == 2
    html = (cheap_dir / "reports" / "claims.html").read_text(encoding="utf-8")
    assert "history of 2 runs" in html and html.count('<svg class="spark"') == 2
    assert cli.main(["report", "--claim", "cheap.py:CHEAP", "--margin-shrink", "1"]) == 2
    assert "--margin-shrink" in capsys.readouterr().err


def test_saved_names_count_up_and_never_collide(tmp_path):
    doc = make_results()
    src = tmp_path / "r.json"
    src.write_text(json.dumps(doc), encoding="utf-8")
    st = tmp_path / "st"
    a = _history.autosave_file(src, st, commit=("0123456789abcdef" * 2 + "01234567", True))
    b = _history.autosave_file(src, st, commit=(None, False))
    assert os.path.basename(a).startswith("0001_01234567_") and os.path.basename(b).startswith("0002_nocommit_")
    assert json.loads(pathlib.Path(a).read_text())["git_dirty"] is True
    # a hand-made file with a high counter: the next one goes after it, nothing is overwritten
    (st / "0007_x.json").write_text("{}", encoding="utf-8")
    c = _history.autosave_file(src, st, commit=(None, False))
    assert os.path.basename(c).startswith("0008_")
    assert not [n for n in os.listdir(st) if n.startswith(".")]               # no temp file left behind


def test_history_empty_or_missing_storage(tmp_path, capsys):
    assert cli.main(["history", "--storage", str(tmp_path / "none")]) == 0
    err = capsys.readouterr().err
    assert "does not exist" in err and "--autosave" in err
    (tmp_path / "empty").mkdir()
    assert cli.main(["history", "--storage", str(tmp_path / "empty"), "--json"]) == 0
    cap = capsys.readouterr()
    assert "holds no saved runs" in cap.err and json.loads(cap.out)["runs"] == []


# ----------------------------------------------------------------------------- bad files


def _bad_storage(tmp_path) -> pathlib.Path:
    st = tmp_path / ".claims"
    st.mkdir()
    good = make_results()
    (st / "0001_nocommit_20260101T000000Z.json").write_text(json.dumps(good), encoding="utf-8")
    (st / "0002_truncated.json").write_text(json.dumps(good)[:200], encoding="utf-8")
    (st / "0003_list.json").write_text("[1, 2, 3]", encoding="utf-8")
    (st / "0004_foreign.json").write_text(json.dumps({"machine_info": {}, "benchmarks": []}), encoding="utf-8")
    (st / "0005_newer.json").write_text(json.dumps(dict(good, version=2)), encoding="utf-8")
    (st / "0006_badentry.json").write_text(json.dumps(dict(good, results=[{"x": 1}])), encoding="utf-8")
    (st / "0007_binary.json").write_bytes(b"\xff\xfe\x00garbage")
    (st / "notes.txt").write_text("not json, not .json: ignored silently", encoding="utf-8")
    return st


BAD = ("0002_truncated", "0003_list", "0004_foreign", "0005_newer", "0006_badentry", "0007_binary")


def test_bad_files_skipped_with_a_warning_each_never_deleted(tmp_path, capsys):
    st = _bad_storage(tmp_path)
    before = sorted(os.listdir(st))
    with pytest.warns(HistoryFileWarning) as rec:
        runs = load_history(st)
    assert [r.name for r in runs] == ["0001_nocommit_20260101T000000Z.json"]
    msgs = [str(w.message) for w in rec]
    assert len(msgs) == len(BAD)
    for stem in BAD:
        assert sum(stem in m for m in msgs) == 1, (stem, msgs)
    assert sorted(os.listdir(st)) == before
    # the CLI prints one stderr line per skipped file and still succeeds
    assert cli.main(["history", "--storage", str(st)]) == 0
    cap = capsys.readouterr()
    assert cap.err.count("ovpcheck history: warning: run history: skipping") == len(BAD)
    assert "ZCZG/A.4" in cap.out
    # the report renders with the good run as history, warning about the rest
    src = tmp_path / "claims.json"
    src.write_text(json.dumps(make_results()), encoding="utf-8")
    with pytest.warns(HistoryFileWarning):
        report.render_html(src, tmp_path / "claims.html", history=st)
    assert sorted(os.listdir(st)) == before


# ----------------------------------------------------------------------------- margins and the report


def test_margin_definition_upper_lower_two_sided():
    up = _result("U", "pass", tightness=0.5)
    assert margin(up) == pytest.approx(math.log(2))
    up["stats"]["tightness"] = 2.0                                  # past an upper bound
    assert margin(up) == pytest.approx(-math.log(2))
    lo = _result("L", "pass", tightness=2.0)
    lo["claim"]["bound"]["kind"] = "lower"
    assert margin(lo) == pytest.approx(math.log(2))                 # twice the lower bound: same margin
    two = _result("T", "pass", tightness=0.8)
    two["claim"]["bound"].update(kind="two-sided", constant=1.0, lower_constant=0.25)
    two["stats"].update(max_ratio=0.8, min_ratio=0.3)               # lower side: 0.3 / 0.25 = 1.2
    assert margin(two) == pytest.approx(min(-math.log(0.8), math.log(1.2)))
    assert margin(_result("E", "error")) is None
    assert margin_shrink(0.4, 0.2) == pytest.approx(2.0) and margin_shrink(0.4, -0.1) == math.inf
    assert margin_shrink(-0.1, 0.2) is None and margin_shrink(None, 0.2) is None


def _docs(tightnesses: list[dict]) -> list[dict]:
    """One results document per entry {claim id: tightness}, a minute apart."""
    out = []
    for k, tmap in enumerate(tightnesses):
        doc = make_results()
        doc["created"] = f"2026-11-22T08:{k:02d}:00+00:00"
        for r in doc["results"]:
            if r["claim_id"] in tmap:
                r["stats"]["tightness"] = tmap[r["claim_id"]]
            r["started"] = doc["created"]
        out.append(doc)
    return out


def _store(storage, docs):
    for d in docs:
        p = pathlib.Path(storage).parent / "tmp.json"
        p.write_text(json.dumps(d), encoding="utf-8")
        _history.autosave_file(p, storage, commit=("ab" * 20, False))


SHRUNK, KEPT = "AZLS-DNN/Step2a", "AZLS-RNN/Thm1"


def test_report_sparkline_and_margin_shrink_flag(tmp_path):
    # SHRUNK: tightness 0.5 -> 0.6 -> sqrt(0.5): margin ln 2 ... (ln 2) / 2, halved since run 1 but the
    # previous run is the reference: ln(1/0.6) = 0.51 -> 0.347 = x1.47 (not flagged at 1.5)
    # then a fourth run at 0.5 ** 0.25 halves it again relative to the third: flagged.
    st = tmp_path / ".claims"
    docs = _docs([{SHRUNK: 0.5, KEPT: 0.5}, {SHRUNK: 0.6, KEPT: 0.45}, {SHRUNK: 0.5 ** 0.5, KEPT: 0.55}])
    _store(st, docs)
    cur = _docs([{SHRUNK: 0.5 ** 0.25, KEPT: 0.5}])[0]
    cur["created"] = "2026-11-22T09:00:00+00:00"
    src = tmp_path / "claims.json"
    src.write_text(json.dumps(cur), encoding="utf-8")
    html = pathlib.Path(report.render_html(src, tmp_path / "claims.html", history=st)).read_text(encoding="utf-8")
    p = _Collect()
    p.feed(html)
    rows = {a["data-claim"]: a for t, a in p.attrs if t == "tr" and "data-claim" in a}
    secs = {a["data-claim"]: a for t, a in p.attrs if t == "section" and "data-claim" in a}
    assert rows[SHRUNK]["data-shrink"] == "shrank" and secs[SHRUNK]["data-shrink"] == "shrank"
    assert rows[KEPT]["data-shrink"] == "no" and secs[KEPT]["data-shrink"] == "no"
    assert html.count('class="badge shrank"') == 2                  # summary row + claim section, one claim
    assert "margin shrank ×2 (more than ×1.5)" in html
    assert '<select name="shrink">' in html and "history of 4 runs" in html
    assert html.count('<svg class="spark"') == 2 * 5                # five claims with a tightness (not MINIMAL)
    assert "tightness over 4 runs (oldest first): 0.5, 0.6, 0.707, 0.841" in html
    # a higher threshold: no flag; the same margin: no flag
    html2 = report.build_html(cur, history=load_history(st), margin_shrink=2.5)
    assert 'class="badge shrank"' not in html2 and 'data-shrink="shrank"' not in html2
    same = _docs([{SHRUNK: 0.5 ** 0.5, KEPT: 0.55}])[0]
    same["created"] = "2026-11-22T09:30:00+00:00"
    assert 'class="badge shrank"' not in report.build_html(same, history=load_history(st))
    # a margin gone (the bound reached) is always flagged
    past = _docs([{SHRUNK: 1.2}])[0]
    past["created"] = "2026-11-22T09:40:00+00:00"
    assert 'data-shrink="shrank"' in report.build_html(past, history=load_history(st), margin_shrink=100)
    with pytest.raises(ValueError, match="margin_shrink"):
        report.build_html(cur, history=[], margin_shrink=1.0)


def test_current_run_already_saved_is_not_counted_twice(tmp_path):
    st = tmp_path / ".claims"
    docs = _docs([{SHRUNK: 0.5}, {SHRUNK: 0.5 ** 0.5}])
    _store(st, docs)
    html = report.build_html(docs[-1], history=st)                   # ovpcheck report --autosave: last == current
    assert "history of 2 runs" in html and 'data-shrink="shrank"' in html
    s = claim_series(load_history(st), SHRUNK, 1.5)
    assert s["flag"] and s["shrink"] == pytest.approx(2.0)


def test_no_history_no_trend_column(tmp_path):
    html = report.build_html(make_results())
    assert "<th>Trend</th>" not in html and "data-shrink" not in html and 'class="spark"' not in html


def test_render_cli_history_options(tmp_path, capsys):
    st = tmp_path / ".claims"
    _store(st, _docs([{SHRUNK: 0.5}]))
    cur = _docs([{SHRUNK: 0.5 ** 0.5}])[0]
    cur["created"] = "2026-11-23T00:00:00+00:00"
    src = tmp_path / "claims.json"
    src.write_text(json.dumps(cur), encoding="utf-8")
    assert report.main(["render", str(src), "--history", str(st), "-o", str(tmp_path / "a.html")]) == 0
    assert 'data-shrink="shrank"' in (tmp_path / "a.html").read_text(encoding="utf-8")
    assert report.main(["render", str(src), "--history", str(st), "--margin-shrink", "3",
                        "-o", str(tmp_path / "b.html")]) == 0
    assert 'data-shrink="shrank"' not in (tmp_path / "b.html").read_text(encoding="utf-8")
    assert report.main(["render", str(src), "--history", str(st), "--margin-shrink", "0.5"]) == 2
    assert "--margin-shrink" in capsys.readouterr().err


def test_200_claims_with_history_stay_within_report_limits(tmp_path):
    sys.path.insert(0, str(pathlib.Path(__file__).parent / "benchmarks"))
    try:
        from bench_report import MAX_BYTES, N_CLAIMS, synthetic_results
    finally:
        sys.path.pop(0)
    base = synthetic_results()
    runs = []
    for k in range(10):
        d = copy.deepcopy(base)
        d["created"] = f"2026-12-01T00:{k:02d}:00+00:00"
        for r in d["results"]:
            t = r["stats"].get("tightness")
            if isinstance(t, (int, float)):
                r["stats"]["tightness"] = t * (1 + 0.03 * k)
        runs.append(_history.doc_to_run(d, name=f"{k + 1:04d}_x.json"))
    t0 = time.perf_counter()
    html = report.build_html(base, history=runs)
    dt = time.perf_counter() - t0
    assert html.count('<svg class="spark"') >= N_CLAIMS
    assert len(html.encode()) < MAX_BYTES
    assert dt < 5.0 * 3      # the bench's 5 s target, with room for a loaded CI machine


# ----------------------------------------------------------------------------- calibration link


def test_calibration_link_present_only_beside_it(tmp_path):
    src = tmp_path / "claims.json"
    src.write_text(json.dumps(make_results()), encoding="utf-8")
    out = tmp_path / "reports" / "claims.html"
    html = pathlib.Path(report.render_html(src, out)).read_text(encoding="utf-8")
    assert "calibration.html" not in html
    (tmp_path / "reports" / "calibration.html").write_text("<html></html>", encoding="utf-8")
    html = pathlib.Path(report.render_html(src, out)).read_text(encoding="utf-8")
    p = _Collect()
    p.feed(html)
    links = [a for t, a in p.attrs if t == "a" and a.get("id") == "calibration-link"]
    assert len(links) == 1 and links[0]["href"] == "calibration.html"     # relative, beside the report


# ----------------------------------------------------------------------------- pytest plugin


USER_TEST = CHEAP + '''

def test_cheap(claims_check):
    claims_check(CHEAP)
'''


def test_pytest_claims_autosave_writes_a_file(pytester, monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    pytester.makepyfile(test_user=USER_TEST)
    res = pytester.runpytest("--claims-autosave")
    res.assert_outcomes(passed=1)
    names = _saved(pytester.path / ".claims")
    assert len(names) == 1 and names[0].startswith("0001_") and "claims run saved to" in res.stdout.str()
    doc = json.loads((pytester.path / ".claims" / names[0]).read_text())
    assert doc["complete"] is True and [r["claim_id"] for r in doc["results"]] == ["USER/cheap"]
    res = pytester.runpytest("--claims-autosave", "--claims-storage", "hist", "--claims-report", "rep/claims.html")
    res.assert_outcomes(passed=1)
    assert len(_saved(pytester.path / "hist")) == 1 and (pytester.path / "rep" / "claims.html").exists()
    # an interrupted session (-x with a failure first) is not saved
    pytester.makepyfile(test_a_fail="def test_boom():\n    assert False\n")
    res = pytester.runpytest("-x", "--claims-autosave", "--claims-storage", "hist")
    assert len(_saved(pytester.path / "hist")) == 1 and "nothing saved" in res.stdout.str()


def test_render_cli_names_skipped_history_files(tmp_path, capsys):
    st = _bad_storage(tmp_path)
    src = tmp_path / "claims.json"
    src.write_text(json.dumps(make_results()), encoding="utf-8")
    assert report.main(["render", str(src), "--history", str(st), "-o", str(tmp_path / "r.html")]) == 0
    err = capsys.readouterr().err
    assert err.count("claims.report render: warning: run history: skipping") == len(BAD)
    # the one good saved run is the run rendered (same created time and claims): counted once
    assert "history of 1 run<" in (tmp_path / "r.html").read_text(encoding="utf-8")


def test_shrink_filter_and_sparklines_in_a_browser(tmp_path):
    """Headless Chromium (skipped without it, like tests/test_report_browser.py): the
    "margin" filter, from the URL too, and sparklines drawn with a real box."""
    from test_report_browser import CHROMIUM_FLAGS, _chromium

    exe = _chromium()
    if exe is None:
        pytest.skip("no Chromium binary found (apt-get install chromium) — the in-browser check did NOT run")
    sync_api = pytest.importorskip("playwright.sync_api", reason="the 'playwright' package is not installed")
    st = tmp_path / ".claims"
    _store(st, _docs([{SHRUNK: 0.5, KEPT: 0.5}, {SHRUNK: 0.5 ** 0.5, KEPT: 0.5}]))
    cur = _docs([{SHRUNK: 0.5 ** 0.25, KEPT: 0.5}])[0]
    cur["created"] = "2026-11-22T09:00:00+00:00"
    src = tmp_path / "claims.json"
    src.write_text(json.dumps(cur), encoding="utf-8")
    out = pathlib.Path(report.render_html(src, tmp_path / "claims.html", history=st))
    visible = "els => els.filter(r => r.offsetParent !== null).map(r => r.dataset.claim)"
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=exe, headless=True, args=CHROMIUM_FLAGS, timeout=60_000)
        try:
            pg = b.new_page(viewport={"width": 1400, "height": 1000})
            errors = []
            pg.on("pageerror", lambda e: errors.append(str(e)))
            pg.goto(out.as_uri() + "#shrink=shrank")
            assert pg.eval_on_selector_all("#summary tbody tr", visible) == [SHRUNK]
            assert pg.eval_on_selector_all("section.claim", visible) == [SHRUNK]
            pg.select_option("#filters select[name=shrink]", "")
            assert len(pg.eval_on_selector_all("#summary tbody tr", visible)) == len(cur["results"])
            boxes = pg.eval_on_selector_all("svg.spark", "els => els.map(e => { const r = e.getBoundingClientRect();"
                                                         " return [r.width, r.height, e.querySelectorAll('polyline').length]; })")
            assert len(boxes) == 10 and all(w > 50 and h > 10 and n >= 1 for w, h, n in boxes), boxes
            assert pg.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
            assert not errors
        finally:
            b.close()
