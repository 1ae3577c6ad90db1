from __future__ import annotations

import pytest
import torch

from diffplan.errors import UserError
from diffplan.prior import temporal_unet
from diffplan.prior.temporal_unet import TemporalUNet, TemporalUNetConfig, count_parameters, mish


def test_hopper_configuration_has_diffusers_parameter_count():
    # Diffuser's hopper model (and diffusers' UNet1DModel port of it) have 3,956,302 parameters.
    assert count_parameters(TemporalUNet(TemporalUNetConfig(transition_dim=14))) == 3_956_302


@pytest.mark.parametrize("horizon", [8, 16, 24])
@pytest.mark.parametrize("attention", [False, True])
def test_shapes_for_any_valid_horizon(horizon, attention):
    net = TemporalUNet(TemporalUNetConfig(transition_dim=5, dim=8, dim_mults=(1, 2, 4, 8), attention=attention))
    x = torch.randn(3, horizon, 5)
    assert net(x, torch.tensor([0, 3, 7])).shape == (3, horizon, 5)
    assert net(x, torch.rand(3)).shape == (3, horizon, 5)  # float noise levels
    assert net(x, torch.tensor(4)).shape == (3, horizon, 5)  # scalar step


def test_condition_changes_output_and_is_required_when_configured():
    torch.manual_seed(0)
    net = TemporalUNet(TemporalUNetConfig(transition_dim=4, dim=8, dim_mults=(1, 2), cond_dim=3))
    x, t = torch.randn(2, 8, 4), torch.tensor([1, 2])
    assert not torch.allclose(net(x, t, torch.zeros(2, 3)), net(x, t, torch.ones(2, 3)))
    with pytest.raises(ValueError):
        net(x, t)


def test_time_embedding_reaches_every_block():
    torch.manual_seed(0)
    net = TemporalUNet(TemporalUNetConfig(transition_dim=4, dim=8, dim_mults=(1, 2)))
    x = torch.randn(2, 8, 4)
    net(x, torch.tensor([0, 5])).sum().backward()
    assert net.time_proj.weight.grad.abs().sum(dim=1).gt(0).all()


def test_bad_horizon_is_a_user_error_at_construction():
    from diffplan.prior.trajectory_diffusion import DiffusionConfig, TrajectoryDiffusion

    net = TemporalUNet(TemporalUNetConfig(transition_dim=4, dim=8, dim_mults=(1, 2, 4)))
    with pytest.raises(UserError, match="divisible by 4"):
        TrajectoryDiffusion(net, DiffusionConfig(horizon=10, action_dim=2))
    with pytest.raises(UserError, match="n_groups"):
        TemporalUNetConfig(dim=12)


def test_cpu_mish_matches_torch_in_value_and_gradient():
    x = torch.cat((torch.linspace(-60, 60, 20001), torch.tensor([-1e30, 1e30, 19.99, 20.01])), dim=0)
    x_ref = x.double().requires_grad_(True)
    ref = x_ref * torch.tanh(torch.nn.functional.softplus(x_ref))
    (grad_ref,) = torch.autograd.grad(ref.sum(), x_ref)
    x_fast = x.clone().requires_grad_(True)
    fast = mish(x_fast)
    (grad_fast,) = torch.autograd.grad(fast.sum(), x_fast)
    torch.testing.assert_close(fast.double(), ref, rtol=1e-6, atol=1e-6)
    torch.testing.assert_close(grad_fast.double(), grad_ref, rtol=1e-6, atol=1e-6)
    assert torch.isfinite(grad_fast).all()


def test_unet_with_cpu_mish_matches_torch_mish(monkeypatch):
    torch.manual_seed(0)
    net = TemporalUNet(TemporalUNetConfig(transition_dim=6, dim=8, dim_mults=(1, 2, 4)))
    x, t = torch.randn(4, 16, 6, requires_grad=True), torch.tensor([0, 5, 10, 19])
    fast = net(x, t)
    (grad_fast,) = torch.autograd.grad(fast.square().sum(), x)
    monkeypatch.setattr(temporal_unet, "mish", torch.nn.functional.mish)
    ref = net(x, t)
    (grad_ref,) = torch.autograd.grad(ref.square().sum(), x)
    torch.testing.assert_close(fast, ref, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(grad_fast, grad_ref, rtol=1e-4, atol=1e-4)
