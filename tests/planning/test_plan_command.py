"""``diffplan plan``: posterior draws of a tiny trained maze prior for given or eval-env starts and goals."""

import json

import numpy as np
import pytest
from helpers.wandb_records import logged_keys

from diffplan.cli import main

FAST = ["planner.posterior.num_steps=4", "device=cpu"]


def test_smc_plans_from_eval_env_resets(prior_run, tmp_path, capsys):
    out = tmp_path / "plans"
    argv = ["plan", str(prior_run), "--resets", "2", "--num-plans", "3", *FAST, f"output_dir={out}",
            "planner.reward=goal_distance", "planner.posterior.method=smc", "planner.posterior.particles=4",
            "batch_size=1"]  # one sampler call per problem: the draws are joined back per problem
    assert main(argv) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["problems"] == 2 and summary["plans_per_problem"] == 3 and summary["method"] == "smc"
    assert 1.0 <= summary["ess_min"] <= 4.0
    arrays = np.load(out / "plans.npz")
    assert arrays["plans"].shape == (2, 3, 32, 2 + 4)
    assert arrays["log_likelihood"].shape == (2, 3) and np.isfinite(arrays["log_likelihood"]).all()
    assert arrays["candidate_log_weights"].shape == (2, 3, 4)
    assert np.allclose(np.exp(arrays["candidate_log_weights"]).sum(-1), 1.0, atol=1e-5)
    assert arrays["ess"].shape[1:] == (2, 3) and arrays["log_evidence"].shape == (2, 3)
    # Start and goal are inpainted: plans begin at the reset state and end at the goal, at rest.
    states = arrays["plans"][..., 2:]
    assert np.allclose(states[:, :, 0], arrays["starts"][:, None], atol=1e-4)
    assert np.allclose(states[:, :, -1, :2], arrays["goals"][:, None], atol=1e-4)
    assert np.allclose(states[:, :, -1, 2:], 0.0, atol=1e-4)
    record = json.loads((out / "plans.json").read_text())
    assert record["method"] == "smc" and len(record["problems"]) == 2
    assert np.allclose(record["problems"][1]["plans"], arrays["plans"][1])
    assert len(record["problems"][0]["ess"]) == 3
    assert (out / "plans.png").stat().st_size > 5_000
    (run,) = out.glob("wandb/offline-run-*/run-*.wandb")
    assert {"plan/log_likelihood_mean", "plan/ess_min", "plan/plans/path"} <= logged_keys(run)


def test_prior_plans_from_given_starts_and_goal(prior_run, tmp_path, capsys):
    out = tmp_path / "given"
    argv = ["plan", str(prior_run), "--start", "1,1,0,0", "--start=-1,1,0.5,0", "--goal=-1,-1",
            "--num-plans", "2", *FAST, f"output_dir={out}", "tracking.mode=disabled"]
    assert main(argv) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["method"] == "prior" and "ess_min" not in summary
    arrays = np.load(out / "plans.npz")
    states = arrays["plans"][..., 2:]
    assert np.allclose(states[:, :, 0], [[[1, 1, 0, 0]], [[-1, 1, 0.5, 0]]], atol=1e-4)
    assert np.allclose(states[:, :, -1, :2], [-1, -1], atol=1e-4)
    assert np.allclose(arrays["log_likelihood"], 0.0) and "ess" not in arrays
    assert (out / "plans.png").is_file()


@pytest.mark.parametrize(("argv", "fragment"), [
    (["--start", "1,1,0"], "has 3 numbers but the prior's state has 4"),
    (["--start", "1,1,0,0", "--goal", "1,2,3"], "the goals have 3 numbers"),
    (["--start", "1,1,0,0", "--goal", "1,2", "--goal", "0,0"], "2 --goal for 1 --start"),
    (["--goal", "1,2"], "--goal needs --start"),
    (["--num-plans", "0"], "must be positive"),
    (["planner.reward=goal_distance", "planner.posterior.method=smc", "planner.posterior.num_steps=99"],
     "at most the prior's 10"),
    (["planner.arrival_steps=[3,7]"], "drop planner.arrival_steps"),
    (["--start", "nan,0,0,0", "--goal", "0,0"], "--start nan,0,0,0 is not finite"),
    (["--start", "1,1,0,0", "--goal=-inf,0"], "--goal -inf,0 is not finite"),
    (["--start", "1,1,0,0", "--goal", "1e30,0"], "entry 0 (1e+30) is far outside the dataset's range"),
    (["--start", "1,1,0,400", "--goal", "0,0"], "entry 3 (400) is far outside the dataset's range"),
])
def test_user_errors_are_one_line(prior_run, tmp_path, capsys, argv, fragment):
    assert main(["plan", str(prior_run), *argv, f"output_dir={tmp_path / 'out'}", "device=cpu"]) == 2
    error = capsys.readouterr().err
    assert fragment in error and error.count("\n") == 1
    assert not (tmp_path / "out").exists()


def test_a_device_that_is_not_there_is_an_error(prior_run, tmp_path, capsys):
    assert main(["plan", str(prior_run), f"output_dir={tmp_path / 'out'}", "device=cuda:99"]) == 2
    error = capsys.readouterr().err
    assert "device 'cuda:99' was asked for but this machine has" in error and error.count("\n") == 1
    assert not (tmp_path / "out").exists()


def test_a_start_that_is_not_numbers_is_an_argument_error(prior_run, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["plan", str(prior_run), "--start", "a,b"])
    assert exit_info.value.code == 2 and "comma-separated list of numbers" in capsys.readouterr().err
