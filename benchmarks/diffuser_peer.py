"""The peer of the planning benchmarks: Diffuser on diffusers (``UNet1DModel`` + ``DDPMScheduler``).

``diffusers_hopper_unet`` is the ``UNet1DModel`` configured as diffusers' hopper port of Diffuser
(``ValueGuidedRLPipeline``); ``DiffusersAdapter`` gives it the (B, H, D) backbone signature of diffplan so
that both priors train with the same loss. ``DiffuserGuidedSampler`` re-implements Diffuser's guided
sampler (``n_step_guided_p_sample``, jannerm/diffuser): at every DDPM step, ``n_guide_steps`` ascent steps
``x <- x + scale * var_t * grad J(x, t)`` (the gradient scaled by the posterior *variance* although the
flag is called ``scale_grad_by_std``, zero below ``t_stopgrad``), the start state re-inpainted after each,
then one ancestral DDPM step from the network's x0; the candidates are ranked by the values J of the last
guide step.
"""

from __future__ import annotations

import torch
from diffusers import DDPMScheduler, UNet1DModel
from einops import rearrange
from torch import Tensor, nn

from diffplan.inference.return_model import ReturnModel
from diffplan.prior.inpainting import Conditions


def diffusers_hopper_unet(horizon: int = 32, transition_dim: int = 14) -> UNet1DModel:
    """UNet1DModel as configured for diffusers' hopper port of Diffuser (ValueGuidedRLPipeline)."""
    return UNet1DModel(
        sample_size=horizon,
        in_channels=transition_dim,
        out_channels=transition_dim,
        extra_in_channels=0,
        time_embedding_type="positional",
        use_timestep_embedding=True,
        flip_sin_to_cos=False,
        freq_shift=1.0,
        down_block_types=("DownResnetBlock1D",) * 4,
        up_block_types=("UpResnetBlock1D",) * 3,
        mid_block_type="MidResTemporalBlock1D",
        out_block_type="OutConv1DBlock",
        block_out_channels=(32, 64, 128, 256),
        act_fn="mish",
        norm_num_groups=8,
        layers_per_block=1,
        downsample_each_block=False,
    )


class DiffusersAdapter(nn.Module):
    """(B, H, D) interface around UNet1DModel, which takes (B, D, H); ``condition`` must be None."""

    def __init__(self, unet: UNet1DModel) -> None:
        super().__init__()
        self.unet = unet

    def forward(self, x: Tensor, t: Tensor, condition: Tensor | None = None) -> Tensor:
        """x: (B, H, D), t: (B,) -> (B, H, D)."""
        if condition is not None:
            raise ValueError("UNet1DModel takes no global condition here")
        out = self.unet(rearrange(x, "b h d -> b d h"), t).sample
        return rearrange(out, "b d h -> b h d")


class DiffuserGuidedSampler:
    """Diffuser's value-guided DDPM sampler for an x0-predicting network.

    Args:
        network: (B, H, D), (B,) -> x0 estimate (B, H, D).
        value: J(x_t, t) -> (B,), differentiated for guidance.
        num_train_timesteps: DDPM steps (all of them are run, as in Diffuser).
        scale, n_guide_steps, t_stopgrad, scale_grad_by_std: Diffuser's guide settings (hopper: 0.1, 2, 2, True).
    """

    def __init__(self, network: nn.Module, value: ReturnModel, num_train_timesteps: int = 20, scale: float = 0.1,
                 n_guide_steps: int = 2, t_stopgrad: int = 2, scale_grad_by_std: bool = True) -> None:
        self.network = network
        self.value = value
        self.scale = scale
        self.n_guide_steps = n_guide_steps
        self.t_stopgrad = t_stopgrad
        self.scale_grad_by_std = scale_grad_by_std
        self.scheduler = DDPMScheduler(num_train_timesteps=num_train_timesteps, beta_schedule="squaredcos_cap_v2",
                                       clip_sample=False, prediction_type="sample", variance_type="fixed_small")
        self.scheduler.set_timesteps(num_train_timesteps)
        abar = self.scheduler.alphas_cumprod.double()
        abar_prev = torch.cat((torch.ones(1, dtype=torch.float64), abar[:-1]))
        variance = self.scheduler.betas.double() * (1 - abar_prev) / (1 - abar)
        variance[0] = variance[1]  # Diffuser's posterior_log_variance_clipped
        self.variance = variance.float()

    def _ascend(self, x: Tensor, t: int, conditions: Conditions) -> tuple[Tensor, Tensor]:
        """One guide step at timestep t: (B, H, D) -> moved (B, H, D) and the values J(x, t) (B,)."""
        steps = torch.full((x.shape[0],), t, dtype=torch.long, device=x.device)
        with torch.enable_grad():
            x_in = x.detach().requires_grad_(True)
            values = self.value(x_in, steps)
            (grad,) = torch.autograd.grad(values.sum(), x_in)
        if self.scale_grad_by_std:
            grad = self.variance[t] * grad
        if t < self.t_stopgrad:
            grad = torch.zeros_like(grad)
        return conditions.apply(x + self.scale * grad), values.detach()

    @torch.no_grad()
    def sample(self, conditions: Conditions, candidates: int, generator: torch.Generator | None = None
               ) -> tuple[Tensor, Tensor]:
        """Plans (B, H, D) and their values (B,) for B problems given as start-state conditions (B, H, D)."""
        b, h, d = conditions.shape
        cond = conditions.repeat(candidates)
        x = cond.apply(torch.randn((b * candidates, h, d), generator=generator).to(cond.values.device))
        values = torch.zeros(b * candidates, device=x.device)
        for t in self.scheduler.timesteps.tolist():
            for _ in range(self.n_guide_steps):
                x, values = self._ascend(x, t, cond)
            steps = torch.full((x.shape[0],), t, dtype=torch.long, device=x.device)
            x0 = self.network(x, steps)
            x = cond.apply(self.scheduler.step(x0, t, x, generator=generator).prev_sample)
        x = rearrange(x, "(b n) h d -> b n h d", b=b)
        values = rearrange(values, "(b n) -> b n", b=b)
        best = values.argmax(dim=1)
        rows = torch.arange(b, device=x.device)
        return x[rows, best], values[rows, best]
