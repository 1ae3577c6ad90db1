"""The two quantities the behaviour prior enters through: the KL estimate and clipped exponential weights."""

from __future__ import annotations

import math

import torch
from torch import Tensor


def kl_estimate(log_policy: Tensor, log_behaviour: Tensor) -> Tensor:
    """``(B,)`` Monte-Carlo KL(pi || pi_beta) at each state from N samples a ~ pi.

    Args:
        log_policy: ``(N, B)`` log pi(a_n | s) of the samples.
        log_behaviour: ``(N, B)`` log pi_beta(a_n | s) of the same samples.

    Returns the mean over samples of log pi − log pi_beta (BRAC's D̂); unbiased, zero in expectation when
    pi = pi_beta, and non-negative in expectation.
    """
    return (log_policy - log_behaviour).mean(0)


def advantage_weights(advantage: Tensor, alpha: float, max_weight: float) -> Tensor:
    """``(...)`` min(exp(A / alpha), max_weight): the likelihood weights projecting pi_beta · exp(A / alpha)."""
    return torch.exp((advantage / alpha).clamp(max=math.log(max_weight)))
