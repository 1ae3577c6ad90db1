"""Window sampling: diffplan's device buffer vs a per-item Dataset + DataLoader written the usual way.

A 1M-step dataset (1,000 episodes of 1,000 steps, hopper-sized rows: 3 actions + 11 states), batches of
256 windows of horizon 32. Run: ``python benchmarks/buffer_sampling.py [--device cuda]``.
"""

from __future__ import annotations

import argparse

import numpy as np
import torch
from common import median_seconds, write_result
from torch.utils.data import DataLoader, Dataset

from diffplan.data.episodes import EpisodeSteps
from diffplan.data.observation_layout import ObservationLayout
from diffplan.data.trajectory_buffer import TrajectoryBuffer

EPISODES, LENGTH, STATE, ACTION, HORIZON, BATCH = 1000, 1000, 11, 3, 32, 256


def synthetic_steps(seed: int = 0) -> EpisodeSteps:
    rng = np.random.default_rng(seed)
    n = EPISODES * LENGTH
    states = rng.normal(size=(n, STATE)).astype(np.float32)
    ends = np.zeros(n, bool)
    ends[LENGTH - 1 :: LENGTH] = True
    return EpisodeSteps(
        states=states,
        next_states=states,
        actions=rng.uniform(-1, 1, size=(n, ACTION)).astype(np.float32),
        rewards=rng.normal(size=n),
        terminations=np.zeros(n, bool),
        truncations=ends,
        goals=None,
        episode_lengths=np.full(EPISODES, LENGTH),
    )


class PerItemWindows(Dataset):
    """The usual way: an index of (episode, start) pairs and one window sliced per ``__getitem__``."""

    def __init__(self, steps: EpisodeSteps, normalizer) -> None:
        rows = np.concatenate([steps.actions, steps.states], axis=1)
        rows = (rows - normalizer.shift.numpy()) / normalizer.scale.numpy()
        starts = steps.episode_starts
        self.episodes = [rows[s : s + n] for s, n in zip(starts, steps.episode_lengths, strict=True)]
        self.index = [(e, t) for e, n in enumerate(steps.episode_lengths) for t in range(n - HORIZON + 1)]

    def __len__(self) -> int:
        return len(self.index)

    def __getitem__(self, i: int) -> torch.Tensor:
        episode, start = self.index[i]
        return torch.from_numpy(self.episodes[episode][start : start + HORIZON])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--repeats", type=int, default=200)
    args = parser.parse_args()
    steps = synthetic_steps()
    layout = ObservationLayout((), (), None, 0, STATE)
    buffer = TrajectoryBuffer(steps, HORIZON, layout=layout, device=args.device)
    generator = torch.Generator(device=args.device).manual_seed(0)

    def sample() -> None:
        buffer.sample(BATCH, generator=generator)
        if buffer.device.type == "cuda":
            torch.cuda.synchronize()

    ours = median_seconds(sample, args.repeats)
    loader = DataLoader(PerItemWindows(steps, buffer.normalizer), batch_size=BATCH, shuffle=True)
    batches = iter(loader)
    peer = median_seconds(lambda: next(batches), max(20, args.repeats // 10))
    write_result("buffer_sampling", {
        "dataset_steps": EPISODES * LENGTH,
        "batch": BATCH,
        "horizon": HORIZON,
        "row_dim": STATE + ACTION,
        "device": args.device,
        "diffplan_ms_per_batch": ours * 1e3,
        "dataloader_ms_per_batch": peer * 1e3,
        "speedup": peer / ours,
        "target_ms": 2.0,
        "meets_target": ours * 1e3 < 2.0,
    })


if __name__ == "__main__":
    main()
