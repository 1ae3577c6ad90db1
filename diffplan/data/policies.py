"""Behaviour policies that drive an environment during dataset collection.

A policy is anything with two methods (see :class:`Policy`):

* ``reset(env, obs, info)`` -- called after every ``env.reset()``. The policy may keep ``env`` to read
  privileged state (a scripted expert reads the maze and the goal from ``env.unwrapped``), or ignore it
  (a learned planner only needs ``obs``).
* ``__call__(obs, info) -> action`` -- one action, shape ``action_space.shape``, for the current
  observation (an array, or a dict of arrays for goal-conditioned environments).

Built-ins: :class:`RandomPolicy` (uniform over the action space), :class:`NoisyPolicy` (Gaussian action
noise and epsilon-random actions around any policy, clipped to the action bounds) and
:class:`EpisodeMixture` (a different policy for each episode, round robin: "mixed" datasets).
Scripted experts live next to their environments (``pointmaze_expert``, ``pendulum_expert``); a
trained diffplan planner only has to implement the same two methods.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

import gymnasium as gym
import numpy as np

Obs = Any
"""An observation: an array, or a (nested) dict of arrays such as PointMaze's
``{"observation": (4,), "achieved_goal": (2,), "desired_goal": (2,)}``."""


@runtime_checkable
class Policy(Protocol):
    """What the collector needs from a behaviour policy."""

    def reset(self, env: gym.Env, obs: Obs, info: dict[str, Any]) -> None:
        """Start a new environment episode (called right after ``env.reset()``).

        Args:
            env: the environment being stepped (possibly wrapped; ``env.unwrapped`` is the raw env).
            obs: the first observation of the episode.
            info: the reset info dict.
        """
        ...

    def __call__(self, obs: Obs, info: dict[str, Any]) -> np.ndarray:
        """Action for ``obs``, an array of shape ``env.action_space.shape``."""
        ...


class RandomPolicy:
    """Uniformly random actions from the environment's action space (the ``ref_min`` policy).

    Args:
        seed: seed of the policy's own generator (independent of the environment's).
    """

    def __init__(self, seed: int | None = None) -> None:
        self._rng = np.random.default_rng(seed)
        self._space: gym.Space | None = None

    def reset(self, env: gym.Env, obs: Obs, info: dict[str, Any]) -> None:
        if env.action_space is not self._space:  # first episode, or a different environment
            self._space = env.action_space
            self._space.seed(int(self._rng.integers(2**63)))

    def __call__(self, obs: Obs, info: dict[str, Any]) -> np.ndarray:
        if self._space is None:
            raise RuntimeError("RandomPolicy.reset(env, obs, info) must be called before the first action")
        return self._space.sample()


class NoisyPolicy:
    """Perturbs a base policy: with probability ``epsilon`` a uniformly random action, otherwise the base
    action plus Gaussian noise ``N(0, noise_std^2)`` per dimension; the result is clipped to the action
    bounds (Box action spaces).

    The base policy is queried at every step even when the random action is used, so that stateful
    experts (waypoint memory) keep tracking the environment.

    Args:
        base: the policy to perturb.
        noise_std: standard deviation of the Gaussian noise, in action units (scalar or per dimension).
        epsilon: probability of replacing the action by a uniformly random one.
        seed: seed of the noise generator.
    """

    def __init__(
        self,
        base: Policy,
        *,
        noise_std: float | Sequence[float] = 0.0,
        epsilon: float = 0.0,
        seed: int | None = None,
    ) -> None:
        if not 0.0 <= epsilon <= 1.0:
            raise ValueError(f"epsilon must be in [0, 1], got {epsilon}")
        self.base = base
        self.noise_std = np.asarray(noise_std, dtype=np.float64)
        if np.any(self.noise_std < 0):
            raise ValueError(f"noise_std must be non-negative, got {noise_std}")
        self.epsilon = float(epsilon)
        self._noisy = bool(np.any(self.noise_std > 0))
        self._rng = np.random.default_rng(seed)
        self._low: np.ndarray | None = None
        self._high: np.ndarray | None = None
        self._dtype: np.dtype = np.dtype(np.float32)

    def reset(self, env: gym.Env, obs: Obs, info: dict[str, Any]) -> None:
        space = env.action_space
        if not isinstance(space, gym.spaces.Box):
            raise TypeError(f"NoisyPolicy needs a Box action space, got {space}")
        self._low, self._high, self._dtype = space.low, space.high, space.dtype
        self.base.reset(env, obs, info)

    def __call__(self, obs: Obs, info: dict[str, Any]) -> np.ndarray:
        if self._low is None or self._high is None:
            raise RuntimeError("NoisyPolicy.reset(env, obs, info) must be called before the first action")
        action = np.asarray(self.base(obs, info), dtype=np.float64)
        if self.epsilon > 0.0 and self._rng.random() < self.epsilon:
            action = self._rng.uniform(self._low, self._high)
        elif self._noisy:
            action = action + self._rng.standard_normal(action.shape) * self.noise_std
        # np.minimum/np.maximum: several times cheaper than np.clip on tiny arrays
        return np.minimum(np.maximum(action, self._low), self._high).astype(self._dtype, copy=False)


class EpisodeMixture:
    """Round robin over policies, one per environment episode: episode ``k`` uses ``policies[k % n]``.

    Collecting N episodes with it concatenates about N/n episodes of each policy ("mixed" datasets).
    """

    def __init__(self, policies: Sequence[Policy]) -> None:
        if not policies:
            raise ValueError("EpisodeMixture needs at least one policy")
        self.policies = list(policies)
        self._episode = -1
        self._current: Policy = self.policies[0]

    @property
    def current(self) -> Policy:
        """The policy acting in the current episode."""
        return self._current

    def reset(self, env: gym.Env, obs: Obs, info: dict[str, Any]) -> None:
        self._episode += 1
        self._current = self.policies[self._episode % len(self.policies)]
        self._current.reset(env, obs, info)

    def __call__(self, obs: Obs, info: dict[str, Any]) -> np.ndarray:
        return self._current(obs, info)
