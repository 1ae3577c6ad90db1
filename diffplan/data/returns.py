"""Discounted returns-to-go of every step, computed within episodes."""

from __future__ import annotations

import numpy as np


def discounted_returns_to_go(
    rewards: np.ndarray,
    episode_lengths: np.ndarray,
    terminations: np.ndarray,
    discount: float,
    termination_penalty: float = 0.0,
) -> np.ndarray:
    """G_t = sum_{k >= t} discount^(k - t) r_k, summed to the end of each episode.

    Args:
        rewards: ``(N,)`` rewards of episodes laid end to end.
        episode_lengths: ``(E,)`` steps per episode, summing to N.
        terminations: ``(N,)`` true where an episode ended in a terminal state; ``termination_penalty``
            is added to the reward of that step (Diffuser uses -100 for locomotion falls).
        discount: in (0, 1].

    Returns:
        ``(N,)`` float64 returns-to-go.
    """
    shaped = rewards.astype(np.float64) + termination_penalty * terminations.astype(np.float64)
    ends = set(np.cumsum(episode_lengths).tolist())
    values = shaped.tolist()
    returns = [0.0] * len(values)
    running = 0.0
    for i in range(len(values) - 1, -1, -1):
        if i + 1 in ends:
            running = 0.0
        running = values[i] + discount * running
        returns[i] = running
    return np.asarray(returns, dtype=np.float64)
