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
                   r"\,\mathrm{loss}_i)\,h_{i,\ell-1}^\top,\quad \mathrm{Back}_{i,\ell}=BD_{i,L}W_L\cdots"
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
                            "(3/pi)^{1/3} ≈ 0.985 plus order-statistic noise); constant = 1.4 x, i.e. 2")),
    quantifier="forall",
    adversary=_ATTACK,
    failure_prob=0.05,
    scalings=(
        Scaling("omega", 2 / 3, "at_most", grid={"quick": (0.008, 0.024, 0.072), "ci": (0.004, 0.012, 0.036)},
                base=_w(lambda p: {"m": 1024, "L": 1, "d": 4}), series="layer1", tolerance=0.1,
                note="adversarial omega-exponent: tight at 2/3 (fitted ≈ 0.67-0.68)"),
        Scaling("omega", 1.0, "report", grid={"quick": (0.008, 0.024, 0.072), "ci": (0.004, 0.012, 0.036)},
                base=_w(lambda p: {"m": 1024, "L": 1, "d": 4}), series="random",
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
           "What it does not show: a search can only lower-bound the sup over the ball."),
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
                            "(omega = 0.01) was 2.48; constant = 1.6 x, i.e. 4")),
    quantifier="forall",
    adversary=_ATTACK + "; the flips in layer L make B ΔD_L W_L ≈ sqrt(2 s/d) with s ≈ m omega^{2/3}",
    failure_prob=0.05,
    scalings=(
        Scaling("omega", 1 / 3, "at_most", grid={"quick": (0.008, 0.024, 0.072), "ci": (0.004, 0.012, 0.036)},
                base=_w(lambda p: {"m": 512, "L": 1, "d": 4}), tolerance=0.1,
                note="[H] omega^{1/3} is achievable by the targeted flips (tight)"),
        Scaling("omega", 0.5, "report", grid={"quick": (0.008, 0.024, 0.072), "ci": (0.004, 0.012, 0.036)},
                base=_w(lambda p: {"m": 512, "L": 1, "d": 4}), series="random",
                note="random W': ~ sqrt(#flips) ~ omega^{1/2}"),
    ),
    dtype="float64",
    tags=("backward", "spectral", "adversarial", "perturbation"),
    notes=("values = max_a ||Back_{0,a}(W0+W') - Back_{0,a}(W0)||_2 / sqrt(m/d), exact (back-substitution "
           "of the d rows, SVD of the d x m difference). float64 for the flip construction."),
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
                            "omega = 0.01) was 0.59; constant = 0.51 x, i.e. 0.3")),
    quantifier="forall",
    adversary="u: exact (SVD); W: initialisation and the " + _ATTACK,
    failure_prob=0.05,
    scalings=(
        Scaling("m", 0.0, "at_least", grid=(128, 256, 512), base={"L": 2, "omega": 0.01, "d": 4},
                tolerance=0.1, note="bounded below uniformly in m"),
    ),
    dtype="float64",
    tags=("backward", "spectral", "gradient"),
    notes=("The main text gives no magnitude for ||Back^T u||; the sqrt(m/d) normalisation is the [D] "
           "analogue of AZL-RNN/B.1g. min over 4 samples, l in [L] (Back_{i,l+1}, l+1 = 2..L+1; "
           "Back_{L+1} = B) and the two weight points. Only the backward factor of Step 3 is checked "
           "here; the combination over samples is Thm3-lower."),
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
            IntParam("n", 2, 8, limit="n"), FloatParam("delta", 0.02, 0.3, log=True),
            FloatParam("omega", 0.003, 0.03, log=True), Choice("d", (4,))),
    constraint=lambda p: p["m"] * p["delta"] >= 20,
    measure=_M.thm3_measure("lower"),
    bound=Bound("lower", lambda p: 1.0, 1.0, shape_tex=r"1\ (\text{values are }\inf_{y^*}\|\nabla F\|_F^2/(F\,\delta m/(dn^2)))",
                provenance=("calibrated: min over 64 trials at the smallest width m = 256 with the "
                            "smallest allowed delta = 0.08 (m delta = 20), n = 2, L = 4 was 2.02; "
                            "constant = 0.5 x, i.e. 1")),
    quantifier="forall",
    adversary=("y*: exact inf (2 lambda_min of the Jacobian Gram matrix = the loss vectors minimising "
               "||sum_i D Back^T u_i h^T||, the generalized eigenproblem); W: initialisation and the "
               + _ATTACK + "; inputs with a closest pair at exactly delta"),
    failure_prob=0.05,
    scalings=(
        Scaling("m", 0.0, "at_least", grid=(256, 512, 1024), base={"L": 2, "n": 4, "delta": 0.2, "omega": 0.01, "d": 4},
                tolerance=0.15, note="must not decay with m at fixed (n, L, delta)"),
        Scaling("delta", 1.0, "report", grid=(0.05, 0.12, 0.3), base=_w(lambda p: {"m": 512, "L": 2, "n": 2, "omega": 0.01, "d": 4}),
                series="Q_times_d_over_m", note="delta-exponent of 2 lambda_min d/m (CALIBRATION ≈ 1.2-1.4)"),
    ),
    dtype="float64",
    tags=("gradient", "adversarial", "separation"),
    notes=("The regime ties delta to m (m delta >= 20): CALIBRATION found that below that only a handful "
           "of ReLU units separate the closest pair and 2 lambda_min collapses like delta^{2.4} - the "
           "theorem's m >= poly(1/delta) regime is left. Inside it the n^{-2} delta shape is loose "
           "(tightness >> 1). extras last_layer_ratio: the same with only W_L trained (the paper's "
           "remark that the last layer suffices)."),
))

# ----------------------------------------------------------------------------- Theorems 1, 2, 5, 6, 7

_GD_NOTE = ("Trend claim (CPU~): the theorem's m >= poly(n, L, 1/delta) d and eta = Theta(d delta/(poly(n,L) m)) "
            "are unreachable; what is checked is the shape of the result: log F_t is a straight line in t "
            "(values = R^2 of the fit on the second half of the run, lower bound) and the contraction rate "
            "per step at fixed eta m does not decay with m (scaling of extras rate, at_least 0). Step range "
            "stated: eta = eta_m / m with eta_m in [0.5, 1.5], below the measured critical 2m/lambda_max(K_0) "
            "≈ 2.3-4 for n = 8, L <= 4 (CALIBRATION); far above it GD diverges (false variant in the tests). "
            "float32: 150 steps reduce F by 1-4 decades, far above float32 round-off. The data set (inputs and "
            "unit-norm targets) is fixed per (n, d), independent of the example seed: the rate depends "
            "strongly on the data (a 4x difference between two random data sets), which would otherwise swamp "
            "the m-trend of a sweep; the K trials are independent initialisations.")

THM1 = register(Claim(
    id="AZLS-DNN/Thm1",
    title="GD converges linearly (log F_t linear in t, m-independent rate at fixed eta m)",
    source=_src("Theorem 1"),
    statement_tex=(r"\eta=\Theta\!\big(\tfrac{d\delta}{\mathrm{poly}(n,L)m}\big):\ F(\vec W^{(T)})\le\varepsilon"
                   r"\ \text{for}\ T=\Theta\!\big(\tfrac{\mathrm{poly}(n,L)}{\delta^2}\log\tfrac1\varepsilon\big)"),
    family="fc",
    regime=(IntParam("m", 64, 256, log=True, limit="width"), IntParam("L", 1, 3, limit="depth"),
            IntParam("n", 4, 8, limit="n"), Choice("d", (4,)), Choice("T", (150,), limit="steps"),
            FloatParam("eta_m", 0.5, 1.5)),
    measure=_M.gd_measure("fc"),
    bound=Bound("lower", lambda p: 1.0, 0.95, shape_tex=r"1\ (\text{values are }R^2\text{ of }\log F_t\text{ vs }t)",
                provenance=("threshold, not a paper constant: calibrated min R^2 over 64 trials at m = 64, "
                            "L = 3, n = 8, eta_m = 1.5 was 0.99; 0.95 leaves room (a sublinear O(1/t) tail "
                            "over 75 steps gives R^2 well below 0.9)")),
    failure_prob=0.05,
    kind="surrogate",
    scalings=(
        Scaling("m", 0.0, "at_least", grid={"quick": (64, 128), "ci": (64, 128, 256)},
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
    regime=(IntParam("m", 64, 256, log=True, limit="width"), IntParam("L", 1, 3, limit="depth"),
            IntParam("n", 4, 8, limit="n"), Choice("d", (4,)), Choice("T", (150,), limit="steps"),
            FloatParam("eta_m", 0.5, 1.5)),
    measure=_M.radius_measure(),
    bound=Bound("upper", lambda p: 1.0, 1.5, shape_tex="1",
                provenance=("calibrated: max over 64 trials at the smallest width m = 64 (L = 3, n = 8, "
                            "eta_m = 1.5, 150 steps) was 0.95; constant = 1.6 x, i.e. 1.5")),
    failure_prob=0.05,
    kind="surrogate",
    scalings=(
        Scaling("m", 0.0, "at_most", grid={"quick": (64, 128), "ci": (64, 128, 256)},
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
    dtype="float32",
    tags=("exact", "convergence", "cross_entropy"),
    notes=("GD on the summed softmax cross-entropy of B h_{i,L} (d = 4 classes, random labels). At every "
           "step where F <= 1/4 the misclassified samples are counted (values; EXACT: 0). extras exercised "
           "= 1 if the run reached F <= 1/4 (with eta_m in [4, 8] all calibration runs did, first hit at "
           "step 30-95), first_hit, final_acc. The T-scaling part of bullet 4 (CPU~) is not encoded. "
           "Thm5-PL, Thm5-convex and Thm5-nonconvex-SGD are not encoded (see the module's report)."),
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
    dtype="float32",
    tags=("convergence", "gd", "trend", "cnn"),
    notes=("ConvNet of ovpmodel (assumptions, App. I not in the file: 1-D circular conv, kernel 3, He "
           "fan-out variance 2/(q m), W_L dense m x (d m)). m = channels, L = 2 only. At these tiny "
           "channel counts (32-48; 16 channels or L = 3 gave R^2 down to 0.35 in the first ci run) GD is far from the lazy regime (distance from init ≈ 1-2, rate ≈ 0.002-0.01 per step) "
           "and log F is only roughly linear (R^2 0.87-0.99): a weak trend check."),
))

THM7 = register(Claim(
    id="AZLS-DNN/Thm7-ResNet",
    title="GD converges linearly on the residual network (branch-scale sensitivity reported)",
    source=_src("Theorem 7", "initialisation (App. J) not in the file: branch variance swept"),
    statement_tex=r"h_\ell=\phi(h_{\ell-1}+W_\ell h_{\ell-1}):\ F(\vec W^{(T)})\le\varepsilon\ \text{for}\ T=\tilde O\!\big(\tfrac{\mathrm{poly}(n,L)}{\delta^2}\log\tfrac1\varepsilon\big)",
    family="resnet",
    regime=(IntParam("m", 64, 256, log=True, limit="width"), IntParam("L", 2, 4, limit="depth"),
            IntParam("n", 4, 8, limit="n"), Choice("d", (4,)), Choice("T", (100,), limit="steps"),
            FloatParam("eta_m", 0.5, 1.0), Choice("branch", ("1/L^2", "2/L"))),
    measure=_M.gd_measure("resnet"),
    bound=Bound("lower", lambda p: 1.0, 0.9, shape_tex=r"1\ (R^2)",
                provenance=("threshold: calibrated min R^2 over 32 trials at m = 64-128, L = 4 was 0.98; "
                            "0.9 leaves room")),
    failure_prob=0.05,
    kind="surrogate",
    dtype="float32",
    tags=("convergence", "gd", "trend", "resnet"),
    notes=("Residual branch W_l ~ N(0, c/m) with c in {1/L^2, 2/L} in the regime; each example also trains "
           "the other two scales of {2, 2/L, 1/L^2} and reports their rates in extras (rate_branch_*): "
           "sensitivity. With c = 2 (the plain-net variance) the depth blows the forward norm up and at the "
           "same eta m GD barely moves (rate ≈ 1e-4/step vs ≈ 0.04 for c = 2/L or 1/L^2 at L = 4, m = 128): "
           "the paper's 'appropriately chosen' initialisation matters; that is why c = 2 is reported, not "
           "gated."),
))
