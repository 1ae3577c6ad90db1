"""The diffusion prior p(tau): temporal U-Net denoiser, DDPM training schedule, solvers, inpainting."""

from diffplan.prior.denoiser import Denoiser
from diffplan.prior.inpainting import Conditions
from diffplan.prior.sampling import make_sampling_scheduler, sample
from diffplan.prior.temporal_unet import TemporalUNet, TemporalUNetConfig
from diffplan.prior.trajectory_diffusion import DiffusionConfig, TrajectoryDiffusion

__all__ = [
    "Conditions",
    "Denoiser",
    "DiffusionConfig",
    "TemporalUNet",
    "TemporalUNetConfig",
    "TrajectoryDiffusion",
    "make_sampling_scheduler",
    "sample",
]
