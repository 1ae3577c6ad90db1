"""Scripted swing-up controller for ``Pendulum-v1``: energy pumping far from upright, PD balance near it.

Pendulum-v1 (g = 10, m = l = 1, dt = 0.05, torque in [-2, 2], speed clipped to 8) has the angle
``theta`` measured from upright and the dynamics ``theta_dd = 1.5 g / l * sin(theta) + 3 / (m l^2) * u
= 15 sin(theta) + 3 u``. With the energy ``E = theta_d^2 / 2 + 15 cos(theta)`` (upright at rest:
``E* = 15``), ``dE/dt = 3 u theta_d``, so

* far from upright: ``u = clip(k_E (E* - E) sign(theta_d), -2, 2)`` pumps the energy to ``E*``
  (a bang-bang push when the pendulum hangs still);
* near upright (``cos(theta) > cos_balance``): ``u = clip(-(k_p theta + k_d theta_d), -2, 2)`` holds it
  there (``3 k_p > 15`` makes upright stable).

The observation is ``(3,)`` = (cos theta, sin theta, theta_d); actions are ``(1,)`` float32.
"""

from __future__ import annotations

import math
from typing import Any

import gymnasium as gym
import numpy as np

MAX_TORQUE = 2.0


class PendulumSwingUpExpert:
    """Energy-pumping swing-up with a PD balance controller (implements ``Policy``).

    Args:
        energy_gain: ``k_E`` of the pumping law.
        kp: proportional gain of the balance law on the angle from upright.
        kd: derivative gain of the balance law.
        cos_balance: switch to the balance law when ``cos(theta)`` exceeds this.
    """

    def __init__(
        self, *, energy_gain: float = 2.0, kp: float = 10.0, kd: float = 2.0, cos_balance: float = 0.85
    ) -> None:
        self.energy_gain, self.kp, self.kd, self.cos_balance = energy_gain, kp, kd, cos_balance

    def reset(self, env: gym.Env, obs: Any, info: dict[str, Any]) -> None:
        """Stateless controller: nothing to reset."""

    def __call__(self, obs: Any, info: dict[str, Any]) -> np.ndarray:
        """Torque ``(1,)`` float32 in [-2, 2] for ``obs`` ``(3,)`` = (cos theta, sin theta, theta_d)."""
        c, s, w = float(obs[0]), float(obs[1]), float(obs[2])
        if c > self.cos_balance:
            u = -(self.kp * math.atan2(s, c) + self.kd * w)
        else:
            energy = 0.5 * w * w + 15.0 * c
            u = self.energy_gain * (15.0 - energy) * (1.0 if w >= 0.0 else -1.0)
        return np.array([min(MAX_TORQUE, max(-MAX_TORQUE, u))], dtype=np.float32)
