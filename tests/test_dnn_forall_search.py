"""AZLS-DNN Step 2/3 ∀-claims against a search over the ω-ball (issue 13).

Sec. 4, Steps 2-3 of ``allen-zhu-li-song-dnn-convergence.txt`` quantify over EVERY ``W`` with
``||W_l - W_l^(0)||_2 <= omega`` for every l.  The measures of the claims below run, besides the
constructed directions (sequential targeted sign flips, CLAIMS.md §0) and random ones, a search over
that product of spectral balls (``_azls_dnn_measures._ball_search``: factored Frank-Wolfe with the exact
oracle, straight-through sigmoid masks for the gradient, plus a claim-specific greedy step), and report
the series side by side.  Per claim these tests show that the search reaches at least the constructed
value on a fixed seed (numbers asserted), that the claim passes under 'quick' and 'ci', and a false
variant.

AZLS-DNN/Step2c.  The search beats the cheapest-first flips by a median 5-14% per trial (up to ~1.3x on
single trials).  NO false variant exists that only the search rejects: the trial-to-trial spread of the
backward change (10-90% quantiles 0.27-0.35 at m = 256, L = 3, omega = 0.02) is larger than the search's
gain, so a constant set just above the constructed worst case is exceeded by the search on too few
trials (~10-15%) for the binomial test at failure probability 0.05.  The simpler false variant tested:
the constant 4 -> 1 (below the typical L = 1 value ~2), rejected.

AZLS-DNN/Step3.  The search lowers sigma_min(Back) by a median 7-20% per trial at omega = 0.03; the false
variant sigma_min >= 0.55 sqrt(m/d) at m = 256, L = 4, omega = 0.03 (just below the constructed worst case)
passes with the constructions only and is refuted by the search.

AZLS-DNN/Step2a: see its section below (no search-only false variant exists).

About 50 s on one core shared with other work.
"""

from __future__ import annotations

import dataclasses

import pytest
import torch

import claims
from claims._claim import MeasureContext
from claims._profiles import PROFILES
from claims.catalog import _azls_dnn_measures as M
from claims.catalog import azls_dnn as C


def _ctx(seed=1000, trials=8):
    return MeasureContext(trials=trials, device=torch.device("cpu"), dtype=torch.float64, seed=seed,
                          profile=PROFILES["quick"])


def _variant(claim, suffix, **kw):
    return dataclasses.replace(claim, id=claim.id + "/" + suffix, kind="conjecture", **kw)


# ----------------------------------------------------------------------------- the search engine


def test_ball_search_stays_in_ball_and_ascends():
    """Factored Frank-Wolfe over ||W'_l||_2 <= omega: iterates stay in the balls, the value found is the
    exact objective at the returned point and at least that of the warm start."""
    point = {"m": 64, "L": 2, "omega": 0.02, "d": 4}
    ctx = _ctx(trials=3)
    net = M._net(point, ctx)
    x = M._inputs(1, 4, ctx)
    xin = net._input(x)
    pert, _ = M._sequential_attack(net, x, 0.02)
    f0 = M._pert_factors(pert)

    def obj(fac, beta):
        _, _, Us, taps = M._ball_forward(net, xin, fac, beta)
        return Us[1][:, 0].pow(2).sum((-1, -2)), taps

    v0 = obj(f0, None)[0]
    beta = M._ball_temperatures(net, xin, 0.02)
    v, fac, per = M._ball_search(net, obj, 0.02, sense=1, inits=[f0], gens=[ctx.generator("a"), ctx.generator("b")],
                                 steps=3, beta=beta)
    assert per.shape == (2, 3)
    for A, B in fac:
        assert (torch.linalg.matrix_norm(A @ B.mT, ord=2) <= 0.02 * (1 + 1e-9)).all()
    torch.testing.assert_close(v, obj(fac, None)[0])
    assert (v >= v0 * (1 - 1e-12)).all()
    # the factored forward equals the dense one
    Wd = torch.stack([A @ B.mT for A, B in fac], 1)
    tr = net.trace(x, net.W0 + Wd)
    gs, _, _, _ = M._ball_forward(net, xin, fac, back=False)
    torch.testing.assert_close(gs[-1], tr.g[:, -1])


# ----------------------------------------------------------------------------- Step 2(c)


def test_step2c_search_reaches_at_least_the_construction():
    out = M.step2c_measure()({"m": 256, "L": 2, "omega": 0.01, "d": 4}, _ctx())
    e = out.extras
    # trial by trial (the Frank-Wolfe start is the best of construction and knapsack points)
    assert (e["search"] >= e["constructed"] * (1 - 1e-12)).all()
    torch.testing.assert_close(out.values, torch.maximum(torch.maximum(e["constructed"], e["random"]), e["search"]))
    # seed 1000, K = 8: constructed max 0.5635, search max 0.7004; median gain 5.4%
    assert abs(float(e["constructed"].max()) - 0.5635) < 1e-3
    assert abs(float(e["search"].max()) - 0.7004) < 1e-3
    assert float(e["search_over_constructed"].median()) > 1.04
    assert torch.equal(out.values, M.step2c_measure()({"m": 256, "L": 2, "omega": 0.01, "d": 4}, _ctx()).values)


def test_knapsack_flips_stay_in_ball():
    point = {"m": 128, "L": 2, "omega": 0.02, "d": 4}
    ctx = _ctx(trials=4)
    net = M._net(point, ctx)
    xin = net._input(M._inputs(1, 4, ctx))
    zero = tuple((torch.zeros(4, 128, 1, dtype=torch.float64),) * 2 for _ in range(2))
    _, _, b0, _ = M._ball_forward(net, xin, zero)
    e = torch.nn.functional.normalize(torch.ones(4, 4, dtype=torch.float64), dim=-1)
    fac = M._knapsack_flips(net, xin, 0.02, b0, e)
    for A, B in fac:
        assert (torch.linalg.matrix_norm(A @ B.mT, ord=2) <= 0.02 * (1 + 1e-9)).all()


@pytest.mark.parametrize("profile", ["quick", "ci"])
def test_step2c_passes(profile):
    r = claims.check(C.STEP2C, profile=profile)
    assert r.verdict == "pass", r.message


def test_step2c_constant_one_is_rejected():
    b = dataclasses.replace(C.STEP2C.bound, constant=1.0)
    r = claims.check(_variant(C.STEP2C, "c-1", bound=b, scalings=()), profile="quick")
    assert r.verdict == "fail", r.message
    assert "search" in r.counterexample["extras"]


# ----------------------------------------------------------------------------- Step 3


def test_step3_search_reaches_at_least_the_construction():
    """The search MINIMISES sigma_min: below the construction trial by trial (the Frank-Wolfe start is the
    better of construction and knapsack point), and well below it at omega = 0.03, L = 3."""
    out = M.step3_measure()({"m": 256, "L": 3, "omega": 0.03, "d": 4}, _ctx())
    e = out.extras
    assert (e["search"] <= e["constructed"] * (1 + 1e-12)).all()
    torch.testing.assert_close(out.values, torch.minimum(torch.minimum(torch.minimum(e["at_init"], e["constructed"]),
                                                                     e["random"]), e["search"]))
    # seed 1000, K = 8: init min 0.6568, constructed min 0.6603, search min 0.5669; median ratio 0.84
    assert abs(float(e["at_init"].min()) - 0.6568) < 1e-3
    assert abs(float(e["constructed"].min()) - 0.6603) < 1e-3
    assert abs(float(e["search"].min()) - 0.5669) < 1e-3
    assert float(e["search_over_constructed"].median()) < 0.9
    # L = 1: Back_{i,2} = B, no W' moves it
    out1 = M.step3_measure()({"m": 128, "L": 1, "omega": 0.03, "d": 4}, _ctx())
    assert torch.equal(out1.extras["search"], out1.extras["at_init"])


@pytest.mark.parametrize("profile", ["quick", "ci"])
def test_step3_passes(profile):
    r = claims.check(C.STEP3, profile=profile)
    assert r.verdict == "pass", r.message


def _step3_tight(search: bool):
    """False variant: sigma_min(Back) >= 0.55 sqrt(m/d) at m = 256, L = 4, omega = 0.03, just below the
    constructed worst case there (W0 / constructed: min 0.54-0.58 over 64 trials; the search's median
    is ~0.54)."""
    pin = {"m": claims.Choice("m", (256,)), "L": claims.Choice("L", (4,)), "omega": claims.Choice("omega", (0.03,))}
    regime = tuple(pin.get(p.name, p) for p in C.STEP3.regime)
    b = dataclasses.replace(C.STEP3.bound, constant=0.55)
    return _variant(C.STEP3, "c-0.55" + ("" if search else "/constructed-only"), bound=b, regime=regime,
                    scalings=(), measure=M.step3_measure(search=search))


def test_step3_tight_constant_passes_constructed_only_but_search_refutes_it():
    weak = claims.check(_step3_tight(search=False), profile="quick")
    assert weak.verdict == "pass", weak.message
    strong = claims.check(_step3_tight(search=True), profile="quick")
    assert strong.verdict == "fail", strong.message
    ce = strong.counterexample
    search, cons = torch.tensor(ce["extras"]["search"]), torch.tensor(ce["extras"]["constructed"])
    assert (search < 0.55).sum() >= ce["violations"] >= 2
    assert cons.min() >= 0.55


# ----------------------------------------------------------------------------- Step 2(a)
#
# AZLS-DNN/Step2a.  At L = 1 the construction is the exact maximiser (one sample: flips depend only on
# W'_1 h_0, cheapest-first knapsack), so the search series equals it.  At L = 3 the search beats it on
# ~1/4 of the trials (up to ~1.5x) by spending upstream budget on layer L.  NO false variant exists that
# only the search rejects at the profiles' trial counts: the L-free bound ||D_L - D0_L||_0 <= c m omega^{2/3}
# pinned at m = 512, L = 3, omega = 0.02 with c = 1.25-1.4 (above the constructed worst case 1.22-1.30)
# is exceeded by the search on too few trials of 24 (quick) to reject; the simpler false variant tested:
# the claim's constant 2 -> 0.5, rejected.


def test_step2a_search_reaches_at_least_the_construction():
    out = M.step2a_measure()({"m": 512, "L": 3, "omega": 0.02, "d": 4}, _ctx(seed=1))
    e = out.extras
    assert (e["search"] >= e["constructed"]).all()
    torch.testing.assert_close(out.values, torch.maximum(e["constructed"], e["search"]))
    # seed 1, K = 8: the exact counts of layer L (integers)
    assert e["constructed"].tolist() == [42, 41, 38, 38, 38, 37, 36, 40]
    assert e["search"].tolist() == [44, 41, 38, 56, 47, 51, 36, 40]
    # L = 1: the construction is exact, the search series equals it
    out1 = M.step2a_measure()({"m": 256, "L": 1, "omega": 0.01, "d": 4}, _ctx())
    assert torch.equal(out1.extras["search"], out1.extras["constructed"])


@pytest.mark.parametrize("profile", ["quick", "ci"])
def test_step2a_passes(profile):
    r = claims.check(C.STEP2A, profile=profile)
    assert r.verdict == "pass", r.message


def test_step2a_constant_half_is_rejected():
    b = dataclasses.replace(C.STEP2A.bound, constant=0.5)
    r = claims.check(_variant(C.STEP2A, "c-0.5", bound=b, scalings=()), profile="quick")
    assert r.verdict == "fail", r.message
    assert "search" in r.counterexample["extras"]


# ----------------------------------------------------------------------------- report


@pytest.mark.parametrize("claim", [C.STEP2C, C.STEP3])
def test_report_shows_random_constructed_and_search(claim):
    from claims import report

    r = claims.check(claim, profile="quick").to_dict()
    plot = report._adv_plot(r)
    assert plot is not None
    svg = str(plot["svg"])
    assert "constructed" in svg and "search" in svg and "random" in svg
