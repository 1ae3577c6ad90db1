"""The denoiser interface every sampler uses, and conversions between x0 / eps / v parameterisations.

Forward process (discrete, diffusers convention): ``x_t = sqrt(abar_t) x0 + sqrt(1 - abar_t) eps``,
``v = sqrt(abar_t) eps - sqrt(1 - abar_t) x0``. Samplers and guidance work in eps-space, so any object
with ``predict_eps`` and the training schedule is a denoiser: the learned prior, the EMA copy, or a
closed-form Gaussian denoiser in tests.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

from einops import rearrange
from torch import Tensor

PREDICTION_TYPES = ("sample", "epsilon", "v_prediction")


@runtime_checkable
class Denoiser(Protocol):
    """What a sampler needs from a denoiser.

    alphas_cumprod: (T,) abar_t of the training schedule, indexed by the integer timestep.
    scheduler_config: the training ``DDPMScheduler``'s config (samplers are built from it).
    """

    alphas_cumprod: Tensor
    scheduler_config: Any

    def predict_eps(self, x_t: Tensor, t: Tensor) -> Tensor:
        """x_t: (B, H, D) noisy windows, t: (B,) long timesteps -> eps estimate (B, H, D)."""
        ...


def _abar(alphas_cumprod: Tensor, t: Tensor, x: Tensor) -> Tensor:
    """abar_t gathered for a (B,) timestep tensor, shaped (B, 1, 1) to broadcast against x (B, H, D)."""
    a = alphas_cumprod.to(device=x.device, dtype=x.dtype)[t.long()]
    return rearrange(a.expand(x.shape[0]), "b -> b 1 1")


def to_eps(output: Tensor, x_t: Tensor, t: Tensor, alphas_cumprod: Tensor, prediction_type: str) -> Tensor:
    """Network output in ``prediction_type`` -> eps estimate. All tensors (B, H, D) except t (B,)."""
    a = _abar(alphas_cumprod, t, x_t)
    if prediction_type == "epsilon":
        return output
    if prediction_type == "sample":
        return (x_t - a.sqrt() * output) / (1.0 - a).sqrt()
    if prediction_type == "v_prediction":
        return a.sqrt() * output + (1.0 - a).sqrt() * x_t
    raise ValueError(f"unknown prediction type {prediction_type!r}; use one of {PREDICTION_TYPES}")


def to_x0(output: Tensor, x_t: Tensor, t: Tensor, alphas_cumprod: Tensor, prediction_type: str) -> Tensor:
    """Network output in ``prediction_type`` -> x0 estimate (Tweedie's mean). Shapes as :func:`to_eps`."""
    a = _abar(alphas_cumprod, t, x_t)
    if prediction_type == "sample":
        return output
    if prediction_type == "epsilon":
        return (x_t - (1.0 - a).sqrt() * output) / a.sqrt()
    if prediction_type == "v_prediction":
        return a.sqrt() * x_t - (1.0 - a).sqrt() * output
    raise ValueError(f"unknown prediction type {prediction_type!r}; use one of {PREDICTION_TYPES}")


def eps_to_x0(eps: Tensor, x_t: Tensor, t: Tensor, alphas_cumprod: Tensor) -> Tensor:
    """x0 = (x_t - sqrt(1 - abar_t) eps) / sqrt(abar_t); (B, H, D)."""
    return to_x0(eps, x_t, t, alphas_cumprod, "epsilon")


def target_for(prediction_type: str, x0: Tensor, eps: Tensor, t: Tensor, alphas_cumprod: Tensor) -> Tensor:
    """Regression target of the network for clean x0, noise eps at timesteps t (B,)."""
    if prediction_type == "sample":
        return x0
    if prediction_type == "epsilon":
        return eps
    if prediction_type == "v_prediction":
        a = _abar(alphas_cumprod, t, x0)
        return a.sqrt() * eps - (1.0 - a).sqrt() * x0
    raise ValueError(f"unknown prediction type {prediction_type!r}; use one of {PREDICTION_TYPES}")
