"""Rollouts of any actor that follows the :class:`~diffplan.data.policies.Policy` protocol.

A planner and a trained policy are both "actors". :func:`evaluate_actor` runs episodes ``k = 0 .. n−1``
across the sub-environments of a gymnasium vector env (one env works too), each episode reset with
``seed + k`` (so two actors evaluated with the same seed face the same initial states and goals, however
many environments run side by side), and reports undiscounted returns, successes, and the D4RL/Minari
normalised score ×100 from reference scores, mean ± standard error.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import gymnasium as gym
import numpy as np

from diffplan.data.policies import Policy
from diffplan.evaluation.vector_actor import PolicySlots, VectorActor
from diffplan.progress import progress_bar


@dataclass
class EvaluationResult:
    """Returns and successes of evaluation episodes.

    Attributes:
        returns: ``(n,)`` undiscounted episode returns.
        successes: ``(n,)`` bool, whether ``info["success"]`` (or ``is_success``) was true at any step.
        lengths: ``(n,)`` episode lengths.
        normalized: ``(n,)`` normalised scores ×100, or None without reference scores.
        arrivals: ``(n,)`` step of the first success (1 = after the first action), NaN where none.
        extra: further scalars reported by :meth:`metrics`.
        videos: ``(T, height, width, 3)`` uint8 frames of the recorded episodes.
    """

    returns: np.ndarray
    successes: np.ndarray
    lengths: np.ndarray
    normalized: np.ndarray | None = None
    arrivals: np.ndarray | None = None
    extra: dict[str, float] = field(default_factory=dict)
    videos: list[np.ndarray] = field(default_factory=list)

    @staticmethod
    def _mean_se(x: np.ndarray) -> tuple[float, float]:
        se = float(x.std(ddof=1) / math.sqrt(len(x))) if len(x) > 1 else float("nan")
        return float(x.mean()), se

    def metrics(self) -> dict[str, float]:
        """Flat scalars: return_mean/se, success_rate, length_mean, arrival_step_mean (over the successful
        episodes), normalized_score_mean/se."""
        return_mean, return_se = self._mean_se(self.returns)
        out = {"return_mean": return_mean, "return_se": return_se, "success_rate": float(self.successes.mean()),
               "length_mean": float(self.lengths.mean()), "episodes": float(len(self.returns))}
        if self.arrivals is not None and np.isfinite(self.arrivals).any():
            out["arrival_step_mean"] = float(np.nanmean(self.arrivals))
        if self.normalized is not None:
            out["normalized_score_mean"], out["normalized_score_se"] = self._mean_se(self.normalized)
        return {**out, **self.extra}


def normalized_scores(returns: np.ndarray, ref_min: float, ref_max: float) -> np.ndarray:
    """``100 · (return − ref_min) / (ref_max − ref_min)`` per episode (Minari's score ×100)."""
    return 100.0 * (np.asarray(returns, dtype=np.float64) - ref_min) / (ref_max - ref_min)


def as_vector_env(env: gym.Env | gym.vector.VectorEnv) -> gym.vector.VectorEnv:
    """A vector environment over ``env`` (a single env becomes a ``SyncVectorEnv`` of one)."""
    if isinstance(env, gym.vector.VectorEnv):
        if env.metadata.get("autoreset_mode") != gym.vector.AutoresetMode.DISABLED:
            raise ValueError("evaluate_actor resets sub-environments itself: build the vector env with "
                             "autoreset_mode=gym.vector.AutoresetMode.DISABLED")
        return env
    return gym.vector.SyncVectorEnv([lambda: env], autoreset_mode=gym.vector.AutoresetMode.DISABLED)


def as_vector_actor(actor: Policy | VectorActor, num_envs: int) -> VectorActor:
    """``actor`` itself when it acts on batches, else a single-env Policy driving one environment."""
    if isinstance(actor, VectorActor):
        return actor
    if num_envs != 1:
        raise ValueError(f"a single-environment policy cannot drive {num_envs} environments; give a VectorActor "
                         "or wrap one policy per environment in PolicySlots")
    return PolicySlots([actor])


def _successes(infos: dict[str, Any], num_envs: int) -> np.ndarray:
    out = np.zeros(num_envs, dtype=bool)
    for key in ("success", "is_success"):
        if key in infos:
            out |= np.asarray(infos[key], dtype=bool) & np.asarray(infos.get(f"_{key}", True), dtype=bool)
    return out


def evaluate_actor(
    actor: Policy | VectorActor,
    env: gym.Env | gym.vector.VectorEnv,
    episodes: int,
    seed: int = 0,
    ref_scores: tuple[float, float] | None = None,
    max_steps: int | None = None,
    video_episodes: int = 0,
    progress: bool = False,
) -> EvaluationResult:
    """Roll ``actor`` out for ``episodes`` episodes, batched over the sub-environments of ``env``.

    Each sub-environment runs episodes one after another; episode k always resets with ``seed + k``, so
    results do not depend on how many environments run side by side.

    Args:
        actor: a :class:`VectorActor` (e.g. the planner or an RL policy), or a single-env Policy when
            ``env`` is a single environment.
        env: a gymnasium env (e.g. ``dataset.recover_environment(eval_env=True)``), or a vector env built
            with ``autoreset_mode=AutoresetMode.DISABLED`` (see :func:`make_eval_envs`).
        episodes: number of episodes.
        ref_scores: ``(ref_min, ref_max)`` for normalised scores, e.g. from the dataset's metadata.
        max_steps: optional cap on the steps of an episode (for envs without a time limit).
        video_episodes: record ``render()`` frames of the first this many episodes (needs a SyncVectorEnv
            whose envs render ``rgb_array``); they come back in ``EvaluationResult.videos``.
        progress: count finished episodes (with the success rate so far) in a progress bar.
    """
    envs = as_vector_env(env)
    num_envs = envs.num_envs
    actor = as_vector_actor(actor, num_envs)
    returns, lengths = np.zeros(episodes), np.zeros(episodes, dtype=np.int64)
    successes = np.zeros(episodes, dtype=bool)
    arrivals = np.full(episodes, np.nan)
    frames: dict[int, list[np.ndarray]] = {k: [] for k in range(min(video_episodes, episodes))}
    episode_of = np.where(np.arange(num_envs) < episodes, np.arange(num_envs), -1)
    next_episode = min(num_envs, episodes)
    obs, infos = envs.reset(seed=[seed + int(k) if k >= 0 else None for k in episode_of])
    active = episode_of >= 0
    total, steps, success = np.zeros(num_envs), np.zeros(num_envs, dtype=np.int64), np.zeros(num_envs, dtype=bool)
    arrival = np.full(num_envs, np.nan)
    actor.start(envs, np.flatnonzero(active), obs, infos, episode_of[active])
    _record_frames(envs, frames, episode_of, active)
    bar = progress_bar(enabled=progress, total=episodes, desc="evaluating", unit="episode")
    while active.any():
        obs, rewards, terminated, truncated, infos = envs.step(actor.act(obs, infos, active))
        total += np.where(active, rewards, 0.0)
        steps += active
        succeeded = active & _successes(infos, num_envs)
        arrival = np.where(succeeded & ~success, steps, arrival)
        success |= succeeded
        _record_frames(envs, frames, episode_of, active)
        done = terminated | truncated
        if max_steps is not None:
            done |= steps >= max_steps
        finished = done & active
        for slot in np.flatnonzero(finished):
            k = episode_of[slot]
            returns[k], lengths[k], successes[k], arrivals[k] = total[slot], steps[slot], success[slot], arrival[slot]
            bar.update()
            bar.set_postfix(success=f"{successes[: next_episode].sum()}/{bar.n}")
        if not done.any():
            continue
        restart = np.zeros(num_envs, dtype=bool)
        for slot in np.flatnonzero(done):
            if finished[slot] and next_episode < episodes:
                episode_of[slot], next_episode, restart[slot] = next_episode, next_episode + 1, True
            elif finished[slot]:
                episode_of[slot] = -1
        seeds = [seed + int(episode_of[slot]) if restart[slot] else None for slot in range(num_envs)]
        obs, infos = envs.reset(seed=seeds, options={"reset_mask": done})
        active = episode_of >= 0
        total[done], steps[done], success[done], arrival[done] = 0.0, 0, False, np.nan
        if restart.any():
            actor.start(envs, np.flatnonzero(restart), obs, infos, episode_of[restart])
            _record_frames(envs, frames, np.where(restart, episode_of, -1), restart)
    bar.close()
    normalized = normalized_scores(returns, *ref_scores) if ref_scores is not None else None
    videos = [np.stack(frames[k]) for k in sorted(frames) if frames[k]]
    return EvaluationResult(returns, successes, lengths, normalized, arrivals, videos=videos)


def _record_frames(envs: gym.vector.VectorEnv, frames: dict[int, list[np.ndarray]], episode_of: np.ndarray,
                   active: np.ndarray) -> None:
    for slot in np.flatnonzero(active):
        if int(episode_of[slot]) in frames:
            frame = envs.envs[slot].render()
            if frame is not None:
                frames[int(episode_of[slot])].append(np.asarray(frame, dtype=np.uint8))


def make_eval_envs(make_env: Callable[[], gym.Env], num_envs: int) -> gym.vector.VectorEnv:
    """``num_envs`` copies of ``make_env()`` side by side, reset by :func:`evaluate_actor` itself."""
    return gym.vector.SyncVectorEnv([make_env] * num_envs, autoreset_mode=gym.vector.AutoresetMode.DISABLED)


def dataset_reference_scores(dataset: Any) -> tuple[float, float] | None:
    """``(ref_min, ref_max)`` from a Minari dataset's metadata, or None where it has none."""
    metadata = dataset.storage.metadata
    if metadata.get("ref_min_score") is None or metadata.get("ref_max_score") is None:
        return None
    return float(metadata["ref_min_score"]), float(metadata["ref_max_score"])
