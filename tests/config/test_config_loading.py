"""Strict configs: unknown keys and wrong types are refused; partial sections keep their parent's defaults."""

from dataclasses import dataclass, field

import pytest
from helpers.toy_configs import Inner

from diffplan.config import load_config
from diffplan.errors import UserError


@dataclass
class Outer:
    inner: Inner = field(default_factory=lambda: Inner(method="prior", steps=5))
    name: str = "x"
    dims: list[int] = field(default_factory=lambda: [0, 1])


def test_partial_section_keeps_the_defaults_its_parent_declares(tmp_path):
    config = load_config(Outer, None, ["inner.steps=7"])
    assert config.inner == Inner(method="prior", steps=7, scale=1.0)
    path = tmp_path / "c.yaml"
    path.write_text("inner:\n  scale: 2\nname: y\n")
    config = load_config(Outer, path, ["dims=[3, 4]"])
    assert config.inner == Inner(method="prior", steps=5, scale=2.0) and config.name == "y" and config.dims == [3, 4]


@pytest.mark.parametrize(("override", "fragment"), [
    ("inner.stepz=3", "unknown config key 'inner.stepz'; valid keys in inner are: method, scale, steps"),
    ("inner.steps=3.5", "'inner.steps' must be int"),
    ("dims=3", "'dims' must be a list"),
    ("name", "not of the form key=value"),
    ("inner=3", "must be a mapping"),
])
def test_bad_overrides_are_one_line_errors(override, fragment):
    with pytest.raises(UserError, match=fragment.replace("(", r"\(").replace("[", r"\[")):
        load_config(Outer, None, [override])


def test_yaml_file_errors(tmp_path):
    missing = tmp_path / "missing.yaml"
    with pytest.raises(UserError, match="does not exist"):
        load_config(Outer, missing)
    broken = tmp_path / "broken.yaml"
    broken.write_text("inner: [unclosed\n")
    with pytest.raises(UserError, match="not valid YAML at line"):
        load_config(Outer, broken)


@pytest.mark.parametrize(("text", "value"), [("1e-4", 1e-4), ("-2.5E3", -2500.0), (".5e1", 5.0), ("3", 3.0)])
def test_float_keys_take_scientific_notation_that_yaml_reads_as_text(text, value):
    assert load_config(Outer, None, [f"inner.scale={text}"]).inner.scale == value


def test_text_is_still_not_a_float():
    with pytest.raises(UserError, match="'inner.scale' must be float"):
        load_config(Outer, None, ["inner.scale=e5"])
