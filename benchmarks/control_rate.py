"""Closed-loop control rate: actions per second of diffplan's planner replanning in PointMaze and Hopper-v5.

The planner (``DiffusionPlanner``, driven by ``evaluate_actor``) replans every ``--replan-every`` steps with
few-step DPM-Solver++ and warm starts, on 1 environment and on a ``SyncVectorEnv`` of ``--envs`` (one batched
plan for all environments due). Rates count environment steps of all environments (simulation included)
per wall-clock second. The networks are untrained (the rate does not depend on the weights; plan quality is
``guided_planning_latency.py``'s subject). PointMaze U-Maze: 8 candidates guided by the known goal-distance
reward, start and goal inpainted, PD waypoint tracking (the quickstart's planner). Hopper-v5: one prior
sample per plan (no return model is loaded), replanning every step, first action executed. The peer on
Hopper is Diffuser's guided sampler (64 candidates, 20 DDPM steps, 2 guide steps) replanning every step on
one environment, measured in the same run over ``--peer-steps`` steps.

    python benchmarks/control_rate.py [--device cpu|cuda] [--envs 16] [--steps 64]

Writes benchmarks/results/control_rate[_cuda].json.
"""

from __future__ import annotations

import argparse
import time

import gymnasium as gym
import numpy as np
import torch
from common import write_result
from diffuser_peer import DiffuserGuidedSampler, DiffusersAdapter, diffusers_hopper_unet

from diffplan.data.collect import make_env
from diffplan.data.normalizer import AffineNormalizer
from diffplan.data.observation_layout import ObservationLayout
from diffplan.evaluation.rollouts import evaluate_actor, make_eval_envs
from diffplan.inference.posterior_config import PosteriorConfig
from diffplan.inference.return_model import ReturnModel, ReturnModelConfig
from diffplan.planning.diffusion_planner import DiffusionPlanner
from diffplan.planning.planner_config import PlannerConfig
from diffplan.prior.inpainting import Conditions
from diffplan.prior.prior_checkpoint import TrainedPrior
from diffplan.prior.prior_config import PriorConfig, build_diffusion, with_data_sizes

HORIZON = 32


def untrained_prior(env: gym.Env, inpaint_goal: bool, dim_mults: tuple[int, ...], device: str) -> TrainedPrior:
    """A prior of the right sizes for ``env`` with freshly initialised weights and an identity normaliser."""
    layout = ObservationLayout.from_space(env.observation_space)
    action_dim = int(np.prod(env.action_space.shape))
    config = PriorConfig()
    config.data.horizon = HORIZON
    config.model.dim_mults = dim_mults
    config = with_data_sizes(config, action_dim, layout.state_dim)
    width = action_dim + layout.state_dim
    normalizer = AffineNormalizer("gaussian", torch.zeros(width), torch.ones(width)).to(device)
    diffusion = build_diffusion(config).to(device).eval().requires_grad_(False)
    return TrainedPrior(diffusion, config, normalizer, layout, inpaint_goal, step=0)


def planners(steps: int) -> dict[str, tuple[str, dict, bool, tuple[int, ...], PlannerConfig]]:
    """name -> (env id, env kwargs, goal inpainted, U-Net levels, planner settings)."""
    maze = PlannerConfig(
        posterior=PosteriorConfig(method="guided", scheduler="dpmsolver++", num_steps=3, guidance_scale=3.0,
                                  particles=8, warm_start_noise_level=0.4),
        reward="goal_distance", warm_start=True, replan_every=8, action="waypoints", kp=2.0, kd=1.0)
    hopper = PlannerConfig(
        posterior=PosteriorConfig(method="prior", scheduler="dpmsolver++", num_steps=3, particles=1,
                                  warm_start_noise_level=0.4),
        warm_start=True, replan_every=1, action="first_action")
    return {
        "PointMaze_UMaze-v3": ("PointMaze_UMaze-v3", {"max_episode_steps": steps}, True, (1, 4, 8), maze),
        "Hopper-v5": ("Hopper-v5", {"max_episode_steps": steps, "terminate_when_unhealthy": False}, False,
                      (1, 2, 4, 8), hopper),
    }


def actions_per_second(prior: TrainedPrior, config: PlannerConfig, env_id: str, kwargs: dict, envs: int,
                       steps: int, device: str) -> float:
    planner = DiffusionPlanner(prior, config, device)
    vector = make_eval_envs(lambda: make_env(env_id, kwargs), envs)
    evaluate_actor(planner, vector, envs, max_steps=2)  # warm-up: first plans, allocations
    start = time.perf_counter()
    result = evaluate_actor(planner, vector, envs, max_steps=steps)
    seconds = time.perf_counter() - start
    vector.close()
    return float(result.lengths.sum()) / seconds


def peer_actions_per_second(steps: int, device: str) -> float:
    """Diffuser's guided sampler replanning every step of one Hopper-v5 environment (first action executed)."""
    env = make_env("Hopper-v5", {"terminate_when_unhealthy": False})
    unet = DiffusersAdapter(diffusers_hopper_unet(HORIZON, 14)).to(device).eval().requires_grad_(False)
    value = ReturnModel(ReturnModelConfig(transition_dim=14, horizon=HORIZON)).to(device).eval().requires_grad_(False)
    sampler = DiffuserGuidedSampler(unet, value)
    obs, _ = env.reset(seed=0)
    start = time.perf_counter()
    for _ in range(steps):
        state = torch.as_tensor(obs, dtype=torch.float32, device=device)[None]
        plan, _ = sampler.sample(Conditions.start_goal(state, HORIZON, 3), 64, torch.Generator(device).manual_seed(0))
        obs, *_ = env.step(np.clip(plan[0, 0, :3].cpu().numpy(), -1, 1))
    return steps / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--envs", type=int, default=16)
    parser.add_argument("--steps", type=int, default=64, help="environment steps per environment")
    parser.add_argument("--peer-steps", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1,
                        help="CPU threads (1: OpenMP spin-waits stall on cores shared with other jobs)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    rates: dict[str, dict[str, float]] = {}
    for name, (env_id, kwargs, goal, dim_mults, config) in planners(args.steps).items():
        env = make_env(env_id, kwargs)
        prior = untrained_prior(env, goal, dim_mults, args.device)
        rates[name] = {f"{n} env": actions_per_second(prior, config, env_id, kwargs, n, args.steps, args.device)
                       for n in (1, args.envs)}
    peer = peer_actions_per_second(args.peer_steps, args.device)
    rates["Hopper-v5"]["peer (Diffuser guided, 1 env)"] = peer
    print(f"\n{'environment':22s} {'setting':32s} {'actions/s':>10s} {'x peer':>7s}")
    for name, row in rates.items():
        for setting, rate in row.items():
            ratio = f"{rate / peer:.1f}" if name == "Hopper-v5" else ""
            print(f"{name:22s} {setting:32s} {rate:10.1f} {ratio:>7s}")
    suffix = "" if args.device == "cpu" else f"_{args.device.split(':')[0]}"
    write_result(f"control_rate{suffix}", {
        "actions_per_second": rates,
        "ratio_hopper_1env_over_peer": rates["Hopper-v5"]["1 env"] / peer,
        "settings": {"device": args.device, "threads": torch.get_num_threads(), "envs": args.envs,
                     "steps_per_env": args.steps, "peer_steps": args.peer_steps,
                     "planners": {name: repr(p[4]) for name, p in planners(args.steps).items()}},
    })


if __name__ == "__main__":
    main()
