"""Loading a trained return model J(x_t, t) back from a ``diffplan train-return-model`` run, checkpoint or export."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch
from diffusers import DDPMScheduler

from diffplan.data.normalizer import AffineNormalizer
from diffplan.inference.return_model import ReturnLikelihood, ReturnModel
from diffplan.inference.return_model_run_config import ReturnModelRunConfig
from diffplan.training.trained_state import read_trained


@dataclass
class TrainedReturnModel:
    """A return model ready to guide or select plans.

    Attributes:
        model: EMA weights, eval mode, frozen, on the requested device.
        config: the size-complete config of the training run.
        normalizer: the rows' normaliser (the prior's, refit on the same dataset).
        inpaint_goal: whether windows had their last state inpainted.
        step: training step of the checkpoint.
    """

    model: ReturnModel
    config: ReturnModelRunConfig
    normalizer: AffineNormalizer
    inpaint_goal: bool
    step: int

    def likelihood(self, alpha: float = 1.0, standardised: bool = False) -> ReturnLikelihood:
        """log p(O | x_t) = J(x_t, t) / alpha (J in return-std units with ``standardised``)."""
        return ReturnLikelihood(self.model, alpha, standardised)

    @property
    def alphas_cumprod(self) -> torch.Tensor:
        """(T,) abar_t of the schedule it was trained on (must match the prior's)."""
        c = self.config
        return DDPMScheduler(num_train_timesteps=c.num_train_timesteps, beta_schedule=c.beta_schedule
                             ).alphas_cumprod.float()


def load_return_model(path: str | Path, device: str | torch.device = "cpu") -> TrainedReturnModel:
    """Rebuild the return model of a ``train-return-model`` run folder, checkpoint or export with its EMA weights."""
    state = read_trained(path, {"ReturnModelLearner"}, "a train-return-model run folder, checkpoint or export", device)
    config = state.config_as(ReturnModelRunConfig)
    return TrainedReturnModel(
        model=state.load_part(ReturnModel(config.model), "model.").to(device).eval().requires_grad_(False),
        config=config,
        normalizer=state.normalizer.to(device),
        inpaint_goal=bool(state.metadata["inpaint_goal"]),
        step=state.step,
    )
