"""Rollout videos: rendered frames of evaluation episodes written as animated GIFs.

GIF needs no video codec (Pillow writes it), so videos work wherever the environment renders. MuJoCo
environments render offscreen with ``MUJOCO_GL=egl`` (GPU) or ``MUJOCO_GL=osmesa`` (CPU, Debian's
``libosmesa6``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image


def save_gif(frames: np.ndarray, path: str | Path, fps: int = 30, every: int = 1) -> Path:
    """Write frames ``(T, height, width, 3)`` uint8 as a looping GIF (keeping every ``every``-th frame)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    images = [Image.fromarray(frame) for frame in frames[::every]]
    images[0].save(path, save_all=True, append_images=images[1:], duration=max(1, round(1000 * every / fps)),
                   loop=0)
    return path
