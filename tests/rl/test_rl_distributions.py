"""The tanh-Gaussian and its mixture: exact log-densities, sampling, and a bimodal behaviour-cloning fit."""

from __future__ import annotations

import math

import torch
from torch.distributions import Normal, TransformedDistribution
from torch.distributions.transforms import TanhTransform

from diffplan.data.trajectory_buffer import Transitions
from diffplan.rl.behaviour_prior import BehaviourCloning
from diffplan.rl.tanh_gaussian import ACTION_EPSILON, TanhGaussian, TanhGaussianMixture, clip_actions
from diffplan.training.trainer import Trainer, make_accelerator
from diffplan.training.trainer_config import TrainerConfig


def test_tanh_gaussian_log_prob_matches_change_of_variables():
    torch.manual_seed(0)
    mean, log_std = torch.randn(5, 3), torch.randn(5, 3) * 0.5
    distribution = TanhGaussian(mean, log_std)
    actions = torch.rand(5, 3) * 1.8 - 0.9
    reference = TransformedDistribution(Normal(mean, log_std.exp()), [TanhTransform()]).log_prob(actions).sum(-1)
    torch.testing.assert_close(distribution.log_prob(actions), reference, atol=1e-4, rtol=1e-4)
    # samples: the stable Jacobian of u agrees with the density of the action
    samples, log_prob = distribution.rsample((4,))
    inside = samples.abs().amax(-1) < 1 - ACTION_EPSILON
    torch.testing.assert_close(log_prob[inside], distribution.log_prob(samples)[inside], atol=1e-3, rtol=1e-3)


def test_tanh_gaussian_density_integrates_to_one_and_clips_bounds():
    distribution = TanhGaussian(torch.tensor([[0.7]]), torch.tensor([[-0.3]]))
    grid = torch.linspace(-1 + 1e-6, 1 - 1e-6, 200_001, dtype=torch.float64)
    density = TanhGaussian(distribution.mean.double(), distribution.log_std.double()).log_prob(
        grid[:, None, None], epsilon=1e-7).exp()[:, 0]
    assert abs(torch.trapezoid(density, grid).item() - 1.0) < 1e-3
    on_bound = torch.tensor([[1.0]])
    assert torch.isfinite(distribution.log_prob(on_bound)).all()
    assert math.isclose(clip_actions(on_bound).item(), 1 - ACTION_EPSILON, rel_tol=1e-6)


def test_mixture_log_prob_is_weighted_sum_of_components():
    torch.manual_seed(1)
    logits, mean, log_std = torch.randn(4, 3), torch.randn(4, 3, 2), torch.randn(4, 3, 2) * 0.3
    mixture = TanhGaussianMixture(logits, mean, log_std)
    actions = torch.rand(4, 2) * 1.6 - 0.8
    weights = torch.softmax(logits, -1)
    components = torch.stack([TanhGaussian(mean[:, k], log_std[:, k]).log_prob(actions).exp() for k in range(3)], -1)
    torch.testing.assert_close(mixture.log_prob(actions), torch.log((weights * components).sum(-1)))
    samples, log_prob = mixture.rsample((6,))
    assert samples.shape == (6, 4, 2) and log_prob.shape == (6, 4)


def _bimodal(batch_size: int) -> Transitions:
    modes = torch.where(torch.rand(batch_size) < 0.5, -0.6, 0.6)
    actions = (modes + 0.05 * torch.randn(batch_size)).clamp(-0.99, 0.99)[:, None]
    states = torch.zeros(batch_size, 1)
    return Transitions(states, actions, torch.zeros(batch_size), states, torch.zeros(batch_size))


def test_mixture_prior_fits_a_bimodal_dataset_where_one_gaussian_cannot(tmp_path):
    torch.set_num_threads(1)
    config = TrainerConfig(steps=600, batch_size=256, learning_rate=3e-3, grad_clip=0.0, ema_decay=0.0,
                           checkpoint_every=10**9, log_every=10**9)
    fits = {}
    for components in (1, 2):
        learner = BehaviourCloning(1, 1, hidden_dims=[32], components=components)
        Trainer(learner, _bimodal, config, tmp_path / str(components), make_accelerator(config, "cpu"),
                progress=False).fit()
        held_out = _bimodal(4000)
        with torch.no_grad():
            fits[components] = learner.behaviour_prior(held_out.states).log_prob(held_out.actions).mean().item()
            if components == 2:
                samples, _ = learner.behaviour_prior(torch.zeros(1, 1)).sample((4000,))
    assert fits[2] > fits[1] + 0.5, fits
    # both modes carry about half the mass, and almost none sits between them
    samples = samples.flatten()
    assert abs((samples > 0).float().mean().item() - 0.5) < 0.1
    assert (samples.abs() < 0.3).float().mean().item() < 0.05
    assert math.isfinite(fits[2])
