"""The training loop shared by every learner in diffplan."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import math
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from accelerate import Accelerator
from torch import nn

from diffplan.devices import resolve_device
from diffplan.errors import UserError
from diffplan.progress import progress_bar
from diffplan.tracking import ExperimentLog
from diffplan.training.checkpoint import (
    checkpoint_path,
    list_checkpoints,
    load_latest_checkpoint,
    prune_checkpoints,
    remove_partial_checkpoints,
    save_checkpoint,
)
from diffplan.training.ema import WeightAverage
from diffplan.training.learner import Learner
from diffplan.training.trainer_config import TrainerConfig

log = logging.getLogger(__name__)


class TrainingDiverged(UserError):
    """A loss became NaN or inf; the run stops before writing a NaN checkpoint."""


def make_accelerator(config: TrainerConfig, device: str = "auto") -> Accelerator:
    """The Accelerate handle of this process (one process, or one of ``accelerate launch``'s) on ``device``.

    A device that is not there, and fp16 off CUDA (Accelerate would train in fp32 without a word), are
    refused in one line.
    """
    resolved = resolve_device(device)
    if config.mixed_precision == "fp16" and resolved.type != "cuda":
        raise UserError(f"trainer.mixed_precision=fp16 needs a CUDA device, and this run is on {resolved.type}; "
                        "use trainer.mixed_precision=bf16 (CPU and recent GPUs) or no")
    return Accelerator(cpu=resolved.type == "cpu", mixed_precision=config.mixed_precision)


def step_seed(seed: int, rank: int, step: int) -> int:
    """A seed for step ``step`` of process ``rank``: independent streams, identical after resumption."""
    digest = hashlib.blake2b(f"{seed}/{rank}/{step}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little") & ((1 << 63) - 1)


def batch_statistics(batch: Any) -> str:
    """Min, max, mean and non-finite count of each tensor field of a batch, for divergence reports."""
    fields = dataclasses.asdict(batch) if dataclasses.is_dataclass(batch) else dict(batch)
    parts = []
    for name, value in fields.items():
        if isinstance(value, torch.Tensor) and value.is_floating_point() and value.numel():
            finite = torch.isfinite(value)
            shown = value[finite] if finite.any() else torch.zeros(1)
            parts.append(f"{name}: min {shown.min():.3g} max {shown.max():.3g} mean {shown.mean():.3g} "
                         f"non-finite {int((~finite).sum())}")
    return "; ".join(parts)


def learning_rate_factor(config: TrainerConfig) -> Callable[[int], float]:
    """Multiplier of the learning rate at each step: warm-up, then constant, cosine or linear decay."""

    def factor(step: int) -> float:
        if step < config.warmup_steps:
            return (step + 1) / config.warmup_steps
        progress = (step - config.warmup_steps) / max(1, config.steps - config.warmup_steps)
        if config.lr_schedule == "cosine":
            return 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))
        if config.lr_schedule == "linear":
            return max(0.0, 1 - progress)
        return 1.0

    return factor


def check_trainer_config(config: TrainerConfig) -> None:
    """Raise UserError for trainer settings out of their domain."""
    positive = ("steps", "batch_size", "log_every", "checkpoint_every", "ema_every")
    for name in positive:
        if getattr(config, name) <= 0:
            raise UserError(f"trainer.{name} must be positive, got {getattr(config, name)}")
    if not config.learning_rate > 0:  # NaN too
        raise UserError(f"trainer.learning_rate must be positive, got {config.learning_rate}")
    if not 0 <= config.ema_decay < 1:
        raise UserError(f"trainer.ema_decay must be in [0, 1), got {config.ema_decay}")
    for name in ("grad_clip", "weight_decay", "warmup_steps", "eval_every", "keep_checkpoints", "ema_start"):
        if not getattr(config, name) >= 0:
            raise UserError(f"trainer.{name} must not be negative, got {getattr(config, name)}")


def check_run_start(config: TrainerConfig, run_dir: str | Path, resume: bool) -> None:
    """Raise UserError before anything of a run is written: trainer settings out of their domain, or (without
    ``resume``) a run folder whose checkpoints would be overwritten."""
    check_trainer_config(config)
    if not resume and list_checkpoints(Path(run_dir) / "checkpoints"):
        raise UserError(f"run folder '{run_dir}' already has checkpoints; pass --resume to continue it or choose "
                        "another run folder")


class Trainer:
    """Trains one :class:`Learner` on batches from ``sample_batch(batch_size)``.

    Args:
        learner: the model and its losses.
        sample_batch: draws a batch with torch's global random generators (seeded per step here).
        config: optimisation and bookkeeping.
        run_dir: folder of the run; checkpoints go to ``run_dir/checkpoints``.
        accelerator: the process's Accelerate handle; the learner is moved to its device.
        experiment: where scalars go (main process only).
        evaluate: ``evaluate(model, step) -> metrics``, called with the EMA model when there is one.
        run_config: the whole config of the run, saved in checkpoints.
    """

    def __init__(
        self,
        learner: Learner,
        sample_batch: Callable[[int], Any],
        config: TrainerConfig,
        run_dir: str | Path,
        accelerator: Accelerator,
        experiment: ExperimentLog | None = None,
        evaluate: Callable[[nn.Module, int], dict[str, float]] | None = None,
        run_config: dict[str, Any] | None = None,
        progress: bool = True,
    ):
        check_trainer_config(config)
        self.config = config
        self.accelerator = accelerator
        self.learner = learner.to(accelerator.device)
        self.sample_batch = sample_batch
        self.run_dir = Path(run_dir)
        self.checkpoint_dir = self.run_dir / "checkpoints"
        self.experiment = experiment
        self.evaluate = evaluate
        self.run_config = run_config or {}
        self.progress = progress and accelerator.is_main_process
        self.step = 0
        self.groups = {name: [p for p in params if p.requires_grad]
                       for name, params in learner.optimizer_groups().items()}
        self.optimizers = {
            name: torch.optim.AdamW(params, lr=config.learning_rate * learner.learning_rate_scale(name),
                                    weight_decay=config.weight_decay)
            for name, params in self.groups.items()
        }
        self.peak_rates = {name: config.learning_rate * learner.learning_rate_scale(name) for name in self.groups}
        self.rate_factor = learning_rate_factor(config)
        self.ema = (WeightAverage(self.learner, config.ema_decay, config.ema_every, config.ema_start)
                    if config.ema_decay > 0 else None)
        if config.compile:  # after the EMA copy: the sampling weights stay plain modules
            for network in self.learner.networks():
                network.compile()
        self._batch: Any = None
        self.started = False  # resume_or_start has run (fit calls it unless the caller did)
        if accelerator.num_processes > 1:
            for tensor in self.learner.state_dict().values():
                torch.distributed.broadcast(tensor, src=0)
            if self.ema is not None:
                self.ema.module.load_state_dict(self.learner.state_dict())

    @property
    def sampling_model(self) -> nn.Module:
        """The EMA weights when averaging, else the live learner."""
        return self.ema.module if self.ema is not None else self.learner

    def optimize(self, group: str, loss: torch.Tensor) -> float:
        """Back-propagate ``loss`` into ``group``'s parameters, average across processes, clip, step.

        With fp16 the gradients are unscaled before clipping, and a step whose gradients overflowed is
        skipped (Accelerate's gradient scaler); the returned norm is then inf or NaN.
        """
        if not torch.isfinite(loss):
            raise TrainingDiverged(
                f"loss of '{group}' is {loss.item()} at step {self.step}; batch {batch_statistics(self._batch)}; "
                "lower trainer.learning_rate or check the data"
            )
        optimizer = self.optimizers[group]
        params = self.groups[group]
        optimizer.zero_grad(set_to_none=True)
        self.accelerator.backward(loss)
        if self.accelerator.num_processes > 1:
            grads = [p.grad if p.grad is not None else torch.zeros_like(p) for p in params]
            flat = torch.cat([g.reshape(-1) for g in grads])
            torch.distributed.all_reduce(flat)
            flat /= self.accelerator.num_processes
            offset = 0
            for p in params:
                p.grad = flat[offset:offset + p.numel()].view_as(p).clone()
                offset += p.numel()
        scaler = self.accelerator.scaler  # fp16: the loss was scaled by it
        if scaler is not None:
            scaler.unscale_(optimizer)  # clipping sees the true gradients
        clip = self.config.grad_clip if self.config.grad_clip > 0 else float("inf")
        norm = torch.nn.utils.clip_grad_norm_(params, clip)
        if scaler is not None:
            scaler.step(optimizer)  # skipped when a gradient overflowed; the scale then shrinks
            scaler.update()
        else:
            optimizer.step()
        return float(norm)

    def set_learning_rates(self, step: int) -> None:
        """The learning rate of every optimiser at ``step``: its peak rate times the schedule's factor."""
        factor = self.rate_factor(step)
        for name, optimizer in self.optimizers.items():
            for group in optimizer.param_groups:
                group["lr"] = self.peak_rates[name] * factor

    def state_dict(self) -> dict[str, Any]:
        """Everything needed to continue the run exactly."""
        rng = {"torch": torch.get_rng_state()}
        if torch.cuda.is_available():
            rng["cuda"] = torch.cuda.get_rng_state_all()
        return {
            "step": self.step,
            "learner_class": type(self.learner).__name__,
            "learner": self.learner.state_dict(),
            "ema": self.ema.state_dict() if self.ema is not None else None,
            "optimizers": {name: opt.state_dict() for name, opt in self.optimizers.items()},
            "scaler": self.accelerator.scaler.state_dict() if self.accelerator.scaler is not None else None,
            "metadata": self.learner.metadata(),
            "config": self.run_config,
            "rng": rng,
        }

    def load_state_dict(self, state: dict[str, Any], source: Path) -> None:
        if state.get("learner_class") != type(self.learner).__name__:
            raise UserError(f"checkpoint '{source}' holds a {state.get('learner_class')}, not a "
                            f"{type(self.learner).__name__}; resume with the config that wrote it")
        try:
            self.learner.load_state_dict(state["learner"])
            if self.ema is not None and state["ema"] is not None:
                self.ema.load_state_dict(state["ema"])
        except RuntimeError as error:
            first = str(error).strip().splitlines()
            detail = first[1].strip() if len(first) > 1 else first[0]
            raise UserError(f"checkpoint '{source}' does not match the model of this config ({detail}); "
                            "resume with the config that wrote it") from None
        for name, opt in self.optimizers.items():
            opt.load_state_dict(state["optimizers"][name])
        if self.accelerator.scaler is not None and state.get("scaler"):
            self.accelerator.scaler.load_state_dict(state["scaler"])
        self.step = int(state["step"])
        torch.set_rng_state(state["rng"]["torch"])
        if "cuda" in state["rng"] and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(state["rng"]["cuda"])

    def save(self) -> Path | None:
        """Write a checkpoint of the current step (main process only) and prune old ones."""
        path = None
        if self.accelerator.is_main_process:
            path = save_checkpoint(self.state_dict(), checkpoint_path(self.checkpoint_dir, self.step))
            prune_checkpoints(self.checkpoint_dir, self.config.keep_checkpoints)
        self.accelerator.wait_for_everyone()
        return path

    def resume_or_start(self, resume: bool) -> None:
        """Continue from the newest valid checkpoint with ``resume``; refuse to overwrite one without.

        Temporary files of checkpoints whose writing was cut short (a killed run) are deleted first.
        """
        check_run_start(self.config, self.run_dir, resume)
        if self.accelerator.is_main_process:
            remove_partial_checkpoints(self.checkpoint_dir)
        self.started = True
        if not resume:
            return
        found = load_latest_checkpoint(self.checkpoint_dir, map_location=self.accelerator.device)
        if found is None:
            log.info("no checkpoint in %s, starting from step 0", self.checkpoint_dir)
            return
        state, path, problems = found
        for problem in problems:
            log.warning("skipped: %s", problem)
        self.load_state_dict(state, path)
        self.forget_metrics_after(self.step)
        log.info("resumed from %s at step %d", path, self.step)

    def forget_metrics_after(self, step: int) -> None:
        """Drop ``metrics.jsonl`` lines logged after ``step`` (they are logged again when the run resumes)."""
        path = self.run_dir / "metrics.jsonl"
        if self.accelerator.is_main_process and path.is_file():
            kept = [line for line in path.read_text().splitlines() if line and json.loads(line)["step"] <= step]
            path.write_text("".join(f"{line}\n" for line in kept))

    def fit(self, resume: bool = False) -> dict[str, float]:
        """Train to ``config.steps``; returns the last logged scalars and evaluation metrics."""
        config = self.config
        torch.use_deterministic_algorithms(config.deterministic, warn_only=False)
        if not self.started:
            self.resume_or_start(resume)
        rank, world = self.accelerator.process_index, self.accelerator.num_processes
        last: dict[str, float] = {}
        bar = progress_bar(range(self.step, config.steps), enabled=self.progress, initial=self.step,
                           total=config.steps, desc="training", unit="step")
        window_start, window_steps = time.perf_counter(), 0
        self.learner.train()
        for step in bar:
            self.step = step
            # on CPU seed only the CPU generator: torch.manual_seed also queues a lazy CUDA/XPU/MTIA seeding
            # with a formatted stack trace per call (about 1.7 ms, and a list that grows every step)
            seed = step_seed(config.seed, rank, step)
            if self.accelerator.device.type == "cpu":
                torch.default_generator.manual_seed(seed)
            else:
                torch.manual_seed(seed)
            self.set_learning_rates(step)
            self._batch = self.sample_batch(config.batch_size)
            with self.accelerator.autocast():
                metrics = self.learner.training_step(self._batch, step, self.optimize)
            self.step = step + 1
            if self.ema is not None:
                self.ema.update(self.learner, self.step)
            window_steps += 1
            if self.step % config.log_every == 0 or self.step == config.steps:
                elapsed = time.perf_counter() - window_start
                last = {f"train/{k}": float(v) for k, v in metrics.items()}
                last["train/samples_per_second"] = window_steps * config.batch_size * world / elapsed
                for name, opt in self.optimizers.items():
                    last[f"train/lr_{name}"] = opt.param_groups[0]["lr"]
                bar.set_postfix({k.split("/")[-1]: f"{v:.4g}" for k, v in list(last.items())[:2]})
                self.record(last)
                window_start, window_steps = time.perf_counter(), 0
            if self.evaluate is not None and config.eval_every and self.step % config.eval_every == 0:
                last.update(self.run_evaluation())
            if self.step % config.checkpoint_every == 0 or self.step == config.steps:
                self.save()
        if self.evaluate is not None and not (config.eval_every and self.step % config.eval_every == 0):
            last.update(self.run_evaluation())
        return last

    def run_evaluation(self) -> dict[str, float]:
        if not self.accelerator.is_main_process:
            return {}
        model = self.sampling_model
        was_training = model.training
        model.eval()
        metrics = {f"eval/{k}": float(v) for k, v in self.evaluate(model, self.step).items()}
        model.train(was_training)
        self.record(metrics)
        return metrics

    def record(self, metrics: dict[str, float]) -> None:
        """Log scalars to wandb and append them to ``run_dir/metrics.jsonl`` (main process only)."""
        if not self.accelerator.is_main_process:
            return
        if self.experiment is not None:
            self.experiment.log(metrics, step=self.step)
        self.run_dir.mkdir(parents=True, exist_ok=True)
        with (self.run_dir / "metrics.jsonl").open("a") as file:
            file.write(json.dumps({"step": self.step, **metrics}) + "\n")
