"""Randomised quasi-Monte Carlo noise: exact N(0, I) rows, evenly spread blocks, one stream per problem."""

import torch

from diffplan.inference.gaussian_oracle import random_gaussian_problem
from diffplan.inference.guidance import GradientGuidance
from diffplan.inference.smc import twisted_smc
from diffplan.prior.random_streams import normal, quasi_normal


def test_every_row_is_standard_normal_and_rows_of_different_calls_are_independent():
    generator = torch.Generator().manual_seed(0)
    first = torch.stack([quasi_normal((8, 3, 2), generator, "cpu")[3] for _ in range(4000)]).flatten(1)
    assert first.mean(0).abs().max() < 0.07 and (first.var(0) - 1).abs().max() < 0.1  # 4,000 draws: se 0.016
    # row i of two calls (as particle i's noise at two steps): without the random order, two scrambles of one
    # Sobol net correlate row by row, by up to 0.6 here
    a, b = (quasi_normal((4096, 3, 2), generator, "cpu").flatten(1) for _ in range(2))
    assert (a * b).mean(0).abs().max() < 0.07


def test_a_block_is_spread_far_more_evenly_than_iid_draws():
    generator = torch.Generator().manual_seed(1)
    quasi = quasi_normal((1024, 8, 2), generator, "cpu")
    iid = normal((1024, 8, 2), generator, "cpu")
    print(f"\nlargest |mean| of 1,024 rows: quasi {quasi.mean(0).abs().max():.4f}, iid {iid.mean(0).abs().max():.4f}")
    assert quasi.mean(0).abs().max() < 0.01 < iid.mean(0).abs().max()  # iid: se 0.031 per entry


def test_blocks_follow_their_own_generators_whatever_the_batch():
    together = quasi_normal((3 * 16, 4, 2), [torch.Generator().manual_seed(s) for s in range(3)], "cpu")
    alone = quasi_normal((16, 4, 2), [torch.Generator().manual_seed(1)], "cpu")
    assert torch.equal(together[16:32], alone)
    blocks = quasi_normal((2 * 256, 4, 2), torch.Generator().manual_seed(5), "cpu", blocks=2)
    assert blocks[:256].mean(0).abs().max() < 0.03 and blocks[256:].mean(0).abs().max() < 0.03  # iid: se 0.0625


def test_smc_with_quasi_random_noise_estimates_the_posterior_mean_with_less_error():
    """Same problem, twist and particles; the mean error over 8 seeds, with i.i.d. and with RQMC noise."""
    problem = random_gaussian_problem(1, alpha=1.0)
    shape = (1, *problem.prior.shape)
    errors = {}
    for noise in ("iid", "rqmc"):
        squared = []
        for seed in range(8):
            guidance = GradientGuidance(problem.prior, problem.likelihood, through_denoiser=True)
            out = twisted_smc(problem.prior, problem.likelihood, shape, 256, 100, guidance=guidance,
                              generator=torch.Generator().manual_seed(seed), tweedie_directions=3, noise=noise)
            w = torch.softmax(out.log_weights[0].double(), 0)
            mean = torch.einsum("n,nhd->hd", w, out.x[0].double())
            squared.append((((mean - problem.mean) / problem.sd) ** 2).mean())
        errors[noise] = float(torch.stack(squared).mean())
    print(f"\nmean squared error of the posterior mean (sd^2): iid {errors['iid']:.5f}, rqmc {errors['rqmc']:.5f}")
    assert errors["rqmc"] < 0.7 * errors["iid"]
