"""Gradient guidance in eps-space, usable with every solver (DDPM, DDIM, DPM-Solver++).

The guided score is ``score_t(x) + scale * grad_x log p(O | x_t)`` and ``score_t = -eps / sqrt(1 - abar_t)``,
so the denoiser's eps becomes

    eps_hat = eps - scale * sqrt(1 - abar_t) * grad_x log p(O | x_t)

(the standard deviation sqrt(1 - abar_t), not Diffuser's variance). ``log p(O | x_t)`` is the likelihood
evaluated on x_t itself (a return model J(x_t, t)), or, with ``through_denoiser``, on the denoiser's
estimate x0_hat(x_t) and differentiated through the denoiser.

Guide steps (``guide_steps = n``, Diffuser's inner loop): n gradient ascent steps on x_t,
``x <- x + scale * (1 - abar_t) * grad log p(O | x)``, each gradient taken at the moved point; the total
move of x_t is handed to the solver as ``eps_hat = eps - (x_n - x_t) / sqrt(1 - abar_t)``, which for n = 1
is exactly the formula above. The denoiser's eps is not re-evaluated at the moved point (one denoiser
call per solver step, unless ``through_denoiser`` needs one per gradient). Below ``min_noise_level``
(a training timestep) there is no guidance, and no gradient is taken. For numerical safety non-finite
gradients count as zero and the eps correction of each window is rescaled to an RMS of at most ``clip``
(without ``clip``, at most ``MAX_CORRECTION_RMS``: stiff likelihoods, huge rewards or alpha near 0, would
otherwise throw x_t out of floating-point range within a few steps).
"""

from __future__ import annotations

import torch
from einops import rearrange
from torch import Tensor

from diffplan.inference.likelihood import Likelihood
from diffplan.prior.denoiser import Denoiser, eps_to_x0

MAX_CORRECTION_RMS = 1e3
"""Largest RMS of a window's eps correction when ``clip`` is 0. eps itself has an RMS near 1, so this bound
never binds for a likelihood the prior can follow, and keeps x_t finite for one it cannot."""


class GradientGuidance:
    """The eps-space modifier ``(x_t, t, eps) -> eps_hat`` for :func:`diffplan.prior.sampling.sample`.

    Args:
        prior: the denoiser (needed for ``through_denoiser`` and extra guide steps).
        likelihood: the reward source log p(O | x).
        scale: guidance scale (1 = the exact score of the tilted distribution, if the likelihood were exact).
        guide_steps: gradient evaluations per solver step (>= 1).
        min_noise_level: no guidance at training timesteps t < min_noise_level.
        through_denoiser: evaluate the likelihood on x0_hat(x_t) and differentiate through the denoiser.
        clip: maximum RMS of the eps correction per window; 0 = only the ceiling ``MAX_CORRECTION_RMS``.
        fixed: (B, H, D) bool, inpainted entries (their gradient is zeroed), or None.

    Attributes:
        clipped: (B,) long, how many times each window's correction was clipped (the target moved), or None
            before the first correction.
    """

    def __init__(
        self,
        prior: Denoiser,
        likelihood: Likelihood,
        scale: float = 1.0,
        guide_steps: int = 1,
        min_noise_level: int = 0,
        through_denoiser: bool = False,
        clip: float = 0.0,
        fixed: Tensor | None = None,
    ) -> None:
        if guide_steps < 1:
            raise ValueError(f"guide_steps is {guide_steps}; use at least 1")
        self.prior = prior
        self.likelihood = likelihood
        self.scale = scale
        self.guide_steps = guide_steps
        self.min_noise_level = min_noise_level
        self.through_denoiser = through_denoiser
        self.clip = clip
        self.fixed = fixed
        self.clipped: Tensor | None = None

    @property
    def needs_grad(self) -> bool:
        """Whether the sampling loop must hand over x_t with autograd on (``modifier_needs_grad``)."""
        return self.through_denoiser

    def log_twist(self, x_t: Tensor, t: Tensor, eps: Tensor | None = None) -> tuple[Tensor, Tensor, Tensor]:
        """log p(O | x_t) (B,), its gradient in x_t (B, H, D) and the denoiser's eps at x_t (B, H, D), detached.

        ``eps``, if given, must be the denoiser's output at x_t (carrying the graph when ``through_denoiser``).
        """
        with torch.enable_grad():
            x = x_t if x_t.requires_grad else x_t.detach().requires_grad_(True)
            if self.through_denoiser:
                if eps is None or not eps.requires_grad:
                    eps = self.prior.predict_eps(x, t)
                value = self.likelihood.log_likelihood(eps_to_x0(eps, x, t, self.prior.alphas_cumprod), t)
            else:
                value = self.likelihood.log_likelihood(x, t)
            (grad,) = torch.autograd.grad(value.sum(), x)
        if eps is None:
            with torch.no_grad():
                eps = self.prior.predict_eps(x_t.detach(), t)
        grad = torch.nan_to_num(grad, nan=0.0, posinf=0.0, neginf=0.0)
        if self.fixed is not None:
            grad = grad.masked_fill(self.fixed, 0.0)
        return value.detach(), grad.detach(), eps.detach()

    def correction(self, x_t: Tensor, t: Tensor, grad: Tensor) -> Tensor:
        """eps correction ``scale * sqrt(1 - abar_t) * grad`` (B, H, D), zero below ``min_noise_level``, clipped."""
        a = rearrange(self.prior.alphas_cumprod.to(x_t.device, x_t.dtype)[t.long()], "b -> b 1 1")
        active = rearrange((t >= self.min_noise_level).to(x_t.dtype), "b -> b 1 1")
        delta = self.scale * (1 - a).sqrt() * grad * active
        return self._clipped(delta)

    def _clipped(self, delta: Tensor) -> Tensor:
        """``delta`` (B, H, D) with each window's RMS limited; the RMS cannot overflow, inf counts as the largest
        float."""
        limit = self.clip if self.clip > 0 else MAX_CORRECTION_RMS
        finfo = torch.finfo(delta.dtype)
        delta = torch.nan_to_num(delta, nan=0.0, posinf=finfo.max, neginf=-finfo.max)
        peak = delta.abs().amax(dim=(1, 2), keepdim=True).clamp(min=finfo.tiny)
        rms = peak * (delta / peak).square().mean(dim=(1, 2), keepdim=True).sqrt()
        binds = (rms > limit).flatten().long()
        self.clipped = binds if self.clipped is None or self.clipped.shape != binds.shape else self.clipped + binds
        return delta * (limit / rms.clamp(min=limit))

    def mean_shift(self, t: Tensor, grad: Tensor, sigma: float) -> Tensor:
        """Shift ``scale * sigma^2 * grad`` (B, H, D) of a Gaussian kernel's mean of standard deviation sigma: the
        mean of the kernel tilted by ``exp(scale * grad . x)``. Zero below ``min_noise_level``; the RMS of the
        shift in units of sigma is clipped like the eps correction."""
        active = rearrange((t >= self.min_noise_level).to(grad.dtype), "b -> b 1 1")
        return sigma * self._clipped(self.scale * sigma * grad * active)

    def guided_eps(self, x_t: Tensor, t: Tensor, eps: Tensor, grad: Tensor) -> Tensor:
        """eps_hat after ``guide_steps`` gradient steps, given the first gradient ``grad`` at x_t (B, H, D)."""
        delta = self.correction(x_t, t, grad)
        if self.guide_steps > 1:
            a = rearrange(self.prior.alphas_cumprod.to(x_t.device, x_t.dtype)[t.long()], "b -> b 1 1")
            x = x_t.detach()
            for _ in range(self.guide_steps - 1):
                x = x + (1 - a).sqrt() * delta
                _, grad, _ = self.log_twist(x, t)
                delta = self.correction(x, t, grad)
            delta = self._clipped((x + (1 - a).sqrt() * delta - x_t.detach()) / (1 - a).sqrt())
        return eps.detach() - delta

    def __call__(self, x_t: Tensor, t: Tensor, eps: Tensor) -> Tensor:
        """The sampling hook: (x_t, t, eps) -> eps_hat, all (B, H, D) but t (B,).

        Below ``min_noise_level`` the correction is zero, so the gradient is not computed at all.
        """
        if not bool((t >= self.min_noise_level).any()):
            return eps.detach()
        _, grad, eps = self.log_twist(x_t, t, eps)
        return self.guided_eps(x_t.detach(), t, eps, grad)
