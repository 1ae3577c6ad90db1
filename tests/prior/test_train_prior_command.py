"""``diffplan train-prior`` end to end: real PointMaze data, run folder, wandb offline run, resume, reload."""

import json

import pytest
import torch
import yaml

from diffplan.cli import main
from diffplan.data.recipes import RECIPES
from diffplan.prior.inpainting import Conditions
from diffplan.prior.prior_checkpoint import load_prior
from diffplan.prior.sampling import sample

TINY = ["data.horizon=16", "model.dim=8", "model.dim_mults=[1,2]", "diffusion.num_train_timesteps=10",
        "trainer.batch_size=8", "trainer.log_every=2", "trainer.checkpoint_every=3", "trainer.ema_start=2",
        "trainer.ema_every=1", "data.device=cpu"]


@pytest.fixture
def umaze(minari_root):
    RECIPES["pointmaze-umaze-dense"].collect(total_steps=2000, eval_episodes=2, progress=False)


def test_train_prior_writes_a_run_that_resumes_and_reloads(umaze, tmp_path, capsys):
    run_dir = tmp_path / "prior"
    argv = ["train-prior", "prior-pointmaze-umaze", *TINY, "trainer.steps=4", "--run-dir", str(run_dir)]
    assert main(argv) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["step"] == 4 and result["data"]["dataset_id"] == "local/pointmaze/umaze-dense-v0"
    saved = yaml.safe_load((run_dir / "config.yaml").read_text())
    assert saved["model"]["transition_dim"] == 6 and saved["diffusion"]["horizon"] == 16
    assert saved["diffusion"]["action_dim"] == 2 and saved["inpaint_goal"] is True
    assert sorted(p.name for p in (run_dir / "checkpoints").iterdir()) == ["step_00000003.pt", "step_00000004.pt"]
    wandb_runs = list((run_dir / "wandb").glob("offline-run-*"))
    assert len(wandb_runs) == 1 and list(wandb_runs[0].glob("*.wandb"))

    # Without --resume an existing run is refused; with it, training continues to the new step count.
    assert main(argv) == 2
    assert "--resume" in capsys.readouterr().err
    assert main([*argv[:-3], "trainer.steps=6", "--run-dir", str(run_dir), "--resume"]) == 0
    assert json.loads(capsys.readouterr().out)["step"] == 6

    prior = load_prior(run_dir)
    assert prior.step == 6 and prior.layout.goal_key == "desired_goal" and prior.inpaint_goal
    start = prior.normalizer.select(slice(2, None)).normalize(torch.tensor([[0.5, 0.5, 0.0, 0.0]]))
    conditions = Conditions.start_goal(start.expand(3, 4), prior.horizon, prior.action_dim)
    plans = sample(prior.diffusion, (3, 16, 6), conditions, "ddim", 5, torch.Generator().manual_seed(0))
    assert torch.isfinite(plans).all() and torch.allclose(plans[:, 0, 2:], start.expand(3, 4))


@pytest.mark.parametrize(("override", "fragment"), [
    ("model.transition_dim=9", "model.transition_dim is 9 but the data gives 6"),
    ("data.horizon=17", "horizon 17 is not divisible by 2"),
    ("diffusion.prediction_type=x0", "prediction_type"),
    ("trainer.steps=-1", "trainer.steps must be positive"),
    ("model.dim_mults=[1,0]", "dim_mults"),
])
def test_bad_prior_configs_are_one_line_errors(umaze, tmp_path, capsys, override, fragment):
    run_dir = tmp_path / "bad"
    argv = ["train-prior", "prior-pointmaze-umaze", *TINY, "trainer.steps=2", override, "--run-dir", str(run_dir)]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and fragment in err, err
    assert not (run_dir / "checkpoints").exists()


def test_unknown_config_name_lists_the_bundled_ones(capsys):
    assert main(["train-prior", "no-such-config"]) == 2
    assert "prior-pointmaze-umaze" in capsys.readouterr().err
