"""The likelihood p(O | tau) and the posterior p(tau | O) ∝ p(tau) p(O | tau): reward sources and samplers."""

from diffplan.inference.best_of_n import best_of_n, select_best
from diffplan.inference.gaussian_prior import GaussianPrior
from diffplan.inference.guidance import GradientGuidance
from diffplan.inference.importance_resampling import importance_resample, prior_candidates
from diffplan.inference.known_reward import KnownReward
from diffplan.inference.learned_reward import LearnedReward
from diffplan.inference.likelihood import Likelihood
from diffplan.inference.particles import WeightedParticles, effective_sample_size, systematic_resample
from diffplan.inference.posterior_config import PosteriorConfig
from diffplan.inference.posterior_sampler import PosteriorSampler, PosteriorSamples
from diffplan.inference.return_model import ReturnLikelihood, ReturnModel, ReturnModelConfig
from diffplan.inference.smc import twisted_smc
from diffplan.inference.value_checkpoint import TrainedReturnModel, load_return_model
from diffplan.inference.warm_start import renoise, shift_plan

__all__ = [
    "GaussianPrior",
    "GradientGuidance",
    "KnownReward",
    "LearnedReward",
    "Likelihood",
    "PosteriorConfig",
    "PosteriorSampler",
    "PosteriorSamples",
    "ReturnLikelihood",
    "ReturnModel",
    "ReturnModelConfig",
    "TrainedReturnModel",
    "WeightedParticles",
    "best_of_n",
    "effective_sample_size",
    "importance_resample",
    "load_return_model",
    "prior_candidates",
    "renoise",
    "select_best",
    "shift_plan",
    "systematic_resample",
    "twisted_smc",
]
