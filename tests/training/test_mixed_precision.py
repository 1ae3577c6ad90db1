"""Mixed precision: bf16 trains on CPU; fp16 unscales before clipping and skips overflowing steps (its gradient
scaler, exercised here on CPU), and fp16 where it cannot run is refused in one line."""

import pytest
import torch
from accelerate.state import AcceleratorState
from helpers.regression_learner import RegressionLearner, sample_regression

from diffplan.errors import UserError
from diffplan.training.trainer import Trainer, make_accelerator
from diffplan.training.trainer_config import TrainerConfig


@pytest.fixture(autouse=True)
def fresh_accelerator_state():
    """Accelerate keeps one precision per process; each test here starts and leaves a fresh one."""
    AcceleratorState._reset_state(True)
    yield
    AcceleratorState._reset_state(True)


def make_trainer(tmp_path, scale: float | None = None, **settings) -> Trainer:
    config = TrainerConfig(**{**dict(steps=150, batch_size=64, learning_rate=3e-3, log_every=50,
                                     checkpoint_every=150, ema_decay=0.0, grad_clip=0.5), **settings})
    torch.manual_seed(0)
    accelerator = make_accelerator(TrainerConfig(), "cpu")
    if scale is not None:  # what Accelerate sets up for fp16 on CUDA, on CPU's scaler
        accelerator.scaler = torch.amp.GradScaler("cpu", init_scale=scale)
    return Trainer(RegressionLearner(), sample_regression, config, tmp_path / "run", accelerator, progress=False)


def test_bf16_trains_on_cpu_in_bf16(tmp_path):
    config = TrainerConfig(steps=150, batch_size=64, learning_rate=3e-3, log_every=50, checkpoint_every=150,
                           ema_decay=0.0, mixed_precision="bf16")
    torch.manual_seed(0)
    trainer = Trainer(RegressionLearner(), sample_regression, config, tmp_path / "run",
                      make_accelerator(config, "cpu"), progress=False)
    dtypes = set()
    trainer.learner.body[0].register_forward_hook(lambda module, inputs, output: dtypes.add(output.dtype))
    torch.manual_seed(1)
    batch = sample_regression(512)
    before = (trainer.learner.head(trainer.learner.body(batch["x"])).squeeze(-1) - batch["y"]).pow(2).mean()
    dtypes.clear()
    trainer.fit()
    assert dtypes == {torch.bfloat16}  # the training forward passes ran in bf16
    after = (trainer.learner.head(trainer.learner.body(batch["x"])).squeeze(-1) - batch["y"]).pow(2).mean()
    assert after < 0.5 * before


def test_scaled_gradients_are_unscaled_before_clipping(tmp_path):
    plain, scaled = make_trainer(tmp_path / "a", grad_clip=0.05), make_trainer(tmp_path / "b", 2.0**12, grad_clip=0.05)
    torch.manual_seed(5)
    batch = sample_regression(64)
    for trainer in (plain, scaled):
        loss = (trainer.learner.head(trainer.learner.body(batch["x"])).squeeze(-1) - batch["y"]).pow(2).mean()
        trainer.norm = trainer.optimize("body", loss)
    # the norm clipping saw, and the step taken, are those of the true gradient (2^12 times smaller)
    assert scaled.norm == pytest.approx(plain.norm, rel=1e-5) and plain.norm > 0.05  # clipping was active
    for name, value in plain.learner.body.state_dict().items():
        assert torch.allclose(value, scaled.learner.body.state_dict()[name], atol=1e-6), name


def test_a_step_whose_gradients_overflow_is_skipped(tmp_path):
    trainer = make_trainer(tmp_path, scale=2.0**120)
    before = {k: v.clone() for k, v in trainer.learner.body.state_dict().items()}
    batch = {name: 1e8 * value for name, value in sample_regression(64).items()}  # scaled gradients overflow
    loss = (trainer.learner.head(trainer.learner.body(batch["x"])).squeeze(-1) - batch["y"]).pow(2).mean()
    norm = trainer.optimize("body", loss)
    assert not torch.isfinite(torch.tensor(norm))
    for name, value in trainer.learner.body.state_dict().items():
        assert torch.equal(value, before[name]), f"{name} changed on an overflowing step"
    assert trainer.accelerator.scaler.get_scale() < 2.0**120  # and the scale backs off
    trainer.fit()  # training goes on from the smaller scale
    assert all(torch.isfinite(v).all() for v in trainer.learner.state_dict().values())


def test_fp16_off_cuda_is_refused_in_one_line():
    with pytest.raises(UserError) as error:
        make_accelerator(TrainerConfig(mixed_precision="fp16"), "cpu")
    assert "fp16 needs a CUDA device" in str(error.value) and "bf16" in str(error.value)
    assert "\n" not in str(error.value)
