"""AZL-RNN catalog (claims/catalog/azl_rnn.py): true claims pass (or are honestly
inconclusive) under profile "quick"; deliberately FALSE variants (sharpened constant /
exponent, or the paper's off-by-one linearization) fail with a counterexample."""

from __future__ import annotations

import dataclasses
import functools

import pytest
import torch

import claims
from claims import Bound, Measurement
from claims.catalog import azl_rnn
from claims.catalog import _azl_rnn_measures as M

C = {c.id: c for c in azl_rnn.AZL_RNN_CLAIMS}

EXPECTED_IDS = {
    "AZL-RNN/Lem7.1-identity", "AZL-RNN/(5.1)", "AZL-RNN/PropD.2-i",
    *(f"AZL-RNN/B.1{x}" for x in "abcdefghijk"), "AZL-RNN/C.1", "AZL-RNN/D.1a", "AZL-RNN/D.1b",
    "AZL-RNN/E.1-1", "AZL-RNN/E.1-2", "AZL-RNN/E.1-3", "AZL-RNN/E.1-4",
    "AZL-RNN/F.1a", "AZL-RNN/F.1b", "AZL-RNN/F.1c", "AZL-RNN/Lem6.1", "AZL-RNN/Lem6.2", "AZL-RNN/Lem8.1",
    "AZL-RNN/Thm1", "AZL-RNN/D.1a-zeta_d", "AZL-RNN/D.1c", "AZL-RNN/PropD.2-ii", "AZL-RNN/FactD.3",
    "AZL-RNN/Lem7.1", "AZL-RNN/Lem5.4", "AZL-RNN/ClaimG.1a", "AZL-RNN/ClaimG.1b", "AZL-RNN/Lem6.3",
    "AZL-RNN/Sec2-complexity", "AZL-RNN/fn1", "AZL-RNN/PropA.3", "AZL-RNN/Lem5.1a", "AZL-RNN/Lem5.1b",
    "AZL-RNN/PfG.2", "AZL-RNN/Lem5.2a", "AZL-RNN/Lem5.2b", "AZL-RNN/(9.2)", "AZL-RNN/(9.3)",
}


def test_registered_and_well_formed():
    assert EXPECTED_IDS <= set(C)
    ids = set(claims.catalog.ids())
    assert EXPECTED_IDS <= ids
    for c in C.values():
        assert c.family == "rnn" and c.source.paper == M.PAPER
        assert c.bound.provenance and c.notes
        if "exact" in c.tags:
            assert c.failure_prob == 0.0 and c.dtype == "float64"


def test_data_pipeline_is_def31():
    ctx = claims.MeasureContext(trials=2, device=torch.device("cpu"), dtype=torch.float64, seed=3,
                                profile=claims.PROFILES["quick"])
    x = M.make_x({"m": 64, "L": 5, "eps_x": 0.1, "n": 3, "d_x": 4}, ctx)
    assert x.shape == (3, 5, 5)
    claims_data = __import__("ovpmodel").data
    claims_data.validate_normalized(x, 0.1, check_structure=True)


def test_zeta_c_closed_form_and_recursions():
    # exact closed form vs a direct numerical integral of the definition
    b = 0.5
    g = torch.Generator().manual_seed(0)
    g1, g2 = torch.randn(2, 1_000_000, generator=g, dtype=torch.float64)
    a = (1 - b * b) ** 0.5
    mc = float(((torch.relu(g1) - torch.relu(a * g1 + b * g2)) ** 2).mean())
    assert abs(mc - float(M.zeta_c(b))) < 3e-3
    paper, corr = M.zeta_d_recursions(0.01, 6)
    assert all(0.9 < q < 1.05 for q in paper)           # the paper's recursion: Q ~ 1
    assert all(1.8 < q < 2.05 for q in corr[:-1])       # corrected: Q ~ 2 (factor-2 discrepancy)


TRUE_QUICK = ["AZL-RNN/Lem7.1-identity", "AZL-RNN/(5.1)", "AZL-RNN/PropD.2-i", "AZL-RNN/B.1a", "AZL-RNN/B.1g",
              "AZL-RNN/C.1", "AZL-RNN/D.1a", "AZL-RNN/Lem8.1", "AZL-RNN/Thm1", "AZL-RNN/D.1a-zeta_d",
              "AZL-RNN/PropD.2-ii", "AZL-RNN/FactD.3", "AZL-RNN/Lem5.4", "AZL-RNN/ClaimG.1b",
              "AZL-RNN/Sec2-complexity", "AZL-RNN/fn1", "AZL-RNN/PropA.3", "AZL-RNN/LemA.1", "AZL-RNN/CorA.2"]


@pytest.mark.parametrize("cid", TRUE_QUICK)
def test_true_claims_quick(cid):
    r = claims.check(C[cid], profile="quick")
    assert r.verdict in ("pass", "inconclusive"), r.message


def _fails(claim):
    r = claims.check(claim, profile="quick")
    assert r.verdict == "fail", r.message
    return r


def test_false_exact_offbyone_linearization_fails():
    """EXACT family: the paper's written (off-by-one) form of (5.1) is not the JVP."""
    bad = dataclasses.replace(C["AZL-RNN/(5.1)"], id="AZL-RNN/(5.1)/literal", kind="conjecture",
                              measure=lambda p, ctx: M.measure_jvp51(p, ctx, literal=True), examples=1)
    r = _fails(bad)
    assert r.counterexample is not None and r.counterexample["max_ratio"] > 1e6


def test_false_init_constant_fails():
    """INIT family (Lemma B.1h): a 20x sharper constant is falsified."""
    c = C["AZL-RNN/B.1h"]
    bad = dataclasses.replace(c, id=c.id + "/sharp", kind="conjecture", scalings=(),
                              bound=dataclasses.replace(c.bound, constant=c.bound.constant / 20))
    assert _fails(bad).counterexample is not None


def test_false_backward_correlation_constant_fails():
    c = C["AZL-RNN/C.1"]
    bad = dataclasses.replace(c, id=c.id + "/sharp", kind="conjecture", scalings=(),
                              bound=dataclasses.replace(c.bound, constant=c.bound.constant / 20))
    assert _fails(bad).counterexample is not None


def test_false_paper_recursion_value_fails():
    """Lemma D.1: asserting the paper's recursion VALUE (Q ~ 1, not just the interval) fails: the
    measured ||h - h0||^2 is ~2x the recursion (CLAIMS.md D.1a factor-2 discrepancy)."""
    c = C["AZL-RNN/D.1a"]

    def meas(p, ctx):
        ex = M.measure_d1(p, ctx)
        return Measurement(ex["measured_over_paper_recursion"], ex)

    bad = dataclasses.replace(c, id=c.id + "/paper-recursion", kind="conjecture", measure=meas,
                              bound=Bound("upper", lambda p: 1.0, 1.15, provenance="the paper's recursion (+15%)"))
    assert _fails(bad).counterexample is not None


def test_false_rerandomization_exponent_fails():
    c = C["AZL-RNN/E.1-1"]
    sc = dataclasses.replace(c.scalings[0], exponent=0.1, tolerance=0.0)
    bad = dataclasses.replace(c, id=c.id + "/sharp", kind="conjecture", scalings=(sc,), examples=0)
    r = _fails(bad)
    assert any(s["verdict"] == "fail" for s in r.scalings)


def test_false_adversarial_flip_exponent_fails():
    """Lemma F.1b: the targeted construction reaches the Delta^{2/3} law; claiming Delta^{0.4} fails."""
    c = C["AZL-RNN/F.1b"]
    sc = dataclasses.replace(c.scalings[0], exponent=0.4, tolerance=0.0)
    bad = dataclasses.replace(c, id=c.id + "/sharp", kind="conjecture", scalings=(sc,), examples=0)
    r = _fails(bad)
    assert any(s["verdict"] == "fail" for s in r.scalings)


def test_false_rademacher_rate_fails():
    """Lemma 8.1: a faster-than-1/sqrt(N) rate (N^{-0.75}) is falsified."""
    c = C["AZL-RNN/Lem8.1"]
    sc = dataclasses.replace(c.scalings[0], exponent=-0.75, tolerance=0.0)
    bad = dataclasses.replace(c, id=c.id + "/sharp", kind="conjecture", scalings=(sc,), examples=0)
    r = _fails(bad)
    assert any(s["verdict"] == "fail" for s in r.scalings)


# ----------------------------------------------------------------------------- Theorem 1


def _ctx(trials=3, seed=5, dtype=torch.float64):
    return claims.MeasureContext(trials=trials, device=torch.device("cpu"), dtype=dtype, seed=seed,
                                 profile=claims.PROFILES["quick"])


@pytest.mark.parametrize("d", [1, 2])
def test_thm1_closed_form_gradient_matches_autograd(d):
    """Algorithm 1's step uses a closed-form BPTT gradient of sum_j ||lam F_j - y*_j||_2."""
    ctx = _ctx()
    p = dict(m=32, N=8, L=5, eps_x=0.2, lam=0.3, d=d, d_x=4, p=2, sigma=0.1)
    net = M.make_net(p, ctx, lam=0.3)
    _, _, _, x, y = M.thm1_task(p, ctx)
    W = net.W0 + 0.1 * torch.randn(net.W0.shape, generator=torch.Generator().manual_seed(0),
                                   dtype=torch.float64) / 32 ** 0.5
    ax = torch.matmul(x, net.A.unsqueeze(1).transpose(-1, -2)).transpose(1, 2)[:, :, 0]
    o, U, H, _ = M.obj_and_grad(net, ax, y[:, 0], W, 0.3)
    Wr = W.clone().requires_grad_(True)
    with torch.enable_grad():
        ob = (0.3 * net.forward(x[:, 0:1], Wr)[:, 2:, 0] - y[:, 0]).norm(dim=-1).sum(1)
        (Ga,) = torch.autograd.grad(ob.sum(), Wr)
    torch.testing.assert_close(o, ob.detach())
    torch.testing.assert_close(U.transpose(1, 2) @ H, Ga)


def test_thm1_batched_concepts_equal_concept_class():
    ctx = _ctx()
    p = dict(L=5, d=2, d_x=4, p=3, phi="tanh")
    As, Ws, phi = M.thm1_concepts(p, ctx)
    xs = __import__("ovpmodel").data.raw_tokens(3 * 7, 5, 4, seed=1).reshape(3, 7, 3, 4)
    y = M.concept_targets(As, Ws, phi, xs)
    for k in range(3):
        cc = __import__("ovpmodel").data.ConceptClass(As[k], Ws[k], phi=phi)
        torch.testing.assert_close(y[k], cc.targets(xs[k]))


def test_thm1_measure_reports_the_numbers():
    ctx = _ctx(trials=4, dtype=torch.float32)
    p = dict(azl_rnn._THM1_BASE, m=32, N=16)
    out = M.measure_thm1(p, ctx)
    for k in ("risk_avg", "OPT", "excess_avg", "excess_start", "excess_last", "rel_excess", "train_avg", "Delta"):
        assert k in out.extras
    assert abs(out.extras["OPT"] - 2 * 0.1 * (2 / torch.pi) ** 0.5) < 1e-12
    torch.testing.assert_close(out.extras["excess"], out.extras["risk_avg"] - out.extras["OPT"])
    torch.testing.assert_close(out.values, out.extras["excess"] / out.extras["excess_zero_predictor"])


def test_false_thm1_constant_fails():
    """Theorem 1 surrogate: claiming the averaged excess is <= 0.25 x the zero predictor's already at
    these sizes (an 'eps' the finite run does not reach) is falsified."""
    c = C["AZL-RNN/Thm1"]
    bad = dataclasses.replace(c, id=c.id + "/sharp", kind="conjecture", scalings=(),
                              bound=dataclasses.replace(c.bound, constant=0.25))
    assert _fails(bad).counterexample is not None


def test_false_thm1_rate_fails():
    """Theorem 1 surrogate: an N^{-1} decay of the averaged excess (faster than any SGD rate) is falsified."""
    c = C["AZL-RNN/Thm1"]
    sc = dataclasses.replace(c.scalings[0], exponent=-1.0, tolerance=0.0)
    bad = dataclasses.replace(c, id=c.id + "/rate", kind="conjecture", scalings=(sc,), examples=0)
    r = _fails(bad)
    assert any(s["verdict"] == "fail" for s in r.scalings)


# ----------------------------------------------------------------------------- Lemma D.1, Prop D.2, Fact D.3


def test_false_paper_recursion_two_sided_fails():
    """AZL-RNN/D.1a-zeta_d with the PAPER's recursion in place of the corrected one is rejected
    (measured / paper ~ 2): the factor-2 discrepancy of CLAIMS.md D.1a."""
    c = C["AZL-RNN/D.1a-zeta_d"]
    bad = dataclasses.replace(c, id=c.id + "/paper", kind="conjecture",
                              measure=M._pick("d1", M.measure_d1, "measured_over_paper_recursion"))
    r = _fails(bad)
    assert r.counterexample["max_ratio"] > 1.0 and r.counterexample["min_ratio"] > 1.0


def test_false_d1c_exponent_fails():
    """Lemma D.1(c): claiming the backward change vanishes like eps_x^{1} (faster than the measured ~1/2)
    is falsified by the eps_x sweep."""
    c = C["AZL-RNN/D.1c"]
    sc = dataclasses.replace(c.scalings[0], exponent=1.0, tolerance=0.0)
    bad = dataclasses.replace(c, id=c.id + "/sharp", kind="conjecture", scalings=(sc,), examples=0)
    r = _fails(bad)
    assert any(s["verdict"] == "fail" for s in r.scalings)


def test_false_propd2_proof_range_fails():
    """Prop. D.2's PROOF claims derivative <= 1/2 for beta in [0, 0.9]: false (0.74 at x = 0.81)."""
    c = C["AZL-RNN/PropD.2-ii"]
    bad = dataclasses.replace(c, id=c.id + "/proof-range", kind="conjecture",
                              regime=(claims.Choice("x_max", (0.81,)),))
    r = _fails(bad)
    assert r.counterexample["max_ratio"] > 1.4


def test_false_factd3_halved_bound_fails():
    """Fact D.3: the greedy worst case reaches > 1/2 of the bound, so half the bound is falsified."""
    c = C["AZL-RNN/FactD.3"]
    bad = dataclasses.replace(c, id=c.id + "/half", kind="conjecture",
                              bound=dataclasses.replace(c.bound, constant=0.5))
    assert _fails(bad).counterexample is not None


# ----------------------------------------------------------------------------- Lemma 7.1, existence surrogates


def _sharp(cid, factor):
    c = C[cid]
    return dataclasses.replace(c, id=c.id + "/sharp", kind="conjecture", scalings=(),
                               bound=dataclasses.replace(c.bound, constant=c.bound.constant * factor))


def test_false_lem71_radius_fails():
    """Lemma 7.1 surrogate: a 10x smaller ball (sqrt(m) ||W'_T||_F <= 0.035 T) is falsified."""
    assert _fails(_sharp("AZL-RNN/Lem7.1", 0.1)).counterexample is not None


def test_false_lem54_fit_fails():
    """Lemma 5.4 surrogate: claiming the min-norm linear network is within 5% of F* on fresh x* fails."""
    assert _fails(_sharp("AZL-RNN/Lem5.4", 0.05)).counterexample is not None


def test_false_claimg1a_norm_rate_fails():
    """Claim G.1a surrogate: ||W*||_F ~ m^{-3/2} (sqrt(m)||W*||_F ~ 1/m) is too fast: falsified."""
    c = C["AZL-RNN/ClaimG.1a"]
    sc = dataclasses.replace(c.scalings[0], exponent=-1.0, tolerance=0.0)
    r = _fails(dataclasses.replace(c, id=c.id + "/rate", kind="conjecture", scalings=(sc,), examples=0))
    assert any(s["verdict"] == "fail" for s in r.scalings)


def test_false_claimg1b_lower_constant_fails():
    """Claim G.1b: d C_{i->j,s} >= 1 (above the observed minima, ~0.2-0.6) is falsified."""
    c = C["AZL-RNN/ClaimG.1b"]
    bad = dataclasses.replace(c, id=c.id + "/sharp", kind="conjecture",
                              bound=dataclasses.replace(c.bound, constant=1.0))
    assert _fails(bad).counterexample is not None


def test_false_lem63_constant_fails():
    assert _fails(_sharp("AZL-RNN/Lem6.3", 0.1)).counterexample is not None


# ----------------------------------------------------------------------------- Sec. 2, fn 1, Prop A.3


def test_false_sec2_unrestricted_eps_fails():
    """Sec. 2 as the paper states it (every eps): phi(z) = z at eps = 0.01 gives C_s/C_eps = 1.069 > 1."""
    c = C["AZL-RNN/Sec2-complexity"]
    bad = dataclasses.replace(c, id=c.id + "/every-eps", kind="conjecture",
                              regime=(claims.Choice("phi", ("linear",)), claims.FloatParam("R", 0.1, 3.0, log=True),
                                      claims.FloatParam("eps", 0.01, 0.1, log=True)))
    r = _fails(bad)
    assert r.counterexample["max_ratio"] > 1.06


def test_sec2_complexities_closed_form():
    c = M.taylor_coeffs("cubic", 5)
    ce, cs = M.complexities(c, 2.0, 1e-3, 5)
    le = __import__("math").log(1e3)
    assert abs(cs - 1e4 * 4 ** 1.75 * 8) < 1e-6 * cs
    assert abs(ce - ((2e4) ** 3 + ((le / 3) ** 0.5 * 2e4) ** 3)) < 1e-9 * ce


def test_false_fn1_smaller_variance_fails():
    """Footnote 1: at variance 1/m the gain is ~1/sqrt 2, outside [0.8, 1.2]: rejected."""
    c = C["AZL-RNN/fn1"]
    bad = dataclasses.replace(c, id=c.id + "/var1", kind="conjecture",
                              regime=c.regime[:-1] + (claims.Choice("var_times_m", (1.0,)),))
    assert _fails(bad).counterexample["max_ratio"] < 0.8 / 1.2 + 0.1


def test_false_lema1_without_concentration_term_fails():
    """Lemma A.1: the deviation is NOT below half the Rademacher term alone (measured deviation/R^ is about 1)."""
    c = C["AZL-RNN/LemA.1"]
    bad = dataclasses.replace(c, id=c.id + "/no-conc", kind="conjecture",
                              measure=functools.partial(M.measure_lema1, rad_factor=0.5, conc_factor=0.0))
    r = _fails(bad)
    assert r.counterexample is not None and r.stats["tightness"] > 1


def test_false_cora2_without_concentration_term_fails():
    """Corollary A.2: sum_r R^(F_r) alone, with factor 1/2, does not bound the deviation at k = 1."""
    c = C["AZL-RNN/CorA.2"]
    bad = dataclasses.replace(c, id=c.id + "/no-conc", kind="conjecture", regime=_pin_k1(c),
                              measure=functools.partial(M.measure_cora2, rad_factor=0.5, conc_factor=0.0))
    r = _fails(bad)
    assert r.counterexample is not None and r.stats["tightness"] > 1


def _pin_k1(c):
    return tuple(dataclasses.replace(p, low=1, high=1) if p.name == "k" else p for p in c.regime)


def test_false_propa3_faster_rate_fails():
    """Prop. A.3: R <= 0.7 B/sqrt(N) is false (random unit x give ~0.98)."""
    assert _fails(_sharp("AZL-RNN/PropA.3", 0.7)).counterexample is not None


# ----------------------------------------------------------------------------- Lemma 5.1 (numerical H)


def test_lem51_quadrature_matches_monte_carlo():
    """The 2-D quadrature reduction of E_{a,n}[1[<a,x*>+n>=0] H(a)] agrees with direct Monte Carlo."""
    out = M.measure_lem51({"phi": "tanh", "sigma": 0.5, "gamma": 16.0, "d_x": 4}, _ctx(trials=4))
    assert float(out.extras["mc_z"].max()) < 4.5
    assert abs(out.extras["mean_H_minus_2phi0"]) < 1e-12


def test_false_lem51a_tiny_eps_fails():
    """Lemma 5.1a surrogate: the degree-8 H does not reach eps_e = 1e-6 at sigma = 0.1 (error ~1e-4)."""
    c = C["AZL-RNN/Lem5.1a"]
    bad = dataclasses.replace(c, id=c.id + "/tiny", kind="conjecture",
                              regime=(claims.Choice("phi", ("tanh",)), claims.Choice("sigma", (0.1,)), c.regime[2],
                                      c.regime[3]),
                              bound=dataclasses.replace(c.bound, constant=1e-6))
    assert _fails(bad).counterexample is not None


def test_false_lem51b_fast_decay_fails():
    """Lemma 5.1b: for tanh (Phi'(0) != 0) the off-target error decays like gamma^{-1}; gamma^{-2} is rejected."""
    c = C["AZL-RNN/Lem5.1b"]
    sc = dataclasses.replace(c.scalings[0], exponent=-2.0, tolerance=0.0)
    r = _fails(dataclasses.replace(c, id=c.id + "/rate", kind="conjecture", scalings=(sc,), examples=0))
    assert any(s["verdict"] == "fail" for s in r.scalings)


def test_false_pfg2_paper_interval_fails():
    """(G.4): the paper's tau in [0.9, 1.1] sqrt(i-1) eps_x is rejected at i = L = 8 (measured ~1.3)."""
    c = C["AZL-RNN/PfG.2"]

    def meas(p, ctx):
        ex = M.measure_pfg2(p, ctx).extras
        return Measurement(ex["paper_tau_ratio_at_L"], ex)

    bad = dataclasses.replace(c, id=c.id + "/paper", kind="conjecture", measure=meas,
                              regime=(c.regime[0], claims.IntParam("L", 8, 8, limit="seq_len")) + c.regime[2:],
                              bound=Bound("two-sided", lambda p: 1.0, 1.1, lower_constant=0.9,
                                          provenance="the paper's interval (G.4)"))
    assert _fails(bad).counterexample["max_ratio"] > 1.0


# ----------------------------------------------------------------------------- Lemma 5.2 (windowed, numerical H)


def test_false_lem52a_tiny_eps_fails():
    """Lemma 5.2a surrogate: on-target error <= 0.01 (below the tau-mismatch floor ~0.04-0.12 at m = 256) is rejected."""
    assert _fails(_sharp("AZL-RNN/Lem5.2a", 0.04)).counterexample is not None


def test_false_lem52b_eps_free_fails():
    """Lemma 5.2b surrogate: an off-target magnitude <= 0.5 eps_x (measured 2-3.4 eps_x) is rejected."""
    assert _fails(_sharp("AZL-RNN/Lem5.2b", 0.5 / 6.8)).counterexample is not None


def test_false_eq92_constant_fails():
    """(9.2): max_j ||F_j(W + W')|| <= 0.3 (1 + Delta) is falsified by the PGA worst case (measured up to 3.6)."""
    assert _fails(_sharp("AZL-RNN/(9.2)", 0.3 / 7.2)).counterexample is not None


def test_false_eq93_gap_growing_in_m_fails():
    """(9.3): a gap growing like sqrt(m) at fixed N (a wrong 'over-parameterization hurts' law) is rejected
    once the sweep is sized for power (issue 14). The fixed rule with quick's 8 trials per grid point has
    the slope interval (t quantiles, Satterthwaite df) [-0.51, 0.53] and states that it detects only
    deviations >= 0.75, and passes; quick's anytime exponent rule adds looks (16, 32 trials per grid
    point) and rejects it."""
    from claims._profiles import PROFILES

    c = C["AZL-RNN/(9.3)"]
    sc = dataclasses.replace(c.scalings[2], exponent=0.5, relation="at_least", tolerance=0.0)
    v = dataclasses.replace(c, id=c.id + "/grows", kind="conjecture", scalings=(sc,), examples=0)
    unsized = claims.check(v, profile=dataclasses.replace(PROFILES["quick"], decision="fixed", scaling_max_trials=None))
    assert unsized.verdict == "pass" and unsized.scalings[0]["detectable_deviation"] > 0.5   # honest: no power
    r = claims.check(v, profile="quick")
    assert r.verdict == "fail" and r.scalings[0]["verdict"] == "fail", r.message
    assert r.scalings[0]["trials"] > 8 and r.scalings[0]["decision"] == "anytime"
