"""Exact control as inference on tabular MDPs: the reference and test oracle of diffplan.

p(tau | O) ∝ rho(s_0) prod_t p(a_t | s_t) P(s_{t+1} | s_t, a_t) exp(r(s_t, a_t) / alpha), solved exactly
in log space on batched torch tensors (float64 by default, CPU or GPU).

- ``TabularMDP`` (``mdp.py``); builders ``gridworld``, ``gridworld_from_ascii``, ``random_mdp``,
  ``lottery_mdp``.
- Finite horizon (``messages.py``): ``backward_messages`` (log beta_t(s, a), log beta_t(s), Q, V,
  pi_t = p(a|s) exp((Q_t - V_t) / alpha)), ``forward_messages`` (log alpha_t), ``posterior_marginals``.
- Backups (``backups.py``): exact Q = r + alpha log E[exp(V' / alpha)] (optimistic) vs variational
  Q = r + E[V'] (max-ent RL); the action prior is folded into the reward.
- ``soft_value_iteration`` (discounted, any action prior: pi* ∝ pi_beta exp(Q_soft / alpha)),
  ``hard_backward_values`` / ``hard_value_iteration`` (the alpha -> 0 limit).
- Visitation and IRL: ``policy_visitation``, ``soft_optimal_visitation``, ``empirical_visitation``,
  feature rewards (``one_hot_state_features``, ``linear_reward``, ``feature_expectations``) and
  ``maxent_irl`` with exact expected visitation counts (``expected_visitation``).
- ``enumerate_posterior``: brute-force enumeration of a tiny MDP's trajectories, the oracle's oracle.
"""

from diffplan.exact.backups import Backup, SoftBackup, soft_backup, soft_policy, soft_state_value
from diffplan.exact.brute_force import EnumeratedPosterior, enumerate_posterior
from diffplan.exact.features import (
    feature_expectations,
    linear_reward,
    one_hot_state_action_features,
    one_hot_state_features,
)
from diffplan.exact.gridworld import MOVE_NAMES, MOVES, gridworld, gridworld_from_ascii
from diffplan.exact.hard_value_iteration import HardValues, hard_backward_values, hard_value_iteration
from diffplan.exact.lottery import lottery_mdp
from diffplan.exact.maxent_irl import MaxEntIRLResult, expected_visitation, maxent_irl, maxent_irl_objective
from diffplan.exact.mdp import TabularMDP
from diffplan.exact.messages import (
    BackwardMessages,
    PosteriorMarginals,
    backward_messages,
    forward_messages,
    log_partition,
    posterior_marginals,
)
from diffplan.exact.random_mdp import random_mdp
from diffplan.exact.soft_value_iteration import SoftValues, soft_value_iteration
from diffplan.exact.visitation import Visitation, empirical_visitation, policy_visitation, soft_optimal_visitation

__all__ = [
    "MOVES",
    "MOVE_NAMES",
    "Backup",
    "BackwardMessages",
    "EnumeratedPosterior",
    "HardValues",
    "MaxEntIRLResult",
    "PosteriorMarginals",
    "SoftBackup",
    "SoftValues",
    "TabularMDP",
    "Visitation",
    "backward_messages",
    "empirical_visitation",
    "enumerate_posterior",
    "expected_visitation",
    "feature_expectations",
    "forward_messages",
    "gridworld",
    "gridworld_from_ascii",
    "hard_backward_values",
    "hard_value_iteration",
    "linear_reward",
    "log_partition",
    "lottery_mdp",
    "maxent_irl",
    "maxent_irl_objective",
    "one_hot_state_action_features",
    "one_hot_state_features",
    "policy_visitation",
    "posterior_marginals",
    "random_mdp",
    "soft_backup",
    "soft_optimal_visitation",
    "soft_policy",
    "soft_state_value",
    "soft_value_iteration",
]
