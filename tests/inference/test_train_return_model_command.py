"""``diffplan train-return-model`` end to end on a small PointMaze dataset collected here: from the dataset, and from
a prior's run folder; the checkpoint reloads with ``load_return_model`` and guides a plan."""

from __future__ import annotations

import json

import pytest
import torch
import yaml

from diffplan.cli import main
from diffplan.data.recipes import RECIPES
from diffplan.inference.posterior_config import PosteriorConfig
from diffplan.inference.posterior_sampler import PosteriorSampler
from diffplan.inference.return_model_checkpoint import load_return_model
from diffplan.prior.inpainting import Conditions
from diffplan.prior.prior_checkpoint import load_prior

TINY = ["data.horizon=16", "model.dim=16", "model.dim_mults=[1,2]", "trainer.batch_size=8", "trainer.log_every=2",
        "trainer.checkpoint_every=3", "trainer.ema_start=2", "trainer.ema_every=1", "data.device=cpu",
        "tracking.mode=disabled"]


@pytest.fixture
def umaze(minari_root):
    RECIPES["pointmaze-umaze-dense"].collect(total_steps=2000, eval_episodes=2, progress=False)


def test_train_value_from_a_dataset_and_from_a_prior_run(umaze, tmp_path, capsys):
    run_dir = tmp_path / "value"
    argv = ["train-return-model", "return-model-pointmaze-umaze", "prior_run=", "num_train_timesteps=10", *TINY,
            "trainer.steps=4", "--run-dir", str(run_dir)]
    assert main(argv) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["step"] == 4 and result["data"]["dataset_id"] == "local/pointmaze/umaze-dense-v0"
    assert result["data"]["horizon"] == 16 and "train/loss" in result
    saved = yaml.safe_load((run_dir / "config.yaml").read_text())
    assert saved["model"]["transition_dim"] == 6 and saved["model"]["horizon"] == 16
    assert saved["data"]["discount"] == 0.997
    trained = load_return_model(run_dir)
    assert trained.step == 4 and trained.inpaint_goal and trained.config.num_train_timesteps == 10
    x = torch.randn(3, 16, 6, requires_grad=True)
    values = trained.likelihood(alpha=0.5).log_likelihood(x, torch.tensor([0, 5, 9]))
    (grad,) = torch.autograd.grad(values.sum(), x)
    assert values.shape == (3,) and torch.isfinite(values).all() and torch.isfinite(grad).all()
    assert abs(float(trained.model.return_shift)) > 0  # targets standardised with the data's returns
    # in return-std units: (J - mean) / std / alpha, the same gradient up to the factor 1 / std
    shift, scale = float(trained.model.return_shift), float(trained.model.return_scale)
    in_std = trained.likelihood(alpha=0.5, standardised=True).log_likelihood(x, torch.tensor([0, 5, 9]))
    assert torch.allclose(in_std, (values * 0.5 - shift) / scale / 0.5, atol=1e-4)
    (grad_std,) = torch.autograd.grad(in_std.sum(), x)
    assert torch.allclose(grad_std, grad / scale, atol=1e-5) and scale != 1.0

    # A prior run: the value model takes its windows, schedule and inpainting from it.
    prior_dir = tmp_path / "prior"
    assert main(["train-prior", "prior-pointmaze-umaze", "data.horizon=8", "model.dim=8", "model.dim_mults=[1,2]",
                 "diffusion.num_train_timesteps=6", "trainer.batch_size=8", "trainer.steps=2", "data.device=cpu",
                 "tracking.mode=disabled", "--run-dir", str(prior_dir)]) == 0
    capsys.readouterr()
    value_dir = tmp_path / "value-of-prior"
    assert main(["train-return-model", "return-model-pointmaze-umaze", f"prior_run={prior_dir}", *TINY,
                 "trainer.steps=3", "--run-dir", str(value_dir)]) == 0
    assert json.loads(capsys.readouterr().out)["data"]["horizon"] == 8
    trained = load_return_model(value_dir)
    assert trained.config.num_train_timesteps == 6 and trained.config.model.horizon == 8
    prior = load_prior(prior_dir)
    assert torch.allclose(trained.alphas_cumprod, prior.diffusion.alphas_cumprod)
    assert torch.allclose(trained.normalizer.shift, prior.normalizer.shift)
    start = prior.normalizer.select(slice(2, None)).normalize(torch.tensor([[0.5, 0.5, 0.0, 0.0]]))
    conditions = Conditions.start_goal(start.expand(2, 4), prior.horizon, prior.action_dim)
    config = PosteriorConfig(method="guided", num_steps=4, particles=4, guide_steps=2, min_noise_level=2,
                             guidance_scale=0.1)
    out = PosteriorSampler(prior.diffusion, trained.likelihood(), config).sample(conditions)
    assert torch.isfinite(out.plans).all() and torch.allclose(out.plans[:, 0, 2:], start.expand(2, 4))


@pytest.mark.parametrize(("override", "fragment"), [
    ("model.transition_dim=9", "model.transition_dim is 9 but the data gives 6"),
    ("model.dim_mults=[1,0]", "dim_mults"),
    ("beta_schedule=cosine", "beta_schedule"),
    ("prior_run=no/such/run", "no/such/run"),
    ("expectile=1.0", "expectile is 1.0"),
])
def test_bad_value_configs_are_one_line_errors(umaze, tmp_path, capsys, override, fragment):
    run_dir = tmp_path / "bad"
    argv = ["train-return-model", "return-model-pointmaze-umaze", "prior_run=", *TINY, "trainer.steps=2", override,
            "--run-dir", str(run_dir)]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and fragment in err, err
    assert not (run_dir / "checkpoints").exists()


def test_expectile_above_a_half_fits_an_upper_expectile_of_the_returns():
    """tau 0.5 is the squared error (J -> the mean return); tau 0.9 puts J above it, at the 0.9-expectile."""
    from types import SimpleNamespace

    from diffplan.inference.return_model import ReturnModel, ReturnModelConfig
    from diffplan.inference.return_model_learner import ReturnModelLearner

    torch.manual_seed(0)
    returns = torch.randn(512) * 2.0 + 5.0  # the same windows, returns spread by what follows them
    x0 = torch.zeros(512, 8, 3)
    batch = SimpleNamespace(x=x0, mask=torch.ones(512, 8, dtype=torch.bool), returns=returns)
    fits = {}
    for tau in (0.5, 0.9):
        model = ReturnModel(ReturnModelConfig(transition_dim=3, horizon=8, dim=8, dim_mults=[1, 2], n_groups=4))
        model.set_return_statistics(returns)
        learner = ReturnModelLearner(model, torch.linspace(0.99, 0.5, 4), 1, False, {}, expectile=tau)
        optimizer = torch.optim.Adam(learner.parameters(), lr=1e-2)

        def optimize(name: str, loss: torch.Tensor, optimizer=optimizer) -> float:
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            return loss.item()

        for step in range(150):
            learner.training_step(batch, step, optimize)
        with torch.no_grad():
            fits[tau] = model(x0[:256], torch.zeros(256, dtype=torch.long)).mean().item()
    sorted_returns = returns.sort().values
    # the exact tau-expectile of the returns: the root of  tau E[(R - e)+] = (1 - tau) E[(e - R)+]
    grid = torch.linspace(4.0, 9.0, 2001)
    gap = [(0.9 * (returns - e).clamp(min=0).mean() - 0.1 * (e - returns).clamp(min=0).mean()).abs() for e in grid]
    exact = grid[int(torch.stack(gap).argmin())].item()
    assert abs(fits[0.5] - returns.mean().item()) < 0.15
    assert abs(fits[0.9] - exact) < 0.2 and exact > returns.mean().item() + 1.0
    assert sorted_returns[0] < fits[0.9] < sorted_returns[-1]
