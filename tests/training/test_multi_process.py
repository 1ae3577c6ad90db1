"""Multi-process training with Accelerate: 2 CPU processes (gloo) end with identical weights.

``accelerate launch --multi_gpu`` starts the processes through torchrun; without CUDA, each Accelerator falls
back to the CPU with the gloo backend (``--cpu`` would start a single process unless MPI is set up).
"""

import os
import subprocess
import sys
from pathlib import Path

import torch

from diffplan.data.recipes import RECIPES


def test_two_processes_hold_identical_weights(tmp_path, minari_root):
    RECIPES["pendulum-expert"].collect(total_steps=1000, eval_episodes=2, progress=False)
    script = Path(__file__).with_name("two_process_prior.py")
    command = [sys.executable, "-m", "accelerate.commands.launch", "--multi_gpu", "--num_processes", "2",
               "--num_machines", "1", "--mixed_precision", "no", "--dynamo_backend", "no",
               str(script), "local/pendulum/expert-v0", str(tmp_path)]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    result = subprocess.run(command, capture_output=True, text=True, timeout=300, env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    ranks = [torch.load(tmp_path / f"rank{r}.pt", weights_only=True) for r in (0, 1)]
    assert ranks[0]["world"] == 2 and ranks[0]["changed"] and ranks[1]["changed"]
    for name, value in ranks[0]["weights"].items():
        assert torch.equal(value, ranks[1]["weights"][name]), name
    for name, value in ranks[0]["ema"].items():
        assert torch.equal(value, ranks[1]["ema"][name]), name
