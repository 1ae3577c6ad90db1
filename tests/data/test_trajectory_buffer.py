"""The device buffer: windows never cross episodes, padding is masked and kept out of the statistics."""

import numpy as np
import pytest
import torch
from helpers.episodes import box, random_box_episodes
from hypothesis import given, settings
from hypothesis import strategies as st

from diffplan.data.data_config import DataConfig
from diffplan.data.episodes import EpisodeSteps
from diffplan.data.observation_layout import ObservationLayout
from diffplan.data.returns import discounted_returns_to_go
from diffplan.data.trajectory_buffer import TrajectoryBuffer
from diffplan.errors import UserError


def steps_from_lengths(lengths: list[int], seed: int = 0) -> EpisodeSteps:
    """Synthetic steps whose state[0] is the episode id and state[1] the step index."""
    rng = np.random.default_rng(seed)
    n = sum(lengths)
    episode = np.repeat(np.arange(len(lengths)), lengths)
    step = np.concatenate([np.arange(k) for k in lengths])
    states = np.stack([episode, step, rng.normal(size=n)], axis=1).astype(np.float32)
    terminations = np.zeros(n, bool)
    terminations[np.cumsum(lengths) - 1] = rng.random(len(lengths)) < 0.5
    return EpisodeSteps(
        states=states,
        next_states=states + 1,
        actions=rng.uniform(-1, 1, size=(n, 2)).astype(np.float32),
        rewards=rng.normal(size=n),
        terminations=terminations,
        truncations=~terminations & np.isin(np.arange(n), np.cumsum(lengths) - 1),
        goals=None,
        episode_lengths=np.asarray(lengths),
    )


LAYOUT = ObservationLayout((), (), None, 0, 3)


def raw_windows(buffer: TrajectoryBuffer, batch) -> torch.Tensor:
    return buffer.normalizer.unnormalize(batch.x)


@settings(max_examples=40, deadline=None)
@given(
    lengths=st.lists(st.integers(1, 40), min_size=1, max_size=12),
    horizon=st.integers(1, 16),
    pad=st.booleans(),
)
def test_windows_never_cross_episodes(lengths, horizon, pad):
    if not pad and max(lengths) < horizon:
        with pytest.raises(UserError, match="shorter than the horizon"):
            TrajectoryBuffer(steps_from_lengths(lengths), horizon, layout=LAYOUT, short_episodes="drop")
        return
    buffer = TrajectoryBuffer(steps_from_lengths(lengths), horizon, layout=LAYOUT,
                              short_episodes="pad" if pad else "drop")
    batch = buffer.sample(64, generator=torch.Generator().manual_seed(0))
    rows = raw_windows(buffer, batch)
    episode_id = rows[..., 2]  # action dims first: columns 2, 3 are state[0], state[1]
    step_index = rows[..., 3]
    real = batch.mask
    # Every real row of a window belongs to one episode, and steps are consecutive.
    first = episode_id[:, :1].expand_as(episode_id)
    assert torch.allclose(episode_id[real], first[real], atol=1e-3)
    expected_steps = step_index[:, :1] + torch.arange(horizon)
    assert torch.allclose(step_index[real], expected_steps[real], atol=1e-3)
    # Masked rows are exactly zero in normalised space; real rows form a prefix.
    assert torch.all(batch.x[~real] == 0)
    assert torch.all(real[:, :-1] | ~real[:, 1:])
    if not pad:
        assert real.all()
        assert buffer.num_dropped_episodes == sum(k < horizon for k in lengths)


def test_padding_never_enters_normaliser_statistics():
    lengths = [3, 50]
    steps = steps_from_lengths(lengths)
    buffer = TrajectoryBuffer(steps, 16, layout=LAYOUT, short_episodes="pad", normalizer="gaussian")
    rows = np.concatenate([steps.actions, steps.states], axis=1)
    np.testing.assert_allclose(buffer.normalizer.shift.numpy(), rows.mean(0), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(buffer.normalizer.scale.numpy(), rows.std(0), rtol=1e-5, atol=1e-5)
    dropped = TrajectoryBuffer(steps, 16, layout=LAYOUT, short_episodes="drop")
    assert dropped.num_dropped_episodes == 1 and dropped.num_steps == 50


@settings(max_examples=30, deadline=None)
@given(data=st.lists(st.floats(-1e3, 1e3), min_size=2, max_size=200), kind=st.sampled_from(["gaussian", "limits"]))
def test_normalizer_round_trip(data, kind):
    from diffplan.data.normalizer import AffineNormalizer

    x = torch.tensor(data, dtype=torch.float64).reshape(-1, 1).float()
    normalizer = AffineNormalizer.fit(kind, x)
    assert torch.allclose(normalizer.unnormalize(normalizer.normalize(x)), x, rtol=1e-4, atol=1e-2)
    if kind == "limits" and float(x.max() - x.min()) > 1e-3:
        z = normalizer.normalize(x)
        assert z.min() >= -1 - 1e-4 and z.max() <= 1 + 1e-4


@settings(max_examples=40, deadline=None)
@given(
    lengths=st.lists(st.integers(1, 30), min_size=1, max_size=8),
    discount=st.floats(0.5, 1.0),
    penalty=st.sampled_from([0.0, -100.0]),
)
def test_returns_to_go_match_direct_sum(lengths, discount, penalty):
    steps = steps_from_lengths(lengths, seed=len(lengths))
    returns = discounted_returns_to_go(steps.rewards, steps.episode_lengths, steps.terminations, discount, penalty)
    start = 0
    for length in lengths:
        shaped = steps.rewards[start:start + length] + penalty * steps.terminations[start:start + length]
        for t in range(length):
            direct = sum(discount ** (k - t) * shaped[k] for k in range(t, length))
            assert returns[start + t] == pytest.approx(direct, rel=1e-9, abs=1e-9)
        start += length


def test_returns_and_goals_of_windows(make_dataset):
    # Dict observations of a goal environment; the goal changes once (stale) inside each episode.
    rng = np.random.default_rng(1)
    episodes = []
    for e in range(3):
        steps = 20
        goal = np.tile([e, -e], (steps + 1, 1)).astype(np.float32)
        goal[5] = 99.0  # a stale goal row must not move the episode's goal
        episodes.append({
            "observations": {
                "observation": rng.normal(size=(steps + 1, 4)).astype(np.float32),
                "achieved_goal": rng.normal(size=(steps + 1, 2)).astype(np.float32),
                "desired_goal": goal,
            },
            "actions": rng.uniform(-1, 1, (steps, 2)).astype(np.float32),
            "rewards": np.ones(steps),
        })
    space = __import__("gymnasium").spaces.Dict(
        {"observation": box(4), "achieved_goal": box(2), "desired_goal": box(2)}
    )
    make_dataset("local/test/goals-v0", episodes, space, box(2, 1.0))
    buffer = TrajectoryBuffer.from_config(
        DataConfig(dataset_id="local/test/goals-v0", horizon=8, discount=0.5, device="cpu")
    )
    assert buffer.layout.state_keys == ("observation",) and buffer.layout.goal_key == "desired_goal"
    assert buffer.state_dim == 4 and buffer.action_dim == 2 and buffer.transition_dim == 6
    batch = buffer.sample(32, generator=torch.Generator().manual_seed(0))
    assert batch.x.shape == (32, 8, 6) and batch.goals.shape == (32, 2)
    episode = buffer.episode_of_step[batch.starts]
    assert torch.equal(batch.goals, torch.stack([episode.float(), -episode.float()], 1))
    step = batch.starts - buffer.episode_start[episode]
    expected = torch.tensor([sum(0.5 ** k for k in range(20 - int(t))) for t in step])
    assert torch.allclose(batch.returns, expected.float())


def test_describe_and_dimension_checks(make_dataset):
    make_dataset("local/test/box-v0", random_box_episodes([30, 40]), box(3), box(2, 1.0))
    config = DataConfig(dataset_id="local/test/box-v0", horizon=16, device="cpu", state_dim=3, action_dim=2)
    buffer = TrajectoryBuffer.from_config(config)
    summary = buffer.describe()
    assert summary["steps"] == 70 and summary["episodes"] == 2 and summary["windows"] == 15 + 25
    with pytest.raises(UserError, match="state size 3 but the config expects 5"):
        TrajectoryBuffer.from_config(DataConfig(dataset_id="local/test/box-v0", horizon=16, device="cpu",
                                                state_dim=5))


@settings(max_examples=40, deadline=None)
@given(lengths=st.lists(st.integers(1, 60), min_size=1, max_size=10), horizon=st.integers(2, 12),
       stride=st.integers(2, 5))
def test_strided_windows_step_by_the_stride_and_end_on_the_episodes_last_step(lengths, horizon, stride):
    buffer = TrajectoryBuffer(steps_from_lengths(lengths), horizon, layout=LAYOUT, short_episodes="pad",
                              stride=stride)
    batch = buffer.sample(64, generator=torch.Generator().manual_seed(1))
    rows = raw_windows(buffer, batch)
    episode_id, step_index, real = rows[..., 2], rows[..., 3], batch.mask
    assert torch.allclose(episode_id[real], episode_id[:, :1].expand_as(episode_id)[real], atol=1e-3)
    length = torch.as_tensor(lengths, dtype=torch.float32)[episode_id[:, 0].round().long()]
    expected = torch.minimum(step_index[:, :1] + stride * torch.arange(horizon), length[:, None] - 1)
    assert torch.allclose(step_index[real], expected[real], atol=1e-3)
    last = real.long().sum(dim=1) - 1
    ends_early = step_index[:, :1].squeeze(1) + stride * (horizon - 1) >= length - 1
    at_last = step_index[torch.arange(len(last)), last]
    assert torch.allclose(at_last[ends_early], length[ends_early] - 1, atol=1e-3)  # the episode's final step
    assert torch.all(batch.x[~real] == 0) and torch.all(real[:, :-1] | ~real[:, 1:])


def test_strided_windows_that_must_fit_drop_episodes_shorter_than_their_span():
    buffer = TrajectoryBuffer(steps_from_lengths([9, 10, 30]), 4, layout=LAYOUT, short_episodes="drop", stride=3)
    assert buffer.num_dropped_episodes == 1  # a window spans (4 - 1) * 3 + 1 = 10 steps
    with pytest.raises(UserError, match="stride"):
        TrajectoryBuffer(steps_from_lengths([9]), 4, layout=LAYOUT, short_episodes="drop", stride=3)
    with pytest.raises(UserError, match="data.stride"):
        TrajectoryBuffer(steps_from_lengths([9]), 4, layout=LAYOUT, stride=0)
