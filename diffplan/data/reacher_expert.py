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

TARGET_RADIUS = 0.2
"""Reacher-v5 draws its target uniformly in the disc of this radius (m)."""


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
            raise RuntimeError(f"{type(self).__name__}.reset(env, obs, info) must be called first")
        return self.action_towards(self._env.data.xpos[self._env.model.body("target").id][:2])

    def action_towards(self, aim: np.ndarray) -> np.ndarray:
        """Action (2,) float32 in [-1, 1] that drives the fingertip to the point ``aim`` (2,)."""
        model, data = self._env.model, self._env.data
        jacobian = np.zeros((3, model.nv))
        mujoco.mj_jacBody(model, data, jacobian, None, model.body("fingertip").id)
        arm = jacobian[:2, :2]
        offset = aim - data.xpos[model.body("fingertip").id][:2]
        wanted = self.kp * offset - self.kd * (arm @ data.qvel[:2])
        joint_acceleration = arm.T @ np.linalg.solve(arm @ arm.T + self.damping * np.eye(2), wanted)
        mass = np.zeros((model.nv, model.nv))
        mujoco.mj_fullM(model, data, mass)
        torque = mass[:2, :2] @ joint_acceleration + data.qfrc_bias[:2] - data.qfrc_passive[:2]
        action = torque / model.actuator_gear[:2, 0]
        return np.clip(action, -1.0, 1.0).astype(np.float32)


class DistractedReacherExpert(ReacherOperationalSpaceExpert):
    """The operational-space expert reaching for a decoy point during the first k steps of each episode.

    The decoy is drawn as Reacher draws its targets (uniform in the disc of radius 0.2), k uniformly in
    0..``max_distracted_steps``; then it reaches for the target. Its mean action given the state is not the
    expert's (a policy cloned from it aims between the target and the decoys), while the data holds every
    stage of the reach: Reacher's "medium" level.

    Args:
        seed: seed of the decoys and of k.
        max_distracted_steps: largest k (Reacher-v5's episodes have 50 steps).
    """

    def __init__(self, *, seed: int | None = None, max_distracted_steps: int = 50, **gains: float) -> None:
        super().__init__(**gains)
        self.max_distracted_steps = max_distracted_steps
        self._rng = np.random.default_rng(seed)
        self._decoy = np.zeros(2)
        self._distracted_steps = 0

    def reset(self, env: gym.Env, obs: Any, info: dict[str, Any]) -> None:
        """Draw this episode's decoy and how long the expert reaches for it."""
        super().reset(env, obs, info)
        while True:
            self._decoy = self._rng.uniform(-TARGET_RADIUS, TARGET_RADIUS, 2)
            if np.linalg.norm(self._decoy) < TARGET_RADIUS:
                break
        self._distracted_steps = int(self._rng.integers(0, self.max_distracted_steps + 1))

    def __call__(self, obs: Any, info: dict[str, Any]) -> np.ndarray:
        """Action (2,) float32 in [-1, 1]: towards the decoy for the first k steps, then the target."""
        if self._distracted_steps > 0:
            self._distracted_steps -= 1
            return self.action_towards(self._decoy)
        return super().__call__(obs, info)
