"""Strict loading of dataclass configs from YAML files and ``key=value`` overrides.

Every config is a dataclass whose fields are primitives, lists, optionals or nested dataclasses. Loading
checks each key and type: an unknown key or a wrong type is a one-line UserError that lists what is
allowed, never a silent default.
"""

from __future__ import annotations

import dataclasses
import re
import types
import typing
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

import yaml

from diffplan.errors import UserError

ConfigT = TypeVar("ConfigT")


def load_config(cls: type[ConfigT], path: str | Path | None = None, overrides: Sequence[str] = ()) -> ConfigT:
    """Build ``cls`` from the YAML file at ``path`` (optional), then apply ``key=value`` overrides.

    Overrides use dotted paths into nested dataclasses (``data.horizon=64``); values are parsed as YAML
    (``true``, ``3e-4``, ``[1, 4, 8]``).
    """
    raw: dict[str, Any] = {}
    if path is not None:
        path = Path(path)
        if not path.is_file():
            raise UserError(f"config file '{path}' does not exist; pass a YAML file, e.g. from configs/")
        try:
            loaded = yaml.safe_load(path.read_text())
        except yaml.YAMLError as error:
            mark = getattr(error, "problem_mark", None)
            where = f" at line {mark.line + 1}" if mark else ""
            raise UserError(f"config file '{path}' is not valid YAML{where}; fix its syntax") from None
        if loaded is not None and not isinstance(loaded, dict):
            raise UserError(f"config file '{path}' must hold a mapping of keys to values")
        raw = loaded or {}
    for override in overrides:
        key, sep, text = override.partition("=")
        if not sep or not key:
            raise UserError(f"override '{override}' is not of the form key=value (e.g. data.horizon=64)")
        try:
            value = yaml.safe_load(text) if text else ""
        except yaml.YAMLError:
            value = text
        set_dotted(raw, key.strip(), value)
    return from_dict(cls, raw)


def set_dotted(tree: dict[str, Any], dotted: str, value: Any) -> None:
    """``tree[a][b] = value`` for ``dotted = "a.b"``, creating the intermediate mappings."""
    *parents, leaf = dotted.split(".")
    node = tree
    for part in parents:
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            raise UserError(f"override '{dotted}': '{part}' is a value, not a section")
        node = child
    node[leaf] = value


def from_dict(cls: type[ConfigT], data: Mapping[str, Any], prefix: str = "") -> ConfigT:
    """Instantiate dataclass ``cls`` from ``data``, checking keys and types recursively."""
    if not isinstance(data, Mapping):
        raise UserError(f"config section '{prefix.rstrip('.') or 'top level'}' must be a mapping")
    fields = {f.name: f for f in dataclasses.fields(cls)}
    hints = typing.get_type_hints(cls)
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise UserError(
            f"unknown config key '{prefix}{unknown[0]}'; valid keys{' in ' + prefix.rstrip('.') if prefix else ''}"
            f" are: {', '.join(sorted(fields))}"
        )
    values = {}
    for name, value in data.items():
        default = section_default(fields[name])
        if default is not None and isinstance(value, Mapping):
            # A partial section keeps the defaults its parent declares for it (not the section class's own).
            value = {**dataclasses.asdict(default), **value}
        values[name] = coerce(hints[name], value, prefix + name)
    return cls(**values)


def section_default(field: dataclasses.Field) -> Any:
    """The default instance of a nested dataclass field, or None for other fields."""
    if field.default_factory is not dataclasses.MISSING:
        default = field.default_factory()
    elif field.default is not dataclasses.MISSING:
        default = field.default
    else:
        return None
    return default if dataclasses.is_dataclass(default) else None


SCIENTIFIC = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)[eE][-+]?\d+")


def coerce(hint: Any, value: Any, key: str) -> Any:
    """Check ``value`` against the type ``hint`` of config key ``key``; convert int → float."""
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if dataclasses.is_dataclass(hint):
        return from_dict(hint, value, key + ".")
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        errors = []
        for option in (a for a in args if a is not type(None)):
            try:
                return coerce(option, value, key)
            except UserError as error:
                errors.append(error)
        raise errors[0]
    if origin is typing.Literal:
        if value not in args:
            raise UserError(f"config key '{key}' is {value!r}; allowed values: {', '.join(map(str, args))}")
        return value
    if origin in (list, tuple):
        if not isinstance(value, list | tuple):
            raise UserError(f"config key '{key}' must be a list, got {value!r}")
        item = args[0] if args else Any
        items = [coerce(item, v, f"{key}[{i}]") for i, v in enumerate(value)]
        return tuple(items) if origin is tuple else items
    if origin is dict:
        if not isinstance(value, dict):
            raise UserError(f"config key '{key}' must be a mapping, got {value!r}")
        return dict(value)
    if hint is Any:
        return value
    if hint is float:
        if isinstance(value, str) and SCIENTIFIC.fullmatch(value):  # YAML 1.1 reads 1e-4 (no dot) as a string
            return float(value)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
    elif hint is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    elif hint is bool:
        if isinstance(value, bool):
            return value
    elif hint is str:
        if isinstance(value, str):
            return value
    else:
        raise TypeError(f"config key '{key}' has an unsupported type {hint}")
    raise UserError(f"config key '{key}' must be {hint.__name__}, got {value!r}")


def to_dict(config: Any) -> dict[str, Any]:
    """Plain nested dict of a dataclass config (for saving with runs and checkpoints)."""
    return dataclasses.asdict(config)


def save_config(config: Any, path: str | Path) -> None:
    """Write the config as YAML (the record of a run, loadable with :func:`load_config`)."""
    Path(path).write_text(yaml.safe_dump(to_dict(config), sort_keys=False))
