"""MuJoCo control, Diffuser's locomotion mode against offline RL, on the same datasets and the same episodes.

For each locally collected dataset (Reacher-v5 and InvertedDoublePendulum-v5, medium and mixed; ``diffplan
collect <task>-<level>``) this runs ``diffplan pipeline pipeline-<dataset>`` (prior and return model, budgets in
the config), evaluates diffplan's value planners at every step (best-of-N by the return model acting on the
plan's first action or through the prior's inverse dynamics, or on the mean of the best quarter by J: the
cross-entropy method's elite mean; guidance by it (one plan, and as Diffuser does: scale 0.1 on 16 candidates, the
best by J kept or the elite mean); SMC with it as the twist; the mean of prior plans weighted by exp(J / alpha) as
MPPI does; first action), trains diffplan's AWR and KL-SAC (``diffplan train-rl``; KL-SAC also with five critics),
then ranks the prior's plans by KL-SAC's critic Q(s, a_0) (``planner.reward=critic``, IDQL's selection) and, in the
d3rlpy venv of ``benchmarks/offline_rl.py``, d3rlpy's BC, IQL and TD3+BC on the same transitions, and scores
everything on episodes 0..N-1 of the dataset's eval env (normalised x 100 by the dataset's reference scores: the
noise-free expert and random actions), beside the expert, random and zero actions on the same episodes. Rows are
written after every actor to ``benchmarks/results/mujoco_control_cpu.json`` (merged with the rows of earlier
runs), with each model's training seconds. The pipeline's planner and the best-scoring planner row are also timed
replanning at every step with 1 and 16 environments (actions per second of all environments, simulation included;
``control_rate`` in their rows; the d3rlpy side trains on the other core meanwhile). A rerun with ``--only`` runs
only the rows it names (trained priors and return models are reused); one that leaves out the pipeline's row keeps
that row's evaluation (``<work>/<dataset>/metrics.json``), and one that names only offline-RL rows collects the data
if it is missing and trains no prior.

    MINARI_DATASETS_PATH=... python benchmarks/mujoco_control.py --datasets reacher-medium --work runs/mujoco
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))  # control_rate imports its neighbours by name

from control_rate import actions_per_second  # noqa: E402

from benchmarks.common import RESULTS, write_result  # noqa: E402
from benchmarks.offline_rl import export_transitions, score, train_rl_run  # noqa: E402
from diffplan.config import config_path, load_config  # noqa: E402
from diffplan.evaluation.checkpoint_evaluation import EvaluationConfig, evaluate_checkpoint  # noqa: E402
from diffplan.pipeline import PipelineConfig, collect_dataset, run_pipeline, with_run_folders  # noqa: E402
from diffplan.prior.prior_checkpoint import load_prior  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DATASETS = {f"{task}-{level}": f"local/mujoco/{folder}/{level}-v0"
            for task, folder in (("reacher", "reacher"), ("inverted-double-pendulum", "inverteddoublependulum"))
            for level in ("medium", "mixed")}
PEERS = ("bc", "iql", "td3_plus_bc")
RL_RUNS = {"awr": ("AWR", ["algorithm=awr"]), "kl_sac": ("KL-SAC", ["algorithm=kl_sac"]),
           "kl_sac_5": ("KL-SAC, 5 critics", ["algorithm=kl_sac", "critic.ensemble=5"])}
"""diffplan's offline-RL runs: run folder name -> (name in the row, ``train-rl`` overrides)."""


def planners(particles: int) -> dict[str, list[str]]:
    """diffplan's value planners as overrides of the pipeline's evaluation.planner (all replan every step)."""
    return {
        f"diffplan: best-of-{particles} by the return model, first action": [],
        f"diffplan: best-of-{particles} by the return model, inverse dynamics": ["action=inverse_dynamics"],
        "diffplan: guided by the return model (alpha 1), first action": [
            "posterior.method=guided", "posterior.particles=1", "posterior.through_denoiser=false"],
        f"diffplan: guided as Diffuser (scale 0.1, {particles} candidates, the best by J), first action": [
            "posterior.method=guided", "posterior.guidance_scale=0.1", "posterior.min_noise_level=2",
            "posterior.select=most_likely", "posterior.through_denoiser=false"],
        f"diffplan: elite mean of the best quarter of {particles} by J, first action": ["posterior.select=elite_mean"],
        f"diffplan: guided as Diffuser (scale 0.1), elite mean of the best quarter of {particles} by J, first action": [
            "posterior.method=guided", "posterior.guidance_scale=0.1", "posterior.min_noise_level=2",
            "posterior.select=elite_mean", "posterior.through_denoiser=false"],
        f"diffplan: guided as Diffuser (scale 0.3 per return std), elite mean of the best quarter of {particles} by J, "
        "first action": ["return_units=std", "posterior.method=guided", "posterior.guidance_scale=0.3",
                         "posterior.min_noise_level=2", "posterior.select=elite_mean",
                         "posterior.through_denoiser=false"],
        f"diffplan: SMC with the return model as twist ({particles} particles), first action": [
            "posterior.method=smc", "posterior.through_denoiser=false", "posterior.select=draw"],
        f"diffplan: mean of {particles} prior plans weighted by exp(J) (MPPI), first action": [
            "posterior.method=importance", "posterior.select=mean"],
    }


def critic_planners(particles: int, run: Path) -> dict[str, list[str]]:
    """Planner rows that rank the prior's plans by the critic of the run's KL-SAC (trained first): the best one, and
    the mode of the better half's Gaussian times exp(Q / alpha) (the first action moved up Q's gradient within the
    candidates' spread), and that mode by the mean of five critics (the run with ``critic.ensemble=5``)."""
    critic = ["reward=critic", f"critic={run / 'kl_sac'}"]
    elite_mode = ["alpha=0.003", "posterior.select=elite_mode", "posterior.elite_fraction=0.5"]
    return {f"diffplan: best-of-{particles} by KL-SAC's critic Q(s, a_0), first action": critic,
            f"diffplan: elite mode of the best half of {particles} by KL-SAC's critic (alpha 0.003), first action": [
                *critic, *elite_mode],
            f"diffplan: elite mode of the best half of {particles} by the mean of KL-SAC's 5 critics (alpha 0.003), "
            "first action": ["reward=critic", f"critic={run / 'kl_sac_5'}", "critic_pessimism=0", *elite_mode]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--datasets", nargs="+", default=list(DATASETS), choices=list(DATASETS))
    parser.add_argument("--episodes", type=int, default=50)
    parser.add_argument("--rl-steps", type=int, default=30_000, help="gradient steps of every offline-RL method")
    parser.add_argument("--work", default="runs/mujoco-control")
    parser.add_argument("--d3rlpy-python", default="/work/d3rlpy-venv/bin/python")
    parser.add_argument("--only", nargs="*", default=None, help="evaluate only rows whose name contains one of these")
    parser.add_argument("--rate-steps", type=int, default=50,
                        help="environment steps per environment when timing the pipeline's planner at 1 and 16 envs")
    parser.add_argument("--overrides", nargs="*", default=[], metavar="key=value",
                        help="overrides of every pipeline config (budgets: prior.trainer.steps=..., ...)")
    args = parser.parse_args()
    for name in args.datasets:
        benchmark_dataset(name, args)


def benchmark_dataset(name: str, args: argparse.Namespace) -> None:
    """Every row of dataset ``name`` that ``args.only`` asks for (all by default), written as it is scored."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "WANDB_MODE": "disabled"}
    work = Path(args.work)

    def wanted(row: str) -> bool:
        return args.only is None or any(part in row for part in args.only)

    rows: dict[str, dict] = {}
    export = work / f"{name}.npz"
    export.parent.mkdir(parents=True, exist_ok=True)
    common = [*args.overrides, f"evaluation.episodes={args.episodes}", "evaluation.baselines=[expert,random,zero]"]
    config = load_config(PipelineConfig, config_path(f"pipeline-{name}"), common)
    started = time.perf_counter()
    particles = config.evaluation.planner.posterior.particles
    variants = planners(particles)
    critic_rows = critic_planners(particles, work / name)
    planner_rows = {**variants, **critic_rows}
    pipeline_row = next(iter(variants))  # the pipeline's own planner, evaluated by run_pipeline
    measured = work / name / "metrics.json"
    needs_prior = any(wanted(row) for row in planner_rows) or wanted("control rate")
    if wanted(pipeline_row) or (needs_prior and not measured.exists()):
        summary = run_pipeline(config, work / name)  # collects, trains the prior and the return model
    elif measured.exists():  # a rerun for other rows keeps the pipeline's evaluation of the run folder
        summary = json.loads(measured.read_text())
    else:  # offline-RL rows only: the data, no prior
        collect_dataset(config)
        summary = None
    meta = export_transitions(DATASETS[name], None, export)
    peer = subprocess.Popen(["bash", "-c", " && ".join(
        f"{args.d3rlpy_python} {ROOT / 'benchmarks/d3rlpy_offline_rl_worker.py'} --data {export} --algo {algo} "
        f"--steps {args.rl_steps} --episodes {args.episodes} --seed 0" for algo in PEERS
        if wanted(f"d3rlpy {algo}")) or "true"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    stored = stored_datasets().get(name, {}).get("rows", {})
    if summary is not None and (wanted(pipeline_row) or pipeline_row not in stored):  # else the stored rows stay
        for baseline, scores in summary["baselines"].items():
            rows[baseline] = {"normalized_mean": scores["normalized_score_mean"],
                              "normalized_se": scores["normalized_score_se"]}
        rows[pipeline_row] = {"normalized_mean": summary["normalized_score_mean"],
                              "normalized_se": summary["normalized_score_se"],
                              "actions_per_second": summary["actions_per_second"]}
    write(name, rows, args, meta, time.perf_counter() - started)

    def evaluate_planner(row: str, overrides: list[str]) -> None:
        metrics = evaluate_checkpoint(work / name / "prior", planner_evaluation(name, work, common, overrides))
        rows[row] = {"normalized_mean": metrics["normalized_score_mean"],
                     "normalized_se": metrics["normalized_score_se"],
                     "actions_per_second": metrics["actions_per_second"]}
        write(name, rows, args, meta, time.perf_counter() - started)

    for row, overrides in variants.items():
        if row == pipeline_row or not wanted(row):
            continue
        evaluate_planner(row, overrides)
    for folder, (label, rl_overrides) in RL_RUNS.items():
        row = f"diffplan {label} (train-rl, {args.rl_steps} steps)"
        if not wanted(row):
            continue
        shutil.rmtree(work / name / folder, ignore_errors=True)  # retrained in every run that asks for it
        result = train_rl_run(f"rl-{name}", [
            *rl_overrides, f"trainer.steps={args.rl_steps}",
            f"behaviour_prior.warmup_steps={min(2000, args.rl_steps // 2)}", f"evaluation.episodes={args.episodes}",
            "evaluation.seed=0", "trainer.checkpoint_every=1000000", "tracking.mode=disabled"],
            work / name / folder, env)
        rows[row] = {**score(result["eval_returns"], meta["ref"]),
                     "steps_per_second": result["gradient_steps_per_second"]}
        write(name, rows, args, meta, time.perf_counter() - started)
    for row, overrides in critic_rows.items():  # after the RL runs they read
        if not wanted(row):
            continue
        critic = Path(next(o for o in overrides if o.startswith("critic=")).removeprefix("critic="))
        if not list((critic / "checkpoints").glob("step_*.pt")):
            print(f"{name}: no KL-SAC run in {critic}; skipped '{row}'", file=sys.stderr)
            continue
        evaluate_planner(row, overrides)
    if wanted("control rate"):  # the pipeline's planner and the best-scoring planner row
        scored = stored_datasets()[name]["rows"]
        best = max((r for r in planner_rows if r in scored), key=lambda r: scored[r]["normalized_mean"])
        prior = load_prior(work / name / "prior")
        for row in dict.fromkeys((pipeline_row, best)):
            planner = planner_evaluation(name, work, common, planner_rows[row]).planner
            rows.setdefault(row, {})["control_rate"] = {
                f"{envs} env": actions_per_second(prior, planner, meta["eval_env"]["id"],
                                                  {"max_episode_steps": args.rate_steps}, envs, args.rate_steps,
                                                  "cpu") for envs in (1, 16)}
            write(name, rows, args, meta, time.perf_counter() - started)
    out, _ = peer.communicate()
    for line in out.splitlines():
        if line.startswith("{"):
            record = json.loads(line)
            rows[f"d3rlpy {record['algo']} ({args.rl_steps} steps)"] = {
                **score(record["returns"], meta["ref"]), "steps_per_second": record["steps_per_second"],
                "d3rlpy": record["d3rlpy"]}
    write(name, rows, args, meta, time.perf_counter() - started)


def planner_evaluation(name: str, work: Path, common: list[str], overrides: list[str]) -> EvaluationConfig:
    """The pipeline's evaluation of dataset ``name`` with a planner row's overrides, without baselines."""
    variant = load_config(PipelineConfig, config_path(f"pipeline-{name}"),
                          [*common, *(f"evaluation.planner.{o}" for o in overrides)])
    return dataclasses.replace(with_run_folders(variant, work / name).evaluation, baselines=[])


def stored_datasets() -> dict:
    """The results JSON's datasets (their rows as written so far), empty before the first run."""
    path = RESULTS / "mujoco_control_cpu.json"
    return json.loads(path.read_text()).get("datasets", {}) if path.exists() else {}


def write(name: str, rows: dict, args: argparse.Namespace, meta: dict, seconds: float) -> None:
    """Merge this dataset's rows into the results JSON (rows of other runs and datasets are kept)."""
    earlier = stored_datasets()
    kept = earlier.get(name, {}).get("rows", {})
    rows = {row: {**kept.get(row, {}), **values} for row, values in rows.items()}  # a rerun keeps a row's other keys
    planners_rows = {r: v for r, v in {**kept, **rows}.items() if r.startswith("diffplan:")}
    peers = {r: v for r, v in {**kept, **rows}.items() if r.startswith("d3rlpy")}
    best_peer = max(peers, key=lambda r: peers[r]["normalized_mean"], default=None)
    best_planner = max(planners_rows, key=lambda r: planners_rows[r]["normalized_mean"], default=None)
    earlier[name] = {
        "dataset_id": DATASETS[name], "transitions": meta["transitions"], "ref_scores": meta["ref"],
        "episodes": args.episodes, "seeds": f"0..{args.episodes - 1}", "pipeline_config": f"pipeline-{name}",
        "rl_steps": args.rl_steps, "seconds_this_run": seconds, "rows": {**kept, **rows},
        "best_planner": best_planner, "best_peer": best_peer,
        "best_planner_minus_best_peer": (planners_rows[best_planner]["normalized_mean"]
                                         - peers[best_peer]["normalized_mean"]) if best_peer and best_planner
        else None,
    }
    write_result("mujoco_control_cpu", {"datasets": earlier}, quiet=True)


if __name__ == "__main__":
    main()
