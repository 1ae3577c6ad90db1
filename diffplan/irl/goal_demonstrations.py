"""Expert demonstrations to one fixed goal in a PointMaze maze, written as a Minari dataset.

The maze's map is rewritten so that one cell is the only goal (``g``) and every other free cell a reset cell
(``r``): each episode starts in a random free cell and the expert (:class:`PointMazeExpert`, Q-iteration
waypoints + PD) drives to the goal and holds there until ``max_episode_steps`` pass (``continuing_task=True,
reset_target=False``: reaching the goal neither ends the episode nor moves the goal). Demonstrations that stop
at the goal would tell max-ent IRL nothing about staying there (the absorbing-state problem): windows that
dwell at the goal would look no more expert-like than any other. gymnasium-robotics adds its usual uniform
noise (±0.25 cells) to the goal position of each episode.
"""

from __future__ import annotations

from minari.dataset.minari_dataset import MinariDataset

from diffplan.data.collect import collect_dataset
from diffplan.data.pointmaze_expert import PointMazeExpert
from diffplan.data.policies import NoisyPolicy
from diffplan.errors import UserError

MAZE_ENV_NAMES = {"umaze": "UMaze", "medium": "Medium", "large": "Large"}


def maze_map_with_goal(maze: str, goal_cell: tuple[int, int]) -> list[list[int | str]]:
    """The map of ``maze`` with ``goal_cell`` (row, col) as the only goal and the other free cells as resets."""
    from gymnasium_robotics.envs.maze import maps

    base = {"umaze": maps.U_MAZE, "medium": maps.MEDIUM_MAZE, "large": maps.LARGE_MAZE}[maze]
    row, col = goal_cell
    if not (0 <= row < len(base) and 0 <= col < len(base[0])) or base[row][col] == 1:
        raise UserError(f"goal cell {goal_cell} is a wall or outside the {maze} maze; pick a free (row, col)")
    return [[1 if cell == 1 else ("g" if (i, j) == (row, col) else "r") for j, cell in enumerate(line)]
            for i, line in enumerate(base)]


def pointmaze_env_id(maze: str, dense: bool = True) -> str:
    if maze not in MAZE_ENV_NAMES:
        raise UserError(f"unknown maze {maze!r}; use one of {', '.join(MAZE_ENV_NAMES)}")
    return f"PointMaze_{MAZE_ENV_NAMES[maze]}{'Dense' if dense else ''}-v3"


def collect_goal_demonstrations(dataset_id: str, maze: str = "umaze", goal_cell: tuple[int, int] = (3, 1),
                                episodes: int = 20, max_episode_steps: int = 300, noise_std: float = 0.0,
                                seed: int = 0, overwrite: bool = False, progress: bool = True) -> MinariDataset:
    """Write ``episodes`` expert demonstrations to ``goal_cell`` as the Minari dataset ``dataset_id``."""
    env_kwargs = {"maze_map": maze_map_with_goal(maze, goal_cell), "continuing_task": True, "reset_target": False,
                  "max_episode_steps": max_episode_steps}
    policy = NoisyPolicy(PointMazeExpert(), noise_std=noise_std, seed=seed)
    return collect_dataset(
        pointmaze_env_id(maze),
        policy,
        dataset_id,
        num_episodes=episodes,
        env_kwargs=env_kwargs,
        eval_env_kwargs=env_kwargs,
        seed=seed,
        overwrite=overwrite,
        algorithm_name=f"QIteration waypoints + PD controller, action noise N(0, {noise_std}), goal cell {goal_cell}",
        description=f"{episodes} expert demonstrations in PointMaze {maze} to the fixed goal cell {goal_cell} from "
                    "random free cells; each reaches the goal and holds there (collected locally by diffplan).",
        progress=progress,
    )
