from __future__ import annotations

import pytest
import torch
from torch import nn

from diffplan.errors import UserError
from diffplan.prior.denoiser import PREDICTION_TYPES, target_for, to_eps, to_x0
from diffplan.prior.inpainting import Conditions
from diffplan.prior.trajectory_diffusion import DiffusionConfig, TrajectoryDiffusion

B, H, ACT, OBS = 4, 8, 2, 3
D = ACT + OBS


class Probe(nn.Module):
    """Backbone whose output is a free parameter; records its last input."""

    def __init__(self) -> None:
        super().__init__()
        self.out = nn.Parameter(torch.zeros(B, H, D))
        self.seen: torch.Tensor | None = None

    def forward(self, x, t, condition=None):
        self.seen = x.detach().clone()
        return self.out + 0 * x


def make(prediction_type: str = "sample", action_weight: float = 10.0) -> TrajectoryDiffusion:
    cfg = DiffusionConfig(
        horizon=H, action_dim=ACT, num_train_timesteps=20, prediction_type=prediction_type, action_weight=action_weight
    )
    return TrajectoryDiffusion(Probe(), cfg, transition_dim=D)


def test_loss_excludes_inpainted_and_padded_entries_and_weights_first_action():
    torch.manual_seed(0)
    model = make()
    x0 = torch.randn(B, H, D)
    step_mask = torch.ones(B, H, dtype=torch.bool)
    step_mask[1, 5:] = False  # window 1 is padded after step 4
    cond = Conditions.from_windows(x0, ACT, step_mask, goal=True)
    model.loss(x0, step_mask, cond).backward()
    g = model.backbone.out.grad
    assert (g[:, 0, ACT:] == 0).all()  # start state inpainted
    assert (g[0, -1, ACT:] == 0).all() and (g[1, 4, ACT:] == 0).all()  # goal = last real step
    assert (g[1, 5:] == 0).all()  # padding
    assert (g[1, 4, :ACT] != 0).all() and (g[0, -1, :ACT] != 0).all()
    excluded = cond.mask | ~step_mask[:, :, None]
    assert torch.equal(g != 0, ~excluded)
    # weight 10 on the first action: d loss / d out = 2 w (out - x0) / n with out = 0
    ratio = g[:, 0, :ACT] / (-x0[:, 0, :ACT])
    middle = g[:, 2, :ACT] / (-x0[:, 2, :ACT])
    torch.testing.assert_close(ratio, 10 * middle)


def test_training_input_has_conditions_inpainted_exactly():
    model = make()
    x0 = torch.randn(B, H, D)
    cond = Conditions.from_windows(x0, ACT, goal=True)
    model.loss(x0, None, cond)
    seen = model.backbone.seen
    assert torch.equal(seen[:, 0, ACT:], x0[:, 0, ACT:])
    assert torch.equal(seen[:, -1, ACT:], x0[:, -1, ACT:])
    assert not torch.equal(seen[:, 1:-1], x0[:, 1:-1])  # the rest is noised


@pytest.mark.parametrize("prediction_type", PREDICTION_TYPES)
def test_parameterisations_convert_consistently(prediction_type):
    torch.manual_seed(0)
    model = make(prediction_type)
    abar = model.alphas_cumprod
    x0, eps = torch.randn(B, H, D), torch.randn(B, H, D)
    t = torch.tensor([0, 5, 12, 19])
    a = abar[t].view(B, 1, 1)
    x_t = a.sqrt() * x0 + (1 - a).sqrt() * eps
    target = target_for(prediction_type, x0, eps, t, abar)
    torch.testing.assert_close(to_eps(target, x_t, t, abar, prediction_type), eps, atol=2e-3, rtol=1e-3)
    torch.testing.assert_close(to_x0(target, x_t, t, abar, prediction_type), x0, atol=2e-3, rtol=1e-3)
    # the module's views agree with the conversions
    with torch.no_grad():
        model.backbone.out.copy_(target)
    torch.testing.assert_close(model.predict_eps(x_t, t), eps, atol=2e-3, rtol=1e-3)
    torch.testing.assert_close(model.predict_x0(x_t, t), x0, atol=2e-3, rtol=1e-3)


def test_user_errors_at_construction():
    with pytest.raises(UserError, match="prediction_type"):
        DiffusionConfig(prediction_type="x0")
    with pytest.raises(UserError, match="beta_schedule"):
        DiffusionConfig(beta_schedule="cos")
    with pytest.raises(UserError, match="action_dim"):
        TrajectoryDiffusion(Probe(), DiffusionConfig(horizon=H, action_dim=9), transition_dim=D)


def test_default_scheduler_is_cosine_without_clipping():
    cfg = make().scheduler_config
    assert cfg.beta_schedule == "squaredcos_cap_v2" and cfg.clip_sample is False
