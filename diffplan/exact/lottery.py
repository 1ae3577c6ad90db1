"""The lottery MDP: where the exact backup is optimistic and the variational backup is not.

Horizon 2. From the start state, action ``SAFE`` (0) pays 0 and leads to a dull state; action
``LOTTERY`` (1) costs ``ticket_price`` and leads to the winning state with probability ``win_prob``
(reward ``prize`` there at t = 1) and to the losing state otherwise. With the defaults the lottery's
expected return is -1 + 0.001 * 100 = -0.9 < 0, so a rational agent refuses it. The exact backup
scores it alpha * log E[exp(V' / alpha)] ≈ -1 + 100 + log(0.001) ≈ 92: the posterior p(tau | O) is
allowed to "choose" the winning outcome, so it buys the ticket. The variational backup E[V'] does not.
"""

from __future__ import annotations

import torch

from diffplan.exact.mdp import TabularMDP

START, DULL, WIN, LOSE = 0, 1, 2, 3
SAFE, LOTTERY = 0, 1


def lottery_mdp(
    *,
    ticket_price: float = 1.0,
    prize: float = 100.0,
    win_prob: float = 0.001,
    alpha: float = 1.0,
    dtype: torch.dtype = torch.float64,
) -> TabularMDP:
    """The 4-state, 2-action, horizon-2 lottery (B = 1); states START, DULL, WIN, LOSE."""
    S, A = 4, 2
    transitions = torch.zeros((S, A, S), dtype=dtype)
    transitions[START, SAFE, DULL] = 1.0
    transitions[START, LOTTERY, WIN] = win_prob
    transitions[START, LOTTERY, LOSE] = 1.0 - win_prob
    for state in (DULL, WIN, LOSE):
        transitions[state, :, state] = 1.0
    reward = torch.zeros((S, A), dtype=dtype)
    reward[START, LOTTERY] = -ticket_price
    reward[WIN, :] = prize
    initial = torch.zeros(S, dtype=dtype)
    initial[START] = 1.0
    return TabularMDP.from_dense(initial, transitions, reward, alpha=alpha, horizon=2)
