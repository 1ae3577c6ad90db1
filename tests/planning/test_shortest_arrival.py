"""Among candidate arrivals, the shortest plan that does not leap: a leap across a wall is refused."""

import torch

from diffplan.planning.arrival_time import shortest_unbroken


def path(points: list[tuple[float, float]], rows_per_leg: int) -> torch.Tensor:
    """``(H, 2)`` positions moving evenly through ``points``, ``rows_per_leg`` rows a leg."""
    legs = [torch.stack([torch.linspace(a[0], b[0], rows_per_leg + 1)[:-1], torch.linspace(a[1], b[1],
                                                                                          rows_per_leg + 1)[:-1]], 1)
            for a, b in zip(points[:-1], points[1:], strict=True)]
    return torch.cat([*legs, torch.tensor([points[-1]])])


def test_the_shortest_unbroken_plan_wins_and_a_leap_is_refused():
    detour = path([(0, 0), (0, 2), (3, 2), (3, 0)], 10)  # 31 rows, length 7
    direct = path([(0, 0), (1.5, 0.5), (3, 0)], 15)  # 31 rows, length ~3.2, smooth
    leap = torch.cat([torch.zeros(29, 2), torch.tensor([[3.0, 0.0], [3.0, 0.0]])])  # still, then a jump of 3
    plans = torch.stack([detour, leap, direct])[:, None]  # (K, B=1, H, 2)
    assert shortest_unbroken(plans, [30, 30, 30], [0, 1], jump_ratio=4.0).tolist() == [2]
    assert shortest_unbroken(plans[:2], [30, 30], [0, 1], jump_ratio=4.0).tolist() == [0]


def test_when_every_plan_leaps_the_smallest_leap_is_kept():
    small = torch.cat([torch.linspace(0, 1, 30)[:, None].repeat(1, 2), torch.full((1, 2), 2.0)])
    big = torch.cat([torch.zeros(30, 2), torch.full((1, 2), 2.0)])
    assert shortest_unbroken(torch.stack([big, small])[:, None], [30, 30], [0, 1], 4.0).tolist() == [1]
