"""Every bundled config (diffplan/configs/) loads with the strict loader as the command it is for reads it,
and every dataset the project supports has its prior, return-model and offline-RL configs."""

from pathlib import Path

import pytest

from diffplan.config import bundled_configs, config_path, load_config
from diffplan.data.recipes import RECIPES
from diffplan.inference.return_model_run_config import ReturnModelRunConfig
from diffplan.irl.reward_config import RewardConfig
from diffplan.pipeline import PipelineConfig
from diffplan.prior.prior_config import PriorConfig
from diffplan.rl.rl_config import RLRunConfig, check_rl_config

CONFIGS = bundled_configs()
# The file name's first word says which command reads it: prior-* train-prior, return-model-* train-return-model, ...
CONFIG_CLASSES = {"prior": PriorConfig, "return-model": ReturnModelRunConfig, "reward": RewardConfig, "rl": RLRunConfig,
                  "quickstart": PipelineConfig, "pipeline": PipelineConfig}
REMOTE_DATASETS = [f"mujoco/{env}/medium-v0" for env in ("hopper", "halfcheetah", "walker2d")]
SUPPORTED_DATASETS = [recipe.dataset_id for recipe in RECIPES.values()] + REMOTE_DATASETS


def bundled(kind: str) -> list[Path]:
    return sorted(CONFIGS.glob(f"{kind}-*.yaml"))


def load(path: Path):
    kind = next((kind for kind in CONFIG_CLASSES if path.stem.startswith(f"{kind}-") or path.stem == kind), None)
    assert kind is not None, f"{path.name}: no config class for its name; add it to CONFIG_CLASSES"
    return load_config(CONFIG_CLASSES[kind], path)


@pytest.mark.parametrize("path", sorted(CONFIGS.glob("*.yaml")), ids=lambda p: p.stem)
def test_config_loads_strictly(path):
    config = load(path)
    assert Path(config.run_dir).name == path.stem
    assert config_path(path.stem) == path  # the name alone finds it: diffplan train-prior prior-pendulum-mixed
    if isinstance(config, PriorConfig):
        config.model.check_horizon(config.data.horizon)
    if isinstance(config, PipelineConfig):
        config.prior.model.check_horizon(config.prior.data.horizon)
    if isinstance(config, RLRunConfig):
        check_rl_config(config)


@pytest.mark.parametrize("kind", ["prior", "return-model", "rl"])
def test_every_supported_dataset_has_a_config_of_each_stage(kind):
    covered = {load(path).data.dataset_id for path in bundled(kind)}
    missing = sorted(set(SUPPORTED_DATASETS) - covered)
    assert not missing, f"no {kind}-*.yaml config for {', '.join(missing)}"


def test_return_models_follow_a_bundled_prior_of_their_dataset():
    priors = {load(path).run_dir: load(path) for path in bundled("prior")}
    for path in bundled("return-model"):
        value = load(path)
        prior = priors.get(value.prior_run)
        assert prior is not None, f"{path.name}: prior_run {value.prior_run} is no bundled prior's run_dir"
        assert prior.data.dataset_id == value.data.dataset_id, path.name
        assert (prior.data.horizon, prior.diffusion.num_train_timesteps, prior.inpaint_goal) == (
            value.data.horizon, value.num_train_timesteps, value.inpaint_goal), path.name
