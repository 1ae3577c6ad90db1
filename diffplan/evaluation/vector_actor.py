"""Actors that drive a whole gymnasium vector environment at once.

A :class:`VectorActor` sees the batched observations of N sub-environments and answers with N actions,
so a planner samples the plans of every environment that needs one in a single batch. Each
sub-environment ("slot") runs its own episodes: ``start`` announces new episodes in some slots, ``act``
is asked for every slot and only ``active`` slots matter. :class:`PolicySlots` adapts per-environment
:class:`~diffplan.data.policies.Policy` objects (scripted experts, any single-env actor) to this protocol.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

import gymnasium as gym
import numpy as np

from diffplan.data.policies import Obs, Policy


@runtime_checkable
class VectorActor(Protocol):
    """What batched evaluation needs from an actor."""

    def start(self, envs: gym.vector.VectorEnv, slots: np.ndarray, obs: Obs, infos: dict[str, Any],
              episodes: np.ndarray | None = None) -> None:
        """New episodes begin in sub-environments ``slots`` (indices); ``obs`` batches all N slots.
        ``episodes`` numbers them (episode k resets with seed + k), so an actor's randomness can follow the
        episode rather than the slot."""
        ...

    def act(self, obs: Obs, infos: dict[str, Any], active: np.ndarray) -> np.ndarray:
        """Actions ``(N, *action_shape)`` for batched ``obs``; rows of inactive slots are ignored."""
        ...


def slot_observation(obs: Obs, slot: int) -> Obs:
    """The observation of one sub-environment from a batched (possibly dict) observation."""
    if isinstance(obs, dict):
        return {key: slot_observation(value, slot) for key, value in obs.items()}
    return obs[slot]


def slot_info(infos: dict[str, Any], slot: int) -> dict[str, Any]:
    """The info dict of one sub-environment from a vector env's batched infos (``_key`` masks)."""
    return {key: value[slot] for key, value in infos.items()
            if not key.startswith("_") and infos.get(f"_{key}", np.ones(slot + 1, dtype=bool))[slot]}


class PolicySlots:
    """One single-environment :class:`Policy` per slot of a ``SyncVectorEnv`` (they may read ``env.unwrapped``).

    Args:
        policies: N policies, one per sub-environment.
    """

    def __init__(self, policies: Sequence[Policy]):
        self.policies = list(policies)
        self._action_shape: tuple[int, ...] = ()

    def start(self, envs: gym.vector.VectorEnv, slots: np.ndarray, obs: Obs, infos: dict[str, Any],
              episodes: np.ndarray | None = None) -> None:
        self._action_shape = envs.single_action_space.shape
        sub_envs = getattr(envs, "envs", None)
        if sub_envs is None:
            raise TypeError("PolicySlots needs a SyncVectorEnv: its policies may read their own environment")
        for slot in slots:
            self.policies[slot].reset(sub_envs[slot], slot_observation(obs, slot), slot_info(infos, slot))

    def act(self, obs: Obs, infos: dict[str, Any], active: np.ndarray) -> np.ndarray:
        actions = np.zeros((len(self.policies), *self._action_shape), dtype=np.float32)
        for slot in np.flatnonzero(active):
            actions[slot] = self.policies[slot](slot_observation(obs, slot), slot_info(infos, slot))
        return actions
