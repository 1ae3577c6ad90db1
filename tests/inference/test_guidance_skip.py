"""Below min_noise_level guidance is skipped without taking the gradient; the samples must not change."""

from __future__ import annotations

import torch
from helpers.gaussian_problem import H, gaussian_prior, quadratic_reward

from diffplan.inference.guidance import GradientGuidance
from diffplan.prior.sampling import sample


class CountingLikelihood:
    def __init__(self, likelihood) -> None:
        self.likelihood = likelihood
        self.calls = 0

    def log_likelihood(self, x, t):
        self.calls += 1
        return self.likelihood.log_likelihood(x, t)


class AlwaysGradient(GradientGuidance):
    """The hook as it was before the skip: the gradient is taken at every step and zeroed below the level."""

    def __call__(self, x_t, t, eps):
        _, grad, eps = self.log_twist(x_t, t, eps)
        return self.guided_eps(x_t.detach(), t, eps, grad)


def draw(guidance_class, min_noise_level: int, guide_steps: int = 2) -> tuple[torch.Tensor, int]:
    prior = gaussian_prior(num_train_timesteps=20)
    reward, _, _ = quadratic_reward()
    likelihood = CountingLikelihood(reward)
    guidance = guidance_class(prior, likelihood, scale=1.0, guide_steps=guide_steps, min_noise_level=min_noise_level)
    x = sample(prior, (32, H, 2), None, "ddim", 10, torch.Generator().manual_seed(0), eps_modifier=guidance)
    return x, likelihood.calls


def test_skipping_low_noise_steps_leaves_the_samples_unchanged_and_saves_gradients():
    timesteps = [19, 17, 15, 13, 11, 9, 7, 5, 3, 1]  # DDIM, 10 trailing steps of 20
    for level in (0, 6, 12, 25):
        fast, fast_calls = draw(GradientGuidance, level)
        slow, slow_calls = draw(AlwaysGradient, level)
        assert torch.equal(fast, slow)
        assert slow_calls == 2 * len(timesteps)
        assert fast_calls == 2 * sum(t >= level for t in timesteps)


def test_no_guidance_at_all_equals_the_unguided_prior():
    prior = gaussian_prior(num_train_timesteps=20)
    guided, calls = draw(GradientGuidance, 20)
    plain = sample(prior, (32, H, 2), None, "ddim", 10, torch.Generator().manual_seed(0))
    assert calls == 0
    assert torch.allclose(guided, plain)
