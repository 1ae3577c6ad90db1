"""PointMaze under Minari's evaluation protocol: diffplan's planners against every baseline, on the same episodes.

For one maze (U-Maze, Medium or Large, sparse reward) this collects the dataset with the D4RL recipe when it is
missing (its eval env: one fixed goal cell, starts in every other free cell, 300 / 600 / 800 steps), trains
what needs training, and evaluates on episodes k = 0 .. n-1 (episode k reset with seed k for every actor):

1. the noise-free waypoint expert (100 by definition of the normalised score; checked here);
2. greedy PD straight at the goal, ``clip(10 (goal - p) - v)`` (no planning);
3. Diffuser's Maze2D recipe on the same data with the same training budget (gradient steps and batch) as
   diffplan's prior: horizon 128 / 256 / 384, 64 / 256 / 256 diffusion steps, width 32 with dim_mults
   (1, 4, 8), x0 prediction, limits normaliser, start and goal (at the last row) inpainted, full DDPM
   sampling, one plan per episode, action ``(p_next - p) + (v_next - v)`` on the plan's next row, the goal
   held at rest after the plan's end (diffplan's ``waypoints`` rule with kp = kd = 1). Diffuser's
   ``clip_denoised`` (x0 estimates clipped to [-1, 1]) is not reproduced; its learning rate (2e-4) is kept;
4. an offline-RL policy on the same data: diffplan's AWR (AWAC advantages) with the bundled config;
5. diffplan's planners on its prior (start and goal inpainted, the goal also the U-Net's global condition):
   the quickstart's planner (prior samples at candidate arrival rows; of the paths that stay in the data's
   support, the shortest that does not leap; pursuit along it),
   the same with replanning, with gradient guidance, with twisted SMC, and best-of-N by the known dense
   reward exp(-|p - goal|).

For each: normalised score ± s.e., success rate, mean step of first arrival, and for planners the quality
of each episode's first plan, measured with the maze map (the planners never see it): the share of planned
positions inside walls, the largest move between consecutive planned positions, and the planned path length
over the shortest path. Differences of normalised scores against baselines 2-4 are reported.

    MINARI_DATASETS_PATH=/tmp/bench-minari python benchmarks/pointmaze_official.py --maze umaze

writes ``benchmarks/results/pointmaze_official_<maze>_<device>.json``. Training runs resume from their newest
checkpoint (``--work``, default ``runs/pointmaze-official``), so an interrupted benchmark continues.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import subprocess
import sys
import time
from pathlib import Path

import minari
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import RESULTS, write_result  # noqa: E402
from diffplan.cli import main as diffplan  # noqa: E402
from diffplan.config import load_config  # noqa: E402
from diffplan.data.collect import register_robotics_envs  # noqa: E402
from diffplan.data.recipes import RECIPES  # noqa: E402
from diffplan.evaluation.actor_checkpoint import actor_from_checkpoint  # noqa: E402
from diffplan.evaluation.baselines import baseline_actor  # noqa: E402
from diffplan.evaluation.checkpoint_evaluation import first_plan_quality  # noqa: E402
from diffplan.evaluation.plan_quality import MazeGeometry  # noqa: E402
from diffplan.evaluation.rollouts import dataset_reference_scores, evaluate_actor, make_eval_envs  # noqa: E402
from diffplan.planning.diffusion_planner import DiffusionPlanner  # noqa: E402
from diffplan.planning.planner_config import PlannerConfig  # noqa: E402
from diffplan.prior.prior_checkpoint import load_prior  # noqa: E402
from diffplan.training.checkpoint import list_checkpoints, training_finished  # noqa: E402

HORIZON = {"umaze": 128, "medium": 256, "large": 384}
DIFFUSER_STEPS = {"umaze": 64, "medium": 256, "large": 256}
DATASET = {maze: f"local/pointmaze/{maze}-v0" for maze in HORIZON}

# diffplan's prior: a small temporal U-Net, the goal inpainted and given as the global condition. U-Maze is the
# quickstart's prior; Medium and Large cover their longer routes with rows 4 and 6 environment steps apart, and
# Large's longer, bendier routes take a wider network (32 channels at the first level).
SMALL = ["model.dim=16", "model.dim_mults=[1,2,4]", "diffusion.num_train_timesteps=64", "goal_condition_dims=[0,1]",
         "trainer.learning_rate=1e-3", "trainer.lr_schedule=cosine", "trainer.warmup_steps=200",
         "trainer.ema_every=1", "trainer.ema_start=500", "trainer.checkpoint_every=1000", "trainer.log_every=100"]
DIFFPLAN_PRIOR = {"umaze": ["data.horizon=128", *SMALL], "medium": ["data.horizon=128", "data.stride=4", *SMALL],
                  "large": ["data.horizon=128", "data.stride=6", *SMALL, "model.dim=32"]}
# prior samples drawn at each of the 8 arrival rows of an episode's first plan: Large's routes pass more walls, and
# more candidates give the data-support test clean ones to choose among (32/64/128 in all: 92.3/97.6/103.0 on Large)
CANDIDATES_PER_ARRIVAL = {"umaze": 4, "medium": 4, "large": 16}
DIFFUSER_PRIOR = ["model.dim=32", "model.dim_mults=[1,4,8]", "trainer.learning_rate=2e-4", "trainer.ema_every=10",
                  "trainer.checkpoint_every=1000", "trainer.log_every=100"]


def arrival_rows(horizon: int, arrivals: int = 8, each: int = 4) -> str:
    """``[15, 15, 15, 15, 31, ...]``: ``arrivals`` goal rows evenly up to the last, ``each`` samples at each."""
    rows = [round(horizon * (k + 1) / arrivals) - 1 for k in range(arrivals)]
    return "[" + ",".join(str(r) for r in rows for _ in range(each)) + "]"


def planners(horizon: int, each: int = 4) -> dict[str, list[str]]:
    """diffplan's planner variants as PlannerConfig overrides (``each`` candidates at each arrival row)."""
    best = ["reward=none", "posterior.method=prior", "posterior.particles=1", "posterior.scheduler=ddim",
            "posterior.num_steps=16", f"arrival_steps={arrival_rows(horizon, each=each)}",
            "arrival_choice=shortest_path",
            "support_resolution=0.1", "action=pursuit", "kp=10", "kd=1", "lookahead=0.5", "replan_when_stalled=20"]
    dense = ["reward=goal_distance", "alpha=1.0"]
    return {
        "diffplan: inpainting, arrival chosen, pursuit (quickstart)": best,
        "diffplan: same, replan every 100 steps": [*best, "replan_every=100"],
        "diffplan: guided (scale 3)": [*best, *dense, "posterior.method=guided", "posterior.through_denoiser=true",
                                       "posterior.guidance_scale=3.0"],
        "diffplan: twisted SMC (4 particles, x0-estimate twist)": [*best, *dense, "posterior.method=smc",
                                                                   "posterior.particles=4",
                                                                   "posterior.through_denoiser=true",
                                                                   "posterior.tweedie_directions=0"],
        "diffplan: best-of-4 by the dense reward": [*best, *dense, "posterior.method=best_of_n",
                                                    "posterior.particles=4"],
        "ablation: goal at the last row (no arrival choice)": [*best[:5], *best[8:]],
        "ablation: arrival by the smallest largest move": [*best, "arrival_choice=smallest_move",
                                                           "support_resolution=0"],
        "ablation: no data-support test": [*best, "support_resolution=0"],
        "ablation: row-by-row waypoint tracking (kp 2, kd 1) instead of pursuit": [
            *best[:8], "action=waypoints", "kp=2", "kd=1"],
        "ablation: no replanning when stalled": [*best, "replan_when_stalled=0"],
    }


def planner_rows(maze: str, horizon: int, each: int = 0) -> dict[str, list[str]]:
    """:func:`planners` with ``each`` candidates per arrival row (0: the maze's); rows measured with another
    count than the maze's name their number of candidates."""
    default = CANDIDATES_PER_ARRIVAL[maze]
    each = each or default
    rows = planners(horizon, each)
    return rows if each == default else {f"{name} [{8 * each} candidates]": o for name, o in rows.items()}


def train(command: str, config: str, overrides: list[str], run_dir: Path, steps: int) -> float:
    """Train (or resume) a run to ``steps``; returns the seconds spent now (0 when it was done)."""
    if training_finished(run_dir, steps):
        return 0.0
    found = list_checkpoints(run_dir / "checkpoints")
    started = time.perf_counter()
    args = ["--quiet", command, config, *overrides, f"trainer.steps={steps}", "--run-dir", str(run_dir)]
    if found:
        args.append("--resume")
    if diffplan(args) != 0:
        raise SystemExit(f"diffplan {' '.join(args)} failed")
    return time.perf_counter() - started


def train_for(config: str, overrides: list[str], run_dir: Path, minutes: float) -> float:
    """Train a prior for a wall-clock budget (the newest checkpoint counts); returns the seconds spent now."""
    if (run_dir / "budget_done").exists():
        return 0.0
    started = time.perf_counter()
    command = [sys.executable, "-m", "diffplan", "--quiet", "train-prior", config, *overrides,
               "trainer.steps=10000000", "trainer.checkpoint_every=100", "--run-dir", str(run_dir)]
    if list_checkpoints(run_dir / "checkpoints"):
        command.append("--resume")  # an interrupted budget continues (its minutes start again)
    with contextlib.suppress(subprocess.TimeoutExpired):  # the budget ends the run (killed)
        subprocess.run(command, timeout=minutes * 60, check=True)
    (run_dir / "budget_done").write_text(f"{minutes} minutes\n")
    return time.perf_counter() - started


def evaluate(name: str, actor, dataset, episodes: int, num_envs: int, geometry: MazeGeometry) -> dict:
    envs = make_eval_envs(lambda: dataset.recover_environment(eval_env=True), num_envs)
    started = time.perf_counter()
    try:
        result = evaluate_actor(actor, envs, episodes, seed=0, ref_scores=dataset_reference_scores(dataset))
    finally:
        envs.close()
    metrics = {**result.metrics(), "seconds": time.perf_counter() - started}
    if isinstance(actor, DiffusionPlanner):
        metrics.update(first_plan_quality(actor, geometry))
    print(f"{name}: score {metrics['normalized_score_mean']:.1f} ± {metrics['normalized_score_se']:.1f}, success "
          f"{metrics['success_rate']:.2f}, arrival {metrics.get('arrival_step_mean', float('nan')):.0f}", flush=True)
    return metrics


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--maze", choices=list(HORIZON), default="umaze")
    parser.add_argument("--episodes", type=int, default=100)
    parser.add_argument("--num-envs", type=int, default=10)
    parser.add_argument("--prior-steps", type=int, default=4000, help="gradient steps of both priors (batch 32)")
    parser.add_argument("--diffuser-minutes", type=float, default=0.0,
                        help="train Diffuser's prior for this wall-clock budget instead of --prior-steps (its larger "
                             "network makes equal steps hours long on a CPU for Medium and Large); 0 = equal steps")
    parser.add_argument("--rl-steps", type=int, default=30000, help="gradient steps of AWR (batch 256)")
    parser.add_argument("--collect-steps", type=int, default=200_000)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--work", default="runs/pointmaze-official")
    parser.add_argument("--no-training", action="store_true",
                        help="evaluate the models already trained in --work as they are (another run trains them)")
    parser.add_argument("--candidates-per-arrival", type=int, default=0,
                        help="candidates sampled at each of the 8 arrival rows by diffplan's planners (default: the "
                             "maze's, 4 / 4 / 16); rows measured with another count carry it in their name")
    parser.add_argument("--only", nargs="*", default=None,
                        help="evaluate only actors whose name contains one of these; the others' results are kept "
                             "from the JSON of an earlier run")
    args = parser.parse_args()
    torch.set_num_threads(1)
    maze, work = args.maze, Path(args.work) / args.maze
    register_robotics_envs()
    if DATASET[maze] not in minari.list_local_datasets():
        RECIPES[f"pointmaze-{maze}-sparse"].collect(total_steps=args.collect_steps)
    dataset = minari.load_dataset(DATASET[maze])
    common = [f"data.device={args.device}", "tracking.mode=disabled"]
    seconds = {} if args.no_training else {
        "diffplan prior": train("train-prior", f"prior-pointmaze-{maze}-sparse", [*DIFFPLAN_PRIOR[maze], *common],
                                work / "diffplan-prior", args.prior_steps),
        "diffuser prior": train_for(f"prior-pointmaze-{maze}-sparse", [*DIFFUSER_PRIOR, *common],
                                    work / "diffuser-prior", args.diffuser_minutes) if args.diffuser_minutes else
        train("train-prior", f"prior-pointmaze-{maze}-sparse", [*DIFFUSER_PRIOR, *common], work / "diffuser-prior",
              args.prior_steps),
        "awr": train("train-rl", f"rl-pointmaze-{maze}-sparse", ["algorithm=awr", "evaluation.episodes=0",
                                                                  "tracking.mode=disabled"], work / "awr",
                     args.rl_steps),
    }
    probe = dataset.recover_environment(eval_env=True)
    geometry = MazeGeometry(probe.unwrapped.maze.maze_map, probe.unwrapped.maze.maze_size_scaling)
    probe.close()
    num_envs = min(args.num_envs, args.episodes)
    actors = {"expert (noise-free waypoint controller)": lambda: baseline_actor("expert", num_envs),
              "greedy PD straight at the goal": lambda: baseline_actor("greedy", num_envs),
              "random actions": lambda: baseline_actor("random", num_envs)}
    diffuser_config = load_config(PlannerConfig, None, [
        "reward=none", "posterior.method=prior", "posterior.particles=1", "posterior.scheduler=ddpm",
        f"posterior.num_steps={DIFFUSER_STEPS[maze]}", "action=waypoints", "kp=1", "kd=1", "replan_every=0"])
    actors["Diffuser's Maze2D recipe"] = lambda: DiffusionPlanner(load_prior(work / "diffuser-prior", args.device),
                                                                   diffuser_config, args.device)
    actors["AWR (AWAC advantages), diffplan"] = lambda: actor_from_checkpoint(work / "awr", None, args.device).actor
    prior = load_prior(work / "diffplan-prior", args.device)
    for name, overrides in planner_rows(maze, prior.horizon, args.candidates_per_arrival).items():
        config = load_config(PlannerConfig, None, overrides)
        actors[name] = lambda config=config: DiffusionPlanner(prior, config, args.device)
    result_name = f"pointmaze_official_{maze}_{args.device}"
    results: dict[str, dict] = {}
    for name, make in actors.items():
        if args.only is None or any(part in name for part in args.only):
            results[name] = evaluate(name, make(), dataset, args.episodes, num_envs, geometry)
            # with --only, the rows measured by other runs are kept (read again now: another run may be writing)
            previous = RESULTS / f"{result_name}.json"
            earlier = json.loads(previous.read_text()) if args.only is not None and previous.exists() else {}
            kept = earlier.get("results", {})
            trained = seconds or earlier.get("training", {}).get("seconds_this_run", {})
            write(result_name, {**kept, **results}, maze, dataset, args, trained, newest_step(work / "diffuser-prior"),
                  prior.horizon)


def newest_step(run_dir: Path) -> int:
    """Training step of the newest checkpoint of a run folder (0 without one)."""
    found = list_checkpoints(run_dir / "checkpoints")
    return int(found[-1].stem.removeprefix("step_")) if found else 0


def write(result_name: str, results: dict, maze: str, dataset, args: argparse.Namespace, seconds: dict,
          diffuser_steps: int, horizon: int) -> None:
    """Write the results so far (after every actor: an interrupted benchmark keeps what it measured)."""
    scores = {name: r["normalized_score_mean"] for name, r in results.items()}
    peers = [n for n in scores if n.startswith(("greedy", "Diffuser", "AWR"))]
    best = max((n for n in scores if n.startswith("diffplan:")), key=scores.get, default=None)
    write_result(result_name, {
        "maze": maze, "dataset_id": DATASET[maze], "episodes": args.episodes, "seeds": f"0..{args.episodes - 1}",
        "protocol": "Minari D4RL/pointmaze: fixed goal cell, every other free cell a start, continuing_task, "
                    "reset_target=False, sparse reward",
        "reference_scores": dataset_reference_scores(dataset),
        "training": {"prior_steps": args.prior_steps, "prior_batch": 32, "rl_steps": args.rl_steps,
                     "diffuser_budget": f"{args.diffuser_minutes} minutes wall-clock" if args.diffuser_minutes
                     else f"{args.prior_steps} steps (as diffplan's)",
                     "diffuser_prior_steps": diffuser_steps,
                     "seconds_this_run": seconds, "diffplan_prior": DIFFPLAN_PRIOR[maze],
                     "diffuser_prior": DIFFUSER_PRIOR},
        "results": results,
        "best_diffplan": best,
        "best_ahead_of": {peer: scores[best] - scores[peer] for peer in peers} if best else {},
        "diffplan_planners": {**planner_rows(maze, horizon),
                              **planner_rows(maze, horizon, args.candidates_per_arrival)},
    }, quiet=True)


if __name__ == "__main__":
    main()
