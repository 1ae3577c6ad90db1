"""Reference scores for normalising returns: mean undiscounted return of policies in the eval env.

D4RL / Minari convention: ``normalised = (return - ref_min) / (ref_max - ref_min)``, with ``ref_max`` the
mean return of an expert and ``ref_min`` that of a uniformly random policy, each over a number of
episodes (100 by default) of the evaluation environment. ``minari.get_normalized_score`` reads both
from the dataset metadata.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gymnasium as gym
import numpy as np

from diffplan.data.collect import make_env
from diffplan.data.policies import Policy, RandomPolicy


@dataclass(frozen=True)
class ReferenceScores:
    """Mean returns of the random (``ref_min``) and expert (``ref_max``) policies over ``episodes``."""

    ref_min: float
    ref_max: float
    episodes: int


def episode_returns(env: gym.Env, policy: Policy, episodes: int, *, seed: int = 0) -> np.ndarray:
    """Undiscounted returns ``(episodes,)`` of ``policy`` in ``env``.

    Episode ``k`` starts with ``env.reset(seed=seed + k)``, so two policies evaluated with the same seed
    see the same initial states and goals. An episode ends when the env terminates or truncates (its
    ``max_episode_steps``), so ``env`` must have a time limit or terminate.
    """
    if episodes <= 0:
        raise ValueError(f"episodes must be positive, got {episodes}")
    returns = np.zeros(episodes)
    for k in range(episodes):
        obs, info = env.reset(seed=seed + k)
        policy.reset(env, obs, info)
        total, done = 0.0, False
        while not done:
            obs, reward, terminated, truncated, info = env.step(policy(obs, info))
            total += float(reward)
            done = terminated or truncated
        returns[k] = total
    return returns


def reference_scores(
    env_id: str,
    expert: Policy,
    *,
    env_kwargs: dict[str, Any] | None = None,
    episodes: int = 100,
    seed: int = 0,
    random_policy: Policy | None = None,
) -> ReferenceScores:
    """``ref_max`` from ``expert`` and ``ref_min`` from ``random_policy`` (uniform by default), each the mean
    return over ``episodes`` episodes of ``gym.make(env_id, **env_kwargs)`` (the eval env)."""
    env = make_env(env_id, env_kwargs)
    try:
        if env.spec is None or env.spec.max_episode_steps is None:
            raise ValueError(f"the eval env {env_id} needs max_episode_steps to score episodes")
        ref_max = float(episode_returns(env, expert, episodes, seed=seed).mean())
        rand = random_policy if random_policy is not None else RandomPolicy(seed=seed)
        ref_min = float(episode_returns(env, rand, episodes, seed=seed).mean())
    finally:
        env.close()
    return ReferenceScores(ref_min=ref_min, ref_max=ref_max, episodes=episodes)
