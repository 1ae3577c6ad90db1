"""The README's main command, shrunk: quickstart writes a complete run folder; stages are skipped when done."""

import json

from helpers.wandb_records import artifact_types, logged_keys, read_records

from diffplan.cli import main

SMALL = ["collect_steps=3000", "reference_episodes=3", "prior.trainer.steps=20", "prior.trainer.log_every=5",
         "prior.trainer.checkpoint_every=10", "prior.data.horizon=64", "evaluation.episodes=2",
         "evaluation.planner.posterior.num_steps=4", "evaluation.planner.arrival_steps=[15,31,47,63]"]


def test_quickstart_run_folder_and_stage_skipping(tmp_path, capsys):
    run_dir = tmp_path / "quickstart"
    assert main(["quickstart", *SMALL, "--run-dir", str(run_dir)]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["stages"] == {"collect": "done", "train-prior": "done", "evaluate": "done"}
    assert 0.0 <= summary["success_rate"] <= 1.0 and summary["episodes"] == 2.0
    assert "normalized_score_mean" in summary and summary["protocol"] == "dataset"
    # the expert and the greedy controller are scored on the same episodes, and the headline says so
    assert set(summary["baselines"]) == {"expert", "greedy"}
    assert summary["ahead_of_greedy"] == summary["normalized_score_mean"] - \
        summary["baselines"]["greedy"]["normalized_score_mean"]
    assert "expert" in summary["headline"] and "greedy" in summary["headline"]
    assert {"plan_wall_share", "plan_largest_move", "plan_path_ratio"} <= set(summary)
    for name in ("metrics.json", "config.yaml", "learning_curves.png", "eval/plans.png", "eval/metrics.json",
                 "prior/config.yaml", "prior/metrics.jsonl"):
        assert (run_dir / name).is_file(), name
    assert (run_dir / "eval" / "plans.png").stat().st_size > 10_000
    wandb_runs = sorted(run_dir.glob("**/wandb/offline-run-*"))
    assert len(wandb_runs) == 2  # train-prior and evaluate
    # Real wandb offline runs, read back: config, losses, learning rate, throughput, checkpoint artifact,
    # evaluation scores and the plan picture as media.
    (training,) = run_dir.glob("prior/wandb/offline-run-*/run-*.wandb")
    assert {"train/loss", "train/lr_model", "train/samples_per_second"} <= logged_keys(training)
    assert artifact_types(training) == ["model"]
    (run_record,) = [r.run for r in read_records(training) if r.WhichOneof("record_type") == "run"]
    assert {"data", "model", "diffusion", "trainer"} <= {item.key for item in run_record.config.update}
    (evaluation,) = run_dir.glob("eval/wandb/offline-run-*/run-*.wandb")
    assert {"eval/success_rate", "eval/normalized_score_mean", "eval/plans/path"} <= logged_keys(evaluation)
    assert list(run_dir.glob("eval/wandb/offline-run-*/files/media/images/eval/plans_*.png"))
    logged = [json.loads(line) for line in (run_dir / "prior" / "metrics.jsonl").read_text().splitlines()]
    assert [row["step"] for row in logged] == [5, 10, 15, 20] and all("train/loss" in row for row in logged)

    assert main(["quickstart", *SMALL, "--run-dir", str(run_dir)]) == 0
    again = json.loads(capsys.readouterr().out)
    assert again["stages"]["collect"].startswith("skipped") and again["stages"]["train-prior"].startswith("skipped")


def test_evaluate_errors_are_one_line(tmp_path, capsys):
    for argv, fragment in [
        (["evaluate", str(tmp_path / "missing.pt")], "does not exist"),
        (["evaluate", str(tmp_path)], "has no checkpoints"),
    ]:
        assert main(argv) == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and fragment in err, err
