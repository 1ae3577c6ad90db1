"""Behaviour-prior offline RL: the policy-space companions of the diffusion planner.

With the action prior p(a | s) = pi_beta(a | s), control as inference optimises
E[Σ r] − alpha · KL(pi || pi_beta). Two ways to optimise it:

- :class:`KLRegularisedSAC` (``kl_sac.py``): BRAC-style TD learning with a value penalty and/or policy
  regularisation, alpha fixed or tuned toward a KL budget.
- :class:`AdvantageWeightedRegression` (``awr.py``): AWR / AWAC / IQL-style projection of
  pi* ∝ pi_beta · exp(A / alpha) by clipped advantage-weighted likelihood.

Building blocks: tanh-Gaussian distributions (``tanh_gaussian.py``), policies and the behaviour prior
(``policy_network.py``, ``behaviour_prior.py``), critics and value regressions (``critics.py``), the KL
estimate and weights (``divergence.py``), action bounds (``action_bounds.py``), the acting wrapper
(``actor.py``), configs (``rl_config.py``) and the tabular versions checked against ``diffplan.exact``
(``tabular.py``).
"""

from diffplan.rl.action_bounds import ActionBounds
from diffplan.rl.actor import PolicyActor
from diffplan.rl.awr import AdvantageWeightedRegression
from diffplan.rl.behaviour_prior import BehaviourCloning, behaviour_cloning_loss
from diffplan.rl.critics import StateValue, TwinQ, expectile_loss, soft_value_loss
from diffplan.rl.divergence import advantage_weights, kl_estimate
from diffplan.rl.kl_sac import KLRegularisedSAC
from diffplan.rl.policy_network import TanhGaussianPolicy
from diffplan.rl.rl_config import (
    AWRConfig,
    BehaviourPriorConfig,
    CriticConfig,
    EvaluationConfig,
    KLSACConfig,
    RLRunConfig,
)
from diffplan.rl.tabular import TabularAWR, TabularKLSAC, TabularTransitionSampler, total_variation
from diffplan.rl.tanh_gaussian import TanhGaussian, TanhGaussianMixture

__all__ = [
    "AWRConfig",
    "ActionBounds",
    "AdvantageWeightedRegression",
    "BehaviourCloning",
    "BehaviourPriorConfig",
    "CriticConfig",
    "EvaluationConfig",
    "KLRegularisedSAC",
    "KLSACConfig",
    "PolicyActor",
    "RLRunConfig",
    "StateValue",
    "TabularAWR",
    "TabularKLSAC",
    "TabularTransitionSampler",
    "TanhGaussian",
    "TanhGaussianMixture",
    "TanhGaussianPolicy",
    "TwinQ",
    "advantage_weights",
    "behaviour_cloning_loss",
    "expectile_loss",
    "kl_estimate",
    "soft_value_loss",
    "total_variation",
]
