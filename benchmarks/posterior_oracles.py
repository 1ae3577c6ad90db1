"""Posterior samplers against exact answers: a family of Gaussian problems and a mixture of Gaussians.

Every problem is judged alone. Gaussian family (:func:`random_gaussian_problem`, seeds 0-9, alpha 0.3 / 1 / 3
in turn): max |mean error| in posterior sds over the 16 coordinates, the largest |variance ratio - 1| and the
log-evidence error, for twisted SMC with the Tweedie twist and randomised quasi-Monte Carlo noise (the
default), the same with i.i.d. noise, with the likelihood-of-x0_hat twist (TDS, ``tweedie_directions=0``), for
plain guidance, and for exact iid posterior draws of the same size (the
Monte Carlo floor). Mixture (:func:`random_mixture_problem`, seeds 0-2): the posterior weight of the preferred
mode, exact and estimated. With ``--prior RUN`` the cost of one SMC plan on that trained prior's windows is
timed, with and without the Tweedie twist. Writes ``benchmarks/results/posterior_oracles_<device>.json``.

    python benchmarks/posterior_oracles.py [--prior runs/quickstart/prior]   # about 30 minutes on one CPU core
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import write_result  # noqa: E402
from diffplan.inference.gaussian_oracle import GaussianProblem, random_gaussian_problem  # noqa: E402
from diffplan.inference.mixture_prior import random_mixture_problem  # noqa: E402
from diffplan.inference.posterior_config import PosteriorConfig  # noqa: E402
from diffplan.inference.posterior_sampler import PosteriorSampler  # noqa: E402

ALPHAS = (0.3, 1.0, 3.0)


def sampled(prior, likelihood, seed: int, **settings):
    start = time.perf_counter()
    out = PosteriorSampler(prior, likelihood, PosteriorConfig(**settings)).sample(
        num_plans=1, generator=torch.Generator().manual_seed(seed))
    return out, time.perf_counter() - start


def gaussian_row(problem: GaussianProblem, seed: int, steps: int, directions: int) -> dict:
    row = {"alpha": problem.alpha}
    tweedie = {"tweedie_directions": directions}
    for name, particles, settings in [("smc_1024", 1024, tweedie), ("smc_4096", 4096, tweedie),
                                      ("smc_iid_noise_1024", 1024, {**tweedie, "smc_noise": "iid"}),
                                      ("smc_x0hat_twist_1024", 1024, {"tweedie_directions": 0})]:
        out, seconds = sampled(problem.prior, problem.likelihood, seed, method="smc", num_steps=steps,
                               particles=particles, through_denoiser=True, **settings)
        bias, low, high = problem.errors(out.candidates[0], out.log_weights[0])
        row[name] = {"mean_error_sd": bias, "variance_error": max(1 - low, high - 1),
                     "log_evidence_error": abs(float(out.diagnostics["log_evidence"][0]) - problem.log_evidence),
                     "final_ess_fraction": float(out.diagnostics["ess"][-1, 0]) / particles, "seconds": seconds}
    out, seconds = sampled(problem.prior, problem.likelihood, seed, method="guided", scheduler="ddpm",
                           num_steps=steps, particles=1024, through_denoiser=True)
    bias, low, high = problem.errors(out.candidates[0])
    row["guided_1024"] = {"mean_error_sd": bias, "variance_error": max(1 - low, high - 1), "seconds": seconds}
    root = torch.linalg.cholesky(problem.covariance)
    for particles in (1024, 4096):
        z = torch.randn(particles, root.shape[0], generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
        draws = (z @ root.T).reshape(particles, *problem.prior.shape) + problem.mean
        bias, low, high = problem.errors(draws)
        row[f"iid_{particles}"] = {"mean_error_sd": bias, "variance_error": max(1 - low, high - 1)}
    return row


def mixture_row(seed: int, steps: int, directions: int) -> dict:
    prior, likelihood, exact = random_mixture_problem(seed)

    def share(x: torch.Tensor, log_weights: torch.Tensor | None = None) -> float:
        w = torch.full(x.shape[:1], 1.0 / x.shape[0]) if log_weights is None else torch.softmax(log_weights, 0)
        return float((w * (prior.component_of(x) == 1)).sum())

    row = {"exact": float(exact[1])}
    for name, settings in [("smc", {"tweedie_directions": directions}),
                           ("smc_iid_noise", {"tweedie_directions": directions, "smc_noise": "iid"}),
                           ("smc_x0hat_twist", {"tweedie_directions": 0})]:
        out, _ = sampled(prior, likelihood, seed, method="smc", num_steps=steps, particles=1024,
                         through_denoiser=True, **settings)
        row[name] = share(out.candidates[0], out.log_weights[0])
    out, _ = sampled(prior, likelihood, seed, method="guided", scheduler="ddpm", num_steps=steps, particles=1024,
                     through_denoiser=True)
    row["guided"] = share(out.candidates[0])
    best = PosteriorSampler(prior, likelihood, PosteriorConfig(method="best_of_n", scheduler="ddpm", num_steps=100,
                                                               particles=64)).sample(
        num_plans=32, generator=torch.Generator().manual_seed(seed))
    row["best_of_64_over_32_plans"] = float((prior.component_of(best.plans) == 1).float().mean())
    return row


def plan_cost(run: str, device: str, directions: int) -> dict:
    """Seconds per SMC plan (16 particles, 16 steps) on a trained prior's windows: the Tweedie twist with
    ``directions`` and with the default 3 Krylov directions, and the x0_hat twist (0)."""
    from diffplan.config import load_config
    from diffplan.planning.diffusion_planner import DiffusionPlanner
    from diffplan.planning.planner_config import PlannerConfig
    from diffplan.prior.prior_checkpoint import load_prior

    prior = load_prior(run, device)
    states = torch.zeros(4, prior.layout.state_dim)
    goals = torch.zeros(4, len(prior.config.goal_condition_dims or [0, 1]))
    out = {"prior": run, "window": [prior.horizon, prior.config.model.transition_dim], "plans": 4}
    for krylov in dict.fromkeys((directions, PosteriorConfig().tweedie_directions, 0)):
        config = load_config(PlannerConfig, None, [
            "reward=goal_distance", "posterior.method=smc", "posterior.particles=16", "posterior.num_steps=16",
            "posterior.through_denoiser=true", f"posterior.tweedie_directions={krylov}"])
        planner = DiffusionPlanner(prior, config, device)
        planner.plan(states[:1], goals[:1])  # warm-up
        start = time.perf_counter()
        planner.plan(states, goals)
        out[f"seconds_per_plan_tweedie_{krylov}"] = (time.perf_counter() - start) / len(states)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=1000, help="sampler steps (of 1,000 training timesteps)")
    parser.add_argument("--directions", type=int, default=8, help="Krylov directions of the Tweedie twist")
    parser.add_argument("--problems", type=int, default=10)
    parser.add_argument("--prior", default=None, help="a trained prior run to time SMC plans on")
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    torch.set_num_threads(1)
    gaussian = {}
    for seed in range(args.problems):
        gaussian[seed] = gaussian_row(random_gaussian_problem(seed, alpha=ALPHAS[seed % 3]), seed, args.steps,
                                     args.directions)
        print(seed, {k: v if not isinstance(v, dict) else round(v["mean_error_sd"], 3)
                     for k, v in gaussian[seed].items()}, flush=True)
    worst = {name: {key: max(row[name][key] for row in gaussian.values()) for key in gaussian[0][name]}
             for name in gaussian[0] if isinstance(gaussian[0][name], dict)}
    mixture = {seed: mixture_row(seed, args.steps, args.directions) for seed in range(3)}
    result = {"steps": args.steps, "tweedie_directions": args.directions, "num_train_timesteps": 1000,
              "gaussian_problems": gaussian,
              "gaussian_worst_over_problems": worst, "mixture_problems": mixture}
    if args.prior:
        result["trained_prior_plan_cost"] = plan_cost(args.prior, args.device, args.directions)
    write_result(f"posterior_oracles_{args.device}", result)


if __name__ == "__main__":
    main()
