"""Plan quality measured with the maze map: walls crossed, leaps, and length over the shortest path."""

import math

import numpy as np
import pytest

from diffplan.data.pointmaze_maps import standard_eval_map
from diffplan.evaluation.plan_quality import MazeGeometry, plan_quality

UMAZE = MazeGeometry(standard_eval_map("umaze"))


def test_shortest_path_goes_round_the_wall():
    # from the goal cell (-1, 1) to the cell below the wall (-1, -1): round the wall's end at x = 0.5
    around = 2 * math.hypot(1.5, 0.5) + 1.0
    assert UMAZE.shortest_path(np.array([-1.0, 1.0]), np.array([-1.0, -1.0])) == pytest.approx(around, abs=1e-3)
    assert UMAZE.shortest_path(np.array([-1.0, 1.0]), np.array([1.0, 1.0])) == pytest.approx(2.0)


def test_walls_and_outside_count_as_inside_walls_faces_do_not():
    inside = UMAZE.in_wall(np.array([[-1.0, 0.0], [0.0, 0.0], [5.0, 5.0], [-1.0, 1.0], [0.5, 0.0]]))
    assert inside.tolist() == [True, True, True, False, False]  # (0.5, 0) lies on the wall's face


def test_quality_of_a_plan_through_the_wall_and_of_one_round_it():
    straight = np.stack([np.full(21, -1.0), np.linspace(1.0, -1.0, 21)], axis=1)
    through = plan_quality(UMAZE, straight, 20)
    assert through["wall_share"] == pytest.approx(9 / 21)  # y in (-0.5, 0.5) exclusive of the faces
    assert through["path_ratio"] < 0.5 and through["largest_move"] == pytest.approx(0.1)
    corners = np.array([[-1.0, 1.0], [1.0, 1.0], [1.0, -1.0], [-1.0, -1.0]])
    legs = [np.linspace(a, b, 20, endpoint=False) for a, b in zip(corners[:-1], corners[1:], strict=True)]
    path = np.concatenate([*legs, corners[-1:]])
    around = plan_quality(UMAZE, path, len(path) - 1)
    assert around["wall_share"] == 0.0
    assert around["path_ratio"] == pytest.approx(6.0 / (2 * math.hypot(1.5, 0.5) + 1.0), rel=1e-3)


@pytest.mark.parametrize("maze", ["medium", "large"])
def test_every_free_cell_centre_reaches_the_goal_no_shorter_than_a_straight_line(maze):
    eval_map = standard_eval_map(maze)
    geometry = MazeGeometry(eval_map)
    centres = [np.array([j + 0.5 - geometry.x_centre, geometry.y_centre - i - 0.5])
               for i, row in enumerate(eval_map) for j, c in enumerate(row) if c != 1]
    goal = centres[0]
    for centre in centres[1:]:
        length = geometry.shortest_path(centre, goal)
        assert np.isfinite(length) and length >= np.linalg.norm(centre - goal) - 1e-9
