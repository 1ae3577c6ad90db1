"""Acceptance: 256 windows of H=32 from a 1M-step dataset in under 2 ms on CPU."""

import statistics
import time

import numpy as np

from diffplan.data.episodes import EpisodeSteps
from diffplan.data.observation_layout import ObservationLayout
from diffplan.data.trajectory_buffer import TrajectoryBuffer


def test_sampling_a_batch_from_a_million_steps_is_under_two_milliseconds():
    rng = np.random.default_rng(0)
    episodes, length = 1000, 1000
    n = episodes * length
    states = rng.normal(size=(n, 11)).astype(np.float32)
    steps = EpisodeSteps(states, states, rng.uniform(-1, 1, (n, 3)).astype(np.float32), np.zeros(n),
                         np.zeros(n, bool), np.zeros(n, bool), None, np.full(episodes, length))
    buffer = TrajectoryBuffer(steps, 32, layout=ObservationLayout((), (), None, 0, 11))
    times = []
    for _ in range(60):
        start = time.perf_counter()
        batch = buffer.sample(256)
        times.append(time.perf_counter() - start)
    assert batch.x.shape == (256, 32, 14)
    assert statistics.median(times[10:]) < 2e-3, f"median {statistics.median(times[10:]) * 1e3:.2f} ms"
