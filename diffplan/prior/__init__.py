"""The diffusion prior p(tau): temporal U-Net denoiser, DDPM training schedule, solvers, inpainting."""

from diffplan.lazy_exports import lazy_exports

# public name → the module that defines it
PUBLIC = {
    "Conditions": "diffplan.prior.inpainting",
    "Denoiser": "diffplan.prior.denoiser",
    "DiffusionConfig": "diffplan.prior.trajectory_diffusion",
    "load_prior": "diffplan.prior.prior_checkpoint",
    "make_sampling_scheduler": "diffplan.prior.sampling",
    "PriorConfig": "diffplan.prior.prior_config",
    "sample": "diffplan.prior.sampling",
    "TemporalUNet": "diffplan.prior.temporal_unet",
    "TemporalUNetConfig": "diffplan.prior.temporal_unet",
    "train_prior": "diffplan.prior.prior_training",
    "TrainedPrior": "diffplan.prior.prior_checkpoint",
    "TrajectoryDiffusion": "diffplan.prior.trajectory_diffusion",
}

__all__ = sorted(PUBLIC)
__getattr__, __dir__ = lazy_exports(__name__, PUBLIC)
