"""Benchmark of the HTML claim report (pytest-benchmark), excluded from the default run.

Run with ``scripts/dev.sh bench -k report``. Renders 200 synthetic but realistically
sized claims — 20 examples × 32 trials each, two scaling sweeps of 6 grid points
with every trial value kept, a counterexample (fails) or per-trial extras with a
random-vs-adversarial split (∀-claims), loss trajectories for 4 widths (convergence
claims) — and reports the render time and the page size. The target (issue):
under 5 s and under 5 MB for 200 claims; the size is asserted (a value, not a
timing), the time is reported in ``extra_info`` and printed.
"""

from __future__ import annotations

import json
import math
import os
import random

from claims import report

N_CLAIMS = 200
MAX_BYTES = 5 * 1024 * 1024
TEX = [r"\left|\{k : \mathrm{sign}(g'_k) \ne \mathrm{sign}(g_k)\}\right| \le C\, m\, \omega^{2/3} L",
       r"\|h_\ell\|_2 \in \left[1 - \epsilon, 1 + \epsilon\right] \text{ w.p. } 1 - e^{-\Omega(m \epsilon^2 / L)}",
       r"\frac{1}{m}\sum_{j=1}^{m} \mathbb{1}[\tilde{\sigma}_j \ne \sigma_j] \le C \tau^{2/3}",
       r"f(W^{(T)}) \le \varepsilon \text{ for } T = \widetilde{O}\left(\frac{n^6 \rho^2}{\delta^2} \log \frac{1}{\varepsilon}\right)"]
PAPERS = [("allen-zhu-li-song-dnn-convergence.txt", "azls_dnn", "fc"), ("allen-zhu-li-song-rnn-convergence.txt", "azls_rnn", "rnn"),
          ("zou-cao-zhou-gu-deep-relu-gd.txt", "zczg", "fc"), ("allen-zhu-li-rnn-generalization.txt", "azl_rnn", "rnn")]


def _scaling(rng, param, slope, K, grid):
    vals = [[2.0 * g ** slope * math.exp(0.1 * rng.gauss(0, 1)) for _ in range(K)] for g in grid]
    means = [math.exp(sum(math.log(v) for v in vs) / K) for vs in vals]
    return {"param": param, "exponent": 2 / 3, "relation": "at_most", "tolerance": 0.0, "series": "values", "note": "",
            "grid": grid, "dropped": [], "base": {"m": 256, "L": 3}, "verdict": "ok",
            "message": f"slope {slope:.3f}, 99.9% CI [{slope - 0.05:.3f}, {slope + 0.05:.3f}]; claimed at_most 0.667",
            "slope": slope, "ci": [slope - 0.05, slope + 0.05], "ci_level": 0.999, "trials": K, "bootstrap_reps": 2000,
            "max_ratio": 0.8, "means": means, "values": vals, "bounds": [2.5 * g ** (2 / 3) for g in grid]}


def synthetic_results(n: int = N_CLAIMS, examples: int = 20, K: int = 32, seed: int = 0) -> dict:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        paper, key, fam = PAPERS[i % len(PAPERS)]
        verdict = "fail" if i % 10 == 0 else ("inconclusive" if i % 17 == 0 else ("error" if i % 41 == 0 else "pass"))
        forall, conv = i % 3 == 1, i % 7 == 3
        exs = []
        for j in range(examples):
            mx = rng.uniform(0.3, 1.4 if verdict == "fail" else 0.95)
            exs.append({"point": {"m": 2 ** rng.randint(6, 11), "L": rng.randint(2, 8), "omega": 10 ** rng.uniform(-4, -1)},
                        "draw": j, "seed": rng.getrandbits(62), "trials": K, "violations": int(mx > 1) * rng.randint(1, K),
                        "p_value": rng.random(), "significant": mx > 1.2, "max_ratio": mx, "min_ratio": mx * 0.3, "score": mx})
        if forall:
            e = exs[0]
            e["values"] = [rng.uniform(0.5, 1.0) for _ in range(K)]
            e["extras"] = {"random": [v * rng.uniform(0.1, 0.5) for v in e["values"]]}
        if conv:
            e = exs[1]
            e.setdefault("extras", {}).update({f"loss@{t}": [math.exp(-0.01 * t) * (1 + 0.02 * rng.random()) for _ in range(K)]
                                                for t in range(0, 501, 10)})
        ratios = [rng.uniform(0.7, 2.0) for _ in range(K)]
        cex = None
        if verdict == "fail":
            cex = dict(exs[0], values=ratios, ratios=ratios, bound_upper=1.0, bound_lower=None, extras={},
                       reproduce=f"python -m claims reproduce 'X/{i}' --point '{{\"L\": 2, \"m\": 64}}' --seed 123 --trials {K} "
                                 "--device cpu --dtype float64 --profile thorough",
                       reproduce_python=f"claims.reproduce(claim, point={{'L': 2, 'm': 64}}, seed=123, trials={K})")
        sc = [_scaling(rng, "omega", 0.66 + 0.02 * rng.gauss(0, 1), K, [1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2]),
              _scaling(rng, "m", -0.5 + 0.02 * rng.gauss(0, 1), K, [64, 128, 256, 512, 1024, 2048])]
        cid = f"{key.upper()}/Lemma-{i // 4}.{i % 4}"
        out.append({
            "claim_id": cid, "title": f"synthetic claim {i} in the style of {key}", "verdict": verdict,
            "message": f"{verdict}: 0/{examples * K} violations ...", "decision_rule": "Per example: exact one-sided binomial test ...",
            "claim": {"id": cid, "title": f"synthetic claim {i}", "paper": paper, "ref": f"Lemma {i // 4}.{i % 4}",
                      "source_note": "", "paper_key": key, "family": fam, "kind": "theorem",
                      "quantifier": "forall" if forall else "init", "adversary": "pgd" if forall else None,
                      "failure_prob": 0.05, "statement_tex": TEX[i % len(TEX)],
                      "bound": {"kind": "upper", "constant": 2.5, "lower_constant": None, "provenance": "calibrated",
                                "shape_tex": r"m \omega^{2/3} L"},
                      "regime": [{"name": "m", "type": "int", "low": 64, "high": 4096, "log": True, "limit": "width"},
                                 {"name": "L", "type": "int", "low": 2, "high": 16, "log": False, "limit": "depth"},
                                 {"name": "omega", "type": "float", "low": 1e-4, "high": 1e-1, "log": True, "limit": None}],
                      "tags": [], "notes": "", "dtype": "float64", "scalings": []},
            "stats": {"examples_planned": examples, "examples_run": examples, "trials_per_example": K,
                      "total_trials": examples * K, "total_violations": 0, "violation_rate": 0.0,
                      "violation_rate_ci": [0.0, 0.0072], "ci_level": 0.99, "failure_prob": 0.05, "alpha": 0.01,
                      "alpha_per_test": 0.01 / (examples + 2), "n_tests": examples + 2, "critical_count": 7, "power": 0.02,
                      "power_target": 0.9, "max_detectable_rate": 0.5, "tightness": max(e["max_ratio"] for e in exs),
                      "max_ratio": 1.0, "min_ratio": 0.1, "shrink_runs": 0,
                      "fitted_exponents": [{"param": s["param"], "slope": s["slope"], "ci": s["ci"], "claimed": s["exponent"],
                                            "relation": s["relation"], "verdict": s["verdict"]} for s in sc]},
            "examples": exs, "scalings": sc, "counterexample": cex, "worst_example": exs[0], "findings": [],
            "error": "MeasureError: NaN in 3 of 32 trials" if verdict == "error" else None, "seed": 0,
            "profile": {"name": "thorough", "max_examples": examples, "trials": K, "limits": {"width": 4096}, "alpha": 0.01,
                        "power_target": 0.9, "max_detectable_rate": 0.5},
            "device": "cuda", "dtype": "float64",
            "versions": {"python": "3.11.7", "torch": "2.13.0", "numpy": "2.4.6", "ovpcheck": "0.1.0"},
            "wall_time_s": rng.uniform(1, 60), "started": "2026-12-01T00:00:00+00:00", "version": 1})
    return {"schema": "ovpcheck-results", "version": 1, "created": "2026-12-01T00:00:00+00:00", "profile": "thorough",
            "complete": True, "git_commit": "0" * 40, "results": out}


def test_render_200_claims(benchmark, tmp_path):
    src = tmp_path / "claims.json"
    src.write_text(json.dumps(synthetic_results()), encoding="utf-8")
    out = tmp_path / "claims.html"
    benchmark.pedantic(report.render_html, args=(src, out), kwargs={"git_commit": "0" * 40}, rounds=3, warmup_rounds=1)
    size = os.path.getsize(out)
    t = benchmark.stats.stats.min
    benchmark.extra_info.update(claims=N_CLAIMS, seconds=round(t, 3), html_bytes=size,
                                json_bytes=os.path.getsize(src), target_seconds=5.0, target_bytes=MAX_BYTES)
    print(f"\n  report: {N_CLAIMS} claims rendered in {t:.2f} s (target < 5 s); HTML {size / 1e6:.2f} MB "
          f"(target < {MAX_BYTES / 2 ** 20:.0f} MiB), JSON {os.path.getsize(src) / 1e6:.2f} MB")
    assert size < MAX_BYTES, f"report for {N_CLAIMS} claims is {size} bytes (limit {MAX_BYTES})"
