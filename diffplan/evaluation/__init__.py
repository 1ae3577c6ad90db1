"""Evaluation of actors (planners, policies) by rollouts in an environment, with baselines on the same episodes."""

from diffplan.lazy_exports import lazy_exports

# public name → the module that defines it
PUBLIC = {
    "evaluate_actor": "diffplan.evaluation.rollouts",
    "evaluate_checkpoint": "diffplan.evaluation.checkpoint_evaluation",
    "EvaluationConfig": "diffplan.evaluation.checkpoint_evaluation",
    "EvaluationResult": "diffplan.evaluation.rollouts",
    "normalized_scores": "diffplan.evaluation.rollouts",
}

__all__ = sorted(PUBLIC)
__getattr__, __dir__ = lazy_exports(__name__, PUBLIC)
