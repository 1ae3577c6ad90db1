"""Known-reward guidance on a prior trained for real (shared trainer, a few hundred steps on CPU): paths from
the origin in random directions; a dense reward exp(-distance to a goal) moves the plans towards the goal."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from einops import rearrange

from diffplan.data.episodes import EpisodeSteps
from diffplan.data.observation_layout import ObservationLayout
from diffplan.data.trajectory_buffer import TrajectoryBuffer
from diffplan.inference.known_reward import KnownReward
from diffplan.inference.posterior_config import PosteriorConfig
from diffplan.inference.posterior_sampler import PosteriorSampler
from diffplan.prior.inpainting import Conditions
from diffplan.prior.prior_learner import PriorLearner
from diffplan.prior.temporal_unet import TemporalUNet, TemporalUNetConfig
from diffplan.prior.trajectory_diffusion import DiffusionConfig, TrajectoryDiffusion
from diffplan.training.trainer import Trainer, make_accelerator
from diffplan.training.trainer_config import TrainerConfig

H, ACT, OBS, STEPS = 8, 2, 2, 300
GOAL = torch.tensor([0.0, 1.0])


def straight_paths(n: int, generator: torch.Generator) -> EpisodeSteps:
    """n episodes of H steps from the origin at a random heading: actions = velocity, states = positions."""
    heading = 2 * math.pi * torch.rand(n, generator=generator)
    velocity = torch.stack((heading.cos(), heading.sin()), dim=-1) / H
    positions = velocity[:, None] * torch.arange(H)[None, :, None]
    actions = rearrange(velocity[:, None].expand(n, H, 2), "n h a -> (n h) a").numpy()
    states = rearrange(positions, "n h s -> (n h) s").numpy()
    zeros = np.zeros(n * H)
    return EpisodeSteps(states, states, actions, zeros, zeros.astype(bool), zeros.astype(bool), None, np.full(n, H))


def dense_reward(states: torch.Tensor, actions: torch.Tensor) -> torch.Tensor:
    return torch.exp(-(states - GOAL.to(states)).norm(dim=-1))


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    layout = ObservationLayout((), (), None, 0, OBS)
    buffer = TrajectoryBuffer(straight_paths(2048, torch.Generator().manual_seed(0)), H, layout=layout)
    torch.manual_seed(0)
    unet = TemporalUNet(TemporalUNetConfig(transition_dim=ACT + OBS, dim=16, dim_mults=(1, 2)))
    model = TrajectoryDiffusion(unet, DiffusionConfig(horizon=H, action_dim=ACT, num_train_timesteps=20,
                                                      prediction_type="sample", action_weight=1.0))
    config = TrainerConfig(steps=STEPS, batch_size=64, learning_rate=3e-3, lr_schedule="cosine", grad_clip=0.0,
                           ema_decay=0.0, log_every=100, checkpoint_every=STEPS)
    trainer = Trainer(PriorLearner(model, inpaint_goal=False, data_metadata={}), buffer.sample, config,
                      tmp_path_factory.mktemp("run"), make_accelerator(config, "cpu"), progress=False)
    trainer.fit()
    torch.set_num_threads(threads)
    return trainer.sampling_model.diffusion.eval().requires_grad_(False), buffer


@pytest.mark.parametrize("method", ["guided", "smc"])
def test_known_reward_guidance_moves_plans_towards_higher_reward(trained, method):
    prior, buffer = trained
    likelihood = KnownReward(dense_reward, ACT, buffer.normalizer, alpha=0.1)
    start = buffer.state_normalizer.normalize(torch.zeros(4, OBS))
    conditions = Conditions.start_goal(start, H, ACT)
    base = PosteriorConfig(method="prior", scheduler="ddim", num_steps=10, particles=32, select="draw")
    guided = PosteriorConfig(method=method, scheduler="ddim", num_steps=10, particles=32, select="draw",
                             through_denoiser=True)

    def expected_return(config: PosteriorConfig) -> float:
        """Mean return of the weighted candidates (4 problems x 32 candidates)."""
        out = PosteriorSampler(prior, likelihood, config).sample(conditions, generator=torch.Generator().manual_seed(0))
        values = rearrange(likelihood.returns(out.candidates.flatten(0, 1)), "(b n) -> b n", b=4)
        return float((out.log_weights.exp() * values).sum(dim=1).mean())

    prior_return, guided_return = expected_return(base), expected_return(guided)
    print(f"\n{method}: mean return of plans {prior_return:.3f} (prior) -> {guided_return:.3f} (guided)")
    assert guided_return > prior_return + 0.5


def test_few_step_and_warm_started_guided_plans_reach_the_return_of_many_step_plans(trained):
    """The fast settings of the planning benchmark: DPM-Solver++ with 2 steps, and a warm start that re-noises the
    previous plan and runs 1 of 3 steps, keep the return of guided plans made with 10 DDIM steps."""
    prior, buffer = trained
    likelihood = KnownReward(dense_reward, ACT, buffer.normalizer, alpha=0.1)
    conditions = Conditions.start_goal(buffer.state_normalizer.normalize(torch.zeros(8, OBS)), H, ACT)

    def plans(config: PosteriorConfig, warm: torch.Tensor | None = None) -> torch.Tensor:
        sampler = PosteriorSampler(prior, likelihood, config)
        return sampler.sample(conditions, generator=torch.Generator().manual_seed(1), warm_start=warm).plans

    guided = {"method": "guided", "particles": 16, "select": "most_likely", "through_denoiser": True}
    prior_plans = plans(PosteriorConfig(method="prior", scheduler="ddim", num_steps=10, particles=1))
    reference = plans(PosteriorConfig(scheduler="ddim", num_steps=10, **guided))
    few = plans(PosteriorConfig(scheduler="dpmsolver++", num_steps=2, **guided))
    warm_config = PosteriorConfig(scheduler="dpmsolver++", num_steps=3, warm_start_noise_level=0.4, warm_start_shift=0,
                                  **guided)
    warm = plans(warm_config, few)
    returns = {name: float(likelihood.returns(x).mean()) for name, x in
               (("prior", prior_plans), ("ddim 10", reference), ("dpm++ 2", few), ("warm 1 of 3", warm))}
    print(f"\nmean return of plans: {returns}")
    gain = returns["ddim 10"] - returns["prior"]
    assert gain > 0.5
    assert returns["dpm++ 2"] > returns["ddim 10"] - 0.2 * gain
    assert returns["warm 1 of 3"] > returns["ddim 10"] - 0.2 * gain
