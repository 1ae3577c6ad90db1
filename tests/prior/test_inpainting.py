from __future__ import annotations

import torch

from diffplan.prior.inpainting import Conditions


def test_conditions_apply_only_fixed_entries():
    start, goal = torch.randn(3, 4), torch.randn(3, 4)
    cond = Conditions.start_goal(start, horizon=6, action_dim=2, goal=goal, goal_step=torch.tensor([5, 3, 1]))
    x = torch.randn(3, 6, 6)
    y = cond.apply(x)
    assert torch.equal(y[:, 0, 2:], start)
    assert torch.equal(y[0, 5, 2:], goal[0]) and torch.equal(y[1, 3, 2:], goal[1]) and torch.equal(y[2, 1, 2:], goal[2])
    assert int(cond.mask.sum()) == 3 * 4 * 2
    assert torch.equal(y[~cond.mask], x[~cond.mask])
    assert cond.repeat(2).shape == (6, 6, 6)
