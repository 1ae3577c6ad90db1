"""PointMaze U-Maze for tests, and the overrides of the session's tiny maze prior."""

from __future__ import annotations

import gymnasium as gym


def umaze(**kwargs) -> gym.Env:
    """PointMaze U-Maze (dense reward) with 60-step episodes."""
    from diffplan.data.collect import register_robotics_envs

    register_robotics_envs()
    return gym.make("PointMaze_UMazeDense-v3", max_episode_steps=60, **kwargs)


MAZE_PRIOR = ["data.horizon=32", "model.dim=8", "model.dim_mults=[1,2]", "diffusion.num_train_timesteps=10",
              "trainer.batch_size=8", "trainer.steps=6", "trainer.checkpoint_every=6", "data.device=cpu",
              "tracking.mode=disabled", "inverse_dynamics.hidden_dims=[16]"]
