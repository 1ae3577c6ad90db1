"""Independent draws from the posterior p(tau | O) for a batch of planning problems, with their diagnostics.

What ``diffplan plan`` writes: for each of P problems (start state, goal) N plans, each drawn by its own
run of the planner's posterior sampler (so the N plans are N samples of p(tau | start, goal, O)), with the
log-likelihood of each plan, the weights of the candidates or particles it was chosen from and, for SMC,
the effective sample size after every weight update and the log-evidence estimate.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from einops import rearrange

from diffplan.planning.diffusion_planner import DiffusionPlanner
from diffplan.progress import progress_bar


@dataclass
class PlanDraws:
    """N plans for each of P problems, in environment units.

    Attributes:
        plans: (P, N, H, A + S) rows ``[a, s]``.
        log_likelihood: (P, N) log p(O | plan) (zeros without a reward).
        candidate_log_weights: (P, N, K) self-normalised log-weights of the K candidates/particles each plan
            was chosen from.
        candidate_log_likelihood: (P, N, K) log p(O | candidate).
        ess: (T, P, N) effective sample size after each of SMC's T weight updates (None for other methods).
        log_evidence: (P, N) SMC's estimate of log E_prior[p(O | tau)] (None for other methods).
        guidance_clipped: (P, N) sampler steps at which the guidance of a draw's candidates was clipped (0: the
            sampler followed its target).
    """

    plans: np.ndarray
    log_likelihood: np.ndarray
    candidate_log_weights: np.ndarray
    candidate_log_likelihood: np.ndarray
    guidance_clipped: np.ndarray
    ess: np.ndarray | None = None
    log_evidence: np.ndarray | None = None

    def arrays(self) -> dict[str, np.ndarray]:
        """The draws as named arrays (those that exist)."""
        named = {"plans": self.plans, "log_likelihood": self.log_likelihood,
                 "candidate_log_weights": self.candidate_log_weights,
                 "candidate_log_likelihood": self.candidate_log_likelihood,
                 "guidance_clipped": self.guidance_clipped, "ess": self.ess, "log_evidence": self.log_evidence}
        return {name: array for name, array in named.items() if array is not None}


def draw_plans(planner: DiffusionPlanner, states: torch.Tensor, goals: torch.Tensor | None, num_plans: int,
               batch_size: int = 16, progress: bool = False) -> PlanDraws:
    """``num_plans`` posterior draws for each problem: states (P, S) and goals (P, G) in environment units.

    The sampler, likelihood and inpainting are the planner's (``planner.config``), so the draws are what the
    planner would act on from these states. Problems are sampled ``batch_size`` at a time (with their
    ``num_plans`` draws each), under a progress bar when ``progress``.
    """
    chunks = []
    starts = range(0, len(states), batch_size)
    for first in progress_bar(starts, enabled=progress, desc="sampling", unit="batch", total=len(starts)):
        rows = slice(first, first + batch_size)
        chunks.append(_draw_batch(planner, states[rows], None if goals is None else goals[rows], num_plans))
    joined = {name: np.concatenate([chunk[name] for chunk in chunks], axis=1 if name == "ess" else 0)
              for name in chunks[0]}
    return PlanDraws(**joined)


def _draw_batch(planner: DiffusionPlanner, states: torch.Tensor, goals: torch.Tensor | None, num_plans: int
                ) -> dict[str, np.ndarray]:
    samples = planner.sample_plans(states.repeat_interleave(num_plans, dim=0),
                                   goals.repeat_interleave(num_plans, dim=0) if goals is not None else None)

    def per_problem(tensor: torch.Tensor, pattern: str) -> np.ndarray:
        return rearrange(tensor.detach().float().cpu(), pattern, n=num_plans).numpy()

    draws = {
        "plans": per_problem(samples.plans, "(p n) h d -> p n h d"),
        "log_likelihood": per_problem(samples.log_likelihood, "(p n) -> p n"),
        "candidate_log_weights": per_problem(samples.log_weights, "(p n) k -> p n k"),
        "candidate_log_likelihood": per_problem(samples.candidate_log_likelihood, "(p n) k -> p n k"),
        "guidance_clipped": rearrange(samples.diagnostics["guidance_clipped"].cpu(), "(p n) -> p n",
                                      n=num_plans).numpy(),
    }
    if planner.config.posterior.method == "smc":
        draws["ess"] = per_problem(samples.diagnostics["ess"], "t (p n) -> t p n")
        draws["log_evidence"] = per_problem(samples.diagnostics["log_evidence"], "(p n) -> p n")
    return draws
