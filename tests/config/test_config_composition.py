"""Configs that build on others: ``defaults:`` names base configs, the file's own keys override theirs."""

from dataclasses import dataclass, field

import pytest
from helpers.toy_configs import Inner

from diffplan.config import bundled_configs, load_config, read_config_file
from diffplan.errors import UserError
from diffplan.prior.prior_config import PriorConfig


@dataclass
class Outer:
    inner: Inner = field(default_factory=Inner)
    name: str = "x"
    dims: list[int] = field(default_factory=lambda: [0, 1])


def test_own_keys_override_the_base_section_by_section(tmp_path):
    (tmp_path / "base.yaml").write_text("inner:\n  method: smc\n  steps: 9\nname: base\ndims: [1, 2, 3]\n")
    (tmp_path / "top.yaml").write_text("defaults: base\ninner:\n  steps: 4\ndims: [7]\n")
    config = load_config(Outer, tmp_path / "top.yaml", ["inner.scale=0.5"])
    # steps from the file, method from the base, scale from the override; a list replaces, never merges
    assert config.inner == Inner(method="smc", steps=4, scale=0.5)
    assert config.name == "base" and config.dims == [7]


def test_later_defaults_override_earlier_ones_and_chains_resolve(tmp_path):
    (tmp_path / "a.yaml").write_text("name: a\ninner:\n  steps: 1\n")
    (tmp_path / "b.yaml").write_text("defaults: a\nname: b\n")
    (tmp_path / "c.yaml").write_text("inner:\n  steps: 3\n")
    (tmp_path / "top.yaml").write_text("defaults: [b, c.yaml]\n")
    config = load_config(Outer, tmp_path / "top.yaml")
    assert config.name == "b" and config.inner.steps == 3


def test_a_user_config_builds_on_a_bundled_one(tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text("defaults: prior-pointmaze-umaze-sparse\ntrainer:\n  steps: 123\nrun_dir: runs/mine\n")
    mine = load_config(PriorConfig, path)
    bundled = load_config(PriorConfig, bundled_configs() / "prior-pointmaze-umaze-sparse.yaml")
    assert mine.trainer.steps == 123 and mine.run_dir == "runs/mine"
    assert mine.data == bundled.data and mine.model == bundled.model and mine.diffusion == bundled.diffusion


@pytest.mark.parametrize(("files", "fragment"), [
    ({"top.yaml": "defaults: top\n"}, "includes itself through 'defaults'"),
    ({"top.yaml": "defaults: a\n", "a.yaml": "defaults: top\n"}, "top.yaml -> a.yaml -> top.yaml"),
    ({"top.yaml": "defaults: nowhere-to-be-found\n"}, "config 'nowhere-to-be-found' is neither a file nor"),
    ({"top.yaml": "defaults: {a: 1}\n"}, "'defaults' must be a config name or a list of names"),
    ({"top.yaml": "defaults: [a, 3]\n", "a.yaml": "name: a\n"}, "'defaults' must be a config name"),
])
def test_bad_defaults_are_one_line_errors(tmp_path, files, fragment):
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    with pytest.raises(UserError) as error:
        read_config_file(tmp_path / "top.yaml")
    assert fragment in str(error.value) and "\n" not in str(error.value)


def test_bundled_pointmaze_variants_are_not_copies():
    """The sparse and dense PointMaze configs, and the mazes, share one recipe: each variant states only what
    differs (its dataset, horizon, run folder, ...)."""
    for path in bundled_configs().glob("*pointmaze*-sparse.yaml"):
        text = path.read_text()
        assert "defaults:" in text, path.name
        keys = [line for line in text.splitlines() if line and not line.startswith(("#", " "))]
        assert len(keys) <= 5, f"{path.name} repeats its base: {keys}"
