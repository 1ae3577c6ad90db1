"""The d3rlpy side of ``benchmarks/offline_rl.py``; runs in the separate d3rlpy venv (see that file).

Reads the transitions that the main side exported from the Minari dataset (``.npz``), trains d3rlpy's AWAC,
IQL, BC or TD3+BC for a number of gradient steps, evaluates the greedy policy in the same eval env with the same
episode seeds, and prints one JSON line: returns, training seconds, gradient steps/s.
"""

from __future__ import annotations

import argparse
import json
import time

import d3rlpy
import gymnasium as gym
import numpy as np
import torch


def make_env(spec: dict) -> gym.Env:
    if spec["id"].startswith("PointMaze"):
        import gymnasium_robotics

        gym.register_envs(gymnasium_robotics)
    return gym.make(spec["id"], max_episode_steps=spec["max_episode_steps"], **spec["kwargs"])


def flat_state(obs, keys: list[str]) -> np.ndarray:
    if not keys:
        return np.asarray(obs, dtype=np.float32).reshape(-1)
    return np.concatenate([np.asarray(obs[k], dtype=np.float32).reshape(-1) for k in keys])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", required=True)
    parser.add_argument("--algo", choices=["awac", "iql", "bc", "td3_plus_bc"], required=True)
    parser.add_argument("--steps", type=int, required=True)
    parser.add_argument("--episodes", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1_000_003)
    parser.add_argument("--hidden", type=int, nargs="+", default=[256, 256])
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--awac-lambda", type=float, default=1.0)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    d3rlpy.seed(0)
    data = np.load(args.data, allow_pickle=False)
    meta = json.loads(str(data["meta"]))
    dataset = d3rlpy.dataset.MDPDataset(
        observations=data["observations"], actions=data["actions"], rewards=data["rewards"],
        terminals=data["terminals"], timeouts=data["timeouts"],
        action_space=d3rlpy.constants.ActionSpace.CONTINUOUS,
    )
    encoder = d3rlpy.models.VectorEncoderFactory(hidden_units=args.hidden)
    scalers = {
        "observation_scaler": d3rlpy.preprocessing.StandardObservationScaler(),
        "action_scaler": d3rlpy.preprocessing.MinMaxActionScaler(
            minimum=np.asarray(meta["action_low"], np.float32), maximum=np.asarray(meta["action_high"], np.float32)),
    }
    actor_critic = {"actor_encoder_factory": encoder, "critic_encoder_factory": encoder, **scalers}
    configs = {
        "awac": lambda: d3rlpy.algos.AWACConfig(batch_size=args.batch_size, lam=args.awac_lambda, **actor_critic),
        "iql": lambda: d3rlpy.algos.IQLConfig(batch_size=args.batch_size, value_encoder_factory=encoder,
                                              **actor_critic),
        "bc": lambda: d3rlpy.algos.BCConfig(batch_size=args.batch_size, encoder_factory=encoder, **scalers),
        "td3_plus_bc": lambda: d3rlpy.algos.TD3PlusBCConfig(batch_size=args.batch_size, **actor_critic),
    }
    algo = configs[args.algo]().create(device="cpu")
    algo.build_with_dataset(dataset)
    start = time.perf_counter()
    algo.fit(dataset, n_steps=args.steps, n_steps_per_epoch=args.steps, show_progress=False, save_interval=10**9,
             logger_adapter=d3rlpy.logging.NoopAdapterFactory())
    seconds = time.perf_counter() - start
    env = make_env(meta["eval_env"])
    returns = []
    for k in range(args.episodes):
        obs, _ = env.reset(seed=args.seed + k)
        total, done = 0.0, False
        while not done:
            action = algo.predict(flat_state(obs, meta["state_keys"])[None])[0]
            obs, reward, terminated, truncated, _ = env.step(action)
            total += float(reward)
            done = terminated or truncated
        returns.append(total)
    print(json.dumps({"algo": args.algo, "returns": returns, "train_seconds": seconds,
                      "steps_per_second": args.steps / seconds, "d3rlpy": d3rlpy.__version__}))


if __name__ == "__main__":
    main()
