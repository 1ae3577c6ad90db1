"""Experiment tracking: the one module that talks to Weights & Biases.

Every training and evaluation command logs through :class:`ExperimentLog`. The mode is ``offline`` by
default, so nothing needs an account: runs are written under the run folder and can be uploaded later
with ``wandb sync``. ``disabled`` turns logging off; ``online`` streams to the user's wandb project.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from diffplan.errors import UserError


@dataclass
class TrackingConfig:
    """Where and how runs are logged.

    Attributes:
        mode: ``offline`` (default, no account needed), ``online`` or ``disabled``.
        project: wandb project name.
        entity: wandb entity (team or user); empty = the account's default.
        group: wandb group, e.g. to gather the stages of one pipeline.
        tags: wandb tags.
    """

    mode: Literal["online", "offline", "disabled"] = "offline"
    project: str = "diffplan"
    entity: str = ""
    group: str = ""
    tags: list[str] | None = None


class ExperimentLog:
    """A wandb run bound to a run folder; a no-op when tracking is disabled or on non-main ranks."""

    def __init__(
        self,
        config: TrackingConfig,
        run_dir: str | Path,
        job_type: str,
        run_config: dict[str, Any] | None = None,
        name: str | None = None,
        active: bool = True,
    ):
        self.run = None
        if not active or config.mode == "disabled":
            return
        import wandb

        run_dir = Path(run_dir)
        run_dir.mkdir(parents=True, exist_ok=True)
        os.environ.setdefault("WANDB_SILENT", "true")
        try:
            self.run = wandb.init(
                project=config.project,
                entity=config.entity or None,
                group=config.group or None,
                tags=config.tags,
                job_type=job_type,
                name=name or run_dir.name,
                dir=str(run_dir),
                mode=config.mode,
                config=run_config or {},
                reinit="finish_previous",
            )
        except wandb.errors.UsageError as error:
            raise UserError(f"wandb could not start ({error}); use tracking.mode=offline or log in") from None

    @property
    def directory(self) -> Path | None:
        """The wandb run directory (``.../wandb/offline-run-*``), or None when not logging."""
        return Path(self.run.dir).parent if self.run is not None else None

    def log(self, metrics: dict[str, float], step: int) -> None:
        """Scalars at ``step``."""
        if self.run is not None:
            self.run.log(metrics, step=step)

    def log_image(self, key: str, image: Any, step: int, caption: str | None = None) -> None:
        """A matplotlib figure, an image array ``(H, W, 3)`` or a path to a PNG."""
        if self.run is None:
            return
        import wandb

        self.run.log({key: wandb.Image(str(image) if isinstance(image, Path) else image, caption=caption)},
                     step=step)

    def log_video(self, key: str, path: str | Path, step: int) -> None:
        """A video file (GIF or MP4, e.g. from :func:`diffplan.evaluation.rollout_video.save_gif`)."""
        if self.run is None:
            return
        import wandb

        self.run.log({key: wandb.Video(str(path))}, step=step)

    def log_artifact(self, path: str | Path, name: str, kind: str) -> None:
        """A file (e.g. a checkpoint) as a wandb artifact of type ``kind``."""
        if self.run is None:
            return
        import wandb

        artifact = wandb.Artifact(name=name, type=kind)
        artifact.add_file(str(path))
        self.run.log_artifact(artifact)

    def summary(self, metrics: dict[str, Any]) -> None:
        """Final figures of the run."""
        if self.run is not None:
            self.run.summary.update(metrics)

    def finish(self) -> None:
        if self.run is not None:
            self.run.finish()
            self.run = None
