"""Benchmark: exact control as inference on a 100x100 gridworld, horizon 200, on CPU.

Times the full solve — backward messages (log beta_t(s, a), log beta_t(s)), the policy pi_t(a | s) and the
forward messages with state and state-action marginals of p(tau | O) — with ``diffplan.exact`` (torch,
float64), and a peer measured in the same run at the same size: the same log-space recursion written the
usual way in vectorised numpy (trailing-axis logsumexp over successors and actions, ``np.maximum.at`` /
``np.bincount`` scatter for the forward messages). Reports medians and the ratio peer / diffplan, and
writes ``benchmarks/results/exact_gridworld.json``.

Run: ``python benchmarks/exact_gridworld.py [--repeats 5] [--size 100] [--horizon 200] [--slip 0.1]``
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from pathlib import Path

import numpy as np
import torch

from diffplan.exact import TabularMDP, backward_messages, gridworld, posterior_marginals

RESULTS = Path(__file__).resolve().parent / "results" / "exact_gridworld.json"


def solve_torch(mdp: TabularMDP) -> np.ndarray:
    """Backward messages + policy + posterior marginals; returns the last state marginal (checked)."""
    messages = backward_messages(mdp)
    _ = messages.policy
    marginals = posterior_marginals(mdp, messages)
    return marginals.state[0, -1].numpy()


def _logsumexp(x: np.ndarray, axis: int) -> np.ndarray:
    peak = np.max(x, axis=axis, keepdims=True)
    peak = np.where(np.isfinite(peak), peak, 0.0)
    with np.errstate(divide="ignore"):
        return np.log(np.sum(np.exp(x - peak), axis=axis)) + np.squeeze(peak, axis)


def solve_numpy(mdp: TabularMDP) -> np.ndarray:
    """The peer: the same recursion in numpy, (S, A, K) layout, log space."""
    T, alpha = mdp.horizon, mdp.alpha
    S, A = mdp.num_states, mdp.num_actions
    next_state = np.broadcast_to(mdp.next_state[0].numpy(), mdp.next_prob[0].shape)  # (S, A, K)
    with np.errstate(divide="ignore"):
        log_p = np.log(mdp.next_prob[0].numpy())
        log_prior = np.log(mdp.action_prior[0].numpy())
        log_rho = np.log(mdp.initial[0].numpy())
    reward = mdp.reward[0].numpy()
    # backward
    log_beta_sa = np.empty((T, S, A))
    log_beta_s = np.zeros((T + 1, S))
    log_policy = np.empty((T, S, A))
    for t in range(T - 1, -1, -1):
        log_beta_sa[t] = reward / alpha + _logsumexp(log_p + log_beta_s[t + 1][next_state], axis=-1)
        logits = log_prior + log_beta_sa[t]
        log_beta_s[t] = _logsumexp(logits, axis=-1)
        log_policy[t] = logits - log_beta_s[t][:, None]
    policy = np.exp(log_policy)
    # forward
    weight = (log_prior + reward / alpha)[:, :, None] + log_p  # (S, A, K)
    flat_target = next_state.reshape(-1)
    log_alpha = np.empty((T + 1, S))
    log_alpha[0] = log_rho
    for t in range(T):
        source = (log_alpha[t][:, None, None] + weight).reshape(-1)
        peak = np.full(S, -np.inf)
        np.maximum.at(peak, flat_target, source)
        peak = np.where(np.isfinite(peak), peak, 0.0)
        total = np.bincount(flat_target, weights=np.exp(source - peak[flat_target]), minlength=S)
        with np.errstate(divide="ignore"):
            log_alpha[t + 1] = np.log(total) + peak
    log_z = _logsumexp(log_rho + log_beta_s[0], axis=0)
    state = np.exp(log_alpha + log_beta_s - log_z)
    _state_action = state[:-1, :, None] * policy
    return state[-1]


def median_time(fn, mdp: TabularMDP, repeats: int) -> tuple[float, list[float], np.ndarray]:
    fn(mdp)  # warm-up
    times = []
    out = None
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn(mdp)
        times.append(time.perf_counter() - start)
    return statistics.median(times), times, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100)
    parser.add_argument("--horizon", type=int, default=200)
    parser.add_argument("--slip", type=float, default=0.1)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    mdp = gridworld(args.size, args.size, slip=args.slip, horizon=args.horizon, step_reward=-0.01)
    default_threads = torch.get_num_threads()
    t_torch, times_torch, out_torch = median_time(solve_torch, mdp, args.repeats)
    torch.set_num_threads(1)
    try:
        t_torch_1, times_torch_1, _ = median_time(solve_torch, mdp, args.repeats)
    finally:
        torch.set_num_threads(default_threads)
    t_numpy, times_numpy, out_numpy = median_time(solve_numpy, mdp, max(1, args.repeats // 2))
    max_diff = float(np.abs(out_torch - out_numpy).max())

    result = {
        "benchmark": "exact_gridworld",
        "problem": {
            "grid": f"{args.size}x{args.size}",
            "states": mdp.num_states,
            "actions": mdp.num_actions,
            "successors": mdp.num_successors,
            "horizon": args.horizon,
            "slip": args.slip,
            "dtype": "float64",
        },
        "solve": "backward messages + policy + forward messages + state/state-action marginals",
        "diffplan_torch_s": t_torch,
        "diffplan_torch_threads": default_threads,
        "diffplan_torch_1_thread_s": t_torch_1,
        "peer": "numpy vectorised log-space recursion, same size, same run",
        "peer_numpy_s": t_numpy,
        "ratio_peer_over_diffplan": t_numpy / t_torch,
        "ratio_peer_over_diffplan_1_thread": t_numpy / t_torch_1,
        "under_1s": t_torch < 1.0,
        "max_abs_diff_final_state_marginal": max_diff,
        "times_s": {"torch": times_torch, "torch_1_thread": times_torch_1, "numpy": times_numpy},
        "machine": {
            "cpu_count": os.cpu_count(),
            "load_average_1min": os.getloadavg()[0],
            "platform": platform.platform(),
            "torch": torch.__version__,
            "numpy": np.__version__,
        },
    }
    print(f"100x100-style gridworld {args.size}x{args.size}, T={args.horizon}, slip={args.slip}")
    print(f"  diffplan torch ({default_threads} threads): {t_torch:.3f} s (median of {args.repeats})")
    print(f"  diffplan torch (1 thread):   {t_torch_1:.3f} s")
    print(f"  peer numpy vectorised:       {t_numpy:.3f} s")
    print(f"  ratio peer / diffplan:       {t_numpy / t_torch:.2f}x (1 thread: {t_numpy / t_torch_1:.2f}x)")
    print(f"  max |diff| final marginal:   {max_diff:.2e}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
