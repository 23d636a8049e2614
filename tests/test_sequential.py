"""Validation of the anytime-valid decision (claims/_sequential.py) on simulated
Bernoulli streams: the false-fail rate stays <= alpha under optional stopping, the
power at the stated detectable rate is >= 0.9, the closed forms match numerical
integration, and the exact power computation matches simulation.

Every simulation draws from a seeded numpy Generator; the asserted intervals are
two-sided 99% Clopper-Pearson intervals, so each statistical assertion is wrong
with probability <= 0.005 on its side when the code is right (fixed seeds make the
outcome deterministic).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate

from claims import _stats
from claims._sequential import (AnytimeDecision, FixedDecision, bonferroni_alpha, cs_upper, fail_probability,
                                log_e_value, passes_cs, trials_for_power)

N_SIM = 4000


def _simulate(decision: AnytimeDecision, p: float, p0: float, alpha: float, n_sim: int, seed: int,
              allow_pass: bool = True):
    """Run ``n_sim`` streams of rate ``p`` through the rule (vectorised over streams); with
    ``allow_pass=False`` only the fail boundary stops a stream (the worst case for the error rate).

    Returns (fails, passes, trials used per stream)."""
    rng = np.random.default_rng(seed)
    nb = math.ceil(decision.max_trials / decision.batch)
    sizes = np.array([min(decision.batch, decision.max_trials - j * decision.batch) for j in range(nb)])
    v = np.cumsum(rng.binomial(sizes, p, size=(n_sim, nb)), axis=1)   # [S, B] violations after each batch
    n = np.broadcast_to(np.cumsum(sizes), v.shape)
    fail = np.asarray(log_e_value(n, v, p0)) >= math.log(1 / alpha)
    ok = np.asarray(passes_cs(n, v, decision.p_det, decision.beta)) & ~fail & allow_pass
    stop = fail | ok
    first = np.where(stop.any(axis=1), stop.argmax(axis=1), nb - 1)
    rows = np.arange(n_sim)
    fails = fail[rows, first]
    passes = ok[rows, first]
    return int(fails.sum()), int(passes.sum()), n[rows, first]


def _cp(k, n):
    return _stats.clopper_pearson(k, n, 0.99)


# ----------------------------------------------------------------------------- closed forms


@pytest.mark.parametrize("n,v,p0", [(8, 0, 0.05), (16, 3, 0.05), (40, 10, 0.2), (5, 5, 0.5), (30, 1, 0.001)])
def test_log_e_value_matches_quadrature(n, v, p0):
    lr = lambda q: (q / p0) ** v * ((1 - q) / (1 - p0)) ** (n - v) / (1 - p0)  # noqa: E731
    val, _ = integrate.quad(lr, p0, 1, epsabs=0, epsrel=1e-10, limit=200)
    assert log_e_value(n, v, p0) == pytest.approx(math.log(val), rel=1e-8, abs=1e-8)


def test_log_e_value_exact_claim_and_vectorised():
    assert log_e_value(10, 0, 0.0) == pytest.approx(-math.log(11))
    assert log_e_value(10, 1, 0.0) == math.inf
    got = log_e_value(np.array([8, 16, 40]), np.array([0, 3, 10]), 0.05)
    want = [log_e_value(8, 0, 0.05), log_e_value(16, 3, 0.05), log_e_value(40, 10, 0.05)]
    np.testing.assert_allclose(got, want, rtol=1e-12)
    with pytest.raises(ValueError, match="violations"):
        log_e_value(3, 4, 0.05)
    with pytest.raises(ValueError, match="p0"):
        log_e_value(3, 1, 1.5)


@pytest.mark.parametrize("n,v", [(8, 0), (8, 3), (16, 1), (64, 20), (100, 99)])
def test_cs_upper_is_the_boundary_of_passes_cs(n, v):
    u = cs_upper(n, v, 0.1)
    assert v / n <= u <= 1
    if u < 1:
        assert passes_cs(n, v, min(1.0, u + 1e-6), 0.1)
        assert not passes_cs(n, v, max(1e-9, u - 1e-6), 0.1)


def test_cs_covers_the_true_rate_uniformly_over_time():
    """P(exists n: p > upper_n) <= beta, checked over 256 trials of each stream."""
    beta, p = 0.1, 0.3
    rng = np.random.default_rng(11)
    x = rng.random((N_SIM, 256)) < p
    v = np.cumsum(x, axis=1)
    n = np.broadcast_to(np.arange(1, 257), v.shape)
    # p above the upper end at some n <=> the pass condition at p_det = p holds at some n
    miss = np.asarray(passes_cs(n, v, p, beta)).any(axis=1)
    lo, hi = _cp(int(miss.sum()), N_SIM)
    assert lo <= beta, f"coverage violated: {miss.mean():.4f} of streams left the sequence (99% CP [{lo:.4f}, {hi:.4f}])"


# ----------------------------------------------------------------------------- error rate under optional stopping


@pytest.mark.parametrize("p0", [0.05, 0.2])
def test_false_fail_rate_under_optional_stopping(p0):
    """A stream exactly at the null's edge (p = p0), checked after every batch of 8 up to 512
    trials: the fail rate is <= alpha (99% CP lower end below alpha).  alpha = 0.05 here so
    that a violation of the guarantee would be visible in 4000 streams."""
    alpha = 0.05
    rule = AnytimeDecision(batch=8, max_trials=512, p_det=0.5)
    fails, passes, _ = _simulate(rule, p0, p0, alpha, N_SIM, seed=1, allow_pass=False)
    assert passes == 0
    lo, hi = _cp(fails, N_SIM)
    assert lo <= alpha, f"false-fail rate {fails / N_SIM:.4f} > alpha {alpha} (99% CP [{lo:.4f}, {hi:.4f}])"


def test_peeking_with_the_fixed_binomial_test_breaks_the_error_rate():
    """The check above can fail: re-testing a fixed-level binomial test after every batch
    (what 'just stop early' would do) exceeds alpha under the same stream."""
    alpha, p0 = 0.05, 0.2
    rng = np.random.default_rng(2)
    nb = 64
    v = np.cumsum(rng.binomial(8, p0, size=(N_SIM, nb)), axis=1)
    n = np.arange(8, 8 * nb + 1, 8)
    crit = np.array([_stats.critical_count(int(k), p0, alpha) for k in n])
    rejected = (v >= crit).any(axis=1)
    lo, _ = _cp(int(rejected.sum()), N_SIM)
    assert lo > alpha, f"naive peeking stayed within alpha ({rejected.mean():.3f}): the validation has no teeth"


def test_exact_claim_fails_at_the_first_violation_only():
    rule = AnytimeDecision(batch=8, max_trials=64, p_det=0.5)
    t = rule.start(0.0, 1e-5)
    assert t.update(8, 0) == "pass"
    t = rule.start(0.0, 1e-5)
    assert t.update(8, 1) == "fail"


# ----------------------------------------------------------------------------- power


def test_power_at_the_detectable_rate_with_the_suite_level_alpha():
    """With the suite-level alpha of a 126-claim catalog (0.01 / 126 / 5 tests per claim),
    batches of 8 and a budget of 32 trials, a stream at the detectable rate 0.5 fails with
    probability >= 0.9: simulated, and computed exactly."""
    alpha = bonferroni_alpha(0.01, 126) / 5
    rule = AnytimeDecision(batch=8, max_trials=32, p_det=0.5)
    fails, passes, used = _simulate(rule, 0.5, 0.05, alpha, N_SIM, seed=3)
    lo, hi = _cp(fails, N_SIM)
    assert lo >= 0.9, f"power {fails / N_SIM:.3f} (99% CP [{lo:.3f}, {hi:.3f}]) < 0.9"
    exact = rule.fail_power(0.05, alpha)
    assert lo <= exact <= hi
    assert passes / N_SIM <= rule.beta
    assert trials_for_power(0.05, 0.5, alpha, 8) == 32


def test_true_claim_with_margin_passes_after_one_batch():
    """A claim with no violations (the common case) stops for pass after the first batch of 8:
    the cost is a quarter of the 32-trial budget and half of the fixed rule's K = 16."""
    alpha = bonferroni_alpha(0.01, 126) / 5
    rule = AnytimeDecision(batch=8, max_trials=32, p_det=0.5)
    fails, passes, used = _simulate(rule, 0.0, 0.05, alpha, N_SIM, seed=4)
    assert fails == 0 and passes == N_SIM
    assert used.mean() == 8


def test_fail_probability_matches_simulation_between_the_rates():
    alpha, p0 = 1e-3, 0.05
    rule = AnytimeDecision(batch=8, max_trials=96, p_det=0.4)
    for p, seed in [(0.1, 5), (0.25, 6)]:
        fails, _, _ = _simulate(rule, p, p0, alpha, N_SIM, seed=seed)
        lo, hi = _cp(fails, N_SIM)
        exact = fail_probability(p0, p, alpha, 8, 96, p_det=0.4, beta=rule.beta)
        assert lo <= exact <= hi, (p, fails / N_SIM, exact)


# ----------------------------------------------------------------------------- the rules' interface


def test_fixed_decision_is_the_binomial_test():
    rule = FixedDecision(trials=16)
    alpha, p0 = 0.0025, 0.05
    crit = _stats.critical_count(16, p0, alpha)
    t = rule.start(p0, alpha)
    assert t.next_batch == 16
    assert t.update(16, crit) == "fail"
    t = rule.start(p0, alpha)
    assert t.update(16, crit - 1) == "pass"
    assert rule.power(p0, alpha, 4) == pytest.approx(_stats.detectable_rate(16, crit, 0.9, 4))


def test_anytime_trajectory_and_budget():
    rule = AnytimeDecision(batch=8, max_trials=20, p_det=0.5)
    t = rule.start(0.05, 1e-4)
    assert t.next_batch == 8
    assert t.update(8, 2) == "continue"
    assert t.update(8, 2) == "continue"
    assert t.next_batch == 4
    assert t.update(4, 1) == "inconclusive"
    assert [row[0] for row in t.trajectory] == [8, 16, 20]
    assert all(row[2] < math.log(1e4) for row in t.trajectory)
    with pytest.raises(RuntimeError, match="already stopped"):
        t.update(8, 0)


@pytest.mark.parametrize("kwargs,match", [
    (dict(batch=0, max_trials=8), "batch"),
    (dict(batch=8, max_trials=4), "max_trials"),
    (dict(batch=8, max_trials=8, p_det=0.0), "p_det"),
    (dict(batch=8, max_trials=8, power_target=1.0), "power_target"),
])
def test_bad_parameters_are_named(kwargs, match):
    with pytest.raises(ValueError, match=match):
        AnytimeDecision(**kwargs)


@pytest.mark.parametrize("a", [0.0, 1.0, -0.1, 2.0])
def test_bonferroni_rejects_alpha_outside_the_unit_interval(a):
    with pytest.raises(ValueError, match=r"\(0, 1\)"):
        bonferroni_alpha(a, 10)


# ----------------------------------------------------------------------------- the engine under the anytime rule

import dataclasses  # noqa: E402
import json  # noqa: E402

import torch  # noqa: E402

import claims  # noqa: E402
from claims import Bound, Claim, IntParam, Measurement, Profile, Source  # noqa: E402
from claims._engine import run_example  # noqa: E402
from claims.cli import main as cli_main  # noqa: E402

_SRC = Source("synthetic.txt", "Fact 1")


def _uniform(point, ctx):
    """U(0, 1) per trial: P(value > c) = 1 - c, so the bound's constant sets the violation rate."""
    return Measurement(torch.rand(ctx.trials, generator=ctx.generator(), dtype=ctx.dtype), {})


def _claim(constant, p0=0.05, id="SEQ/u"):
    return Claim(id=id, title=id, source=_SRC, statement_tex="U \\le c", family="sanity",
                 regime=(IntParam("n", 1, 4),), measure=_uniform,
                 bound=Bound("upper", lambda p: 1.0, constant, provenance="exact"), failure_prob=p0)


TRUE_U = _claim(1.0)                 # never violated
FALSE_U = _claim(0.2, id="SEQ/f")    # violated with probability 0.8 > 0.05
ANY = Profile("seq", max_examples=3, trials=16, decision="anytime", alpha=1e-4)


def test_true_claim_passes_after_one_batch_per_example():
    r = claims.check(TRUE_U, profile=ANY)
    assert r.verdict == "pass", r.message
    assert r.stats["decision"] == "anytime" and r.stats["trials_used"] == 3 * 8
    assert r.stats["trials_budget"] == 3 * 32 and r.stats["power"] == 0.5
    assert all(e["decision"] == "pass" and e["trials"] == 8 for e in r.examples)
    assert "anytime-valid" in r.decision_rule and "24 of 96 budgeted trials" in r.message


def test_false_claim_fails_and_the_reproduce_command_recomputes_the_batches(capsys):
    r = claims.check(FALSE_U, profile=ANY)
    assert r.verdict == "fail", r.message
    c = r.counterexample
    assert c["decision"] == "fail" and c["log_e"] >= math.log(1 / r.stats["alpha_per_test"])
    assert "--trial-chunk 8" in c["reproduce"]
    again = run_example(FALSE_U, c["point"], c["seed"], c["trials"], torch.device("cpu"), torch.float64,
                        ANY.example_profile())
    assert again["values"].tolist() == c["values"]
    assert cli_main(["reproduce", "--claim", "tests.test_sequential:FALSE_U", "--point",
                            json.dumps(c["point"]), "--seed", str(c["seed"]), "--trials", str(c["trials"]),
                            "--trial-chunk", "8"]) == 0
    assert json.loads(capsys.readouterr().out)["values"] == c["values"]


def test_undecided_examples_make_the_claim_inconclusive():
    # violation rate 0.15: above p0 = 0.05, below p_det = 0.5; a budget of 16 trials settles neither
    prof = dataclasses.replace(ANY, max_trials=16)
    r = claims.check(_claim(0.85, id="SEQ/m"), profile=prof)
    assert r.verdict == "inconclusive", r.message
    assert "reached the budget of 16 trials undecided" in r.message


def test_fixed_rule_numbers_are_unchanged_by_the_decision_plumbing():
    prof = dataclasses.replace(ANY, decision="fixed")
    r = claims.check(TRUE_U, profile=prof)
    assert r.stats["decision"] == "fixed" and r.stats["trials_used"] == 3 * 16
    ex = r.examples[0]
    base = run_example(TRUE_U, ex["point"], ex["seed"], 16, torch.device("cpu"), torch.float64, prof)
    assert base["max_ratio"] == ex["max_ratio"]


@pytest.mark.parametrize("kw,match", [
    (dict(decision="sometimes"), "decision must be one of"),
    (dict(decision="anytime", batch=6, trial_chunk=4), "multiple of trial_chunk"),
    (dict(decision="anytime", batch=8, max_trials=4), "max_trials"),
])
def test_bad_decision_settings_are_named(kw, match):
    with pytest.raises(claims.InvalidClaimError, match=match):
        Profile("bad", max_examples=1, trials=8, **kw)


def test_overrides_check_alpha_and_decision():
    from claims._profiles import with_overrides

    p = with_overrides("ci", decision="anytime", alpha=0.001)
    assert (p.decision, p.alpha, p.alpha_suite) == ("anytime", 0.001, None)   # claim level: no suite design
    assert with_overrides("ci", alpha_suite=0.05).alpha_suite == 0.05
    with pytest.raises(ValueError, match="--claims-alpha must lie strictly between 0 and 1"):
        with_overrides("ci", alpha_suite=1.5, prefix="--claims-")
    with pytest.raises(ValueError, match="--claims-claim-alpha must lie strictly between 0 and 1"):
        with_overrides("ci", alpha=0.0, prefix="--claims-")
    with pytest.raises(ValueError, match="contradict each other"):
        with_overrides("ci", alpha=0.01, alpha_suite=0.01)
    with pytest.raises(ValueError, match="--decision must be one of"):
        with_overrides("ci", decision="bayes")


def test_shipped_profiles_design_the_suite_level_rate():
    """Every shipped profile has alpha_suite = 0.01: a run of N claims checks each at 0.01/N, and the
    contract applied twice changes nothing (the returned profile is the claim-level one)."""
    from claims._profiles import PROFILES
    from claims._sequential import suite_contract

    for prof in PROFILES.values():
        assert prof.alpha_suite == 0.01
        p, c = suite_contract(prof, 135)
        assert c["by_design"] and c["alpha_suite"] == 0.01 and c["suite_bound"] == pytest.approx(0.01)
        assert p.alpha == pytest.approx(0.01 / 135) and p.alpha_suite is None
        assert suite_contract(p, 135)[0].alpha == p.alpha       # idempotent
        assert suite_contract(prof, 1)[0].alpha == pytest.approx(0.01)   # a run of one: the claim's alpha
    with pytest.raises(claims.InvalidClaimError, match="alpha_suite must be None or lie in"):
        Profile("bad", max_examples=1, trials=8, alpha_suite=1.0)


def test_cli_alpha_and_decision_write_the_contract(tmp_path, capsys):
    out = tmp_path / "r.json"
    assert cli_main(["run", "--claim", "tests.test_sequential:TRUE_U", "--claim", "tests.test_sequential:FALSE_U",
                     "--alpha", "0.02", "--decision", "anytime", "--json", str(out), "--profile", "ci"]) == 1
    err = capsys.readouterr().err
    assert "alpha_suite = 0.02 by design (2 claims at alpha_claim = 0.01 each)" in err
    doc = json.loads(out.read_text())
    assert doc["run"]["contract"]["alpha_claim"] == pytest.approx(0.01)
    verdicts = {r["claim_id"]: (r["verdict"], r["stats"]["decision"]) for r in doc["results"]}
    assert verdicts == {"SEQ/u": ("pass", "anytime"), "SEQ/f": ("fail", "anytime")}
    from claims.report import render_html

    render_html(str(out), str(tmp_path / "r.html"))
    text = (tmp_path / "r.html").read_text()
    assert 'id="suite-contract"' in text and "by design" in text


@pytest.mark.parametrize("bad", ["0", "1", "2.5"])
def test_cli_alpha_outside_the_unit_interval_is_refused(bad, capsys):
    assert cli_main(["run", "--claim", "tests.test_sequential:TRUE_U", "--alpha", bad]) == 2
    assert "--alpha must lie strictly between 0 and 1" in capsys.readouterr().err
    assert cli_main(["run", "--claim", "tests.test_sequential:TRUE_U", "--claim-alpha", bad]) == 2
    assert "--claim-alpha must lie strictly between 0 and 1" in capsys.readouterr().err


def test_cli_default_contract_is_by_design_and_claim_alpha_opts_out(tmp_path, capsys):
    """Without options a run is designed for alpha_suite = 0.01 (each of its N claims at 0.01/N);
    --claim-alpha A checks each claim at A and states the union bound; both together are refused."""
    args = ["run", "--claim", "tests.test_sequential:TRUE_U", "--claim", "tests.test_sequential:FALSE_U",
            "--profile", "ci", "--json", str(tmp_path / "r.json")]
    assert cli_main(args) == 1
    assert "alpha_suite = 0.01 by design (2 claims at alpha_claim = 0.005 each)" in capsys.readouterr().err
    assert json.loads((tmp_path / "r.json").read_text())["run"]["contract"]["alpha_claim"] == pytest.approx(0.005)
    assert cli_main(args + ["--claim-alpha", "0.01"]) == 1
    assert "per-claim alpha = 0.01 over 2 claims: suite-level bound 0.02" in capsys.readouterr().err
    assert cli_main(args + ["--claim-alpha", "0.01", "--alpha", "0.01"]) == 2
    assert "contradict each other" in capsys.readouterr().err


def test_resume_refuses_another_decision_or_claim_level_alpha(tmp_path):
    """The verdicts depend on the decision rule and on the level each claim ran at: resuming a run
    under another --decision, --alpha or --claim-alpha is refused, naming the option."""
    from claims._runner import run_claims

    path = str(tmp_path / "r.json")
    prof = dataclasses.replace(ANY, alpha_suite=0.02)
    two = [TRUE_U, dataclasses.replace(TRUE_U, id="SEQ/u2")]
    run_claims(two, prof, json_path=path)
    assert json.loads((tmp_path / "r.json").read_text())["run"]["contract"]["alpha_claim"] == pytest.approx(0.01)
    with pytest.raises(ValueError, match="claim-level alpha 0.01 but this run has 0.005"):
        run_claims(two, dataclasses.replace(prof, alpha_suite=0.01), json_path=path, resume=True)
    with pytest.raises(ValueError, match="decision='anytime' but this run has decision='fixed'"):
        run_claims(two, dataclasses.replace(prof, decision="fixed"), json_path=path, resume=True)
    out = run_claims(two, prof, json_path=path, resume=True)
    assert out.resumed == ["SEQ/u", "SEQ/u2"] and out.complete
