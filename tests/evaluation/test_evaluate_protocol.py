"""``diffplan evaluate``: the official protocol by default, the random-goal variant by name, baselines beside."""

import json

import numpy as np

from diffplan.cli import main
from diffplan.config import load_config
from diffplan.data.minari_source import open_minari_dataset
from diffplan.evaluation.checkpoint_evaluation import EvaluationConfig, eval_env_factory, evaluate_checkpoint
from diffplan.prior.prior_checkpoint import load_prior

FAST = ["episodes=4", "num_envs=2", "plots=0", "planner.posterior.method=prior", "planner.posterior.num_steps=2",
        "tracking.mode=disabled"]


def test_official_protocol_keeps_the_goal_cell_and_random_goal_clears_it(prior_run, tmp_path):
    dataset = open_minari_dataset(load_prior(prior_run).config.data.dataset_id)
    cells = {}
    for protocol in ("dataset", "random_goal"):
        env = eval_env_factory(dataset, protocol, {})()
        maze = env.unwrapped.maze
        cells[protocol] = {tuple(int(v) for v in maze.cell_xy_to_rowcol(env.reset(seed=k)[0]["desired_goal"]))
                           for k in range(20)}
        env.close()
        overrides = [*FAST, f"protocol={protocol}", f"output_dir={tmp_path / protocol}"]
        config = load_config(EvaluationConfig, None, overrides)
        assert evaluate_checkpoint(prior_run, config)["protocol"] == protocol
    assert cells["dataset"] == {(1, 1)} and len(cells["random_goal"]) > 3


def test_baselines_are_scored_on_the_same_episodes(prior_run, tmp_path, capsys):
    out = tmp_path / "eval"
    assert main(["--quiet", "evaluate", str(prior_run), *FAST, "baselines=[expert,greedy,random]",
                 f"output_dir={out}"]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert set(metrics["baselines"]) == {"expert", "greedy", "random"}
    expert = metrics["baselines"]["expert"]
    assert expert["success_rate"] == 1.0 and np.isfinite(expert["normalized_score_mean"])
    for name in ("expert", "greedy", "random"):
        assert metrics[f"ahead_of_{name}"] == metrics["normalized_score_mean"] - \
            metrics["baselines"][name]["normalized_score_mean"]
    assert 0.0 <= metrics["plan_wall_share"] <= 1.0 and metrics["plan_largest_move"] >= 0.0


def test_unknown_baseline_or_protocol_is_one_line(prior_run, capsys, tmp_path):
    for override, fragment in [("baselines=[oracle]", "unknown baselines"), ("protocol=official", "protocol")]:
        assert main(["--quiet", "evaluate", str(prior_run), *FAST, override, f"output_dir={tmp_path / 'x'}"]) == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and fragment in err, err
    assert not (tmp_path / "x").exists()
