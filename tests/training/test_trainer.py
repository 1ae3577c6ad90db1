"""The shared trainer: learning, exact resumption, safe checkpoints, divergence stops."""

import json
import os

import pytest
import torch
from helpers.regression_learner import RegressionLearner, sample_regression

from diffplan.errors import UserError
from diffplan.training.checkpoint import list_checkpoints, load_checkpoint, save_checkpoint
from diffplan.training.trainer import Trainer, TrainingDiverged, make_accelerator
from diffplan.training.trainer_config import TrainerConfig


def trainer(tmp_path, fail_at: int = -1, nan_at: int = -1, **overrides) -> Trainer:
    settings = dict(steps=40, batch_size=64, learning_rate=3e-3, log_every=5, checkpoint_every=10,
                    ema_start=5, ema_every=1, ema_decay=0.9, deterministic=True, keep_checkpoints=0)
    settings.update(overrides)
    config = TrainerConfig(**settings)
    torch.manual_seed(0)
    return Trainer(RegressionLearner(fail_at, nan_at), sample_regression, config, tmp_path / "run",
                   make_accelerator(config, "cpu"), progress=False, run_config={"trainer": settings})


def test_training_reduces_the_loss(tmp_path):
    t = trainer(tmp_path, steps=200, checkpoint_every=100)
    torch.manual_seed(123)
    batch = sample_regression(512)
    before = (t.learner.head(t.learner.body(batch["x"])).squeeze(-1) - batch["y"]).pow(2).mean().item()
    metrics = t.fit()
    after = (t.learner.head(t.learner.body(batch["x"])).squeeze(-1) - batch["y"]).pow(2).mean().item()
    assert after < 0.5 * before
    assert metrics["train/samples_per_second"] > 0 and "train/lr_head" in metrics


def test_resumed_run_equals_uninterrupted_run(tmp_path):
    straight = trainer(tmp_path / "a")
    straight.fit()
    interrupted = trainer(tmp_path / "b", fail_at=27)
    with pytest.raises(KeyboardInterrupt):
        interrupted.fit()
    assert [p.name for p in list_checkpoints(tmp_path / "b" / "run" / "checkpoints")] == [
        "step_00000010.pt", "step_00000020.pt"]
    resumed = trainer(tmp_path / "b")
    resumed.fit(resume=True)
    for name, value in straight.learner.state_dict().items():
        assert torch.equal(value, resumed.learner.state_dict()[name]), name
    for name, value in straight.ema.state_dict().items():
        assert torch.equal(value, resumed.ema.state_dict()[name]), name
    logged = [json.loads(line)["step"] for line in (tmp_path / "b" / "run" / "metrics.jsonl").read_text().splitlines()]
    assert logged == [5, 10, 15, 20, 25, 30, 35, 40]


def test_refuses_to_overwrite_a_run_without_resume(tmp_path):
    trainer(tmp_path, steps=10).fit()
    with pytest.raises(UserError, match="already has checkpoints; pass --resume"):
        trainer(tmp_path, steps=10).fit()


def test_checkpoint_holds_the_full_state(tmp_path):
    t = trainer(tmp_path, steps=10)
    t.fit()
    state = load_checkpoint(list_checkpoints(t.checkpoint_dir)[-1])
    assert state["step"] == 10 and state["learner_class"] == "RegressionLearner"
    assert set(state["optimizers"]) == {"body", "head"} and state["ema"] is not None
    assert state["rng"]["torch"].dtype == torch.uint8 and state["config"]["trainer"]["steps"] == 10
    leftovers = [p for p in t.checkpoint_dir.iterdir() if p.name.endswith(".tmp")]
    assert leftovers == []


def test_corrupted_checkpoint_is_named_and_the_previous_one_used(tmp_path, caplog):
    t = trainer(tmp_path, steps=20)
    t.fit()
    newest = list_checkpoints(t.checkpoint_dir)[-1]
    data = newest.read_bytes()
    newest.write_bytes(data[: len(data) // 2])  # truncated
    with pytest.raises(UserError, match="corrupted or truncated"):
        load_checkpoint(newest)
    resumed = trainer(tmp_path, steps=20)
    resumed.resume_or_start(resume=True)
    assert resumed.step == 10
    assert "step_00000020.pt" in caplog.text


class Exploit:
    def __reduce__(self):
        return (os.system, ("touch pwned",))


def test_malicious_pickle_is_refused_without_running(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "evil.pt"
    save_checkpoint({"weights": torch.zeros(2)}, path)
    header, _, _ = path.read_bytes().partition(b"\n")
    import hashlib
    import io

    buffer = io.BytesIO()
    torch.save({"weights": torch.zeros(2), "payload": Exploit()}, buffer)
    payload = buffer.getvalue()
    path.write_bytes(b"DIFFPLAN-CHECKPOINT 1 " + hashlib.sha256(payload).hexdigest().encode() + b"\n" + payload)
    with pytest.raises(UserError, match="not weights and was refused"):
        load_checkpoint(path)
    assert not (tmp_path / "pwned").exists()


def test_nan_loss_stops_with_step_and_batch_statistics(tmp_path):
    t = trainer(tmp_path, nan_at=12)
    with pytest.raises(TrainingDiverged, match=r"at step 12; batch x: min .* non-finite 256"):
        t.fit()
    steps = [int(p.stem.split("_")[1]) for p in list_checkpoints(t.checkpoint_dir)]
    assert steps == [10]


@pytest.mark.parametrize(("field", "value"), [("steps", 0), ("batch_size", -1), ("ema_decay", 1.0),
                                              ("learning_rate", 0.0), ("grad_clip", -1.0)])
def test_bad_trainer_settings(tmp_path, field, value):
    with pytest.raises(UserError, match=f"trainer.{field}"):
        trainer(tmp_path, **{field: value})


def test_learning_rate_follows_warmup_then_cosine_for_every_optimiser(tmp_path):
    t = trainer(tmp_path, steps=20, warmup_steps=5, lr_schedule="cosine", learning_rate=1e-2, checkpoint_every=20)
    rates = []
    original = t.learner.training_step

    def record(batch, step, optimize):
        rates.append({name: opt.param_groups[0]["lr"] for name, opt in t.optimizers.items()})
        return original(batch, step, optimize)

    t.learner.training_step = record
    t.fit()
    assert rates[0]["body"] == pytest.approx(1e-2 / 5) and rates[4]["head"] == pytest.approx(1e-2)
    assert rates[5]["body"] == pytest.approx(1e-2) and rates[-1]["body"] < 1e-3
    assert all(r["body"] == r["head"] for r in rates)
