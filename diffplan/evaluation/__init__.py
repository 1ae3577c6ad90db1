"""Evaluation of actors (planners, policies) by rollouts in an environment."""

from diffplan.evaluation.rollouts import EvaluationResult, evaluate_actor, normalized_scores

__all__ = ["EvaluationResult", "evaluate_actor", "normalized_scores"]
