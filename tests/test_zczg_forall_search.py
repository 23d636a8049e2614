"""ZCZG ∀-claims checked by a search over the ball (issue 13), beyond Lemma 5.2.

Paper: ``zou-cao-zhou-gu-deep-relu-gd.txt`` (Zou, Cao, Zhou, Gu).  Lemma A.4 (second bound: sign changes) and
display (A.3) of the proof of Lemma 5.3 (backward operators) quantify over every ``W_hat`` in
``B(W^(0), tau) = {W: ||W_l - W_l^(0)||_2 <= tau for all l}``.  Their measures used to check only the
targeted sign-flip point and a random point; they now also run the Frank-Wolfe search of Lemma 5.2
(``claims.catalog._zczg_measures.ball_search`` = ``lem52_search``, the factored
``ovpmodel.perturb.maximize_spectral_balls``) steered by a softplus surrogate, every value exact.  Per claim:

* on a fixed seed the search reaches at least the constructed value (numbers asserted), and where it finds
  more, how much;
* the claim passes under 'quick' and 'ci' and the report shows the three series;
* a false variant that the constructed points PASS and the search REFUTES.
"""

from __future__ import annotations

import dataclasses

import pytest
import torch

import claims
from claims import report
from claims._claim import MeasureContext
from claims._profiles import PROFILES
from claims.catalog import _zczg_measures as Z
from claims.catalog import zczg as C


def _ctx(seed=0, trials=16, dtype=torch.float64, profile="quick"):
    return MeasureContext(trials=trials, device=torch.device("cpu"), dtype=dtype, seed=seed,
                          profile=PROFILES[profile])


def _variant(claim, suffix, **kw):
    kw.setdefault("kind", "conjecture")
    return dataclasses.replace(claim, id=claim.id + "/" + suffix, **kw)


def _three_series(out, worst=torch.maximum):
    e = out.extras
    torch.testing.assert_close(out.values, worst(worst(e["constructed"], e["random"]), e["search"]))
    return e


def _check_passes(claim, profile):
    r = claims.check(claim, profile=profile)
    assert r.verdict == "pass", r.message
    ex = r.worst_example["extras"] if r.worst_example else r.examples[0]["extras"]
    assert {"constructed", "random", "search"} <= set(ex)
    svg = str(report._adv_plot(r.to_dict())["svg"])
    assert "constructed" in svg and "search" in svg and "random" in svg


def _only_search_refutes(claim, regime, constant, measure_factory, threshold, **kw):
    """The variant passes with the constructed points (``search=False``) and fails with the search."""
    bound = dataclasses.replace(claim.bound, constant=constant)
    weak = claims.check(_variant(claim, "sharper/constructed-only", regime=regime, bound=bound, scalings=(),
                                 measure=measure_factory(search=False), **kw), profile="quick")
    assert weak.verdict == "pass", weak.message
    strong = claims.check(_variant(claim, "sharper", regime=regime, bound=bound, scalings=(), **kw), profile="quick")
    assert strong.verdict == "fail", strong.message
    ce = strong.counterexample
    search, constructed = torch.tensor(ce["extras"]["search"]), torch.tensor(ce["extras"]["constructed"])
    # on the counterexample's own trials the search violates at least as often as the check counted,
    # and more often than the constructed points (which may cross in a few trials: the weak variant
    # passed, its rate below what the rule detects)
    assert (search > threshold).sum() >= ce["violations"] > (constructed > threshold).sum()


# ----------------------------------------------------------------------------- Lemma A.4, sign changes


def test_lemA4_sigma_search_flips_more_than_the_construction_at_depth():
    """Fixed seed, m = 256, L = 4, n = 2, tau = 0.03: the targeted flip reaches 0.125 m flips, the search 0.172 m
    (median per trial 1.33x); at L = 1 (the claim's worst case, m = 128, tau = 3e-3) the search equals the
    targeted flip (a rank-one knapsack, optimal for one sample): 4 of 128."""
    e = _three_series(Z.make_lemA4_sigma_measure()({"m": 256, "L": 4, "n": 2, "tau": 0.03}, _ctx(seed=0)))
    assert bool((e["search"] >= e["constructed"]).all())
    assert float(e["constructed"].max()) == pytest.approx(0.125, abs=1e-6)
    assert float(e["search"].max()) == pytest.approx(0.171875, abs=1e-6)
    assert float(e["search_over_constructed"].median()) > 1.25
    one = _three_series(Z.make_lemA4_sigma_measure()({"m": 128, "L": 1, "n": 1, "tau": 3e-3}, _ctx(seed=0))).copy()
    torch.testing.assert_close(one["search"], one["constructed"])
    assert float(one["constructed"].max()) == pytest.approx(4 / 128)


@pytest.mark.parametrize("profile", ["quick", "ci"])
def test_lemA4_sigma_passes_with_the_search(profile):
    _check_passes(C.A4SIGMA, profile)


def test_lemA4_sigma_constant_of_the_constructions_at_depth_refuted_by_the_search():
    """C' = 0.22 instead of 4.5 at L = 4 (m = 256, n = 2, tau = 0.03: bound 0.135 m flips), what the targeted flips
    suggest there (<= 0.125 m): they pass it, the search (~0.17-0.2 m) refutes it.  The constant tightened over
    the WHOLE regime does not separate them: the worst case is L = 1, where the search adds nothing."""
    reg = (claims.Choice("m", (256,)), claims.Choice("L", (4,)), claims.Choice("n", (2,)),
           claims.FloatParam("tau", 0.03, 0.03))
    _only_search_refutes(C.A4SIGMA, reg, 0.22, Z.make_lemA4_sigma_measure,
                         0.22 * C.A4SIGMA.bound.shape({"L": 4, "tau": 0.03}))


# ----------------------------------------------------------------------------- proof of Lemma 5.3, (A.3)


def test_pf53_backward_search_moves_the_rows_more_at_depth():
    """Fixed seed, m = 256, L = 4, n = 2, tau = 0.03: constructed max 0.295, search 0.397 (median per trial
    1.35x); at L = 1 (the calibration point m = 128, tau = 0.1) both 0.227."""
    e = _three_series(Z.make_pf53_backward_measure()({"m": 256, "L": 4, "n": 2, "tau": 0.03}, _ctx(seed=0)))
    assert bool((e["search"] >= e["constructed"] * (1 - 1e-9)).all())
    assert float(e["constructed"].max()) == pytest.approx(0.2950, abs=1e-3)
    assert float(e["search"].max()) == pytest.approx(0.3973, abs=1e-3)
    assert float(e["search_over_constructed"].median()) > 1.3
    one = _three_series(Z.make_pf53_backward_measure()({"m": 128, "L": 1, "n": 1, "tau": 0.1}, _ctx(seed=0)))
    torch.testing.assert_close(one["search"], one["constructed"])
    assert float(one["constructed"].max()) == pytest.approx(0.2270, abs=1e-3)


@pytest.mark.parametrize("profile", ["quick", "ci"])
def test_pf53_backward_passes_with_the_search(profile):
    _check_passes(C.P53B, profile)


def test_pf53_backward_constant_of_the_constructions_at_depth_refuted_by_the_search():
    """C_5 = 0.053 instead of 1.0 at L = 4 (m = 256, n = 2, tau = 0.03: bound 0.33), what the targeted flips
    suggest there (<= 0.30): they pass it, the search (~0.35-0.40) refutes it.  Over the whole regime no such
    constant exists: the worst case is L = 1, where the search equals the construction."""
    reg = (claims.Choice("m", (256,)), claims.Choice("L", (4,)), claims.Choice("n", (2,)),
           claims.FloatParam("tau", 0.03, 0.03))
    _only_search_refutes(C.P53B, reg, 0.053, Z.make_pf53_backward_measure,
                         0.053 * C.P53B.bound.shape({"L": 4, "tau": 0.03}))


# ----------------------------------------------------------------------------- Lemma A.4, forward bound


def test_lemA4_x_search_goes_through_the_relu_pattern():
    """Fixed seed, m = 256, L = 8, n = 2, tau = 0.1: the frozen-pattern singular vector gives 0.502, the search
    through the ReLU pattern 0.556 (median per trial 1.2x); at tau = 1e-3 (linearisation exact) the search finds
    nothing more; at L = 1 (ReLU 1-Lipschitz: the ratio is <= 1 exactly) it reaches 1 and not beyond."""
    ctx = _ctx(seed=0, dtype=torch.float32)
    e = _three_series(Z.make_lemA4_x_measure()({"m": 256, "L": 8, "n": 2, "tau": 0.1}, ctx))
    assert bool((e["search"] >= e["constructed"] * (1 - 1e-4)).all())
    assert float(e["constructed"].max()) == pytest.approx(0.5022, abs=2e-3)
    assert float(e["search"].max()) == pytest.approx(0.5558, abs=2e-3)
    assert float(e["search_over_constructed"].median()) > 1.1
    small = _three_series(Z.make_lemA4_x_measure()({"m": 64, "L": 4, "n": 1, "tau": 1e-3}, ctx))
    assert float(small["search"].max()) == pytest.approx(float(small["constructed"].max()), rel=1e-3)
    one = _three_series(Z.make_lemA4_x_measure()({"m": 64, "L": 1, "n": 4, "tau": 0.1}, ctx))
    assert float(one["search"].max()) == pytest.approx(1.0, abs=1e-3) and float(one["search"].max()) <= 1 + 1e-5


@pytest.mark.parametrize("profile", ["quick", "ci"])
def test_lemA4_x_passes_with_the_search(profile):
    _check_passes(C.A4X, profile)


def test_lemA4_x_sharpened_constant_rejected_with_the_search():
    """A simpler false variant (C = 0.9 at L = 2, where the ratio reaches ~1.1): rejected, the search's series
    above the bound where the constructed one is.  No variant that only the search rejects was found: the search
    gains 8-20% at tau = 0.1, L = 4-8, but the ratio varies 0.40-0.50 across trials at one point (more than the
    gain: a constant between the constructed and the searched max, C = 0.475-0.53 at m = 256, L = 8, tau = 0.1, is
    violated by at most 1 of 24 quick trials), and over the regime the worst case sits at small tau, where the
    constructed direction is the exact sup of the linearisation."""
    reg = (claims.Choice("m", (64,)), claims.Choice("L", (2,)), claims.Choice("n", (1,)),
           claims.FloatParam("tau", 0.05, 0.1))
    bad = _variant(C.A4X, "sharper", regime=reg, bound=dataclasses.replace(C.A4X.bound, constant=0.9), scalings=())
    r = claims.check(bad, profile="quick")
    assert r.verdict == "fail", r.message
    ce = r.counterexample["extras"]
    assert max(ce["search"]) >= max(ce["constructed"]) > 0.9


# ----------------------------------------------------------------------------- Lemma A.3


_A3 = {"prod": C.A3PROD, "vprod": C.A3VPROD, "sparse": C.A3SPARSE}
_A3_CORNER = {"m": 64, "L": 8, "tau": 0.1 * 8 ** -1.5}


@pytest.mark.parametrize("which, targeted, constructed, search", [
    ("prod", 8.1576, 8.4627, 9.2638), ("vprod", 1.9876, 1.9876, 2.4475), ("sparse", 2.2085, 2.4407, 3.5659)])
def test_lemA3_search_beats_the_constructions(which, targeted, constructed, search):
    """Fixed seed, the regime's corner m = 64, L = 8, tau = 0.1 L^{-3/2} (the largest radius the claims' reading
    of Lemma A.3's hypothesis tau <= kappa L^{-3/2} allows): the search (warm-started at the targeted flip, so
    never below it per trial) exceeds the best constructed point (max over W^(0) and the flip) by 9% (prod),
    23% (vprod), 46% (sparse)."""
    pt = dict(_A3_CORNER, **({"s": 1} if which == "sparse" else {}))
    e = _three_series(Z.make_lemA3_measure(which)(pt, _ctx(seed=0, dtype=torch.float32)))
    torch.testing.assert_close(e["constructed"], torch.maximum(e["init"], e["targeted"]))
    assert bool((e["search"] >= e["targeted"] * (1 - 1e-4)).all())
    assert float(e["targeted"].max()) == pytest.approx(targeted, abs=2e-3)
    assert float(e["constructed"].max()) == pytest.approx(constructed, abs=2e-3)
    assert float(e["search"].max()) == pytest.approx(search, abs=2e-3)
    assert float(e["search_over_constructed"].median()) > 1.05


def test_lemA3_tau_follows_the_hypothesis():
    assert Z.lemA3_tau({"L": 8, "c_tau": 0.1}) == pytest.approx(0.1 * 8 ** -1.5)
    assert Z.lemA3_tau({"L": 8, "c_tau": 0.1, "tau": 0.03}) == 0.03
    for claim in _A3.values():                  # tau L^{3/2} <= 0.1: 0.03 is allowed at L = 2, not at L = 8
        assert claim.constraint({"m": 64, "L": 2, "tau": 0.03, "s": 1})
        assert not claim.constraint({"m": 64, "L": 8, "tau": 0.03, "s": 1})
        assert claim.constraint({"m": 64, "L": 8, "tau": 0.004, "s": 1})


@pytest.mark.parametrize("profile", ["quick", "ci"])
@pytest.mark.parametrize("which", ["prod", "vprod", "sparse"])
def test_lemA3_passes_with_the_search(which, profile):
    _check_passes(_A3[which], profile)


@pytest.mark.parametrize("which, constant", [("prod", 2.7), ("vprod", 2.0), ("sparse", 2.9)])
def test_lemA3_constant_of_the_constructions_outside_the_hypothesis_refuted_by_the_search(which, constant):
    """At m = 64, L = 8, tau = 0.03 (the pre-issue-13 regime: tau L^{3/2} = 0.68, outside Lemma A.3's
    tau <= kappa L^{-3/2} as read here; the variant drops that constraint), the constants the constructed points
    suggest there (C = 2.7, C' = 2.0, C'' = 2.9 at s = 1;
    the constructions reach <= 2.55, 1.92, 2.73) pass them and are refuted by the search (1.3-1.4x per trial).  At
    that point the search also exceeds the catalog's constants (96 trials: prod 4.79, vprod 4.20 > 3, sparse
    6.42 > 5), but in too few trials for a quick decision; inside the hypothesis its gain (1.08-1.16x median)
    is smaller than the spread across trials, so no constant separates the two series there."""
    claim = _A3[which]
    reg = (claims.Choice("m", (64,)), claims.Choice("L", (8,)), claims.FloatParam("tau", 0.03, 0.03)) + \
        ((claims.Choice("s", (1,)),) if which == "sparse" else ())
    _only_search_refutes(claim, reg, constant, lambda search: Z.make_lemA3_measure(which, search=search),
                         constant * claim.bound.shape({"L": 8}), constraint=C.cost_ok)
