"""Solvers are built once per (schedule, solver) and copied: the copies must behave as freshly built ones."""

from __future__ import annotations

import pytest
import torch

from diffplan.inference.gaussian_prior import GaussianPrior
from diffplan.prior.sampling import _build_scheduler, make_sampling_scheduler, sample

H, D, T = 8, 3, 50


def prior() -> GaussianPrior:
    return GaussianPrior(torch.full((H, D), 0.5), torch.full((H, D), 0.49), num_train_timesteps=T)


@pytest.mark.parametrize("name", ["ddpm", "ddim", "dpmsolver++"])
def test_interleaved_cached_solvers_step_as_fresh_ones(name):
    den = prior()
    config = den.scheduler_config
    cached = [make_sampling_scheduler(config, name, 7), make_sampling_scheduler(config, name, 7)]
    assert cached[0] is not cached[1]
    fresh = [_build_scheduler(config, name), _build_scheduler(config, name)]
    for scheduler in fresh:
        scheduler.set_timesteps(7)
    start = [torch.randn(4, H, D, generator=torch.Generator().manual_seed(i)) for i in range(2)]
    results = []
    for pair in (cached, fresh):
        x = [s.clone() for s in start]
        for t in pair[0].timesteps:  # the two solvers step alternately, as two samplers in flight would
            for i, scheduler in enumerate(pair):
                eps = den.predict_eps(x[i], torch.full((4,), int(t)))
                x[i] = scheduler.step(eps, t, x[i], generator=torch.Generator().manual_seed(int(t))).prev_sample
        results.append(x)
    for got, expected in zip(*results, strict=True):
        assert torch.equal(got, expected)


def test_repeated_sampling_is_reproducible_with_a_reused_solver():
    den = prior()
    draws = [sample(den, (16, H, D), None, "dpmsolver++", 5, torch.Generator().manual_seed(3)) for _ in range(3)]
    assert torch.equal(draws[0], draws[1]) and torch.equal(draws[1], draws[2])
    short = sample(den, (16, H, D), None, "dpmsolver++", 2, torch.Generator().manual_seed(3))
    assert not torch.equal(short, draws[0])  # a different step count is a different solver run
