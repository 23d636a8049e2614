"""Tests of the ZCZG claim catalog (claims/catalog/zczg.py).

True claims pass (or are honestly inconclusive) under the quick profile; for each
claim family a deliberately FALSE variant (sharpened constant or exponent, or a
broken model: He variance 1/m instead of 2/m, a wrong gradient formula) must give
verdict "fail" with a counterexample or a failing scaling.
"""

from __future__ import annotations

import dataclasses
import math

import pytest
import torch

import claims
from claims.catalog import _zczg_measures as Z
from claims.catalog import zczg as C

QUICK = "quick"


def _fails(claim):
    r = claims.check(claim, profile=QUICK)
    assert r.verdict == "fail", (claim.id, r.verdict, r.message)
    assert r.counterexample is not None or any(s["verdict"] == "fail" for s in r.scalings)
    return r


def _variant(claim, suffix, **kw):
    kw.setdefault("kind", "conjecture")
    return dataclasses.replace(claim, id=claim.id + "/" + suffix, **kw)


def _bound(claim, constant):
    return dataclasses.replace(claim.bound, constant=constant)


def test_all_zczg_ids_registered():
    ids = {c.id for c in claims.catalog.all_claims(paper="zczg")}
    expected = {"ZCZG/Grad", "ZCZG/Rem4.1", "ZCZG/Aux-loss", "ZCZG/LemA.1", "ZCZG/LemB.1", "ZCZG/LemB.2",
                "ZCZG/LemC.1", "ZCZG/Lem5.1", "ZCZG/LemA.4-Sigma", "ZCZG/LemA.4-x", "ZCZG/Pf5.3-backward",
                "ZCZG/Lem5.2-upper", "ZCZG/Lem5.2-lower", "ZCZG/LemA.2", "ZCZG/LemA.3-prod",
                "ZCZG/LemA.3-vprod", "ZCZG/LemA.3-sparse", "ZCZG/Lem5.3", "ZCZG/Pf4.4-descent",
                "ZCZG/Pf4.4-path", "ZCZG/Thm4.4", "ZCZG/Fig1", "ZCZG/Fig2", "ZCZG/Fig3"}
    assert expected <= ids
    for c in claims.catalog.all_claims(paper="zczg"):
        assert c.bound.provenance and c.notes and c.statement_tex
        assert c.source.paper == "zou-cao-zhou-gu-deep-relu-gd.txt"


@pytest.mark.parametrize("claim", [C.GRAD, C.REM41, C.AUX, C.LEMC1, C.LEMB2, C.LEM51])
def test_true_claims_pass_quick(claim):
    r = claims.check(dataclasses.replace(claim, scalings=()), profile=QUICK)
    assert r.verdict in ("pass", "inconclusive"), (claim.id, r.message)


def test_lemC1_closed_form_matches_monte_carlo():
    ctx = claims.MeasureContext(trials=4, device=torch.device("cpu"), dtype=torch.float64, seed=1,
                                profile=claims.PROFILES["quick"])
    out = Z.make_lemC1_measure()({"theta": 0.5}, ctx)
    assert float(out.extras["mc_z"].abs().max()) < 5.0
    assert float(out.values.max()) <= 0.055


# ----------------------------------------------------------------------------- false variants

def test_grad_wrong_formula_fails():
    def wrong(net, x, y, W):            # drops the last activation pattern (a plausible bug)
        return tuple(g * 1.0001 for g in net.grad_formula(x, y, W))
    bad = _variant(C.GRAD, "wrong-formula", measure=Z.make_grad_measure(formula=wrong), examples=1)
    _fails(bad)


def test_rem41_sharpened_fails():
    _fails(_variant(C.REM41, "sharper", bound=_bound(C.REM41, 1.5), examples=1))


def test_aux_sharpened_fails():
    _fails(_variant(C.AUX, "sharper", bound=_bound(C.AUX, 1.0 + 1e-6), examples=1))


def test_lemA1_broken_init_variance_fails():
    # variance 4/m instead of 2/m: ||x_l|| ~ 2^{l/2}.  (Variance 1/m gives ||x_l|| -> 0, a deviation <= 1/l
    # after the 1/l normalisation, which the calibrated C = 3 does not catch at quick widths.)
    bad = _variant(C.LEMA1, "var-4-over-m", measure=Z.make_lemA1_measure(init_scale=math.sqrt(2)),
                   scalings=(), examples=1, regime=(Z_int("m", 256, 512), Z_int("L", 4, 8), Z_int("n", 8, 16)))
    _fails(bad)


def test_lem51_broken_init_variance_fails():
    bad = _variant(C.LEM51, "var-8-over-m", measure=Z.make_lem51_measure(init_scale=2.0), scalings=(),
                   examples=1, regime=(Z_int("m", 64, 256), Z_int("L", 6, 8), Z_int("n", 8, 16)))
    _fails(bad)


def Z_int(name, lo, hi):
    lim = {"m": "width", "L": "depth", "n": "n"}[name]
    return claims.IntParam(name, lo, hi, limit=lim)


def test_lemC1_sharpened_constant_fails():
    bad = _variant(C.LEMC1, "C-1-over-6pi", bound=_bound(C.LEMC1, 1 / (6 * math.pi)), examples=1,
                   regime=(claims.FloatParam("theta", 0.3, 1.0),))
    _fails(bad)


def test_lemB2_sharpened_constant_fails():
    _fails(_variant(C.LEMB2, "sharper", bound=_bound(C.LEMB2, 1.0), examples=1))


def test_lemB1_sharpened_constant_fails():
    bad = _variant(C.LEMB1, "sharper", bound=_bound(C.LEMB1, 1.5), examples=1,
                   regime=(Z_int("m", 128, 256), Z_int("L", 1, 2), Z_int("n", 8, 16),
                           claims.FloatParam("phi", 0.4, 0.5)))
    _fails(bad)


def test_lemA4_sigma_sharpened_exponent_fails():
    sc = dataclasses.replace(C.A4SIGMA.scalings[0], exponent=0.5, tolerance=0.0)
    _fails(_variant(C.A4SIGMA, "tau-half", scalings=(sc,), examples=0))


def test_pf53_backward_sharpened_exponent_fails():
    sc = dataclasses.replace(C.P53B.scalings[0], exponent=0.2, tolerance=0.0)
    _fails(_variant(C.P53B, "tau-fifth", scalings=(sc,), examples=0))


def test_lemA4_x_sharpened_constant_fails():
    bad = _variant(C.A4X, "sharper", bound=_bound(C.A4X, 0.3), scalings=(), examples=1,
                   regime=(Z_int("m", 64, 128), Z_int("L", 1, 2), Z_int("n", 1, 2), claims.FloatParam("tau", 0.01, 0.1)))
    _fails(bad)


def test_lem52_bounds_sharpened_fail():
    up = _variant(C.L52U, "sharper", bound=_bound(C.L52U, 0.05), scalings=(), examples=1,
                  regime=(Z_int("m", 64, 128), Z_int("L", 1, 2), Z_int("n", 1, 4), claims.FloatParam("tau", 0.01, 0.02)))
    _fails(up)
    lo = _variant(C.L52L, "sharper", bound=_bound(C.L52L, 1e4), scalings=(), examples=1,
                  regime=(Z_int("m", 128, 256), Z_int("L", 1, 1), Z_int("n", 2, 2),
                          claims.FloatParam("phi", 0.5, 1.0), claims.FloatParam("tau", 0.01, 0.02)))
    _fails(lo)


def test_lemA2_sharpened_constant_fails():
    bad = _variant(C.LEMA2, "sharper", bound=_bound(C.LEMA2, 100.0), examples=1,
                   regime=(Z_int("m", 128, 256), Z_int("L", 1, 2), Z_int("n", 2, 2), claims.FloatParam("phi", 0.5, 1.0)))
    _fails(bad)


def test_lemA3_vprod_sharpened_constant_fails():
    bad = _variant(C.A3VPROD, "sharper", bound=_bound(C.A3VPROD, 0.2), examples=1,
                   regime=(Z_int("m", 64, 128), Z_int("L", 2, 2), claims.FloatParam("tau", 0.01, 0.02)))
    _fails(bad)


def test_lem53_sharpened_constant_fails():
    bad = _variant(C.L53, "sharper", bound=_bound(C.L53, 1e-7), scalings=(), examples=1,
                   regime=(Z_int("m", 64, 128), Z_int("L", 1, 1), Z_int("n", 4, 8),
                           claims.FloatParam("tau", 0.01, 0.03), claims.FloatParam("c", 2.0, 4.0)))
    _fails(bad)


def test_descent_with_unstable_step_fails():
    reg = (Z_int("m", 128, 256), Z_int("L", 1, 1), Z_int("n", 8, 8),
           claims.FloatParam("c", 300.0, 600.0), claims.IntParam("steps", 20, 20, limit="steps"))
    _fails(_variant(C.DESCENT, "eta-too-large", regime=reg, examples=1))


def test_fig2_sharpened_constant_fails():
    reg = (Z_int("m", 32, 64), claims.Choice("L", (2,)), claims.Choice("n", (32,)),
           claims.FloatParam("eta", 1e-3, 1e-3), claims.IntParam("steps", 20, 20, limit="steps"))
    _fails(_variant(C.FIG2, "sharper", bound=_bound(C.FIG2, 1e-3), regime=reg, scalings=(), examples=1))


def test_lemA3_sparse_sharpened_constant_fails():
    """Sparse-spectral family: |v^T prod u| <= 0.2 sqrt(s log M) is false (the top-s entries of the
    row vector are O(1) each, so the sup over s-sparse unit u is ~ sqrt(2 s log(M/s)))."""
    bad = _variant(C.A3SPARSE, "sharper", bound=_bound(C.A3SPARSE, 0.2), examples=1,
                   regime=(Z_int("m", 64, 128), Z_int("L", 2, 2), claims.FloatParam("tau", 0.01, 0.02),
                           claims.IntParam("s", 1, 4)))
    r = _fails(bad)
    assert r.counterexample is not None and r.counterexample["max_ratio"] > 1


def test_lemA3_prod_sharpened_constant_fails():
    """Spectral-norm family: ||prod Sigma W^T||_2 <= 0.5 sqrt(L) is false (one layer alone is ≈ 1 + sqrt 2)."""
    bad = _variant(C.A3PROD, "sharper", bound=_bound(C.A3PROD, 0.5), examples=1,
                   regime=(Z_int("m", 64, 128), Z_int("L", 2, 3), claims.FloatParam("tau", 0.01, 0.02)))
    _fails(bad)


def test_thm44_sharpened_convergence_fails():
    """Convergence family: 'L_S(W^(T)) <= 1e-3 L_S(W^(0)) after <= 100 steps at eta = c/(M L^3)' is false
    (the logistic loss decays like 1/k late, not geometrically at these step sizes)."""
    bad = _variant(C.THM44, "sharper", bound=_bound(C.THM44, 1e-3), scalings=(), examples=1,
                   regime=(Z_int("m", 32, 64), Z_int("L", 1, 2), Z_int("n", 4, 8), claims.FloatParam("c", 1.0, 2.0),
                           claims.IntParam("steps", 20, 40, limit="steps")))
    _fails(bad)


def test_rem41_underflow_no_nan():
    """Regression: an all-correct trial with margins ~750 (c ~ 980) made ell(zmin) and L_S
    underflow to 0 in float64 (Q = 0/0 = NaN; ci profile, base seed 2). Q is then computed
    in log space and equals 1 (n = 15, all other losses negligible)."""
    ctx = claims.MeasureContext(trials=16, device=torch.device("cpu"), dtype=torch.float64,
                                seed=3465948992782072167, profile=claims.PROFILES["ci"])
    out = Z.make_rem41_measure()({"n": 15, "m": 59, "L": 6}, ctx)
    Q = out.values
    assert bool(torch.isfinite(Q).all())
    assert float(Q.min()) >= 1.0 - 1e-12
    assert float(Q[9]) == 1.0
    assert float(out.extras["premise_holds"][9]) == 1.0 and float(out.extras["all_correct"][9]) == 1.0
