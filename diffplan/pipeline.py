"""The chain for one dataset: collect → train the prior → [train the return model] → plan and evaluate, each
stage skipped when done (what ``diffplan pipeline`` and ``diffplan quickstart`` run)."""

from __future__ import annotations

import dataclasses
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

import minari

from diffplan.data.recipes import RECIPES
from diffplan.errors import UserError
from diffplan.evaluation.checkpoint_evaluation import EvaluationConfig, evaluate_checkpoint
from diffplan.inference.return_model_run_config import ReturnModelRunConfig
from diffplan.inference.return_model_training import train_return_model
from diffplan.planning.learning_curves import plot_learning_curves
from diffplan.prior.prior_config import PriorConfig
from diffplan.prior.prior_training import train_prior
from diffplan.training.checkpoint import list_checkpoints, training_finished
from diffplan.training.recorded_run import record_config

log = logging.getLogger(__name__)


@dataclass
class PipelineConfig:
    """The whole chain for one dataset.

    Attributes:
        recipe: collection recipe run when ``prior.data.dataset_id`` is not on this machine ("" = the dataset
            must exist or be downloadable).
        collect_steps: step budget of the collection (0 = the recipe's default).
        reference_episodes: episodes behind each reference score of a collected dataset.
        prior: the prior's training run (its run folder is ``<run_dir>/prior``).
        train_return_model: also train the return model J(x_t, t) on the prior's windows (Diffuser's
            locomotion mode: value-guided plans); its run folder is ``<run_dir>/return-model`` and the planner
            uses it unless ``evaluation.planner.return_model`` names another.
        return_model: the return model's training run (its ``prior_run`` is the pipeline's prior).
        evaluation: the planner's evaluation (written to ``<run_dir>/eval``).
        run_dir: folder of the pipeline.
    """

    recipe: str = "pointmaze-umaze-dense"
    collect_steps: int = 0
    reference_episodes: int = 100
    prior: PriorConfig = field(default_factory=PriorConfig)
    train_return_model: bool = False
    return_model: ReturnModelRunConfig = field(default_factory=ReturnModelRunConfig)
    evaluation: EvaluationConfig = field(default_factory=EvaluationConfig)
    run_dir: str = "runs/pipeline"


def with_run_folders(config: PipelineConfig, run_dir: Path) -> PipelineConfig:
    """``config`` with the evaluation's output folder and, when the pipeline trains one, its return model."""
    evaluation = config.evaluation
    if config.train_return_model and not evaluation.planner.return_model:
        evaluation = dataclasses.replace(evaluation, planner=dataclasses.replace(
            evaluation.planner, return_model=str(run_dir / "return-model")))
    if not evaluation.output_dir:
        evaluation = dataclasses.replace(evaluation, output_dir=str(run_dir / "eval"))
    return dataclasses.replace(config, evaluation=evaluation)


def dataset_exists(dataset_id: str) -> bool:
    try:
        minari.load_dataset(dataset_id)
    except (FileNotFoundError, ValueError):
        return False
    return True


def collect_dataset(config: PipelineConfig) -> str:
    """Collect the prior's dataset with the config's recipe unless it is on this machine; returns what was done."""
    dataset_id = config.prior.data.dataset_id
    if dataset_exists(dataset_id):
        return "skipped (dataset exists)"
    if not config.recipe:
        return "skipped (no recipe; the dataset is opened or downloaded by the prior stage)"
    if config.recipe not in RECIPES:
        raise UserError(f"unknown recipe '{config.recipe}'; choose one of {', '.join(RECIPES)}")
    log.info("collecting %s with recipe %s", dataset_id, config.recipe)
    RECIPES[config.recipe].collect(dataset_id=dataset_id, total_steps=config.collect_steps or None,
                                   eval_episodes=config.reference_episodes)
    return "done"


def run_pipeline(config: PipelineConfig, run_dir: Path, resume: bool = False) -> dict:
    """Run the stages whose outputs are missing; returns the evaluation metrics with the stage record."""
    config = with_run_folders(config, run_dir)
    planner = config.evaluation.planner
    if planner.reward == "return_model" and not planner.return_model:  # refused before hours of training
        raise UserError("evaluation.planner.reward=return_model needs a return model: set train_return_model=true "
                        "or evaluation.planner.return_model=<train-return-model run folder>")
    stages = {"collect": collect_dataset(config)}
    prior_dir, return_dir = run_dir / "prior", run_dir / "return-model"
    record_config(config, run_dir)
    if training_finished(prior_dir, config.prior.trainer.steps):
        stages["train-prior"] = "skipped (trained)"
    else:
        train_prior(config.prior, prior_dir, resume=resume or bool(list_checkpoints(prior_dir / "checkpoints")))
        stages["train-prior"] = "done"
    if config.train_return_model:
        if training_finished(return_dir, config.return_model.trainer.steps):
            stages["train-return-model"] = "skipped (trained)"
        else:
            train_return_model(dataclasses.replace(config.return_model, prior_run=str(prior_dir)), return_dir,
                               resume=resume or bool(list_checkpoints(return_dir / "checkpoints")))
            stages["train-return-model"] = "done"
    evaluation = config.evaluation
    metrics = evaluate_checkpoint(prior_dir, evaluation)
    stages["evaluate"] = "done"
    metrics["learning_curves_png"] = str(plot_learning_curves(prior_dir / "metrics.jsonl",
                                                              run_dir / "learning_curves.png"))
    summary = {"stages": stages, "headline": headline(metrics), **metrics}
    (run_dir / "metrics.json").write_text(json.dumps(summary, indent=2) + "\n")
    return summary


def headline(metrics: dict) -> str:
    """One sentence: the planner's normalised score and success beside the baselines' on the same episodes."""
    if "normalized_score_mean" not in metrics:
        return f"success {100 * metrics['success_rate']:.0f} % over {metrics['episodes']:.0f} episodes"
    line = (f"normalised score {metrics['normalized_score_mean']:.1f} ± {metrics['normalized_score_se']:.1f} "
            f"(success {100 * metrics['success_rate']:.0f} %)")
    baselines = metrics.get("baselines", {})
    if baselines:
        line += "; on the same episodes " + ", ".join(
            f"{name} {scores['normalized_score_mean']:.1f}" for name, scores in baselines.items())
    return line + f" ({metrics['episodes']:.0f} episodes, protocol {metrics.get('protocol', 'dataset')})"


