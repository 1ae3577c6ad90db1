"""The prior learns a bimodal trajectory set: paths from (-1, 0) to (1, 0) around a disc at the origin,
70 % above and 30 % below. Trained for real on CPU by the shared trainer (small U-Net, H = 16), then sampled."""

from __future__ import annotations

import math
import time

import numpy as np
import pytest
import torch
from einops import rearrange

from diffplan.data.episodes import EpisodeSteps
from diffplan.data.observation_layout import ObservationLayout
from diffplan.data.trajectory_buffer import TrajectoryBuffer
from diffplan.prior.inpainting import Conditions
from diffplan.prior.prior_learner import PriorLearner
from diffplan.prior.sampling import sample
from diffplan.prior.temporal_unet import TemporalUNet, TemporalUNetConfig
from diffplan.prior.trajectory_diffusion import DiffusionConfig, TrajectoryDiffusion
from diffplan.training.trainer import Trainer, make_accelerator
from diffplan.training.trainer_config import TrainerConfig

H, ACT, OBS = 16, 2, 2
P_UPPER = 0.7
OBSTACLE_RADIUS = 0.45
T, STEPS, N = 50, 800, 500


def make_paths(n: int, generator: torch.Generator) -> torch.Tensor:
    """(n, H, 4) rows [velocity (2), position (2)]; the upper mode with probability P_UPPER."""
    s = torch.linspace(0.0, 1.0, H)
    side = torch.where(torch.rand(n, generator=generator) < P_UPPER, 1.0, -1.0)
    amp = 0.7 + 0.1 * (2 * torch.rand(n, generator=generator) - 1)
    skew = 0.1 * (2 * torch.rand(n, generator=generator) - 1)
    x = -1.0 + 2.0 * s + skew[:, None] * torch.sin(2 * math.pi * s)
    y = side[:, None] * amp[:, None] * torch.sin(math.pi * s)
    pos = torch.stack((x, y), dim=-1)
    vel = torch.cat((pos[:, 1:] - pos[:, :-1], pos[:, -1:] - pos[:, -2:-1]), dim=1) * (H - 1) / 2
    return torch.cat((vel, pos), dim=-1)


def upper_fraction(windows: torch.Tensor) -> float:
    return (windows[:, :, ACT + 1].mean(dim=1) > 0).float().mean().item()


def manifold_distance(samples: torch.Tensor, data: torch.Tensor) -> torch.Tensor:
    """(N,) RMS distance of each sample's positions to the nearest data path."""
    a = samples[:, :, ACT:].flatten(1)
    b = data[:, :, ACT:].flatten(1)
    return torch.cdist(a, b).min(dim=1).values / math.sqrt(H)


def paths_as_episodes(paths: torch.Tensor) -> EpisodeSteps:
    """Each path (H, 4) becomes one episode of H steps: actions = velocities, states = positions."""
    n = paths.shape[0]
    actions = rearrange(paths[:, :, :ACT], "n h a -> (n h) a").numpy()
    states = rearrange(paths[:, :, ACT:], "n h s -> (n h) s").numpy()
    zeros = np.zeros(n * H)
    return EpisodeSteps(states, states, actions, zeros, zeros.astype(bool), zeros.astype(bool), None,
                        np.full(n, H))


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> tuple[TrajectoryDiffusion, torch.Tensor, torch.Tensor]:
    """A prior trained by the shared trainer on a device buffer of the paths; samples in data units."""
    g = torch.Generator().manual_seed(0)
    data = make_paths(4096, g)
    layout = ObservationLayout((), (), None, 0, OBS)
    buffer = TrajectoryBuffer(paths_as_episodes(data), H, layout=layout, normalizer="gaussian")
    torch.manual_seed(0)
    unet = TemporalUNet(TemporalUNetConfig(transition_dim=ACT + OBS, dim=16, dim_mults=(1, 2)))
    model = TrajectoryDiffusion(
        unet,
        DiffusionConfig(horizon=H, action_dim=ACT, num_train_timesteps=T, prediction_type="sample", action_weight=1.0),
    )
    config = TrainerConfig(steps=STEPS, batch_size=64, learning_rate=3e-3, lr_schedule="cosine", grad_clip=0.0,
                           ema_decay=0.99, ema_every=1, ema_start=STEPS // 2, log_every=100, checkpoint_every=STEPS)
    trainer = Trainer(PriorLearner(model, inpaint_goal=False, data_metadata={}), buffer.sample, config,
                      tmp_path_factory.mktemp("run"), make_accelerator(config, "cpu"), progress=False)
    start = time.perf_counter()
    metrics = trainer.fit()
    print(f"trained {STEPS} steps in {time.perf_counter() - start:.1f} s, last loss {metrics['train/loss']:.4f}")
    prior = trainer.sampling_model.diffusion
    start_state = buffer.state_normalizer.normalize(torch.tensor([[-1.0, 0.0]])).expand(N, OBS)
    conditions = Conditions.start_goal(start_state, H, ACT)

    def draw(solver: str, steps: int | None, seed: int) -> torch.Tensor:
        x = sample(prior, (N, H, ACT + OBS), conditions, solver, steps, torch.Generator().manual_seed(seed))
        return buffer.normalizer.unnormalize(x)

    return draw, data, draw("ddpm", None, 1)


def test_samples_reproduce_modes_and_stay_on_manifold(trained):
    _, data, x = trained
    frac = upper_fraction(x)
    assert abs(frac - P_UPPER) < 0.10, f"upper-mode fraction {frac:.3f}, data {P_UPPER}"
    dist = manifold_distance(x, data)
    assert dist.median() < 0.05, f"median distance to the data {dist.median():.3f}"
    assert (dist < 0.15).float().mean() > 0.95
    through_obstacle = (x[:, :, ACT:].norm(dim=-1) < OBSTACLE_RADIUS).any(dim=1).float().mean()
    assert through_obstacle < 0.05, f"{through_obstacle:.3f} of the samples cross the obstacle"


@pytest.mark.parametrize("solver", ["ddim", "dpmsolver++"])
def test_fast_solvers_match_full_ddpm(trained, solver):
    draw, data, ref = trained
    fast = draw(solver, 10, 3)
    assert abs(upper_fraction(fast) - upper_fraction(ref)) < 0.08
    # Per-step position mean and spread within each mode agree.
    for side in (1.0, -1.0):
        r = ref[(ref[:, :, ACT + 1].mean(1) > 0) == (side > 0)][:, :, ACT:]
        f = fast[(fast[:, :, ACT + 1].mean(1) > 0) == (side > 0)][:, :, ACT:]
        assert (r.mean(0) - f.mean(0)).abs().max() < 0.06
        assert (r.std(0) - f.std(0)).abs().max() < 0.06
    assert manifold_distance(fast, data).median() < 0.06
