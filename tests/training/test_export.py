"""``diffplan export`` writes a self-contained folder (safetensors, JSON, model card; no pickle) that loads back
without the training run, wherever a run folder is accepted."""

import json
import pickle
import shutil

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

from diffplan.cli import main
from diffplan.pretrained import from_pretrained
from diffplan.prior.prior_checkpoint import TrainedPrior, load_prior
from diffplan.training.export_folder import decode_metadata, encode_metadata

FAST = ["planner.posterior.num_steps=4", "planner.posterior.particles=2", "tracking.mode=disabled", "device=cpu"]


@pytest.fixture
def exported(prior_run, tmp_path, capsys):
    folder = tmp_path / "hub" / "umaze-prior"
    assert main(["--quiet", "export", str(prior_run), str(folder)]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["files"] == ["README.md", "config.json", "model.safetensors"]
    return folder


def test_the_exported_folder_is_the_run_s_model_without_pickle(prior_run, exported):
    record = json.loads((exported / "config.json").read_text())  # plain JSON: config, metadata, learner
    assert record["learner_class"] == "PriorLearner" and record["config"]["data"]["dataset_id"]
    weights = load_file(str(exported / "model.safetensors"))  # tensors only
    with pytest.raises(pickle.UnpicklingError):
        pickle.loads((exported / "model.safetensors").read_bytes())
    original, loaded = load_prior(prior_run), from_pretrained(exported)
    assert isinstance(loaded, TrainedPrior) and loaded.step == original.step
    assert loaded.config == original.config and loaded.layout == original.layout
    assert loaded.inpaint_goal == original.inpaint_goal
    for name, value in original.diffusion.state_dict().items():  # the EMA weights, bit for bit
        assert torch.equal(value, loaded.diffusion.state_dict()[name]), name
    assert set(weights) >= {f"diffusion.{name}" for name in original.diffusion.state_dict()}
    assert torch.equal(loaded.normalizer.shift, original.normalizer.shift)
    assert torch.equal(loaded.normalizer.scale, original.normalizer.scale)
    assert loaded.inverse_dynamics is not None


def test_the_run_can_go_once_exported(prior_run, exported, tmp_path, capsys):
    """diffplan plan takes the exported folder like the run folder, and draws the same plans from it."""
    copy = tmp_path / "elsewhere"
    shutil.copytree(exported, copy)
    outputs = {}
    for name, model in (("run", prior_run), ("export", copy)):
        argv = ["plan", str(model), "--resets", "2", "--num-plans", "2", *FAST, f"output_dir={tmp_path / name}"]
        assert main(argv) == 0
        capsys.readouterr()
        outputs[name] = np.load(tmp_path / name / "plans.npz")["plans"]
    assert np.array_equal(outputs["run"], outputs["export"])


def test_evaluate_takes_the_exported_folder(exported, tmp_path, capsys):
    argv = ["evaluate", str(exported), "episodes=1", "num_envs=1", "plots=0", "planner.posterior.num_steps=4",
            "tracking.mode=disabled", "device=cpu"]
    assert main(argv) == 0
    metrics = json.loads(capsys.readouterr().out)
    assert metrics["checkpoint"] == str(exported) and metrics["episodes"] == 1
    assert (exported / "eval" / "metrics.json").is_file()  # the outputs go next to the model, as for a run


def test_exporting_over_an_existing_folder_is_refused_and_writes_nothing(prior_run, exported, capsys):
    before = sorted(p.name for p in exported.parent.iterdir())
    assert main(["export", str(prior_run), str(exported)]) == 2
    error = capsys.readouterr().err
    assert "already exists and is not an empty folder" in error and error.count("\n") == 1
    assert sorted(p.name for p in exported.parent.iterdir()) == before  # no temporary folder left behind


def test_a_folder_that_is_not_an_export_is_a_one_line_error(exported, tmp_path, capsys):
    broken = tmp_path / "broken"
    shutil.copytree(exported, broken)
    (broken / "config.json").write_text('{"format": "something-else"}')
    assert main(["plan", str(broken), *FAST]) == 2
    assert "is not a diffplan export" in capsys.readouterr().err


def test_metadata_tensors_survive_json_bit_for_bit():
    values = {"normalizer": {"kind": "limits", "shift": torch.randn(6), "scale": torch.rand(6).double()},
              "dims": [1, 2], "flag": True}
    decoded = decode_metadata(json.loads(json.dumps(encode_metadata(values))))
    for key in ("shift", "scale"):
        assert decoded["normalizer"][key].dtype == values["normalizer"][key].dtype
        assert torch.equal(decoded["normalizer"][key], values["normalizer"][key])
    assert decoded["dims"] == [1, 2] and decoded["flag"] is True
