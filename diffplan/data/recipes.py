"""Named collection recipes: environment + behaviour policy + eval env + reference scores -> dataset.

=============================  =====================================  ===============================
recipe                         default dataset id                     data
=============================  =====================================  ===============================
``pointmaze-umaze-sparse``     ``local/pointmaze/umaze-v0``           D4RL recipe, ``PointMaze_UMaze-v3``
``pointmaze-umaze-dense``      ``local/pointmaze/umaze-dense-v0``     ... ``PointMaze_UMazeDense-v3``
``pointmaze-medium-sparse``    ``local/pointmaze/medium-v0``          ... ``PointMaze_Medium-v3``
``pointmaze-medium-dense``     ``local/pointmaze/medium-dense-v0``    ... ``PointMaze_MediumDense-v3``
``pointmaze-large-sparse``     ``local/pointmaze/large-v0``           ... ``PointMaze_Large-v3``
``pointmaze-large-dense``      ``local/pointmaze/large-dense-v0``     ... ``PointMaze_LargeDense-v3``
``pendulum-expert``            ``local/pendulum/expert-v0``           swing-up controller, small noise
``pendulum-medium``            ``local/pendulum/medium-v0``           noisy, ~40% normalised score
``pendulum-mixed``             ``local/pendulum/mixed-v0``            expert + medium + random episodes
``reacher-expert``             ``local/mujoco/reacher/expert-v0``     ``Reacher-v5``, operational-space
                                                                      expert, action noise 0.1
``reacher-medium``             ``local/mujoco/reacher/medium-v0``     ... reaching for a decoy first
``reacher-mixed``              ``local/mujoco/reacher/mixed-v0``      expert + medium + random episodes
``inverted-double-pendulum-*`` ``local/mujoco/inverteddoublependulum  ``InvertedDoublePendulum-v5``, LQR
                               /<level>-v0`` (expert, medium, mixed)  expert, noise 0.1; medium: a
                                                                      softer LQR, noise 0.03
=============================  =====================================  ===============================

PointMaze ids mirror Minari's ``D4RL/pointmaze/<maze>[-dense]-v2`` (sparse has no suffix) under the
``local`` namespace, so code written for the remote datasets reads the local ones by changing the id; the
MuJoCo ids mirror ``mujoco/<env>/<level>-v0`` the same way. Control tasks (Pendulum, Reacher,
InvertedDoublePendulum): episodes of the env's own length, ``eval_env`` = the same env; ``ref_max`` is the
noise-free expert's mean return and ``ref_min`` uniform random actions', over ``eval_episodes`` episodes.

PointMaze (D4RL recipe): one continuing run of ``total_steps`` steps (``continuing_task=True,
reset_target=True, max_episode_steps=total_steps``), actions = Q-iteration/PD expert + N(0, 0.5^2),
clipped to [-1, 1]; reaching the goal ends the dataset episode (truncated) and the env resamples its goal.
Eval env (Minari's protocol, :mod:`diffplan.data.pointmaze_maps`): the map with one fixed goal cell,
every other free cell a possible start, ``reset_target=False, continuing_task=True``, 300 / 600 / 800 steps
(U-Maze / Medium / Large). Reference scores: ``ref_max`` of the noise-free expert and ``ref_min`` of uniform
random actions, each over ``eval_episodes`` episodes of the eval env. ``maze_map=`` (rows of 0 / 1 with one
``"g"``) collects, scores and evaluates on a user's own map instead.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from minari.dataset.minari_dataset import MinariDataset

from diffplan.data.collect import check_request, collect_dataset, split_at_success
from diffplan.data.double_pendulum_expert import InvertedDoublePendulumLQR
from diffplan.data.pendulum_expert import PendulumSwingUpExpert
from diffplan.data.pointmaze_expert import PointMazeExpert
from diffplan.data.pointmaze_maps import STANDARD_MAPS, check_maze_map, standard_eval_map, without_goal
from diffplan.data.policies import EpisodeMixture, NoisyPolicy, Policy, RandomPolicy
from diffplan.data.reacher_expert import DistractedReacherExpert, ReacherOperationalSpaceExpert
from diffplan.data.reference_scores import reference_scores
from diffplan.errors import UserError

POINTMAZE_DEFAULT_STEPS = 200_000
"""Default PointMaze budget (D4RL used 1,000,000 for U-Maze): enough to train a diffusion prior, about a
minute of collection on two CPU cores."""
POINTMAZE_EVAL_STEPS = {maze: steps for maze, (_, _, steps) in STANDARD_MAPS.items()}
POINTMAZE_ACTION_NOISE = 0.5
_MAZE_ENV_NAMES = {"umaze": "UMaze", "medium": "Medium", "large": "Large"}

PENDULUM_DEFAULT_STEPS = 100_000  # 500 episodes of 200 steps
PENDULUM_EXPERT_NOISE = {"noise_std": 0.1}
PENDULUM_MEDIUM_NOISE = {"noise_std": 1.0, "epsilon": 0.6}
MUJOCO_DEFAULT_STEPS = 200_000
"""Reacher: 4,000 episodes of 50 steps; InvertedDoublePendulum: up to 1,000 steps per episode."""
SOFT_LQR_CONTROL_WEIGHT = 10_000.0
"""R of InvertedDoublePendulum's medium controller: too gentle to catch every start."""


@dataclass(frozen=True)
class Recipe:
    """A named way to collect a dataset (``diffplan collect <name>``)."""

    name: str
    dataset_id: str
    description: str
    default_total_steps: int
    _run: Callable[..., MinariDataset]

    def collect(
        self,
        *,
        dataset_id: str | None = None,
        total_steps: int | None = None,
        eval_episodes: int = 100,
        seed: int = 0,
        overwrite: bool = False,
        progress: bool = True,
        maze_map: list[list[Any]] | None = None,
        eval_steps: int | None = None,
    ) -> MinariDataset:
        """Collect this recipe's dataset; see :func:`collect_recipe`."""
        if (maze_map is not None or eval_steps is not None) and not self.name.startswith("pointmaze"):
            raise UserError(f"maze_map and eval_steps are options of the pointmaze recipes, not of {self.name}")
        if maze_map is not None and not dataset_id:
            raise UserError("a custom maze map needs its own dataset id, e.g. --dataset-id local/pointmaze/mymaze-v0")
        if eval_steps is not None and (isinstance(eval_steps, bool) or not isinstance(eval_steps, int)
                                       or eval_steps <= 0):
            raise UserError(f"eval_steps must be a positive integer, got {eval_steps!r}")
        maze_options = {"maze_map": check_maze_map(maze_map) if maze_map is not None else None,
                        "eval_steps": eval_steps} if self.name.startswith("pointmaze") else {}
        dataset_id = dataset_id or self.dataset_id
        total_steps = self.default_total_steps if total_steps is None else total_steps
        check_request(dataset_id, total_steps=total_steps, overwrite=overwrite)
        if isinstance(eval_episodes, bool) or not isinstance(eval_episodes, int) or eval_episodes <= 0:
            raise UserError(f"eval_episodes must be a positive integer, got {eval_episodes!r}; pass a value >= 1")
        return self._run(
            dataset_id=dataset_id,
            total_steps=total_steps,
            eval_episodes=eval_episodes,
            seeds=_Seeds(seed),
            overwrite=overwrite,
            progress=progress,
            **maze_options,
        )


class _Seeds:
    """Independent seeds for the env, the eval episodes and each policy, derived from one seed."""

    def __init__(self, seed: int) -> None:
        self.seed = int(seed)
        self.eval = self.seed + 1_000_003  # eval episodes never start where the data does
        self._spawn = np.random.SeedSequence(self.seed)

    def policy(self) -> int:
        return int(self._spawn.spawn(1)[0].generate_state(1)[0])


def _collect_pointmaze(
    maze: str,
    dense: bool,
    *,
    dataset_id: str,
    total_steps: int,
    eval_episodes: int,
    seeds: _Seeds,
    overwrite: bool,
    progress: bool,
    maze_map: list[list[Any]] | None,
    eval_steps: int | None,
) -> MinariDataset:
    env_id = f"PointMaze_{_MAZE_ENV_NAMES[maze]}{'Dense' if dense else ''}-v3"
    eval_map = maze_map if maze_map is not None else standard_eval_map(maze)
    eval_kwargs: dict[str, Any] = {
        "maze_map": eval_map,
        "continuing_task": True,
        "reset_target": False,
        "max_episode_steps": eval_steps or POINTMAZE_EVAL_STEPS[maze],
    }
    scores = reference_scores(
        env_id,
        PointMazeExpert(),
        env_kwargs=eval_kwargs,
        episodes=eval_episodes,
        seed=seeds.eval,
        random_policy=RandomPolicy(seeds.policy()),
    )
    policy = NoisyPolicy(PointMazeExpert(), noise_std=POINTMAZE_ACTION_NOISE, seed=seeds.policy())
    reward = "dense (exp(-distance))" if dense else "sparse (1 within 0.45 of the goal)"
    return collect_dataset(
        env_id,
        policy,
        dataset_id,
        total_steps=total_steps,
        env_kwargs={"maze_map": without_goal(eval_map), "continuing_task": True, "reset_target": True,
                    "max_episode_steps": total_steps},
        eval_env_kwargs=eval_kwargs,
        seed=seeds.seed,
        overwrite=overwrite,
        ref_min_score=scores.ref_min,
        ref_max_score=scores.ref_max,
        ref_episodes=scores.episodes,
        algorithm_name="QIteration waypoints + PD controller, action noise N(0, 0.5)",
        description=(
            f"{env_id}, {reward} reward: one continuing run of {total_steps} steps; a Q-iteration planner over "
            "maze cells gives waypoints, a PD controller follows them, Gaussian action noise (std 0.5) is "
            "added; reaching the goal truncates the episode and the env resamples the goal "
            "(D4RL maze2d recipe, collected locally by diffplan). Eval env: one fixed goal cell, starts in every "
            "other free cell (Minari's D4RL/pointmaze protocol)."
        ),
        split_episode=split_at_success,
        progress=progress,
    )


@dataclass(frozen=True)
class ControlTask:
    """A control task whose levels come from one scripted expert: expert (noisy), medium (a weaker or distracted
    version of it, whose mean action is not the expert's, as Minari's half-trained policies), mixed.

    ``medium`` builds the medium policy from two seeds (its own randomness, its action noise).
    """

    env_id: str
    dataset_prefix: str
    expert: Callable[[], Policy]
    algorithm: str
    expert_noise: dict[str, float]
    medium: Callable[[int, int], Policy]
    text: dict[str, str]
    default_total_steps: int


CONTROL_TASKS: dict[str, ControlTask] = {
    "pendulum": ControlTask(
        env_id="Pendulum-v1",
        dataset_prefix="local/pendulum",
        expert=PendulumSwingUpExpert,
        algorithm="energy-pumping swing-up + PD balance",
        expert_noise=PENDULUM_EXPERT_NOISE,
        medium=lambda _, noise_seed: NoisyPolicy(PendulumSwingUpExpert(), seed=noise_seed, **PENDULUM_MEDIUM_NOISE),
        text={"expert": "the swing-up controller with Gaussian torque noise (std 0.1)",
              "medium": "the swing-up controller with 60% uniformly random torques and Gaussian noise (std 1.0), "
              "about 40% of the expert's normalised score"},
        default_total_steps=PENDULUM_DEFAULT_STEPS,
    ),
    "reacher": ControlTask(
        env_id="Reacher-v5",
        dataset_prefix="local/mujoco/reacher",
        expert=ReacherOperationalSpaceExpert,
        algorithm="operational-space fingertip PD + inverse dynamics",
        expert_noise={"noise_std": 0.1},
        medium=lambda seed, noise_seed: NoisyPolicy(DistractedReacherExpert(seed=seed), noise_std=0.1,
                                                    seed=noise_seed),
        text={"expert": "the operational-space expert with Gaussian action noise (std 0.1)",
              "medium": "the operational-space expert reaching for a decoy point during a random first part of "
              "each episode (0 to 50 steps), then for the target, with Gaussian action noise (std 0.1)"},
        default_total_steps=MUJOCO_DEFAULT_STEPS,
    ),
    "inverted-double-pendulum": ControlTask(
        env_id="InvertedDoublePendulum-v5",
        dataset_prefix="local/mujoco/inverteddoublependulum",
        expert=InvertedDoublePendulumLQR,
        algorithm="LQR on the simulator's linearised step",
        expert_noise={"noise_std": 0.1},
        medium=lambda _, noise_seed: NoisyPolicy(InvertedDoublePendulumLQR(control_weight=SOFT_LQR_CONTROL_WEIGHT),
                                                 noise_std=0.03, seed=noise_seed),
        text={"expert": "the LQR expert with Gaussian action noise (std 0.1)",
              "medium": f"a softer LQR (control weight {SOFT_LQR_CONTROL_WEIGHT:g} against the expert's 1; without "
              "noise it catches about 70% of the starts) with Gaussian action noise (std 0.03): many episodes fall"},
        default_total_steps=MUJOCO_DEFAULT_STEPS,
    ),
}
"""Control tasks with local recipes ``<task>-expert``, ``<task>-medium`` and ``<task>-mixed``."""

_MIXED_TEXT = "episodes from the expert, medium and uniformly random policies in turn (one third each)"


def _control_policy(task: ControlTask, kind: str, seeds: _Seeds) -> Policy:
    if kind == "expert":
        return NoisyPolicy(task.expert(), seed=seeds.policy(), **task.expert_noise)
    if kind == "medium":
        return task.medium(seeds.policy(), seeds.policy())
    if kind == "random":
        return RandomPolicy(seeds.policy())
    if kind == "mixed":
        return EpisodeMixture([_control_policy(task, k, seeds) for k in ("expert", "medium", "random")])
    raise ValueError(kind)


def _control_text(task: ControlTask, kind: str) -> str:
    return task.text.get(kind, _MIXED_TEXT)


def _collect_control(
    task: ControlTask,
    kind: str,
    *,
    dataset_id: str,
    total_steps: int,
    eval_episodes: int,
    seeds: _Seeds,
    overwrite: bool,
    progress: bool,
) -> MinariDataset:
    scores = reference_scores(
        task.env_id,
        task.expert(),
        episodes=eval_episodes,
        seed=seeds.eval,
        random_policy=RandomPolicy(seeds.policy()),
    )
    return collect_dataset(
        task.env_id,
        _control_policy(task, kind, seeds),
        dataset_id,
        total_steps=total_steps,
        eval_env_kwargs={},
        seed=seeds.seed,
        overwrite=overwrite,
        ref_min_score=scores.ref_min,
        ref_max_score=scores.ref_max,
        ref_episodes=scores.episodes,
        algorithm_name=f"{task.algorithm} ({kind})",
        description=f"{task.env_id}, {total_steps} steps of {_control_text(task, kind)} (collected locally by "
        "diffplan).",
        progress=progress,
    )


def _pointmaze_recipe(maze: str, dense: bool) -> Recipe:
    reward = "dense" if dense else "sparse"
    return Recipe(
        name=f"pointmaze-{maze}-{reward}",
        dataset_id=f"local/pointmaze/{maze}{'-dense' if dense else ''}-v0",
        description=f"PointMaze {maze}, {reward} reward, D4RL recipe (waypoint expert + N(0, 0.5) action noise)",
        default_total_steps=POINTMAZE_DEFAULT_STEPS,
        _run=lambda **kw: _collect_pointmaze(maze, dense, **kw),
    )


def _control_recipe(name: str, kind: str) -> Recipe:
    task = CONTROL_TASKS[name]
    return Recipe(
        name=f"{name}-{kind}",
        dataset_id=f"{task.dataset_prefix}/{kind}-v0",
        description=f"{task.env_id}, {_control_text(task, kind)}",
        default_total_steps=task.default_total_steps,
        _run=lambda **kw: _collect_control(task, kind, **kw),
    )


RECIPES: dict[str, Recipe] = {
    recipe.name: recipe
    for recipe in [
        *(_pointmaze_recipe(maze, dense) for maze in ("umaze", "medium", "large") for dense in (False, True)),
        *(_control_recipe(name, kind) for name in CONTROL_TASKS for kind in ("expert", "medium", "mixed")),
    ]
}
"""All named recipes, in ``--help`` order: name -> :class:`Recipe` (``.description``, ``.dataset_id``)."""


def collect_recipe(
    name: str,
    *,
    dataset_id: str | None = None,
    total_steps: int | None = None,
    eval_episodes: int = 100,
    seed: int = 0,
    overwrite: bool = False,
    progress: bool = True,
    maze_map: list[list[Any]] | None = None,
    eval_steps: int | None = None,
) -> MinariDataset:
    """Collect the named recipe's dataset (the entry point of ``diffplan collect``).

    Args:
        name: a key of :data:`RECIPES`, e.g. ``"pointmaze-umaze-dense"``.
        dataset_id: Minari id to write; defaults to the recipe's (``local/pointmaze/umaze-dense-v0``).
        total_steps: step budget; defaults to the recipe's (200,000 for PointMaze, 100,000 for Pendulum).
        eval_episodes: episodes of the eval env for each reference score (expert and random).
        seed: master seed (env, eval episodes and policy noise are derived from it).
        overwrite: replace an existing dataset with the same id.
        progress: show a progress bar.
        maze_map: PointMaze only: a user's own map (rows of 0 / 1 with one goal cell ``"g"``) in place of the
            recipe's; needs ``dataset_id``.
        eval_steps: PointMaze only: episode length of the eval env (default: the maze's 300 / 600 / 800).

    Returns:
        The written dataset; ``minari.get_normalized_score(dataset, returns)`` works on it.
    """
    recipe = RECIPES.get(name)
    if recipe is None:
        raise UserError(f"unknown recipe {name!r}; choose one of: {', '.join(RECIPES)}")
    return recipe.collect(
        dataset_id=dataset_id,
        total_steps=total_steps,
        eval_episodes=eval_episodes,
        seed=seed,
        overwrite=overwrite,
        progress=progress,
        maze_map=maze_map,
        eval_steps=eval_steps,
    )
