"""Rollouts of any actor that follows the :class:`~diffplan.data.policies.Policy` protocol.

A planner and a trained policy are both "actors": ``reset(env, obs, info)`` then ``actor(obs, info)`` per
step. :func:`evaluate_actor` runs episodes ``k = 0 .. n−1`` with ``env.reset(seed=seed + k)`` (so two actors
evaluated with the same seed face the same initial states and goals), and reports undiscounted returns,
successes, and the D4RL/Minari normalised score ×100 from reference scores, mean ± standard error.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import gymnasium as gym
import numpy as np

from diffplan.data.policies import Policy


@dataclass
class EvaluationResult:
    """Returns and successes of evaluation episodes.

    Attributes:
        returns: ``(n,)`` undiscounted episode returns.
        successes: ``(n,)`` bool, whether ``info["success"]`` (or ``is_success``) was true at any step.
        lengths: ``(n,)`` episode lengths.
        normalized: ``(n,)`` normalised scores ×100, or None without reference scores.
    """

    returns: np.ndarray
    successes: np.ndarray
    lengths: np.ndarray
    normalized: np.ndarray | None = None
    extra: dict[str, float] = field(default_factory=dict)

    @staticmethod
    def _mean_se(x: np.ndarray) -> tuple[float, float]:
        se = float(x.std(ddof=1) / math.sqrt(len(x))) if len(x) > 1 else float("nan")
        return float(x.mean()), se

    def metrics(self) -> dict[str, float]:
        """Flat scalars: return_mean/se, success_rate, length_mean, normalized_score_mean/se."""
        return_mean, return_se = self._mean_se(self.returns)
        out = {"return_mean": return_mean, "return_se": return_se, "success_rate": float(self.successes.mean()),
               "length_mean": float(self.lengths.mean()), "episodes": float(len(self.returns))}
        if self.normalized is not None:
            out["normalized_score_mean"], out["normalized_score_se"] = self._mean_se(self.normalized)
        return {**out, **self.extra}


def normalized_scores(returns: np.ndarray, ref_min: float, ref_max: float) -> np.ndarray:
    """``100 · (return − ref_min) / (ref_max − ref_min)`` per episode (Minari's score ×100)."""
    return 100.0 * (np.asarray(returns, dtype=np.float64) - ref_min) / (ref_max - ref_min)


def _succeeded(info: dict[str, Any]) -> bool:
    return bool(info.get("success", False) or info.get("is_success", False))


def evaluate_actor(
    actor: Policy,
    env: gym.Env,
    episodes: int,
    seed: int = 0,
    ref_scores: tuple[float, float] | None = None,
    max_steps: int | None = None,
) -> EvaluationResult:
    """Roll ``actor`` out for ``episodes`` episodes in ``env`` (which must terminate or truncate).

    Args:
        actor: any Policy (``reset(env, obs, info)``, ``__call__(obs, info) -> action``).
        env: a gymnasium env, e.g. ``dataset.recover_environment(eval_env=True)``.
        episodes: number of episodes; episode k resets with ``seed + k``.
        ref_scores: ``(ref_min, ref_max)`` for normalised scores, e.g. from the dataset's metadata.
        max_steps: optional cap on the steps of an episode (for envs without a time limit).
    """
    returns = np.zeros(episodes)
    successes = np.zeros(episodes, dtype=bool)
    lengths = np.zeros(episodes, dtype=np.int64)
    for k in range(episodes):
        obs, info = env.reset(seed=seed + k)
        actor.reset(env, obs, info)
        total, steps, success, done = 0.0, 0, False, False
        while not done:
            obs, reward, terminated, truncated, info = env.step(actor(obs, info))
            total += float(reward)
            steps += 1
            success = success or _succeeded(info)
            done = terminated or truncated or (max_steps is not None and steps >= max_steps)
        returns[k], successes[k], lengths[k] = total, success, steps
    normalized = normalized_scores(returns, *ref_scores) if ref_scores is not None else None
    return EvaluationResult(returns, successes, lengths, normalized)


def dataset_reference_scores(dataset: Any) -> tuple[float, float] | None:
    """``(ref_min, ref_max)`` from a Minari dataset's metadata, or None where it has none."""
    metadata = dataset.storage.metadata
    if metadata.get("ref_min_score") is None or metadata.get("ref_max_score") is None:
        return None
    return float(metadata["ref_min_score"]), float(metadata["ref_max_score"])
