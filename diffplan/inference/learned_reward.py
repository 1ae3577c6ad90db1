"""The hook for a learned reward r_phi(s, a) (from inverse RL) as a likelihood.

Any ``nn.Module`` with ``forward(states (B, H, S), actions (B, H, A)) -> (B, H)`` (or (B, H, 1)) becomes a
likelihood ``sum_h r_phi / alpha`` exactly like a known reward. The IRL module decides whether it reads
normalised or environment units (``normalised_inputs``); its parameters are frozen here, gradients flow
only to the window.
"""

from __future__ import annotations

from torch import Tensor, nn

from diffplan.data.normalizer import AffineNormalizer
from diffplan.inference.known_reward import KnownReward, TerminalValueFn


class LearnedReward(KnownReward):
    """Likelihood of a learned reward network r_phi.

    Args:
        reward_model: ``r_phi(states (B, H, S), actions (B, H, A)) -> (B, H) or (B, H, 1)``.
        action_dim: A. normalizer: the prior's row normaliser.
        normalised_inputs: r_phi was trained on normalised rows (True) or environment units (False).
        alpha, terminal_value, discount: as for :class:`~diffplan.inference.known_reward.KnownReward`.
    """

    def __init__(
        self,
        reward_model: nn.Module,
        action_dim: int,
        normalizer: AffineNormalizer | None = None,
        normalised_inputs: bool = False,
        alpha: float = 1.0,
        terminal_value: TerminalValueFn | None = None,
        discount: float = 1.0,
    ) -> None:
        self.reward_model = reward_model.eval().requires_grad_(False)

        def reward(states: Tensor, actions: Tensor) -> Tensor:
            out = self.reward_model(states, actions)
            return out.squeeze(-1) if out.dim() == 3 else out

        super().__init__(reward, action_dim, None if normalised_inputs else normalizer, alpha, terminal_value,
                         discount)
