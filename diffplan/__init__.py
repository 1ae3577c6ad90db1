"""diffplan: offline trajectory generation with diffusion planning (control as inference).

The objects a notebook needs are here, imported on first use (``import diffplan`` stays fast)::

    planner = diffplan.DiffusionPlanner.from_pretrained("exported-prior", diffplan.PlannerConfig(...))
    samples = planner.sample_plans(starts, goals)

Each package re-exports its own objects too (``diffplan.prior``, ``diffplan.inference``, ``diffplan.planning``,
``diffplan.evaluation``, ``diffplan.training``, ``diffplan.irl``, ``diffplan.rl``, ``diffplan.data``).
"""

from diffplan.errors import UserError
from diffplan.lazy_exports import lazy_exports

__version__ = "0.1.0"

# public name → the module that defines it
PUBLIC = {
    # trained models
    "from_pretrained": "diffplan.pretrained",
    "export_trained": "diffplan.training.trained_state",
    "load_prior": "diffplan.prior.prior_checkpoint",
    "TrainedPrior": "diffplan.prior.prior_checkpoint",
    "load_return_model": "diffplan.inference.return_model_checkpoint",
    "load_reward": "diffplan.irl.reward_checkpoint",
    "PolicyActor": "diffplan.rl.actor",
    # planning: the posterior p(tau | O) and the closed-loop planner
    "DiffusionPlanner": "diffplan.planning.diffusion_planner",
    "PlanSamples": "diffplan.planning.diffusion_planner",
    "PlannerConfig": "diffplan.planning.planner_config",
    "PosteriorConfig": "diffplan.inference.posterior_config",
    "PosteriorSampler": "diffplan.inference.posterior_sampler",
    "Likelihood": "diffplan.inference.likelihood",
    "KnownReward": "diffplan.inference.known_reward",
    "plan_checkpoint": "diffplan.planning.plan_files",
    "PlanConfig": "diffplan.planning.plan_files",
    # training
    "train_prior": "diffplan.prior.prior_training",
    "PriorConfig": "diffplan.prior.prior_config",
    "train_return_model": "diffplan.inference.return_model_training",
    "ReturnModelRunConfig": "diffplan.inference.return_model_run_config",
    "train_reward": "diffplan.irl.reward_training",
    "RewardConfig": "diffplan.irl.reward_config",
    "train_rl": "diffplan.rl.rl_training",
    "RLRunConfig": "diffplan.rl.rl_config",
    # data, evaluation and the whole chain
    "RECIPES": "diffplan.data.recipes",
    "TrajectoryBuffer": "diffplan.data.trajectory_buffer",
    "evaluate_actor": "diffplan.evaluation.rollouts",
    "evaluate_checkpoint": "diffplan.evaluation.checkpoint_evaluation",
    "EvaluationConfig": "diffplan.evaluation.checkpoint_evaluation",
    "run_pipeline": "diffplan.pipeline",
    "PipelineConfig": "diffplan.pipeline",
    "load_config": "diffplan.config",
    "config_path": "diffplan.config",
}

__all__ = ["UserError", *sorted(PUBLIC)]
__getattr__, __dir__ = lazy_exports(__name__, PUBLIC)
