"""Samplers against a closed-form Gaussian denoiser: data x0 ~ N(mu, s^2) entrywise, so
E[eps | x_t] = sqrt(1 - a) (x_t - sqrt(a) mu) / (a s^2 + 1 - a), and with a linear reward R = c . x0 the
posterior p(x0) exp(R) is N(mu + s^2 c, s^2)."""

from __future__ import annotations

import pytest
import torch

from diffplan.errors import UserError
from diffplan.inference.gaussian_prior import GaussianPrior
from diffplan.prior.denoiser import Denoiser, eps_to_x0
from diffplan.prior.inpainting import Conditions
from diffplan.prior.sampling import make_sampling_scheduler, sample

T, H, D, N = 100, 8, 3, 4000
MU, S = 0.5, 0.7


def GaussianDenoiser() -> GaussianPrior:  # noqa: N802 (reads as the class it stands for)
    """The library's closed-form oracle with x0 ~ N(MU, S^2) entrywise."""
    return GaussianPrior(torch.full((H, D), MU), torch.full((H, D), S**2), num_train_timesteps=T)


def test_gaussian_denoiser_satisfies_protocol():
    assert isinstance(GaussianDenoiser(), Denoiser)


# DDIM (first order) shrinks the spread at few steps (std 0.61 at 10 steps, 0.68 at 50); DPM-Solver++ (2M)
# is accurate at 10.
@pytest.mark.parametrize(
    ("solver", "steps", "std_tol"),
    [("ddpm", T, 0.03), ("ddim", 50, 0.03), ("ddim", 10, 0.1), ("dpmsolver++", 10, 0.03)],
)
def test_solvers_sample_the_gaussian(solver, steps, std_tol):
    den = GaussianDenoiser()
    x = sample(den, (N, H, D), None, solver, steps, torch.Generator().manual_seed(0))
    assert den.calls == steps
    assert abs(x.mean().item() - MU) < 0.03
    assert abs(x.std().item() - S) < std_tol


@pytest.mark.parametrize(("solver", "steps"), [("dpmsolver++", 10), ("ddim", 50)])
@pytest.mark.parametrize("temperature", [0.5, 0.2])
def test_temperature_scales_the_spread_of_a_gaussian_prior(solver, steps, temperature):
    """At temperature T the deterministic solvers draw N(mu, (T s)^2): p(x)^(1/T^2) of the Gaussian."""
    x = sample(GaussianDenoiser(), (N, H, D), None, solver, steps, torch.Generator().manual_seed(0),
               temperature=temperature)
    assert abs(x.mean().item() - MU) < 0.03
    assert abs(x.std().item() - temperature * S) < 0.03 * temperature


def test_inpainted_entries_are_exact_in_every_step():
    den = GaussianDenoiser()
    start = torch.randn(5, D - 1)
    cond = Conditions.start_goal(start, H, action_dim=1, goal=torch.zeros(5, D - 1))
    x, chain = sample(den, (5, H, D), cond, "dpmsolver++", 7, torch.Generator().manual_seed(0), return_chain=True)
    assert len(chain) == 8
    for xt in chain:
        assert torch.equal(xt[:, 0, 1:], start) and torch.equal(xt[:, -1, 1:], torch.zeros(5, D - 1))


def _tilt(den: GaussianDenoiser, c: float):
    """Exact guidance for R = c * sum(x0): grad log E[exp(R) | x_t] = c sqrt(a) s^2 / (a s^2 + 1 - a)."""

    def modify(x_t, t, eps):
        a = den.alphas_cumprod[t].view(-1, 1, 1)
        grad = c * a.sqrt() * S**2 / (a * S**2 + 1 - a)
        return eps - (1 - a).sqrt() * grad

    return modify


@pytest.mark.parametrize("solver", ["ddpm", "ddim", "dpmsolver++"])
def test_eps_modifier_hook_samples_the_tilted_posterior(solver):
    den, c = GaussianDenoiser(), 0.8
    steps = T if solver == "ddpm" else 50
    x = sample(den, (N, H, D), None, solver, steps, torch.Generator().manual_seed(1), eps_modifier=_tilt(den, c))
    assert abs(x.mean().item() - (MU + S**2 * c)) < 0.03
    assert abs(x.std().item() - S) < 0.03


def test_gradient_through_denoiser_in_the_hook():
    den, c = GaussianDenoiser(), 0.8

    def through_x0(x_t, t, eps):
        # R evaluated on the denoiser's x0 estimate, differentiated w.r.t. x_t through the denoiser
        x0 = eps_to_x0(eps, x_t, t, den.alphas_cumprod)
        (grad,) = torch.autograd.grad((c * x0).sum(), x_t)
        a = den.alphas_cumprod[t].view(-1, 1, 1)
        return eps - (1 - a).sqrt() * grad

    x = sample(
        den,
        (N, H, D),
        None,
        "ddim",
        20,
        torch.Generator().manual_seed(2),
        eps_modifier=through_x0,
        modifier_needs_grad=True,
    )
    assert not x.requires_grad
    assert abs(x.mean().item() - (MU + S**2 * c)) < 0.03


def test_user_errors():
    cfg = GaussianDenoiser().scheduler_config
    with pytest.raises(UserError, match="unknown scheduler"):
        make_sampling_scheduler(cfg, "euler", 10)
    for bad in (0, -3, T + 1):
        with pytest.raises(UserError, match="num_steps"):
            make_sampling_scheduler(cfg, "ddim", bad)
    # the first step of every solver starts from pure noise at the last training timestep
    for name in ("ddpm", "ddim", "dpmsolver++"):
        assert int(make_sampling_scheduler(cfg, name, 10).timesteps[0]) == T - 1
    for solver, temperature, fragment in (("ddpm", 0.5, "deterministic solver"), ("ddim", 0.0, "temperature is"),
                                          ("ddim", 1.5, "temperature is"), ("ddim", float("nan"), "temperature is")):
        with pytest.raises(UserError, match=fragment):
            sample(GaussianDenoiser(), (2, H, D), None, solver, 5, temperature=temperature)
