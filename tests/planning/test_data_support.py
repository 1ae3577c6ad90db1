"""The data's support: plans through places no demonstration visited lose to plans that stay where data is."""

import numpy as np
import pytest
import torch

from diffplan.planning.arrival_time import shortest_unbroken
from diffplan.planning.data_support import DataSupport, outside_length


def test_support_holds_visited_cells_and_one_cell_round_them():
    visited = np.stack([np.linspace(0.0, 2.0, 200), np.zeros(200)], axis=1)  # a corridor along y = 0
    support = DataSupport(visited, resolution=0.1)
    points = np.array([[1.0, 0.0], [1.0, 0.15], [1.0, 0.5], [3.0, 0.0], [-0.05, -0.05]])
    assert support.outside(points).tolist() == [False, False, True, True, False]


def test_the_shortest_plan_inside_the_support_beats_a_shorter_one_through_a_wall():
    corridor = np.concatenate([np.stack([np.zeros(50), np.linspace(0, 2, 50)], 1),
                               np.stack([np.linspace(0, 2, 50), np.full(50, 2.0)], 1),
                               np.stack([np.full(50, 2.0), np.linspace(2, 0, 50)], 1)])
    support = DataSupport(corridor, resolution=0.1)
    around = torch.as_tensor(corridor[::5], dtype=torch.float32)  # (30, 2) along the data
    through = torch.stack([torch.linspace(0, 2, 30), torch.zeros(30)], 1)  # straight across the empty middle
    plans = torch.stack([through, around])[:, None]  # (K=2, B=1, H, 2)
    rows = [29, 29]
    outside = outside_length(support, plans[:, 0], torch.tensor(rows)).reshape(2, 1)
    assert outside[0, 0] > 0 and outside[1, 0] == 0
    assert shortest_unbroken(plans, rows, [0, 1], 4.0).tolist() == [0]  # shorter, without the support
    assert shortest_unbroken(plans, rows, [0, 1], 4.0, outside).tolist() == [1]


def test_a_leap_over_the_gap_counts_the_gap_as_outside_the_support():
    corridor = np.concatenate([np.stack([np.linspace(0, 0.5, 20), np.zeros(20)], 1),
                               np.stack([np.linspace(1.5, 2, 20), np.zeros(20)], 1)])  # two ends, a gap between
    support = DataSupport(corridor, resolution=0.1)
    leap = torch.cat([torch.linspace(0, 0.5, 15), torch.linspace(1.5, 2, 15)])[:, None] * torch.tensor([[1.0, 0.0]])
    # the one move over the gap, which no visit (nor its one-cell margin) covers from 0.6 to 1.4
    assert outside_length(support, leap[None], torch.tensor([29])).item() == pytest.approx(0.8, abs=0.15)
    assert outside_length(support, leap[None], torch.tensor([14])).item() == 0  # before it
    grazing = torch.tensor([[0.0, 0.0], [0.25, 0.1], [0.5, 0.0]])
    assert outside_length(support, grazing[None], torch.tensor([2])).item() == 0


def test_a_long_leap_over_a_thin_wall_is_seen_whatever_its_length():
    # two corridors along y = 0 either side of a thin empty band at x in [3.6, 3.9); one move leaps 7 units
    corridor = np.stack([np.concatenate([np.linspace(0, 3.4, 200), np.linspace(4.0, 7, 200)]), np.zeros(400)], 1)
    support = DataSupport(corridor, resolution=0.1)
    leap = torch.tensor([[[0.0, 0.0], [7.0, 0.0], [7.0, 0.0]]])
    assert outside_length(support, leap, torch.tensor([2])).item() == pytest.approx(0.3, abs=0.1)
    walk = torch.stack([torch.linspace(0, 3.4, 40), torch.zeros(40)], 1)[None]
    assert outside_length(support, walk, torch.tensor([39])).item() == 0
