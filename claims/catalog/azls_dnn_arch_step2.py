"""Step 2(b) (forward perturbation) and Step 2(c) (backward stability) of Allen-Zhu, Li,
Song (``allen-zhu-li-song-dnn-convergence.txt``, Sec. 4 Step 2) on the CNN of Theorem 6
and the ResNet of Theorem 7 (Sec. 5).

The paper states Steps 2(a)-(c) for the fully-connected net only (Sec. 4) and says that
Theorems 6 and 7 are proved with the same techniques in Appendices I and J, which are NOT
in the file: the statements below are the FC ones transported to the project's CNN and
ResNet (:class:`ovpmodel.ConvNet`: 1-D circular conv layers ``A, W_1..W_{L-1}``, kernel 3,
He fan-out, dense ``W_L [m, d m]`` and ``B``; :class:`ovpmodel.ResNet`:
``h_l = phi(h_{l-1} + W_l h_{l-1})``, branch ``W_l ~ N(0, c/m)`` with ``c`` in
``{1/L^2, 2/L}``, the regime of ``AZLS-DNN/Thm7-ResNet-Step1-2``).  Companion claims:
``AZLS-DNN/Step2b`` / ``Step2c`` (FC) and ``AZLS-DNN/Thm6-CNN-Step1-2`` /
``Thm7-ResNet-Step1-2`` (Steps 1 and 2(a)) in :mod:`.azls_dnn`; measures in
:mod:`._azls_dnn_arch_measures`.

Constants (the paper's are unspecified "O(.)").  Each was calibrated ONCE in a scratch run
outside the check (``/tmp/arch2/calib.py``, 2026-12-04, seeds 1000-1003, K = 16 trials each,
i.e. 64 trials per point, at the smallest width of the regime and over every depth, branch
scale and both ends of the omega range; for the CNN Step 2(b) with a 4x stronger search
than the check's) and then multiplied by a safety factor of about 1.6-1.7; each bound's
provenance gives the sweep, the maximum ratio and the factor.  Nothing is fitted while a
check runs.  Afterwards ``ovpcheck calibrate --seeds 20`` (base seeds 0-19) of the four
claims gave 0/20 fails each under ``ci`` and under ``quick`` (max tightness in the
provenance).  Budgets (2 shared CPU cores, ``OMP_NUM_THREADS=1``): each claim takes 0.5-3 s
of CPU under ``ci`` and 0.4-1.5 s under ``quick`` (numbers in docs/catalog_feedforward.md).
"""

from __future__ import annotations

from .._claim import Bound, Choice, Claim, FloatParam, IntParam, Scaling, Source
from . import register
from . import _azls_dnn_arch_measures as _A

PAPER = "allen-zhu-li-song-dnn-convergence.txt"

#: residual-branch variances c (W_l ~ N(0, c/m)) of Theorem 7's regime: 1/L^2 and 2/L for
#: L = 2, 3, 4 (exactly the scales the constants below were calibrated on; the same regime as
#: AZLS-DNN/Thm7-ResNet-Step1-2, which also lists c = 2 for its sensitivity sweep)
_BRANCH_C = (1 / 16, 1 / 9, 1 / 4, 1 / 2, 2 / 3, 1.0)


def _branch_ok(p) -> bool:
    """The regime's branch scale: ``c = 1/L^2`` or ``c = 2/L``."""
    c, L = float(p["branch_c"]), int(p["L"])
    return min(abs(c - 1 / L ** 2), abs(c - 2 / L)) < 1e-9


def _src(ref: str, note: str) -> Source:
    return Source(paper=PAPER, ref=ref, note=note)


_NOT_IN_FILE = ("the main text states Step 2 for the FC net only; App. {app} (the {arch} proof) is not in "
                "the file: the FC statement transported to the project's {arch}")

_RESNET_NET = ("ovpmodel.ResNet: h_l = phi(h_{l-1} + W_l h_{l-1}), A and B as Def. 2.3, branch W_l ~ N(0, c/m) "
               "with c in {1/L^2, 2/L} (App. J's initialisation is not in the file; same regime as "
               "AZLS-DNN/Thm7-ResNet-Step1-2). ")

_CNN_NET = ("ovpmodel.ConvNet: A, W_1..W_{L-1} 1-D circular convolutions (kernel 3, He fan-out N(0, 2/(3m))), "
            "W_L dense m x (d m) N(0, 2/m), B dense; d = 8 points x m channels (App. I not in the file). The ball "
            "||W_l - W_l^(0)||_2 <= omega uses, for a conv layer, the OPERATOR norm of the convolution on the "
            "d m-dim map (exact: the max over the d Fourier modes of the spectral norms of the kernel's Fourier "
            "blocks, ovpmodel.ConvNet.conv_spectral_norm). ")

# ----------------------------------------------------------------------------- ResNet, Step 2(b)

THM7_STEP2B = register(Claim(
    id="AZLS-DNN/Thm7-ResNet-Step2b",
    title="ResNet forward perturbation ||h_{i,l} - h0_{i,l}|| <= O(omega L^{5/2}) (Step 2(b))",
    source=_src("Sec. 4, Step 2(b), for Theorem 7's ResNet (Sec. 5)", _NOT_IN_FILE.format(app="J", arch="ResNet")),
    statement_tex=(r"h_\ell=\phi(h_{\ell-1}+W_\ell h_{\ell-1}):\ \forall \vec W,\ \|W_\ell-W^{(0)}_\ell\|_2\le\omega"
                   r"\ \Rightarrow\ \|h_{i,\ell}-h^{(0)}_{i,\ell}\|\le c\,\omega L^{5/2}"),
    family="resnet",
    regime=(IntParam("m", 128, 512, log=True, limit="width"), IntParam("L", 2, 4, limit="depth"),
            FloatParam("omega", 1e-3, 1e-2, log=True), Choice("d", (4,)), Choice("branch_c", _BRANCH_C)),
    constraint=_branch_ok,
    measure=_A.resnet_step2b_measure(),
    bound=Bound("upper", lambda p: p["L"] ** 2.5, 1.2, shape_tex=r"L^{5/2}\ (\text{values are }\|\Delta h\|/\omega)",
                provenance=("calibrated (scratch /tmp/arch2/calib.py, 2026-12-04): max of values/L^{2.5} over 64 trials "
                            "(seeds 1000-1003 x K = 16) at each of 12 points of the smallest width m = 128 (L = 2, 3, 4; "
                            "c = 1/L^2 and 2/L; omega = 1e-3 and 1e-2), with the check's 8 ascent steps 0.721 and with "
                            "32 steps 0.739 (L = 2, c = 1; the ratio is flat in omega); constant = 1.62 x 0.739, "
                            "i.e. 1.2. ovpcheck calibrate, 20 base seeds: 0/20 fails under ci and quick, max "
                            "tightness 0.66 (ci)")),
    quantifier="forall",
    adversary=("conditional-gradient (power) ascent of ||Δh_L||^2 of AZLS-DNN/Step2b with the residual "
               "pre-activation h + (W + W')h: rank-one W'_l = omega u_l v_l^T, v_l = h0_{l-1}/||h0_{l-1}|| (for one "
               "sample only W'_l h_{l-1} matters, so rank one loses nothing at first order), 8 iterations from a "
               "random u, best iterate; ||W'_l||_2 = omega for every l"),
    failure_prob=0.05,
    scalings=(
        Scaling("omega", 1.0, "at_most", grid=(1e-3, 3e-3, 1e-2), base={"m": 128, "L": 2, "d": 4, "branch_c": 0.25},
                series="dh", tolerance=0.1, note="||Δh|| grows like omega^1 (the paper's first-order law; measured ≈ 1.00)"),
        Scaling("m", 0.0, "at_most", grid=(128, 256, 512), base={"L": 2, "omega": 1e-3, "d": 4, "branch_c": 0.25},
                tolerance=0.15, note="no m dependence (the bound has none)"),
        Scaling("L", 2.5, "report", grid=(2, 3, 4), base={"m": 128, "omega": 1e-3, "d": 4, "branch_c": 1 / 16},
                note="depth at a FIXED branch scale c = 1/16 (the paper's L^{5/2} is for the FC net; reported)"),
    ),
    dtype="float32",
    tags=("resnet", "forward", "adversarial", "perturbation"),
    notes=(_RESNET_NET + "values = max_l ||h_{0,l}(W0+W') - h_{0,l}(W0)|| / omega for the attack W' (sample 0). The "
           "ratio is ≈ 2.5-4 (L = 2) and 5-11 (L = 4): about linear in L for c = 1/L^2 (the branch shrinks "
           "with depth) and larger for c = 2/L, so the L^{5/2} of the FC statement is loose here (tightness "
           "≈ 0.6 at L = 2, c = 1, the calibration corner; ≈ 0.2-0.3 at L = 4). NOT shown: the sup over the "
           "ball (a search lower-bounds it; 32 steps add 2% to 8), any other ResNet block (phi(h + W2 phi(W1 h)) "
           "is mentioned by the paper, not analysed), depths L > 4, the branch scale c = 2 (the plain-net "
           "variance, where Step 1 already fails: AZLS-DNN/Thm7-ResNet-Step1-2). float32: ||Δh|| / ||h|| >= "
           "1e-3 >> float32 rounding."),
))

# ----------------------------------------------------------------------------- ResNet, Step 2(c)

THM7_STEP2C = register(Claim(
    id="AZLS-DNN/Thm7-ResNet-Step2c",
    title="ResNet backward stability ||Back(W) - Back(W0)||_2 <= O(omega^{1/3} L^2 sqrt(m/d)) (Step 2(c))",
    source=_src("Sec. 4, Step 2 ('another main result'), for Theorem 7's ResNet (Sec. 5)",
                _NOT_IN_FILE.format(app="J", arch="ResNet")),
    statement_tex=(r"\mathrm{Back}_{i,a}=BD_{i,L}(I+W_L)\cdots D_{i,a}(I+W_a):\ "
                   r"\|\mathrm{Back}_{i,a}(\vec W)-\mathrm{Back}_{i,a}(\vec W^{(0)})\|_2\le c\,\omega^{1/3}L^2\sqrt{m/d}"),
    family="resnet",
    regime=(IntParam("m", 256, 384, log=True, limit="width"), IntParam("L", 2, 4, limit="depth"),
            FloatParam("omega", 0.003, 0.05, log=True), Choice("d", (4,)), Choice("branch_c", _BRANCH_C)),
    constraint=lambda p: _branch_ok(p) and p["m"] * p["omega"] ** (2 / 3) >= 8,
    measure=_A.resnet_step2c_measure(),
    bound=Bound("upper", lambda p: p["omega"] ** (1 / 3) * p["L"] ** 2, 1.75,
                shape_tex=r"\omega^{1/3}L^2\ (\text{values are }\|\Delta\mathrm{Back}\|_2/\sqrt{m/d})",
                provenance=("calibrated (scratch /tmp/arch2/calib.py, 2026-12-04): max of values/(omega^{1/3} L^2) over "
                            "64 trials (seeds 1000-1003 x K = 16) at each of 18 points of the smallest width m = 256 "
                            "(L = 2, 3, 4; c = 1/L^2 and 2/L; omega = 0.0055 (the constraint's edge m omega^{2/3} = 8), "
                            "0.01, 0.05) was 1.08 (L = 2, c = 1, omega = 0.0055; 95% quantile 0.92); constant = "
                            "1.62 x 1.08, i.e. 1.75. ovpcheck calibrate, 20 base seeds: 0/20 fails under ci and quick, max "
                            "tightness 0.61 (ci)")),
    quantifier="forall",
    adversary=("targeted rank-one construction of CLAIMS.md §0 (ovpmodel.perturb.targeted_sign_flip) applied layer "
               "after layer on sample 0 with the residual pre-activation h + W h and the upstream perturbations in "
               "place (the attack of AZLS-DNN/Thm7-ResNet-Step1-2); ||W'_l||_2 <= omega for every l; the flips in "
               "layer L make B ΔD_L (I + W_L) ≈ B restricted to ≈ m omega^{2/3} columns"),
    failure_prob=0.05,
    scalings=(
        Scaling("omega", 1 / 3, "at_most", grid=(0.006, 0.018, 0.05), base={"m": 256, "L": 2, "d": 4, "branch_c": 0.25},
                tolerance=0.1, note="the paper's omega^{1/3} (reached by the targeted flips up to finite-width effects)"),
        Scaling("omega", 0.5, "report", grid=(0.006, 0.018, 0.05), base={"m": 256, "L": 2, "d": 4, "branch_c": 0.25},
                series="random", zeros="drop", note="random W' of the same spectral norm (reported, not gated)"),
    ),
    dtype="float64",
    tags=("resnet", "backward", "spectral", "adversarial", "perturbation"),
    notes=(_RESNET_NET + "Back_{i,a} = B D_{i,L}(I + W_L) ... D_{i,a}(I + W_a) is the derivative of the output w.r.t. "
           "h_{i,a-1}, the ResNet analogue of Fact 2.6's B D_L W_L ... D_a W_a (our reading; the paper does not "
           "write it for the ResNet). values = max_{a in [L]} ||Back_{0,a}(W0+W') - Back_{0,a}(W0)||_2 / sqrt(m/d), "
           "exact (back-substitution of the d rows, SVD of the d x m difference). The constraint m omega^{2/3} >= 8 "
           "keeps the designed flip count out of single digits (as AZLS-DNN/Step2c). The L^2 factor is loose "
           "(values/(omega^{1/3} L^2) ≈ 1 at L = 2, ≤ 0.3 at L = 4). Extras: flips_L, random (Gaussian W' with "
           "||W'_l||_2 = omega, 20 Golub-Kahan steps). NOT shown: the sup over the ball (the construction is one "
           "direction; no search is run), Step 2(c) for a < L in isolation (the max over a is taken), m > 384 "
           "(cost), c = 2. float64 for the flip construction."),
))

# ----------------------------------------------------------------------------- CNN, Step 2(b)

THM6_STEP2B = register(Claim(
    id="AZLS-DNN/Thm6-CNN-Step2b",
    title="CNN forward perturbation ||h_{i,l} - h0_{i,l}|| <= O(omega L^{5/2}), conv kernels searched (Step 2(b))",
    source=_src("Sec. 4, Step 2(b), for Theorem 6's CNN (Sec. 5)", _NOT_IN_FILE.format(app="I", arch="CNN")),
    statement_tex=(r"\forall \vec W:\ \|\mathcal C(W_\ell-W^{(0)}_\ell)\|_2\le\omega\ (\ell<L),\ "
                   r"\|W_L-W^{(0)}_L\|_2\le\omega\ \Rightarrow\ \|h_{i,\ell}-h^{(0)}_{i,\ell}\|\le c\,\omega L^{5/2}"),
    family="cnn",
    regime=(IntParam("m", 32, 48, log=True, limit="width"), IntParam("L", 2, 4, limit="depth"),
            FloatParam("omega", 1e-3, 1e-2, log=True), Choice("d", (8,))),
    measure=_A.cnn_step2b_measure(),
    bound=Bound("upper", lambda p: p["L"] ** 2.5, 1.5, shape_tex=r"L^{5/2}\ (\text{values are }\|\Delta h\|/\omega)",
                provenance=("calibrated (scratch /tmp/arch2/calib.py, 2026-12-04): max of values/L^{2.5} over 64 trials "
                            "(seeds 1000-1003 x K = 16) at m = 32 and 48, L = 2, 3, 4, omega = 1e-3 and 1e-2 (12 points), "
                            "with a 4x stronger search than the check's (4 restarts x 16 Frank-Wolfe steps): 0.887 "
                            "(m = 48, L = 2; the check's 1 x 6 reaches 0.878 there, 97-99% of the strong search "
                            "everywhere); constant = 1.69 x 0.887, i.e. 1.5. ovpcheck calibrate, 20 base seeds: 0/20 fails "
                            "under ci and quick, max tightness 0.62 (ci)")),
    quantifier="forall",
    adversary=("Frank-Wolfe ascent of ||Δh_L||^2 (sample 0) over the product of balls: the conv kernels W'_1..W'_{L-1} "
               "in the conv-operator-norm ball (atom: the q taps of the mode-wise Fourier polar factor of the "
               "gradient, rescaled onto the ball; the exact oracle is a semidefinite program) and the dense W'_L in "
               "its spectral ball (exact oracle), convex steps with a line search over gamma in {1, 1/2, 1/4} so every "
               "iterate is feasible; 1 random start x 6 steps, the best of every evaluated point; the conv kernels "
               "ARE attacked"),
    failure_prob=0.05,
    scalings=(
        Scaling("omega", 1.0, "at_most", grid=(1e-3, 3e-3, 1e-2), base={"m": 32, "L": 2, "d": 8}, series="dh",
                tolerance=0.1, note="||Δh|| grows like omega^1 (the paper's first-order law; measured ≈ 1.00)"),
        Scaling("L", 2.5, "report", grid=(2, 3, 4), base={"m": 32, "omega": 1e-3, "d": 8},
                note="depth exponent of the searched ratio (scratch: 3.9, 7.1, 10.4 at L = 2, 3, 4, ≈ L^{1.4}); reported"),
    ),
    dtype="float32",
    tags=("cnn", "forward", "adversarial", "perturbation"),
    notes=(_CNN_NET + "values = max_l ||h_{0,l}(W0+W') - h_{0,l}(W0)|| / omega (conv maps as d m-dim vectors) for the "
           "searched W'. FINDING: attacking the conv kernels matters: the dense-only attack (extras dense_only, "
           "the same search with the kernels frozen) gives ≈ 1.0 at every depth (||Δh_L|| ≤ omega ||h_{L-1}||), the "
           "joint search 3.9 (L = 2), 7.1 (L = 3), 10.4 (L = 4) (scratch means, m = 32), i.e. ≈ L^{1.4} like the "
           "FC Step2b's L^{1.5}: the L^{5/2} bound is loose (tightness ≈ 0.6 at L = 2). The Fourier-polar atom "
           "matters too: with the gradient merely rescaled onto the ball the values were 20-35% lower. NOT shown: "
           "the sup over the ball (a search lower-bounds it), L > 4, widths beyond 48 channels (cost: the conv "
           "norms are d/2 + 1 complex SVDs per kernel and step), other kernel sizes, strides, paddings or 2-D "
           "convolutions. "
           "float32."),
))

# ----------------------------------------------------------------------------- CNN, Step 2(c)

THM6_STEP2C = register(Claim(
    id="AZLS-DNN/Thm6-CNN-Step2c",
    title="CNN backward stability ||Back(W) - Back(W0)||_2 <= O(omega^{1/3} L^2 sqrt(m/d)) (Step 2(c))",
    source=_src("Sec. 4, Step 2 ('another main result'), for Theorem 6's CNN (Sec. 5)",
                _NOT_IN_FILE.format(app="I", arch="CNN")),
    statement_tex=(r"\mathrm{Back}_{i,a}=BD_{i,L}W_LD_{i,L-1}\mathcal C_{L-1}\cdots D_{i,a}\mathcal C_a:\ "
                   r"\|\mathrm{Back}_{i,a}(\vec W)-\mathrm{Back}_{i,a}(\vec W^{(0)})\|_2\le c\,\omega^{1/3}L^2\sqrt{m/d}"),
    family="cnn",
    regime=(IntParam("m", 64, 128, log=True, limit="width"), IntParam("L", 2, 3, limit="depth"),
            FloatParam("omega", 0.02, 0.16, log=True), Choice("d", (8,))),
    constraint=lambda p: p["m"] * p["omega"] ** (2 / 3) >= 8,
    measure=_A.cnn_step2c_measure(),
    bound=Bound("upper", lambda p: p["omega"] ** (1 / 3) * p["L"] ** 2, 4.0,
                shape_tex=r"\omega^{1/3}L^2\ (\text{values are }\|\Delta\mathrm{Back}\|_2/\sqrt{m/d})",
                provenance=("calibrated (scratch /tmp/arch2/calib.py, 2026-12-04): max of values/(omega^{1/3} L^2) over "
                            "64 trials (seeds 1000-1003 x K = 16) at m = 64, 91, 128, L = 2, 3, omega at the constraint's "
                            "edge m omega^{2/3} = 8 (0.044, 0.026, 0.02) and 0.16 (12 points) was 2.48 (m = 64, L = 2, "
                            "omega = 0.044; 95% quantile 2.25); constant = 1.61 x 2.48, i.e. 4. ovpcheck calibrate, 20 base "
                            "seeds: 0/20 fails under ci and quick, max tightness 0.59 (ci)")),
    quantifier="forall",
    adversary=("sequential targeted flips on sample 0 with the upstream perturbations in place: in each conv layer a "
               "kernel y v^T rank one in the output channel, v the input patch of the point with most designed flips "
               "(the construction of CLAIMS.md §0 at one point), scaled so that its conv operator norm is omega "
               "(exact: ||y|| max_k ||v_hat(k)||); then the dense W_L by ovpmodel.perturb.targeted_sign_flip "
               "(as AZLS-DNN/Thm6-CNN-Step1-2). The conv kernels are attacked by this construction, NOT by a search"),
    failure_prob=0.05,
    scalings=(
        Scaling("omega", 1 / 3, "at_most", grid=(0.04, 0.08, 0.16), base={"m": 64, "L": 2, "d": 8}, tolerance=0.1,
                note="the paper's omega^{1/3} (scratch: ≈ 0.24 at these sizes)"),
    ),
    dtype="float64",
    tags=("cnn", "backward", "spectral", "adversarial", "perturbation"),
    notes=(_CNN_NET + "Back_{i,a} = B D_{i,L} W_L D_{i,L-1} C_{L-1} ... D_{i,a} C_a (C_a the convolution of W_a; "
           "ovpmodel.ConvNet.back_operator, tested against autograd) is d x (d m) for a <= L. values = max_{a in [L]} "
           "||Back_{0,a}(W0+W') - Back_{0,a}(W0)||_2 / sqrt(m/d), exact (SVD). Normalisation: the FC sqrt(m/d) is "
           "kept, but here ||Back_{0,a}(W0)||_2 / sqrt(m/d) itself is ≈ 3.7-4.2 (extras back0; ≈ sqrt(2d): W_L has "
           "d m inputs), so the calibrated constant (4) absorbs that factor of the fixed d = 8; the relative change "
           "||ΔBack|| / ||Back(W0)|| is ≈ 0.4-0.9 in this regime (omega^{1/3} L^2 ≥ 1: not the paper's 'negligible' "
           "regime omega^{1/3} L^2 << 1, which needs m far beyond a CPU check). The constraint m omega^{2/3} >= 8 "
           "keeps the designed flip count of the dense layer out of single digits. FINDING: the dense-layer flips "
           "dominate: the conv-layer flips (extras flips_conv, 13-80 of the d m units) add ≈ 3-10% over the "
           "dense-only attack (extras dense_only); a random boundary point (extras random: Gaussian W'_L, kernels "
           "y v^T with Gaussian y, v) gives 15-40% of the attack. NOT shown: the sup over the ball (constructions "
           "only, no search: the flip count is not differentiable), widths beyond 128 channels, L > 3 (cost), other "
           "kernel sizes or 2-D convolutions. float64 for the flip construction."),
))
