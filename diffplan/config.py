"""Strict loading of dataclass configs from YAML files and ``key=value`` overrides.

Every config is a dataclass whose fields are primitives, lists, optionals or nested dataclasses. Loading
checks each key and type: an unknown key or a wrong type is a one-line UserError that lists what is
allowed, never a silent default.
"""

from __future__ import annotations

import dataclasses
import importlib.resources
import re
import types
import typing
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

import yaml

from diffplan.errors import UserError

ConfigT = TypeVar("ConfigT")

#: the key of a YAML config naming the configs it builds on (a name or a list; see :func:`read_config_file`)
DEFAULTS_KEY = "defaults"


def bundled_configs() -> Path:
    """The folder of the configs shipped inside the package (``diffplan/configs``), from any install."""
    return Path(str(importlib.resources.files("diffplan").joinpath("configs")))


def config_path(name: str | Path, relative_to: Path | None = None) -> Path:
    """A config given as a path, or as the name of a bundled config (with or without ``.yaml``).

    A relative path is looked up in ``relative_to`` first (the folder of a config that names it in
    ``defaults``), then in the working directory, then among the bundled configs.
    """
    bundled = bundled_configs()
    folders = [*([relative_to] if relative_to is not None else []), Path.cwd(), bundled]
    path = Path(name)
    candidates = [path] if path.is_absolute() else [folder / path for folder in folders]
    candidates += [c.with_name(c.name + ".yaml") for c in candidates if c.suffix != ".yaml"]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    available = sorted(p.stem for p in bundled.glob("*.yaml"))
    raise UserError(f"config '{name}' is neither a file nor a bundled config; bundled: {', '.join(available)}")


def load_config(cls: type[ConfigT], path: str | Path | None = None, overrides: Sequence[str] = ()) -> ConfigT:
    """Build ``cls`` from the YAML file at ``path`` (optional), then apply ``key=value`` overrides.

    Overrides use dotted paths into nested dataclasses (``data.horizon=64``); values are parsed as YAML
    (``true``, ``3e-4``, ``[1, 4, 8]``). The file may build on other configs (``defaults:``).
    """
    raw = read_config_file(Path(path)) if path is not None else {}
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


def read_config_file(path: Path, including: tuple[Path, ...] = ()) -> dict[str, Any]:
    """The mapping of the YAML config at ``path``, on top of the configs its ``defaults:`` key names.

    ``defaults: prior-pointmaze-umaze`` (or a list of names or paths, later ones over earlier ones) loads
    those configs first; the file's own keys then override theirs, section by section (a nested mapping
    merges key by key, any other value replaces). Names resolve next to the file first, then as bundled
    configs.
    """
    if not path.is_file():
        raise UserError(f"config file '{path}' does not exist; pass a YAML file or a bundled config's name")
    resolved = path.resolve()
    if resolved in including:
        chain = " -> ".join(p.name for p in (*including, resolved))
        raise UserError(f"config '{path}' includes itself through 'defaults' ({chain}); remove the cycle")
    try:
        loaded = yaml.safe_load(path.read_text())
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise UserError(f"config file '{path}' is not valid YAML{where}; fix its syntax") from None
    if loaded is not None and not isinstance(loaded, dict):
        raise UserError(f"config file '{path}' must hold a mapping of keys to values")
    own = dict(loaded or {})
    bases = own.pop(DEFAULTS_KEY, [])
    bases = [bases] if isinstance(bases, str) else bases
    if not isinstance(bases, list) or not all(isinstance(b, str) and b for b in bases):
        raise UserError(f"config file '{path}': '{DEFAULTS_KEY}' must be a config name or a list of names")
    merged: dict[str, Any] = {}
    for base in bases:
        merged = merge_configs(merged, read_config_file(config_path(base, path.parent), (*including, resolved)))
    return merge_configs(merged, own)


def merge_configs(base: Mapping[str, Any], top: Mapping[str, Any]) -> dict[str, Any]:
    """``top`` over ``base``: mappings merge key by key, recursively; any other value of ``top`` replaces."""
    merged = dict(base)
    for key, value in top.items():
        below = merged.get(key)
        merged[key] = merge_configs(below, value) if isinstance(below, dict) and isinstance(value, dict) else value
    return merged


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
