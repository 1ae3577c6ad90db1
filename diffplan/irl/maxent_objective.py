"""The offline maximum-entropy IRL objective with a self-normalised importance estimate.

The model of demonstrations is the posterior of control as inference over windows of H steps,
``p_phi(tau) = p(tau) exp(R_phi(tau)) / Z(phi)``, ``R_phi(tau) = sum_h r_phi(s_h, a_h)``, ``Z = E_p[exp R_phi]``.
Its negative log-likelihood (up to the constant ``-E_demo log p(tau)``) is

    L(phi) = -E_demo[R_phi] + log E_{tau ~ p}[exp R_phi(tau)],
    grad L = -(E_demo[grad R_phi] - E_{p(tau | O)}[grad R_phi]),

the max-ent IRL gradient. Offline, p is the behaviour distribution of the unlabelled dataset (or a trained
prior of it): with B windows tau_i ~ p, ``log E_p[exp R] ≈ logsumexp_i R_i - log B``, whose gradient is the
self-normalised importance estimate ``sum_i w_i grad R_i`` with ``w = softmax(R)``. No environment is needed.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor


def maxent_irl_loss(demo_returns: Tensor, background_returns: Tensor) -> Tensor:
    """``-(mean(R_demo) - log mean exp(R_background))`` from returns ``(Bd,)`` and ``(B,)``."""
    log_partition = torch.logsumexp(background_returns, dim=0) - math.log(background_returns.shape[0])
    return log_partition - demo_returns.mean()


def importance_weights(background_returns: Tensor) -> Tensor:
    """``(B,)`` self-normalised weights softmax(R) of background windows under p(tau | O)."""
    return torch.softmax(background_returns, dim=0)
