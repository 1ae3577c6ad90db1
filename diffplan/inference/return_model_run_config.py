"""Configuration of a return model run (``diffplan train-return-model``).

The value model must see windows as the prior does: same dataset, horizon, normaliser, noise schedule and
inpainting. With ``prior_run`` (a ``train-prior`` run folder or checkpoint) all of these are read from the
prior; only the return target (``data.discount``, ``data.termination_penalty``) and ``data.device`` come
from this config. Without it, ``data``, ``num_train_timesteps``, ``beta_schedule`` and ``inpaint_goal``
describe them here.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from diffplan.data.data_config import DataConfig
from diffplan.errors import UserError
from diffplan.inference.return_model import ReturnModelConfig
from diffplan.prior.prior_config import PriorConfig
from diffplan.prior.trajectory_diffusion import BETA_SCHEDULES
from diffplan.tracking import TrackingConfig
from diffplan.training.trained_state import read_trained
from diffplan.training.trainer_config import TrainerConfig

# DataConfig fields that define the return target rather than the windows; a prior never overrides them.
TARGET_FIELDS = ("discount", "termination_penalty", "device")


@dataclass
class ReturnModelRunConfig:
    """A ``diffplan train-return-model`` run.

    Attributes:
        data: the dataset and return target (discount 0.997 in Diffuser).
        model: the return model network; its sizes follow from the data.
        prior_run: run folder or checkpoint of the prior whose windows this model scores ("" = none).
        num_train_timesteps, beta_schedule: the noise schedule (taken from the prior when given).
        inpaint_goal: inpaint the window's last state too (taken from the prior when given).
        expectile: tau of the regression's asymmetric squared loss |tau - 1[R < J]| (R - J)^2. At 0.5 J is the
            mean return-to-go of the windows that look like x_t (the data's own policy continuing); above 0.5 an
            upper expectile: the return of the better continuations the data shows after such windows (IQL's
            in-sample value, Elastic Decision Transformer's return estimate), a value of a better policy than
            the data's that stays within its support.
        run_dir: folder of the run (config, checkpoints, wandb logs).
    """

    data: DataConfig = field(default_factory=DataConfig)
    model: ReturnModelConfig = field(default_factory=ReturnModelConfig)
    prior_run: str = ""
    num_train_timesteps: int = 20
    beta_schedule: str = "squaredcos_cap_v2"
    inpaint_goal: bool = False
    expectile: float = 0.5
    trainer: TrainerConfig = field(default_factory=TrainerConfig)
    tracking: TrackingConfig = field(default_factory=TrackingConfig)
    run_dir: str = "runs/value"

    def __post_init__(self) -> None:
        if self.beta_schedule not in BETA_SCHEDULES:
            raise UserError(f"unknown beta_schedule {self.beta_schedule!r}; use one of {', '.join(BETA_SCHEDULES)}")
        if not 0.0 < self.expectile < 1.0:
            raise UserError(f"expectile is {self.expectile}; set it in (0, 1) (0.5: the mean return-to-go)")
        if self.num_train_timesteps < 1:
            raise UserError(f"num_train_timesteps is {self.num_train_timesteps}; set it to a positive integer")


def with_prior(config: ReturnModelRunConfig) -> ReturnModelRunConfig:
    """``config`` with the window settings of its ``prior_run`` filled in (unchanged without one)."""
    if not config.prior_run:
        return config
    prior = read_trained(config.prior_run, {"PriorLearner"}, "a train-prior run folder, checkpoint or export "
                         "(prior_run)").config_as(PriorConfig)
    target = {name: getattr(config.data, name) for name in TARGET_FIELDS}
    return dataclasses.replace(
        config,
        data=dataclasses.replace(prior.data, **target),
        num_train_timesteps=prior.diffusion.num_train_timesteps,
        beta_schedule=prior.diffusion.beta_schedule,
        inpaint_goal=prior.inpaint_goal,
    )


def with_data_sizes(config: ReturnModelRunConfig, transition_dim: int) -> ReturnModelRunConfig:
    """``config`` with the network sizes that follow from the data (a conflicting given size is an error)."""
    sizes = {"transition_dim": transition_dim, "horizon": config.data.horizon}
    for key, size in sizes.items():
        given = getattr(config.model, key)
        if given not in (0, size):
            raise UserError(f"model.{key} is {given} but the data gives {size}; remove it from the config")
    return dataclasses.replace(config, model=dataclasses.replace(config.model, **sizes))
