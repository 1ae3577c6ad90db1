"""Bad data input ends in one clear line on stderr and exit status 2."""

import subprocess
import sys

import numpy as np
import pytest
from helpers.episodes import box, goal_dict_episode, random_box_episodes

from diffplan.cli import main
from diffplan.data.minari_source import open_minari_dataset
from diffplan.errors import UserError


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def assert_one_line_error(code: int, err: str, *fragments: str) -> None:
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


def test_missing_dataset_names_the_id_and_the_fix(capsys):
    code, _, err = run_cli(capsys, "inspect", "local/nothing/here-v0")
    assert_one_line_error(code, err, "local/nothing/here-v0", "diffplan collect")


def test_remote_id_without_network_is_one_clear_error(monkeypatch):
    import minari.storage.hosting as hosting

    def no_network(dataset_id, force_download=False):
        raise ConnectionError("Name or service not known")

    monkeypatch.setattr(hosting, "download_dataset", no_network)
    with pytest.raises(UserError, match="could not download Minari dataset 'mujoco/hopper/medium-v0'.*collect"):
        open_minari_dataset("mujoco/hopper/medium-v0", download=True)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
@pytest.mark.parametrize("field", ["observations", "actions", "rewards"])
def test_non_finite_values_are_refused(capsys, make_dataset, bad, field):
    episodes = random_box_episodes([20, 20])
    episodes[1][field][3] = bad
    make_dataset("local/test/bad-v0", episodes, box(3), box(2))
    code, _, err = run_cli(capsys, "inspect", "local/test/bad-v0", "horizon=8")
    assert_one_line_error(code, err, "NaN or inf", field, "episode 1")


def test_all_episodes_shorter_than_horizon(capsys, make_dataset):
    make_dataset("local/test/short-v0", random_box_episodes([5, 7]), box(3), box(2, 1.0))
    code, _, err = run_cli(capsys, "inspect", "local/test/short-v0", "horizon=32")
    assert_one_line_error(code, err, "shorter than the horizon 32", "short_episodes=pad")
    code, out, _ = run_cli(capsys, "inspect", "local/test/short-v0", "horizon=32", "short_episodes=pad")
    assert code == 0 and '"windows": 12' in out


def test_shapes_that_do_not_match_the_config(capsys, make_dataset):
    make_dataset("local/test/box-v0", random_box_episodes([20]), box(3), box(2, 1.0))
    code, _, err = run_cli(capsys, "inspect", "local/test/box-v0", "horizon=4", "action_dim=6")
    assert_one_line_error(code, err, "action size 2", "expects 6")


def test_unknown_dict_observation_key(capsys, make_dataset):
    episode, space = goal_dict_episode()
    make_dataset("local/test/dict-v0", [episode], space, box(2, 1.0))
    code, _, err = run_cli(capsys, "inspect", "local/test/dict-v0", "horizon=4", "observation_keys=[velocity]")
    assert_one_line_error(code, err, "'velocity'", "achieved_goal, desired_goal, observation")
    code, _, err = run_cli(capsys, "inspect", "local/test/dict-v0", "horizon=4", "goal_key=target")
    assert_one_line_error(code, err, "'target'")


@pytest.mark.parametrize(
    ("override", "fragment"),
    [
        ("horizon_length=4", "unknown config key 'horizon_length'"),
        ("horizon=four", "'horizon' must be int"),
        ("horizon=0", "positive integer"),
        ("normalizer=minmax", "gaussian, limits"),
        ("discount=1.5", "(0, 1]"),
        ("device=tpu", "device 'tpu'"),
    ],
)
def test_bad_data_config_values(capsys, make_dataset, override, fragment):
    make_dataset("local/test/box-v0", random_box_episodes([20]), box(3), box(2, 1.0))
    code, _, err = run_cli(capsys, "inspect", "local/test/box-v0", override)
    assert_one_line_error(code, err, fragment)


def test_console_script_exit_status_and_single_line(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "diffplan", "inspect", "local/absent/dataset-v0"],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "Traceback" not in result.stderr
