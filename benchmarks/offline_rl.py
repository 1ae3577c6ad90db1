"""Behaviour-prior offline RL against d3rlpy's AWAC and IQL, on the same Minari datasets, in one run.

For each dataset (Pendulum medium and mixed, PointMaze U-Maze dense; collected locally with
``diffplan collect``) this trains diffplan's KL-regularised SAC and AWR (AWAC advantages) with
``diffplan train-rl``, and d3rlpy's AWAC and IQL, for the same number of gradient steps with the same
network widths and batch size, evaluates each greedy policy for the same episodes (same reset seeds) of the
dataset's eval env, and reports normalised scores ×100 (mean ± s.e.) and gradient steps/s with their ratio.
Both sides see the same transitions: the main side exports them from the Minari dataset with diffplan's
observation layout (for PointMaze: observation + desired_goal), and the d3rlpy side builds its
``MDPDataset`` from that export. d3rlpy gets a standard observation scaler (diffplan normalises states)
and a min-max action scaler on the action-space bounds (diffplan maps actions to [-1, 1] the same way).

d3rlpy is not a diffplan dependency: 2.8.1 pins gymnasium==1.0.0. Create its venv once:

    python3 -m venv /work/d3rlpy-venv
    /work/d3rlpy-venv/bin/pip install torch==2.13.0 d3rlpy
    /work/d3rlpy-venv/bin/pip install gymnasium==1.4.0 gymnasium-robotics "minari[hdf5]"

(pip warns that d3rlpy wants gymnasium 1.0.0; AWAC and IQL train and evaluate with 1.4.) Then

    MINARI_DATASETS_PATH=/work/bench-minari python benchmarks/offline_rl.py --collect

Both sides run one torch thread each, concurrently (one per core of a 2-core machine), so they share the
machine's load alike.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import write_result  # noqa: E402
from diffplan.data.episodes import read_episodes  # noqa: E402
from diffplan.data.minari_source import open_minari_dataset  # noqa: E402
from diffplan.data.observation_layout import ObservationLayout  # noqa: E402
from diffplan.evaluation.rollouts import dataset_reference_scores, normalized_scores  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DATASETS = {
    "pendulum-medium": {"config": "rl-pendulum-medium", "dataset_id": "local/pendulum/medium-v0",
                        "keys": None, "awac_lambda": 1.0},
    "pendulum-mixed": {"config": "rl-pendulum-mixed", "dataset_id": "local/pendulum/mixed-v0",
                       "keys": None, "awac_lambda": 1.0},
    "pointmaze-umaze-dense": {"config": "rl-pointmaze-umaze-dense", "dataset_id": "local/pointmaze/umaze-dense-v0",
                              "keys": ["observation", "desired_goal"], "awac_lambda": 0.1},
}


def export_transitions(dataset_id: str, keys: list[str] | None, path: Path) -> dict:
    """Write the dataset's episodes as d3rlpy arrays; truncated episodes get their final observation as an extra
    step (action 0, reward 0) that d3rlpy treats as the end, so both sides train on the same N transitions."""
    dataset = open_minari_dataset(dataset_id)
    layout = ObservationLayout.from_space(dataset.observation_space, keys)
    steps = read_episodes(dataset, layout)
    observations, actions, rewards, terminals, timeouts = [], [], [], [], []
    start = 0
    for length in steps.episode_lengths:
        end = start + int(length)
        terminated = bool(steps.terminations[end - 1])
        obs = steps.states[start:end]
        act = steps.actions[start:end]
        rew = steps.rewards[start:end]
        if not terminated:
            obs = np.concatenate([obs, steps.next_states[end - 1:end]])
            act = np.concatenate([act, np.zeros_like(act[:1])])
            rew = np.concatenate([rew, [0.0]])
        done = np.zeros(len(obs), np.float32)
        done[-1] = 1.0
        observations.append(obs)
        actions.append(act)
        rewards.append(rew)
        terminals.append(done if terminated else np.zeros_like(done))
        timeouts.append(np.zeros_like(done) if terminated else done)
        start = end
    env = dataset.recover_environment(eval_env=True)
    spec = env.spec
    env.close()
    space = dataset.action_space
    meta = {
        "dataset_id": dataset_id, "state_keys": list(layout.state_keys),
        "action_low": space.low.tolist(), "action_high": space.high.tolist(),
        "eval_env": {"id": spec.id, "kwargs": dict(spec.kwargs), "max_episode_steps": spec.max_episode_steps},
        "transitions": int(steps.num_steps),
    }
    np.savez(path, observations=np.concatenate(observations).astype(np.float32),
             actions=np.concatenate(actions).astype(np.float32),
             rewards=np.concatenate(rewards).astype(np.float32)[:, None],
             terminals=np.concatenate(terminals), timeouts=np.concatenate(timeouts),
             meta=np.asarray(json.dumps(meta)))
    return {"ref": dataset_reference_scores(dataset), **meta}


def train_rl_run(config: str, overrides: list[str], run_dir: Path, env: dict[str, str]) -> dict:
    """``diffplan train-rl config overrides --run-dir run_dir`` in a subprocess; returns its printed summary."""
    done = subprocess.run([sys.executable, "-m", "diffplan", "--quiet", "train-rl", config, *overrides,
                           "--run-dir", str(run_dir), "--no-progress"], env=env, capture_output=True, text=True,
                          cwd=ROOT)
    if done.returncode:
        raise SystemExit(f"train-rl failed: {done.stderr[-2000:]}")
    return json.loads(done.stdout[done.stdout.index("{"):])


def score(returns: list[float], ref: tuple[float, float]) -> dict:
    scores = normalized_scores(np.asarray(returns), *ref)
    return {"normalized_mean": float(scores.mean()),
            "normalized_se": float(scores.std(ddof=1) / np.sqrt(len(scores))) if len(scores) > 1 else None,
            "return_mean": float(np.mean(returns))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=list(DATASETS), choices=list(DATASETS))
    parser.add_argument("--steps", type=int, default=10_000, help="gradient steps per method and dataset")
    parser.add_argument("--episodes", type=int, default=10, help="evaluation episodes per method")
    parser.add_argument("--hidden", type=int, nargs="+", default=[128, 128], help="MLP widths (all networks, both)")
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--d3rlpy-python", default="/work/d3rlpy-venv/bin/python")
    parser.add_argument("--collect", action="store_true", help="collect missing datasets with diffplan collect")
    parser.add_argument("--warmup-steps", type=int, default=1000, help="behaviour-cloning warm-up of KL-SAC")
    args = parser.parse_args()
    env = {**os.environ, "OMP_NUM_THREADS": "1", "WANDB_MODE": "disabled"}
    hidden = "[" + ",".join(map(str, args.hidden)) + "]"
    seed = 1_000_003
    results = {}
    with tempfile.TemporaryDirectory() as scratch:
        for name in args.datasets:
            spec = DATASETS[name]
            if args.collect:
                subprocess.run([sys.executable, "-m", "diffplan", "--quiet", "collect", name], env=env,
                               capture_output=True)
            export = Path(scratch, f"{name}.npz")
            meta = export_transitions(spec["dataset_id"], spec["keys"], export)
            print(f"[{name}] {meta['transitions']} transitions; training both sides", flush=True)
            peer_cmds = [[args.d3rlpy_python, str(ROOT / "benchmarks/d3rlpy_offline_rl_worker.py"), "--data",
                          str(export), "--algo", algo, "--steps", str(args.steps), "--episodes", str(args.episodes),
                          "--seed", str(seed), "--hidden", *map(str, args.hidden), "--batch-size",
                          str(args.batch_size), "--awac-lambda", str(spec["awac_lambda"])] for algo in ("awac", "iql")]
            peer_script = " && ".join(" ".join(c) for c in peer_cmds)
            peer = subprocess.Popen(["bash", "-c", peer_script], env=env, stdout=subprocess.PIPE,
                                    stderr=subprocess.DEVNULL, text=True)
            ours = {}
            for algorithm in ("kl_sac", "awr"):
                run_dir = Path(scratch, f"{name}-{algorithm}")
                overrides = [f"algorithm={algorithm}", f"trainer.steps={args.steps}",
                             f"trainer.batch_size={args.batch_size}", "trainer.checkpoint_every=1000000",
                             f"behaviour_prior.warmup_steps={args.warmup_steps}",
                             f"behaviour_prior.hidden_dims={hidden}",
                             f"critic.hidden_dims={hidden}", f"kl_sac.actor_hidden_dims={hidden}",
                             f"awr.actor_hidden_dims={hidden}", f"evaluation.episodes={args.episodes}",
                             f"evaluation.seed={seed}", "tracking.mode=disabled", "torch_threads=1"]
                summary = train_rl_run(spec["config"], overrides, run_dir, env)
                ours[algorithm] = {**score(summary["eval_returns"], meta["ref"]),
                                   "steps_per_second": summary["gradient_steps_per_second"]}
                print(f"[{name}] diffplan {algorithm}: {ours[algorithm]}", flush=True)
            out, _ = peer.communicate()
            peers = {}
            for line in out.splitlines():
                if line.startswith("{"):
                    record = json.loads(line)
                    peers[record["algo"]] = {**score(record["returns"], meta["ref"]),
                                             "steps_per_second": record["steps_per_second"]}
                    print(f"[{name}] d3rlpy {record['algo']}: {peers[record['algo']]}", flush=True)
            entry = {"transitions": meta["transitions"], "ref_scores": meta["ref"],
                     "diffplan_kl_sac": ours["kl_sac"], "diffplan_awr": ours["awr"]}
            for algo in ("awac", "iql"):
                entry[f"d3rlpy_{algo}"] = peers.get(algo, {"error": "d3rlpy run failed"})
            best_peer = max((peers[a]["normalized_mean"] for a in peers), default=float("nan"))
            entry["best_peer_score"] = best_peer
            entry["at_least_best_peer"] = {m: ours[m]["normalized_mean"] >= best_peer for m in ours}
            for mine, theirs in (("awr", "awac"), ("kl_sac", "awac"), ("awr", "iql")):
                if theirs in peers:
                    entry[f"speed_ratio_{mine}_vs_d3rlpy_{theirs}"] = (ours[mine]["steps_per_second"]
                                                                       / peers[theirs]["steps_per_second"])
            results[name] = entry
    write_result("offline_rl", {
        "steps": args.steps, "episodes": args.episodes, "hidden": args.hidden, "batch_size": args.batch_size,
        "torch_threads_per_side": 1, "kl_sac_behaviour_warmup_steps": args.warmup_steps, "datasets": results,
    })


if __name__ == "__main__":
    main()
