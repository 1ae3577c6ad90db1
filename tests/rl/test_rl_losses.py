"""KL estimate, clipped advantage weights and the in-sample value regressions."""

from __future__ import annotations

import math

import torch

from diffplan.rl.critics import expectile_loss, soft_value_loss
from diffplan.rl.divergence import advantage_weights, kl_estimate
from diffplan.rl.tanh_gaussian import TanhGaussian


def test_kl_estimate_is_zero_for_equal_policies_and_positive_otherwise():
    torch.manual_seed(0)
    mean, log_std = torch.randn(64, 2), torch.randn(64, 2) * 0.3
    policy = TanhGaussian(mean, log_std)
    actions, log_policy = policy.sample((256,))
    # same density, same actions: exactly zero
    assert torch.all(kl_estimate(policy.log_prob(actions), TanhGaussian(mean, log_std).log_prob(actions)) == 0)
    # with the exact log pi of the samples (from u) it is zero up to the clipping of near-bound actions
    assert kl_estimate(log_policy, policy.log_prob(actions)).mean().abs() < 0.02
    other = TanhGaussian(mean + 0.5, log_std)
    kl = kl_estimate(log_policy, other.log_prob(actions))
    assert kl.mean() > 0.05  # a Monte-Carlo estimate; its expectation is the (positive) KL
    # Gaussians before the tanh: KL is invariant under the bijection, = Σ 0.5 ((Δμ)/σ)²
    exact = (0.5 * (0.5 / log_std.exp()) ** 2).sum(-1)
    assert abs(kl.mean().item() - exact.mean().item()) / exact.mean().item() < 0.1


def test_advantage_weights_are_exponential_and_clipped():
    advantage = torch.tensor([-1.0, 0.0, 1.0, 10.0, 1e6])
    weights = advantage_weights(advantage, alpha=1.0, max_weight=20.0)
    torch.testing.assert_close(weights[:3], torch.exp(advantage[:3]))
    assert torch.all(weights[3:] == 20.0) and torch.isfinite(weights).all()


def test_soft_value_regression_minimiser_is_log_mean_exp():
    torch.manual_seed(0)
    q, alpha = torch.randn(20_000, dtype=torch.float64) * 2.0, 0.5
    target = alpha * (torch.logsumexp(q / alpha, 0) - math.log(len(q)))
    value = target.clone().requires_grad_(True)
    soft_value_loss(q - value, alpha).backward()
    assert abs(value.grad.item()) < 1e-6  # stationary at alpha log E exp(Q / alpha) ...
    at_target = soft_value_loss(q - target, alpha)
    for shift in (-0.1, 0.1):  # ... and the loss is convex, so that is the minimum
        assert soft_value_loss(q - target - shift, alpha) > at_target


def test_expectile_loss_weights_positive_errors_by_tau():
    assert math.isclose(expectile_loss(torch.tensor([1.0]), 0.7).item(), 0.7, rel_tol=1e-6)
    assert math.isclose(expectile_loss(torch.tensor([-1.0]), 0.7).item(), 0.3, rel_tol=1e-6)


def test_tuned_temperature_rises_when_the_kl_exceeds_its_budget_and_logs_without_warnings():
    import warnings

    from diffplan.data.trajectory_buffer import Transitions
    from diffplan.rl.kl_sac import KLRegularisedSAC
    from diffplan.rl.rl_config import BehaviourPriorConfig, CriticConfig, KLSACConfig

    torch.manual_seed(0)
    learner = KLRegularisedSAC(3, 1, KLSACConfig(tune_alpha=True, target_kl=1e-6, actor_hidden_dims=[8]),
                               CriticConfig(hidden_dims=[8]), BehaviourPriorConfig(hidden_dims=[8], warmup_steps=0))
    optimizers = {name: torch.optim.Adam(params, lr=0.1) for name, params in learner.optimizer_groups().items()}

    def optimize(name: str, loss: torch.Tensor) -> float:
        optimizers[name].zero_grad()
        loss.backward()
        optimizers[name].step()
        return loss.item()

    batch = Transitions(states=torch.randn(32, 3), actions=torch.rand(32, 1) * 2 - 1, rewards=torch.randn(32),
                        next_states=torch.randn(32, 3), terminals=torch.zeros(32))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # reading alpha of a tuned temperature must not warn
        metrics = learner.training_step(batch, 0, optimize)
    assert metrics["kl_estimate"] > 1e-6 and metrics["alpha"] > 0.1  # KL above budget: the dual raises alpha
