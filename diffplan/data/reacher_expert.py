"""Operational-space expert for ``Reacher-v5``: a PD law on the fingertip, mapped to torques through the arm.

Reacher-v5 is a planar two-link arm (joints q (2,), torques = action * gear 200, action in [-1, 1]) that must
bring its fingertip to a target; reward ``-|tip - target| - |action|^2`` per step, 50 steps. The expert
reads the simulator (as scripted experts do; a planner never does): with the fingertip's translational
Jacobian J (2, 2) (``mj_jacBody``), its velocity ``v = J q_dot`` and the target offset e, it asks for the
fingertip acceleration ``a = kp e - kd v``, turns it into joint accelerations by damped least squares
``q_dd = J^T (J J^T + damping I)^-1 a`` and into torques by inverse dynamics, ``tau = M q_dd + bias - passive``
(mass matrix, Coriolis and passive forces from MuJoCo). The default gains and damping (the arm starts stretched
out, a singular pose) balance the distance against the control cost: mean return about -5.9, against -11.5 for
no action at all and -43 for uniform random actions (whose control cost dominates Minari-style scores here).
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import mujoco
import numpy as np


class ReacherOperationalSpaceExpert:
    """Fingertip PD through the arm's Jacobian and inverse dynamics (implements ``Policy``).

    Args:
        kp: stiffness of the fingertip law (1 / s^2).
        kd: damping of the fingertip law (1 / s).
        damping: Tikhonov term of the least-squares inverse near singular arm poses.
    """

    def __init__(self, *, kp: float = 100.0, kd: float = 20.0, damping: float = 1e-2) -> None:
        self.kp, self.kd, self.damping = kp, kd, damping
        self._env: Any = None

    def reset(self, env: gym.Env, obs: Any, info: dict[str, Any]) -> None:
        """Keep the raw env to read the arm's state, Jacobian and dynamics."""
        self._env = env.unwrapped

    def __call__(self, obs: Any, info: dict[str, Any]) -> np.ndarray:
        """Action (2,) float32 in [-1, 1]."""
        if self._env is None:
            raise RuntimeError("ReacherOperationalSpaceExpert.reset(env, obs, info) must be called first")
        model, data = self._env.model, self._env.data
        tip, target = model.body("fingertip").id, model.body("target").id
        jacobian = np.zeros((3, model.nv))
        mujoco.mj_jacBody(model, data, jacobian, None, tip)
        arm = jacobian[:2, :2]
        offset = data.xpos[target][:2] - data.xpos[tip][:2]
        wanted = self.kp * offset - self.kd * (arm @ data.qvel[:2])
        joint_acceleration = arm.T @ np.linalg.solve(arm @ arm.T + self.damping * np.eye(2), wanted)
        mass = np.zeros((model.nv, model.nv))
        mujoco.mj_fullM(model, data, mass)
        torque = mass[:2, :2] @ joint_acceleration + data.qfrc_bias[:2] - data.qfrc_passive[:2]
        action = torque / model.actuator_gear[:2, 0]
        return np.clip(action, -1.0, 1.0).astype(np.float32)
