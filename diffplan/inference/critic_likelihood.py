"""An offline critic Q(s, a) as the likelihood of a plan: log p(O | x) = Q(s_0, a_0) / alpha.

Control as inference scores a window by its return plus the value of where it ends,
``(sum_h r_h + V(s_H)) / alpha``; a critic folds both into the first step, Q(s_0, a_0) = r_0 + γ E V(s_1),
where V is the value of the policy the critic was trained for (an offline-RL policy that improves on the
data), not of the behaviour that continued the data's windows as a return model's J is. Ranking prior plans
by it is IDQL's selection of behaviour-prior actions by an offline critic; guidance differentiates it in the
first row. The critic reads clean rows: use it with ``through_denoiser=True`` (or on final samples).
"""

from __future__ import annotations

import math

from torch import Tensor

from diffplan.data.normalizer import AffineNormalizer
from diffplan.errors import UserError
from diffplan.rl.action_bounds import ActionBounds
from diffplan.rl.critics import TwinQ


class CriticLikelihood:
    """Q(s_0, a_0) / alpha of normalised windows, Q a lower confidence bound of the critics: mean − κ·std.

    Args:
        critic: Q of states normalised by ``state_normalizer`` and actions in [−1, 1] (``bounds``' unit box).
        row_normalizer: the prior's ``[a, s]`` row normaliser; action_dim: A.
        state_normalizer: the critic's state normaliser; bounds: the env's action bounds.
        alpha: temperature, in the critic's return units.
        pessimism: κ, standard deviations of the critics below their mean (κ = 1 is a twin critic's minimum,
            (q_1 + q_2) / 2 − |q_1 − q_2| / 2; κ = 0 their mean).
    """

    def __init__(self, critic: TwinQ, row_normalizer: AffineNormalizer, action_dim: int,
                 state_normalizer: AffineNormalizer, bounds: ActionBounds, alpha: float = 1.0,
                 pessimism: float = 1.0) -> None:
        if not alpha > 0:
            raise UserError(f"temperature alpha is {alpha}; use a positive number")
        if not 0 <= pessimism < math.inf:
            raise UserError(f"critic pessimism is {pessimism}; use a finite number >= 0 (1 = the twin minimum)")
        self.critic = critic
        self.row_normalizer = row_normalizer
        self.action_dim = action_dim
        self.state_normalizer = state_normalizer
        self.bounds = bounds
        self.alpha = float(alpha)
        self.pessimism = float(pessimism)

    def values(self, x: Tensor) -> Tensor:
        """Q(s_0, a_0) (B,) of the first rows of windows x (B, H, D); actions beyond the bounds are clipped."""
        first = self.row_normalizer.unnormalize(x[:, 0])
        actions, states = first[:, : self.action_dim], first[:, self.action_dim:]
        unit = self.bounds.to_unit(actions).clamp(-1.0, 1.0)
        q = self.critic(self.state_normalizer.normalize(states), unit)  # (E, B)
        return q.mean(0) - self.pessimism * q.std(0, correction=0)

    def log_likelihood(self, x: Tensor, t: Tensor) -> Tensor:
        """x: (B, H, D) normalised windows; t (B,) is ignored (Q reads clean rows) -> (B,)."""
        return self.values(x) / self.alpha
