"""Configuration of a reward-learning run (``diffplan train-reward``).

Demonstrations and the unlabelled data are Minari datasets; both are cut into windows of ``data.horizon``
steps and normalised with the unlabelled data's normaliser (the prior's, when the prior was trained on the
same data), which is saved with the reward. The rewards of the unlabelled dataset are never read.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Literal

from diffplan.data.data_config import DataConfig
from diffplan.errors import UserError
from diffplan.irl.reward_network import RewardNetworkConfig
from diffplan.tracking import TrackingConfig
from diffplan.training.trainer_config import TrainerConfig

OBJECTIVES = ("maxent", "airl")
BACKGROUNDS = ("dataset", "prior")


@dataclass
class AIRLConfig:
    """The AIRL-style discriminator D = exp(f) / (exp(f) + pi_beta(a | s)).

    Attributes:
        shaping: f = r(s, a) + discount · h(s') − h(s) with a learned potential h (True), or f = r (False).
        discount: gamma of the shaping term.
        potential_hidden_dims: MLP widths of h.
        behaviour_hidden_dims: MLP widths of pi_beta (a tanh-Gaussian fit by behaviour cloning alongside).
        behaviour_components: mixture components of pi_beta (1 = one tanh-Gaussian).
    """

    shaping: bool = True
    discount: float = 0.99
    potential_hidden_dims: list[int] = field(default_factory=lambda: [256, 256])
    behaviour_hidden_dims: list[int] = field(default_factory=lambda: [256, 256])
    behaviour_components: int = 1


@dataclass
class RelabelConfig:
    """Writing a copy of a dataset whose rewards are r_phi, after training.

    Attributes:
        target: Minari id of the new dataset ("" = do not relabel).
        source: dataset to relabel ("" = ``data.dataset_id``).
        overwrite: replace an existing ``target``.
    """

    target: str = ""
    source: str = ""
    overwrite: bool = False


@dataclass
class RewardConfig:
    """A ``diffplan train-reward`` run.

    Attributes:
        demonstrations: Minari id of the expert demonstrations.
        data: the unlabelled dataset (the behaviour distribution p(tau)) and how windows are cut: horizon H,
            normaliser, short episodes, device. Demonstrations are windowed the same way.
        reward: the reward network; its sizes follow from the data.
        objective: ``maxent`` (max-ent IRL, self-normalised importance estimate over background windows) or
            ``airl`` (discriminator against the behaviour prior pi_beta).
        background: windows of p(tau) for ``maxent``: ``dataset`` (the unlabelled data) or ``prior``
            (samples of the trained prior ``prior_run``, drawn once before training).
        prior_run: run folder or checkpoint of ``diffplan train-prior`` (for ``background: prior``).
        prior_samples, prior_solver, prior_steps: size of the pool of prior windows and how they are sampled.
        demo_batch_size: demonstration windows per step (background windows: ``trainer.batch_size``).
        reward_l2: weight of the reward-scale penalty E[r²].
        airl: settings of ``objective: airl``.
        relabel: write a copy of a dataset with rewards r_phi after training.
        run_dir: folder of the run (config, checkpoints, wandb logs).
    """

    demonstrations: str = "local/pointmaze/umaze-goal-expert-v0"
    data: DataConfig = field(default_factory=DataConfig)
    reward: RewardNetworkConfig = field(default_factory=RewardNetworkConfig)
    objective: Literal["maxent", "airl"] = "maxent"
    background: Literal["dataset", "prior"] = "dataset"
    prior_run: str = ""
    prior_samples: int = 4096
    prior_solver: str = "dpmsolver++"
    prior_steps: int = 10
    demo_batch_size: int = 64
    reward_l2: float = 1e-3
    airl: AIRLConfig = field(default_factory=AIRLConfig)
    relabel: RelabelConfig = field(default_factory=RelabelConfig)
    trainer: TrainerConfig = field(default_factory=TrainerConfig)
    tracking: TrackingConfig = field(default_factory=TrackingConfig)
    run_dir: str = "runs/reward"

    def __post_init__(self) -> None:
        if not self.demonstrations:
            raise UserError("demonstrations is empty; set it to the Minari id of the expert demonstrations")
        if self.objective not in OBJECTIVES:
            raise UserError(f"objective {self.objective!r} is unknown; use one of {', '.join(OBJECTIVES)}")
        if self.background not in BACKGROUNDS:
            raise UserError(f"background {self.background!r} is unknown; use one of {', '.join(BACKGROUNDS)}")
        if self.background == "prior" and not self.prior_run:
            raise UserError("background=prior needs prior_run=<train-prior run folder>")
        if self.background == "prior" and self.objective != "maxent":
            raise UserError("background=prior only applies to objective=maxent; AIRL contrasts with dataset data")
        if self.objective == "airl" and self.data.horizon < 2:
            raise UserError("objective=airl reads transitions (s, a, s') inside windows; set data.horizon >= 2")
        if self.demo_batch_size < 1 or self.prior_samples < 1 or self.prior_steps < 1:
            raise UserError("demo_batch_size, prior_samples and prior_steps must be positive")
        if self.reward_l2 < 0:
            raise UserError(f"reward_l2 must not be negative, got {self.reward_l2}")
        if not 0 < self.airl.discount <= 1:
            raise UserError(f"airl.discount must be in (0, 1], got {self.airl.discount}")


def with_data_sizes(config: RewardConfig, action_dim: int, state_dim: int) -> RewardConfig:
    """``config`` with the reward network's sizes from the data (a conflicting given size is an error)."""
    sizes = {"action_dim": action_dim, "state_dim": state_dim}
    for key, size in sizes.items():
        given = getattr(config.reward, key)
        if given not in (0, size):
            raise UserError(f"reward.{key} is {given} but the data gives {size}; remove it from the config")
    return dataclasses.replace(config, reward=dataclasses.replace(config.reward, **sizes))
