"""``diffplan train-rl`` end to end on a tiny collected Pendulum dataset, and the policy as an actor."""

from __future__ import annotations

import json

import minari
import numpy as np
import pytest
import torch

from diffplan.cli import main
from diffplan.evaluation.rollouts import dataset_reference_scores, evaluate_actor
from diffplan.pretrained import from_pretrained
from diffplan.rl.actor import PolicyActor
from diffplan.training.checkpoint import list_checkpoints

TINY = ["trainer.steps=40", "trainer.batch_size=32", "trainer.checkpoint_every=20", "trainer.log_every=10",
        "behaviour_prior.warmup_steps=10", "behaviour_prior.hidden_dims=[16]", "critic.hidden_dims=[16]",
        "kl_sac.actor_hidden_dims=[16]", "awr.actor_hidden_dims=[16]", "evaluation.episodes=2",
        "tracking.mode=disabled", "data.device=cpu"]


@pytest.fixture
def pendulum_dataset(capsys):
    assert main(["--quiet", "collect", "pendulum-medium", "--steps", "1000", "--eval-episodes", "2"]) == 0
    capsys.readouterr()
    return minari.load_dataset("local/pendulum/medium-v0")


@pytest.mark.parametrize("algorithm", ["kl_sac", "awr"])
def test_train_rl_writes_run_folder_and_scores_the_policy(algorithm, pendulum_dataset, tmp_path, capsys):
    run_dir = tmp_path / f"run-{algorithm}"
    argv = ["--quiet", "train-rl", "rl-pendulum-medium", f"algorithm={algorithm}", *TINY,
            "--run-dir", str(run_dir), "--no-progress"]
    assert main(argv) == 0
    summary = json.loads(capsys.readouterr().out)
    assert (run_dir / "config.yaml").is_file()
    assert json.loads((run_dir / "evaluation.json").read_text()) == summary
    checkpoints = list_checkpoints(run_dir / "checkpoints")
    assert checkpoints and checkpoints[-1].name == "step_00000040.pt"
    assert summary["steps"] == 40 and summary["gradient_steps_per_second"] > 0
    assert summary["eval/episodes"] == 2 and len(summary["eval_returns"]) == 2
    ref_min, ref_max = dataset_reference_scores(pendulum_dataset)
    expected = 100 * (sum(summary["eval_returns"]) / 2 - ref_min) / (ref_max - ref_min)
    assert summary["eval/normalized_score_mean"] == pytest.approx(expected)

    # The checkpoint rebuilds the policy as an actor that any evaluation drives like a planner.
    actor = PolicyActor.from_checkpoint(checkpoints[-1])
    env = pendulum_dataset.recover_environment(eval_env=True)
    try:
        result = evaluate_actor(actor, env, episodes=2, seed=1_000_003, ref_scores=(ref_min, ref_max))
    finally:
        env.close()
    torch.testing.assert_close(torch.as_tensor(result.returns), torch.as_tensor(summary["eval_returns"],
                                                                                 dtype=torch.float64))
    assert actor(env.observation_space.sample(), {}).shape == env.action_space.shape

    # ``diffplan evaluate`` takes the RL run like a prior's: the same command for every actor.
    assert main(["--quiet", "evaluate", str(run_dir), "episodes=2", "seed=1000003", "tracking.mode=disabled",
                 f"output_dir={tmp_path / 'eval'}"]) == 0
    evaluated = json.loads(capsys.readouterr().out)
    assert evaluated["return_mean"] == pytest.approx(sum(summary["eval_returns"]) / 2)

    # Exported, the policy acts the same from its folder, without the run.
    assert main(["--quiet", "export", str(run_dir), str(tmp_path / "exported")]) == 0
    capsys.readouterr()
    exported = from_pretrained(tmp_path / "exported")
    assert isinstance(exported, PolicyActor)
    observation = env.observation_space.sample()
    assert np.array_equal(exported(observation, {}), actor(observation, {}))

    # A second run into the same folder is refused in one line (exit status 2); --resume continues it.
    assert main(argv) == 2
    assert "--resume" in capsys.readouterr().err


def test_train_rl_config_errors_are_one_line(tmp_path, capsys):
    assert main(["train-rl", "rl-pendulum-medium", "kl_sac.alpha=-1", "--run-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "kl_sac.alpha" in err
    assert main(["train-rl", "rl-pendulum-medium", "critic.ensemble=1", "--run-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "critic.ensemble" in err
    assert main(["train-rl", "rl-pendulum-medium", "awr.temperature=1", "--run-dir", str(tmp_path)]) == 2
    assert "valid keys" in capsys.readouterr().err
