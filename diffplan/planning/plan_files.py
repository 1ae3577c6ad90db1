"""Drawing plans from the posterior p(tau | O) of a trained prior for given starts and goals, written to disk
(what ``diffplan plan`` runs).

Start states (and goals) are given, or come from resets of the dataset's evaluation environment. It writes
``plans.npz`` and ``plans.json`` (plans in environment units, their log-likelihoods, the candidates' weights
and, for SMC, the ESS trace) and, for mazes, ``plans.png``.
"""

from __future__ import annotations

import io
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from diffplan.config import to_dict
from diffplan.devices import resolve_device
from diffplan.errors import UserError
from diffplan.planning.diffusion_planner import DiffusionPlanner
from diffplan.planning.maze_plot import plot_plans
from diffplan.planning.plan_draws import PlanDraws, draw_plans
from diffplan.planning.plan_problems import Problems, check_problems, problems_from_arguments, problems_from_env
from diffplan.planning.planner_config import PlannerConfig
from diffplan.prior.prior_checkpoint import load_prior
from diffplan.tracking import ExperimentLog, TrackingConfig
from diffplan.training.checkpoint import model_home, resolve_checkpoint


@dataclass
class PlanConfig:
    """Settings of ``diffplan plan`` (the starts, goals and number of plans come from the command line).

    Attributes:
        planner: how plans are drawn from p(tau | O): ``posterior`` (method, steps, particles, ...),
            ``reward``, ``alpha``, ``goal_state_dims``, ``rest_at_goal_dims``, ``seed``. Its action settings
            are not used: nothing is executed.
        batch_size: problems sampled together (each with its ``--num-plans`` draws) per sampler call.
        output_dir: where the plans go (default: ``<run folder>/plans``).
        device: where the prior runs (``auto`` = CUDA when present).
    """

    planner: PlannerConfig = field(default_factory=lambda: PlannerConfig(action="first_action"))
    tracking: TrackingConfig = field(default_factory=TrackingConfig)
    batch_size: int = 16
    output_dir: str = ""
    device: str = "auto"


def write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file renamed into place."""
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_bytes(data)
    os.replace(temporary, path)


def plans_record(problems: Problems, draws: PlanDraws, header: dict) -> dict:
    """plans.json: the request and, per problem, its start, goal, plans and diagnostics as lists."""
    records = []
    for k, start in enumerate(problems.starts):
        record = {"start": start.tolist(), "goal": None if problems.goals is None else problems.goals[k].tolist(),
                  "log_likelihood": draws.log_likelihood[k].tolist(), "plans": draws.plans[k].tolist(),
                  "guidance_clipped": draws.guidance_clipped[k].tolist()}
        if draws.ess is not None:
            record["ess"] = draws.ess[:, k].T.tolist()
            record["log_evidence"] = draws.log_evidence[k].tolist()
        records.append(record)
    return {**header, "problems": records}


def plan_checkpoint(checkpoint: str | Path, config: PlanConfig, starts: list[list[float]] | None = None,
                    goals: list[list[float]] | None = None, seed: int = 0, resets: int = 1, num_plans: int = 4
                    ) -> dict:
    """Draw ``num_plans`` plans per problem from the posterior of the prior at ``checkpoint``; write them.

    Problems are ``starts`` (P, S) with ``goals`` (one per start, or one for all), or else ``resets``
    resets of the dataset's evaluation environment from ``seed``. Returns the summary that is printed.
    """
    if num_plans < 1 or resets < 1 or config.batch_size < 1:
        raise UserError(f"--num-plans, --resets and batch_size must be positive, got {num_plans}, {resets} and "
                        f"{config.batch_size}")
    if goals and not starts:
        raise UserError("--goal needs --start; without --start the eval-env resets give the goals")
    if config.planner.arrival_steps:
        raise UserError("planner.arrival_steps picks one plan in closed loop (diffplan evaluate); diffplan plan "
                        "draws posterior samples with the goal at the last row: drop planner.arrival_steps")
    device = resolve_device(config.device)
    path = resolve_checkpoint(checkpoint)
    prior = load_prior(path, device)
    planner = DiffusionPlanner(prior, config.planner, device)
    if starts:
        problems = problems_from_arguments(prior, config.planner, starts, goals)
    else:
        problems = problems_from_env(prior, seed, resets)
    check_problems(problems, config.planner, prior)
    draws = draw_plans(planner, torch.as_tensor(problems.starts),
                       None if problems.goals is None else torch.as_tensor(problems.goals), num_plans,
                       config.batch_size, progress=True)
    output = Path(config.output_dir) if config.output_dir else model_home(path) / "plans"
    header = {"checkpoint": str(path), "dataset_id": prior.config.data.dataset_id, "training_step": prior.step,
              "method": config.planner.posterior.method, "reward": config.planner.reward,
              "alpha": config.planner.alpha, "num_plans": num_plans, "action_dim": prior.action_dim}
    scalars = {"log_likelihood_mean": float(draws.log_likelihood.mean()),
               "log_likelihood_max": float(draws.log_likelihood.max()),
               "guidance_clipped_steps": int(draws.guidance_clipped.sum())}
    if draws.ess is not None:
        scalars["ess_min"] = float(draws.ess.min())
    experiment = ExperimentLog(config.tracking, output, "plan", {**to_dict(config), **header})
    try:
        files = write_plans(output, problems, draws, header)
        if problems.maze is not None:
            files["plans_png"] = plot_plans(problems.starts, problems.goals, draws.plans[..., prior.action_dim:],
                                            draws.log_likelihood, *problems.maze, output / "plans.png")
            experiment.log_image("plan/plans", files["plans_png"], step=prior.step)
        experiment.log({f"plan/{k}": v for k, v in scalars.items()}, step=prior.step)
        experiment.summary(scalars)
    finally:
        experiment.finish()
    return {"checkpoint": str(path), "method": header["method"], "reward": header["reward"],
            "problems": len(problems.starts), "plans_per_problem": num_plans, **scalars,
            **{name: str(file) for name, file in files.items()}}


def write_plans(output: Path, problems: Problems, draws: PlanDraws, header: dict) -> dict[str, Path]:
    """Write ``plans.npz`` (arrays) and ``plans.json`` (the request and the plans as lists) to ``output``."""
    output.mkdir(parents=True, exist_ok=True)
    arrays = {"starts": problems.starts, **draws.arrays()}
    if problems.goals is not None:
        arrays["goals"] = problems.goals
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    files = {"plans_npz": output / "plans.npz", "plans_json": output / "plans.json"}
    write_atomically(files["plans_npz"], buffer.getvalue())
    write_atomically(files["plans_json"], (json.dumps(plans_record(problems, draws, header)) + "\n").encode())
    return files


