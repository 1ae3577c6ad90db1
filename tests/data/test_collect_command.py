"""``diffplan collect`` end to end on real environments, and the packed PointMaze data."""

import json

import minari
import torch

from diffplan.cli import main
from diffplan.data.data_config import DataConfig
from diffplan.data.trajectory_buffer import TrajectoryBuffer


def test_collect_pointmaze_and_pack_it(capsys, minari_root):
    argv = ["collect", "pointmaze-umaze-dense", "--steps", "3000", "--eval-episodes", "3"]
    assert main(argv) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["dataset_id"] == "local/pointmaze/umaze-dense-v0" and summary["steps"] == 3000
    assert summary["ref_max_score"] > summary["ref_min_score"]

    # A second collection under the same id is refused in one line, and the dataset is untouched.
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "--overwrite" in err
    assert minari.load_dataset("local/pointmaze/umaze-dense-v0").total_steps == 3000

    buffer = TrajectoryBuffer.from_config(DataConfig(dataset_id="local/pointmaze/umaze-dense-v0", horizon=32,
                                                     device="cpu", normalizer="limits"))
    assert (buffer.state_dim, buffer.action_dim, buffer.layout.goal_dim) == (4, 2, 2)
    assert buffer.num_steps <= 3000
    batch = buffer.sample(64)
    assert batch.x.abs().max() <= 1 + 1e-5  # limits normaliser maps onto [-1, 1]
    # Episodes end at success: the goal of a window's episode is close to the last position of that episode.
    episode = buffer.episode_of_step[batch.starts]
    last_row = buffer.episode_end[episode] - 1
    ends_by_success = buffer.truncations[last_row] & (buffer.episode_end[episode] < buffer.num_steps)
    final_xy = buffer.state_normalizer.unnormalize(buffer.next_states[last_row])[:, :2]
    distance = (final_xy - batch.goals).norm(dim=-1)
    assert ends_by_success.any()
    assert torch.all(distance[ends_by_success] < 0.5)


def test_collect_any_gym_env_with_a_random_policy(capsys):
    argv = ["collect", "--env", "Pendulum-v1", "--dataset-id", "local/pendulum/random-v0", "--episodes", "3",
            "--env-kwargs", '{"max_episode_steps": 50}']
    assert main(argv) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["episodes"] == 3 and summary["steps"] == 150


def test_collect_argument_errors(capsys):
    for argv, fragment in [
        (["collect"], "name either a recipe"),
        (["collect", "pointmaze-tiny"], "unknown recipe 'pointmaze-tiny'"),
        (["collect", "--env", "Pendulum-v1", "--episodes", "2"], "--dataset-id"),
        (["collect", "--env", "NoSuchEnv-v0", "--dataset-id", "local/x/y-v0", "--episodes", "1"], "NoSuchEnv-v0"),
        (["collect", "pendulum-expert", "--steps", "0"], "steps"),
    ]:
        assert main(argv) == 2, argv
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and fragment in err, (argv, err)
