"""The 100x100, horizon-200 gridworld solve (messages + policy + marginals) takes under 1 s on CPU."""

import json
import subprocess
import sys

# Timed in a fresh interpreter with one intra-op thread: the recursion is 200 steps of small (<= 250k element)
# ops, where extra threads on a shared 2-core machine only add synchronisation; and changing torch's thread
# count inside the pytest process would slow every later test (benchmarks/exact_gridworld.py reports both).
TIMING_SCRIPT = """
import json, time
import torch
torch.set_num_threads(1)
from diffplan.exact import backward_messages, gridworld, posterior_marginals

mdp = gridworld(100, 100, slip=0.1, horizon=200, step_reward=-0.01)
times = []
for _ in range(5):
    start = time.perf_counter()
    messages = backward_messages(mdp)
    _ = messages.policy
    marginals = posterior_marginals(mdp, messages)
    times.append(time.perf_counter() - start)
error = float((marginals.state.sum(-1) - 1).abs().max())
print(json.dumps({"best": min(times), "times": times, "normalisation_error": error}))
"""


def test_100x100_gridworld_horizon_200_solves_under_one_second():
    done = subprocess.run([sys.executable, "-c", TIMING_SCRIPT], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["normalisation_error"] < 1e-9
    # Best of 5: what the solver can do; slower repeats measure other processes on the shared 2 cores.
    assert result["best"] < 1.0, result["times"]
