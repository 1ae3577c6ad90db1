"""A trained model as a self-contained folder, the way the Hugging Face Hub holds models: ``model.safetensors``
(the weights, EMA when averaged), ``config.json`` (the run's config, the model's metadata and what learner it
is) and a ``README.md`` model card. Nothing in it is a pickle: safetensors holds tensors only, JSON plain data.

Write it with ``diffplan export <run> <folder>``; any loader (``load_prior``, ``from_pretrained``, ``diffplan
evaluate``, ``diffplan plan``) reads it wherever it reads a run folder.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from diffplan.errors import UserError

FORMAT = "diffplan-model"
FORMAT_VERSION = 1
TENSOR_TAG = "__tensor__"


def encode_metadata(value: Any) -> Any:
    """Metadata as JSON: tensors become ``{"__tensor__": nested list, "dtype": name}``."""
    if isinstance(value, torch.Tensor):
        return {TENSOR_TAG: value.cpu().tolist(), "dtype": str(value.dtype).removeprefix("torch.")}
    if isinstance(value, dict):
        return {key: encode_metadata(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [encode_metadata(item) for item in value]
    return value


def decode_metadata(value: Any) -> Any:
    """Inverse of :func:`encode_metadata` (float32 values come back bit for bit)."""
    if isinstance(value, dict):
        if TENSOR_TAG in value:
            return torch.tensor(value[TENSOR_TAG], dtype=getattr(torch, value["dtype"]))
        return {key: decode_metadata(item) for key, item in value.items()}
    if isinstance(value, list):
        return [decode_metadata(item) for item in value]
    return value


def model_card(learner_class: str, config: dict[str, Any], step: int) -> str:
    """The folder's README.md: what the model is and how to load it."""
    dataset = config.get("data", {}).get("dataset_id", "?")
    return (f"---\nlibrary_name: diffplan\ntags: [diffplan, offline-rl, diffusion-planning, minari]\n---\n"
            f"# diffplan {learner_class}\n\nTrained on the Minari dataset `{dataset}` for {step} steps.\n\n"
            "```python\nimport diffplan\n\nmodel = diffplan.from_pretrained(\"path/to/this/folder\")\n```\n\n"
            "`config.json` holds the training run's config and the model's metadata (normaliser, observation "
            "layout); `model.safetensors` its weights.\n")


def write_export_folder(folder: str | Path, learner_class: str, config: dict[str, Any], metadata: dict[str, Any],
                        weights: dict[str, torch.Tensor], step: int) -> Path:
    """Write an export folder at ``folder`` (which must not exist, or be empty): built beside it and renamed into
    place, so a failed export leaves nothing half-written."""
    folder = Path(folder)
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise UserError(f"'{folder}' already exists and is not an empty folder; choose a new folder to export to")
    folder.parent.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    try:
        save_file({name: tensor.detach().cpu().contiguous() for name, tensor in weights.items()},
                  str(building / "model.safetensors"), metadata={"format": FORMAT})
        record = {"format": FORMAT, "format_version": FORMAT_VERSION, "learner_class": learner_class,
                  "step": step, "config": config, "metadata": encode_metadata(metadata)}
        (building / "config.json").write_text(json.dumps(record, indent=2) + "\n")
        (building / "README.md").write_text(model_card(learner_class, config, step))
        if folder.exists():
            folder.rmdir()
        os.replace(building, folder)
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise
    return folder


def read_export_folder(folder: str | Path, device: str | torch.device = "cpu") -> dict[str, Any]:
    """``learner_class``, ``config``, ``metadata``, ``weights`` and ``step`` of an export folder."""
    folder = Path(folder)
    try:
        record = json.loads((folder / "config.json").read_text())
    except json.JSONDecodeError as error:
        raise UserError(f"'{folder / 'config.json'}' is not valid JSON (line {error.lineno}); export the model "
                        "again") from None
    if not isinstance(record, dict) or record.get("format") != FORMAT:
        raise UserError(f"'{folder}' is not a diffplan export (its config.json has no \"format\": \"{FORMAT}\"); "
                        "pass a folder written by diffplan export")
    if record.get("format_version", 0) > FORMAT_VERSION:
        raise UserError(f"'{folder}' was exported by a newer diffplan (format {record['format_version']}); "
                        "upgrade diffplan")
    try:
        weights = load_file(str(folder / "model.safetensors"), device=str(device))
    except (SafetensorError, OSError) as error:
        raise UserError(f"'{folder / 'model.safetensors'}' cannot be read ({error}); export the model again"
                        ) from None
    return {"learner_class": record["learner_class"], "config": record["config"],
            "metadata": decode_metadata(record["metadata"]), "weights": weights, "step": int(record["step"])}
