"""Run under ``accelerate launch --cpu --num_processes 2``: train a prior a few steps, save each rank's weights.

Usage: two_process_prior.py DATASET_ID OUT_DIR
"""

import sys
from pathlib import Path

import torch

from diffplan.data.data_config import DataConfig
from diffplan.data.trajectory_buffer import TrajectoryBuffer
from diffplan.prior.prior_config import PriorConfig, build_diffusion, with_data_sizes
from diffplan.prior.prior_learner import PriorLearner
from diffplan.prior.temporal_unet import TemporalUNetConfig
from diffplan.prior.trajectory_diffusion import DiffusionConfig
from diffplan.training.trainer import Trainer, make_accelerator
from diffplan.training.trainer_config import TrainerConfig

dataset_id, out = sys.argv[1], Path(sys.argv[2])
config = PriorConfig(
    data=DataConfig(dataset_id=dataset_id, horizon=16, device="cpu"),
    model=TemporalUNetConfig(dim=8, dim_mults=(1, 2)),
    diffusion=DiffusionConfig(num_train_timesteps=10),
    trainer=TrainerConfig(steps=5, batch_size=8, checkpoint_every=5, ema_start=0, ema_every=1),
)
accelerator = make_accelerator(config.trainer, "cpu")
torch.manual_seed(accelerator.process_index)  # different initial weights per rank: rank 0's must win
buffer = TrajectoryBuffer.from_config(config.data)
config = with_data_sizes(config, buffer.action_dim, buffer.state_dim)
learner = PriorLearner(build_diffusion(config), False, buffer.model_metadata())
trainer = Trainer(learner, buffer.sample, config.trainer, out / "run", accelerator, progress=False)
initial = {k: v.clone() for k, v in trainer.learner.state_dict().items()}
trainer.fit()
changed = any(not torch.equal(initial[k], v) for k, v in trainer.learner.state_dict().items())
torch.save({"weights": trainer.learner.state_dict(), "ema": trainer.ema.state_dict(), "changed": changed,
            "world": accelerator.num_processes}, out / f"rank{accelerator.process_index}.pt")
