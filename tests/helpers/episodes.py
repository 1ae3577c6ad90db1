"""Hand-made episodes and spaces for small Minari datasets (written by the ``make_dataset`` fixture)."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
from minari.data_collector.episode_buffer import EpisodeBuffer


def box(dim: int, bound: float = np.inf) -> gym.spaces.Box:
    return gym.spaces.Box(-bound, bound, shape=(dim,), dtype=np.float32)


def episode_buffer(index: int, episode: dict) -> EpisodeBuffer:
    steps = len(episode["rewards"])
    return EpisodeBuffer(
        id=index,
        observations=episode["observations"],
        actions=np.asarray(episode["actions"], dtype=np.float32),
        rewards=np.asarray(episode["rewards"], dtype=np.float64),
        terminations=np.asarray(episode.get("terminations", np.zeros(steps, bool))),
        truncations=np.asarray(episode.get("truncations", np.eye(1, steps, steps - 1, dtype=bool)[0])),
        infos={},
    )


def random_box_episodes(lengths: list[int], obs_dim: int = 3, act_dim: int = 2, seed: int = 0) -> list[dict]:
    """Episodes of Box observations whose entries encode (episode, step) so windows can be traced."""
    rng = np.random.default_rng(seed)
    episodes = []
    for e, steps in enumerate(lengths):
        obs = rng.normal(size=(steps + 1, obs_dim)).astype(np.float32)
        obs[:, 0] = e  # episode id, to check that windows never mix episodes
        obs[:, 1] = np.arange(steps + 1)  # step index
        episodes.append({
            "observations": obs,
            "actions": rng.uniform(-1, 1, size=(steps, act_dim)).astype(np.float32),
            "rewards": rng.normal(size=steps),
        })
    return episodes


def goal_dict_episode(steps: int = 12) -> tuple[dict, gym.spaces.Dict]:
    """One all-zero episode with a goal-dict observation space (observation, achieved_goal, desired_goal)."""
    space = gym.spaces.Dict({"observation": box(4), "achieved_goal": box(2), "desired_goal": box(2)})
    episode = {
        "observations": {k: np.zeros((steps + 1, s.shape[0]), np.float32) for k, s in space.spaces.items()},
        "actions": np.zeros((steps, 2), np.float32),
        "rewards": np.zeros(steps),
    }
    return episode, space
