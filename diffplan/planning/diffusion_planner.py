"""The planner: observation → plan from the posterior → action, in closed loop.

``DiffusionPlanner`` follows the :class:`~diffplan.data.policies.Policy` protocol, so the same evaluation
and collection code drives it as any other actor. It plans from the current state (and goal), then acts
on the plan until it plans again (every ``replan_every`` steps, or once per episode).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import gymnasium as gym
import numpy as np
import torch

from diffplan.errors import UserError
from diffplan.planning.action_extraction import first_action, track_waypoint
from diffplan.planning.goal_conditions import plan_conditions
from diffplan.planning.planner_config import PlannerConfig
from diffplan.prior.prior_checkpoint import TrainedPrior
from diffplan.prior.sampling import sample


@dataclass
class EpisodeRecord:
    """What the planner saw and planned during one episode (environment units).

    Attributes:
        states: ``(T, S)`` states at each step.
        plans: list of ``(step, plan states (H, S))``.
        goal: ``(G,)`` or None.
    """

    states: list[np.ndarray] = field(default_factory=list)
    plans: list[tuple[int, np.ndarray]] = field(default_factory=list)
    goal: np.ndarray | None = None


class DiffusionPlanner:
    """Acts by planning with a trained prior; keeps a record of each episode for plots."""

    def __init__(self, prior: TrainedPrior, config: PlannerConfig, device: str | torch.device = "cpu"):
        check_planner_config(config, prior)
        self.prior = prior
        self.config = config
        self.device = torch.device(device)
        self.generator = torch.Generator(device=self.device).manual_seed(config.seed)
        self.episodes: list[EpisodeRecord] = []
        self._plan_states: np.ndarray | None = None
        self._plan_actions: np.ndarray | None = None
        self._since_plan = 0
        self._step = 0
        self._bounds: tuple[np.ndarray, np.ndarray] = (np.array(-1.0), np.array(1.0))

    def plan(self, states: torch.Tensor, goals: torch.Tensor | None) -> torch.Tensor:
        """Plans ``(B, H, A + S)`` in environment units from states ``(B, S)`` (and goals ``(B, G)``)."""
        prior, config = self.prior, self.config
        conditions = plan_conditions(
            states.to(self.device), prior.normalizer, prior.horizon, prior.action_dim,
            goals.to(self.device) if goals is not None and prior.inpaint_goal else None,
            config.goal_state_dims, config.rest_at_goal_dims,
        )
        steps = config.num_steps or None
        plans = sample(prior.diffusion, tuple(conditions.shape), conditions, config.scheduler, steps, self.generator)
        return prior.normalizer.unnormalize(plans)

    # The Policy protocol ------------------------------------------------------------------------------
    def reset(self, env: gym.Env, obs: Any, info: dict[str, Any]) -> None:
        space = env.action_space
        self._bounds = (np.asarray(space.low), np.asarray(space.high))
        self._plan_states = None
        self._step = 0
        goal = self.prior.layout.goal(_batch(obs)) if self.prior.layout.goal_key else None
        self.episodes.append(EpisodeRecord(goal=None if goal is None else goal[0]))

    def __call__(self, obs: Any, info: dict[str, Any]) -> np.ndarray:
        record = self.episodes[-1]
        state = self.prior.layout.single_state(obs).astype(np.float32)
        record.states.append(state)
        due = self.config.replan_every and self._since_plan >= self.config.replan_every
        if self._plan_states is None or due:
            goal = None if record.goal is None else torch.as_tensor(record.goal, dtype=torch.float32)[None]
            plan = self.plan(torch.as_tensor(state)[None], goal)[0].cpu().numpy()
            self._plan_actions = plan[:, : self.prior.action_dim]
            self._plan_states = plan[:, self.prior.action_dim:]
            self._since_plan = 0
            record.plans.append((self._step, self._plan_states))
        if self.config.action == "first_action":
            action = np.clip(first_action(self._plan_actions, self._since_plan), *self._bounds).astype(np.float32)
        else:
            action = track_waypoint(self._plan_states, self._since_plan, state, self.config.waypoint_position_dims,
                                    self.config.waypoint_velocity_dims, self.config.kp, self.config.kd,
                                    *self._bounds)
        self._since_plan += 1
        self._step += 1
        return action


def _batch(obs: Any) -> Any:
    if isinstance(obs, dict):
        return {k: np.asarray(v)[None] for k, v in obs.items()}
    return np.asarray(obs)[None]


def check_planner_config(config: PlannerConfig, prior: TrainedPrior) -> None:
    """Raise UserError when the planner settings do not fit the prior."""
    state_dim = prior.config.model.transition_dim - prior.action_dim
    if config.num_steps < 0 or config.num_steps > prior.config.diffusion.num_train_timesteps:
        raise UserError(f"planner.num_steps must be in 0..{prior.config.diffusion.num_train_timesteps} (the prior's "
                        f"training timesteps), got {config.num_steps}")
    if config.replan_every < 0:
        raise UserError(f"planner.replan_every must not be negative, got {config.replan_every}")
    dims = [*config.waypoint_position_dims, *config.waypoint_velocity_dims, *config.goal_state_dims,
            *config.rest_at_goal_dims] if config.action == "waypoints" else []
    bad = [d for d in dims if not 0 <= d < state_dim]
    if bad:
        raise UserError(f"planner state dimensions {bad} are outside the prior's {state_dim} state dimensions; "
                        "fix planner.waypoint_*_dims / goal_state_dims / rest_at_goal_dims")
    if config.action == "waypoints" and len(config.waypoint_position_dims) != len(config.waypoint_velocity_dims):
        raise UserError("planner.waypoint_position_dims and waypoint_velocity_dims must have the same length")
