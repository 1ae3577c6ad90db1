"""Offline maximum-entropy IRL as a learner of the shared trainer.

Each step scores demonstration windows and background windows (dataset windows of the behaviour
distribution, or prior samples) with ``R_phi = sum_h r_phi``, and minimises
``maxent_irl_loss + reward_l2 · E[r²]`` (:mod:`diffplan.irl.maxent_objective`).
"""

from __future__ import annotations

from typing import Any

from einops import rearrange

from diffplan.inference.particles import effective_sample_size
from diffplan.irl.irl_batch import IRLBatch
from diffplan.irl.maxent_objective import maxent_irl_loss
from diffplan.irl.regularisation import reward_l2
from diffplan.irl.reward_network import RewardNetwork
from diffplan.training.learner import Learner, Optimize


class MaxEntIRLLearner(Learner):
    """Fits r_phi so that demonstrations are the most likely windows under p(tau) exp(R_phi).

    Args:
        reward: the reward network (normalised inputs).
        l2: weight of the reward-scale penalty E[r²].
        data_metadata: saved with checkpoints (normaliser, layout, sizes, dataset ids).
    """

    def __init__(self, reward: RewardNetwork, l2: float, data_metadata: dict[str, Any]) -> None:
        super().__init__()
        self.reward = reward
        self.l2 = l2
        self.data_metadata = data_metadata

    def optimizer_groups(self):
        return {"reward": self.reward.parameters()}

    def training_step(self, batch: IRLBatch, step: int, optimize: Optimize) -> dict[str, float]:
        demo = self.reward.window_rewards(batch.demo_x, batch.demo_mask)  # (Bd, H)
        background = self.reward.window_rewards(batch.background_x, batch.background_mask)  # (B, H)
        demo_returns, background_returns = demo.sum(1), background.sum(1)
        likelihood = maxent_irl_loss(demo_returns, background_returns)
        penalty = reward_l2([demo, background], [self.reward.valid_steps(batch.demo_mask),
                                                  self.reward.valid_steps(batch.background_mask)])
        optimize("reward", likelihood + self.l2 * penalty)
        ess = effective_sample_size(rearrange(background_returns.detach(), "b -> 1 b"))
        return {"loss": likelihood.item(), "reward_l2": penalty.item(), "demo_return": demo_returns.mean().item(),
                "background_return": background_returns.mean().item(),
                "effective_sample_fraction": ess.item() / background_returns.shape[0]}

    def metadata(self) -> dict[str, Any]:
        return self.data_metadata
