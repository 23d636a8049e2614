"""Claims of Allen-Zhu, Li, Song, *A Convergence Theory for Deep Learning via
Over-Parameterization* (``allen-zhu-li-song-dnn-convergence.txt``; CLAIMS.md §1).

Setting F1 (Sec. 2): ``h_0 = φ(Ax)``, ``h_l = φ(W_l h_{l-1})`` (l = 1..L), ``y = B h_L``;
``A, W_l ~ N(0, 2/m)``, ``B ~ N(0, 1/d)``; only ``W_1..W_L`` trained; ``‖x_i‖ = 1``,
``(x_i)_d = 1/√2``.  The measures live in :mod:`._azls_dnn_measures`.

Constants.  The paper's constants are unspecified ("O(·)", abs.const).  Every constant
below was calibrated ONCE in a scratch run outside the check (helper session of
2026-11-22, seeds 0-3, K = 16-64 trials, at the smallest width of the claim's regime)
and then multiplied by a safety margin; the provenance string of each bound gives the
measured maximum (or minimum) and the margin.  Nothing is fitted while a check runs.

Budgets: the ci profile (widths <= 1024, K = 16, 4 examples) runs the whole module in a
few minutes on 2 CPU cores; widths per claim are capped further where the cost is
``K L m^2`` random numbers per example (network creation dominates on a CPU).
"""

from __future__ import annotations

import math

from .._claim import Bound, Choice, Claim, FloatParam, IntParam, Scaling, Source
from . import register
from . import _azls_dnn_measures as _M

PAPER = "allen-zhu-li-song-dnn-convergence.txt"


def _src(ref: str, note: str = "") -> Source:
    return Source(paper=PAPER, ref=ref, note=note)


def _w(prof_name_to_m):
    """Scaling base helper: ``m`` by profile (capped by the profile's width limit)."""

    def base(profile):
        cap = profile.limits.get("width", 1024)
        return {k: (min(v, cap) if k == "m" else v) for k, v in prof_name_to_m(profile).items()}

    return base


# ----------------------------------------------------------------------------- Fact 2.6

FACT26 = register(Claim(
    id="AZLS-DNN/Fact2.6",
    title="Closed-form gradient of F w.r.t. W_l equals autograd",
    source=_src("Fact 2.6 (with Def. 2.5)", "CLAIMS.md (b.1)"),
    statement_tex=(r"\nabla_{W_\ell} F(\vec W)=\sum_{i=1}^n D_{i,\ell}\,(\mathrm{Back}_{i,\ell+1}^\top"
                   r"\,\mathrm{loss}_i)\,h_{i,\ell-1}^\top,\quad \mathrm{Back}_{i,\ell}=BD_{i,L}W_L\cdots "
                   r"D_{i,\ell}W_\ell,\ \mathrm{Back}_{i,L+1}=B"),
    family="fc",
    regime=(IntParam("m", 16, 128, log=True, limit="width"), IntParam("L", 1, 4, limit="depth"),
            IntParam("n", 1, 6, limit="n"), IntParam("d", 2, 6)),
    measure=_M.fact26_measure(),
    bound=Bound("upper", lambda p: 1.0, 1e-10, shape_tex="1",
                provenance="EXACT identity: float64 round-off (measured 4e-16..6e-16 relative); "
                           "1e-10 is the project's float64 identity tolerance"),
    failure_prob=0.0,
    dtype="float64",
    tags=("exact", "gradient"),
    kind="theorem",
    notes=("Q = ||grad_autograd - grad_formula||_F / ||grad_formula||_F, max over three weight points "
           "(initialisation, W0 + 0.3 N(0,1/m) noise, two GD steps) with arbitrary (Gaussian) y*. "
           "The formula is evaluated literally with the implicit Back_{i,l+1} operators "
           "(FCNet.back_operator), not by back-substitution, so it checks the index convention "
           "(Back_{i,L+1} = B). autograd uses torch.relu's 1[g > 0] and the paper 1[g >= 0]: they "
           "differ only at exact zeros, which have probability 0 at these weights. float64 because it "
           "is an identity. A deliberately false variant (Back_{i,l} instead of Back_{i,l+1}) is in the "
           "test suite and fails with relative error ~1.4."),
))

# ----------------------------------------------------------------------------- fn 3

FN3 = register(Claim(
    id="AZLS-DNN/fn3-bias",
    title="Last input coordinate 1/sqrt(2) acts as a random bias N(0, 1/m)",
    source=_src("footnote 3", "same statement as AZLS-RNN fn 5"),
    statement_tex=(r"A\,(y/\sqrt2,\,1/\sqrt2)=(A/\sqrt2)(y,0)+b,\qquad b=Ae_d/\sqrt2\sim\mathcal N(0,I/m)"),
    family="fc",
    regime=(IntParam("m", 512, 4096, log=True, limit="width"), IntParam("d", 2, 16)),
    measure=_M.fn3_bias_measure(),
    bound=Bound("two-sided", lambda p: 1.0, 1.3, lower_constant=0.7, shape_tex="1",
                provenance="explicit: m Var(b) = 1 exactly in law; the band +-0.3 is 4.8 standard "
                           "deviations of the estimate (sd = sqrt(2/m) = 0.0625 at m = 512)"),
    failure_prob=1e-3,
    dtype="float32",
    tags=("sanity", "init", "exact"),
    kind="sanity",
    notes=("values = m * mean(b_k^2) over the m entries of b = A e_d / sqrt 2 (predicted 1). The algebraic "
           "identity itself is exact (extras identity_err, float32 round-off) and the independence of b "
           "from the other columns is reported as max |corr| (extras). float32: a variance estimate "
           "needs no more. Sanity check of the harness; the false variant with A ~ N(0, 1/m) gives 0.5 "
           "and fails."),
))

# ----------------------------------------------------------------------------- Intuition

INTUITION = register(Claim(
    id="AZLS-DNN/Intuition",
    title="Heuristic constants of Step 1: ||Wy|| ~ sqrt2, ||phi(Wy)|| ~ 1, ||DW||_2 ~ 2",
    source=_src("Sec. 4, Step 1 (prose)", "CLAIMS.md AZLS-DNN/Intuition"),
    statement_tex=(r"\|Wy\|_2^2\approx2,\quad \|\phi(Wy)\|\approx1,\quad \|D_{i,a}W_a\|_2\approx2"),
    family="fc",
    regime=(IntParam("m", 256, 1024, log=True, limit="width"),),
    measure=_M.intuition_measure(),
    bound=Bound("upper", lambda p: 1.0, 1.0, shape_tex="1",
                provenance=("normalisation, no fitted constant: '≈' made quantitative as 4.5/sqrt(m) "
                            "(>= 4 exact finite-m standard deviations: sd(||Wy||/sqrt2) = 1/sqrt(2m), "
                            "sd(||phi(Wy)||) = sqrt(5)/(2 sqrt m)) for the two norms and as +-25% for the "
                            "paper's '||DW||_2 ≈ 2'")),
    failure_prob=1e-3,
    scalings=(Scaling("m", 0.0, "report", grid=(256, 512), series="spec_DW",
                      note="||DW||_2 -> 1 + sqrt 2 (not 2) at every width: m-exponent ≈ 0"),),
    dtype="float32",
    tags=("sanity", "init", "spectral"),
    kind="sanity",
    notes=("[R] The text says '||Wy||_2 is around 2'; read as ||Wy||^2 ≈ 2 (an exponent lost in "
           "extraction), i.e. ||Wy|| ≈ sqrt 2. values = max(r1, r2, r3) with r1 = | ||Wy||/sqrt2 - 1 | / "
           "(4.5/sqrt m), r2 = | ||phi(Wy)|| - 1 | / (4.5/sqrt m), r3 = | ||DW||_2 / 2 - 1 | / 0.25. "
           "DISCREPANCY (reported, not hidden): ||DW||_2 is 1 + sqrt 2 ≈ 2.414, not 2 (random-matrix "
           "theory: D keeps ~m/2 rows of a Gaussian matrix with variance 2/m, top singular value "
           "sqrt(2/m)(sqrt m + sqrt(m/2)) = 1 + sqrt 2); measured 2.40 ± 0.02 at m = 512 (extras spec_DW, "
           "spec_DW_minus_1_plus_sqrt2) and ||W||_2 ≈ 2 sqrt 2 (extras spec_W). The claim passes only "
           "because '≈ 2' is read as 'within 25%' (r3 ≈ 0.83, which sets the tightness); the paper's "
           "point (a constant > 1, so naive induction blows up exponentially) is right. Spectral norms "
           "by 40 Golub-Kahan-Lanczos steps. float32 suffices for norms."),
))

# ----------------------------------------------------------------------------- Step 1

STEP1_FWD = register(Claim(
    id="AZLS-DNN/Step1-fwd",
    title="Forward propagation neither explodes nor vanishes: ||h_{i,l}|| ≈ 1",
    source=_src("Sec. 4, Step 1"),
    statement_tex=r"\max_{i\in[n],\ell\in[L]}\bigl|\|h_{i,\ell}\|-1\bigr|\le c\sqrt{(L+1)/m}",
    family="fc",
    regime=(IntParam("m", 128, 1024, log=True, limit="width"), IntParam("L", 1, 8, limit="depth"),
            IntParam("n", 2, 16, limit="n"), Choice("d", (8,))),
    measure=_M.step1_fwd_measure(),
    bound=Bound("upper", lambda p: math.sqrt((p["L"] + 1) / p["m"]), 7.0,
                shape_tex=r"\sqrt{(L+1)/m}",
                provenance=("calibrated: max over 64 trials (seeds 1000-1003) of dev/sqrt((L+1)/m) at the "
                            "regime's smallest width m = 128 (L = 8, n = 16) was 4.64; constant = 1.5 x "
                            "that, rounded to 7. [D] shape from E||h_l||^2 = ||h_{l-1}||^2 and relative "
                            "variance 5/m per layer (sd(||h_l||) ≈ 0.5 sqrt(5(l+1)/m))")),
    failure_prob=0.05,
    scalings=(
        Scaling("m", -0.5, "at_most", grid={"quick": (128, 256, 512), "ci": (128, 256, 512, 1024)},
                base={"L": 4, "n": 8, "d": 8}, tolerance=0.2,
                note="deviation decays like m^{-1/2} (CALIBRATION: -0.51..-0.55)"),
        Scaling("L", 0.5, "at_most", grid=(1, 2, 4, 8), base=_w(lambda p: {"m": 512, "n": 8, "d": 8}),
                tolerance=0.25, note="no exponential drift in L: at most sqrt(L)"),
    ),
    dtype="float32",
    tags=("forward", "init"),
    notes=("The paper gives no error term ('≈ 1'); the sqrt(L/m) shape is the derived [D] "
           "fluctuation law (CLAIMS.md), so this checks '≈ 1' in its natural quantitative form: "
           "deviation <= c sqrt((L+1)/m), m-exponent <= -1/2 (+0.2), L-exponent <= 1/2 (+0.25) (no "
           "exponential drift). Max over samples and trained layers l in [L] (extras also with the A "
           "layer). float32: norms need no more."),
))

STEP1_BACK = register(Claim(
    id="AZLS-DNN/Step1-back",
    title="Backward matrix norm ||B D_L W_L ... D_a W_a||_2 <= O(sqrt(m/d))",
    source=_src("Sec. 4, Step 1"),
    statement_tex=r"\max_{i,a\in[L]}\|BD_{i,L}W_L\cdots D_{i,a}W_a\|_2\le c\sqrt{m/d}",
    family="fc",
    regime=(IntParam("m", 128, 512, log=True, limit="width"), IntParam("L", 1, 8, limit="depth"),
            IntParam("n", 1, 8, limit="n"), Choice("d", (4,))),
    constraint=lambda p: p["m"] >= 16 * p["d"] * p["L"],
    measure=_M.step1_back_measure(),
    bound=Bound("upper", lambda p: 1.0, 3.0, shape_tex=r"1\ (\text{values are } \|\cdot\|_2/\sqrt{m/d})",
                provenance=("calibrated: max ratio over 64 trials at the regime's smallest allowed "
                            "widths (m = 16 d L: m = 128 at L = 2 -> 1.70; m = 512 at L = 8 -> 2.19; "
                            "n = 16); constant = 1.37 x 2.19, i.e. 3")),
    failure_prob=0.05,
    scalings=(
        Scaling("L", 0.0, "at_most", grid=(1, 2, 4, 8), base=_w(lambda p: {"m": 512, "n": 4, "d": 4}),
                tolerance=0.25, note="bounded uniformly in L (finite-m growth ≈ 1 + 1.6 sqrt(dL/m))"),
    ),
    dtype="float32",
    tags=("spectral", "backward", "init"),
    notes=("Exact: the d x m matrices Back_{i,a} come from back-substitution of the d rows of B and "
           "their spectral norms from an SVD. The regime keeps m >= 16 d L: CALIBRATION measured the "
           "ratio ≈ 1 + 1.6 sqrt(dL/m), a finite-width effect that vanishes as m grows (the theorem "
           "needs m >= poly(L) d). Max over samples and a in [L]. float32."),
))

STEP1_INTER = register(Claim(
    id="AZLS-DNN/Step1-inter",
    title="Intermediate products ||D_a W_a ... D_b W_b||_2 <= O(sqrt L)",
    source=_src("Sec. 4, Step 1"),
    statement_tex=r"\max_{i,\,1\le b\le a\le L}\|D_{i,a}W_a\cdots D_{i,b}W_b\|_2\le c\sqrt L",
    family="fc",
    regime=(IntParam("m", 128, 384, log=True, limit="width"), IntParam("L", 1, 8, limit="depth"),
            Choice("d", (4,))),
    measure=_M.step1_inter_measure(),
    bound=Bound("upper", lambda p: math.sqrt(p["L"]), 4.5, shape_tex=r"\sqrt L",
                provenance=("calibrated: max of values/sqrt(L) over 64 trials at the smallest width "
                            "m = 128 was 2.51 at L = 1 (one layer, ≈ 1 + sqrt 2 plus finite-m excess) and "
                            "3.06 at L = 8; constant = 1.47 x 3.06, i.e. 4.5")),
    failure_prob=0.05,
    scalings=(
        Scaling("L", 0.5, "at_most", grid=(1, 2, 4, 8), base=_w(lambda p: {"m": 256, "d": 4}),
                tolerance=0.15, note="sqrt(L) growth; [H] free-probability sqrt(e(k+1)) suggests tight"),
    ),
    dtype="float32",
    tags=("spectral", "init"),
    notes=("All L(L+1)/2 intervals [b, a] (widths <= 384 to bound the ci cost; one input per trial: the inputs are independent of W, so "
           "the K trials sample the claim's 'for every i'), spectral norms of the implicit products by "
           "20 Golub-Kahan-Lanczos steps with full reorthogonalisation, all intervals in one batch (a "
           "Ritz value is a lower bound: under-convergence only loses power; extras lanczos_rel_change "
           "reports the last-3-step change, typically <= 1e-3). The paper's 'naively ||D W||_2 ≈ 2' is "
           "1 + sqrt 2 (extras single_layer). L-exponent fitted ≈ 0.4-0.5 (CALIBRATION 0.52 ± 0.05). "
           "linalg.spectral_norm was not used here because its per-member bookkeeping cost ~75% of the "
           "time at K = 16, m = 512 (reported to the lead); the same Golub-Kahan algorithm is applied."),
))

STEP1_SEP = register(Claim(
    id="AZLS-DNN/Step1-sep",
    title="Separation is preserved: ||h_{i,l} - h_{j,l}|| >= Omega(delta) (for delta <= 1/L)",
    source=_src("Sec. 4, Step 1 (final lemma)", "corrected reading delta <= 1/L, CLAIMS.md"),
    statement_tex=(r"\|x_i-x_j\|\ge\delta,\ \delta\le 1/L\ \Rightarrow\ "
                   r"\min_{i\ne j,\ell\in[L]}\|h_{i,\ell}-h_{j,\ell}\|\ge c\,\delta"),
    family="fc",
    regime=(IntParam("m", 256, 1024, log=True, limit="width"), IntParam("L", 1, 8, limit="depth"),
            FloatParam("delta", 0.05, 1.0, log=True), Choice("d", (8,))),
    constraint=lambda p: p["delta"] <= 1.0 / p["L"],
    measure=_M.step1_sep_measure(),
    bound=Bound("lower", lambda p: 1.0, 0.25, shape_tex=r"1\ (\text{values are } \min\|\Delta h\|/\delta)",
                provenance=("calibrated: min over 64 trials at the smallest width m = 256 (L = 8, "
                            "delta = 1/8) was 0.48; constant = 0.52 x, i.e. 0.25. Infinite-width value (arc-cos recursion) >= "
                            "1/(1 + (L+1) delta/(3 pi)) ≥ 0.7 for delta <= 1/L")),
    failure_prob=0.05,
    scalings=(
        Scaling("m", -0.5, "report", grid=(256, 512, 1024), base={"L": 4, "delta": 0.1, "d": 8},
                series="arccos_dev", note="[D] finite-width deviation from the arc-cos limit, ~ m^{-1/2}"),
    ),
    dtype="float32",
    tags=("separation", "forward", "init"),
    notes=("[D]/corrected reading: the arc-cos recursion cos θ_l = kappa1(cos θ_{l-1}) gives "
           "1/θ_l ≈ 1/θ_{l-1} + 1/(3π), so an L-free Ω(δ) holds only for δ ≲ 1/L; the main text does "
           "not state that assumption. The regime enforces δ <= 1/L. Inputs: a pair at distance exactly "
           "δ plus 2 more points >= δ away (close_pair_inputs, n = 4, d = 8). values = min over pairs and "
           "trained layers of ||Δh|| / δ_min. Extras: ref_ratio (the same minimum for the infinite-width "
           "arc-cos reference, which is what the values approach), arccos_dev (max relative deviation "
           "from the reference; 0.15-0.4 at m = 256-1024 for these small distances, decaying with m: the "
           "m-exponent is reported, not gated). float32."),
))

# ----------------------------------------------------------------------------- Step 2

_ATTACK = ("targeted rank-one construction of CLAIMS.md §0 (ovpmodel.perturb.targeted_sign_flip) applied "
           "layer after layer on sample 0 with the upstream perturbations already in place (coordinated "
           "multi-layer); ||W'_l||_2 <= omega for every l")

STEP2A = register(Claim(
    id="AZLS-DNN/Step2a",
    title="Sign changes after an adversarial perturbation: ||D - D0||_0 <= O(m omega^{2/3} L)",
    source=_src("Sec. 4, Step 2(a)"),
    statement_tex=(r"\forall \vec W:\ \|W_\ell-W^{(0)}_\ell\|_2\le\omega\ \forall\ell\ \Rightarrow\ "
                   r"\|D_{i,\ell}-D^{(0)}_{i,\ell}\|_0\le c\,m\,\omega^{2/3}L"),
    family="fc",
    regime=(IntParam("m", 256, 1024, log=True, limit="width"), IntParam("L", 1, 3, limit="depth"),
            FloatParam("omega", 0.003, 0.05, log=True), Choice("d", (4,))),
    constraint=lambda p: p["m"] * p["omega"] ** (2 / 3) >= 8,
    measure=_M.step2a_measure(),
    bound=Bound("upper", lambda p: p["m"] * p["omega"] ** (2 / 3) * p["L"], 2.0,
                shape_tex=r"m\,\omega^{2/3}L",
                provenance=("calibrated: max of flips/(m omega^{2/3} L) over 64 trials at m = 256 "
                            "(L = 1, omega = 0.01 -> 1.43; omega = 0.045 -> 1.30) (closed form of the construction: "
                            "(3/pi)^{1/3} ≈ 0.985 plus order-statistic noise); constant = 1.4 x, i.e. 2. "
                            "Re-checked with the search (issue 13; K = 64, seeds 0-3, worst per series): "
                            "omega = 0.01 constructed 1.515 = search; omega = 0.045 constructed 1.297 = "
                            "search (L = 1: the construction is exact); L = 2, omega = 0.02 (seeds 0-1) 0.795 = "
                            "0.795; L = 3, m = 512, omega = 0.02 (seed 0) constructed 0.424, search 0.557. "
                            "Not broken, constant kept")),
    quantifier="forall",
    adversary=("W' in the product of balls ||W'_l||_2 <= omega: constructed (" + _ATTACK + ") and, for L >= 2, "
               "search (Frank-Wolfe over the balls, factored, exact oracle, warm-started at the construction + "
               "1 random restart, 3 steps; exact counts compared, gradient of the sigmoid stand-in "
               "sum_k sigmoid(-g_k sign(g0_k)/beta)); at L = 1 the construction is the exact maximiser for "
               "one sample (cheapest-first knapsack), so the search series equals it; values = the worst"),
    failure_prob=0.05,
    scalings=(
        Scaling("omega", 2 / 3, "at_most", grid={"quick": (0.008, 0.024, 0.072), "ci": (0.004, 0.012, 0.036)},
                base=_w(lambda p: {"m": 1024, "L": 1, "d": 4}), series="layer1", tolerance=0.1,
                note="adversarial omega-exponent: tight at 2/3 (fitted ≈ 0.67-0.68)"),
        Scaling("omega", 1.0, "report", grid={"quick": (0.008, 0.024, 0.072), "ci": (0.004, 0.012, 0.036)},
                base=_w(lambda p: {"m": 1024, "L": 1, "d": 4}), series="random", zeros="drop",
                note="random W' of the same spectral norm: exponent ≈ 1 (cannot show the 2/3 law)"),
    ),
    dtype="float64",
    tags=("sign_change", "adversarial", "perturbation"),
    notes=("values = max_l flips of sample 0 under the attack (exact count by a forward pass at W0 + W'). "
           "float64 because the construction puts coordinates a relative 1e-3 past zero. The constraint "
           "m omega^{2/3} >= 8 keeps the designed flip count away from single digits. The omega^{2/3} "
           "exponent is reached by the construction (tight); the L factor is loose (per-layer counts "
           "≈ 0.985 m omega^{2/3} plus a few upstream-induced flips). extras random: mean flips per "
           "sample of layer 1 over 8 samples for a Gaussian W'_1 with ||W'_1||_2 = omega, ≈ 0.2-0.3 m omega "
           "(random perturbations flip 20-80x fewer signs and have omega-exponent ≈ 1; reported, not gated). "
           "What it does not show: a search can only lower-bound the sup over the ball. Issue 13 finding: "
           "the search does not beat the construction at L = 1 (exact there; 0 of 512 trials in the "
           "sweep) and rarely at L = 2 (4 of 128 trials, <= 1.14x), but at L = 3 it does on ~1/4 of the "
           "trials (17 of 64 at m = 512, omega = 0.02, up to 1.49x: 56 vs 42 flips in layer L), by "
           "coordinating the upstream layers' budget to push layer L's cheapest coordinates instead of "
           "flipping their own; so the per-layer count is not L-free at m omega^{2/3} ≈ 1.0-1.3 as the "
           "construction suggests. Still far below c L (values/(m omega^{2/3} L) 0.557 at L = 3)."),
))

STEP2B = register(Claim(
    id="AZLS-DNN/Step2b",
    title="Forward perturbation ||h_{i,l} - h0_{i,l}|| <= O(omega L^{5/2})",
    source=_src("Sec. 4, Step 2(b)"),
    statement_tex=(r"\forall \vec W:\ \|W_\ell-W^{(0)}_\ell\|_2\le\omega\ \Rightarrow\ "
                   r"\|h_{i,\ell}-h^{(0)}_{i,\ell}\|\le c\,\omega L^{5/2}"),
    family="fc",
    regime=(IntParam("m", 128, 512, log=True, limit="width"), IntParam("L", 1, 8, limit="depth"),
            FloatParam("omega", 1e-3, 1e-2, log=True), Choice("d", (4,))),
    measure=_M.step2b_measure(),
    bound=Bound("upper", lambda p: p["L"] ** 2.5, 2.0, shape_tex=r"L^{5/2}\ (\text{values are }\|\Delta h\|/\omega)",
                provenance=("calibrated: max of values/L^{2.5} over 64 trials at the smallest width "
                            "m = 128 was 1.19 (at L = 1, omega = 1e-3); constant = 1.68 x, i.e. 2")),
    quantifier="forall",
    adversary=("conditional-gradient (power) ascent of ||Δh_L||^2 over rank-one W'_l = omega u_l v_l^T, "
               "v_l = h0_{l-1}/||h0_{l-1}|| (for one sample only W'_l h_{l-1} matters, so rank one loses "
               "nothing at first order), 8 iterations, best iterate"),
    failure_prob=0.05,
    scalings=(
        Scaling("L", 2.5, "at_most", grid=(1, 2, 4, 8), base=_w(lambda p: {"m": 256, "omega": 0.001, "d": 4}),
                tolerance=0.2, note="claimed L^{5/2}; measured ≈ L^{1.5} (loose)"),
        Scaling("m", 0.0, "at_most", grid=(128, 256, 512), base={"L": 4, "omega": 0.001, "d": 4},
                tolerance=0.15, note="no m dependence"),
    ),
    dtype="float32",
    tags=("forward", "adversarial", "perturbation"),
    notes=("values = max_l ||h_{0,l}(W0+W') - h_{0,l}(W0)|| / omega for the attack W'. The attack reaches "
           "≈ L^{1.5} (CALIBRATION: 3.0, 8.4, 23.9 for L = 2, 4, 8), so the claimed L^{2.5} is loose "
           "(scaling verdict 'loose' expected). perturb.pgd_spectral_ball was not used: its per-step SVD "
           "projection of dense m x m matrices is far costlier than the rank-one parametrisation, which "
           "is exact for the one-sample objective at first order. float32: ||Δh|| / ||h|| >= 1e-3 >> "
           "float32 rounding."),
))

STEP2C = register(Claim(
    id="AZLS-DNN/Step2c",
    title="Backward stability ||Back(W) - Back(W0)||_2 <= O(omega^{1/3} L^2 sqrt(m/d))",
    source=_src("Sec. 4, Step 2 ('another main result')"),
    statement_tex=(r"\|BD_{i,L}W_L\cdots D_{i,a}W_a-BD^{(0)}_{i,L}W^{(0)}_L\cdots D^{(0)}_{i,a}W^{(0)}_a\|_2"
                   r"\le c\,\omega^{1/3}L^2\sqrt{m/d}"),
    family="fc",
    regime=(IntParam("m", 256, 1024, log=True, limit="width"), IntParam("L", 1, 3, limit="depth"),
            FloatParam("omega", 0.003, 0.05, log=True), Choice("d", (4,))),
    constraint=lambda p: p["m"] * p["omega"] ** (2 / 3) >= 8,
    measure=_M.step2c_measure(),
    bound=Bound("upper", lambda p: p["omega"] ** (1 / 3) * p["L"] ** 2, 4.0,
                shape_tex=r"\omega^{1/3}L^2\ (\text{values are }\|\Delta\mathrm{Back}\|_2/\sqrt{m/d})",
                provenance=("calibrated: max of values/(omega^{1/3} L^2) over 64 trials at m = 256, L = 1 "
                            "(omega = 0.01) was 2.48 (constructed flips only); constant = 1.6 x, i.e. 4. "
                            "Re-checked with the search (issue 13; same point, K = 64, seeds 0-3, worst per "
                            "series): constructed 2.58-2.83, search 2.70-3.04, random 1.07-1.34; the search "
                            "does not break 4 (margin now 1.32 x), constant kept")),
    quantifier="forall",
    adversary=("W' in the product of balls ||W'_l||_2 <= omega, three adversaries, values = the worst: "
               "constructed (" + _ATTACK + "; the flips in layer L make B ΔD_L W_L ≈ sqrt(2 s/d) with "
               "s ≈ m omega^{2/3}); random (Gaussian W'_l, ||W'_l||_2 = omega); search (greedy knapsack choice "
               "of the flip set along the top singular direction of ΔBack, then Frank-Wolfe over the "
               "balls with the exact oracle in factored form, straight-through sigmoid masks steering the "
               "gradient, warm-started at the best of the construction and the knapsack points)"),
    failure_prob=0.05,
    scalings=(
        Scaling("omega", 1 / 3, "at_most", grid={"quick": (0.008, 0.024, 0.072), "ci": (0.004, 0.012, 0.036)},
                base=_w(lambda p: {"m": 512, "L": 1, "d": 4}), tolerance=0.1,
                note="[H] omega^{1/3} is achievable by the targeted flips (tight)"),
        Scaling("omega", 0.5, "report", grid={"quick": (0.008, 0.024, 0.072), "ci": (0.004, 0.012, 0.036)},
                base=_w(lambda p: {"m": 512, "L": 1, "d": 4}), series="random", zeros="drop",
                note="random W': ~ sqrt(#flips) ~ omega^{1/2}"),
    ),
    dtype="float64",
    tags=("backward", "spectral", "adversarial", "perturbation"),
    notes=("values = max_a ||Back_{0,a}(W0+W') - Back_{0,a}(W0)||_2 / sqrt(m/d), exact (back-substitution "
           "of the d rows, SVD of the d x m difference), the worst of the series constructed / random / "
           "search in the extras. float64 for the flip construction. Issue 13 finding: the search beats the "
           "cheapest-first flips by a median 5-14% per trial (up to 1.34x on single trials; larger at L = 2-3 "
           "than at L = 1) by flipping coordinates whose Back columns align with one direction instead of "
           "the cheapest ones; the constructions had under-estimated the worst case by ~7% (3.04 vs 2.83 over "
           "the calibration sweep), within the constant's margin. The exact-gradient Frank-Wolfe alone "
           "cannot leave the construction (any convex step un-flips its 1e-3 margins) and from random starts "
           "stays below it; the gain comes from the knapsack step."),
))

STEP3 = register(Claim(
    id="AZLS-DNN/Step3",
    title="Gradient-lower-bound mechanism: sigma_min(Back_{i,l+1}) >= Omega(sqrt(m/d))",
    source=_src("Sec. 4, Step 3", "magnitude not given in the main text; [D] Theta(sqrt(m/d))"),
    statement_tex=(r"\min_{\|u\|=1}\|\mathrm{Back}_{i,\ell+1}^\top u\|=\sigma_{\min}(\mathrm{Back}_{i,\ell+1})"
                   r"\ge c\sqrt{m/d}\quad\text{at }W^{(0)}\text{ and in the }\omega\text{-ball}"),
    family="fc",
    regime=(IntParam("m", 128, 512, log=True, limit="width"), IntParam("L", 1, 4, limit="depth"),
            FloatParam("omega", 0.003, 0.03, log=True), Choice("d", (4,))),
    constraint=lambda p: p["m"] >= 16 * p["d"] * p["L"],
    measure=_M.step3_measure(),
    bound=Bound("lower", lambda p: 1.0, 0.3, shape_tex=r"1\ (\text{values are }\sigma_{\min}/\sqrt{m/d})",
                provenance=("calibrated: min over 64 trials at the smallest width m = 128 (L = 2, "
                            "omega = 0.01) was 0.59; constant = 0.51 x, i.e. 0.3. Re-checked with the search "
                            "(issue 13; K = 64, seeds 0-3, worst per series): at that point init 0.562, "
                            "constructed 0.571, search 0.535; over the regime's corners (m = 128, L = 2, "
                            "omega = 0.03; m = 256, L = 3-4, omega = 0.03) init 0.444, constructed 0.476, "
                            "search 0.360 (m = 256, L = 4, omega = 0.03): the search does not break 0.3 "
                            "(margin now 1.2 x), constant kept")),
    quantifier="forall",
    adversary=("u: exact (SVD); W: initialisation, the " + _ATTACK + ", a Gaussian W' with ||W'_l||_2 = omega, "
               "and a search MINIMISING the "
               "smallest singular value over the product of balls (L >= 2): greedy knapsack of 1 -> 0 flips "
               "that remove the columns carrying ||Back^T u|| (u the bottom singular vector at W0, worst "
               "sample and layer), then factored Frank-Wolfe descent with the exact oracle and "
               "straight-through sigmoid masks; values = the minimum of all"),
    failure_prob=0.05,
    scalings=(
        Scaling("m", 0.0, "at_least", grid=(128, 256, 512), base={"L": 2, "omega": 0.01, "d": 4},
                tolerance=0.1, note="bounded below uniformly in m"),
    ),
    dtype="float64",
    tags=("backward", "spectral", "gradient"),
    notes=("The main text gives no magnitude for ||Back^T u||; the sqrt(m/d) normalisation is the [D] "
           "analogue of AZL-RNN/B.1g. min over 4 samples, l in [L] (Back_{i,l+1}, l+1 = 2..L+1; "
           "Back_{L+1} = B) and the weight points (series at_init / constructed / random / search in the extras; "
           "at L = 1 the only matrix is B and no W moves it). Only the backward factor of Step 3 is checked "
           "here; the combination over samples is Thm3-lower. Issue 13 finding: the construction (cheapest "
           "flips, aimed at the flip COUNT) barely moves sigma_min (it is often above the value at W0); "
           "the search lowers it by a median 7% (L = 2), 14% (L = 3) and 20% (L = 4) per trial at omega = 0.03, and the worst case "
           "over the re-check sweep from 0.444 (W0 / constructed) to 0.360, i.e. the constructions had "
           "over-estimated the minimum by ~23%; still above the constant 0.3."),
))

STEP4 = register(Claim(
    id="AZLS-DNN/Step4",
    title="Lipschitz forward map near initialization: ||h(W̆+W') - h(W̆)|| <= O(L^{1.5}) ||W'||_2",
    source=_src("Sec. 4, Step 4"),
    statement_tex=(r"\|h_{i,\ell}(\breve W+W')-h_{i,\ell}(\breve W)\|\le c\,L^{1.5}\|W'\|_2,\quad "
                   r"\|\breve W-W^{(0)}\|_2\le\omega"),
    family="fc",
    regime=(IntParam("m", 128, 512, log=True, limit="width"), IntParam("L", 1, 8, limit="depth"),
            FloatParam("omega", 0.005, 0.03, log=True), Choice("d", (4,))),
    measure=_M.step4_measure(),
    bound=Bound("upper", lambda p: p["L"] ** 1.5, 2.0, shape_tex=r"L^{1.5}\ (\text{values are }\|\Delta h\|/\|W'\|_2)",
                provenance=("calibrated: max of values/L^{1.5} over 64 trials at the smallest width "
                            "m = 128 was 1.19 (L = 1, omega = 0.01); constant = 1.68 x, i.e. 2")),
    quantifier="forall",
    adversary=("W̆ = W0 + Gaussian W'' with ||W''_l||_2 = omega; W' by the conditional-gradient ascent "
               "of Step2b at radius 1e-3 (local Lipschitz constant)"),
    failure_prob=0.05,
    scalings=(
        Scaling("L", 1.5, "at_most", grid=(1, 2, 4, 8), base=_w(lambda p: {"m": 256, "omega": 0.01, "d": 4}),
                tolerance=0.2, note="[H] L layers x sqrt(L) per product: possibly tight"),
    ),
    dtype="float32",
    tags=("forward", "adversarial", "lipschitz"),
    notes=("values = max_l ||Δh_{0,l}|| / ||W'||_2 with ||W'_l||_2 = 1e-3 for every l. The fitted "
           "L-exponent comes out ≈ 1.4-1.5, i.e. the paper's L^{1.5} looks tight for this adversary. "
           "float32."),
))

# ----------------------------------------------------------------------------- Theorem 3

THM3_UPPER = register(Claim(
    id="AZLS-DNN/Thm3-upper",
    title="Gradient upper bound ||grad F||_F^2 <= O(F L n m / d)",
    source=_src("Theorem 3 (first inequality)"),
    statement_tex=(r"\forall \vec W,\ \|\vec W-\vec W^{(0)}\|_2\le\omega,\ \forall y^*:\ "
                   r"\|\nabla F(\vec W)\|_F^2\le c\,F(\vec W)\,\frac{Lnm}{d}"),
    family="fc",
    regime=(IntParam("m", 128, 1024, log=True, limit="width"), IntParam("L", 1, 4, limit="depth"),
            IntParam("n", 2, 16, limit="n"), FloatParam("omega", 0.003, 0.03, log=True), Choice("d", (4,))),
    measure=_M.thm3_measure("upper"),
    bound=Bound("upper", lambda p: 1.0, 2.5, shape_tex=r"1\ (\text{values are }\sup_{y^*}\|\nabla F\|_F^2/(F\,Lnm/d))",
                provenance=("calibrated: max over 64 trials at the smallest width m = 128 (n = 2, L = 1, "
                            "omega = 0.01) was 1.49; constant = 1.68 x, i.e. 2.5 (CALIBRATION: 0.5-0.8 "
                            "for L = 1..16, n = 4, 16)")),
    quantifier="forall",
    adversary=("y*: exact sup (2 lambda_max of the Jacobian Gram matrix, every loss vector is reachable); "
               "W: initialisation and the " + _ATTACK),
    failure_prob=0.05,
    scalings=(
        Scaling("n", 1.0, "at_most", grid=(2, 4, 8, 16), base=_w(lambda p: {"m": 256, "L": 2, "omega": 0.01, "d": 4}),
                series="Q_times_d_over_m", tolerance=0.2, note="n^1 (tight: the shape L n is attained)"),
    ),
    dtype="float64",
    tags=("gradient", "adversarial"),
    notes=("[T] The statement's 'for every l, every i' quantifiers are vacuous. The sup over y* is "
           "computed exactly: grad F = J^T loss, F = ||loss||^2/2, so sup ||grad F||^2/F = 2 "
           "lambda_max(J J^T) with the nd x nd Gram matrix built from Fact 2.6. float64 (eigenvalues of a "
           "Gram matrix)."),
))

THM3_LOWER = register(Claim(
    id="AZLS-DNN/Thm3-lower",
    title="No critical points near init: ||grad F||_F^2 >= Omega(F delta m / (d n^2))",
    source=_src("Theorem 3 (second inequality)"),
    statement_tex=(r"\forall \vec W,\ \|\vec W-\vec W^{(0)}\|_2\le\omega,\ \forall y^*:\ "
                   r"\|\nabla F(\vec W)\|_F^2\ge c\,F(\vec W)\,\frac{\delta m}{dn^2}"),
    family="fc",
    regime=(IntParam("m", 256, 1024, log=True, limit="width"), IntParam("L", 1, 4, limit="depth"),
            IntParam("n", 2, 8, limit="n"), FloatParam("delta", 0.125, 0.5, log=True),
            FloatParam("omega", 0.003, 0.03, log=True), Choice("d", (4,))),
    # m >= 4 / delta^2 (the stand-in for m >= poly(1/delta) d); with m >= 256 and delta >= 0.125 it holds
    # everywhere, and the regime's low corner (L = 1, n = 2, m = 256, delta = 0.125, the first example every
    # check runs) is its boundary and the tightest point
    constraint=lambda p: p["m"] * p["delta"] ** 2 >= 4,
    measure=_M.thm3_measure("lower"),
    bound=Bound("lower", lambda p: 1.0, 0.1, shape_tex=r"1\ (\text{values are }\inf_{y^*}\|\nabla F\|_F^2/(F\,\delta m/(dn^2)))",
                provenance=("calibrated (re-calibrated 2026-12-01 after a false fail in the 20-seed ci calibration): "
                            "the worst point of the regime is L = 1, n = 2, m = 256, delta = 0.125 (m delta^2 = 4): "
                            "5% quantile 0.22 over 256 trials at each omega end (min 0.17); at m = 304-512 with the "
                            "same delta 0.24-0.44 (min 0.13) over 128 trials each; constant = 0.45 x the quantile, "
                            "i.e. 0.1. Sweep (32-256 trials a point, ratio 5% quantiles): L = 1, n = 2 0.21-0.46 on "
                            "m delta^2 = 4 for m = 256-2048; n = 3 0.46-0.54, n = 4 0.97, n = 8 >= 2.5; L = 2 "
                            ">= 0.86, L = 3 >= 2.0, L = 4 >= 3.5 (n = 2) at the same corners; omega ends alike. "
                            "History: 1.0, calibrated at L = 4 only (min 2.02 over 64 trials at m = 256, "
                            "delta = 0.08, n = 2) under m delta >= 20, failed on base seed 9 (13/16 trials below at "
                            "L = 1, n = 2, m = 256, delta = 0.092); there L = 1, n = 2 has a 5% quantile of "
                            "0.04-0.12 and median 0.13-0.28 (m delta = 20, m = 256-1024)")),
    quantifier="forall",
    adversary=("y*: exact inf (2 lambda_min of the Jacobian Gram matrix = the loss vectors minimising "
               "||sum_i D Back^T u_i h^T||, the generalized eigenproblem); W: initialisation and the "
               + _ATTACK + "; inputs with a closest pair at exactly delta"),
    failure_prob=0.05,
    scalings=(
        Scaling("m", 0.0, "at_least", grid=(256, 512, 1024), base={"L": 2, "n": 4, "delta": 0.2, "omega": 0.01, "d": 4},
                tolerance=0.15, note="must not decay with m at fixed (n, L, delta)"),
        Scaling("delta", 1.0, "report", grid=(0.125, 0.25, 0.5), base=_w(lambda p: {"m": 512, "L": 2, "n": 2, "omega": 0.01, "d": 4}),
                series="Q_times_d_over_m", note="delta-exponent of 2 lambda_min d/m (CALIBRATION ≈ 1.3 on this grid, 1.4 on 0.05-0.3)"),
    ),
    dtype="float64",
    tags=("gradient", "adversarial", "separation"),
    notes=("Regime m >= 4/delta^2 (m delta^2 >= 4; implied by m >= 256, delta >= 0.125), the stand-in for the "
           "theorem's m >= poly(n, L, 1/delta) d. CALIBRATION (2026-12-01 sweep, L = 1-4, n = 2-8, m = 256-2048, "
           "both omega ends): the worst case is depth L = 1 with n = 2, 10-20x below L = 4 at the same point. "
           "The bound has no L, while ||grad F||^2 sums over the L trained layers, and each layer adds its own "
           "units that separate the closest pair. At L = 1 only the ~ m delta/pi units of W_1 whose sign "
           "differs on the pair carry the lower eigenvalue: the inf over the d-dim loss direction follows the "
           "smallest eigenvalue of B_S B_S^T (S those units; a d x d Wishart with ~ m delta/pi rows, near 0 when "
           "m delta/pi is a few times d = 4; correlation 0.96-0.99 with the value over 300 trials at L = 1, n = 2), "
           "and the floor left is the ~ delta^2 m term of the shared units. So at fixed m delta the L = 1 lower tail "
           "gets worse as delta shrinks (m delta = 20: 5% quantile 0.12, 0.065, 0.04 at m = 256, 512, 1024), "
           "while along m delta^2 = const it is flat or improving with m (0.21-0.46 at m delta^2 = 4, m = "
           "256-1024; 0.45 at 2048); at m delta^2 >= 12 the L = 1, n = 2 median is 0.86-1.64 (delta = 0.08-0.5, "
           "towards the NTK limit). The earlier regime m delta >= 20 (m delta^2 down to 0.4) left the theorem's "
           "m >= poly(1/delta) regime at L = 1. Inside the regime the n^{-2} delta shape is loose for n > 2 and "
           "L > 1 (tightness >> 1 there): the constant is set by the L = 1, n = 2 corner. extras "
           "last_layer_ratio: the same with only W_L trained (the paper's remark that the last layer "
           "suffices)."),
))

# ----------------------------------------------------------------------------- Theorems 1, 2, 5, 6, 7

#: residual-branch variances c (W_l ~ N(0, c/m)) for Theorem 7: 1/L^2 and 2/L for L = 2, 3, 4, and 2
_BRANCH_C = (1 / 16, 1 / 9, 1 / 4, 1 / 2, 2 / 3, 1.0, 2.0)


def _branch_ok(p) -> bool:
    """The regime's branch scale: ``c = 1/L^2`` or ``c = 2/L`` (c = 2 is only swept)."""
    c, L = float(p["branch_c"]), int(p["L"])
    return min(abs(c - 1 / L ** 2), abs(c - 2 / L)) < 1e-9

_GD_NOTE = ("Trend claim (CPU~): the theorem's m >= poly(n, L, 1/delta) d and eta = Theta(d delta/(poly(n,L) m)) "
            "are unreachable; what is checked is the shape of the result: log F_t is a straight line in t "
            "(values = R^2 of the fit on the second half of the run, lower bound) and the contraction rate "
            "per step at fixed eta m does not decay with m (scaling of extras rate, at_least 0). Step range "
            "stated: eta = eta_m / m with eta_m in [0.5, 1.0] (each claim's regime), below the measured critical "
            "2m/lambda_max(K_0) ≈ 2.3-4 for n = 8, L <= 4 (CALIBRATION); far above it GD diverges (false variant "
            "in the tests). LIMITS of the statistic: log F_t of GD near the NTK regime is a sum of exponentials "
            "(one per kernel eigenvalue), so R^2 < 1 also under linear convergence when two rates are both "
            "visible in the window, and a sublinear tail can still have a high R^2 over [T/2, T]; R^2 mainly "
            "catches divergence, oscillation and plateaus. The 20-seed ci calibration of 2026-12-01 showed R^2 "
            "down to 0.06 at m = 64, L = 3 and at eta_m near 1.5 (n = 5 and 7 data sets), so the regime starts "
            "at m = 128 with eta_m <= 1 and the threshold is 0.7. "
            "float32: 150 steps reduce F by 1-4 decades, far above float32 round-off. The data set (inputs and "
            "unit-norm targets) is fixed per (n, d), independent of the example seed: the rate depends "
            "strongly on the data (a 4x difference between two random data sets), which would otherwise swamp "
            "the m-trend of a sweep; the K trials are independent initialisations.")

#: the GD regime of Theorem 1 and the Remark after Theorem 4 (one set of runs, shared through the cache):
#: m >= 128 and eta_m <= 1 -- the 20-seed ci calibration found the R^2 statistic failing at m = 64, L = 3
#: (too narrow for depth 3: not lazy) and at eta_m near 1.5 (close to the critical step 2m/lambda_max)
_GD_REGIME = (IntParam("m", 128, 256, log=True, limit="width"), IntParam("L", 1, 3, limit="depth"),
              IntParam("n", 4, 8, limit="n"), Choice("d", (4,)), Choice("T", (150,), limit="steps"),
              FloatParam("eta_m", 0.5, 1.0))
_GD_M_GRID = {"quick": (128, 256), "ci": (128, 181, 256)}

THM1 = register(Claim(
    id="AZLS-DNN/Thm1",
    title="GD converges linearly (log F_t linear in t, m-independent rate at fixed eta m)",
    source=_src("Theorem 1"),
    statement_tex=(r"\eta=\Theta\!\big(\tfrac{d\delta}{\mathrm{poly}(n,L)m}\big):\ F(\vec W^{(T)})\le\varepsilon"
                   r"\ \text{for}\ T=\Theta\!\big(\tfrac{\mathrm{poly}(n,L)}{\delta^2}\log\tfrac1\varepsilon\big)"),
    family="fc",
    regime=_GD_REGIME,
    measure=_M.gd_measure("fc"),
    bound=Bound("lower", lambda p: 1.0, 0.7, shape_tex=r"1\ (\text{values are }R^2\text{ of }\log F_t\text{ vs }t)",
                provenance=("threshold, not a paper constant (re-calibrated 2026-12-01 after the 20-seed ci "
                            "calibration): over n = 4-8 (the fixed data sets), m = 128, L = 2-3, eta_m = 0.75-1.0, "
                            "32 trials per point, the worst point (n = 7, m = 128, L = 3, eta_m = 1.0) had R^2 "
                            "5% quantile 0.86, min 0.84; 0.7 leaves room. History: 0.95 with m >= 64, eta_m <= 1.5 "
                            "failed on 2 of 20 base seeds (n = 7 and n = 5 data, L = 3, m = 64: 15/16 and 5/16 "
                            "trials below, R^2 down to 0.06)")),
    failure_prob=0.05,
    kind="surrogate",
    scalings=(
        Scaling("m", 0.0, "at_least", grid=_GD_M_GRID,
                base={"L": 2, "n": 8, "d": 4, "T": 150, "eta_m": 1.0}, series="rate", tolerance=0.25,
                note="rate per step at fixed eta m is m-independent (does not decay)"),
    ),
    dtype="float32",
    tags=("convergence", "gd", "trend"),
    notes=_GD_NOTE,
))

THM2 = register(Claim(
    id="AZLS-DNN/Thm2",
    title="SGD converges linearly (interpolation: no 1/eps floor)",
    source=_src("Theorem 2"),
    statement_tex=(r"\eta=\Theta\!\big(\tfrac{b\delta d}{\mathrm{poly}(n,L)m\log^2m}\big):\ F\le\varepsilon\ \text{for}\ "
                   r"T=\Theta\!\big(\tfrac{\mathrm{poly}(n,L)\log^2m}{\delta^2b}\log\tfrac1\varepsilon\big)"),
    family="fc",
    regime=(IntParam("m", 128, 256, log=True, limit="width"), IntParam("L", 1, 3, limit="depth"),
            IntParam("n", 4, 8, limit="n"), IntParam("b", 2, 4), Choice("d", (4,)),
            Choice("T", (150,), limit="steps"), FloatParam("eta_m", 0.5, 1.0)),
    measure=_M.gd_measure("fc", sgd=True),
    bound=Bound("lower", lambda p: 1.0, 0.7, shape_tex=r"1\ (R^2\text{ of the running minimum of }\log F_t)",
                provenance=("threshold: min R^2 over 16 trials at m = 128-215, b = 2-4, n = 5-8 (incl. the two "
                            "points that failed earlier statistics) was 0.88; 0.7 leaves room. History: the "
                            "plain second-half R^2 (m >= 64, eta_m <= 1.5) and the whole-run R^2 both failed "
                            "in ci (R^2 0.38-0.5) because SGD noise swamps the window's decrease")),
    failure_prob=0.05,
    kind="surrogate",
    scalings=(
        Scaling("b", 1.0, "report", grid={"quick": (2, 4), "ci": (2, 4, 8)}, base={"m": 128, "L": 2, "n": 8, "d": 4, "T": 150, "eta_m": 1.0},
                series="rate", note="rate per step ∝ b at eta = (b/n) eta_m/m, i.e. T ∝ 1/b"),
    ),
    dtype="float32",
    tags=("convergence", "sgd", "trend"),
    notes=("Mini-batch SGD with the unbiased (n/b) sum_{i in S} grad F_i and eta = (b/n) eta_m / m. "
           + _GD_NOTE + " For SGD the fit uses the running minimum of F_t (its lower envelope), second "
           "half of the run: the raw per-step SGD noise made the plain R^2 fail in the first ci runs "
           "(0.38 at m = 64, b = 2, eta_m = 1.375; 0.5 at m = 215, b = 4 with a whole-run fit), a property "
           "of the statistic, not evidence against Theorem 2; the regime also starts at m = 128 with "
           "eta_m <= 1. The log^2 m factors are not identifiable at these widths."),
))

REM_RADIUS = register(Claim(
    id="AZLS-DNN/Rem-radius",
    title="GD iterates stay close to initialization, closer as m grows",
    source=_src("Remark after Theorem 4"),
    statement_tex=r"\max_t\max_\ell\|W^{(t)}_\ell-W^{(0)}_\ell\|_2\le\frac1{\mathrm{poly}(n,L,1/\delta)}\ \text{(independent of }m)",
    family="fc",
    regime=_GD_REGIME,
    measure=_M.radius_measure(),
    bound=Bound("upper", lambda p: 1.0, 1.5, shape_tex="1",
                provenance=("calibrated: max over 64 trials at the width m = 64 (L = 3, n = 8, "
                            "eta_m = 1.5, 150 steps) was 0.95; constant = 1.6 x, i.e. 1.5 (the regime now starts "
                            "at m = 128 and eta_m <= 1, where the distance is smaller: the margin only grew)")),
    failure_prob=0.05,
    kind="surrogate",
    scalings=(
        Scaling("m", 0.0, "at_most", grid=_GD_M_GRID,
                base={"L": 2, "n": 8, "d": 4, "T": 150, "eta_m": 1.0},
                tolerance=0.1, note="non-increasing in m (CALIBRATION: m^{-0.48})"),
    ),
    dtype="float32",
    tags=("convergence", "gd", "trend", "spectral"),
    notes=("Q = max over t in {0, T/2, T} and l of ||W_l(t) - W_l(0)||_2 along the GD run of Thm1 "
           "(distance grows monotonically in t here). The claim's content is the m-exponent (<= 0); the "
           "bound only guards against blow-up. [D] NTK scaling predicts m^{-1/2}."),
))

THM5_CE = register(Claim(
    id="AZLS-DNN/Thm5-CE",
    title="Cross-entropy objective <= 1/4 implies 100% training accuracy (fn 7)",
    source=_src("Theorem 5, bullet 4, footnote 7"),
    statement_tex=(r"F=\sum_i F_i\le\tfrac14<\log2\ \Rightarrow\ \forall i:\ \arg\max_k (Bh_{i,L})_k=\text{label}_i"),
    family="fc",
    regime=(IntParam("m", 64, 256, log=True, limit="width"), IntParam("L", 1, 3, limit="depth"),
            IntParam("n", 2, 6, limit="n"), Choice("d", (4,)), Choice("T", (120,), limit="steps"),
            FloatParam("eta_m", 4.0, 8.0)),
    measure=_M.ce_fn7_measure(),
    bound=Bound("upper", lambda p: 1.0, 0.5, shape_tex=r"1\ (\text{values are counts: any violation fails})",
                provenance="EXACT implication (F_i <= F <= 1/4 < log 2 => p_label > 1/2): zero violations"),
    failure_prob=0.0,
    scalings=(Scaling("m", 0.0, "report", grid=(64, 128), base={"L": 2, "n": 4, "d": 4, "T": 120, "eta_m": 6.0},
                      series="first_hit", note="first step with F <= 1/4 at fixed eta m (T-part of bullet 4, reported)"),),
    dtype="float32",
    tags=("exact", "convergence", "cross_entropy"),
    notes=("GD on the summed softmax cross-entropy of B h_{i,L} (d = 4 classes, random labels). At every "
           "step where F <= 1/4 the misclassified samples are counted (values; EXACT: 0). extras exercised "
           "= 1 if the run reached F <= 1/4 (with eta_m in [4, 8] all calibration runs did, first hit at "
           "step 30-95), first_hit, final_acc. The T-scaling part of bullet 4 (CPU~) is only reported (m-scaling of "
           "first_hit). "
           "The other losses of Theorem 5 are the claims AZLS-DNN/Thm5-PL (bullet 1), AZLS-DNN/Thm5-convex (bullet 2) "
           "and AZLS-DNN/Thm5-nonconvex-SGD (bullet 3)."),
))

THM6 = register(Claim(
    id="AZLS-DNN/Thm6-CNN",
    title="GD converges linearly on the convolutional network",
    source=_src("Theorem 6", "architecture details (App. I) not in the file: project assumptions"),
    statement_tex=r"F(\vec W^{(T)})\le\varepsilon\ \text{for}\ T=\tilde O\!\big(\tfrac{\mathrm{poly}(n,L,d)}{\delta^2}\log\tfrac1\varepsilon\big)",
    family="cnn",
    regime=(IntParam("m", 32, 48, log=True, limit="width"), Choice("L", (2,), limit="depth"),
            IntParam("n", 4, 8, limit="n"), Choice("d", (8,)), Choice("T", (100,), limit="steps"),
            FloatParam("eta_m", 0.5, 1.0)),
    measure=_M.gd_measure("cnn"),
    bound=Bound("lower", lambda p: 1.0, 0.6, shape_tex=r"1\ (R^2)",
                provenance=("threshold: calibrated min R^2 over 16 trials at m = 32 channels, L = 2, n = 4 "
                            "was 0.85; 0.6 leaves room. (First ci run with m >= 16, L <= 3 failed: R^2 "
                            "down to 0.35 at m = 16, L = 3: far from the lazy regime.)")),
    failure_prob=0.05,
    kind="surrogate",
    scalings=(Scaling("m", 0.0, "report", grid=(32, 48), base={"L": 2, "n": 4, "d": 8, "T": 100, "eta_m": 0.75},
                      series="rate", note="rate per step vs channel count at fixed eta m (reported)"),),
    dtype="float32",
    tags=("convergence", "gd", "trend", "cnn"),
    notes=("ConvNet of ovpmodel (assumptions, App. I not in the file: 1-D circular conv, kernel 3, He "
           "fan-out variance 2/(q m), W_L dense m x (d m)). m = channels, L = 2 only. At these tiny "
           "channel counts (32-48; 16 channels or L = 3 gave R^2 down to 0.35 in the first ci run) GD is far from the lazy regime (distance from init ≈ 1-2, rate ≈ 0.002-0.01 per step) "
           "and log F is only roughly linear (R^2 0.87-0.99): a weak trend check. Steps 1-2 of this architecture are "
           "checked by AZLS-DNN/Thm6-CNN-Step1-2."),
))

THM7 = register(Claim(
    id="AZLS-DNN/Thm7-ResNet",
    title="GD converges linearly on the residual network (branch-scale sensitivity reported)",
    source=_src("Theorem 7", "initialisation (App. J) not in the file: branch variance swept"),
    statement_tex=r"h_\ell=\phi(h_{\ell-1}+W_\ell h_{\ell-1}):\ F(\vec W^{(T)})\le\varepsilon\ \text{for}\ T=\tilde O\!\big(\tfrac{\mathrm{poly}(n,L)}{\delta^2}\log\tfrac1\varepsilon\big)",
    family="resnet",
    regime=(IntParam("m", 128, 256, log=True, limit="width"), IntParam("L", 2, 4, limit="depth"),
            IntParam("n", 4, 8, limit="n"), Choice("d", (4,)), Choice("T", (100,), limit="steps"),
            FloatParam("eta_m", 0.5, 1.0), Choice("branch_c", _BRANCH_C)),
    constraint=_branch_ok,
    measure=_M.gd_measure("resnet"),
    bound=Bound("lower", lambda p: 1.0, 0.6, shape_tex=r"1\ (R^2)",
                provenance=("threshold, re-calibrated 2026-12-01 after the 20-seed ci calibration (0.9 with "
                            "m >= 64 failed on base seed 3: 7/16 trials below at L = 4, m = 64, n = 7, c = 1/2): "
                            "32 trials per point at eta_m = 1, m = 128, n = 5 and 7, L = 3 (c = 1/9, 2/3) and "
                            "L = 4 (c = 1/16, 1/2): worst R^2 5% quantile 0.84 (n = 7, L = 4, c = 1/2), single "
                            "plateau trials down to 0.15 (the FINDING below); 0.6 leaves room. At m = 64 the 5% "
                            "quantile was 0.09-0.87: the regime starts at m = 128")),
    failure_prob=0.05,
    kind="surrogate",
    scalings=(
        Scaling("branch_c", 0.0, "report", grid=(1 / 16, 0.5, 2.0), base={"m": 128, "L": 4, "n": 8, "d": 4, "T": 100, "eta_m": 1.0},
                series="loss_ratio", note="SENSITIVITY to the residual-branch variance c/m at L = 4: c = 1/L^2, "
                                          "2/L, 2 (the paper's init is 'appropriately chosen', App. J absent); "
                                          "F_T/F_0 at each c and its slope in c are recorded (the rate is not "
                                          "usable at c = 2, where it is ~0 or the run diverges)"),
    ),
    dtype="float32",
    tags=("convergence", "gd", "trend", "resnet"),
    notes=("Residual branch W_l ~ N(0, c/m); the regime's c is 1/L^2 or 2/L (branch_c drawn from _BRANCH_C, the "
           "constraint keeps those two; c = 2 is only swept). The branch scale is swept by the report scaling in "
           "branch_c (c = 1/16, 1/2, 2 at L = 4): sensitivity in the results' scalings. With c = 2 (the plain-net variance) the depth blows the forward norm up and at the "
           "same eta m GD barely moves (rate ≈ 1e-4/step vs ≈ 0.04 for c = 2/L or 1/L^2 at L = 4, m = 128): "
           "the paper's 'appropriately chosen' initialisation matters; that is why c = 2 is reported, not "
           "gated. FINDING (ci run of 2026-12-01): at c = 2/L, L = 3, m = 99, n = 5 two of 16 initialisations "
           "plateau after a fast initial decrease (F_T/F_0 ≈ 0.02-0.07, second-half rate ≈ 0, R^2 ≈ 0): GD at "
           "these widths is not yet in the linear-convergence regime for every init; the binomial test allows "
           "the claim's 5% and passes, the tightness (min R^2 ratio) shows it. "
           "Steps 1-2 of this architecture (forward band, sign changes) are checked by "
           "AZLS-DNN/Thm7-ResNet-Step1-2, which also sweeps the branch scale."),
))

# ----------------------------------------------------------------------------- Theorem 4

THM4 = register(Claim(
    id="AZLS-DNN/Thm4",
    title="Semi-smoothness near init: F(W̆+W') - F(W̆) - <grad F(W̆), W'> <= O(nL^2m/d)r^2 + poly(L)sqrt(nm log m/d) r sqrt(F)",
    source=_src("Theorem 4 (semi-smoothness)", "CLAIMS.md AZLS-DNN/Thm4; Sec. 4, Step 4"),
    statement_tex=(r"\forall\breve W,\ \|\breve W-W^{(0)}\|_2\le\omega,\ \forall W',\ \|W'\|_2=r:\ "
                   r"F(\breve W+W')-F(\breve W)-\langle\nabla F(\breve W),W'\rangle\le c\Big(\frac{nL^2m}{d}r^2"
                   r"+L^2\sqrt{\frac{nm\log m}{d}}\,r\,F(\breve W)^{1/2}\Big)"),
    family="fc",
    regime=(IntParam("m", 256, 384, log=True, limit="width"), IntParam("L", 1, 2, limit="depth"),
            IntParam("n", 1, 4, limit="n"), FloatParam("omega", 0.003, 0.03, log=True),
            FloatParam("r", 2e-3, 0.1, log=True), Choice("d", (4,))),
    constraint=lambda p: p["m"] * p["r"] ** (2 / 3) >= 8,
    measure=_M.thm4_measure(),
    bound=Bound("upper", lambda p: 1.0, 0.5,
                shape_tex=(r"1\ (\text{values are }R/(nL^2\tfrac md r^2+L^2\sqrt{nm\log m/d}\,r\sqrt F),"
                           r"\ \text{unit constants, poly}(L)=L^2)"),
                provenance=("re-calibrated 2026-12-04 (issue 13) when the Frank-Wolfe search over the ball replaced "
                            "'two constructed directions': the search finds 5-40x the constructed residual and broke the "
                            "former constant 0.04 (calibrated against the constructions only: max 0.016 at m = 256-512) "
                            "by 4-5x. Sweep (scratch /tmp/t4/thm4_search_sweep*.py, seeds 1000-1003, 64 trials per point) "
                            "at the smallest width m = 256, n in {1, 4}, L in {1, 2}, r in {0.0056 (the smallest the "
                            "constraint admits), 0.02, 0.1}, omega in {0.003, 0.03}: max 0.211 (n = 1, L = 1, r = 0.1), "
                            "0.232 with a 6-restart 8-step search there; smaller at n = 4 (0.10), L = 2 (0.13; 0.145 with 6 x 8), "
                            "r = 0.0056 (0.11) and m = 384 (0.15). Constant 0.5 = 2.2 x 0.232. The unit-constant "
                            "normalisation is ours: the paper gives only O(.) and poly(L)")),
    quantifier="forall",
    adversary=("W̆ = W0 + Gaussian with ||W''_l||_2 = omega (random only); W' over the ball max_l ||W'_l||_2 <= r: "
               "the worst of (constructed) the kink-aimed rank-one flip on the last layer (targeted_sign_flip "
               "restricted to the units with (B^T loss_0)_k > 0, where a flip adds a positive residual: ReLU is "
               "convex), (random) a random rank-one direction of norm r on every layer and (search) Frank-Wolfe "
               "ascent of R/S over the whole product of balls (ovpmodel.perturb.maximize_spectral_balls: exact "
               "oracle r U V^T of the rank-2n gradient, line search, 3 steps, 3 restarts: one warm-started at the "
               "constructed direction, two at random rank-one points, generators ctx.generator('thm4-search-j')); "
               "extras random / constructed / search"),
    failure_prob=0.05,
    scalings=(
        Scaling("r", 1.0, "at_least", grid=(1e-2, 3e-2, 9e-2), base={"m": 256, "L": 1, "n": 1, "omega": 0.01, "d": 4},
                series="R_adv", tolerance=0.15,
                note="adversarial residual is O(r) or smaller as r -> 0 (theorem); the kink term gives ≈ r^{4/3}"),
        Scaling("r", 2.0, "report", grid=(1e-2, 3e-2, 9e-2), base={"m": 256, "L": 1, "n": 1, "omega": 0.01, "d": 4},
                series="R_random_abs", note="random directions: |R| ≈ quadratic (classical smoothness only)"),
    ),
    dtype="float64",
    tags=("semi-smoothness", "adversarial", "perturbation"),
    notes=("R = F(W̆ + W') - F(W̆) - <grad F(W̆), W'> with unit-norm random targets; values = R divided by the "
           "theorem's right side with unit constants and poly(L) = L^2 (assumption), worst of three adversaries "
           "(extras random, constructed, search). SEARCH (issue 13): the Frank-Wolfe ascent over the whole ball "
           "finds R/S ≈ 0.05-0.2, 5-40x the kink-aimed construction (extras search_over_constructed): at r >= 0.02 "
           "it turns W' toward the top singular directions of B D (the theorem's smooth n L^2 (m/d) r^2 term, "
           "which the constructions never probe), at small r it also finds more kink (several samples and layers). "
           "The search keeps the theorem itself (R/S <= 0.23 with unit constants) but broke the former constant "
           "0.04, calibrated against the constructions; the kink-dropped variant (classical smoothness with the "
           "claim's constant) passes the constructions and is refuted by the search "
           "(tests/test_thm4_search.py). ADVERSARY (CALIBRATION.md "
           "'Semi-smoothness'): directions aimed at flipping units give R ≈ 0.1-0.3 sqrt(F) sqrt(m/d) r^{4/3} "
           "(extras kink_coef), a first-order-like kink term 10^2-10^9 times the residual of a random direction "
           "of the same norm (extras adv_over_random); random directions give a tiny residual of either sign, "
           "quadratic in r. The r-exponent of the adversarial residual (scaling, expected ≈ 4/3) shows the "
           "first-order term of the theorem is needed: a classical-smoothness variant (exponent >= 2) is "
           "refuted in the tests. The constructed kink alone is ≈ 0.01-0.02 of the unit-constant right side (the "
           "theorem's sqrt(n m log m / d) r term overestimates it by sqrt(n log m) r^{-1/3}); with the search the "
           "worst case is ≈ 0.05-0.23 of it. n <= 4, L <= 2 and "
           "m <= 384 bound the float64 cost (ci budget; the search runs in float32 and its point is re-evaluated in "
           "float64); the scalings use n = 1 (then R_adv > 0 exactly: every flipped "
           "unit adds b_k times a positive residual) and the constructed series R_adv. What it does not show: the "
           "sup over W̆ (one random point of the omega-ball per trial) and a certified sup over W' (a local "
           "search, 3 restarts x 3 steps; 6 x 8 found 10% more at the worst calibration point)."),
))

# ----------------------------------------------------------------------------- Theorem 5 (other losses)

_THM5_NOTE = ("Trend claim (CPU~): Theorem 5 needs m >= poly(n, L, 1/delta) d; the loss f replaces the l2 loss in "
              "F = sum_i f(B h_{i,L}; y*_i), GD/SGD as in Thm1/Thm2 on the same fixed data set (_fixed_data: "
              "inputs and unit-norm targets fixed per (n, d), K independent initialisations). float32.")

THM5_PL = register(Claim(
    id="AZLS-DNN/Thm5-PL",
    title="GD converges linearly with a nonconvex gradient-dominant (PL) loss",
    source=_src("Theorem 5, bullet 1 (with fn 5)"),
    statement_tex=(r"f\ \sigma\text{-gradient dominant, nonconvex}:\ F(\vec W^{(T)})\le\varepsilon\ \text{for}\ "
                   r"T=\tilde O\!\big(\tfrac{\mathrm{poly}(n,L)}{\sigma\delta^2}\log\tfrac1\varepsilon\big)"),
    family="fc",
    regime=(IntParam("m", 64, 96, log=True, limit="width"), IntParam("L", 1, 2, limit="depth"),
            Choice("n", (4,)), Choice("d", (4,)), Choice("T", (80,), limit="steps"),
            FloatParam("eta_m", 0.03, 0.06), FloatParam("a", 1.0, 3.0)),
    measure=_M.thm5_measure("pl"),
    bound=Bound("lower", lambda p: 1.0, 0.7, shape_tex=r"1\ (R^2\text{ of }\log F_t\text{ vs }t)",
                provenance=("threshold: calibrated (scratch /tmp/azcal/thm5*.py, seeds 1000-1001, 32 trials per "
                            "point) min R^2 at m = 64, L = 3, n = 8, a = 3: 0.90 (eta_m = 0.06), 0.97 (0.03); "
                            "eta_m = 0.1-0.2 gave 0.19-0.78 (oscillation: f'' up to 2 + 2a), hence the range; with "
                            "the ci-budget settings (n = 4, L = 2, T = 80) min 0.968 (48 trials); 0.7 leaves room")),
    failure_prob=0.05,
    kind="surrogate",
    scalings=(
        Scaling("m", 0.0, "at_least", grid=(64, 96), base={"L": 1, "n": 4, "d": 4, "T": 80, "eta_m": 0.05, "a": 3.0},
                series="rate", tolerance=0.25, note="rate per step at fixed eta m does not decay with m"),
        Scaling("a", -1.0, "report", grid=(1.0, 3.0), base={"m": 64, "L": 1, "n": 4, "d": 4, "T": 80, "eta_m": 0.05},
                series="rate", note="[D] larger a = stronger nonconvexity and smaller PL constant sigma; "
                                    "rate ∝ sigma predicts a decreasing rate (reported)"),
    ),
    dtype="float32",
    tags=("convergence", "gd", "trend", "loss"),
    notes=("f(y) = z^2 + a sin^2 z, z = ||y - y*|| (CLAIMS.md's example): nonconvex (f'' = 2 + 2a cos 2z < 0 on an "
           "interval around z ≈ 1.2-1.9 for a = 3, where the initial residuals z ≈ 1.4 lie) yet gradient dominant "
           "for a <= 3 (f'(z) = 2z + a sin 2z > 0 for z > 0, |f'|^2 >= 0.35 f). values = R^2 of the straight-line "
           "fit of log F_t on the second half of 80 GD steps (linear convergence) at eta = eta_m/m; the step "
           "range is 10-20x below Thm1's because the curvature near the optimum is 2(1 + a) instead of 1. "
           + _THM5_NOTE + " fn 5 (the composite is not gradient dominant) is not checked."),
))

THM5_CONVEX = register(Claim(
    id="AZLS-DNN/Thm5-convex",
    title="GD with a convex (not strongly convex) loss: F_T <= O(1/T)",
    source=_src("Theorem 5, bullet 2"),
    statement_tex=(r"f\ \text{convex}:\ F(\vec W^{(T)})\le\varepsilon\ \text{for}\ T=\tilde O\!\big(\tfrac{\mathrm{poly}(n,L)}"
                   r"{\delta^2}\cdot\tfrac1\varepsilon\big),\ \text{checked as}\ \eta_m T\,F_T/F_0\le c"),
    family="fc",
    regime=(IntParam("m", 64, 96, log=True, limit="width"), IntParam("L", 1, 2, limit="depth"),
            Choice("n", (4,)), Choice("d", (4,)), Choice("T", (60, 30, 120), limit="steps"),
            FloatParam("eta_m", 0.1, 0.3)),
    measure=_M.thm5_measure("convex"),
    bound=Bound("upper", lambda p: 1.0, 6.0, shape_tex=r"1\ (\text{values are }\eta_m T F_T/F_0)",
                provenance=("calibrated (scratch /tmp/azcal/thm5*.py, seeds 1000-1001, 32 trials per point): max "
                            "2.34 at the smallest width m = 64 (L = 3, n = 8, eta_m = 0.3) and 2.53 at m = 128 "
                            "(L = 1, n = 4), T = 100; with the ci-budget settings (n = 4, T = 30/60/120, eta_m = 0.3) "
                            "max 3.24 (m = 64, L = 1, T = 60); constant = 1.85 x 3.24, i.e. 6. eta_m = 1 diverges "
                            "(inf)")),
    failure_prob=0.05,
    kind="surrogate",
    scalings=(
        Scaling("T", -1.0, "report", grid=(30, 60, 120), base={"m": 64, "L": 1, "n": 4, "d": 4, "eta_m": 0.2},
                series="F_rel", note="F_T/F_0 vs T: the O(1/T) rate is an envelope; measured slope ≈ -0.5 over "
                                     "T = 30-160 (still below the envelope, see notes)"),
    ),
    dtype="float32",
    tags=("convergence", "gd", "trend", "loss"),
    notes=("f(y) = ||y - y*||^4 / 4: convex, Lipschitz-smooth on bounded sets, NOT strongly convex at its "
           "minimiser (so no linear rate comes for free). The 1/eps rate of the theorem is read as F_T <= C/(eta "
           "T); values = eta_m T F_T / F_0 must stay bounded (the C of a convex-smooth rate is ||W0 - W*||^2/2 in the "
           "linearised model, not F_0, so the scale-free ratio grows while T is below ||W0 - W*||^2/(eta F_0)). "
           "FINDING: over T = 30-160 the measured F_T/F_0 decays only like T^{-0.5} (the T-scaling is reported, "
           "not gated: the 1/T law is an upper envelope, not a slope); tightness ≈ 0.5. Step range eta_m in "
           "[0.1, 0.3] (eta_m = 1 diverges). " + _THM5_NOTE),
))

THM5_SGD = register(Claim(
    id="AZLS-DNN/Thm5-nonconvex-SGD",
    title="SGD with a nonconvex loss finds small OUTPUT-space gradient: max_i ||grad_y f(B h_i)|| <= O(T^{-1/2})",
    source=_src("Theorem 5, bullet 3 (with fn 6)"),
    statement_tex=(r"f\ \text{nonconvex}:\ \text{SGD finds}\ \max_i\|\nabla f(Bh_{i,L})\|\le\varepsilon\ \text{in}\ "
                   r"T=\tilde O\!\big(\tfrac{\mathrm{poly}(n,L)}{\delta^2}\cdot\tfrac1{\varepsilon^2}\big),\ "
                   r"\text{checked as}\ \min_{T/2\le t\le T}\varepsilon_t\le c\sqrt{200/T}"),
    family="fc",
    regime=(IntParam("m", 64, 96, log=True, limit="width"), Choice("L", (2,), limit="depth"),
            Choice("n", (8,)), Choice("b", (4,)), Choice("d", (4,)), Choice("T", (200,), limit="steps"),
            FloatParam("eta_m", 5.0, 7.0)),
    measure=_M.thm5_measure("nonconvex"),
    bound=Bound("upper", lambda p: math.sqrt(200.0 / p["T"]), 0.5,
                shape_tex=r"\sqrt{200/T}\ (\text{values are }\min_{t\ge T/2}\max_i\|\nabla_y f\|)",
                provenance=("calibrated (scratch /tmp/azcal/thm5*.py, seeds 1000-1002, 48 trials) at the smallest "
                            "width m = 64, L = 2, b = 4, eta_m = 6, T = 200: max 0.347; constant 0.5 (1.44 x; the "
                            "value can never exceed sup 2z e^{-z^2} = 0.858, and without progress (eta_m = 0.02) it "
                            "stays 0.70-0.86); T = 120 gave max 0.665, so T = 200 is kept")),
    failure_prob=0.05, examples=3,
    kind="surrogate",
    scalings=(
        Scaling("m", 0.0, "at_most", grid=(64, 96), base={"L": 2, "n": 8, "b": 4, "d": 4, "T": 200, "eta_m": 6.0},
                tolerance=0.5, note="eps_T at fixed eta m does not grow with m (wider is not slower)"),
    ),
    dtype="float32",
    tags=("convergence", "sgd", "trend", "loss"),
    notes=("f(y) = 1 - exp(-||y - y*||^2) (bounded, nonconvex). fn 6: the gradient is that of f w.r.t. its argument "
           "at y = B h_{i,L}, not w.r.t. W: eps_t = max_i ||grad_y f|| = max_i 2 z_i e^{-z_i^2}. It is not monotone "
           "(it GROWS while z falls from ≈ 1.4 to 1/sqrt 2), so the value is the minimum over the second half of "
           "the run. Mini-batch SGD, b = 4 of n = 8, unbiased (n/b) sum_{i in S}, eta = (b/n) eta_m / m as in "
           "Thm2; L = 2 and eta_m in [5, 7] because L = 1 or b = 2, eta_m = 2 barely reach eps < 0.6 in 200 "
           "steps. The T^{-1/2} law itself (the bound's shape) is not swept (cost); scratch runs: T = 60 -> 120 "
           "-> 200 gave max eps 0.75 -> 0.67 -> 0.35, i.e. far faster than T^{-1/2} at the end (interpolation). " + _THM5_NOTE),
))

# ----------------------------------------------------------------------------- Figure 1

FIG1 = register(Claim(
    id="AZLS-DNN/Fig1",
    title="Landscape along the SGD trajectory: the gradient direction beats the most negatively curved one",
    source=_src("Figure 1 (Sec. 3, with its Observation and Remarks 1-4)", "CLAIMS.md §5 AZLS-DNN/Fig1; CPU-scale reproduction"),
    statement_tex=(r"\max_{\pm}\big[F(W_t)-F(W_t\pm s\,v)\big]_+\le c\,\big[F(W_t)-F(W_t-s\,u)\big],\ "
                   r"u=\tfrac{\nabla F(W_t)}{\|\nabla F(W_t)\|},\ v\perp u\ \text{most negatively curved},\ s=\text{probe}\cdot\eta\|\nabla F\|"),
    family="fc",
    regime=(IntParam("m", 64, 96, log=True, limit="width"), IntParam("L", 1, 3, limit="depth"),
            Choice("n", (8,)), Choice("b", (4,)), Choice("d", (4,)), Choice("T", (45,), limit="steps"),
            FloatParam("eta_m", 0.5, 1.0), FloatParam("probe", 0.5, 1.0)),
    measure=_M.fig1_measure(),
    bound=Bound("upper", lambda p: 1.0, 1.0, shape_tex=r"1\ (\text{values are dec}_v/\text{dec}_u)",
                provenance=("threshold, the figure's observation made quantitative: the best curvature-direction "
                            "decrease is below the gradient-direction decrease (c = 1). Scratch calibration "
                            "(/tmp/azcal/fig1*.py, seeds 1000-1003, 64 trials): max 0.46 at the smallest width "
                            "m = 64 (L = 3, eta_m = 1, probe 1, T = 60), 0.10 at m = 128 (L = 2); with T = 45 (ci budget) "
                            "max 0.27 at m = 64, L = 3 (48 trials); margin >= 2.2. Below the regime, m = 32, L = 3 "
                            "gave 1.38: the observation fails at that width")),
    failure_prob=0.05, examples=3,
    kind="surrogate",
    scalings=(
        Scaling("m", 0.0, "report", grid=(64, 96), base={"L": 2, "n": 8, "b": 4, "d": 4, "T": 45, "eta_m": 1.0, "probe": 1.0},
                series="lam_ratio", note="Q2 = |lambda_min| / ||grad F|| at the last snapshot (no prediction; recorded)"),
    ),
    dtype="float32",
    tags=("landscape", "sgd", "figure", "trend"),
    notes=("CPU-scale reproduction, not the paper's protocol (CIFAR-10, ResNet-32, SGD with momentum, 160 epochs: "
           "GPU-scale): the F1 net on the fixed synthetic data (n = 8, d = 4 classes, random labels), softmax "
           "cross-entropy, plain mini-batch SGD (b = 4, eta = eta_m/m) for 45 steps; snapshots at t = 15, 30, 45 "
           "(the paper: epochs 5-160). v = most negatively curved Hessian direction by 10 Lanczos steps on exact "
           "Hessian-vector products (the paper's smoothing and grid ranges are not given: not applied), "
           "orthogonalised against u so that it carries curvature only. values = max over snapshots of "
           "max(dec_v, 0)/dec_u at the probe step s = probe * eta ||grad F|| (1e6 if the gradient step does not "
           "decrease F). FINDINGS (scratch runs): at the SGD step the ratio is 0.01-0.46 (the observation holds); "
           "at 1.5-10x the SGD step the gradient step itself no longer decreases F (values 1e6), so the regime "
           "keeps eta_m * probe <= 1; with L = 1 the Hessian has no negative curvature at all (the net is "
           "piecewise linear in W_1 and CE is convex; extras lam_ratio = 1e-12). Remark 1 (gradient norm does not "
           "tend to 0) is recorded as extras grad_norm_final."),
))


# ----------------------------------------------------------------------------- Theorems 6-7: Steps 1-2

THM6_STEPS = register(Claim(
    id="AZLS-DNN/Thm6-CNN-Step1-2",
    title="CNN at init: forward norms within a band (Step 1), few sign changes in the dense layer W_L (Step 2a)",
    source=_src("Theorem 6 with Sec. 4 Steps 1-2", "App. I (architecture) not in the file: project assumptions"),
    statement_tex=(r"\max_{i,\ell}|\log\|h_{i,\ell}\||\le c_1,\quad \|D_{i,L}-D^{(0)}_{i,L}\|_0\le c_2\,m\,\omega^{2/3}"
                   r"\ \ \forall W'_L,\ \|W'_L\|_2\le\omega"),
    family="cnn",
    regime=(IntParam("m", 32, 48, log=True, limit="width"), Choice("L", (2,), limit="depth"), Choice("d", (8,)),
            FloatParam("omega", 0.02, 0.1, log=True)),
    measure=_M.arch_steps_measure("cnn", fwd_band=2.0, flip_c=3.0),
    bound=Bound("upper", lambda p: 1.0, 1.0,
                shape_tex=r"1\ (\text{values} = \max(\max|\log\|h\||/2,\ \text{flips}/(3m\omega^{2/3})))",
                provenance=("calibrated (scratch /tmp/azcal/arch.py, seeds 1000-1001, 32 trials per point) at the "
                            "smallest width m = 32 channels: max |log||h||| = 1.17, max flips/(m omega^{2/3}) = 1.70 "
                            "(4 flips of 32 at omega = 0.02: order-statistic noise); band c1 = 2.0 (1.7 x) and "
                            "c2 = 3.0 (1.76 x)")),
    quantifier="forall",
    adversary="targeted rank-one flip (CLAIMS.md §0) of the dense layer W_L on sample 0; conv layers not attacked",
    failure_prob=0.05,
    scalings=(
        Scaling("omega", 2 / 3, "at_most", grid=(0.02, 0.045, 0.1), base={"m": 192, "L": 2, "d": 8}, series="flips",
                tolerance=0.2, note=("flips of the dense layer grow at most like omega^{2/3} (the construction reaches "
                                     "it); at m = 192 channels (m = 48 until 2026-12-05: see the notes)")),
    ),
    dtype="float64",
    tags=("cnn", "forward", "sign_change", "init", "adversarial"),
    notes=("Step 1-2 properties of the convolutional net behind Theorem 6 (ovpmodel.ConvNet: 1-D circular conv, "
           "kernel 3, He fan-out 2/(q m), W_L dense m x (d m); App. I not in the file). Step 1: all hidden maps "
           "(conv layers flattened to d m units, and layer L) have ||h|| within a factor e^2 of 1 (the FC 'sqrt(L/m)' "
           "law is not asserted for the conv maps: d = 8 points share the m channels). Step 2(a): the targeted "
           "rank-one attack of the dense W_L; flips ≈ m omega^{2/3} like AZLS-DNN/Step2a. Not covered here: attacks "
           "on the conv kernels for Step 2(a) (their spectral norm is a max over Fourier modes). Step 2(b)/(c) are the claims "
           "AZLS-DNN/Thm6-CNN-Step2b (which attacks the conv kernels by a Frank-Wolfe search over their "
           "conv-operator-norm balls) and AZLS-DNN/Thm6-CNN-Step2c. The omega sweep runs at m = 192 channels, "
           "outside the examples' m in [32, 48]: at m = 48 the attack flips 2.5 signs on average at omega = 0.02, "
           "and that small-count regime steepens the fitted slope to 0.84-0.87 (ci, seeds 0-1, 64 trials per grid "
           "point), which the anytime exponent rule cannot tell from 2/3 + 1/6; at m = 192 (12-38 flips) the slope "
           "is 0.706 and 0.711 (same seeds, 8 trials: passed at the first look). The claimed 2/3 is unchanged."),
))

THM7_STEPS = register(Claim(
    id="AZLS-DNN/Thm7-ResNet-Step1-2",
    title="ResNet at init: forward norms within a band (Step 1), sign changes <= O(m omega^{2/3} L) (Step 2a)",
    source=_src("Theorem 7 with Sec. 4 Steps 1-2", "App. J (initialisation) not in the file: branch variance swept"),
    statement_tex=(r"h_\ell=\phi(h_{\ell-1}+W_\ell h_{\ell-1}):\ \max_{i,\ell}|\log\|h_{i,\ell}\||\le c_1,\quad "
                   r"\|D_{i,\ell}-D^{(0)}_{i,\ell}\|_0\le c_2\,m\,\omega^{2/3}L"),
    family="resnet",
    regime=(IntParam("m", 128, 256, log=True, limit="width"), IntParam("L", 2, 4, limit="depth"), Choice("d", (4,)),
            FloatParam("omega", 0.01, 0.05, log=True), Choice("branch_c", _BRANCH_C)),
    constraint=_branch_ok,
    measure=_M.arch_steps_measure("resnet", fwd_band=1.5, flip_c=2.0),
    bound=Bound("upper", lambda p: 1.0, 1.0,
                shape_tex=r"1\ (\text{values} = \max(\max|\log\|h\||/1.5,\ \text{flips}/(2m\omega^{2/3}L)))",
                provenance=("calibrated (scratch /tmp/azcal/arch.py, seeds 1000-1001, 32 trials per point) at the "
                            "smallest width m = 128: max |log||h||| = 1.02 (c = 2/L, L = 4: ||h|| up to 2.8) and max "
                            "flips/(m omega^{2/3} L) = 1.35 (L = 2, c = 1/4); band c1 = 1.5 (1.47 x), c2 = 2 (the "
                            "Step2a constant; 1.48 x)")),
    quantifier="forall",
    adversary="sequential targeted rank-one attack of AZLS-DNN/Step2a on the residual branches (pre-activation h + W h)",
    failure_prob=0.05,
    scalings=(
        Scaling("omega", 2 / 3, "at_most", grid=(0.01, 0.025, 0.05), base={"m": 256, "L": 2, "d": 4, "branch_c": 0.25},
                series="flips", tolerance=0.15, note="flips grow at most like omega^{2/3}"),
        Scaling("branch_c", 0.0, "report", grid=(1 / 16, 0.5, 2.0), base={"m": 128, "L": 4, "d": 4, "omega": 0.02},
                series="max_norm", note="SENSITIVITY of the forward norm to the branch variance c/m at L = 4 "
                                        "(c = 2 is outside the regime: ||h|| ≈ 4-9, the band fails)"),
    ),
    dtype="float64",
    tags=("resnet", "forward", "sign_change", "init", "adversarial"),
    notes=("Step 1-2 properties of the residual net behind Theorem 7 (ovpmodel.ResNet, branch W_l ~ N(0, c/m), c in "
           "{1/L^2, 2/L}; App. J absent). Step 1: E||h_l||^2 grows by about (1 + c/2) per layer, so ||h|| ≈ 1 only "
           "for c = O(1/L^2); with c = 2/L it reaches ≈ e^{1/2}-e (measured up to 2.8) and with c = 2 (the plain-net "
           "variance) 4-9: 'neither explodes nor vanishes' holds as a band |log||h||| <= 1.5 for c <= 2/L only. "
           "Step 2(a): the Step2a attack with the residual pre-activation; flips ≈ m omega^{2/3} per layer "
           "(max over layers of sample 0). float64 (the construction puts coordinates 1e-3 past zero)."),
))
