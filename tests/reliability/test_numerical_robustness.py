"""Numbers at the edge: stiff likelihoods (huge rewards, alpha near 0) sample finite plans, SMC weights live in
log space, and a NaN loss stops training with its step and batch, without a NaN checkpoint."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch
from helpers.episodes import box, random_box_episodes
from helpers.tiny_prior import DATASET, TINY_PRIOR

from diffplan.cli import main
from diffplan.inference.gaussian_prior import GaussianPrior
from diffplan.inference.guidance import MAX_CORRECTION_RMS, GradientGuidance
from diffplan.inference.known_reward import KnownReward
from diffplan.inference.particles import effective_sample_size, normalise
from diffplan.inference.posterior_config import PosteriorConfig
from diffplan.inference.posterior_sampler import PosteriorSampler
from diffplan.training.checkpoint import list_checkpoints, load_checkpoint

H, D = 8, 2


def stiff_problem(scale: float, alpha: float) -> tuple[GaussianPrior, KnownReward]:
    """A standard-normal prior of (H, D) windows and the reward -scale * ||row - 3||^2 at temperature alpha."""
    prior = GaussianPrior(torch.zeros(H, D), torch.ones(H, D), num_train_timesteps=50)

    def reward(states: torch.Tensor, actions: torch.Tensor) -> torch.Tensor:
        return -scale * ((states - 3).square().sum(-1) + (actions - 3).square().sum(-1))

    return prior, KnownReward(reward, action_dim=1, alpha=alpha)


@pytest.mark.parametrize(("scale", "alpha"), [(1e8, 1.0), (1.0, 1e-8), (1e8, 1e-8)])
@pytest.mark.parametrize("method", ["guided", "smc"])
@pytest.mark.parametrize("clip", [1.0, 0.0])
@pytest.mark.parametrize("through_denoiser", [True, False])
def test_stiff_likelihoods_give_finite_plans_and_log_weights(scale, alpha, method, clip, through_denoiser):
    prior, likelihood = stiff_problem(scale, alpha)
    for scheduler in ("ddpm", "ddim", "dpmsolver++") if method == "guided" else ("ddim",):
        config = PosteriorConfig(method=method, scheduler=scheduler, num_steps=8, particles=8, guide_steps=2,
                                 guidance_clip=clip, guidance_scale=1e6, through_denoiser=through_denoiser)
        sampler = PosteriorSampler(prior, likelihood, config)
        out = sampler.sample(num_plans=2, generator=torch.Generator().manual_seed(0))
        assert torch.isfinite(out.plans).all() and torch.isfinite(out.candidates).all()
        assert not torch.isnan(out.values).any() and not torch.isnan(out.candidate_values).any()
        assert torch.isfinite(out.log_weights).all()
        assert torch.allclose(torch.logsumexp(out.log_weights, dim=1), torch.zeros(2), atol=1e-5)
        assert torch.isfinite(out.diagnostics["log_evidence"]).all()


@pytest.mark.parametrize("clip", [0.5, 0.0])
def test_guidance_correction_is_bounded_even_for_overflowing_gradients(clip):
    prior, likelihood = stiff_problem(1.0, 1.0)
    guidance = GradientGuidance(prior, likelihood, scale=1e30, clip=clip)
    grad = torch.full((3, H, D), 1e30)
    grad[1, 0, 0] = torch.finfo(torch.float32).max
    grad[2] = 0.0
    t = torch.full((3,), 40)
    delta = guidance.correction(torch.zeros(3, H, D), t, grad)
    rms = delta.square().mean(dim=(1, 2)).sqrt()
    limit = clip or MAX_CORRECTION_RMS
    assert torch.isfinite(delta).all() and torch.all(rms[:2] <= limit * 1.0001) and torch.all(rms[:2] > limit / 2)
    assert torch.equal(delta[2], torch.zeros(H, D))


def test_log_weights_far_beyond_exp_range_stay_finite():
    # exp(-1e30) and exp(1e30) are 0 and inf; in log space the weights keep their order and normalise exactly
    log_w = torch.tensor([[-1e30, 0.0, 1e30, 1e30 - 1e24], [math.nan, math.inf, -math.inf, 0.0]], dtype=torch.float64)
    normalised = normalise(log_w)
    assert torch.isfinite(normalised[0]).all() and normalised[0].argmax() == 2
    assert not normalised.isnan().any() and not normalised.isposinf().any()  # -inf: a weight of exactly 0
    assert torch.allclose(normalised.logsumexp(dim=1), torch.zeros(2, dtype=torch.float64))
    equal = normalise(torch.full((1, 8), -3e20, dtype=torch.float64))  # a common offset far beyond exp's range
    assert torch.allclose(equal, torch.full((1, 8), -math.log(8), dtype=torch.float64))
    ess = effective_sample_size(log_w)
    assert torch.isfinite(ess).all() and torch.all((ess >= 1) & (ess <= 4))


def test_nan_loss_stops_train_prior_with_step_and_batch_and_no_nan_checkpoint(tmp_path: Path, make_dataset, capsys):
    make_dataset(DATASET, random_box_episodes([20, 20]), box(3), box(2, 1.0))
    run_dir = tmp_path / "run"
    argv = [*TINY_PRIOR, "trainer.steps=20", "trainer.learning_rate=1e30", "trainer.grad_clip=0", "--run-dir",
            str(run_dir)]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert "loss of 'model' is nan at step" in err and "batch x: min" in err and "non-finite" in err, err
    step = int(err.split("at step ")[1].split(";")[0])
    checkpoints = list_checkpoints(run_dir / "checkpoints")
    assert all(int(p.stem.split("_")[1]) <= step for p in checkpoints)
    for path in checkpoints:
        state = load_checkpoint(path)
        for name, value in {**state["learner"], **(state["ema"] or {})}.items():
            assert torch.isfinite(value).all(), (path.name, name)
