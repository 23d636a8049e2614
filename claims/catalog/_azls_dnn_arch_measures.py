"""Measures for Step 2(b) and Step 2(c) of AZLS-DNN on the CNN (Theorem 6) and ResNet
(Theorem 7) variants (``allen-zhu-li-song-dnn-convergence.txt``, Sec. 4 Step 2 and Sec. 5).

The paper states Steps 2(a)-(c) for the fully-connected net (Sec. 4) and only says that
the same techniques carry over to the CNN and ResNet of Theorems 6-7 (Appendices I and J,
which are NOT in the file).  These measures transport the FC statements to the project's
CNN and ResNet (:class:`ovpmodel.ConvNet`, :class:`ovpmodel.ResNet`; their architectural
choices are stated in those classes) and try to break them with adversaries adapted from
the FC ones (:mod:`._azls_dnn_measures`: ``step2b_measure`` / ``step2c_measure``):

* ResNet (``h_l = phi(h_{l-1} + W_l h_{l-1})``, branch ``W_l ~ N(0, c/m)``):
  Step 2(b) by the conditional-gradient (power) ascent of the FC Step 2(b) with the residual
  pre-activation ``h + (W + W') h``; Step 2(c) by the sequential targeted flips of Step 2(a)
  (which already use the residual pre-activation) and the residual backward matrices
  ``Back_{i,a} = B D_L (I + W_L) ... D_a (I + W_a)`` (the derivative of the output w.r.t.
  ``h_{a-1}``, the ResNet analogue of Fact 2.6's ``B D_L W_L ... D_a W_a``).
* CNN (``A, W_1..W_{L-1}`` circular convolutions, ``W_L`` and ``B`` dense): the ball
  ``||W'_l||_2 <= omega`` uses the conv OPERATOR norm for the kernels, exact as a max over
  the ``d`` Fourier modes (:meth:`ovpmodel.ConvNet.conv_spectral_norm`).  Step 2(b): a
  Frank-Wolfe ascent over the product of balls (exact linear oracle for the dense ``W_L``;
  for a kernel, the q taps of the mode-wise Fourier polar factor of the gradient rescaled
  onto the ball, since the exact oracle of the conv norm is a semidefinite program), convex
  steps with a line search so every iterate stays in the balls.  Step 2(c): sequential targeted flips -- in each conv
  layer a kernel that is rank one in the output channel and aligned with the input patch of
  the point with most designed flips (the construction of CLAIMS.md §0 at one point, scaled
  so that its conv norm is ``omega``), then the dense ``W_L`` as in Thm6-CNN-Step1-2.

Each public function is a measure factory ``(...) -> (point, ctx) -> Measurement``; all
randomness comes from ``ctx.generator(name)`` sub-streams.  ``ovpmodel`` is imported lazily.
"""

from __future__ import annotations

import math

import torch

from .._claim import Measurement
from . import _azls_dnn_measures as _M

__all__ = ["resnet_step2b_measure", "resnet_step2c_measure", "cnn_step2b_measure", "cnn_step2c_measure"]


# ----------------------------------------------------------------------------- helpers


def _resnet(point, ctx, var_scale=1.0):
    from ovpmodel import ResNet

    return _M._net(point, ctx, var_scale=var_scale, cls=ResNet, branch_var=float(point["branch_c"]))


def _convnet(point, ctx, var_scale=1.0):
    from ovpmodel import ConvNet

    return _M._net(point, ctx, var_scale=var_scale, cls=ConvNet)


def _resid_power_attack(net, x, radius, iters, gen, sample=0):
    """:func:`._azls_dnn_measures._power_attack` (FC Step 2(b)) with the residual
    pre-activation of Theorem 7: maximise ``||h_L(W0 + W') - h_L(W0)||`` over rank-one
    ``W'_l = radius u_l v_l^T``, ``v_l = h0_{l-1}/||h0_{l-1}||`` (for one sample only
    ``W'_l h_{l-1}`` matters: rank one loses nothing at first order), ``u_l`` by the
    conditional-gradient (power) step ``u <- grad/||grad||`` from a random start.
    Returns ``max_l ||Delta h_l||`` per trial ``[K]`` over all iterates (each in the ball).
    """
    return _M._power_attack(net, x, net.W0, radius, iters, gen, sample=sample, residual=True)


def _resid_backs(net, D, W, pert=None):
    """Residual backward matrices ``Back_{i,a} = B D_{i,L} (I + W_L) ... D_{i,a} (I + W_a)``
    for ``a = 1..L+1`` (``Back_{L+1} = B``), ``a -> [K, n, d_out, m]``, by exact
    back-substitution of the ``d_out`` rows (the ResNet analogue of
    :func:`._azls_dnn_measures._backs`; ``pert`` optional rank-one factors ``(u, v)`` per
    layer: ``W_a + u v^T``)."""
    K, n = D[0].shape[:2]
    dd, m = net.B.shape[1:]
    U = net.B.unsqueeze(1).expand(K, n, dd, m)
    out = {net.L + 1: U}
    for a in range(net.L, 0, -1):
        UD = U * D[a].unsqueeze(2).to(U.dtype)
        U = UD + torch.bmm(UD.reshape(K, n * dd, m), W[:, a - 1]).reshape(K, n, dd, m)
        if pert is not None and pert[a - 1] is not None:
            u, v = pert[a - 1]
            U = U + (UD @ u[:, None, :, None]) * v[:, None, None, :]
        out[a] = U
    return out


def _cnn_back_dense(net, tr, W, sample=0):
    """``Back_{0,a}`` of the CNN for ``a = 1..L`` as dense ``[K, d_out, dim_a]`` matrices, from
    :meth:`ovpmodel.ConvNet.back_operator` (``rmatvec`` of the ``d_out`` unit rows)."""
    K = net.trials
    tr0 = type(tr)(g=tuple(t[:, sample:sample + 1] for t in tr.g), h=tuple(t[:, sample:sample + 1] for t in tr.h),
                   D=tuple(t[:, sample:sample + 1] for t in tr.D), out=tr.out[:, sample:sample + 1])
    eye = torch.eye(net.d_out, dtype=net.dtype, device=net.device).expand(K, 1, net.d_out, net.d_out)
    return {a: net.back_operator(tr0, a, W).rmatvec(eye)[:, 0].mT for a in range(1, net.L + 1)}


def _conv_ball_scale(net, P):
    """``P`` rescaled onto the boundary of the conv-norm ball of radius 1 (``P / ||C(P)||_2``);
    a zero kernel stays zero.  ``P [..., m, m, q]``."""
    nrm = net.conv_spectral_norm(P.detach())
    return P / torch.where(nrm > 0, nrm, torch.ones_like(nrm))[..., None, None, None]


def _conv_atom(net, G):
    """An ascent atom of the unit conv-norm ball for the kernel gradient ``G [..., m, m, q]``:
    a feasible ``S`` (``||C(S)||_2 <= 1``, on the boundary) with large ``<G, S>``.

    The exact linear oracle ``argmax_{||C(S)||_2 <= 1, S on q taps} <G, S>`` is a semidefinite
    program.  Without the q-tap constraint it is ``S_hat(k) = polar(G_hat(k))`` mode by mode
    (``G`` folded onto the ``d`` circular shifts; ``polar = U V^H`` of the mode's SVD); its q
    taps keep ``<G, S>`` (``G`` lives on them) and are rescaled onto the ball.  In scratch runs
    this atom's ``<G, S>`` beat that of ``G`` rescaled onto the ball every time (by >= 14%,
    median 34-52%), and it raised the attack's values by 20-35%.
    """
    q, d = G.shape[-1], net.d
    shift = (torch.arange(q, device=G.device) - (q - 1) // 2) % d
    Gf = torch.zeros(*G.shape[:-1], d, device=G.device, dtype=G.dtype).index_add_(-1, shift, G)
    Gh = torch.fft.rfft(Gf, dim=-1).movedim(-1, -3)                          # [..., d//2+1, m, m]
    U, _, Vh = torch.linalg.svd(Gh, full_matrices=False)
    St = torch.fft.irfft((U @ Vh).movedim(-3, -1), n=d, dim=-1)[..., shift]  # q taps of the polar
    return _conv_ball_scale(net, St)


def _cnn_fw_attack(net, x, omega, gens, steps, gammas=(1.0, 0.5, 0.25), attack_conv=True, sample=0):
    """Frank-Wolfe ascent of ``||h_L(W0 + W') - h_L(W0)||^2`` (sample ``sample``) over
    ``||C(W'_l)||_2 <= omega`` (conv layers ``l < L``, conv operator norm) and
    ``||W'_L||_2 <= omega`` (dense layer).

    Per step: gradient ``G``; atom ``S_L = omega G_L/||G_L||_F`` for the dense layer (exact
    linear oracle: for one sample ``G_L = delta h_{L-1}^T`` is rank one, so its polar factor
    is ``G_L/||G_L||_F``) and ``S_l = omega _conv_atom(G_l)`` for a kernel (a feasible ascent
    atom; the exact oracle of the conv norm is a semidefinite program); then
    ``W' <- W' + gamma (S - W')`` with the best ``gamma`` of ``gammas`` per trial, no move if
    none improves.  Convex combinations of points of the balls stay in them: every iterate
    is feasible.  One restart per generator, started at a random kernel/rank-one matrix on
    the boundary.  ``attack_conv=False`` freezes the kernels at ``W0`` (dense-only attack).

    Returns ``max_l ||Delta h_{0,l}||`` per trial ``[K]`` (``l = 1..L``; the conv maps as
    ``d m`` vectors) over every evaluated point.
    """
    Wc0, WL0 = net.W0
    K, Lc = net.trials, net.L - 1
    xs = net._input(x)[:, sample:sample + 1]
    with torch.no_grad():
        h0 = [h.detach() for h in net.trace(xs).h]

    def diffs(Pc, PL):
        tr = net.trace(xs, (Wc0 + Pc, WL0 + PL))
        return torch.stack([(tr.h[l] - h0[l]).norm(dim=(-1, -2)) for l in range(1, net.L + 1)], -1)   # [K, L]

    best = torch.zeros(K, dtype=net.dtype, device=net.device)
    for gen in gens:
        PL = torch.randn(K, net.m, generator=gen, dtype=net.dtype, device=net.device)
        v = torch.randn(K, net.d * net.m, generator=gen, dtype=net.dtype, device=net.device)
        PL = omega * (PL / PL.norm(dim=-1, keepdim=True)).unsqueeze(-1) * (v / v.norm(dim=-1, keepdim=True)).unsqueeze(-2)
        if attack_conv:
            Pc = torch.randn(Wc0.shape, generator=gen, dtype=net.dtype, device=net.device)
            Pc = omega * _conv_ball_scale(net, Pc)
        else:
            Pc = torch.zeros_like(Wc0)
        for t in range(steps + 1):
            Pc_, PL_ = Pc.detach().requires_grad_(attack_conv), PL.detach().requires_grad_(True)
            with torch.enable_grad():
                dv = diffs(Pc_, PL_)
                obj = dv[:, -1].pow(2)
                grads = torch.autograd.grad(obj.sum(), (Pc_, PL_) if attack_conv else (PL_,))
            best = torch.maximum(best, dv.detach().amax(-1))
            if t == steps:
                break
            GL = grads[-1]
            gn = GL.norm(dim=(-1, -2), keepdim=True)
            SL = omega * GL / torch.where(gn > 0, gn, torch.ones_like(gn))
            SL = torch.where(gn > 0, SL, PL)
            if attack_conv:
                Sc = omega * _conv_atom(net, grads[0])
                Sc = torch.where(grads[0].abs().amax(dim=(-1, -2, -3), keepdim=True) > 0, Sc, Pc)
            else:
                Sc = Pc
            cur = obj.detach()
            gbest = torch.zeros(K, dtype=net.dtype, device=net.device)
            with torch.no_grad():
                for gm in gammas:
                    dvc = diffs(Pc + gm * (Sc - Pc), PL + gm * (SL - PL))
                    best = torch.maximum(best, dvc.amax(-1))
                    oc = dvc[:, -1].pow(2)
                    better = oc > cur
                    cur = torch.where(better, oc, cur)
                    gbest = torch.where(better, torch.full_like(gbest, gm), gbest)
            if not bool((gbest > 0).any()):
                break
            PL = PL + gbest[:, None, None] * (SL - PL)
            Pc = Pc + gbest[:, None, None, None, None] * (Sc - Pc)
    return best


def _cnn_conv_flip(net, g, h, omega, keep):
    """Targeted flip construction (CLAIMS.md §0) inside one conv layer, one sample.

    ``g [K, m, d]`` the layer's current pre-activations, ``h [K, m, d]`` its input, ``keep``
    bool ``[K, m, d]`` (coordinates still at their initial sign; the others are not targeted).
    For every point ``p`` the kernel ``P = omega_p y v_p^T`` (``v_p`` the unit input patch of
    ``p`` as an ``m x q`` kernel slice, ``y`` from :func:`ovpmodel.perturb.targeted_sign_flip`)
    moves ``g[:, p]`` by ``omega_p ||patch_p|| y``; its conv norm is ``omega_p ||y||
    max_k ||v_hat_p(k)||``, so ``omega_p = omega / max_k ||v_hat_p(k)||`` puts it on the ball's
    boundary.  The point with most designed flips is taken per trial.  Returns the kernel
    ``[K, m, m, q]``.
    """
    from ovpmodel.perturb import targeted_sign_flip

    K, m, d = g.shape
    q = net.q
    left = (q - 1) // 2
    idx = (torch.arange(d, device=g.device)[:, None] + torch.arange(q, device=g.device)[None, :] - left) % d  # [d, q]
    patches = h[:, :, idx].permute(0, 2, 1, 3)                                # [K, d, m, q]
    pn = patches.flatten(-2).norm(dim=-1).clamp_min(torch.finfo(h.dtype).tiny)   # [K, d]
    V = patches / pn[..., None, None]                                          # unit patches
    vhat = net.conv_spectral_norm(V.unsqueeze(-3))                             # [K, d] max_k ||v_hat(k)||
    sf = 1.0 / vhat                                                            # omega_p / omega
    big = torch.finfo(g.dtype).max ** 0.25
    gp = g.permute(0, 2, 1)                                                    # [K, d, m]
    g_eff = torch.where(keep.permute(0, 2, 1), gp, torch.full_like(gp, big)) / sf[..., None]
    # the design depends on the input only through ||patch_p|| (W' h = omega ||h|| y): pass it as
    # a 1-vector so that W' is [K, d, m, 1] (= omega y) instead of [K, d, m, m q]
    Wp, nf = targeted_sign_flip(g_eff, pn.unsqueeze(-1), omega)                # [K, d, m, 1], [K, d]
    p = nf.argmax(-1)                                                          # [K]
    ar = torch.arange(K, device=g.device)
    y = Wp[ar, p, :, 0]                                                        # omega y  [K, m]
    return (sf[ar, p][:, None] * y)[:, :, None, None] * V[ar, p][:, None, :, :]


def _cnn_random(net, omega, gen):
    """A random point on the boundary of the balls: Gaussian ``W'_L`` scaled to spectral norm
    omega (20 Golub-Kahan steps, as :func:`._azls_dnn_measures._random_pert_dense`: ~1% high at
    worst) and kernels ``y v^T`` rank one in the output channel (``y`` Gaussian in ``R^m``,
    ``v`` a Gaussian ``m x q`` slice) whose conv norm ``||y|| max_k ||v_hat(k)||`` is exact and
    cheap (a full Gaussian kernel needs ``d/2 + 1`` complex ``m x m`` SVDs per kernel).
    Returns the weights ``W0 + W'``."""
    Wc0, WL0 = net.W0
    K, m, q = net.trials, net.m, net.q
    y = torch.randn(K, net.L - 1, m, generator=gen, dtype=net.dtype, device=net.device)
    V = torch.randn(K, net.L - 1, 1, m, q, generator=gen, dtype=net.dtype, device=net.device)
    Rc = y[..., None, None] * V
    Rc = omega * Rc / (y.norm(dim=-1) * net.conv_spectral_norm(V))[..., None, None, None]
    G = torch.randn(WL0.shape, generator=gen, dtype=torch.float32, device=net.device).to(net.dtype)
    v0 = torch.randn(K, G.shape[-1], generator=gen, dtype=net.dtype, device=net.device)
    nrm, _ = _M._gk_top(lambda v: (G @ v.unsqueeze(-1)).squeeze(-1),
                        lambda u: (u.unsqueeze(-2) @ G).squeeze(-2), v0, 20)
    return Wc0 + Rc, WL0 + G * (omega / nrm)[:, None, None]


def _cnn_sequential_attack(net, x, omega, attack_conv=True, sample=0):
    """Sequential targeted flips on the CNN (sample ``sample``), layer after layer with the
    upstream perturbations in place (like :func:`._azls_dnn_measures._sequential_attack`):
    conv layers ``1..L-1`` by :func:`_cnn_conv_flip` (skipped with ``attack_conv=False``), the
    dense ``W_L`` by :func:`ovpmodel.perturb.targeted_sign_flip` with ``v = h_{L-1}/||h_{L-1}||``.
    Returns the perturbation ``(Pc [K, L-1, m, m, q], PL [K, m, d m])`` (every kernel with
    conv norm <= omega, ``||PL||_2 <= omega``)."""
    from ovpmodel.perturb import targeted_sign_flip

    Wc0, WL0 = net.W0
    K, m, d = net.trials, net.m, net.d
    xs = net._input(x)[:, sample:sample + 1]
    tr0 = net.trace(xs)
    Pc = torch.zeros_like(Wc0)
    PL = torch.zeros_like(WL0)
    for a in range(1, net.L):
        if not attack_conv:
            break
        tr = net.trace(xs, (Wc0 + Pc, WL0))
        g = tr.g[a][:, 0].reshape(K, m, d)
        h = tr.h[a - 1][:, 0].reshape(K, m, d)
        keep = (g >= 0) == tr0.D[a][:, 0].reshape(K, m, d)
        Pc[:, a - 1] = _cnn_conv_flip(net, g, h, omega, keep)
    tr = net.trace(xs, (Wc0 + Pc, WL0))
    g, h = tr.g[-1][:, 0], tr.h[-2][:, 0]
    big = torch.finfo(g.dtype).max ** 0.25
    g_eff = torch.where((g >= 0) == tr0.D[-1][:, 0], g, torch.full_like(g, big))
    PL, _ = targeted_sign_flip(g_eff, h, omega)
    return Pc, PL


# ----------------------------------------------------------------------------- ResNet


def resnet_step2b_measure(var_scale: float = 1.0, iters: int = 8):
    """ResNet Step 2(b): ``max_l ||h_{0,l}(W0 + W') - h_{0,l}(W0)|| / omega`` for the W' of
    :func:`_resid_power_attack` in ``||W'_l||_2 <= omega`` (all l).  Extras: ``dh`` (the
    unnormalised ``max_l ||Delta h||``, the series of the omega-scaling)."""

    def measure(point, ctx):
        net = _resnet(point, ctx, var_scale)
        omega = float(point["omega"])
        x = _M._inputs(1, point["d"], ctx)
        best = _resid_power_attack(net, x, omega, iters, ctx.generator("attack"))
        return Measurement(values=best / omega, extras={"dh": best})

    return measure


def resnet_step2c_measure(var_scale: float = 1.0, n: int = 1):
    """ResNet Step 2(c): ``max_a ||Back_{0,a}(W0 + W') - Back_{0,a}(W0)||_2 / sqrt(m/d)``,
    ``Back_{i,a} = B D_L (I + W_L) ... D_a (I + W_a)`` (:func:`_resid_backs`, exact; SVD of
    the ``d x m`` difference), W' the sequential targeted flips of
    :func:`._azls_dnn_measures._sequential_attack` (residual pre-activation).  Extras:
    ``flips_L`` (flips of sample 0 in layer L), ``random`` (the same ratio for a Gaussian W'
    with ``||W'_l||_2 = omega``)."""

    def measure(point, ctx):
        net = _resnet(point, ctx, var_scale)
        omega = float(point["omega"])
        x = _M._inputs(n, point["d"], ctx)
        pert, flips = _M._sequential_attack(net, x, omega)
        g0, _ = _M._hidden(net, x)
        g1, _ = _M._hidden(net, x, pert)
        b0 = _resid_backs(net, [g >= 0 for g in g0], net.W0)
        b1 = _resid_backs(net, [g >= 0 for g in g1], net.W0, pert)
        scale = math.sqrt(net.m / net.d_out)
        diff = torch.stack([torch.linalg.matrix_norm(b1[a] - b0[a], ord=2) for a in range(1, net.L + 1)], -1)
        vals = diff[:, 0].amax(-1) / scale
        Wr = net.W0 + _M._random_pert_dense(net, omega, ctx.generator("random"))
        tr = net.trace(x, Wr)
        br = _resid_backs(net, [tr.D[:, l] for l in range(net.L + 1)], Wr)
        dr = torch.stack([torch.linalg.matrix_norm(br[a] - b0[a], ord=2) for a in range(1, net.L + 1)], -1)
        return Measurement(values=vals, extras={
            "flips_L": flips[:, 0, -1].to(ctx.dtype), "random": dr[:, 0].amax(-1) / scale})

    return measure


# ----------------------------------------------------------------------------- CNN


def cnn_step2b_measure(var_scale: float = 1.0, steps: int = 6, restarts: int = 1, attack_conv: bool = True):
    """CNN Step 2(b): ``max_l ||h_{0,l}(W0 + W') - h_{0,l}(W0)|| / omega`` for the W' of
    :func:`_cnn_fw_attack` (conv kernels in the conv-operator-norm ball and the dense ``W_L``
    in its spectral ball, all of radius omega).  Extras: ``dh`` (unnormalised), and with
    ``attack_conv`` ``dense_only`` (the same ratio when only ``W_L`` is attacked: what the
    conv-kernel search adds)."""

    def measure(point, ctx):
        net = _convnet(point, ctx, var_scale)
        omega = float(point["omega"])
        x = _M._inputs(1, point["d"], ctx)
        gens = [ctx.generator(f"attack{j}") for j in range(restarts)]
        best = _cnn_fw_attack(net, x, omega, gens, steps, attack_conv=attack_conv)
        extras = {"dh": best}
        if attack_conv:
            dense = _cnn_fw_attack(net, x, omega, [ctx.generator("dense0")], steps, attack_conv=False)
            extras["dense_only"] = dense / omega
        return Measurement(values=best / omega, extras=extras)

    return measure


def cnn_step2c_measure(var_scale: float = 1.0, attack_conv: bool = True):
    """CNN Step 2(c): ``max_{a in [L]} ||Back_{0,a}(W0 + W') - Back_{0,a}(W0)||_2 / sqrt(m/d)``
    with the CNN backward matrices of :meth:`ovpmodel.ConvNet.back_operator` (exact, dense
    ``d_out x (d m)``, SVD) and W' the sequential targeted flips of
    :func:`_cnn_sequential_attack`.  Extras: ``flips_L`` and ``flips_conv`` (max over conv
    layers) of sample 0, ``dense_only`` (the ratio when only ``W_L`` is attacked), ``random``
    (the ratio at the random boundary point of :func:`_cnn_random`) and ``back0`` (``max_a
    ||Back_{0,a}(W0)||_2 / sqrt(m/d)``, the scale of the unperturbed matrices)."""

    def measure(point, ctx):
        net = _convnet(point, ctx, var_scale)
        omega = float(point["omega"])
        x = _M._inputs(1, point["d"], ctx)
        Wc0, WL0 = net.W0
        scale = math.sqrt(net.m / net.d_out)
        tr0 = net.trace(x)
        b0 = _cnn_back_dense(net, tr0, None)

        def ratio(W):
            tr = net.trace(x, W)
            b = _cnn_back_dense(net, tr, W)
            dv = torch.stack([torch.linalg.matrix_norm(b[a] - b0[a], ord=2) for a in b], -1)
            fl = torch.stack([(tr.D[l][:, 0] != tr0.D[l][:, 0]).sum(-1) for l in range(1, net.L + 1)], -1)
            return dv.amax(-1) / scale, fl.to(ctx.dtype)

        Pc, PL = _cnn_sequential_attack(net, x, omega, attack_conv=attack_conv)
        vals, fl = ratio((Wc0 + Pc, WL0 + PL))
        extras = {"flips_L": fl[:, -1], "flips_conv": fl[:, :-1].amax(-1)}
        if attack_conv:
            extras["dense_only"] = ratio((Wc0, WL0 + _cnn_sequential_attack(net, x, omega, attack_conv=False)[1]))[0]
        extras["random"] = ratio(_cnn_random(net, omega, ctx.generator("random")))[0]
        extras["back0"] = torch.stack([torch.linalg.matrix_norm(b0[a], ord=2) for a in b0], -1).amax(-1) / scale
        return Measurement(values=vals, extras=extras)

    return measure
