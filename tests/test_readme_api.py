"""The README's Python API example runs as written, with its sizes shrunk."""

import math
import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"
SIZES = "collect_steps, reference_episodes, train_steps, horizon, solver_steps = "
TINY = SIZES + "1_000, 1, 4, 32, 4"
RUN_DIR = '"run_dir=runs/api-example"'


def api_example() -> str:
    """The first python block of the README's "Python API" section."""
    section = README.read_text().split("\n## Python API\n", 1)[1].split("\n## ", 1)[0]
    (block, *_) = re.findall(r"```python\n(.*?)```", section, flags=re.DOTALL)
    return block


def test_readme_python_api_example_runs(tmp_path, monkeypatch, capsys):
    code = api_example()
    (sizes,) = [line for line in code.splitlines() if line.startswith(SIZES)]
    monkeypatch.chdir(tmp_path)  # the example writes runs/api-example
    namespace: dict = {}
    assert RUN_DIR in code
    code = code.replace(sizes, TINY).replace(RUN_DIR, f'{RUN_DIR}, "tracking.mode=disabled"')  # wandb's start: 6 s
    exec(compile(code, str(README), "exec"), namespace)
    plan, prior = namespace["plan"], namespace["prior"]
    assert tuple(plan.shape) == (32, prior.action_dim + 4) and bool(plan.isfinite().all())
    assert plan[0, prior.action_dim:].allclose(namespace["start"][0], atol=1e-4)  # the start is inpainted
    assert math.isfinite(namespace["samples"].values[0].item())
    assert (tmp_path / "runs" / "api-example" / "config.yaml").is_file()
    assert "ESS after each SMC step" in capsys.readouterr().out


def test_readme_oracle_example_runs(capsys):
    section = README.read_text().split("\n## Python API\n", 1)[1].split("\n## ", 1)[0]
    block = re.findall(r"```python\n(.*?)```", section, flags=re.DOTALL)[1]
    assert "random_gaussian_problem" in block
    imports = ("from diffplan.inference.posterior_config import PosteriorConfig\n"
               "from diffplan.inference.posterior_sampler import PosteriorSampler\n")
    code = imports + block.replace("particles=1024, num_steps=250", "particles=256, num_steps=50")
    namespace: dict = {}
    exec(compile(code, str(README), "exec"), namespace)
    bias, low, high = namespace["problem"].errors(namespace["out"].candidates[0], namespace["out"].log_weights[0])
    assert bias < 0.5 and 0.5 < low <= high < 1.5
    assert "vs exact" in capsys.readouterr().out
