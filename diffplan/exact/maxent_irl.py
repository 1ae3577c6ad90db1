"""Maximum-entropy inverse RL (Ziebart) with exact expected visitation counts.

Reward r_theta(s, a) = phi(s, a) . theta (one-hot state features by default). With expert state-action
visitation D^E_t(s, a) and feature counts F_E = sum_t E_{D^E}[phi], minimise the convex dual

    L(theta) = W(theta) - theta . F_E / alpha + l2 / 2 * |theta|^2,
    W = E_rho[V_0] / alpha       (variational backup: maximum causal entropy IRL),
    W = log Z = log sum_s rho(s) beta_0(s)   (exact backup: trajectory-level max-ent IRL),

whose gradient is (F_theta - F_E) / alpha + l2 * theta, F_theta = sum_t E_{D_theta}[phi] with D_theta the
exact expected visitation: the soft-optimal policy run through the true dynamics (variational) or the
posterior marginals of p(tau | O) (exact). At the optimum (l2 = 0) the learner matches the expert's
feature counts; with one-hot state features, its state visitation. Optimised by L-BFGS on the explicit
gradient. Both backups coincide under deterministic dynamics.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from einops import rearrange
from torch import Tensor

from diffplan.errors import UserError
from diffplan.exact.backups import Backup, check_backup
from diffplan.exact.features import feature_expectations, linear_reward, one_hot_state_features
from diffplan.exact.mdp import TabularMDP
from diffplan.exact.messages import (
    BackwardMessages,
    backward_messages,
    finite_horizon,
    log_partition,
    posterior_marginals,
)
from diffplan.exact.visitation import Visitation, policy_visitation


@dataclass(frozen=True)
class MaxEntIRLResult:
    """Result of ``maxent_irl``.

    Attributes:
        theta: ``(B, D)`` reward parameters.
        reward: ``(B, S, A)`` r_theta.
        messages: backward messages (soft-optimal policy) for r_theta.
        visitation: exact expected visitation under r_theta (``Visitation``).
        feature_gap: ``(B,)`` max_d |F_theta - F_E|.
        iterations: objective evaluations.
    """

    theta: Tensor
    reward: Tensor
    messages: BackwardMessages
    visitation: Visitation
    feature_gap: Tensor
    iterations: int


def expected_visitation(mdp: TabularMDP, backup: Backup = "variational") -> tuple[BackwardMessages, Visitation]:
    """Backward messages and the exact expected visitation whose feature counts are dW/dtheta."""
    check_backup(backup)
    messages = backward_messages(mdp, backup)
    if backup == "variational":
        return messages, policy_visitation(mdp, messages.log_policy)
    marginals = posterior_marginals(mdp, messages)
    return messages, Visitation(state=marginals.state, state_action=marginals.state_action)


def maxent_irl_objective(
    mdp: TabularMDP,
    theta: Tensor,
    expert_features: Tensor,
    features: Tensor,
    backup: Backup = "variational",
    l2: float = 0.0,
) -> tuple[Tensor, Tensor, BackwardMessages, Visitation]:
    """Loss (scalar, summed over the batch), its gradient ``(B, D)``, messages and visitation at ``theta``."""
    model = mdp.replace(reward=linear_reward(features, theta))
    messages, visitation = expected_visitation(model, backup)
    if backup == "variational":
        value = (model.initial * messages.log_beta_s[:, 0]).sum(-1)
    else:
        value = log_partition(model, messages)
    model_features = feature_expectations(visitation.state_action, features)
    loss = (value - (theta * expert_features).sum(-1) / mdp.alpha).sum() + 0.5 * l2 * (theta**2).sum()
    grad = (model_features - expert_features) / mdp.alpha + l2 * theta
    return loss, grad, messages, visitation


def maxent_irl(
    mdp: TabularMDP,
    expert_state_action_visitation: Tensor,
    features: Tensor | None = None,
    *,
    backup: Backup = "variational",
    l2: float = 0.0,
    tolerance: float = 1e-10,
    max_iterations: int = 1000,
) -> MaxEntIRLResult:
    """Fit theta so the soft-optimal policy's feature counts match the expert's.

    Args:
        mdp: dynamics, rho, action prior, alpha and horizon (its reward is ignored).
        expert_state_action_visitation: ``(B, T, S, A)`` or ``(T, S, A)``; each t sums to 1.
        features: ``(S, A, D)`` or ``(B, S, A, D)``; one-hot state features when ``None``.
        backup: ``"variational"`` (causal max-ent) or ``"exact"`` (trajectory max-ent).
        l2: ridge penalty on theta.
        tolerance: stop when the gradient's max entry is below this.
        max_iterations: cap on L-BFGS iterations.
    """
    check_backup(backup)
    T = finite_horizon(mdp)
    B, S, A = mdp.reward.shape
    expert = expert_state_action_visitation
    if expert.ndim == 3:
        expert = rearrange(expert, "t s a -> 1 t s a").expand(B, -1, -1, -1)
    if expert.shape != (B, T, S, A):
        raise UserError(f"expert visitation must have shape (B, T, S, A) = {(B, T, S, A)}, got {tuple(expert.shape)}")
    worst = float((expert.sum((-1, -2)) - 1.0).abs().max())
    if worst > 1e-6 or bool((expert < 0).any()):
        raise UserError(f"expert visitation must be a distribution over (s, a) at every t (off by {worst:.3g})")
    if features is None:
        features = one_hot_state_features(S, A, dtype=mdp.dtype)
    features = features.to(device=mdp.device, dtype=mdp.dtype)
    expert_features = feature_expectations(expert.to(mdp.dtype), features)

    theta = torch.zeros_like(expert_features, requires_grad=True)
    optimizer = torch.optim.LBFGS(
        [theta],
        lr=1.0,
        max_iter=max_iterations,
        tolerance_grad=tolerance,
        tolerance_change=1e-16,
        history_size=50,
        line_search_fn="strong_wolfe",
    )
    evaluations = 0

    def closure() -> Tensor:
        nonlocal evaluations
        evaluations += 1
        with torch.no_grad():
            loss, grad, _, _ = maxent_irl_objective(mdp, theta, expert_features, features, backup, l2)
        theta.grad = grad
        return loss

    optimizer.step(closure)
    theta = theta.detach()
    _, _, messages, visitation = maxent_irl_objective(mdp, theta, expert_features, features, backup, l2)
    gap = (feature_expectations(visitation.state_action, features) - expert_features).abs().amax(-1)
    return MaxEntIRLResult(
        theta=theta,
        reward=linear_reward(features, theta),
        messages=messages,
        visitation=visitation,
        feature_gap=gap,
        iterations=evaluations,
    )
