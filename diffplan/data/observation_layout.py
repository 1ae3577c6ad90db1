"""The declared rule that turns (possibly dict) observations into flat state vectors.

PointMaze observations are dicts with keys ``observation`` (x, y, vx, vy), ``achieved_goal`` (x, y) and
``desired_goal`` (x, y). A model needs one flat state vector per step, and goal-conditioned use needs the
goal apart from the state. ``ObservationLayout`` records which keys form the state, in which order, and
which key (if any) is the goal. It is saved with every model, so a checkpoint flattens observations at
planning time exactly as the dataset was flattened at training time.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import gymnasium as gym
import numpy as np
from einops import rearrange

from diffplan.errors import UserError

# Goal-conditioned dict observations (gymnasium-robotics convention): the state is ``observation`` and the
# goal is ``desired_goal``; ``achieved_goal`` repeats part of the state and is left out.
GOAL_ENV_KEYS = frozenset({"observation", "achieved_goal", "desired_goal"})


@dataclass(frozen=True)
class ObservationLayout:
    """Which observation entries form the flat state, and where the goal is.

    Attributes:
        state_keys: dict keys concatenated, in this order, into the state ``(..., state_dim)``; empty for
            array observations.
        key_dims: flat size of each state key, in the same order.
        goal_key: dict key holding the goal, or None.
        goal_dim: flat size of the goal (0 without a goal).
        state_dim: size of the flat state vector.
    """

    state_keys: tuple[str, ...]
    key_dims: tuple[int, ...]
    goal_key: str | None
    goal_dim: int
    state_dim: int

    @staticmethod
    def from_space(
        space: gym.Space,
        state_keys: Sequence[str] | None = None,
        goal_key: str | None = None,
    ) -> ObservationLayout:
        """Declare the layout for an observation space.

        For a ``Dict`` space without explicit keys: goal environments use ``observation`` as the state and
        ``desired_goal`` as the goal; other dicts use all keys in sorted order and no goal.
        """
        if isinstance(space, gym.spaces.Box):
            if state_keys or goal_key:
                raise UserError(
                    "observation keys were given but the dataset's observations are arrays, not dicts; "
                    "remove data.observation_keys and data.goal_key from the config"
                )
            dim = int(np.prod(space.shape))
            return ObservationLayout((), (), None, 0, dim)
        if not isinstance(space, gym.spaces.Dict):
            raise UserError(
                f"observation space {space} is not supported; diffplan reads Box observations and Dict "
                "observations of Boxes"
            )
        available = sorted(space.spaces)
        if state_keys is None:
            if set(available) >= GOAL_ENV_KEYS:
                state_keys = ("observation",)
                goal_key = "desired_goal" if goal_key is None else goal_key
            else:
                state_keys = tuple(available)
        for key in [*state_keys, *([goal_key] if goal_key else [])]:
            if key not in space.spaces:
                raise UserError(
                    f"observation key '{key}' is not in the dataset; valid keys are {', '.join(available)}"
                )
            if not isinstance(space.spaces[key], gym.spaces.Box):
                raise UserError(f"observation key '{key}' is not a Box space; only Box entries can be flattened")
        if not state_keys:
            raise UserError("data.observation_keys is empty; name at least one observation key")
        if goal_key in state_keys:
            raise UserError(f"'{goal_key}' is both a state key and the goal key; use it as one of the two")
        key_dims = tuple(int(np.prod(space.spaces[k].shape)) for k in state_keys)
        goal_dim = int(np.prod(space.spaces[goal_key].shape)) if goal_key else 0
        return ObservationLayout(tuple(state_keys), key_dims, goal_key, goal_dim, sum(key_dims))

    def state(self, observations: np.ndarray | Mapping[str, np.ndarray]) -> np.ndarray:
        """Flat states ``(N, state_dim)`` from observations ``(N, ...)`` or a dict of them."""
        if not self.state_keys:
            if isinstance(observations, Mapping):
                raise UserError("observations are dicts but the layout expects arrays; re-declare the layout")
            array = np.asarray(observations)
            return rearrange(array, "n ... -> n (...)")
        if not isinstance(observations, Mapping):
            raise UserError(
                f"observations are arrays but the layout expects dict keys {', '.join(self.state_keys)}"
            )
        missing = [k for k in self.state_keys if k not in observations]
        if missing:
            raise UserError(
                f"observations lack the keys {', '.join(missing)}; they have {', '.join(sorted(observations))}"
            )
        parts = [rearrange(np.asarray(observations[k]), "n ... -> n (...)") for k in self.state_keys]
        return np.concatenate(parts, axis=-1)

    def goal(self, observations: Mapping[str, np.ndarray]) -> np.ndarray | None:
        """Goals ``(N, goal_dim)`` from dict observations, or None without a goal key."""
        if self.goal_key is None:
            return None
        if not isinstance(observations, Mapping) or self.goal_key not in observations:
            raise UserError(f"observations lack the goal key '{self.goal_key}'")
        goal = np.asarray(observations[self.goal_key])
        return rearrange(goal, "n ... -> n (...)")

    def single_state(self, observation: np.ndarray | Mapping[str, np.ndarray]) -> np.ndarray:
        """Flat state ``(state_dim,)`` of one observation as an environment returns it."""
        if isinstance(observation, Mapping):
            batch = {k: np.asarray(v)[None] for k, v in observation.items()}
        else:
            batch = np.asarray(observation)[None]
        return self.state(batch)[0]

    def to_dict(self) -> dict:
        """Plain-data form, saved with datasets' packed buffers and with models."""
        return {
            "state_keys": list(self.state_keys),
            "key_dims": list(self.key_dims),
            "goal_key": self.goal_key,
            "goal_dim": self.goal_dim,
            "state_dim": self.state_dim,
        }

    @staticmethod
    def from_dict(data: Mapping) -> ObservationLayout:
        """Inverse of :meth:`to_dict`."""
        return ObservationLayout(
            tuple(data["state_keys"]),
            tuple(int(d) for d in data["key_dims"]),
            data["goal_key"],
            int(data["goal_dim"]),
            int(data["state_dim"]),
        )
