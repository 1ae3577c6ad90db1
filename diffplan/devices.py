"""The device a user asks for, checked: a device that is not there is an error, never a silent fallback."""

from __future__ import annotations

import torch

from diffplan.errors import UserError


def resolve_device(device: str) -> torch.device:
    """``auto`` → CUDA when available, else CPU; anything else as torch reads it, if this machine has it."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        resolved = torch.device(device)
    except RuntimeError:
        raise UserError(f"device '{device}' is not a torch device; use cpu, cuda, cuda:N or auto") from None
    present = {"cpu": True, "cuda": torch.cuda.is_available(), "mps": torch.backends.mps.is_available()}
    if not present.get(resolved.type, False):
        raise UserError(f"device '{device}' was asked for but this machine has no {resolved.type} device; "
                        "use device=cpu or device=auto")
    if resolved.type == "cuda" and resolved.index is not None and resolved.index >= torch.cuda.device_count():
        raise UserError(f"device '{device}' was asked for but this machine has {torch.cuda.device_count()} CUDA "
                        "devices; use cuda:0 ... or device=auto")
    return resolved
