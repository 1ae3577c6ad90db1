"""Guided planning latency, memory and plan quality, hopper shape: diffplan vs Diffuser's guided sampler.

Shape: obs 11, act 3, H = 32, 64 candidates per plan, one plan (the start state inpainted). The peer is
Diffuser's guided sampler re-implemented on ``diffusers.UNet1DModel`` + ``DDPMScheduler``
(``benchmarks/diffuser_peer.py``: 20 DDPM steps, 2 guide steps of scale 0.1 scaled by the variance, no
guidance below t = 2, best candidate by value). diffplan plans through ``PosteriorSampler`` with few-step
solvers, one gradient per step, value selection, and warm starts from the previous plan. Both priors and
the one return model J(x_t, t) that guides and scores both are trained in the same run on random-action
Hopper-v5 data (``benchmarks/hopper_fixture.py``).

Latency: best of ``--repeats`` rounds that time every planner once, in turn (load from other jobs slows a
round, not one planner). Memory: peak added by one plan. Quality, mean ± s.e. over ``--quality-states``
dataset states s_1 (warm starts re-use the cold plan made at s_0, shifted by one step), next to the dataset's
own windows from s_1: J(plan, 0) of the chosen plan, and its open-loop return in Hopper-v5 (the simulator set
to s_1, the plan's actions executed), which a plan that exploits errors of J does not earn.

    python benchmarks/guided_planning_latency.py [--device cpu|cuda] [--train-steps 150] [--repeats 3] [--cache F]

Writes benchmarks/results/guided_planning_latency[_cuda].json.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch
from common import interleaved_best_seconds, peak_memory_mib, write_result
from diffuser_peer import DiffuserGuidedSampler
from hopper_fixture import open_loop_returns, train_hopper_models

from diffplan.inference.posterior_config import PosteriorConfig
from diffplan.inference.posterior_sampler import PosteriorSampler
from diffplan.inference.return_model import ReturnLikelihood
from diffplan.prior.inpainting import Conditions

PEER = "Diffuser guided DDPM 20 steps x 2 guide steps (diffusers UNet1DModel)"


@dataclass
class Method:
    """A diffplan configuration; ``warm_from`` names the cold configuration whose plan it warm-starts from."""

    config: PosteriorConfig
    warm_from: str | None = None


def diffplan_methods(candidates: int, scale: float) -> dict[str, Method]:
    def config(method: str, steps: int, warm: float = 1.0, min_noise_level: int = 0) -> PosteriorConfig:
        return PosteriorConfig(method=method, scheduler="dpmsolver++", num_steps=steps, guidance_scale=scale,
                               guide_steps=1, min_noise_level=min_noise_level, particles=candidates,
                               select="most_likely", warm_start_noise_level=warm)

    return {
        "guided DPM-Solver++ 3 steps": Method(config("guided", 3)),
        "guided DPM-Solver++ 2 steps": Method(config("guided", 2)),
        "guided DPM-Solver++ 2 steps, first step guided only": Method(config("guided", 2, min_noise_level=10)),
        "best-of-N DPM-Solver++ 2 steps": Method(config("best_of_n", 2)),
        "guided DPM-Solver++ 3 steps, warm start (1 step)": Method(config("guided", 3, 0.4),
                                                                  "guided DPM-Solver++ 3 steps"),
        "best-of-N DPM-Solver++ 3 steps, warm start (1 step)": Method(config("best_of_n", 3, 0.4),
                                                                     "best-of-N DPM-Solver++ 2 steps"),
    }


def mean_se(x: torch.Tensor) -> tuple[float, float]:
    x = x.double().cpu()
    return float(x.mean()), float(x.std() / math.sqrt(len(x))) if len(x) > 1 else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--train-steps", type=int, default=150)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--quality-states", type=int, default=8)
    parser.add_argument("--candidates", type=int, default=64)
    parser.add_argument("--guidance-scale", type=float, default=1.0)
    parser.add_argument("--threads", type=int, default=1,
                        help="CPU threads (1: OpenMP spin-waits stall on cores shared with other jobs)")
    parser.add_argument("--cache", type=Path, default=None, help="file of trained weights, reused when present")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    device = args.device
    models = train_hopper_models(args.train_steps, device=device, cache=args.cache)
    value = models.return_model
    likelihood = ReturnLikelihood(value, alpha=float(value.return_scale))  # J in standardised return units
    a, h = models.buffer.action_dim, models.buffer.horizon
    windows = models.buffer.windows(models.buffer.window_starts[
        torch.randperm(models.buffer.num_windows, generator=torch.Generator().manual_seed(0))[:args.quality_states]
        .to(device)])
    s0, s1 = windows.x[:, 0, a:], windows.x[:, 1, a:]
    cond0, cond1 = (Conditions.start_goal(s, h, a) for s in (s0, s1))
    one = Conditions(cond1.mask[:1], cond1.values[:1])

    def score(plans: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            return value(plans, torch.zeros(plans.shape[0], dtype=torch.long, device=plans.device))

    peer = DiffuserGuidedSampler(models.peer_prior.backbone, value)
    planners: dict[str, Callable[[Conditions, torch.Tensor | None], torch.Tensor]] = {
        PEER: lambda conditions, _: peer.sample(conditions, args.candidates, torch.Generator(device).manual_seed(0))[0]}
    warm_starts: dict[str, torch.Tensor | None] = {PEER: None}
    cold_plans: dict[str, torch.Tensor] = {}
    for name, method in diffplan_methods(args.candidates, args.guidance_scale).items():
        sampler = PosteriorSampler(models.diffplan_prior, likelihood, method.config)

        def plan(conditions: Conditions, warm: torch.Tensor | None, sampler: PosteriorSampler = sampler
                 ) -> torch.Tensor:
            return sampler.sample(conditions, generator=torch.Generator(device).manual_seed(0),
                                  warm_start=warm).plans

        if method.warm_from is None:
            cold_plans[name] = plan(cond0, None)
        warm_starts[name] = cold_plans[method.warm_from] if method.warm_from else None
        planners[name] = plan
    one_plan = {name: lambda plan=plan, warm=warm_starts[name]: plan(one, None if warm is None else warm[:1])
                for name, plan in planners.items()}
    seconds = interleaved_best_seconds(one_plan, args.repeats)
    rows: dict[str, dict] = {}
    for name, plan in planners.items():
        plans = plan(cond1, warm_starts[name])
        rows[name] = {
            "seconds": seconds[name], "speedup_vs_peer": seconds[PEER] / seconds[name],
            "peak_mib": peak_memory_mib(one_plan[name], device),
            "value": mean_se(score(plans)), "open_loop_return": mean_se(open_loop_returns(models.buffer, plans))}
    data_windows = models.buffer.windows(windows.starts + 1).x
    data = {"value": mean_se(score(data_windows)), "open_loop_return": mean_se(open_loop_returns(models.buffer,
                                                                                                 data_windows))}
    print(f"\n{'planner':58s} {'ms/plan':>9s} {'x peer':>7s} {'peak MiB':>9s} {'J(plan)':>15s} {'env return':>15s}")
    for name, row in [*rows.items(), ("dataset windows from the same states", data)]:
        timing = (f"{1e3 * row['seconds']:9.1f} {row['speedup_vs_peer']:7.1f} {row['peak_mib']:9.1f}"
                  if "seconds" in row else f"{'':9s} {'':7s} {'':9s}")
        print(f"{name:58s} {timing} {row['value'][0]:8.2f} ± {row['value'][1]:4.2f} "
              f"{row['open_loop_return'][0]:8.2f} ± {row['open_loop_return'][1]:4.2f}")
    suffix = "" if device == "cpu" else f"_{device.split(':')[0]}"
    write_result(f"guided_planning_latency{suffix}", {
        "planners": rows,
        "dataset_windows": data,
        "settings": {"device": device, "threads": torch.get_num_threads(), "candidates": args.candidates,
                     "horizon": h, "transition_dim": models.buffer.transition_dim, "repeats": args.repeats,
                     "quality_states": args.quality_states, "train_steps": args.train_steps,
                     "guidance_scale": args.guidance_scale, "alpha": float(value.return_scale),
                     "fixture_seconds": models.train_seconds,
                     "configs": {name: repr(m.config) for name, m in diffplan_methods(args.candidates,
                                                                                     args.guidance_scale).items()}},
    })


if __name__ == "__main__":
    main()
