"""The twist of SMC from Tweedie's second moment: log p(O | x_t) with the spread of x0 given x_t.

The exact twist is ``log p(O | x_t) = log E[exp l(x0) | x_t]``, with l = log p(O | x0). Twisting by
``l(x0_hat(x_t))`` alone (the usual choice) treats x0 as known once x_t is: at mid noise, where x0 given x_t
is still spread wide, that twist is far sharper than the exact one, the intermediate targets are too narrow,
and the weights never recover the posterior (errors that do not shrink with the particles). Tweedie's
formulas give the spread: ``Cov[x0 | x_t] = (1 - abar_t) / sqrt(abar_t) * d x0_hat / d x_t`` (the denoiser's
Jacobian, available as Jacobian-vector products). With x0 | x_t ~ N(x0_hat, C) and l expanded to second order
around x0_hat (gradient g, Hessian H), the Laplace value of the integral is

    log psi_t(x_t) = l(x0_hat) + max_d [g^T d - 1/2 d^T (C^-1 - H) d] = l(x0_hat) + 1/2 g^T (C^-1 - H)^-1 g,

exact for a Gaussian prior and a quadratic l (up to a constant that cancels in the weights). The maximiser is
sought in the Krylov space ``span{C g, C H C g, ...}`` of ``directions`` vectors, each costing one
Jacobian-vector product through the denoiser and one Hessian-vector product of l; 3 recover the full
Laplace value closely on dense 16-dimensional problems. Every quantity in the projected problem is known
without inverting C: for ``v_1 = C g`` and ``v_{j+1} = C H v_j``, ``C^-1 v_1 = g`` and ``C^-1 v_{j+1} = H v_j``.

The proposal's gradient is the gradient of l at the maximiser (``g + H d``), pulled back through the denoiser:
it points where the posterior's mass is, not where x0_hat's likelihood rises fastest. Any twist keeps SMC exact
as the particles grow; this one needs far fewer.

Near pure noise the covariance cannot be computed: ``d x0_hat / d x_t = (I - sqrt(1 - abar) d eps / d x_t) /
sqrt(abar)`` is the difference of two terms near 1 that cancel to O(abar), so in the denoiser's floating point
(machine epsilon e) its relative error is about e / abar (garbage at abar = 1e-9, the last timestep of a cosine
schedule). Where ``abar < RESOLVABLE_ABAR_FACTOR * e`` the twist is taken constant (0, no gradient): any twist keeps
the weights exact, and there the exact one hardly varies with x_t (x_t holds almost nothing of x0), while a
wrong one triggers resampling on noise.
"""

from __future__ import annotations

import torch
from einops import rearrange
from torch import Tensor

from diffplan.inference.likelihood import Likelihood
from diffplan.prior.denoiser import Denoiser, eps_to_x0

RESOLVABLE_ABAR_FACTOR = 1000.0
"""The covariance is computed where abar >= this times the machine epsilon of x_t (relative error <= 1e-3)."""


def tweedie_twist(prior: Denoiser, likelihood: Likelihood, x_t: Tensor, t: Tensor, directions: int,
                  fixed: Tensor | None = None) -> tuple[Tensor, Tensor, Tensor]:
    """Laplace twist log psi_t (B,), its proposal gradient in x_t (B, H, D) and the denoiser's eps (B, H, D).

    Args:
        prior: the denoiser (differentiable in x_t).
        likelihood: l = log p(O | x0), differentiable twice in x0.
        x_t: (B, H, D) noisy windows; t: (B,) long timesteps.
        directions: Krylov vectors (>= 1).
        fixed: (B, H, D) bool, inpainted entries: they neither vary nor move.
    """
    a = rearrange(prior.alphas_cumprod.to(x_t)[t.long()], "b -> b 1 1")
    free = (~fixed).to(x_t.dtype) if fixed is not None else torch.ones_like(x_t)
    with torch.enable_grad():
        x = x_t.detach().requires_grad_(True)
        eps = prior.predict_eps(x, t)
        x0 = eps_to_x0(eps, x, t, prior.alphas_cumprod)
        y = x0.detach().requires_grad_(True)
        value = likelihood.log_likelihood(y, t)
        (g,) = torch.autograd.grad(value.sum(), y, create_graph=True)
        probe = torch.zeros_like(x0, requires_grad=True)
        (pulled,) = torch.autograd.grad(x0, x, grad_outputs=probe, create_graph=True)  # J^T probe, linear in probe
        images, preimages, curvatures = [], [], []
        w = torch.nan_to_num(g.detach()) * free
        for _ in range(directions):
            (jw,) = torch.autograd.grad(pulled, probe, grad_outputs=w, retain_graph=True)  # J w
            v = torch.nan_to_num((1 - a) / a.sqrt() * jw) * free  # C w
            (hv,) = torch.autograd.grad((g * v).sum(), y, retain_graph=True)  # H v
            scale = rearrange(v.flatten(1).norm(dim=1).clamp(min=torch.finfo(v.dtype).tiny), "b -> b 1 1")
            images.append(v / scale)
            preimages.append(w / scale)
            w = torch.nan_to_num(hv) * free / scale
            curvatures.append(w)
        g = torch.nan_to_num(g.detach()) * free
        v, w, hv = (rearrange(torch.stack(z, dim=-1), "b h d m -> b (h d) m").double()
                    for z in (images, preimages, curvatures))
        projected = v.transpose(1, 2) @ (w - hv)  # V^T (C^-1 - H) V  (B, m, m)
        projected = (projected + projected.transpose(1, 2)) / 2
        eigenvalues, eigenvectors = torch.linalg.eigh(projected)
        top = eigenvalues.abs().amax(dim=-1, keepdim=True).clamp(min=torch.finfo(torch.float64).tiny)
        eigenvalues = eigenvalues.clamp(min=1e-6 * top)  # the quadratic model is kept concave
        b = v.transpose(1, 2) @ rearrange(g.double(), "b h d -> b (h d) 1")
        c = eigenvectors @ ((eigenvectors.transpose(1, 2) @ b) / eigenvalues[..., None])  # (B, m, 1)
        twist = value.detach().double() + 0.5 * (b * c).sum(dim=(1, 2))
        at_maximiser = g + rearrange(hv @ c, "b (h d) 1 -> b h d", h=x_t.shape[1]).to(g.dtype)
        (grad,) = torch.autograd.grad(x0, x, grad_outputs=at_maximiser)
    resolvable = a.flatten() >= RESOLVABLE_ABAR_FACTOR * torch.finfo(x_t.dtype).eps
    twist = torch.where(resolvable, twist, torch.zeros_like(twist))
    grad = torch.nan_to_num(grad, nan=0.0, posinf=0.0, neginf=0.0) * free * rearrange(resolvable, "b -> b 1 1")
    return twist.to(x_t.dtype), grad.detach(), eps.detach()
