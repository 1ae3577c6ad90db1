"""Diffuser's locomotion mode end to end, shrunk: a real Reacher-v5 dataset, prior, return model, value-guided
plans at every step, the expert scored on the same episodes."""

import json

import yaml

from diffplan.cli import main

SMALL = ["collect_steps=2000", "reference_episodes=2", "prior.trainer.steps=20", "prior.trainer.checkpoint_every=10",
         "return_model.trainer.steps=20", "return_model.trainer.checkpoint_every=10", "evaluation.episodes=2",
         "evaluation.num_envs=2", "evaluation.planner.posterior.num_steps=4",
         "evaluation.planner.posterior.particles=4"]


def test_reacher_pipeline_trains_the_return_model_and_plans_with_it(tmp_path, capsys):
    run_dir = tmp_path / "reacher"
    assert main(["pipeline", "pipeline-reacher-medium", *SMALL, "--run-dir", str(run_dir)]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["stages"] == {"collect": "done", "train-prior": "done", "train-return-model": "done",
                                 "evaluate": "done"}
    assert summary["episodes"] == 2.0 and summary["length_mean"] == 50.0  # Reacher's 50 steps, replanned each
    assert set(summary["baselines"]) == {"expert", "zero"}
    assert summary["baselines"]["expert"]["normalized_score_mean"] > 80.0  # the noise-free expert is the 100
    # doing nothing scores far above random actions, whose control cost sets the score's zero on Reacher
    assert summary["baselines"]["zero"]["normalized_score_mean"] > 50.0
    assert list((run_dir / "return-model" / "checkpoints").glob("step_*.pt"))
    recorded = yaml.safe_load((run_dir / "config.yaml").read_text())
    assert recorded["evaluation"]["planner"]["return_model"] == str(run_dir / "return-model")  # its own model
    assert main(["pipeline", "pipeline-reacher-medium", *SMALL, "--run-dir", str(run_dir)]) == 0
    again = json.loads(capsys.readouterr().out)
    assert again["stages"]["train-return-model"] == "skipped (trained)"


def test_a_value_planner_without_a_return_model_is_refused_before_anything_runs(tmp_path, minari_root, capsys):
    run_dir = tmp_path / "reacher"
    assert main(["pipeline", "pipeline-reacher-medium", *SMALL, "train_return_model=false",
                 "--run-dir", str(run_dir)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "needs a return model" in err[0]
    assert not any(minari_root.rglob("*.hdf5"))  # nothing collected
    assert not (run_dir / "config.yaml").exists() and not (run_dir / "prior").exists()
