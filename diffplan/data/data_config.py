"""Configuration of the data D: which Minari dataset, how observations are flattened, how windows are cut."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass
class DataConfig:
    """Where the trajectories come from and how they are packed.

    Attributes:
        dataset_id: Minari dataset id, local (``local/pointmaze/umaze-dense-v0``) or remote
            (``mujoco/hopper/medium-v0``, needs ``download: true`` and network access).
        download: download a remote dataset that is not on this machine.
        horizon: window length H of the trajectories the prior models (rows).
        stride: environment steps between consecutive rows of a window (1 = every step). A window covers
            ``(H - 1) · stride + 1`` steps: a longer route for the same model size, for planners that follow
            the plan's path rather than its clock (``planner.action=pursuit``); a row's action is that of its
            own step only.
        observation_keys: dict keys forming the state, in order; empty = default rule of
            :class:`~diffplan.data.observation_layout.ObservationLayout`.
        goal_key: dict key of the goal; empty = default rule (``desired_goal`` for goal environments).
        normalizer: ``gaussian`` (mean/std) or ``limits`` (min/max onto [-1, 1]).
        short_episodes: ``drop`` episodes shorter than H (counted in the log) or ``pad`` them with rows
            that are zero in normalised space and masked out of every loss.
        discount: discount of the returns-to-go.
        termination_penalty: added to the reward of terminal steps in the returns-to-go.
        state_dim: expected flat state size; 0 = take the dataset's. A mismatch is an error.
        action_dim: expected action size; 0 = take the dataset's. A mismatch is an error.
        device: where the packed tensors live (``cpu``, ``cuda``, ``cuda:1``; ``auto`` = CUDA if present).
    """

    dataset_id: str = "local/pointmaze/umaze-dense-v0"
    download: bool = False
    horizon: int = 32
    stride: int = 1
    observation_keys: list[str] | None = None
    goal_key: str | None = None
    normalizer: Literal["gaussian", "limits"] = "gaussian"
    short_episodes: Literal["drop", "pad"] = "drop"
    discount: float = 0.99
    termination_penalty: float = 0.0
    state_dim: int = 0
    action_dim: int = 0
    device: str = "auto"
