"""The planner: plans from the posterior p(tau | O) of a trained prior, and actions from plans in closed loop."""

from diffplan.lazy_exports import lazy_exports

# public name → the module that defines it
PUBLIC = {
    "DiffusionPlanner": "diffplan.planning.diffusion_planner",
    "draw_plans": "diffplan.planning.plan_draws",
    "EpisodeRecord": "diffplan.planning.diffusion_planner",
    "plan_checkpoint": "diffplan.planning.plan_files",
    "PlanConfig": "diffplan.planning.plan_files",
    "PlanDraws": "diffplan.planning.plan_draws",
    "PlannerConfig": "diffplan.planning.planner_config",
    "PlanSamples": "diffplan.planning.diffusion_planner",
}

__all__ = sorted(PUBLIC)
__getattr__, __dir__ = lazy_exports(__name__, PUBLIC)
