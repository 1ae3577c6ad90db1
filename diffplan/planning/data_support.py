"""Where the data has been: the support of the dataset's positions, to refuse plans that leave it.

A small prior sometimes joins start and goal by a smooth line through a wall, a plan no leap test catches.
No demonstration ever passed there, so the plan leaves the support of the data. :class:`DataSupport`
records the grid cells (side ``resolution``, in environment units) that the dataset's states visit in the
tracked dimensions (a maze's position), and counts the moves of a planned path that pass outside them. It is
built from the dataset the prior was trained on, which is what a planner may use: it never sees the maze map.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from diffplan.data.episodes import read_episodes
from diffplan.data.minari_source import open_minari_dataset
from diffplan.data.observation_layout import ObservationLayout


class DataSupport:
    """The grid cells visited by states ``(N, P)`` (the tracked dimensions), one cell of margin around them.

    Args:
        points: ``(N, P)`` visited positions.
        resolution: side of a grid cell.
    """

    def __init__(self, points: np.ndarray, resolution: float) -> None:
        if resolution <= 0:
            raise ValueError(f"resolution must be positive, got {resolution}")
        self.resolution = float(resolution)
        cells = np.floor(np.asarray(points, dtype=np.float64) / self.resolution).astype(np.int64)
        offsets = np.stack(np.meshgrid(*[np.arange(-1, 2)] * cells.shape[1], indexing="ij"), -1).reshape(-1,
                                                                                                       cells.shape[1])
        self.cells = np.unique((cells[:, None] + offsets[None]).reshape(-1, cells.shape[1]), axis=0)  # (M, P)
        self._keys = np.sort(self._key(self.cells))

    def _key(self, cells: np.ndarray) -> np.ndarray:
        # one integer per cell: offsets far larger than any maze, so distinct cells never share a key
        return sum(((cells[..., d] + 2**20) << (21 * d)) for d in range(cells.shape[-1]))

    def outside(self, points: np.ndarray) -> np.ndarray:
        """Whether positions ``(..., P)`` fall outside the visited cells: ``(...)`` bool."""
        keys = self._key(np.floor(np.asarray(points, dtype=np.float64) / self.resolution).astype(np.int64))
        found = np.searchsorted(self._keys, keys).clip(max=len(self._keys) - 1)
        return self._keys[found] != keys

    @staticmethod
    def of_dataset(dataset_id: str, layout: ObservationLayout, dims: Sequence[int], resolution: float
                   ) -> DataSupport:
        """The support of a Minari dataset's states (``dims`` of its flattened states)."""
        steps = read_episodes(open_minari_dataset(dataset_id), layout)
        return DataSupport(steps.states[:, list(dims)], resolution)


def outside_length(support: DataSupport, plan_positions: torch.Tensor, goal_rows: torch.Tensor,
                   max_pieces: int = 512) -> torch.Tensor:
    """Length of each planned path outside the support, up to its goal row: ``(B, H, P)``, ``(B,)`` -> ``(B,)``.

    The path is the polyline through the planned positions, each move cut into pieces no longer than the
    support's resolution (at most ``max_pieces``); a piece whose start falls outside counts its length. A leap
    over a wall counts the wall's thickness, a path that grazes an unvisited sliver of a corridor little.
    """
    positions = plan_positions.detach().cpu().double().numpy()
    moves = np.diff(positions, axis=1)  # (B, H - 1, P)
    lengths = np.linalg.norm(moves, axis=-1)  # (B, H - 1)
    pieces = int(min(max(np.ceil(lengths.max(initial=0.0) / support.resolution), 1), max_pieces))
    fractions = np.arange(pieces) / pieces
    points = positions[:, :-1, None] + fractions[None, None, :, None] * moves[:, :, None]  # (B, H - 1, s, P)
    share = support.outside(points).mean(axis=-1)  # (B, H - 1): the share of each move outside
    tracked = np.arange(share.shape[1])[None] < goal_rows.detach().cpu().numpy()[:, None]
    return torch.as_tensor((share * lengths * tracked).sum(axis=1), dtype=torch.float32, device=plan_positions.device)
