"""Minari's PointMaze evaluation protocol: one fixed goal cell, starts in every other free cell; users' own maps."""

import numpy as np
import pytest

from diffplan.data.collect import make_env
from diffplan.data.pointmaze_maps import check_maze_map, goal_cell_of, standard_eval_map, without_goal
from diffplan.data.recipes import RECIPES
from diffplan.errors import UserError

ROW_COL = {"umaze": (1, 1), "medium": (6, 6), "large": (7, 9)}


def cell(maze, xy) -> tuple[int, int]:
    return tuple(int(v) for v in maze.cell_xy_to_rowcol(np.asarray(xy)))


@pytest.mark.parametrize("maze", ["umaze", "medium", "large"])
def test_standard_eval_maps_have_the_protocol_goal_cell(maze):
    eval_map = standard_eval_map(maze)
    assert goal_cell_of(eval_map) == ROW_COL[maze]
    assert sum(cell == "g" for row in eval_map for cell in row) == 1
    assert all(cell in (0, 1) for row in without_goal(eval_map) for cell in row)


def test_collected_dataset_stores_the_official_eval_env_and_its_reference_scores():
    dataset = RECIPES["pointmaze-umaze-sparse"].collect(total_steps=600, eval_episodes=3, progress=False)
    env = dataset.recover_environment(eval_env=True)
    spec_kwargs = env.spec.kwargs
    assert spec_kwargs["continuing_task"] is True and spec_kwargs["reset_target"] is False
    assert env.spec.max_episode_steps == 300 and spec_kwargs["reward_type"] == "sparse"
    goals, starts = set(), set()
    maze = env.unwrapped.maze
    for seed in range(30):
        obs, _ = env.reset(seed=seed)
        goals.add(cell(maze, obs["desired_goal"]))
        starts.add(cell(maze, obs["achieved_goal"]))
    assert goals == {(1, 1)}  # one fixed goal cell
    assert starts == {(1, 2), (1, 3), (2, 3), (3, 1), (3, 2), (3, 3)}  # every other free cell
    metadata = dataset.storage.metadata
    assert metadata["ref_max_score"] > metadata["ref_min_score"]
    data_env = dataset.recover_environment()
    assert all(cell in (0, 1) for row in data_env.unwrapped.maze.maze_map for cell in row)  # random data goals


def test_a_users_own_map_is_collected_scored_and_evaluated_on():
    own = [[1, 1, 1, 1, 1, 1], [1, 0, 0, 0, "g", 1], [1, 0, 1, 1, 1, 1], [1, 0, 0, 0, 0, 1], [1, 1, 1, 1, 1, 1]]
    dataset = RECIPES["pointmaze-umaze-dense"].collect(dataset_id="local/pointmaze/mine-v0", total_steps=400,
                                                       eval_episodes=2, maze_map=own, eval_steps=123,
                                                       progress=False)
    env = dataset.recover_environment(eval_env=True)
    assert env.spec.max_episode_steps == 123
    assert env.unwrapped.maze.maze_map == own
    obs, _ = env.reset(seed=0)
    assert cell(env.unwrapped.maze, obs["desired_goal"]) == (1, 4)
    assert np.isfinite(dataset.storage.metadata["ref_max_score"])


@pytest.mark.parametrize("bad, message", [
    ([[1, 1, 1], [1, 0, 1], [1, 1, 1]], "exactly one goal cell"),
    ([[1, 1, 1, 1], [1, "g", 0, 0], [1, 1, 1, 1]], "walled all round"),
    ([[1, 1, 1, 1, 1], [1, "g", 1, 0, 1], [1, 1, 1, 1, 1]], "connect to the goal"),
    ([[1, 1, 1], [1, "g", 1], [1, 1]], "rectangular"),
    ([[1, 1, 1, 1], [1, "g", 2, 1], [1, 1, 1, 1]], "cells must be 0"),
    ("umaze", "list of rows"),
])
def test_bad_maps_are_refused_in_one_line(bad, message):
    with pytest.raises(UserError, match=message):
        check_maze_map(bad)


def test_a_custom_map_needs_its_own_dataset_id_and_a_pointmaze_recipe():
    own = standard_eval_map("umaze")
    with pytest.raises(UserError, match="own dataset id"):
        RECIPES["pointmaze-umaze-sparse"].collect(total_steps=100, maze_map=own)
    with pytest.raises(UserError, match="pointmaze recipes"):
        RECIPES["pendulum-expert"].collect(total_steps=100, maze_map=own, dataset_id="local/p/x-v0")


def test_eval_map_env_builds_with_a_goal_string_cell():
    env = make_env("PointMaze_UMaze-v3", {"maze_map": standard_eval_map("umaze"), "continuing_task": True,
                                          "reset_target": False, "max_episode_steps": 5})
    obs, _ = env.reset(seed=3)
    assert cell(env.unwrapped.maze, obs["desired_goal"]) == (1, 1)


def test_written_out_maps_are_gymnasium_robotics_maps():
    from gymnasium_robotics.envs.maze import maps

    from diffplan.data import pointmaze_maps

    for name in ("U_MAZE", "MEDIUM_MAZE", "LARGE_MAZE"):
        assert getattr(pointmaze_maps, name) == getattr(maps, name)


def test_collect_command_takes_a_maze_map_file(tmp_path, capsys):
    from diffplan.cli import main

    own = tmp_path / "maze.json"
    own.write_text('[[1,1,1,1,1],[1,"g",0,0,1],[1,1,1,1,1]]')
    assert main(["--quiet", "collect", "pointmaze-umaze-sparse", "--maze-map", str(own), "--dataset-id",
                 "local/pointmaze/corridor-v0", "--steps", "200", "--eval-episodes", "2", "--eval-steps", "50"]) == 0
    import minari

    env = minari.load_dataset("local/pointmaze/corridor-v0").recover_environment(eval_env=True)
    assert env.spec.max_episode_steps == 50 and env.unwrapped.maze.maze_map[1][1] == "g"
    for bad, fragment in [("[[1,1", "neither JSON"), ('[[1,1,1],[1,0,1],[1,1,1]]', "one goal cell")]:
        assert main(["--quiet", "collect", "pointmaze-umaze-sparse", "--maze-map", bad, "--dataset-id",
                     "local/pointmaze/bad-v0", "--steps", "200"]) == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and fragment in err, err
    assert "local/pointmaze/bad-v0" not in minari.list_local_datasets()
