"""The Python examples of the README and of docs/usage.md run as written, with their sizes shrunk."""

import math
import re
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
USAGE = ROOT / "docs" / "usage.md"
SIZES = "collect_steps, reference_episodes, train_steps, horizon, solver_steps = "
TINY = SIZES + "1_000, 1, 4, 32, 4"
RUN_DIR = '"run_dir=runs/api-example"'


def python_blocks(path: Path, section: str) -> list[str]:
    """The python blocks of the ``## section`` of a markdown file."""
    text = path.read_text().split(f"\n## {section}\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL)


def test_readme_example_plans_under_a_users_reward(prior_run, capsys):
    (code,) = python_blocks(README, "In Python")
    assert '"runs/quickstart/prior"' in code and "num_steps=16" in code
    code = code.replace('"runs/quickstart/prior"', repr(str(prior_run))).replace("num_steps=16", "num_steps=4")
    assert len(code.strip().splitlines()) <= 12  # a ten-line example
    namespace: dict = {}
    exec(compile(code, str(README), "exec"), namespace)
    samples, prior = namespace["samples"], namespace["prior"]
    assert tuple(samples.plans.shape) == (1, prior.horizon, prior.action_dim + 4)
    assert samples.plans[0, 0, prior.action_dim:].allclose(torch.tensor([-1.0, -1.0, 0.0, 0.0]), atol=1e-4)
    assert samples.log_weights.shape == (1, 16) and bool(samples.log_likelihood.isfinite().all())
    assert "tensor" in capsys.readouterr().out


def test_usage_python_api_example_runs(tmp_path, monkeypatch, capsys):
    code = python_blocks(USAGE, "Python API")[0]
    (sizes,) = [line for line in code.splitlines() if line.startswith(SIZES)]
    monkeypatch.chdir(tmp_path)  # the example writes runs/api-example
    namespace: dict = {}
    assert RUN_DIR in code
    code = code.replace(sizes, TINY).replace(RUN_DIR, f'{RUN_DIR}, "tracking.mode=disabled"')  # wandb's start: 6 s
    exec(compile(code, str(USAGE), "exec"), namespace)
    plan, prior = namespace["plan"], namespace["prior"]
    assert tuple(plan.shape) == (32, prior.action_dim + 4) and bool(plan.isfinite().all())
    assert plan[0, prior.action_dim:].allclose(namespace["start"][0], atol=1e-4)  # the start is inpainted
    assert math.isfinite(namespace["samples"].values[0].item())
    assert (tmp_path / "runs" / "api-example" / "config.yaml").is_file()
    assert "ESS after each SMC step" in capsys.readouterr().out


def test_usage_oracle_example_runs(capsys):
    (block,) = python_blocks(USAGE, "Checking a sampler against exact answers")
    assert "random_gaussian_problem" in block
    imports = ("from diffplan.inference.posterior_config import PosteriorConfig\n"
               "from diffplan.inference.posterior_sampler import PosteriorSampler\n")
    code = imports + block.replace("particles=1024, num_steps=250", "particles=256, num_steps=50")
    namespace: dict = {}
    exec(compile(code, str(USAGE), "exec"), namespace)
    bias, low, high = namespace["problem"].errors(namespace["out"].candidates[0], namespace["out"].log_weights[0])
    assert bias < 0.5 and 0.5 < low <= high < 1.5
    assert "vs exact" in capsys.readouterr().out
