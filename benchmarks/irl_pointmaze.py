r"""Offline IRL on PointMaze U-Maze: a reward learned from 20 expert demonstrations to one goal and unlabelled data.

1. Collects (locally, once; existing ids are reused) the demonstrations (the scripted expert from random free
   cells to the goal cell), the unlabelled data (the D4RL recipe: noisy expert to random goals; its rewards are
   never read) and a held-out set of the same recipe with another seed.
2. Trains r_phi with ``diffplan train-reward`` (``diffplan/configs/reward-pointmaze-umaze.yaml`` + ``key=value``).
3. Reports the Spearman correlation between r_phi and the true dense reward exp(-||xy - goal||) on the held-out
   states (target >= 0.8).
4. With ``--prior <train-prior run folder>``, evaluates the planner guided by r_phi and, in the same run on the
   same episodes, guided by the true dense reward (the peer), in the U-Maze with the demonstrations' goal:
   success rates and their ratio (target >= 0.9). A prior trained without goal inpainting
   (``inpaint_goal=false``) makes the reward the planner's only information about the goal.

    python benchmarks/irl_pointmaze.py                                  # Spearman, CPU, about a minute
    diffplan train-prior prior-pointmaze-umaze --run-dir runs/irl-prior inpaint_goal=false \
        data.dataset_id=local/pointmaze/umaze-irl-unlabelled-v0 data.device=cpu model.dim=16 \
        'model.dim_mults=[1,2,4]' trainer.steps=6000 trainer.learning_rate=1e-3 trainer.lr_schedule=cosine \
        trainer.warmup_steps=200 trainer.ema_every=1 trainer.ema_start=500
    python benchmarks/irl_pointmaze.py --prior runs/irl-prior --episodes 50 --replan-every 32

Prints and writes ``benchmarks/results/irl_pointmaze.json``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import minari
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import write_result  # noqa: E402

from diffplan.config import config_path, load_config  # noqa: E402
from diffplan.data.collect import make_env  # noqa: E402
from diffplan.data.episodes import read_episodes  # noqa: E402
from diffplan.data.observation_layout import ObservationLayout  # noqa: E402
from diffplan.data.recipes import RECIPES  # noqa: E402
from diffplan.evaluation.rollouts import evaluate_actor, make_eval_envs  # noqa: E402
from diffplan.irl.goal_demonstrations import collect_goal_demonstrations, maze_map_with_goal  # noqa: E402
from diffplan.irl.reward_checkpoint import load_reward  # noqa: E402
from diffplan.irl.reward_config import RewardConfig  # noqa: E402
from diffplan.irl.reward_correlation import spearman  # noqa: E402
from diffplan.irl.reward_training import train_reward  # noqa: E402

GOAL_CELL = (3, 1)
DEMOS_ID = "local/pointmaze/umaze-goal-expert-v0"
UNLABELLED_ID = "local/pointmaze/umaze-irl-unlabelled-v0"
HELDOUT_ID = "local/pointmaze/umaze-irl-heldout-v0"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--demos", type=int, default=20, help="expert demonstrations to the goal cell")
    parser.add_argument("--unlabelled-steps", type=int, default=100_000, help="steps of unlabelled data")
    parser.add_argument("--heldout-steps", type=int, default=5_000, help="steps of the held-out set")
    parser.add_argument("--id-suffix", default="", help="appended to the dataset names (separate sizes)")
    parser.add_argument("--device", default="cpu", help="cpu, cuda or auto (training and planning)")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (1 is fastest on a shared machine)")
    parser.add_argument("--run-dir", default="", help="train-reward run folder (default: a temporary folder)")
    parser.add_argument("--prior", default="", help="train-prior run folder: also compare planning success")
    parser.add_argument("--episodes", type=int, default=20, help="evaluation episodes per planner")
    parser.add_argument("--num-envs", type=int, default=10, help="environments stepped side by side (batched plans)")
    parser.add_argument("--alpha", type=float, default=1.0, help="temperature of both planners' likelihoods")
    parser.add_argument("--replan-every", type=int, default=0, help="both planners: environment steps between plans "
                        "(0 = one plan per episode)")
    parser.add_argument("--output", default="irl_pointmaze", help="name of the JSON file in benchmarks/results")
    parser.add_argument("overrides", nargs="*", metavar="key=value", help="train-reward config overrides")
    return parser.parse_args(argv)


def dataset_id(base: str, suffix: str) -> str:
    name, version = base.rsplit("-v", 1)
    return f"{name}{suffix}-v{version}"


def ensure_datasets(args: argparse.Namespace) -> dict[str, str]:
    """Collect the three datasets unless they exist; returns their ids."""
    ids = {name: dataset_id(base, args.id_suffix) for name, base in
           (("demos", DEMOS_ID), ("unlabelled", UNLABELLED_ID), ("heldout", HELDOUT_ID))}
    existing = set(minari.list_local_datasets())
    if ids["demos"] not in existing:
        collect_goal_demonstrations(ids["demos"], goal_cell=GOAL_CELL, episodes=args.demos, progress=False)
    recipe = RECIPES["pointmaze-umaze-dense"]
    for name, steps, seed in (("unlabelled", args.unlabelled_steps, 0), ("heldout", args.heldout_steps, 1)):
        if ids[name] not in existing:
            recipe.collect(dataset_id=ids[name], total_steps=steps, eval_episodes=5, seed=seed, progress=False)
    return ids


def goal_position(demos_id: str) -> torch.Tensor:
    """``(2,)`` the demonstrations' goal: the mean of their desired goals."""
    dataset = minari.load_dataset(demos_id)
    layout = ObservationLayout.from_space(dataset.observation_space)
    return torch.as_tensor(read_episodes(dataset, layout).goals.mean(0))


def reward_correlation(run_dir: Path, heldout_id: str, goal: torch.Tensor) -> dict:
    """Spearman of r_phi vs exp(-||xy - goal||) on the held-out states."""
    trained = load_reward(run_dir)
    dataset = minari.load_dataset(heldout_id)
    steps = read_episodes(dataset, trained.layout)
    states = torch.as_tensor(steps.states)
    actions = torch.as_tensor(steps.actions)
    with torch.no_grad():
        learned = trained.reward.step_reward(states, actions, torch.as_tensor(steps.next_states))
    true = torch.exp(-(states[:, :2] - goal.to(states.dtype)).norm(dim=-1))
    return {"spearman": spearman(learned, true), "heldout_states": int(states.shape[0])}


def planning_comparison(args: argparse.Namespace, run_dir: Path) -> dict:
    """Success rates of the planner guided by r_phi and by the true dense reward, same episodes."""
    from diffplan.planning.diffusion_planner import DiffusionPlanner
    from diffplan.planning.planner_config import PlannerConfig
    from diffplan.prior.prior_checkpoint import load_prior

    device = torch.device("cuda" if args.device == "auto" and torch.cuda.is_available() else
                          ("cpu" if args.device == "auto" else args.device))
    prior = load_prior(args.prior, device)
    base = {"alpha": args.alpha, "posterior": {"method": "guided", "scheduler": "ddim", "num_steps": 16,
                                               "through_denoiser": True, "guidance_scale": 3.0, "particles": 8,
                                               "select": "most_likely"}, "kp": 2.0, "kd": 1.0,
            "replan_every": args.replan_every}
    from diffplan.config import from_dict

    # the demonstrations' maze: the goal cell fixed for every episode (uniform noise of ±0.25 cells around it)
    env_kwargs = {"maze_map": maze_map_with_goal("umaze", GOAL_CELL), "continuing_task": True, "reset_target": False,
                  "max_episode_steps": 300}
    results = {}
    for name, reward in (("learned_reward", {"reward": "learned_reward", "reward_model": str(run_dir)}),
                         ("true_reward", {"reward": "goal_distance"})):
        planner = DiffusionPlanner(prior, from_dict(PlannerConfig, {**base, **reward}), device)
        env = make_eval_envs(lambda: make_env("PointMaze_UMazeDense-v3", env_kwargs), min(args.num_envs, args.episodes))
        start = time.perf_counter()
        result = evaluate_actor(planner, env, args.episodes, seed=0)
        env.close()
        results[name] = {"success_rate": float(result.successes.mean()), "return_mean": float(result.returns.mean()),
                         "seconds": time.perf_counter() - start}
    true_rate = results["true_reward"]["success_rate"]
    ratio = results["learned_reward"]["success_rate"] / true_rate if true_rate > 0 else float("nan")
    return {"prior": args.prior, "prior_inpaints_goal": prior.inpaint_goal, "episodes": args.episodes,
            "num_envs": args.num_envs, "alpha": args.alpha, "replan_every": args.replan_every,
            **results, "success_ratio": ratio}


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    start = time.perf_counter()
    ids = ensure_datasets(args)
    collected = time.perf_counter() - start
    overrides = [f"demonstrations={ids['demos']}", f"data.dataset_id={ids['unlabelled']}",
                 f"data.device={args.device}", "tracking.mode=disabled", *args.overrides]
    config = load_config(RewardConfig, config_path("reward-pointmaze-umaze"), overrides)
    run_dir = Path(args.run_dir or tempfile.mkdtemp(prefix="irl-pointmaze-"))
    start = time.perf_counter()
    metrics = train_reward(config, run_dir, progress=False)
    trained = time.perf_counter() - start
    goal = goal_position(ids["demos"])
    result = {"datasets": ids, "goal": goal.tolist(), "run_dir": str(run_dir), "overrides": overrides,
              "collection_seconds": collected, "training_seconds": trained, "training_steps": metrics["step"],
              "final_loss": metrics.get("train/loss"),
              **reward_correlation(run_dir, ids["heldout"], goal)}
    if args.prior:
        result["planning"] = planning_comparison(args, run_dir)
    write_result(args.output, result)
    return result


if __name__ == "__main__":
    main()
