"""The shared fixture of the planning benchmarks: a small Hopper-v5 dataset and briefly trained models.

No dataset can be downloaded on the benchmark machines, so the data is collected here: Hopper-v5 with
uniformly random actions, episodes of ``episode_steps`` steps without early termination (a fallen hopper
keeps flailing, so every window is a real H = 32 window and returns vary). On it, with the same loss,
batches and optimiser, this module trains diffplan's temporal U-Net prior, the peer's ``UNet1DModel``
prior and one return model J(x_t, t) (diffplan's, Diffuser's value architecture), which guides and scores
both planners. A few hundred steps give models that are far from converged but non-trivial: the point is
a like-for-like comparison, not a good hopper.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import gymnasium as gym
import numpy as np
import torch
from diffuser_peer import DiffusersAdapter, diffusers_hopper_unet

from diffplan.data.episodes import EpisodeSteps
from diffplan.data.observation_layout import ObservationLayout
from diffplan.data.trajectory_buffer import TrajectoryBuffer
from diffplan.inference.return_model import ReturnModel, ReturnModelConfig
from diffplan.inference.return_model_learner import ReturnModelLearner
from diffplan.prior.prior_learner import PriorLearner
from diffplan.prior.temporal_unet import TemporalUNet, TemporalUNetConfig
from diffplan.prior.trajectory_diffusion import DiffusionConfig, TrajectoryDiffusion
from diffplan.training.learner import Learner

HORIZON, TIMESTEPS = 32, 20


@dataclass
class HopperModels:
    """What the planning benchmarks compare: two priors (x0-predicting, same schedule) and one return model."""

    buffer: TrajectoryBuffer
    diffplan_prior: TrajectoryDiffusion
    peer_prior: TrajectoryDiffusion
    return_model: ReturnModel
    train_seconds: float


def collect_random_hopper(episodes: int, episode_steps: int, seed: int = 0, device: str = "cpu") -> TrajectoryBuffer:
    """Random-action Hopper-v5 episodes (no early termination), packed as windows of H = 32."""
    env = gym.make("Hopper-v5", terminate_when_unhealthy=False, max_episode_steps=episode_steps)
    rng = np.random.default_rng(seed)
    states, next_states, actions, rewards = [], [], [], []
    for episode in range(episodes):
        obs, _ = env.reset(seed=seed + episode)
        for _ in range(episode_steps):
            action = rng.uniform(env.action_space.low, env.action_space.high).astype(np.float32)
            next_obs, reward, _, _, _ = env.step(action)
            states.append(obs)
            next_states.append(next_obs)
            actions.append(action)
            rewards.append(reward)
            obs = next_obs
    n = len(states)
    truncations = np.zeros(n, dtype=bool)
    truncations[episode_steps - 1::episode_steps] = True
    steps = EpisodeSteps(np.asarray(states, np.float32), np.asarray(next_states, np.float32),
                         np.asarray(actions, np.float32), np.asarray(rewards, np.float32), np.zeros(n, dtype=bool),
                         truncations, None, np.full(episodes, episode_steps))
    layout = ObservationLayout.from_space(env.observation_space)
    return TrajectoryBuffer(steps, HORIZON, layout=layout, discount=0.997, device=device, dataset_id="random-hopper")


def fit(learner: Learner, buffer: TrajectoryBuffer, steps: int, batch_size: int = 32, seed: int = 0) -> None:
    """``steps`` Adam steps (lr 2e-4) of ``learner`` on windows of ``buffer``."""
    torch.manual_seed(seed)
    optimizer = torch.optim.Adam(learner.parameters(), lr=2e-4)

    def optimize(group: str, loss: torch.Tensor) -> float:
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        return 0.0

    learner.train()
    for step in range(steps):
        learner.training_step(buffer.sample(batch_size), step, optimize)
    learner.eval()


def train_hopper_models(train_steps: int, episodes: int = 60, episode_steps: int = 200, device: str = "cpu",
                        cache: Path | None = None) -> HopperModels:
    """Collect the data, train both priors and the return model for ``train_steps`` steps each.

    cache: a file of trained weights; loaded when it exists (with the same ``train_steps``), else written.
    """
    start = time.perf_counter()
    buffer = collect_random_hopper(episodes, episode_steps, device=device)
    d = buffer.transition_dim
    diffusion = DiffusionConfig(horizon=HORIZON, action_dim=buffer.action_dim, num_train_timesteps=TIMESTEPS)
    ours = TrajectoryDiffusion(TemporalUNet(TemporalUNetConfig(transition_dim=d)), diffusion)
    peer = TrajectoryDiffusion(DiffusersAdapter(diffusers_hopper_unet(HORIZON, d)), diffusion, transition_dim=d)
    value = ReturnModel(ReturnModelConfig(transition_dim=d, horizon=HORIZON))
    value.set_return_statistics(buffer.returns_to_go.cpu())
    modules = {"diffplan_prior": ours.to(device), "peer_prior": peer.to(device), "return_model": value.to(device)}
    if cache is not None and cache.is_file() and torch.load(cache)["train_steps"] == train_steps:
        for name, state in torch.load(cache, map_location=device)["weights"].items():
            modules[name].load_state_dict(state)
    else:
        metadata = buffer.model_metadata()
        for seed, prior in enumerate((ours, peer)):
            fit(PriorLearner(prior, inpaint_goal=False, data_metadata=metadata), buffer, train_steps, seed=seed)
        fit(ReturnModelLearner(value, ours.alphas_cumprod, buffer.action_dim, False, metadata), buffer, train_steps,
            seed=2)
        if cache is not None:
            weights = {name: module.state_dict() for name, module in modules.items()}
            torch.save({"train_steps": train_steps, "weights": weights}, cache)
    for module in modules.values():
        module.eval().requires_grad_(False)
    return HopperModels(buffer, ours, peer, value, time.perf_counter() - start)


def open_loop_returns(buffer: TrajectoryBuffer, plans: torch.Tensor, discount: float = 0.997) -> torch.Tensor:
    """Discounted Hopper-v5 return (B,) of executing each plan's actions open loop from its own start state.

    plans: (B, H, D) normalised windows; the simulator is set to each plan's first observation (the x position,
    which the observation leaves out and the reward does not depend on, at 0) and steps through its H actions,
    unnormalised and clipped to the action bounds.
    """
    env = gym.make("Hopper-v5", terminate_when_unhealthy=False)
    env.reset(seed=0)
    a = buffer.action_dim
    raw = buffer.normalizer.unnormalize(plans.detach().cpu().double()).numpy()
    returns = np.zeros(len(raw))
    nq = env.unwrapped.model.nq
    for i, window in enumerate(raw):
        state = window[0, a:]
        env.unwrapped.set_state(np.concatenate(([0.0], state[:nq - 1])), state[nq - 1:])
        for h, action in enumerate(window[:, :a]):
            _, reward, _, _, _ = env.step(np.clip(action, env.action_space.low, env.action_space.high))
            returns[i] += discount**h * reward
    env.close()
    return torch.from_numpy(returns)
