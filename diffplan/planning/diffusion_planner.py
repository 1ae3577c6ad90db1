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
from diffplan.inference.known_reward import KnownReward
from diffplan.inference.likelihood import Likelihood
from diffplan.inference.posterior_sampler import PosteriorSampler
from diffplan.inference.value_checkpoint import load_return_model
from diffplan.planning.action_extraction import first_action, track_waypoint
from diffplan.planning.goal_conditions import plan_conditions
from diffplan.planning.goal_reward import goal_distance_reward
from diffplan.planning.planner_config import PlannerConfig
from diffplan.prior.prior_checkpoint import TrainedPrior


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
        self.return_model = load_return_model(config.return_model, self.device) if config.reward == "return_model" \
            else None
        self._plan_states: np.ndarray | None = None
        self._plan_actions: np.ndarray | None = None
        self._since_plan = 0
        self._step = 0
        self._bounds: tuple[np.ndarray, np.ndarray] = (np.array(-1.0), np.array(1.0))

    def likelihood(self, goals: torch.Tensor | None) -> Likelihood | None:
        """log p(O | tau) of the configured reward, for goals ``(B, G)`` where the reward needs them."""
        config = self.config
        if config.reward == "goal_distance":
            if goals is None:
                raise UserError("planner.reward=goal_distance needs goals, but the observations have no goal key")
            reward = goal_distance_reward(goals, config.goal_state_dims)
            return KnownReward(reward, self.prior.action_dim, self.prior.normalizer, alpha=config.alpha)
        if config.reward == "return_model":
            return self.return_model.likelihood(config.alpha)
        return None

    def plan(self, states: torch.Tensor, goals: torch.Tensor | None, previous: torch.Tensor | None = None
             ) -> torch.Tensor:
        """Plans ``(B, H, A + S)`` in environment units from states ``(B, S)`` (and goals ``(B, G)``).

        ``previous``: the last plans ``(B, H, A + S)`` (environment units) to warm-start from.
        """
        prior, config = self.prior, self.config
        goals = goals.to(self.device) if goals is not None else None
        conditions = plan_conditions(
            states.to(self.device), prior.normalizer, prior.horizon, prior.action_dim,
            goals if prior.inpaint_goal else None, config.goal_state_dims, config.rest_at_goal_dims,
        )
        sampler = PosteriorSampler(prior.diffusion, self.likelihood(goals), config.posterior)
        warm = prior.normalizer.normalize(previous.to(self.device)) if previous is not None else None
        samples = sampler.sample(conditions, generator=self.generator, warm_start=warm)
        return prior.normalizer.unnormalize(samples.plans)

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
            previous = None
            if self.config.warm_start and self._plan_states is not None:
                previous = torch.as_tensor(np.concatenate([self._plan_actions, self._plan_states], axis=1))[None]
            plan = self.plan(torch.as_tensor(state)[None], goal, previous)[0].cpu().numpy()
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
    total = prior.config.diffusion.num_train_timesteps
    if config.posterior.num_steps > total:
        raise UserError(f"planner.posterior.num_steps must be at most the prior's {total} training timesteps, got "
                        f"{config.posterior.num_steps}")
    if config.reward == "return_model" and not config.return_model:
        raise UserError("planner.reward=return_model needs planner.return_model=<train-value run folder>")
    if config.alpha <= 0:
        raise UserError(f"planner.alpha must be positive, got {config.alpha}")
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
