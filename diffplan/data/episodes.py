"""Minari episodes read into flat step arrays, with the Minari semantics kept and the data checked."""

from __future__ import annotations

from dataclasses import dataclass

import gymnasium as gym
import minari
import numpy as np
from einops import rearrange

from diffplan.data.observation_layout import ObservationLayout
from diffplan.errors import UserError
from diffplan.progress import progress_bar


@dataclass
class EpisodeSteps:
    """All steps of a dataset, episodes laid end to end (N steps in E episodes).

    A Minari episode of T steps has T+1 observations: step t holds the state s_t, the action a_t, the
    reward r_t and the next state s_{t+1}; the last next state is the episode's final observation.

    Attributes:
        states: ``(N, state_dim)`` s_t.
        next_states: ``(N, state_dim)`` s_{t+1}.
        actions: ``(N, action_dim)``.
        rewards: ``(N,)``.
        terminations: ``(N,)`` bool, true on the step that ended the episode in a terminal state.
        truncations: ``(N,)`` bool, true on the step where the episode was cut (time limit, success).
        goals: ``(N, goal_dim)`` the goal seen at s_t, or None without a goal key.
        episode_lengths: ``(E,)`` number of steps T of each episode.
    """

    states: np.ndarray
    next_states: np.ndarray
    actions: np.ndarray
    rewards: np.ndarray
    terminations: np.ndarray
    truncations: np.ndarray
    goals: np.ndarray | None
    episode_lengths: np.ndarray

    @property
    def num_steps(self) -> int:
        return int(self.episode_lengths.sum())

    @property
    def episode_starts(self) -> np.ndarray:
        """``(E,)`` flat index of each episode's first step."""
        return np.concatenate([[0], np.cumsum(self.episode_lengths)[:-1]]).astype(np.int64)


def read_episodes(
    dataset: minari.MinariDataset, layout: ObservationLayout, progress: bool = False
) -> EpisodeSteps:
    """Read every episode of ``dataset`` into flat arrays, flattening observations by ``layout``.

    Raises UserError for empty episodes, NaN or inf values, action spaces that are not Boxes, and episodes
    whose states or actions do not have the sizes the dataset's spaces declare.
    """
    dataset_id = dataset.spec.dataset_id
    if not isinstance(dataset.action_space, gym.spaces.Box):
        raise UserError(f"dataset '{dataset_id}' has {dataset.action_space} actions; diffplan needs Box actions")
    if dataset.total_episodes == 0:
        raise UserError(f"dataset '{dataset_id}' has no episodes; collect it again")
    action_dim = int(np.prod(dataset.action_space.shape))
    parts: dict[str, list[np.ndarray]] = {k: [] for k in ("s", "s2", "a", "r", "term", "trunc", "g")}
    lengths = []
    episodes = dataset.iterate_episodes()
    for episode in progress_bar(episodes, enabled=progress, total=dataset.total_episodes, desc="reading episodes"):
        steps = len(episode.rewards)
        if steps == 0:
            raise UserError(f"episode {episode.id} of '{dataset_id}' has no steps; remove it or collect again")
        observed = layout.state(episode.observations)
        actions = rearrange(np.asarray(episode.actions, dtype=np.float32), "t ... -> t (...)")
        if observed.shape[1] != layout.state_dim or actions.shape[1] != action_dim:
            raise UserError(
                f"episode {episode.id} of '{dataset_id}' has states of size {observed.shape[1]} and actions of size "
                f"{actions.shape[1]}, but the dataset's spaces declare {layout.state_dim} and {action_dim}; the "
                "dataset is inconsistent, collect it again"
            )
        parts["s"].append(observed[:-1])
        parts["s2"].append(observed[1:])
        parts["a"].append(actions)
        parts["r"].append(np.asarray(episode.rewards, dtype=np.float64))
        parts["term"].append(np.asarray(episode.terminations, dtype=bool))
        parts["trunc"].append(np.asarray(episode.truncations, dtype=bool))
        goal = layout.goal(episode.observations)
        if goal is not None:
            parts["g"].append(goal[:-1])
        lengths.append(steps)
    steps_data = EpisodeSteps(
        states=np.concatenate(parts["s"]).astype(np.float32),
        next_states=np.concatenate(parts["s2"]).astype(np.float32),
        actions=np.concatenate(parts["a"]),
        rewards=np.concatenate(parts["r"]),
        terminations=np.concatenate(parts["term"]),
        truncations=np.concatenate(parts["trunc"]),
        goals=np.concatenate(parts["g"]).astype(np.float32) if parts["g"] else None,
        episode_lengths=np.asarray(lengths, dtype=np.int64),
    )
    check_finite(steps_data, dataset_id)
    return steps_data


def check_finite(steps: EpisodeSteps, dataset_id: str) -> None:
    """Raise UserError naming the first field and episode that holds NaN or inf."""
    episode_of_step = np.repeat(np.arange(len(steps.episode_lengths)), steps.episode_lengths)
    fields = {
        "observations": np.concatenate([steps.states, steps.next_states], axis=-1),
        "actions": steps.actions,
        "rewards": steps.rewards[:, None],
    }
    if steps.goals is not None:
        fields["goals"] = steps.goals
    for name, values in fields.items():
        bad = ~np.isfinite(values).all(axis=-1)
        if bad.any():
            episode = int(episode_of_step[np.argmax(bad)])
            raise UserError(
                f"dataset '{dataset_id}' has NaN or inf {name} ({int(bad.sum())} steps, first in episode "
                f"{episode}); clean or re-collect the dataset"
            )
