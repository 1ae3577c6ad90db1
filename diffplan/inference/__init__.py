"""The likelihood p(O | tau) and the posterior p(tau | O) ∝ p(tau) p(O | tau): reward sources and samplers."""

from diffplan.lazy_exports import lazy_exports

# public name → the module that defines it
PUBLIC = {
    "effective_sample_size": "diffplan.inference.particles",
    "GaussianPrior": "diffplan.inference.gaussian_prior",
    "GradientGuidance": "diffplan.inference.guidance",
    "importance_resample": "diffplan.inference.importance_resampling",
    "KnownReward": "diffplan.inference.known_reward",
    "LearnedReward": "diffplan.inference.learned_reward",
    "Likelihood": "diffplan.inference.likelihood",
    "load_return_model": "diffplan.inference.return_model_checkpoint",
    "PosteriorConfig": "diffplan.inference.posterior_config",
    "PosteriorSampler": "diffplan.inference.posterior_sampler",
    "PosteriorSamples": "diffplan.inference.posterior_sampler",
    "prior_candidates": "diffplan.inference.importance_resampling",
    "renoise": "diffplan.inference.warm_start",
    "ReturnLikelihood": "diffplan.inference.return_model",
    "ReturnModel": "diffplan.inference.return_model",
    "ReturnModelConfig": "diffplan.inference.return_model",
    "select_best": "diffplan.inference.best_of_n",
    "shift_plan": "diffplan.inference.warm_start",
    "systematic_resample": "diffplan.inference.particles",
    "train_return_model": "diffplan.inference.return_model_training",
    "TrainedReturnModel": "diffplan.inference.return_model_checkpoint",
    "twisted_smc": "diffplan.inference.smc",
    "ReturnModelRunConfig": "diffplan.inference.return_model_run_config",
    "WeightedParticles": "diffplan.inference.particles",
}

__all__ = sorted(PUBLIC)
__getattr__, __dir__ = lazy_exports(__name__, PUBLIC)
