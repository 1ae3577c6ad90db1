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

from diffplan.lazy_exports import lazy_exports

# public name → the module that defines it
PUBLIC = {
    "ActionBounds": "diffplan.rl.action_bounds",
    "advantage_weights": "diffplan.rl.divergence",
    "AdvantageWeightedRegression": "diffplan.rl.awr",
    "AWRConfig": "diffplan.rl.rl_config",
    "behaviour_cloning_loss": "diffplan.rl.behaviour_prior",
    "BehaviourCloning": "diffplan.rl.behaviour_prior",
    "BehaviourPriorConfig": "diffplan.rl.rl_config",
    "CriticConfig": "diffplan.rl.rl_config",
    "expectile_loss": "diffplan.rl.critics",
    "kl_estimate": "diffplan.rl.divergence",
    "KLRegularisedSAC": "diffplan.rl.kl_sac",
    "KLSACConfig": "diffplan.rl.rl_config",
    "PolicyActor": "diffplan.rl.actor",
    "PolicyEvaluationConfig": "diffplan.rl.rl_config",
    "RLRunConfig": "diffplan.rl.rl_config",
    "soft_value_loss": "diffplan.rl.critics",
    "StateValue": "diffplan.rl.critics",
    "TabularAWR": "diffplan.rl.tabular",
    "TabularKLSAC": "diffplan.rl.tabular",
    "TabularTransitionSampler": "diffplan.rl.tabular",
    "TanhGaussian": "diffplan.rl.tanh_gaussian",
    "TanhGaussianMixture": "diffplan.rl.tanh_gaussian",
    "TanhGaussianPolicy": "diffplan.rl.policy_network",
    "total_variation": "diffplan.rl.tabular",
    "train_rl": "diffplan.rl.rl_training",
    "TwinQ": "diffplan.rl.critics",
}

__all__ = sorted(PUBLIC)
__getattr__, __dir__ = lazy_exports(__name__, PUBLIC)
