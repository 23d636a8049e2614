"""The stages of claims.check taken one at a time (claims/_engine.py: _plan, _search,
_claim_stats, _rule_text, _verdict), on hand-made inputs whose outputs are known."""

import dataclasses
import math
import time

import pytest
import torch

from claims import Bound, Claim, IntParam, Profile, Scaling, Source
from claims._engine import (SearchOutcome, _CheckRun, _claim_stats, _plan, _rule_text, _search, _verdict,
                            resolve_ranges)

SRC = Source("synthetic.txt", "Fact 1")
FIXED = Profile("fixed", max_examples=4, trials=16, alpha=0.01)
ANYTIME = dataclasses.replace(FIXED, name="anytime", decision="anytime")


def _uniform(point, ctx):
    return torch.rand(ctx.trials, generator=ctx.generator(), dtype=ctx.dtype)


def _claim(constant=0.999, failure_prob=0.05, **kw):
    return Claim(id="SYN/stage", title="stage", source=SRC, statement_tex="x", family="sanity",
                 regime=(IntParam("n", 1, 100),), measure=_uniform,
                 bound=Bound("upper", lambda p: 1.0, constant, provenance="exact"), failure_prob=failure_prob, **kw)


def _ex(trials, violations, max_ratio, decision="pass", score=None, n=1):
    return {"point": {"n": n}, "draw": n, "seed": n, "trials": trials, "violations": violations, "p_value": 0.5,
            "significant": False, "max_ratio": max_ratio, "min_ratio": max_ratio / 2,
            "score": max_ratio if score is None else score, "decision": decision}


def _stats_for(plan, prof, search, ce=None, scalings=(), power=0.1):
    return _claim_stats(plan, prof, search, ce, list(scalings), power=power, bound_kind="upper", enforced=False,
                        over_budget=False)


def test_plan_splits_alpha_over_examples_and_gated_scalings():
    c = _claim(scalings=(Scaling("n", 0.5, grid=(1, 10)), Scaling("n", 0.0, "report", grid=(1, 10))))
    plan = _plan(c, FIXED)
    assert (plan.n_examples, plan.n_tests) == (4, 5)          # the report scaling spends no alpha
    assert plan.alpha_ex == pytest.approx(0.01 / 5) and plan.crit is not None and plan.budget == 16
    aplan = _plan(c, ANYTIME)
    assert aplan.anytime and aplan.crit is None and aplan.budget == ANYTIME.anytime_max_trials


def test_claim_stats_totals_and_tightness_include_the_counterexample():
    plan = _plan(_claim(), FIXED)
    search = SearchOutcome(examples=[_ex(16, 0, 0.5, n=1), _ex(16, 2, 0.9, n=2), _ex(8, 1, 0.7, n=3)], shrinks=3)
    s = _stats_for(plan, FIXED, search)
    assert (s["examples_run"], s["total_trials"], s["total_violations"]) == (3, 40, 3)
    assert s["violation_rate"] == pytest.approx(3 / 40) and s["trials_used"] == 40
    assert s["violation_rate_ci"][0] < 3 / 40 < s["violation_rate_ci"][1]
    assert (s["tightness"], s["max_ratio"], s["min_ratio"]) == (0.9, 0.9, 0.25)
    assert (s["shrink_runs"], s["n_tests"], s["examples_planned"]) == (3, 4, 4)
    assert s["power"] == 0.1 and s["decision"] == "fixed" and s["fail_power"] is None
    ce = _ex(16, 12, 1.8, decision="fail", n=4)
    s2 = _stats_for(plan, FIXED, search, ce=ce)
    assert s2["total_trials"] == 40 and s2["tightness"] == 1.8    # totals count the search's examples only
    empty = _stats_for(plan, FIXED, SearchOutcome(), power=math.inf)
    assert (empty["total_trials"], empty["violation_rate"], empty["violation_rate_ci"]) == (0, None, [0.0, 1.0])
    assert empty["power"] is None and empty["tightness"] is None


def test_rule_text_names_the_test_of_the_decision_rule():
    c = _claim()
    fixed = _rule_text(_plan(c, FIXED), FIXED, None)
    assert fixed.startswith("Per example: exact one-sided binomial test") and "0.01/4 = 0.0025" in fixed
    assert f"smallest rejected count {_plan(c, FIXED).crit}." in fixed and "anytime" not in fixed
    aplan = _plan(c, ANYTIME)
    anytime = _rule_text(aplan, ANYTIME, 0.42)
    assert anytime.startswith("Per example (anytime-valid): anytime: batches of")
    assert "mixture e-value" in anytime and "probability 0.42." in anytime and "binomial" not in anytime
    assert "probability nan." in _rule_text(aplan, ANYTIME, None)


def test_verdict_error_beats_fail_beats_inconclusive_beats_pass():
    plan = _plan(_claim(), FIXED)

    def verdict(search, ce=None, scalings=(), power=0.1, over=False):
        stats = _stats_for(plan, FIXED, search, ce=ce, scalings=scalings, power=power)
        worst = max(search.examples + ([ce] if ce else []), key=lambda e: e["score"], default=None)
        return _verdict(plan, FIXED, stats, search, ce, worst, list(scalings), power=power, bound_kind="upper",
                        over_time=lambda: over)

    ok = [_ex(16, 0, 0.5, n=i) for i in range(4)]
    ce = {**_ex(16, 12, 1.8, decision="fail", n=9), "p_value": 1e-9, "reproduce": "python -m claims reproduce X"}
    sc = {"param": "n", "exponent": 0.5, "relation": "at_most"}
    s_fail = {**sc, "verdict": "fail", "message": "slope too steep"}
    s_err = {**sc, "verdict": "error", "message": "sweep broke", "details": "TB"}
    s_inc = {**sc, "verdict": "inconclusive", "message": "grid too small"}
    s_ok = {**sc, "verdict": "ok", "message": "slope fine"}

    v, msg, err = verdict(SearchOutcome(examples=ok, error="measure raised", error_details="trace"), ce, [s_fail])
    assert (v, msg, err) == ("error", "measure raised", "trace")
    v, msg, err = verdict(SearchOutcome(examples=ok, search_error=("ValueError: x", "tb")), ce)
    assert (v, msg, err) == ("error", "the search broke: ValueError: x", "tb")
    assert verdict(SearchOutcome(examples=ok), ce, [s_err, s_fail]) == ("error", "scaling in n: sweep broke", "TB")

    v, msg, err = verdict(SearchOutcome(examples=ok[:1] + [_ex(16, 3, 0.9, "inconclusive", n=5)]), ce, [s_inc])
    assert v == "fail" and err is None
    assert msg.startswith('12/16 trials violate the upper bound at {"n": 9} (p = 1e-09 <= alpha_ex = 0.0025')
    assert msg.endswith("worst ratio seen 1.8 — reproduce: python -m claims reproduce X")
    assert verdict(SearchOutcome(examples=ok), None, [s_fail]) == ("fail", "scaling in n: slope too steep", None)

    v, msg, _ = verdict(SearchOutcome(), over=True)
    assert v == "inconclusive" and msg.endswith("every drawn point or the time budget ran out)")
    v, msg, _ = verdict(SearchOutcome(examples=ok[:3] + [_ex(16, 3, 0.9, "inconclusive", n=5)]), None, [s_inc])
    assert v == "inconclusive" and msg.startswith("1 of 4 example(s) reached the budget of 16 trials undecided")
    v, msg, _ = verdict(SearchOutcome(examples=ok), None, [s_inc], power=0.7)
    assert v == "inconclusive" and msg.startswith("budget too small: 4 example(s) x K=16")
    assert verdict(SearchOutcome(examples=ok), None, [s_inc, s_ok]) == ("inconclusive", "scaling in n: grid too small",
                                                                        None)

    v, msg, err = verdict(SearchOutcome(examples=ok), None, [s_ok])
    assert v == "pass" and err is None
    assert msg.startswith("0/64 violations over 4 example(s)") and msg.endswith("; scaling in n: slope fine")


def _wide_breaks(point, ctx):
    """Violates the bound 1 in most trials at n > 12, never at n <= 12."""
    u = torch.rand(ctx.trials, generator=ctx.generator(), dtype=ctx.dtype)
    return u * (1.0 + float(point["n"] > 12)) + 0.5 * float(point["n"] > 12)


def test_search_alone_finds_and_shrinks_a_counterexample():
    false = dataclasses.replace(_claim(constant=1.0), id="SYN/stage-false", measure=_wide_breaks)
    prof = dataclasses.replace(FIXED, max_shrinks=5)
    run = _CheckRun(false, prof, _plan(false, prof), torch.device("cpu"), torch.float64, 0, lambda m: None,
                    time.monotonic())
    out = _search(run, resolve_ranges(false, prof))
    assert not out.broke and out.first is not None and out.candidate is not None
    assert out.candidate["significant"] and out.candidate["values"]            # a full record, per trial
    assert out.examples[-1]["significant"] and not any(e["significant"] for e in out.examples[:-1])
    assert out.first["point"] == out.examples[-1]["point"] and out.first["point"]["n"] > 12
    assert 0 < out.shrinks <= 5 and out.candidate is out.best
    assert 12 < out.candidate["point"]["n"] <= out.first["point"]["n"]         # shrunk toward n = 13
