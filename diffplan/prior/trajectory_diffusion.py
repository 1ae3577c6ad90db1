"""The diffusion prior p(tau) over normalised windows (B, H, D), rows ``[action, observation]``.

Training: ``x_t = sqrt(abar_t) x0 + sqrt(1 - abar_t) eps`` with t uniform over the DDPM schedule
(diffusers ``DDPMScheduler``, cosine by default); the constrained entries (start state, goal) of x_t are
overwritten with their clean values; the network regresses x0, eps or v; the squared error is weighted
per step (``loss_discount ** h``) and per entry (``action_weight`` on the first action), and the
constrained entries and padded steps are left out. Sampling lives in :mod:`diffplan.prior.sampling`
and sees this module through its :class:`~diffplan.prior.denoiser.Denoiser` methods.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from diffusers import DDPMScheduler
from einops import rearrange
from torch import Tensor, nn

from diffplan.errors import UserError
from diffplan.prior.denoiser import PREDICTION_TYPES, target_for, to_eps, to_x0
from diffplan.prior.inpainting import Conditions

BETA_SCHEDULES = ("squaredcos_cap_v2", "linear", "scaled_linear", "sigmoid")


@dataclass
class DiffusionConfig:
    """Diffusion hyper-parameters (defaults: Diffuser's locomotion setting).

    horizon: H, steps per window. action_dim: actions occupy the first ``action_dim`` columns of a row.
    Both follow from the data (0 = not yet known); a prior config fills them in before building.
    num_train_timesteps: T of the DDPM training schedule. beta_schedule: diffusers name (cosine default).
    prediction_type: "sample" (x0), "epsilon" or "v_prediction".
    action_weight: loss weight of the first step's action entries. loss_discount: weight ``gamma ** h``
    of step h.
    """

    horizon: int = 0
    action_dim: int = 0
    num_train_timesteps: int = 20
    beta_schedule: str = "squaredcos_cap_v2"
    prediction_type: str = "sample"
    action_weight: float = 10.0
    loss_discount: float = 1.0

    def __post_init__(self) -> None:
        if self.prediction_type not in PREDICTION_TYPES:
            raise UserError(
                f"unknown prediction_type {self.prediction_type!r}; use one of {', '.join(PREDICTION_TYPES)}"
            )
        if self.beta_schedule not in BETA_SCHEDULES:
            raise UserError(f"unknown beta_schedule {self.beta_schedule!r}; use one of {', '.join(BETA_SCHEDULES)}")
        if self.num_train_timesteps < 1:
            raise UserError(f"num_train_timesteps is {self.num_train_timesteps}; set it to a positive integer")
        if self.horizon < 0:
            raise UserError(f"horizon is {self.horizon}; set it to a positive integer")
        if self.action_dim < 0:
            raise UserError(f"action_dim is {self.action_dim}; set it to the number of action columns (>= 0)")


class TrajectoryDiffusion(nn.Module):
    """Backbone + DDPM training schedule; implements the Denoiser interface.

    backbone: any module with ``forward(x (B, H, D), t (B,), condition (B, C) | None) -> (B, H, D)``;
    if it has a ``config`` with ``check_horizon``/``transition_dim`` they are checked here.
    """

    def __init__(self, backbone: nn.Module, config: DiffusionConfig, transition_dim: int | None = None) -> None:
        super().__init__()
        if config.horizon <= 0:
            raise ValueError("DiffusionConfig.horizon is not set; fill in the window length of the data")
        self.backbone = backbone
        self.config = config
        bcfg = getattr(backbone, "config", None)
        if hasattr(bcfg, "check_horizon"):
            bcfg.check_horizon(config.horizon)
        if transition_dim is None:
            transition_dim = getattr(bcfg, "transition_dim", None)
        if transition_dim is None:
            raise ValueError("give transition_dim for a backbone without config.transition_dim")
        if config.action_dim > transition_dim:
            raise UserError(
                f"action_dim {config.action_dim} exceeds the row width {transition_dim}; "
                "check action_dim and the backbone's transition_dim"
            )
        self.transition_dim = transition_dim
        self.scheduler = DDPMScheduler(
            num_train_timesteps=config.num_train_timesteps,
            beta_schedule=config.beta_schedule,
            clip_sample=False,
            prediction_type=config.prediction_type,
        )
        self.register_buffer("alphas_cumprod", self.scheduler.alphas_cumprod.clone().float(), persistent=False)
        self.register_buffer("loss_weights", self._loss_weights(), persistent=False)

    # ----------------------------------------------------------------------------------------- weights
    def _loss_weights(self) -> Tensor:
        """(H, D): ``loss_discount ** h`` per step, ``action_weight`` on step 0's action entries."""
        c = self.config
        steps = c.loss_discount ** torch.arange(c.horizon, dtype=torch.float32)
        weights = rearrange(steps, "h -> h 1").repeat(1, self.transition_dim)
        weights[0, : c.action_dim] = c.action_weight
        return weights

    @property
    def scheduler_config(self) -> Any:
        """Config of the training DDPMScheduler (samplers are built ``from_config`` of it)."""
        return self.scheduler.config

    # ---------------------------------------------------------------------------------------- training
    def loss(
        self,
        x0: Tensor,
        mask: Tensor | None = None,
        conditions: Conditions | None = None,
        condition: Tensor | None = None,
        generator: torch.Generator | None = None,
    ) -> Tensor:
        """Weighted denoising loss, a scalar.

        x0: (B, H, D) clean normalised windows. mask: (B, H) bool, True on real (not padded) steps.
        conditions: inpainted entries (excluded from the loss). condition: (B, C) global backbone input.
        """
        b, h, d = x0.shape
        if (h, d) != (self.config.horizon, self.transition_dim):
            raise ValueError(
                f"windows (B, H, D) = {tuple(x0.shape)}; expected H={self.config.horizon}, D={self.transition_dim}"
            )
        t = torch.randint(0, self.config.num_train_timesteps, (b,), device=x0.device, generator=generator)
        eps = torch.randn(x0.shape, device=x0.device, dtype=x0.dtype, generator=generator)
        a = rearrange(self.alphas_cumprod[t].to(x0.dtype), "b -> b 1 1")
        x_t = a.sqrt() * x0 + (1.0 - a).sqrt() * eps
        valid = torch.ones_like(x0, dtype=torch.bool)
        if conditions is not None:
            x_t = conditions.apply(x_t)
            valid = valid & ~conditions.mask
        if mask is not None:
            valid = valid & rearrange(mask.bool(), "b h -> b h 1")
        out = self.backbone(x_t, t, condition)
        target = target_for(self.config.prediction_type, x0, eps, t, self.alphas_cumprod)
        err = (out - target).square() * self.loss_weights
        return torch.where(valid, err, torch.zeros_like(err)).sum() / valid.sum().clamp(min=1)

    # -------------------------------------------------------------------------------------- denoising
    def forward(self, x_t: Tensor, t: Tensor, condition: Tensor | None = None) -> Tensor:
        """Raw network output (x0, eps or v per ``prediction_type``); x_t (B, H, D), t (B,)."""
        return self.backbone(x_t, t, condition)

    def predict_eps(self, x_t: Tensor, t: Tensor, condition: Tensor | None = None) -> Tensor:
        """eps estimate (B, H, D) at integer timesteps t (B,) of the training schedule."""
        t = t.expand(x_t.shape[0]) if t.dim() == 0 else t
        out = self.backbone(x_t, t, condition)
        return to_eps(out, x_t, t, self.alphas_cumprod, self.config.prediction_type)

    def predict_x0(self, x_t: Tensor, t: Tensor, condition: Tensor | None = None) -> Tensor:
        """x0 estimate E[x0 | x_t] (B, H, D) at integer timesteps t (B,)."""
        t = t.expand(x_t.shape[0]) if t.dim() == 0 else t
        out = self.backbone(x_t, t, condition)
        return to_x0(out, x_t, t, self.alphas_cumprod, self.config.prediction_type)
