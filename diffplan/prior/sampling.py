"""Sampling from a denoiser with a diffusers solver chosen at sampling time (DDPM, DDIM, DPM-Solver++).

Every solver receives eps (the denoiser's x0 / v outputs are converted), so a guidance callback that
edits eps, ``eps_hat = eps - sqrt(1 - abar_t) * grad_x log p(O | x_t)``, works with all of them.
Constrained entries are written into the initial noise and after every solver step.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from contextlib import nullcontext
from typing import Any

import torch
from diffusers import DDIMScheduler, DDPMScheduler, DPMSolverMultistepScheduler
from torch import Tensor

from diffplan.errors import UserError
from diffplan.prior.denoiser import Denoiser
from diffplan.prior.inpainting import Conditions
from diffplan.prior.random_streams import Generators, normal, per_row

SCHEDULERS = ("ddpm", "ddim", "dpmsolver++")

EpsModifier = Callable[[Tensor, Tensor, Tensor], Tensor]
"""``(x_t (B, H, D), t (B,) long, eps (B, H, D)) -> eps_hat (B, H, D)``: the per-step guidance hook."""


_BUILT: dict[tuple[str, str], Any] = {}
"""Solvers built so far, by (training schedule config, solver name): building one from a config costs
milliseconds of parsing per plan; a shallow copy of a built one and ``set_timesteps`` cost a fraction of one."""


def make_sampling_scheduler(scheduler_config: Any, name: str, num_steps: int) -> Any:
    """A diffusers solver built from the training schedule's config, with ``num_steps`` steps set.

    The solver is told the model predicts eps (samplers always pass eps). Timesteps are spaced
    "trailing", so the first step starts at the last training timestep (pure noise) for any step count.
    Every call returns a solver of its own: a shallow copy of one built once per (schedule, solver), whose
    mutable state (timesteps, multistep history, step index) ``set_timesteps`` assigns afresh.
    """
    if name not in SCHEDULERS:
        raise UserError(f"unknown scheduler {name!r}; use one of {', '.join(SCHEDULERS)}")
    total = int(scheduler_config.num_train_timesteps)
    if not isinstance(num_steps, int) or num_steps <= 0 or num_steps > total:
        raise UserError(f"num_steps is {num_steps}; use an integer from 1 to the {total} training timesteps")
    key = (repr(sorted(dict(scheduler_config).items())), name)
    if key not in _BUILT:
        _BUILT[key] = _build_scheduler(scheduler_config, name)
    scheduler = copy.copy(_BUILT[key])
    scheduler.set_timesteps(num_steps)
    return scheduler


def _build_scheduler(scheduler_config: Any, name: str) -> Any:
    common = {"prediction_type": "epsilon", "clip_sample": False, "timestep_spacing": "trailing"}
    if name == "ddpm":
        return DDPMScheduler.from_config(scheduler_config, **common)
    if name == "ddim":
        return DDIMScheduler.from_config(scheduler_config, **common, set_alpha_to_one=True)
    return DPMSolverMultistepScheduler.from_config(
        scheduler_config,
        prediction_type="epsilon",
        timestep_spacing="trailing",
        algorithm_type="dpmsolver++",
        solver_order=2,
    )


def check_temperature(temperature: float, scheduler_name: str) -> None:
    """One-line errors for a sampling temperature the solver cannot honour."""
    if not (math.isfinite(temperature) and 0 < temperature <= 1):
        raise UserError(f"temperature is {temperature}; use a number in (0, 1] (1 = the prior itself)")
    if temperature != 1 and scheduler_name == "ddpm":
        raise UserError("temperature below 1 needs a deterministic solver, and ddpm adds fresh noise every step; "
                        "use scheduler ddim or dpmsolver++")


def sample(
    denoiser: Denoiser,
    shape: tuple[int, int, int],
    conditions: Conditions | None = None,
    scheduler_name: str = "ddpm",
    num_steps: int | None = None,
    generator: Generators = None,
    eps_modifier: EpsModifier | None = None,
    modifier_needs_grad: bool = False,
    device: torch.device | str | None = None,
    return_chain: bool = False,
    x_init: Tensor | None = None,
    start_timestep: int | None = None,
    temperature: float = 1.0,
) -> Tensor | tuple[Tensor, list[Tensor]]:
    """Draw windows (B, H, D) = ``shape`` from ``denoiser``.

    scheduler_name: "ddpm", "ddim" or "dpmsolver++"; num_steps: solver steps (default: all training
    timesteps). eps_modifier: guidance hook called every step after the denoiser; with
    ``modifier_needs_grad`` the loop runs with autograd enabled and x_t requiring grad, so the hook can
    differentiate through the denoiser (its eps must then be recomputed inside the hook, or use the eps
    given, which carries the graph). Without a hook the loop runs under ``torch.inference_mode()``.
    return_chain: also return the list of x_t after each step (the initial noise first).
    x_init, start_timestep: start from ``x_init`` (B, H, D), a window already noised to the training
    timestep ``start_timestep``, instead of pure noise, and run only the solver steps at timesteps
    ``<= start_timestep`` (warm starts: re-noise a previous plan, denoise from there).
    temperature: scales the initial noise of the deterministic solvers (ddim, dpmsolver++), whose samples are
    a function of it: below 1 the samples move towards the prior's modes (low-temperature sampling; for a
    Gaussian p(x) the draws of p(x)^(1/T^2)). DDPM adds fresh noise every step and accepts only 1.
    """
    config = denoiser.scheduler_config
    steps = int(config.num_train_timesteps) if num_steps is None else num_steps
    scheduler = make_sampling_scheduler(config, scheduler_name, steps)
    check_temperature(temperature, scheduler_name)
    if device is None:
        device = denoiser.alphas_cumprod.device
    if conditions is not None:
        if tuple(conditions.shape) != tuple(shape):
            raise ValueError(f"conditions are {tuple(conditions.shape)} but shape is {tuple(shape)}")
        conditions = conditions.to(device)

    def constrain(x: Tensor) -> Tensor:
        return conditions.apply(x) if conditions is not None else x

    context = torch.inference_mode() if eps_modifier is None else torch.no_grad()
    with context:
        timesteps = scheduler.timesteps
        if x_init is None:
            x = normal(shape, generator, device) * (scheduler.init_noise_sigma * temperature)
        else:
            if tuple(x_init.shape) != tuple(shape):
                raise ValueError(f"x_init is {tuple(x_init.shape)} but shape is {tuple(shape)}")
            x = x_init.to(device)
            if start_timestep is not None:
                timesteps = timesteps[timesteps <= int(start_timestep)]
        x = constrain(x)
        chain = [x] if return_chain else []
        for t_scalar in timesteps:
            t = torch.full((shape[0],), int(t_scalar), dtype=torch.long, device=device)
            grad_ctx = torch.enable_grad() if modifier_needs_grad else nullcontext()
            with grad_ctx:
                x_in = x.detach().requires_grad_(True) if modifier_needs_grad else x
                eps = denoiser.predict_eps(x_in, t)
                if eps_modifier is not None:
                    eps = eps_modifier(x_in, t, eps)
            eps = eps.detach()
            x = scheduler.step(eps, t_scalar, x, generator=per_row(generator, shape[0])).prev_sample
            x = constrain(x)
            if return_chain:
                chain.append(x)
    return (x, chain) if return_chain else x
