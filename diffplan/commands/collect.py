"""``diffplan collect``: collect a Minari dataset in a real environment."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from diffplan.data.collect import collect_dataset
from diffplan.data.policies import RandomPolicy
from diffplan.data.recipes import RECIPES
from diffplan.errors import UserError
from diffplan.evaluation.actor_checkpoint import actor_from_checkpoint


def add_arguments(parser: argparse.ArgumentParser) -> None:
    recipes = "; ".join(f"{name}: {recipe.description}" for name, recipe in RECIPES.items()).replace("%", "%%")
    parser.add_argument("recipe", nargs="?", default=None,
                        help=f"named recipe (list them with --list) (default: none; then --env). {recipes}")
    parser.add_argument("--list", action="store_true", help="list the recipes with their dataset ids and exit")
    parser.add_argument("--dataset-id", default=None,
                        help="Minari id to write (default: the recipe's, e.g. local/pointmaze/umaze-dense-v0)")
    parser.add_argument("--steps", type=int, default=None,
                        help="step budget (default: the recipe's; 200000 for PointMaze, MuJoCo; 100000 for Pendulum)")
    parser.add_argument("--eval-episodes", type=int, default=100,
                        help="episodes of the eval env behind each reference score (expert and random)")
    parser.add_argument("--seed", type=int, default=0, help="master seed")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing dataset with the same id")
    parser.add_argument("--maze-map", default=None,
                        help="pointmaze recipes: your own maze instead of the recipe's, as JSON rows of 0 (free), "
                             "1 (wall) and one \"g\" (the eval goal cell), or a file holding them; needs --dataset-id "
                             "(default: the recipe's map)")
    parser.add_argument("--eval-steps", type=int, default=None,
                        help="pointmaze recipes: episode length of the eval env (default: 300 / 600 / 800 for "
                             "U-Maze / Medium / Large)")
    parser.add_argument("--env", default=None,
                        help="instead of a recipe: any gymnasium id, collected with --policy (needs --dataset-id) "
                             "(default: none; then a recipe)")
    parser.add_argument("--env-kwargs", default="{}", help="JSON keyword arguments of gym.make for --env")
    parser.add_argument("--policy", default="random",
                        help="behaviour policy for --env: 'random', or a diffplan checkpoint or run folder (the "
                             "planner of a train-prior run, the policy of a train-rl run); scripted experts come "
                             "with the recipes")
    parser.add_argument("--episodes", type=int, default=None,
                        help="episode budget for --env (default: none; then --steps)")


def read_maze_map(text: str | None) -> list | None:
    """``--maze-map``: JSON rows, or the path of a file holding them; None when not given."""
    if text is None:
        return None
    source = Path(text)
    if not text.lstrip().startswith("[") and source.is_file():
        text = source.read_text()
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        raise UserError(f"--maze-map is neither JSON rows nor a file of them: {text[:60]!r}; e.g. "
                        "'[[1,1,1,1],[1,\"g\",0,1],[1,1,1,1]]'") from None


def run(args: argparse.Namespace) -> dict:
    if args.list:
        listing = {name: {"dataset_id": r.dataset_id, "default_steps": r.default_total_steps,
                          "description": r.description} for name, r in RECIPES.items()}
        print(json.dumps(listing, indent=2))
        return listing
    if (args.recipe is None) == (args.env is None):
        raise UserError("name either a recipe (see `diffplan collect --list`) or --env ENV_ID, not both or neither")
    if args.recipe is not None:
        if args.recipe not in RECIPES:
            raise UserError(f"unknown recipe '{args.recipe}'; choose one of {', '.join(RECIPES)}")
        dataset = RECIPES[args.recipe].collect(
            dataset_id=args.dataset_id, total_steps=args.steps, eval_episodes=args.eval_episodes,
            seed=args.seed, overwrite=args.overwrite, maze_map=read_maze_map(args.maze_map),
            eval_steps=args.eval_steps,
        )
    else:
        if args.dataset_id is None:
            raise UserError("--env needs --dataset-id, e.g. --dataset-id local/myenv/random-v0")
        try:
            env_kwargs = json.loads(args.env_kwargs)
        except json.JSONDecodeError:
            raise UserError(f"--env-kwargs '{args.env_kwargs}' is not JSON; e.g. '{{\"max_episode_steps\": 200}}'"
                            ) from None
        policy = RandomPolicy(seed=args.seed) if args.policy == "random" else actor_from_checkpoint(args.policy).actor
        dataset = collect_dataset(
            args.env, policy, args.dataset_id, total_steps=args.steps,
            num_episodes=args.episodes, env_kwargs=env_kwargs, seed=args.seed, overwrite=args.overwrite,
            algorithm_name="random policy" if args.policy == "random" else f"diffplan checkpoint {args.policy}",
        )
    metadata = dataset.storage.metadata
    summary = {
        "dataset_id": metadata["dataset_id"],
        "episodes": dataset.total_episodes,
        "steps": dataset.total_steps,
        "ref_min_score": metadata.get("ref_min_score"),
        "ref_max_score": metadata.get("ref_max_score"),
    }
    print(json.dumps(summary, indent=2))
    return summary
