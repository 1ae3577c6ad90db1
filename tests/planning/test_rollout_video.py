"""Rollout videos: MuJoCo renders offscreen, evaluate writes GIFs and logs them to wandb (offline)."""

import ctypes.util
import os

import pytest
from helpers.wandb_records import logged_keys
from PIL import Image

from diffplan.config import load_config
from diffplan.evaluation.checkpoint_evaluation import EvaluationConfig, evaluate_checkpoint

needs_gl = pytest.mark.skipif(not ctypes.util.find_library("OSMesa") and os.environ.get("MUJOCO_GL") != "egl",
                              reason="no offscreen OpenGL: apt-get install libosmesa6 (or MUJOCO_GL=egl on a GPU)")


@needs_gl
def test_evaluate_records_rollout_videos(prior_run, tmp_path):
    output = tmp_path / "eval"
    overrides = ["episodes=2", "num_envs=2", "videos=1", "planner.posterior.num_steps=2", f"output_dir={output}"]
    config = load_config(EvaluationConfig, None, overrides)
    metrics = evaluate_checkpoint(prior_run, config)
    gif = Image.open(output / "videos" / "episode_0.gif")
    assert gif.n_frames == 151 and gif.size[0] >= 64  # 300 steps + the reset frame, every 2nd kept
    assert not (output / "videos" / "episode_1.gif").exists()
    run = next(output.glob("wandb/offline-run-*"))
    (records,) = run.glob("run-*.wandb")
    assert any(key.startswith("eval/video_0") for key in logged_keys(records))
    assert list(run.glob("files/media/videos/eval/video_0_*.gif"))
    assert metrics["actions_per_second"] > 0
