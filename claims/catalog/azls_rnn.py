"""AZLS-RNN: Allen-Zhu, Li, Song, *On the Convergence Rate of Training Recurrent Neural
Networks* (``allen-zhu-li-song-rnn-convergence.txt``), CLAIMS.md section 2.

Setting F2 (CLAIMS.md (a.1)): Elman ReLU RNN ``h_{i,0} = 0``,
``g_{i,l} = W h_{i,l-1} + A x_{i,l}``, ``h = phi(g)``, ``y = B h``; ``W, A ~ N(0, 2/m)``,
``B ~ N(0, 1/d)``; only ``W`` trained; ``f = sum_i 1/2 sum_{l>=2} ||B h_{i,l} - y*_{i,l}||^2``;
``||x_{i,1}|| = 1`` with last coordinate ``1/sqrt 2``, ``||x_{i,l}|| <= 1``, first tokens
``delta``-separated (Asm. 2.1).

Constants.  The paper hides every constant (``O(.)``, ``poly(rho)``, ``poly(varrho)``).  Each
claim's ``Bound.provenance`` says where its constant comes from: "explicit in paper", or
"calibrated": measured in a scratch run (outside the checking run, numbers quoted) at the
smallest size of the regime, then multiplied by a safety margin.  Constants are never fitted
in the checking run.  What is genuinely tested is then (a) the shape (growth in L, m, s, Delta)
at the other sizes of the regime and (b) the declared scaling exponents.

Measures live in ``_azls_rnn_measures.py``.
"""

from __future__ import annotations

import dataclasses
import functools
import math

from claims import Bound, Choice, Claim, FloatParam, IntParam, Scaling, Source, register

from . import _azls_rnn_measures as _m

PAPER = _m.PAPER
FAMILY = "rnn"


def _src(ref: str, note: str = "") -> Source:
    return Source(paper=PAPER, ref=ref, note=note)


def _one(p) -> float:
    return 1.0


# ============================================================================ Fact 2.5

FACT25 = register(Claim(
    id="AZLS-RNN/Fact2.5",
    title="Closed-form gradient of the shared W equals autograd (Fact 2.5)",
    source=_src("Fact 2.5", "CLAIMS.md (b.2)"),
    statement_tex=(r"\nabla f(W)=\sum_{i=1}^n\sum_{a=2}^{L}\sum_{\ell=1}^{a-1} D_{i,\ell+1}"
                   r"\big(\mathrm{Back}_{i,\ell+1\to a}^\top\,\mathrm{loss}_{i,a}\big)h_{i,\ell}^\top,\quad"
                   r"\mathrm{Back}_{i,\ell\to a}=BD_{i,a}W\cdots D_{i,\ell+1}W,\ \mathrm{Back}_{i,\ell\to\ell}=B"),
    family=FAMILY,
    regime=(IntParam("m", 16, 256, log=True, limit="width"), IntParam("L", 2, 6, limit="seq_len"),
            IntParam("n", 1, 4, limit="n"), IntParam("d", 1, 3), IntParam("d_x", 2, 6),
            Choice("where", ("init", "near", "far")), FloatParam("Delta", 0.1, 10.0, log=True),
            FloatParam("y_scale", 0.1, 10.0, log=True)),
    measure=_m.measure_fact25,
    bound=Bound("upper", _one, 1e-10, shape_tex=r"10^{-10}",
                provenance=("EXACT identity: 1e-10 is a float64 rounding allowance. Scratch run: relative "
                            "errors <= 1.1e-15 (m = 1024, L = 10, n = 8, d = 4, far from init) and 6e-16 "
                            "(m = 256, L = 6, near)")),
    quantifier="forall", adversary="the W of the drawn setting: W0 (init), W0 + Gaussian of spectral norm "
                                   "Delta/sqrt(m) (near) or of norm 1 (far); arbitrary Gaussian y*",
    failure_prob=0.0, dtype="float64", tags=("exact", "gradient"), kind="theorem",
    notes=("value = max of three relative Frobenius errors vs torch.autograd: (1) ElmanRNN.grad_formula "
           "(backprop-through-time with the recorded masks 1[g >= 0]); (2) the LITERAL triple sum with explicit "
           "Back_{i,l+1->a} operators (ovpmodel back_operator), independent of (1); (3) the autograd gradient of "
           "the loss INCLUDING the l = 1 term vs without it (B h_{i,1} = B phi(A x_{i,1}) does not depend on W: "
           "difference exactly 0). Reading: Def. 2.2's 'h = D W h' is a typo for h = D g (CLAIMS.md (b.2) [T]). "
           "autograd's ReLU uses 1[g > 0] while the paper uses 1[g >= 0]; they differ only at exact zeros, "
           "which have probability 0 here. Shows: the formula is right for every W drawn (not only at init). "
           "Does not show: anything about the size of the gradient."),
))


# ============================================================================ fn 5

FN5 = register(Claim(
    id="AZLS-RNN/fn5-bias",
    title="Last input coordinate 1/sqrt2 equals a N(0, 1/m) first-layer bias (footnote 5)",
    source=_src("footnote 5"),
    statement_tex=(r"A\,(x',\tfrac1{\sqrt2}) = A_{:,<d_x}x' + b,\quad b=\tfrac{1}{\sqrt2}A_{:,d_x}"
                   r"\sim\mathcal N(0,\tfrac1m I)"),
    family=FAMILY,
    regime=(IntParam("m", 64, 1024, log=True, limit="width"), IntParam("n", 1, 8, limit="n"),
            IntParam("d_x", 2, 16), Choice("L", (1, 2))),
    measure=_m.measure_fn5,
    bound=Bound("upper", _one, 6.0, shape_tex="6",
                provenance=("explicit: 6 standard deviations of m*mean(b^2) ~ chi^2_m/m (sd sqrt(2/m)); the "
                            "identity part is EXACT (1e12 x its relative error is added, so an error > ~1e-12 "
                            "fails). Scratch run: z-scores 0.03-2.0, identity errors ~1e-16")),
    failure_prob=1e-3, dtype="float64", tags=("sanity", "exact"), kind="sanity",
    notes=("Checks the identity used by footnote 5 on the network's own first pre-activation g_{i,1} and that "
           "the implied bias has variance 1/m (z-score of the chi-square statistic). In distribution only: a "
           "z-score is a sanity check of the initialisation, not a proof."),
))


# ============================================================================ (4.1)

C41_UP = 1.5
_REGIME_41 = (IntParam("m", 256, 1024, log=True, limit="width"), IntParam("L", 2, 10, limit="seq_len"),
              IntParam("n", 1, 8, limit="n"), IntParam("d_x", 2, 16), Choice("rest_norm", (1.0, 0.0, 0.5)),
              Choice("shared_tail", (False, True)))

FWD41 = register(Claim(
    id="AZLS-RNN/(4.1)",
    title="Forward norms neither explode nor vanish: 1/2 <= ||h||, ||g|| <= O(L)",
    source=_src("eq. (4.1), Sec. 4", "Appendix B (not in file)"),
    statement_tex=r"\tfrac12\le \|h_{i,\ell}\|_2,\ \|g_{i,\ell}\|_2 \le O(L)\quad\forall i,\ell",
    family=FAMILY,
    regime=_REGIME_41,
    measure=functools.partial(_m.measure_41, c_up=C41_UP),
    bound=Bound("upper", _one, 1.0, shape_tex=r"\max\big(\tfrac{\max\|\cdot\|}{c L},\ \tfrac{1/2}{\min\|\cdot\|}\big)\le 1",
                provenance=("lower constant 1/2 explicit in paper; upper c = 1.5 calibrated: scratch run at "
                            "m = 128 max ||.||/L <= 1.22 (L = 2, d_x = 16) and <= 1.06 (L = 10, d_x = 2), "
                            "x 1.25 margin")),
    failure_prob=0.05, dtype="float32", tags=("forward", "init"),
    scalings=(Scaling("L", 1.0, "at_most", grid={"quick": (2, 4, 8), "ci": (2, 4, 6, 10), "thorough": (2, 4, 8, 16, 32)},
                      base={"m": 512, "n": 4, "d_x": 8, "rest_norm": 1.0, "shared_tail": False},
                      series="max_norm", note="O(L) upper bound; [D] expect about sqrt(L)"),),
    notes=("value = max(max_{i,l} ||.|| / (c L), (1/2) / min_{i,l} ||.||) over h and g: <= 1 iff both sides of "
           "(4.1) hold. Zero tokens for l >= 2 (rest_norm = 0) are where the lower bound 1/2 is most at risk. "
           "Regime m >= 256: at m = 128, L = 10, d_x = 2, zero tokens the scratch run found min ||h|| = 0.16 "
           "(the w.h.p. statement needs m >= poly(L); m/L^2 ~ 1 there). The fitted L-exponent of max ||.|| "
           "(about 1/2, i.e. sqrt(L) growth as ||h_l||^2 ~ ||h_{l-1}||^2 + ||x_l||^2) is reported: O(L) is loose."),
))


# ============================================================================ (4.2)

FRESH42 = register(Claim(
    id="AZLS-RNN/(4.2)",
    title="Fresh randomness per layer: Gram-Schmidt residual >= Omega~(1/L^2)",
    source=_src("eq. (4.2), Sec. 4"),
    statement_tex=r"\|(I-U_{\ell-1}U_{\ell-1}^\top)h_{i,\ell}\|_2\ge\tilde\Omega(1/L^2),\ U_\ell=\mathrm{GS}(h_{1,1},\dots,h_{n,\ell})",
    family=FAMILY,
    regime=(IntParam("m", 128, 1024, log=True, limit="width"), IntParam("L", 2, 10, limit="seq_len"),
            IntParam("n", 1, 8, limit="n"), IntParam("d_x", 2, 16), Choice("rest_norm", (1.0, 0.0, 0.5)),
            Choice("shared_tail", (False, True))),
    measure=_m.measure_42,
    bound=Bound("lower", lambda p: 1.0 / p["L"] ** 2, 1.0, shape_tex=r"1/L^2",
                provenance=("calibrated: scratch run at L = 2, m = 128 (smallest size): min residual 0.70-0.93 "
                            "over 16 trials, i.e. c ~ 2.8; c = 1 (margin 2.8); polylog(m) factor dropped")),
    failure_prob=0.05, dtype="float64", tags=("forward", "init"),
    scalings=(Scaling("L", -2.0, "at_least", grid={"quick": (2, 4, 8), "ci": (2, 4, 6, 10), "thorough": (2, 4, 8, 16, 32)},
                      base={"m": 512, "n": 4, "d_x": 4, "rest_norm": 1.0, "shared_tail": False},
                      note="decays no faster than L^-2"),),
    notes=("U_{l-1} spans all h_{j,a}, a < l (n(l-1) columns; needs m >= nL). Computed exactly from one QR of "
           "[h_{.,1},...,h_{.,L}]: the residual of column j after the first p columns is ||R[p:j+1, j]||. "
           "[D] in the scratch run the residual is an O(1) fraction of ||h|| (>= 0.07 even for m = 128, L = 10, "
           "zero tokens, d_x = 2), so 1/L^2 is very loose; the fitted L-exponent is reported."),
))


# ============================================================================ (4.3)

SEP43 = register(Claim(
    id="AZLS-RNN/(4.3)",
    title="Separability of first tokens propagates: projected residuals stay delta/2-separable",
    source=_src("eq. (4.3), Sec. 4; Assumption 2.1"),
    statement_tex=(r"(I-U_\ell U_\ell^\top)h_{i,\ell+1},\ (I-U_\ell U_\ell^\top)h_{j,\ell+1}\ \text{are }"
                   r"\tfrac{\delta}{2}\text{-separable}\ \forall i\ne j,\ \ell"),
    family=FAMILY,
    regime=(IntParam("m", 512, 1024, log=True, limit="width"), IntParam("L", 2, 10, limit="seq_len"),
            IntParam("n", 2, 8, limit="n"), IntParam("d_x", 3, 16), FloatParam("delta", 0.01, 0.3, log=True),
            Choice("rest_norm", (1.0, 0.0))),
    measure=_m.measure_43,
    bound=Bound("lower", _one, 0.5, shape_tex=r"1/2",
                provenance="explicit in paper (delta/2)"),
    failure_prob=0.05, dtype="float64", tags=("forward", "separation", "init"),
    notes=("Worst case of Asm. 2.1: sequences identical except the first token (shared tail), and first tokens "
           "with the pair (0, 1) at distance exactly delta (data.close_pair_inputs), so delta is the attained "
           "minimum. x, y are delta-separable iff ||(I - yy^T/||y||^2)x|| >= delta and vice versa (both orders "
           "are checked). value = min_{i != j, l} sep / delta. The paper assumes WLOG delta <= 1/(C L^2 log^3 m) "
           "(one may decrease delta); we test larger delta, which is the harder reading. Regime m >= 512: at "
           "m = 128 the scratch run found ratios down to 0.27 (L = 10, zero tokens), i.e. m below the theorem's "
           "poly(L) requirement."),
))


# ============================================================================ (4.4) family

C44 = 1.0
_REGIME_44 = (IntParam("m", 64, 256, log=True, limit="width"), IntParam("L", 2, 10, limit="seq_len"),
              IntParam("n", 1, 4, limit="n"), IntParam("d_x", 2, 16), Choice("rest_norm", (1.0, 0.0)))

INTER44 = register(Claim(
    id="AZLS-RNN/(4.4)",
    title="Intermediate spectral norm ||W D W ... D W||_2 <= O(L^3)",
    source=_src("eq. (4.4), Sec. 4"),
    statement_tex=r"\|W D_{i,\ell_1}W\cdots D_{i,\ell_2}W\|_2\le O(L^3)\quad\forall\,\ell_1\ge\ell_2",
    family=FAMILY,
    regime=_REGIME_44,
    measure=_m.measure_44,
    bound=Bound("upper", lambda p: float(p["L"]) ** 3, C44, shape_tex=r"L^3",
                provenance=("calibrated: scratch run at L = 2 (smallest size): max norm 4.8-6.1 (m = 128), "
                            "5.2-5.5 (m = 512); c L^3 = 8 at L = 2 (margin 1.3)")),
    failure_prob=0.05, dtype="float32", tags=("spectral", "init"),
    scalings=(Scaling("L", 3.0, "at_most", grid={"quick": (2, 4, 8), "ci": (2, 4, 6, 10), "thorough": (2, 4, 8, 16, 32)},
                      base={"m": 128, "n": 1, "d_x": 4, "rest_norm": 1.0}, note="L^3 claimed; expect ~ L^0.4"),),
    notes=("[R] the product is read as alternating W D_{l1} W D_{l1-1} ... W D_{l2} W (k = l1 - l2 + 1 masks, "
           "k + 1 copies of W). Intervals: all starting at l2 = 1 and all ending at l1 = L (2L - 1 of the "
           "L(L+1)/2; norms grow with k, so the longest intervals dominate), sequence i = 0, exact spectral norm "
           "(eigvalsh of the float64 Gram of the dense product). extras['k_slope'] is the per-trial fitted exponent of "
           "the max norm in the interval length k (scratch: 0.2-0.5). A single D W has norm ~1 + sqrt2 ~ 2.41 "
           "(not sqrt2 as the text says, CLAIMS.md Intuition (v)); W D W ~ 4.2. The L^3 bound is very loose."),
))

FIXEDZ = register(Claim(
    id="AZLS-RNN/(4.4)-fixed-z",
    title="Proof step of (4.4): ||W D ... D W z|| <= O(1) for fixed z and for all m/L^3-sparse z",
    source=_src("Sec. 4, proof sketch of (4.4)"),
    statement_tex=(r"\|WD_{i,\ell_1}\cdots D_{i,\ell_2}Wz\|_2\le O(1)\|z\|\ \text{for fixed }z"
                   r"\ (\text{w.p. }1-e^{-\Omega(m/L^2)})\text{ and for all } \tfrac{m}{L^3}\text{-sparse } z"),
    family=FAMILY,
    regime=_REGIME_44,
    measure=_m.measure_44z,
    bound=Bound("upper", _one, 6.0, shape_tex="O(1)",
                provenance="calibrated: see notes (scratch run at L = 2, m = 64..512), margin >= 1.5"),
    quantifier="forall", adversary=("truncated power method over m/L^3-sparse unit z (linalg."
                                    "sparse_spectral_norm_lower_bound, 4 random + 2 informed restarts, 15 rounds); "
                                    "the fixed random z is extras['fixed_z']"),
    failure_prob=0.05, dtype="float32", tags=("spectral", "sparse", "init"),
    scalings=(Scaling("L", 0.0, "at_most", tolerance=0.25,
                      grid={"quick": (2, 4, 8), "ci": (2, 4, 6, 10), "thorough": (2, 4, 8, 16, 32)},
                      base={"m": 512, "n": 1, "d_x": 4, "rest_norm": 1.0}, series="fixed_z",
                      note="O(1) for a fixed z: no growth in L (tolerance 0.25 for finite-m drift); at m = 512"),),
    notes=("value = max(fixed-z ratio, sparse sup). For a fixed z independent of W the ratio stays ~sqrt2 "
           "(each D W halves the energy, W doubles it). The sparse sup with s = floor(m/L^3) (>= 1) is a certified "
           "lower bound of the true sup (NP-hard), so a fail is real, a pass is only evidence. The L sweep runs at "
           "m = 512 (m = 128 until 2026-12-05): at m = 128 the fixed-z ratio drifts up with L (slope 0.13-0.14 "
           "under quick and ci, seeds 0-1, 64 trials per grid point), a finite-m effect the anytime exponent rule "
           "cannot tell from L^{1/6}; at m = 512 the slope is 0.04-0.09 (same seeds, passed at 8 trials). The "
           "claimed exponent 0 is unchanged."),
))

_REM_STRICT_NOTE = ("Remark 4.1 conjectures an O(1) bound for (4.4). Measured (scratch, m = 512, 1024): the max "
                    "interval norm grows like L^0.3-0.5 (5.3 at L = 2 to 10.8 at L = 10), the random-matrix "
                    "sqrt(k) heuristic. Read as an L-uniform SPECTRAL bound the conjecture is rejected (the "
                    "variant REM41_STRICT, exponent 0, fails: tests/test_catalog_azls_rnn.py); O(1) does hold "
                    "for fixed vectors ((4.4)-fixed-z). Because the pytest plugin gates on every 'fail', the "
                    "registered claim checks the measurable trend instead: growth at most like L^{1/2} "
                    "(with a 0.15 tolerance), and reports the fitted exponent.")

REM41 = register(Claim(
    id="AZLS-RNN/Rem4.1",
    title="Conjecture (Remark 4.1): O(1) bound for (4.4) -- checked as its measurable trend (<= L^{1/2})",
    source=_src("Remark 4.1", "a conjecture of the authors, not a theorem"),
    statement_tex=(r"\text{conjectured: }\|WD_{i,\ell_1}\cdots D_{i,\ell_2}W\|_2\le O(1);\ "
                   r"\text{checked: growth in }L\text{ at most }L^{1/2}"),
    family=FAMILY,
    regime=(IntParam("m", 256, 384, log=True, limit="width"),) + _REGIME_44[1:],
    measure=_m.measure_44,
    bound=Bound("upper", lambda p: math.sqrt(p["L"]), 6.0, shape_tex=r"\sqrt{L}",
                provenance=("calibrated: scratch max norm 6.1 at L = 2 (m = 128) -> 6.1/sqrt2 = 4.3, margin 1.4; "
                            "at L = 10, m = 512: 10.8 <= 6 sqrt10 = 19")),
    failure_prob=0.05, dtype="float32", tags=("spectral", "conjecture", "init"), kind="conjecture",
    scalings=(Scaling("L", 0.5, "at_most", tolerance=0.15,
                      grid={"quick": (2, 4, 8), "ci": (2, 4, 6, 10), "thorough": (2, 4, 8, 16, 32)},
                      base={"m": 256, "n": 1, "d_x": 4, "rest_norm": 1.0},
                      note="measured trend; the conjecture itself is exponent 0 (REM41_STRICT)"),),
    notes=_REM_STRICT_NOTE,
))

#: The conjecture read literally (exponent 0 in L, constant from L = 2): expected to FAIL -- a finding,
#: not a bug. Not registered (the CI gate fails on any 'fail'); exercised by the test suite.
REM41_STRICT = dataclasses.replace(
    REM41, id="AZLS-RNN/Rem4.1-strict", title="Conjecture (Remark 4.1) read literally: O(1), L-uniform",
    statement_tex=r"\|WD_{i,\ell_1}\cdots D_{i,\ell_2}W\|_2\le C\ \text{uniformly in }L",
    bound=Bound("upper", _one, 6.5, shape_tex="C",
                provenance="calibrated: max norm 6.1 at L = 2, m = 128 (scratch), margin 1.07"),
    scalings=(Scaling("L", 0.0, "at_most", grid={"quick": (2, 4, 8), "ci": (2, 4, 6, 10), "thorough": (2, 4, 8, 16, 32)},
                      base={"m": 128, "n": 1, "d_x": 4, "rest_norm": 1.0}),))

_REGIME_45 = (IntParam("m", 64, 256, log=True, limit="width"), IntParam("L", 2, 10, limit="seq_len"),
              IntParam("n", 1, 4, limit="n"), IntParam("d_x", 2, 16), IntParam("s", 1, 24, log=True),
              IntParam("d", 1, 4))

SPARSE45 = register(Claim(
    id="AZLS-RNN/(4.5)",
    title="Sparse intermediate norm ||D' W D ... D W D'||_2 <= O~(sqrt(s/m))",
    source=_src("eq. (4.5), Sec. 4"),
    statement_tex=r"\|D'WD_{i,\ell_1}\cdots D_{i,\ell_2}WD'\|_2\le\tilde O(\sqrt{s}/\sqrt{m}),\ \|D'\|_0\le s",
    family=FAMILY,
    regime=_REGIME_45,
    measure=_m.measure_45,
    bound=Bound("upper", lambda p: math.log(p["m"]), 9.0, shape_tex=r"\log m\ (\text{for }\sqrt{m/s}\,\|\cdot\|)",
                provenance=("calibrated over the whole regime (c = 3.0, from m = 64, s = 1, L = 2 alone, failed "
                            "5/16 at m = 64, L = 8, s = 3): scratch sweep of value/log m, 306 points, 25k trials "
                            "(K = 64 per point, 256-384 at the worst): corners m in {64, 128, 256} x L in {2, 6, 10} x "
                            "n in {1, 4} x d_x in {2, 16} x s in {1, 3, 8, 24} (+ d = 4), and the grid m in {64, 90, "
                            "128, 181, 256, 362, 512} x L in {2, 4, 6, 8, 10}. The worst corner is smallest m, largest L "
                            "(s, n, d_x, d matter little): per-point 95th percentile up to 6.81 at m = 64, L = 10 "
                            "(K = 256; pooled m = 64, L = 10: q95 6.43, q99 10.2, max 50 in one trial); m = 64, L = 8, "
                            "s = 3: q95 4.67; pooled q95 at L = 10: 6.1 / 4.0 / 3.2 for m = 64 / 128 / 256; at L = 2: "
                            "<= 2.2 for every m. c = 9.0 = 1.32 x 6.81: worst per-point violation rate 3% (P(>= 5 of 16) "
                            "~1e-4), overall 0.25%")),
    quantifier="forall", adversary="truncated power method over s-sparse supports on both sides (4 random + 2 informed starts, 20 rounds)",
    failure_prob=0.05, dtype="float32", tags=("spectral", "sparse", "init"),
    scalings=(Scaling("s", 0.5, "report", grid={"quick": (1, 4, 16), "ci": (1, 2, 4, 8, 16), "thorough": (1, 4, 16, 64)},
                      base={"m": 256, "L": 4, "n": 1, "d_x": 4, "d": 1}, series="raw",
                      note=("reported, not gated: s in [1, 16] lies below the paper's (empty) range [rho^2, m^0.49]; "
                            "scratch ci: slope 0.62, 99.8% CI [0.59, 0.65] > 1/2")),),
    notes=("value = sqrt(m/s) x (certified lower bound of the s-sparse norm, max over intervals); the polylog of "
           "O~ is taken as log m. The stated sparsity range s in [rho^2, m^0.49] is EMPTY at CPU sizes (rho^2 > "
           "m^0.49), so s in [1, 24] is tested as a trend (CLAIMS.md). [D] a random-like matrix gives about "
           "sqrt(s log(m/s)/m). FINDING (scratch ci): the raw sparse norm grows like s^0.62 (CI [0.59, 0.65]) for s in "
           "[1, 16] at m = 256, faster than sqrt(s) -- outside the paper's sparsity range, so not a contradiction, but "
           "the sqrt(s) shape is not what small s shows. FINDING (calibration sweep): value/log m is not L-uniform -- its "
           "median grows from 1.3 to 2.1 for L = 2..10 at m = 256 (about L^0.3), and the upper tail widens as L/m "
           "grows (q95 2.2 -> 6.4 for L = 2 -> 10 at m = 64). The paper's O~ hides only polylog(m) in (4.5), but the "
           "quantitative form (AZL-RNN Lemma B.1j: O(sqrt(s rho/m)), rho = 100 L d log m there) carries L, and m >= poly(L) "
           "(Asm. 2.4 with delta <= 1/(C L^2 log^3 m)) fails at every CPU point, so no corner of the regime is "
           "singled out: the regime is kept (m >= 64) and c is calibrated on its worst corner (m = 64, L = 10). "
           "The price: the bound is about 7x above the median at m = 256, L = 2."),
))

SPARSE46 = register(Claim(
    id="AZLS-RNN/(4.6)",
    title="Sparse backward norm ||B D W ... D W D'||_2 <= O~(sqrt s)",
    source=_src("eq. (4.6), Sec. 4"),
    statement_tex=r"\|BD_{i,\ell_1}W\cdots D_{i,\ell_2}WD'\|_2\le\tilde O(\sqrt{s}),\ \|D'\|_0\le s",
    family=FAMILY,
    regime=_REGIME_45,
    measure=_m.measure_46,
    bound=Bound("upper", lambda p: math.log(p["m"]), 1.5, shape_tex=r"\log m\ (\text{for }\|\cdot\|/\sqrt{s})",
                provenance=("calibrated: scratch ci run (constant 1): max value/log m 1.01, reached at the small "
                            "end of the regime (s = 1); c = 1.5 (margin 1.5)")),
    quantifier="forall", adversary="truncated power method over s-column supports (s_left = d)",
    failure_prob=0.05, dtype="float32", tags=("backward", "sparse", "init"),
    scalings=(Scaling("s", 0.5, "at_most", grid={"quick": (1, 4, 16), "ci": (1, 2, 4, 8, 16), "thorough": (1, 4, 16, 64)},
                      base={"m": 256, "L": 4, "n": 1, "d_x": 4, "d": 1}, series="raw"),),
    notes=("[R] read as alternating like (4.4): B D_{l1} W D_{l1-1} ... D_{l2} W D'. value = (sparse norm lower "
           "bound, max over intervals)/sqrt(s) with the O~ polylog taken as log m. [D] about (1 + sqrt(s/d))/sqrt(s):"
           " loose by sqrt(d)."),
))


# ============================================================================ Section 5: (5.1a)-(5.1c)

_REGIME_51 = (IntParam("m", 64, 256, log=True, limit="width"), IntParam("L", 2, 6, limit="seq_len"),
              IntParam("n", 1, 4, limit="n"), Choice("d_x", (4, 16)), FloatParam("Delta", 0.25, 2.0, log=True),
              Choice("rest_norm", (1.0, 0.5)))
_M_GRID_51 = {"quick": (64, 128, 256), "ci": (64, 128, 256), "thorough": (128, 256, 512, 1024, 2048)}
_D_GRID_51 = {"quick": (0.25, 0.5, 1.0, 2.0), "ci": (0.25, 0.5, 1.0, 2.0), "thorough": (0.125, 0.25, 0.5, 1.0, 2.0)}
_BASE_51_M = {"L": 4, "n": 4, "d_x": 4, "Delta": 1.0, "rest_norm": 1.0}
_BASE_51_D = {"m": 256, "L": 4, "n": 4, "d_x": 4, "rest_norm": 1.0}
_ADV_51 = ("worst over: the CLAIMS.md section-0 targeted rank-one construction (perturb.targeted_sign_flip) aimed "
           "at the smallest |g~| coordinates of sample 0 at every step l* = 2..L (max-count version and the s = 1 "
           "max-magnitude version), and projected gradient ascent of sum ||g'||^2 over the rank-one members "
           "Delta/sqrt(m) u v^T of the spectral ball (4 alternating power steps); ||W'||_2 <= Delta/sqrt(m). A random "
           "Gaussian W' of the same spectral norm is measured beside (extras random_*)")
_NOTE_51 = ("ADV: W = W~ + W', ||W'||_2 <= Delta/sqrt m (the paper's poly(varrho)/sqrt m; Sec. 5 hides poly(varrho), "
            "hence the L-polynomial shapes, cf. the quantitative AZL-RNN/F.1). Delta <= 2 keeps ||W'||_2 <= 1/4 at "
            "m = 64: at Delta = 4, m = 64 (||W'|| = 1/2, far outside the theorem's regime) the scratch run found the "
            "forward change 1.3x larger than the trend. The same cached measurement serves (5.1a), (5.1b), (5.1c). "
            "A pass shows no adversary of this family beats the bound; it cannot show that no W' does. ")


def _c51(key):
    return _m.pick("51", _m.measure_51, key)


FWD51A = register(Claim(
    id="AZLS-RNN/(5.1a)",
    title="Forward stability after an adversarial perturbation: ||g'||, ||h'|| <= O(m^{-1/2})",
    source=_src("eq. (5.1), first part, Sec. 5", "Appendix C (not in file); quantitative: AZL-RNN Lemma F.1(a)"),
    statement_tex=(r"\|W'\|_2\le\tfrac{\Delta}{\sqrt m}\ \Rightarrow\ \|g'_{i,\ell}\|_2,\ \|h'_{i,\ell}\|_2\le "
                   r"O(m^{-1/2})\ (\text{poly}(\varrho)\text{ hidden}),\quad g'_{\ell'}=W'D_{\ell'-1}g_{\ell'-1}"
                   r"+\tilde WD'_{\ell'-1}g_{\ell'-1}+\tilde W\tilde D_{\ell'-1}g'_{\ell'-1}"),
    family=FAMILY,
    regime=_REGIME_51,
    measure=_c51("a"),
    bound=Bound("upper", lambda p: float(p["L"]) ** 3, 0.3, shape_tex=r"L^3\ (\text{for }\sqrt m\max(\|g'\|,\|h'\|)/\Delta)",
                provenance=("calibrated: scratch run at m = 64 (smallest width), K = 16, all corners L in {2,4,6}, "
                            "Delta in {0.25, 2}, d_x in {4,16}, rest_norm in {1, 0.5}: max sqrt(m)||h'||/(Delta L^3) = "
                            "0.153 (L = 2), 0.106 (L = 4), 0.10 (L = 6); c = 0.3 (margin 2 at L = 2)")),
    quantifier="forall", adversary=_ADV_51,
    failure_prob=0.05, dtype="float64", tags=("perturbation", "adversarial", "forward"),
    scalings=(Scaling("m", 0.0, "at_most", _M_GRID_51, base=_BASE_51_M, tolerance=0.15,
                      note="O(m^{-1/2}) for ||h'||: sqrt(m)||h'||/Delta must not grow with m"),
              Scaling("Delta", 0.0, "at_most", _D_GRID_51, base=_BASE_51_D, tolerance=0.15,
                      note="linear in Delta: ||h'||/Delta must not grow with Delta")),
    notes=(_NOTE_51 + "value = sqrt(m) max_{i,l}(||g'||, ||h'||)/Delta + 1e10 x (relative error of the EXACT recursion "
           "g'_l = W'D_{l-1}g_{l-1} + W~D'_{l-1}g_{l-1} + W~D~_{l-1}g'_{l-1} stated after (5.1), checked on the "
           "gradient-ascent W'; scratch errors ~1e-14, so any error > ~1e-11 fails). The best adversary here is the "
           "gradient ascent (extras a_pgd); it beats a random W' by 2-6x (extras random_a). Finding (scratch): "
           "the adversarial forward change grows like L^2-L^2.4 in the sequence length (a poly(varrho) factor the "
           "paper hides), with no m-dependence."),
))

FLIP51B = register(Claim(
    id="AZLS-RNN/(5.1b)",
    title="Sparsity of sign changes after an adversarial perturbation: ||D'||_0 <= O(Delta^{2/3} m^{2/3})",
    source=_src("eq. (5.1), second part, Sec. 5", "quantitative: AZL-RNN Lemma F.1(b), O(rho^4 Delta^{2/3} m^{2/3})"),
    statement_tex=r"\|W'\|_2\le\tfrac{\Delta}{\sqrt m}\ \Rightarrow\ \|D'_{i,\ell}\|_0\le O(\Delta^{2/3}m^{2/3})",
    family=FAMILY,
    regime=_REGIME_51,
    measure=_c51("b"),
    bound=Bound("upper", _one, 2.5, shape_tex=r"1\ (\text{for }\max\|D'\|_0/(\Delta m)^{2/3})",
                provenance=("calibrated: scratch run at m = 64 (smallest width), K = 16, the corners of L, Delta, d_x, "
                            "rest_norm: max flips/(Delta m)^{2/3} = 1.26; c = 2.5 (margin 2). [H] the targeted "
                            "construction predicts (3/pi)^{1/3} ~ 0.98 (CALIBRATION.md)")),
    quantifier="forall", adversary=_ADV_51,
    failure_prob=0.05, dtype="float64", tags=("perturbation", "adversarial", "sign-changes"),
    scalings=(Scaling("m", 2 / 3, "at_most", _M_GRID_51, base=_BASE_51_M, series="flips", tolerance=0.1,
                      note="adversarial flips: the m^{2/3} exponent (targeted construction saturates it [H])"),
              Scaling("Delta", 2 / 3, "at_most", _D_GRID_51, base=_BASE_51_D, series="flips", tolerance=0.1,
                      note="adversarial flips: the Delta^{2/3} exponent"),
              Scaling("m", 0.5, "report", _M_GRID_51, base=_BASE_51_M, series="random_flips",
                      note="random W' of the same norm: about Delta sqrt(m) [H]; reported beside"),
              Scaling("m", 1 / 6, "at_least", _M_GRID_51, base=_BASE_51_M, series="adv_over_random_flips",
                      tolerance=0.1,
                      note=("adversary power check: adversarial/random flips must grow with m (2/3 - 1/2 = 1/6 "
                            "predicted); a fail here means the adversary lost its edge and the check went weak"))),
    notes=(_NOTE_51 + "value = max_{i,l} ||D'_{i,l}||_0 / (Delta m)^{2/3} (D' = sign changes vs W~). The targeted "
           "construction supplies the count (extras flips_targeted); a random W' of the same norm flips 4-8x fewer "
           "(extras random_flips; m-exponent about 1/2 or less, Delta-exponent about 1): random perturbations cannot "
           "show the 2/3 law. Both fitted m-exponents (adversarial 'flips', random 'random_flips') are in the "
           "result's scalings / stats.fitted_exponents. Scratch (K = 16, L = 6, Delta = 1): mean adversarial flips "
           "12.4, 20.0, 30.6, 49.7, 78.8 at m = 64..1024 (slope 0.667), random 3.3, 4.2, 5.3, 7.2, 8.8 (slope 0.35)."),
))

MAG51C = register(Claim(
    id="AZLS-RNN/(5.1c)",
    title="Magnitude on flipped coordinates after an adversarial perturbation: ||D' g||_2 <= O(m^{-1/2})",
    source=_src("eq. (5.1), third part, Sec. 5", "flipped coordinates satisfy |g_k| <= |g'_k| (AZL-RNN proof of E.1)"),
    statement_tex=r"\|W'\|_2\le\tfrac{\Delta}{\sqrt m}\ \Rightarrow\ \|D'_{i,\ell}g_{i,\ell}\|_2\le O(m^{-1/2})",
    family=FAMILY,
    regime=_REGIME_51,
    measure=_c51("c"),
    bound=Bound("upper", lambda p: float(p["L"]) ** 2, 0.6, shape_tex=r"L^2\ (\text{for }\sqrt m\max\|D'g\|/\Delta)",
                provenance=("calibrated: scratch run at m = 64, K = 16, corners as (5.1a): max sqrt(m)||D'g||/(Delta L^2) "
                            "= 0.30 (L = 2), 0.15 (L = 4), 0.34 (L = 6, Delta = 2); c = 0.6 (margin 2 at L = 2)")),
    quantifier="forall", adversary=_ADV_51,
    failure_prob=0.05, dtype="float64", tags=("perturbation", "adversarial", "sign-changes"),
    scalings=(Scaling("m", 0.0, "at_most", _M_GRID_51, base=_BASE_51_M, tolerance=0.15,
                      note="O(m^{-1/2}): sqrt(m)||D'g||/Delta must not grow with m"),
              Scaling("Delta", 0.0, "at_most", _D_GRID_51, base=_BASE_51_D, tolerance=0.15,
                      note="||D'g|| <= ||g'|| = O(Delta/sqrt m)")),
    notes=(_NOTE_51 + "value = sqrt(m) max_{i,l} ||D'_{i,l} g_{i,l}||/Delta with g the PERTURBED pre-activation "
           "(D'g is zero off the flipped set). The s = 1 targeted construction (whole norm on the smallest |g~_k|) "
           "pushes one coordinate about Delta ||h||/sqrt m past zero; later steps add the amplified g'."),
))


# ============================================================================ Sec. 5 proof steps

C_S5_COUNT, C_S5_MAG = 6.0, 2.0

S5STEP1 = register(Claim(
    id="AZLS-RNN/S5-step1",
    title="Sec. 5 step (1): l2-small plus inf-small perturbation of g~ flips O(m^{2/3}) signs, ||D'g|| = O(m^{-1/2})",
    source=_src("Sec. 5, step (1) of the proof sketch of (5.1)"),
    statement_tex=(r"\|g'_1\|_2\le m^{-1/2},\ \|g'_2\|_\infty\le m^{-1}\ \Rightarrow\ \|D'g\|_2\le O(m^{-1/2}),\ "
                   r"\|D'g\|_0\le O(m^{2/3})"),
    family=FAMILY,
    regime=(IntParam("m", 64, 1024, log=True, limit="width"), IntParam("L", 2, 10, limit="seq_len"),
            IntParam("n", 1, 4, limit="n"), Choice("d_x", (4, 16)), Choice("rest_norm", (1.0, 0.0, 0.5))),
    measure=functools.partial(_m.measure_s5_step1, c_count=C_S5_COUNT, c_mag=C_S5_MAG),
    bound=Bound("upper", _one, 1.0,
                shape_tex=r"\max\big(\tfrac{\max\#\mathrm{flips}}{c_1m^{2/3}},\ \tfrac{\sqrt m\max\|D'g\|}{c_2}\big)\le 1",
                provenance=("calibrated: scratch run at m = 64 (smallest width), K = 16: max flips/m^{2/3} = 3.94 "
                            "(L = 10, zero tokens), 1.69 (L = 2); max sqrt(m)||D'g|| = 1.43; c_1 = 6 (margin 1.5), "
                            "c_2 = 2 (margin 1.4)")),
    quantifier="forall", adversary=("EXACT optimum over all admissible g' = g'_1 + g'_2 (sort |g~|; g'_2 = -sign(g~)/m "
                                    "is free; greedy prefix of the costs ((|g~_k| - 1/m)_+)^2 under the l2 budget "
                                    "1/m; max ||D'g|| = m^{-1/2} + ||(1/m - |g~|)_+||, by Cauchy-Schwarz)"),
    failure_prob=0.05, dtype="float64", tags=("perturbation", "adversarial", "sign-changes", "exact-optimum"),
    scalings=(Scaling("m", 2 / 3, "at_most", {"quick": (64, 128, 256, 512), "ci": (64, 128, 256, 512, 1024),
                                               "thorough": (64, 256, 1024, 4096, 8192)},
                      base={"L": 4, "n": 4, "d_x": 4, "rest_norm": 1.0}, series="flips", tolerance=0.05,
                      note="exact worst case ~ c sqrt(m) (inf part) + C m^{2/3} (l2 part) [D]"),
              Scaling("m", 0.5, "report", {"quick": (64, 128, 256, 512), "ci": (64, 128, 256, 512, 1024),
                                            "thorough": (64, 256, 1024, 4096, 8192)},
                      base={"L": 4, "n": 4, "d_x": 4, "rest_norm": 1.0}, series="flips_inf_only",
                      note="flips by the inf-small part alone (|g~_k| <= 1/m): about c sqrt(m)")),
    notes=("g~ = the network's own pre-activations g~_{i,l} at initialization (all i, l; max over them). The worst case "
           "over the admissible set is computed EXACTLY (not searched), so a pass is a statement about every g'. "
           "Scratch: flips 22.6, 35.9, 52.2, 82.0, 124.4 at m = 64..1024 (slope 0.62 < 2/3: the sqrt(m) inf-part "
           "contributes at small m); sqrt(m)||D'g|| = 1 + o(1). Zero tokens (rest_norm 0) give smaller ||g|| at late "
           "steps, a higher density of g~ near 0 and more flips (the largest values)."),
))


# ============================================================================ footnote 9

FN9 = register(Claim(
    id="AZLS-RNN/fn9",
    title="Separation is necessary (footnote 9): identical inputs with different targets keep f above a floor",
    source=_src("footnote 9", "typo: the text has y*_{i,l} != y*_{i,l}; read y*_{i,l} != y*_{j,l}"),
    statement_tex=(r"x_{0,\ell}=x_{1,\ell}\ \forall\ell\ \Rightarrow\ f(W)\ge\tfrac14\sum_{\ell\ge2}"
                   r"\|y^*_{0,\ell}-y^*_{1,\ell}\|^2\quad\forall W"),
    family=FAMILY,
    regime=(IntParam("m", 32, 128, log=True, limit="width"), IntParam("L", 2, 6, limit="seq_len"),
            IntParam("n", 2, 4, limit="n"), IntParam("d", 1, 3), Choice("d_x", (4,)), Choice("steps", (10,))),
    measure=_m.measure_fn9,
    bound=Bound("upper", _one, 1.0 + 1e-9, shape_tex="1",
                provenance="EXACT (explicit): (a - y0)^2 + (a - y1)^2 >= (y0 - y1)^2/2; 1e-9 rounding allowance"),
    quantifier="forall", adversary="the GD trajectory (10 steps, eta = 0.1/m) from W~, which drives f toward the floor",
    failure_prob=0.0, dtype="float64", tags=("exact", "separation", "sanity"), kind="sanity",
    notes=("Footnote 9 read as an exact statement [D]: with x_0 = x_1 token by token, h_{0,l} = h_{1,l} for every W, "
           "so f >= f_0 + f_1 >= 1/4 sum_l ||y*_{0,l} - y*_{1,l}||^2 and the objective cannot reach 0 (why Asm. 2.1 "
           "is needed). value = max over the recorded GD iterates of floor/f; GD approaches the floor (scratch: "
           "final f/floor 1.04-4.6 after 30 steps at eta = 0.05/m), so tightness near 1 means the floor is attained, not violated. "
           "The paper says 'the first ten layers'; we make ALL L <= 6 tokens equal (the first ten when L >= 10)."),
))


# ============================================================================ Theorem 3

_REGIME_T3 = (IntParam("m", 64, 128, log=True, limit="width"), IntParam("L", 2, 6, limit="seq_len"),
              IntParam("n", 2, 4, limit="n"), Choice("d", (1, 2)), Choice("d_x", (4,)),
              FloatParam("delta", 0.1, 0.5, log=True), FloatParam("Delta", 0.25, 2.0, log=True),
              Choice("rest_norm", (1.0, 0.0)))
_ADV_T3 = ("worst over the ball ||W - W~||_2 <= Delta/sqrt m at three points (W~; the "
           "targeted sign-flip point of (5.1b); the rank-one forward-ascent point of (5.1a)) and over ALL targets "
           "y* in closed form (the residual along the extreme eigenvector of the output Gram J J^T)")
_NOTE_T3 = ("J = Jacobian of the trained outputs B h_{i,l}, l = 2..L, from Fact 2.5 (dense, K x n(L-1)d x m^2). For "
            "f = 1/2||r||^2, grad f = J^T r, so min/max over the labels of ||grad f||_F^2/(m f) are 2 lambda_min/max"
            "(J J^T)/m exactly -- the labels are adversarial, not sampled. Data: the worst case of Asm. 2.1 "
            "(sequences equal except the first token, the pair (0, 1) at first-token distance exactly delta). The "
            "ball adversary is a handful of points, not a search: a pass is evidence, not proof. ")

T3_LOWER = register(Claim(
    id="AZLS-RNN/Thm3-lower",
    title="Theorem 3 (PL): ||grad f(W)||_F^2 >= (delta/poly(rho)) m f(W) near initialization",
    source=_src("Theorem 3, first inequality"),
    statement_tex=(r"\forall W:\ \|W-\tilde W\|_2\le\tfrac{\mathrm{poly}(\varrho)}{\sqrt m}:\ "
                   r"\|\nabla f(W)\|_F^2\ge\tfrac{\delta}{\mathrm{poly}(\rho)}\,m\,f(W)"),
    family=FAMILY,
    regime=_REGIME_T3,
    measure=_m.pick("thm3", _m.measure_thm3, "lower"),
    bound=Bound("lower", lambda p: p["delta"], 0.003, shape_tex=r"\delta\ (\text{for }\min\|\nabla f\|_F^2/(mf))",
                provenance=("calibrated: scratch run at delta = 0.1 (smallest of the regime), m = 64, K = 16: "
                            "min 2 lambda_min/(m delta) = 0.018 (L = 2, d = 1), 0.0093 (L = 4, n = 4, d = 2); "
                            "c = 0.003 (margin 3); the poly(rho) factor is absorbed into c (the measured lower "
                            "bound shows no decay in L or n: 0.0021 at L = 6 and at L = 10, delta = 0.1)")),
    quantifier="forall", adversary=_ADV_T3,
    failure_prob=0.05, dtype="float64", tags=("gradient", "PL", "perturbation"),
    scalings=(Scaling("m", 0.0, "at_least", {"quick": (64, 128), "ci": (64, 128), "thorough": (64, 128, 256)},
                      base={"L": 4, "n": 4, "d": 1, "d_x": 4, "delta": 0.2, "Delta": 1.0, "rest_norm": 1.0},
                      tolerance=0.1, note="must not collapse as m grows (m-independent up to log m)"),
              Scaling("delta", 1.0, "report", {"quick": (0.1, 0.2, 0.4), "ci": (0.1, 0.2, 0.4), "thorough": (0.05, 0.1, 0.2, 0.4)},
                      base={"m": 64, "L": 4, "n": 2, "d": 1, "d_x": 4, "Delta": 1.0, "rest_norm": 1.0},
                      note="the paper's linear delta; [finding] about delta^2-delta^2.4 at fixed m")),
    notes=(_NOTE_T3 + "value = min over the points of 2 lambda_min(J J^T)/m. FINDING (scratch): at fixed m the PL "
           "constant scales like delta^{2.2-2.4} (0.0018 at delta = 0.1, 0.027 at 0.3, m = 64, L = 2), not like "
           "delta: the theorem needs m >= poly(1/delta) and the linear shape cannot be seen at CPU widths (as "
           "CALIBRATION.md found for the DNN analogue); the fitted delta-exponent is reported, not gated. No decay in "
           "L (0.0021 at L = 2, 6, 10): no exponential vanishing."),
))

C_T3_UP = 0.3
T3_UPPER = register(Claim(
    id="AZLS-RNN/Thm3-upper",
    title="Theorem 3 (upper): ||grad f||_F^2 and ||grad f_i||_F^2 <= poly(rho) m f near initialization",
    source=_src("Theorem 3, second inequality"),
    statement_tex=(r"\forall W:\ \|W-\tilde W\|_2\le\tfrac{\mathrm{poly}(\varrho)}{\sqrt m}:\ "
                   r"\|\nabla f(W)\|_F^2,\ \|\nabla f_i(W)\|_F^2\le\mathrm{poly}(\rho)\,m\,f(W)"),
    family=FAMILY,
    regime=_REGIME_T3,
    measure=_m.pick("thm3u", functools.partial(_m.measure_thm3_upper, c=C_T3_UP), "value"),
    bound=Bound("upper", _one, 1.0, shape_tex=(r"\max\big(\tfrac{\max\|\nabla f\|^2/(mf)}{c\,nL^4},\ "
                                               r"\tfrac{\max_i\|\nabla f_i\|^2/(mf)}{c\,L^4}\big)"),
                provenance=("calibrated: scratch run at L = 2, n = 2 (smallest sizes), m = 64, K = 16: max "
                            "2 lambda_max/m = 3.73 -> /(n L^4) = 0.117; per-sample 1.91 -> /L^4 = 0.12; c = 0.3 "
                            "(margin 2.5). Other sizes (scratch): 310 at L = 6, n = 4 (0.06); 2870 at L = 10, "
                            "n = 2 (0.14)")),
    quantifier="forall", adversary=_ADV_T3,
    failure_prob=0.05, dtype="float64", tags=("gradient", "perturbation"),
    scalings=(Scaling("L", 4.0, "at_most", {"quick": (2, 4, 6), "ci": (2, 3, 4, 6), "thorough": (2, 4, 8, 16)},
                      base={"m": 64, "n": 2, "d": 1, "d_x": 4, "delta": 0.2, "Delta": 1.0, "rest_norm": 1.0},
                      series="upper", tolerance=0.5,
                      note="polynomial (about L^4), not exponential, in L: an exponential would push the slope up"),),
    notes=(_NOTE_T3 + "value = max(full / (c n L^4), per-sample / (c L^4)) with full = max over points of "
           "2 lambda_max(J J^T)/m and per-sample = max_i 2 lambda_max(J_i J_i^T)/m (the worst y* for f_i puts the "
           "whole residual on sample i, so f = f_i). The poly(rho) is read as n L^4 (n for the full gradient). "
           "FINDING: the worst-label ratio grows like L^4 (scratch 3.7, 57, 310, 2870 at L = 2, 4, 6, 10; "
           "log-log slope about 4 throughout: polynomial); for random N(0,1) targets it is 10-50x smaller "
           "(extras q_random_targets_init)."),
))


# ============================================================================ Theorem 4

#: Theorem 4's constant: the poly(varrho), poly(rho) factors read as one number for L <= 6, n <= 4 (see the
#: provenance; the unit-constant reading, c = 1, is a false variant refuted by the search)
_T4_C = 100.0

T4 = register(Claim(
    id="AZLS-RNN/Thm4",
    title="Theorem 4 (semi-smoothness): f(W^+W') <= f(W^) + <grad f, W'> + m^{1/3} sqrt(f)||W'|| + m||W'||^2",
    source=_src("Theorem 4", "typo: the text has sqrt(f(W)); read sqrt(f(W^)); tau_0 undefined in the main text"),
    statement_tex=(r"f(\breve W+W')\le f(\breve W)+\langle\nabla f(\breve W),W'\rangle+\mathrm{poly}(\varrho)\,m^{1/3}"
                   r"\sqrt{f(\breve W)}\,\|W'\|_2+\mathrm{poly}(\rho)\,m\|W'\|_2^2"),
    family=FAMILY,
    regime=(IntParam("m", 64, 256, log=True, limit="width"), IntParam("L", 2, 6, limit="seq_len"),
            IntParam("n", 1, 4, limit="n"), Choice("d", (1,)), Choice("d_x", (4,)),
            FloatParam("Delta", 0.25, 2.0, log=True), FloatParam("r", 0.01, 1.0, log=True),
            Choice("rest_norm", (1.0, 0.5))),
    measure=_m.measure_thm4,
    bound=Bound("upper", _one, _T4_C,
                shape_tex=r"R/\big(m^{1/3}\sqrt{f(\breve W)}\|W'\|_2+m\|W'\|_2^2\big)",
                provenance=(
                    "re-calibrated (issue 13) when a Frank-Wolfe search over the ball ||W'||_2 <= r/sqrt m replaced "
                    "'constructed directions + one random direction': the former constant c = 1 (= unit constants "
                    "poly(varrho) = poly(rho) = 1; calibrated against the constructions: max 0.49 at m = 64) is "
                    "broken by the search up to 65x. Sweep (scratch /tmp/t4rnn/sweep.py, conv.py, tail.py; ci "
                    "context, K = 16 trials per point, seeds 1000-1003): smallest width m = 64 at every corner L in "
                    "{2, 3, 4, 6}, n in {1, 2, 4}, r in {0.01, 0.1, 1}, Delta in {0.25, 2}, rest_norm in {1, 0.5} "
                    "(576 points, 9216 trials; 3 restarts x 3 steps): max search 64.7 (L = 6, n = 4, Delta = 2, "
                    "r = 1, seed 1003, one trial; the next largest of 128 trials there, seeds 1000-1007, is 38), "
                    "67.6 with a 6-restart 8-step search there; per L the max is 1.16, 4.6, 10.0, 64.7 at "
                    "L = 2, 3, 4, 6 (about L^3.6, the median over corners about L^2.1: the hidden poly(rho)); "
                    "constructed max 1.18, random max 0.32. At m = 256 (seed 1000, all corners; seeds 1000-1007 at "
                    "the worst corner) the search max is 26 (99th percentile 23 vs 37 at m = 64): no growth in m, "
                    "as the theorem's m^{1/3} and m predict. Constant 100 = 1.5 x 67.6 (2.7 x the 99th percentile "
                    "36.9 of the worst corner at m = 64); it is the poly(varrho), poly(rho) factors read as one "
                    "constant 100 for L <= 6, n <= 4. Compared with the theorem at unit constants the worst "
                    "residual is 65x its right side (L = 6), 1.2x at L = 2")),
    quantifier="forall",
    adversary=("W^ = W~ + random point of the sphere ||.||_2 = Delta/sqrt m (random only); W' over the ONE ball "
               "||W'||_2 <= r/sqrt m of the shared recurrent matrix (Theorem 4 perturbs the single W used at every "
               "step): the worst of (constructed) +- the targeted sign-flip construction at W^ at every step l* of "
               "sample 0 (rank one; flips units, which is what makes R positive), (random) a Gaussian direction of "
               "spectral norm ~r/sqrt m and (search) Frank-Wolfe ascent of R/rhs over the whole ball "
               "(ovpmodel.perturb.maximize_spectral_balls: oracle (r/sqrt m) U V^T over all singular pairs of the "
               "rank <= 2n(L-1) gradient, exact with lmo_rank = 2n(L-1); line search over gamma in {1, 1/2, 1/4, "
               "1/16}; 3 steps, 3 restarts: one warm-started at the trial's best constructed direction, two at "
               "random rank-one points, generators ctx.generator('thm4-search-j')); extras random / constructed / "
               "search"),
    failure_prob=0.05, dtype="float64", tags=("semi-smoothness", "perturbation", "adversarial"),
    scalings=tuple(
        Scaling("m", 0.0, "at_most", (64, 128, 256),
                base={"L": 4, "n": 2, "d": 1, "d_x": 4, "Delta": 1.0, "r": r, "rest_norm": 1.0},
                series="search_per_log_m", tolerance=0.25,
                note=(f"r = {r}: the searched ratio R/rhs, divided by log m, does not grow with m, i.e. the residual "
                      f"scales no worse than the theorem's {what} times one power of log m (poly(varrho), "
                      f"poly(rho) carry log m; tolerance 0.25 for finite-m effects). On this grid the raw ratio's "
                      f"slope is this slope + 0.208 (= d log log m / d log m between 64 and 256)"))
        for r, what in ((1.0, "m ||W'||^2 term (dominant at r = 1)"),
                        (0.1, "m^{1/3} sqrt(f) ||W'|| term (dominant at r = 0.1)"))),
    notes=("R = f(W^+W') - f(W^) - <grad f(W^), W'> with random N(0,1) targets; values = R divided by the "
           "theorem's right side with unit constants, m^{1/3} sqrt(f(W^)) ||W'||_2 + m ||W'||_2^2 (||W'||_2 of the "
           "point: the exact spectral norm for the search), worst of three adversaries (extras random, constructed, "
           "search). FINDING (issue 13): the search finds 10-200x the residual of the constructions (extras "
           "search_over_constructed: its per-point median over trials is 12-190 between the 10th and 90th "
           "percentile of the sweep points, 59 overall): it turns W' toward the directions in which the "
           "perturbation of the shared W adds up coherently over the L steps (the smooth poly(rho) m ||W'||^2 "
           "term, which rank-one flips aimed at one step never probe), so the worst ratio grows like L^3.6 (1.2 at "
           "L = 2, 65 at L = 6, m = 64) and is flat or decreasing in m (26 at m = 256). The constructions alone "
           "stay near the unit-constant right side (max 1.18), which is why the former constant c = 1 looked "
           "right. The theorem survives with the constant 100 (its poly factors); a unit-constant reading is "
           "refuted by the search and not by the constructions, and so is the kink-dropped variant (classical "
           "smoothness R <= c m ||W'||^2 with c = 100 at r = 0.02-0.05, L = 6, n = 4, m = 256): "
           "tests/test_rnn_thm4_search.py. Because one constant covers L <= 6, the m-dependence the theorem is "
           "about is tested by the two m-scalings of the searched ratio over log m (slope <= 0, tolerance 0.25, "
           "at r = 1 and r = 0.1). The log m: the theorem's poly(varrho) m^{1/3} and poly(rho) m carry "
           "varrho = nLd delta^-1 log(m/eps) and rho = nLd log m (Sec. 3), so a growth like log m (or any power "
           "of it) is within the statement; one power is divided out. Until 2026-12-05 the raw ratio was tested "
           "(stronger than the theorem): under the anytime exponent rule its r = 0.1 slope (0.07 at ci seed 1, "
           "-0.15..0.25 over seeds) could not be told from m^{1/6} within 64 trials per grid point, and the claim "
           "was inconclusive on 60 of the 72 ci calibration seeds (c5e98c2; 72/72 pass since), which a log m "
           "factor (slope 0.21 on 64..256) "
           "explains. For a random direction R is a "
           "tiny quadratic (extras "
           "R_random; ~1e-7 at r = 0.01); the targeted directions flip units and give R larger by 10^2-10^5 "
           "(extras R_adversarial), the kink term the m^{1/3} sqrt(f)||W'|| part pays for. What it does not show: "
           "the sup over W^ (one random point of the sphere per trial); a certified sup over W' (a local search: "
           "6 restarts x 8 steps found 4% more at the worst calibration point, up to 1.8x more at other L = 6 "
           "points, all below 68); and with one constant for L <= 6 the claim has little power at small L (values "
           "<= 0.012 c at L = 2)."),
))


# ============================================================================ Theorems 1 and 2

_REGIME_T12 = (IntParam("m", 64, 128, log=True, limit="width"), IntParam("L", 2, 5, limit="seq_len"),
               IntParam("n", 2, 4, limit="n"), Choice("d", (1,)), Choice("d_x", (4,)),
               FloatParam("delta", 0.1, 0.5, log=True), Choice("T", (40,)))
_L_GRID_T12 = {"quick": (2, 3, 4), "ci": (2, 3, 4, 5), "thorough": (2, 4, 8, 16)}
_NOTE_T12 = ("eta = eta_m/(m n L^4) with eta_m = 3: the paper's Theta~(delta/(m poly(n,d,L))) with poly read as the "
             "calibrated growth of lambda_max(J J^T)/m (Thm3-upper: 2 lambda_max/m <= 0.3 n L^4, so eta lambda_max "
             "<= 1 and the step is stable); delta is absorbed. t100 = log(100)/rate with rate = -(slope of log f) "
             "over the second half of T = 40 steps, i.e. the iteration count for eps = f(0)/100 at the measured "
             "LINEAR rate (the trajectory is too short to reach 1e-6 on CPU in the ci budget). extras r2 = R^2 of "
             "log f vs t (linearity; scratch >= 0.98 for GD). The theorem's T is poly(n,d,L)/delta^2 log(1/eps); "
             "value = t100 delta^2/(c n L^4). ")

T1 = register(Claim(
    id="AZLS-RNN/Thm1",
    title="Theorem 1 (GD): linear convergence, iterations poly(n, L)/delta^2 log(1/eps), polynomial in L",
    source=_src("Theorem 1 and the informal theorem of Sec. 1", "T = Omega~(.) read as 'some T = Theta~(.) suffices'"),
    statement_tex=(r"\eta=\tilde\Theta\big(\tfrac{\delta}{m\,\mathrm{poly}(n,d,L)}\big):\ f(W^{(T)})\le\varepsilon\ "
                   r"\text{for } T=\tilde\Theta\big(\tfrac{\mathrm{poly}(n,d,L)}{\delta^2}\log\tfrac1\varepsilon\big)"),
    family=FAMILY,
    regime=_REGIME_T12,
    measure=_m.pick("thm1", functools.partial(_m._descent_value, sgd=False, c=1.0), "value_gd"),
    bound=Bound("upper", _one, 1.0, shape_tex=r"t_{100}\,\delta^2/(c\,nL^4)",
                provenance=("calibrated: scratch run at L = 2, n = 2 (smallest sizes), m = 64, K = 16, T = 60: max "
                            "t100 delta^2/(n L^4) = 0.35 (delta = 0.3), 0.093 (n = 4, delta = 0.1); c = 1 (margin "
                            "2.9)")),
    quantifier="init", failure_prob=0.05, dtype="float64", tags=("training", "GD", "convergence"),
    scalings=(Scaling("L", 4.0, "at_most", _L_GRID_T12,
                      base={"m": 64, "n": 2, "d": 1, "d_x": 4, "delta": 0.3, "T": 40}, series="t100", tolerance=0.5,
                      note=("iterations grow polynomially in L (eta ~ L^-4 built in); an exponential (exploding/"
                            "vanishing gradients) would push the log-log slope above 4.5")),),
    notes=(_NOTE_T12 + "FINDING (scratch): t100 medians 66, 176, 241, 529, 902 for L = 2, 3, 4, 6, 8 (m = 64, n = 2, "
           "delta = 0.3): about L^1.9 despite eta ~ L^-4, i.e. polynomial, far from exponential."),
))

T2 = register(Claim(
    id="AZLS-RNN/Thm2",
    title="Theorem 2 (SGD): linear convergence without a noise floor, iterations polynomial in L",
    source=_src("Theorem 2; footnote 3 (a common minimizer makes a linear rate possible)"),
    statement_tex=(r"W^{(t+1)}=W^{(t)}-\eta\nabla f_i(W^{(t)}),\ i\sim U[n]:\ f(W^{(T)})\le\varepsilon\ "
                   r"\text{for } T=\tilde\Theta\big(\tfrac{\mathrm{poly}(n,d,L)}{\delta^2}\log\tfrac1\varepsilon\big)"),
    family=FAMILY,
    regime=_REGIME_T12,
    measure=_m.pick("thm2", functools.partial(_m._descent_value, sgd=True, c=3.0), "value_sgd"),
    bound=Bound("upper", _one, 1.0, shape_tex=r"t_{100}\,\delta^2/(c\,nL^4)",
                provenance=("calibrated: scratch run at L = 2, n = 2, m = 64, K = 16, T = 60: max t100 delta^2/"
                            "(n L^4) = 0.59 (delta = 0.3), 0.23 (n = 4, delta = 0.1); a second scratch run at "
                            "T = 40 (the claim's T; the 20-step SGD rate estimate is noisier) reached 1.59; "
                            "c = 3 (margin 1.9 over that)")),
    quantifier="init", failure_prob=0.05, dtype="float64", tags=("training", "SGD", "convergence"),
    scalings=(Scaling("L", 4.0, "at_most", _L_GRID_T12,
                      base={"m": 64, "n": 2, "d": 1, "d_x": 4, "delta": 0.3, "T": 40}, series="t100", tolerance=0.5,
                      note="polynomial in L, as for GD"),),
    notes=(_NOTE_T12 + "SGD: one uniformly random sequence per step and trial (the paper's W - eta grad f_i, no n "
           "rescaling); the rate is measured on the FULL objective f. The linear rate (no O(1/t) floor) is "
           "what the value tests: a noise floor would make the second-half slope ~0 and t100 huge. Scratch: t100 "
           "1.5-2x the GD value, R^2 >= 0.94 (0.72 at n = 4, delta = 0.1)."),
))


# ============================================================================ (5.2)-(5.5)

_REGIME_52 = (IntParam("m", 64, 128, log=True, limit="width"), IntParam("L", 2, 6, limit="seq_len"),
              IntParam("n", 1, 2, limit="n"), Choice("d", (1,)), Choice("d_x", (4,)),
              FloatParam("Delta", 0.25, 2.0, log=True), Choice("rest_norm", (1.0, 0.5)))
_M_GRID_52 = {"quick": (64, 96, 128), "ci": (64, 96, 128), "thorough": (128, 256, 512, 1024)}
_BASE_52 = {"L": 4, "n": 1, "d": 1, "d_x": 4, "Delta": 1.0, "rest_norm": 1.0}
_ADV_52 = ("the (5.1) adversaries with ||W'||_2 <= Delta/sqrt m: targeted rank-one sign flips at steps l* = 2, "
           "middle, L of sample 0, and the rank-one forward ascent; a random Gaussian W' of the same norm is "
           "measured beside (extras random_*)")
_NOTE_52 = ("Intervals: all P(l1, l2) = D_{l1} W D_{l1-1} ... D_{l2} W of sequence 0 starting at l2 = 1 or ending at "
            "l1 = L (2L - 1 intervals; the long ones dominate), dense products at W = W~ + W' and at W~. "
            "The same cached measurement serves (5.2) and (5.3). ")

D52 = register(Claim(
    id="AZLS-RNN/(5.2)",
    title="Intermediate products stay bounded after an adversarial perturbation: ||DW...DW - D~W~...D~W~||_2 <= O(L^7)",
    source=_src("eq. (5.2), Sec. 5"),
    statement_tex=(r"\big\|D_{i,\ell_1}W\cdots D_{i,\ell_2}W-\tilde D_{i,\ell_1}\tilde W\cdots\tilde D_{i,\ell_2}\tilde W"
                   r"\big\|_2\le O(L^7)"),
    family=FAMILY,
    regime=_REGIME_52,
    measure=_m.pick("52", _m.measure_52, "d52"),
    bound=Bound("upper", lambda p: float(p["L"]) ** 7, 0.05, shape_tex=r"L^7",
                provenance=("calibrated: scratch run at L = 2 (smallest), m = 64, K = 16: max difference 2.99 "
                            "(Delta = 2), 2.44 (Delta = 0.25); c = 0.05 (c 2^7 = 6.4, margin 2.1)")),
    quantifier="forall", adversary=_ADV_52,
    failure_prob=0.05, dtype="float64", tags=("perturbation", "adversarial", "spectral"),
    scalings=(Scaling("m", 0.0, "at_most", _M_GRID_52, base=_BASE_52, tolerance=0.15,
                      note="a boundedness statement: no growth in m"),),
    notes=(_NOTE_52 + "value = max ||P - P~||_2 (15 stacked float32 power iterations: a lower estimate, so a fail is real). "
           "The difference is NOT small -- each flipped mask changes the product by O(1) -- but it stays O(1): "
           "scratch 2.4-3.4 at L = 2-4 for m = 64..256, 7.7 at L = 6, i.e. the L^7 shape is extremely loose "
           "(tightness at L = 6 ~ 1e-3)."),
))

D53 = register(Claim(
    id="AZLS-RNN/(5.3)",
    title="Backward stability after an adversarial perturbation: ||B D W...DW - B D~W~...D~W~||_2 <= O(m^{1/3})",
    source=_src("eq. (5.3), Sec. 5", "quantitative: AZL-RNN Lemma F.1(c), O(Delta^{1/3} rho^6 m^{1/3})"),
    statement_tex=(r"\big\|BD_{i,\ell_1}W\cdots D_{i,\ell_2}W-B\tilde D_{i,\ell_1}\tilde W\cdots\tilde D_{i,\ell_2}\tilde W"
                   r"\big\|_2\le O(m^{1/3})"),
    family=FAMILY,
    regime=_REGIME_52,
    measure=_m.pick("52", _m.measure_52, "d53_over_m13"),
    bound=Bound("upper", lambda p: float(p["L"]), 2.5, shape_tex=r"L\ (\text{for }\|\cdot\|_2/m^{1/3})",
                provenance=("calibrated: scratch run at L = 2 (smallest), m = 64, K = 16: max ||B dP||/m^{1/3} = "
                            "2.36 (Delta = 2) -> /L = 1.18; c = 2.5 (margin 2.1); L = 6: 4.09 (0.68 per L)")),
    quantifier="forall", adversary=_ADV_52,
    failure_prob=0.05, dtype="float64", tags=("perturbation", "adversarial", "backward"),
    scalings=(Scaling("m", 1 / 3, "at_most", _M_GRID_52, base=_BASE_52, series="d53", tolerance=0.15,
                      note="the m^{1/3} exponent of the backward change (||B|| ~ sqrt(m/d), so relative m^{-1/6})"),),
    notes=(_NOTE_52 + "value = max ||B(P - P~)||_2 / m^{1/3} (exact; d x m). The poly(varrho) factor is read as L "
           "(scratch: 1.85, 2.77, 4.09 at L = 2, 4, 6). The targeted flips are not aligned with B's top singular "
           "directions (CLAIMS.md suggests doing so), so this adversary is weaker than the best known; it beats "
           "a random W' by 1.5-3x (extras random_d53_over_m13)."),
))

_REGIME_54 = (IntParam("m", 64, 256, log=True, limit="width"), IntParam("L", 2, 6, limit="seq_len"),
              IntParam("n", 1, 2, limit="n"), Choice("d", (1,)), Choice("d_x", (4,)),
              FloatParam("Delta", 0.25, 2.0, log=True), IntParam("s", 1, 8, log=True), Choice("rest_norm", (1.0, 0.5)))
_M_GRID_54 = {"quick": (64, 128, 256), "ci": (64, 128, 256), "thorough": (128, 256, 512, 1024, 2048)}
_BASE_54 = {"L": 4, "n": 1, "d": 1, "d_x": 4, "Delta": 1.0, "s": 4, "rest_norm": 1.0}
_ADV_54 = ("W' = y z^T with ||z|| = 1, ||y||_0 <= s, ||W'||_2 <= Delta/sqrt m: the targeted construction restricted to "
           "the s smallest |g~| coordinates of sample 0 at steps l* = 2, middle, L (perturb.targeted_sign_flip(s=s), z = "
           "h~_{l*-1}/||.||); a random s-sparse rank-one (perturb.sparse_rank_one) is measured beside (random_*)")

D54 = register(Claim(
    id="AZLS-RNN/(5.4)",
    title="Rank-one sparse perturbation: |((W~ + W') h')_k| <= O(m^{-2/3}) for every k",
    source=_src("eq. (5.4), Sec. 5 ('special rank-1 perturbation')"),
    statement_tex=r"W'=yz^\top,\ \|y\|_0\le\mathrm{poly}(\varrho):\ |((\tilde W+W')h'_{i,\ell})_k|\le O(m^{-2/3})\ \forall k",
    family=FAMILY,
    regime=_REGIME_54,
    measure=_m.pick("54", _m.measure_54, "d54"),
    bound=Bound("upper", lambda p: float(p["L"]) ** 2, 1.0, shape_tex=r"L^2\ (\text{for } m^{2/3}\max_k|\cdot|)",
                provenance=("calibrated: scratch run at L = 2 (smallest), m = 64, K = 16: max m^{2/3}|.|_max = 1.63 "
                            "(Delta = 2, s = 8) -> /L^2 = 0.41; c = 1 (margin 2.4); L = 6: 8.6 (0.24 per L^2)")),
    quantifier="forall", adversary=_ADV_54,
    failure_prob=0.05, dtype="float64", tags=("perturbation", "adversarial", "rank-one"),
    scalings=(Scaling("m", 0.0, "at_most", _M_GRID_54, base=_BASE_54, tolerance=0.1,
                      note="m^{2/3} max_k |.| must not grow; [D] ~ m^{-1/3} sqrt(log m) decay expected"),),
    notes=("value = m^{2/3} max_{k, i, l} |((W~ + W') h'_{i,l})_k| with h' = h(W~ + W') - h~ (all samples and steps). "
           "[D] W~ spreads the sparse change h', so each coordinate is ~ ||h'|| sqrt(2/m) ~ Delta/m, far below "
           "m^{-2/3}: scratch 2.41, 1.95, 1.28 at m = 64, 128, 256 (L = 4): decaying. poly(varrho) read as L^2. "
           "The same cached measurement serves (5.5)."),
))

D55 = register(Claim(
    id="AZLS-RNN/(5.5)",
    title="Rank-one sparse perturbation, backward column: ||B D W...DW e_k - B D~W~...D~W~ e_k|| <= O(m^{-1/6})",
    source=_src("eq. (5.5), Sec. 5"),
    statement_tex=(r"\big\|BD_{i,\ell_1}W\cdots D_{i,\ell_2}We_k-B\tilde D_{i,\ell_1}\tilde W\cdots\tilde D_{i,\ell_2}"
                   r"\tilde We_k\big\|_2\le O(m^{-1/6})\ \forall k"),
    family=FAMILY,
    regime=_REGIME_54,
    measure=_m.pick("54", _m.measure_54, "d55"),
    bound=Bound("upper", lambda p: math.sqrt(p["L"]), 7.0, shape_tex=r"\sqrt L\ (\text{for } m^{1/6}\max_k\|\cdot\|)",
                provenance=("calibrated: scratch run at L = 2 (smallest), m = 64, K = 16: max m^{1/6} x column "
                            "difference = 4.89 (Delta = 2, s = 8) -> /sqrt L = 3.46; c = 7 (margin 2); L = 6: 6.85")),
    quantifier="forall", adversary=_ADV_54,
    failure_prob=0.05, dtype="float64", tags=("perturbation", "adversarial", "rank-one", "backward"),
    scalings=(Scaling("m", 0.0, "at_most", _M_GRID_54, base=_BASE_54, series="d55", tolerance=0.15,
                      note="m^{1/6} x the column change must not grow with m"),),
    notes=("value = m^{1/6} max over k and over the 2L - 1 intervals of sequence 0 of ||B(P - P~) e_k||. Scratch "
           "(L = 4): 4.76, 3.19, 3.36 at m = 64, 128, 256 -- flat, consistent with m^{-1/6} for the raw column "
           "change. poly(varrho) read as sqrt(L). Compare AZL-RNN/E.1-4."),
))


C_S5_STEP2 = 6.0

S5STEP2 = register(Claim(
    id="AZLS-RNN/S5-step2",
    title="Sec. 5 step (2): sparse small x gives y = W~D~...W~x = y1 + y2, ||y1|| <= O(m^{-2/3}), ||y2||_inf <= O(1/m)",
    source=_src("Sec. 5, step (2) of the proof sketch of (5.1)"),
    statement_tex=(r"\|x\|_2\le m^{-1/2},\ \|x\|_0\le m^{2/3}\ \Rightarrow\ \tilde W\tilde D_{\ell_1}\cdots\tilde D_{\ell_2+1}"
                   r"\tilde Wx=y_1+y_2,\ \|y_1\|_2\le O(m^{-2/3}),\ \|y_2\|_\infty\le O(m^{-1})"),
    family=FAMILY,
    regime=(IntParam("m", 64, 256, log=True, limit="width"), IntParam("L", 2, 4, limit="seq_len"),
            Choice("n", (1,)), Choice("d_x", (4,)), Choice("rest_norm", (1.0, 0.5))),
    measure=functools.partial(_m.measure_s5_step2, c=C_S5_STEP2),
    bound=Bound("upper", _one, 12.0, shape_tex=r"1\ (\text{for }m^{2/3}\|\mathrm{soft}(y,6/m)\|_2)",
                provenance=("calibrated: the O(m^{-1}) constant of y2 is fixed at 6 (above the measured m^{2/3}-"
                            "sparse norm ratio sqrt(m)||y|| <= 5.2-7.4 of the products); scratch run at m = 64 "
                            "(smallest width), K = 16: max m^{2/3}||y1|| = 6.85 (L = 4); c = 12 (margin 1.75)")),
    quantifier="forall", adversary=("x = m^{-1/2} v with v from the truncated power method for the m^{2/3}-sparse norm "
                                    "of each product (linalg.sparse_spectral_norm_lower_bound; the x maximising ||y||), "
                                    "and a random m^{2/3}-sparse x (extras random)"),
    failure_prob=0.05, dtype="float64", tags=("perturbation", "sparse", "proof-step"),
    scalings=(Scaling("m", 0.0, "report", {"quick": (64, 128, 256), "ci": (64, 128, 256), "thorough": (128, 256, 512, 1024)},
                      base={"L": 4, "n": 1, "d_x": 4, "rest_norm": 1.0},
                      note=("reported, not gated: the sketch's O(.) absorbs 'all blow-up factors' into the gap "
                            "m^{-1/2} vs m^{-2/3} for m polynomially large (Sec. 5), so at m <= 256 the exponent of "
                            "m^{2/3}||y1|| is not the asymptotic one")),),
    notes=("For a given y2-constant c the best y1 is the soft threshold soft(y, c/m), so value = m^{2/3} ||soft(y, c/m)|| "
           "is exact for the given x; the sup over x is searched (a lower bound). Products: W~ P(l1, 1) for every l1 "
           "(sequence 0). FINDING (scratch): the step needs c above the m^{2/3}-sparse operator norm of the product "
           "(sqrt(m)||y|| reaches 4-7): with c = 1 the adversarial value is 9-14 and does not decrease with m, since "
           "||y1|| >= ||y|| - c m^{-1/2} is then of order m^{-1/2}, not m^{-2/3}; with c = 6 it stays bounded "
           "(6.9, 5.7, 6.5 at m = 64, 128, 256). The O(m^{-1}) of the paper hides that constant (poly(varrho)). "
           "FINDING (catalog runs): the fitted m-exponent of m^{2/3}||y1|| over m = 64..256 is positive, 0.20 "
           "[-0.09, 0.49] (ci) and 0.38 [0.20, 0.57] (quick, seed 0): at these widths y1 does not yet decay like "
           "m^{-2/3}. The paper claims the step only for m polynomially large (the blow-up factors are absorbed into "
           "the m^{-1/2} vs m^{-2/3} gap, Sec. 5), so the exponent is reported, not gated; the constant-12 bound is "
           "what is checked across the widths."),
))

INTUITION = register(Claim(
    id="AZLS-RNN/Intuition",
    title="Sec. 4 random-matrix heuristics: ||Wz|| ~ sqrt2, ||phi(Wz)|| ~ 1, ||WU|| ~ sqrt2, ||W|| ~ 2sqrt2, ||DW|| ~ 1+sqrt2, fn 8",
    source=_src("Sec. 4 prose and footnote 8",
                "typos: 'spectral norm of a square W is 2' (it is 2 sqrt2) and '||DW||_2 remains sqrt2' (it is 1+sqrt2)"),
    statement_tex=(r"\|Wz\|\approx\sqrt2,\ \|\phi(Wz)\|\approx1,\ \|WU_{\ell-1}\|_2\approx\sqrt2,\ \|W\|_2\approx"
                   r"2\sqrt2\ (\text{text: }2),\ \|DW\|_2\approx1+\sqrt2\ (\text{text: }\sqrt2),\ "
                   r"\tfrac{Wv}{\|v\|}\sim\mathcal N(0,\tfrac2mI)"),
    family=FAMILY,
    regime=(IntParam("m", 256, 512, log=True, limit="width"), IntParam("L", 2, 6, limit="seq_len"),
            IntParam("n", 1, 4, limit="n"), Choice("d_x", (4,)), Choice("rest_norm", (1.0,))),
    measure=_m.measure_intuition,
    bound=Bound("upper", _one, 1.0, shape_tex=r"\max_j|r_j-1|/\mathrm{tol}_j",
                provenance=("explicit: tol_j = 4 standard deviations of the Gaussian concentration for (i), (ii), (iii), "
                            "(vi) ((2m)^{-1/2}, (5/(4m))^{1/2}, (2m)^{-1/2} + sqrt(k/m), (2/m)^{1/2}; K = 64 scratch sds 0.048, 0.068, "
                            "0.042, 0.093 at m = 256 match); calibrated for the spectral "
                            "edge (iv), (v): scratch run at m = 256 (smallest width), K = 16: max |ratio - 1| = 0.037 "
                            "(0.034 at m = 512, power iteration slightly low); tol = 0.08 (margin 2.2)")),
    failure_prob=0.05, dtype="float64", tags=("sanity", "init", "spectral"), kind="sanity",
    notes=("value = max over the six ratios measured/predicted of |ratio - 1|/tol_j, with the CORRECTED predictions "
           "(CLAIMS.md AZLS-RNN/Intuition, section 6): (iv) 2 sqrt2 and (v) 1 + sqrt2. The text's values (2 and "
           "sqrt2) are the variant INTUITION_LITERAL, which fails (tests/test_catalog_azls_rnn.py): the paper is "
           "off by sqrt2 in (iv) and by 1 in (v). Spectral norms by 60 power iterations (slightly low). The [D] "
           "correction sqrt2 (1 + sqrt(k/m)) of CLAIMS.md for ||W U|| (k = n(L-1) columns) is the k >> 1 asymptote: for "
           "k = 1 the measured ratio is 0.946 = 1/(1 + sqrt(1/256)) (scratch, K = 64), so (iii) allows it fully."),
))

#: The text's literal values for (iv) ||W|| = 2 and (v) ||DW|| = sqrt2: expected to FAIL (not registered).
INTUITION_LITERAL = dataclasses.replace(
    INTUITION, id="AZLS-RNN/Intuition-literal", title="Sec. 4 heuristics with the text's values ||W|| = 2, ||DW|| = sqrt2",
    measure=functools.partial(_m.measure_intuition, literal=True))
