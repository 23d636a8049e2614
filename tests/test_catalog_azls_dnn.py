"""AZLS-DNN catalog (claims/catalog/azls_dnn.py): deliberately false variants are rejected.

Each test takes a catalog claim, breaks it with ``dataclasses.replace`` (a sharpened
constant or exponent, an off-by-one gradient formula, the broken initialisation
variance 1/m instead of 2/m, the paper's literal "||DW||_2 ≈ 2") and checks it under
the ``quick`` profile: the verdict must be ``fail`` with a counterexample.  The true
claims themselves are checked by ``tests/test_catalog.py`` (one item per catalog
claim); ``test_true_claims_pass_quick`` repeats that for this module with an explicit
verdict assertion and is marked slow (skip it with ``-m "not slow"``; run it alone
with ``pytest -m slow tests/test_catalog_azls_dnn.py``).  Without it the file takes
about 45 s on 2 uncontended cores.
"""

from __future__ import annotations

import dataclasses

import pytest

import claims
from claims import catalog
from claims.catalog import _azls_dnn_measures as M
from claims.catalog import azls_dnn as C


def _assert_fails(claim):
    r = claims.check(claim, profile="quick")
    assert r.verdict == "fail", (r.verdict, r.message, r.error)
    assert r.counterexample is not None, r.message
    assert r.counterexample["violations"] >= 1
    return r


def _variant(claim, suffix, **changes):
    return dataclasses.replace(claim, id=claim.id + "/" + suffix, kind="conjecture", **changes)


def test_registered_ids_match_claims_md():
    ids = {c.id for c in catalog.all_claims(paper="azls_dnn")}
    expected = {"AZLS-DNN/Fact2.6", "AZLS-DNN/fn3-bias", "AZLS-DNN/Intuition", "AZLS-DNN/Step1-fwd",
                "AZLS-DNN/Step1-back", "AZLS-DNN/Step1-inter", "AZLS-DNN/Step1-sep", "AZLS-DNN/Step2a",
                "AZLS-DNN/Step2b", "AZLS-DNN/Step2c", "AZLS-DNN/Step3", "AZLS-DNN/Step4",
                "AZLS-DNN/Thm3-upper", "AZLS-DNN/Thm3-lower", "AZLS-DNN/Thm1", "AZLS-DNN/Thm2",
                "AZLS-DNN/Rem-radius", "AZLS-DNN/Thm5-CE", "AZLS-DNN/Thm6-CNN", "AZLS-DNN/Thm7-ResNet"}
    assert expected <= ids
    for c in catalog.all_claims(paper="azls_dnn"):
        assert c.source.paper == "allen-zhu-li-song-dnn-convergence.txt"
        assert c.bound.provenance and c.notes and c.tags


# ----------------------------------------------------------------------------- exact / sanity


def test_fact26_off_by_one_formula_fails():
    """Back_{i,l} in place of Back_{i,l+1} (the index slip of CLAIMS.md (b.4)) is caught."""
    bad = _variant(C.FACT26, "off-by-one", measure=M.fact26_measure(off_by_one=True))
    r = _assert_fails(bad)
    assert max(r.counterexample["values"]) > 1e-3


def test_fn3_broken_init_variance_fails():
    """A ~ N(0, 1/m) instead of N(0, 2/m): m Var(b) = 1/2, outside [0.7, 1.3]."""
    _assert_fails(_variant(C.FN3, "var-1-over-m", measure=M.fn3_bias_measure(var_scale=0.5)))


def test_intuition_literal_dw_equals_2_fails():
    """The paper's '||D W||_2 ≈ 2' read within 5% is false: it is 1 + sqrt 2."""
    r = _assert_fails(_variant(C.INTUITION, "DW-is-2", measure=M.intuition_measure(dw_tolerance=0.05)))
    dw = r.counterexample["extras"]["spec_DW"]
    assert all(abs(v - 2.414) < 0.15 for v in dw)


# ----------------------------------------------------------------------------- Step 1


def test_step1_fwd_broken_init_fails():
    """Variance 1/m: ||h_l|| ≈ 2^{-(l+1)/2}, forward propagation vanishes."""
    _assert_fails(_variant(C.STEP1_FWD, "var-1-over-m", measure=M.step1_fwd_measure(var_scale=0.5)))


def test_step1_inter_constant_over_10_fails():
    b = dataclasses.replace(C.STEP1_INTER.bound, constant=C.STEP1_INTER.bound.constant / 10)
    _assert_fails(_variant(C.STEP1_INTER, "c-over-10", bound=b, scalings=()))


def test_step1_sep_no_contraction_fails():
    """'Layers never shrink distances' (constant 1 instead of 0.25) is false: the arc-cos map contracts."""
    b = dataclasses.replace(C.STEP1_SEP.bound, constant=1.0)
    _assert_fails(_variant(C.STEP1_SEP, "c-1", bound=b, scalings=()))


# ----------------------------------------------------------------------------- Step 2


def test_step2a_sharpened_omega_exponent_fails():
    """Bound m omega^{1} L (what random perturbations obey) is broken by the targeted attack."""
    b = dataclasses.replace(C.STEP2A.bound, shape=lambda p: p["m"] * p["omega"] * p["L"])
    r = _assert_fails(_variant(C.STEP2A, "omega-1", bound=b, scalings=()))
    assert r.counterexample["max_ratio"] > 1


def test_step2a_constant_over_10_fails():
    b = dataclasses.replace(C.STEP2A.bound, constant=C.STEP2A.bound.constant / 10)
    _assert_fails(_variant(C.STEP2A, "c-over-10", bound=b, scalings=()))


def test_step2b_constant_over_10_fails():
    b = dataclasses.replace(C.STEP2B.bound, constant=C.STEP2B.bound.constant / 10)
    _assert_fails(_variant(C.STEP2B, "c-over-10", bound=b, scalings=()))


def test_step2c_sharpened_omega_exponent_fails():
    """omega^{2/3} instead of omega^{1/3} is broken by the targeted flips."""
    b = dataclasses.replace(C.STEP2C.bound, shape=lambda p: p["omega"] ** (2 / 3) * p["L"] ** 2)
    _assert_fails(_variant(C.STEP2C, "omega-2-3", bound=b, scalings=()))


# ----------------------------------------------------------------------------- Step 3 / 4 / Thm 3


def test_step3_constant_times_10_fails():
    b = dataclasses.replace(C.STEP3.bound, constant=C.STEP3.bound.constant * 10)
    _assert_fails(_variant(C.STEP3, "c-times-10", bound=b, scalings=()))


def test_step4_sharpened_L_exponent_fails():
    """L^{0.5} instead of L^{1.5}: the Lipschitz constant grows faster."""
    b = dataclasses.replace(C.STEP4.bound, shape=lambda p: p["L"] ** 0.5, constant=1.0)
    _assert_fails(_variant(C.STEP4, "L-0.5", bound=b, scalings=()))


def test_thm3_upper_constant_over_10_fails():
    b = dataclasses.replace(C.THM3_UPPER.bound, constant=C.THM3_UPPER.bound.constant / 10)
    _assert_fails(_variant(C.THM3_UPPER, "c-over-10", bound=b, scalings=()))


def test_thm3_lower_constant_times_10_fails():
    b = dataclasses.replace(C.THM3_LOWER.bound, constant=C.THM3_LOWER.bound.constant * 10)
    _assert_fails(_variant(C.THM3_LOWER, "c-times-10", bound=b, scalings=()))


def test_scaling_sharpened_exponent_fails():
    """Claiming the sign-change count grows at most like omega^{0.5} is refuted by the sweep."""
    sc = dataclasses.replace(C.STEP2A.scalings[0], exponent=0.5, tolerance=0.05)
    r = claims.check(_variant(C.STEP2A, "omega-0.5", scalings=(sc,), examples=0), profile="quick")
    assert r.verdict == "fail", r.message
    assert r.scalings[0]["verdict"] == "fail"


# ----------------------------------------------------------------------------- true claims


@pytest.mark.slow
def test_true_claims_pass_quick():
    for c in catalog.all_claims(paper="azls_dnn"):
        r = claims.check(c, profile="quick")
        assert r.verdict in ("pass", "inconclusive"), (c.id, r.verdict, r.message, r.error)


# ----------------------------------------------------------------------------- training claims


def test_rem_radius_constant_over_10_fails():
    b = dataclasses.replace(C.REM_RADIUS.bound, constant=C.REM_RADIUS.bound.constant / 10)
    _assert_fails(_variant(C.REM_RADIUS, "c-over-10", bound=b, scalings=()))


def test_thm1_outside_step_range_fails():
    """eta m = 40, far above the critical 2m/lambda_max(K_0): GD diverges, no linear convergence."""
    regime = tuple(claims.FloatParam("eta_m", 40.0, 60.0) if p.name == "eta_m" else p for p in C.THM1.regime)
    _assert_fails(_variant(C.THM1, "eta-40", regime=regime, scalings=()))


def test_thm5_ce_wrong_threshold_fails():
    """F <= 3 (> log 2) does not imply perfect accuracy: the fn 7 threshold matters."""
    _assert_fails(_variant(C.THM5_CE, "threshold-3", measure=M.ce_fn7_measure(threshold=3.0)))
