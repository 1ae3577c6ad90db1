"""diffplan works from a built wheel, not only from its source tree: the wheel is built, installed without
``-e`` into a fresh environment, and its console script finds the bundled configs from there."""

import shutil
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run(*command: str | Path, cwd: Path) -> str:
    result = subprocess.run([str(part) for part in command], cwd=cwd, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"{command} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def test_the_wheel_installs_into_a_fresh_environment_and_finds_its_configs(tmp_path):
    # build from a copy of the sources, so nothing is written into the checkout
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(ROOT / "diffplan", source / "diffplan", ignore=shutil.ignore_patterns("__pycache__"))
    run(sys.executable, "-m", "pip", "wheel", source, "--no-deps", "--no-build-isolation", "-q", "-w",
        tmp_path / "dist", cwd=tmp_path)
    wheel = next((tmp_path / "dist").glob("diffplan-*.whl"))

    environment = tmp_path / "fresh"
    venv.create(environment, with_pip=False)
    python = environment / "bin" / "python"
    site = Path(run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])", cwd=tmp_path).strip())
    # the dependencies (torch, minari, ...) come from this environment as a plain path entry: its .pth files,
    # among them an editable install of diffplan, are not processed there
    (site / "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    run(sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--no-index", "-q", wheel,
        cwd=tmp_path)

    elsewhere = tmp_path / "elsewhere"  # not the checkout: the sources cannot be found through the working folder
    elsewhere.mkdir()
    assert "usage: diffplan quickstart" in run(environment / "bin" / "diffplan", "quickstart", "--help", cwd=elsewhere)
    loaded = run(python, "-c", (
        "import diffplan; from diffplan.config import config_path, load_config; "
        "from diffplan.pipeline import PipelineConfig; from diffplan.prior.prior_config import PriorConfig; "
        "print(diffplan.__file__); print(load_config(PipelineConfig, config_path('quickstart')).recipe); "
        "print(load_config(PriorConfig, config_path('prior-pointmaze-large-sparse')).data.dataset_id)"),
        cwd=elsewhere).split()
    assert Path(loaded[0]).is_relative_to(site), f"diffplan imported from {loaded[0]}, not from the wheel"
    assert loaded[1:] == ["pointmaze-umaze-sparse", "local/pointmaze/large-v0"]
