"""The planner: observations → plans from the posterior → actions, in closed loop, batched over environments.

``DiffusionPlanner`` is a :class:`~diffplan.evaluation.vector_actor.VectorActor`: it drives every
sub-environment of a gymnasium vector env at once and samples the plans of all environments that need
one in a single batch. Each environment plans at the start of its episode and again every
``replan_every`` steps, and acts on its current plan in between. It also follows the single-environment
:class:`~diffplan.data.policies.Policy` protocol (``reset``, ``__call__``), so the collector can drive it.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import torch
from einops import rearrange, repeat

from diffplan.errors import UserError
from diffplan.inference.known_reward import KnownReward
from diffplan.inference.likelihood import Likelihood
from diffplan.inference.posterior_sampler import PosteriorSampler
from diffplan.inference.return_model_checkpoint import load_return_model
from diffplan.irl.reward_checkpoint import load_reward
from diffplan.planning.action_extraction import inverse_dynamics_actions, planned_actions, track_waypoints
from diffplan.planning.arrival_time import followable_arrival, shortest_unbroken
from diffplan.planning.data_support import DataSupport, outside_length
from diffplan.planning.goal_conditions import plan_conditions
from diffplan.planning.goal_reward import goal_distance_reward
from diffplan.planning.path_pursuit import pursuit_actions
from diffplan.planning.planner_config import PlannerConfig
from diffplan.prior.prior_checkpoint import TrainedPrior, load_prior
from diffplan.rl.critic_checkpoint import load_critic


@dataclass
class EpisodeRecord:
    """What the planner saw and planned during one episode (environment units).

    Attributes:
        states: ``(S,)`` state at each step.
        plans: list of ``(step, plan states (H, S))``.
        goal_rows: the row of each plan's goal (its arrival; the last row without goal inpainting).
        goal: ``(G,)`` or None.
        episode: the episode's number (its reset seed minus the evaluation seed); its draws come from a
            generator of (planner seed, episode), so they do not depend on the episodes beside it.
    """

    states: list[np.ndarray] = field(default_factory=list)
    plans: list[tuple[int, np.ndarray]] = field(default_factory=list)
    goal_rows: list[int] = field(default_factory=list)
    goal: np.ndarray | None = None
    episode: int = 0


@dataclass
class PlanSamples:
    """Plans for B problems in environment units, and how they were chosen.

    Attributes:
        plans: ``(B, H, A + S)`` rows ``[a, s]``.
        log_likelihood: ``(B,)`` log p(O | plan) (zeros without a reward).
        candidates: ``(B, N, H, A + S)`` the candidates or SMC particles each plan was chosen from.
        log_weights: ``(B, N)`` their self-normalised log-weights (uniform for guided and prior samples).
        candidate_log_likelihood: ``(B, N)`` log p(O | candidate).
        diagnostics: the sampler's: ``ess`` ``(T, B)`` and ``log_evidence`` ``(B,)`` (SMC), ``guidance_clipped``
            ``(B,)`` (steps at which the guidance was clipped, moving the sample off its target).
    """

    plans: torch.Tensor
    log_likelihood: torch.Tensor
    candidates: torch.Tensor
    log_weights: torch.Tensor
    candidate_log_likelihood: torch.Tensor
    diagnostics: dict[str, torch.Tensor] = field(default_factory=dict)


class DiffusionPlanner:
    """Acts by planning with a trained prior; keeps a record of each episode (in start order) for plots.

    ``DiffusionPlanner.from_pretrained(path, config)`` builds one from an export, a run folder or a checkpoint.
    """

    def __init__(self, prior: TrainedPrior, config: PlannerConfig, device: str | torch.device = "cpu"):
        check_planner_config(config, prior)
        self.prior = prior
        self.config = config
        self.device = torch.device(device)
        self.generator = torch.Generator(device=self.device).manual_seed(config.seed)
        self.episodes: list[EpisodeRecord] = []
        self.return_model = load_return_model(config.return_model, self.device) if config.reward == "return_model" \
            else None
        self.learned_reward = load_reward(config.reward_model, self.device) if config.reward == "learned_reward" \
            else None
        self.critic = load_critic(config.critic, self.device) if config.reward == "critic" else None
        if self.critic is not None and (self.critic.state_dim, self.critic.action_dim) != (
                prior.config.model.transition_dim - prior.action_dim, prior.action_dim):
            raise UserError(f"planner.critic '{config.critic}' was trained on {self.critic.dataset_id}, whose states "
                            f"and actions do not match the prior's ({prior.config.data.dataset_id}); pass a train-rl "
                            "run of the prior's dataset")
        self.support = DataSupport.of_dataset(prior.config.data.dataset_id, prior.layout,
                                              config.waypoint_position_dims, config.support_resolution) \
            if config.support_resolution > 0 else None
        self._slots = 0
        self._low, self._high = np.array(-1.0), np.array(1.0)

    @classmethod
    def from_pretrained(cls, path: str | Path, config: PlannerConfig | None = None,
                        device: str | torch.device = "cpu") -> DiffusionPlanner:
        """The planner of the prior at ``path`` (a ``diffplan export`` folder, a train-prior run or checkpoint)."""
        return cls(load_prior(path, device), config or PlannerConfig(), device)

    def likelihood(self, goals: torch.Tensor | None) -> Likelihood | None:
        """log p(O | tau) of the configured reward, for goals ``(B, G)`` where the reward needs them."""
        config = self.config
        if config.reward == "goal_distance":
            if goals is None:
                raise UserError("planner.reward=goal_distance needs goals, but the observations have no goal key")
            reward = goal_distance_reward(goals, config.goal_state_dims)
            return KnownReward(reward, self.prior.action_dim, self.prior.normalizer, alpha=config.alpha)
        if config.reward == "return_model":
            return self.return_model.likelihood(config.alpha, standardised=config.return_units == "std")
        if config.reward == "learned_reward":
            return self.learned_reward.likelihood(self.prior.normalizer, config.alpha)
        if config.reward == "critic":
            return self.critic.likelihood(self.prior.normalizer, self.prior.action_dim, config.alpha,
                                          config.critic_pessimism)
        return None

    def sample_plans(self, states: torch.Tensor, goals: torch.Tensor | None = None,
                     previous: torch.Tensor | None = None, goal_rows: torch.Tensor | None = None,
                     generators: list[torch.Generator] | None = None, likelihood: Likelihood | None = None
                     ) -> PlanSamples:
        """Plans from p(tau | start, goal, O) for states ``(B, S)`` (and goals ``(B, G)``), in environment units,
        with the candidates they were chosen from, their weights and log-likelihoods and the sampler's
        diagnostics (SMC's ESS and log-evidence, guidance clipping).

        Args:
            likelihood: p(O | tau) to sample under, e.g. a ``KnownReward`` of a reward written by the user;
                default: the configured ``reward``.
            previous: the last plans ``(B, H, A + S)`` (environment units), already shifted to the current
                step, to warm-start from.
            goal_rows: ``(B,)`` rows where inpainted goals are fixed (default: the last row).
            generators: one per problem (its episode's stream); default: the planner's own generator.
        """
        prior, config = self.prior, self.config
        goals = goals.to(self.device) if goals is not None else None
        conditions = plan_conditions(
            states.to(self.device), prior.normalizer, prior.horizon, prior.action_dim,
            goals if prior.inpaint_goal else None, config.goal_state_dims, config.rest_at_goal_dims, goal_rows,
        )
        # previous plans come shifted by the steps each environment executed since it was made
        posterior = dataclasses.replace(config.posterior, warm_start_shift=0)
        likelihood = likelihood if likelihood is not None else self.likelihood(goals)
        sampler = PosteriorSampler(prior.denoiser(conditions, goal_rows), likelihood, posterior)
        warm = prior.normalizer.normalize(previous.to(self.device)) if previous is not None else None
        samples = sampler.sample(conditions, generator=generators or self.generator, warm_start=warm)
        return PlanSamples(plans=prior.normalizer.unnormalize(samples.plans), log_likelihood=samples.values,
                           candidates=prior.normalizer.unnormalize(samples.candidates),
                           log_weights=samples.log_weights, candidate_log_likelihood=samples.candidate_values,
                           diagnostics={k: v for k, v in samples.diagnostics.items() if v is not None})

    def plan(self, states: torch.Tensor, goals: torch.Tensor | None = None, previous: torch.Tensor | None = None,
             goal_rows: torch.Tensor | None = None, generators: list[torch.Generator] | None = None
             ) -> torch.Tensor:
        """The plans ``(B, H, A + S)`` of :meth:`sample_plans`, in environment units."""
        return self.sample_plans(states, goals, previous, goal_rows, generators).plans

    # The VectorActor protocol -------------------------------------------------------------------------
    def start(self, envs: gym.vector.VectorEnv, slots: np.ndarray, obs: Any, infos: dict[str, Any],
              episodes: np.ndarray | None = None) -> None:
        """New episodes in sub-environments ``slots`` of ``envs``: forget their plans, open their records."""
        self._start(envs.num_envs, envs.single_action_space, slots, obs, episodes)

    def act(self, obs: Any, infos: dict[str, Any], active: np.ndarray) -> np.ndarray:
        """Actions ``(N, A)`` for batched observations; plans first for the active slots that are due."""
        layout, config, horizon = self.prior.layout, self.config, self.prior.horizon
        states = layout.state(obs).astype(np.float32)
        for slot in np.flatnonzero(active):
            self._records[slot].states.append(states[slot])
        if config.replan_when_stalled > 0:  # no progress along the plan for that long: draw a fresh first plan
            self._has_plan &= ~(active & (self._stalled >= config.replan_when_stalled))
        due = active & (~self._has_plan | ((config.replan_every > 0) & (self._since >= config.replan_every)))
        if due.any():
            self._replan(due, states)
        actions = np.zeros((self._slots, self.prior.action_dim), dtype=np.float32)
        rows = np.flatnonzero(active)
        plan_states = self._plans[rows, :, self.prior.action_dim:]
        since, last_row = self._since[rows] // self.prior.stride, np.minimum(self._goal_rows[rows], horizon - 1)
        if config.action == "first_action":
            chosen = planned_actions(self._plans[rows, :, : self.prior.action_dim], since)
        elif config.action == "inverse_dynamics":
            chosen = inverse_dynamics_actions(self.prior.inverse_dynamics, self.prior.normalizer, self.prior.action_dim,
                                              plan_states, since, last_row, states[rows])
        elif config.action == "pursuit":
            position, velocity = config.waypoint_position_dims, config.waypoint_velocity_dims
            before = self._progress[rows]
            chosen, self._progress[rows] = pursuit_actions(
                plan_states[..., position], last_row, before, states[rows][:, position],
                states[rows][:, velocity], config.lookahead, config.pursuit_search, config.kp, config.kd)
            moved_on = (self._progress[rows] > before) | (self._progress[rows] >= last_row)
            self._stalled[rows] = np.where(moved_on, 0, self._stalled[rows] + 1)
        else:
            chosen = track_waypoints(plan_states, since, last_row, states[rows], config.waypoint_position_dims,
                                     config.waypoint_velocity_dims, config.kp, config.kd)
        actions[rows] = np.clip(chosen, self._low, self._high)
        self._since[rows] += 1
        self._steps[rows] += 1
        return actions

    def _start(self, num_envs: int, space: gym.Space, slots: np.ndarray, obs: Any,
               episodes: np.ndarray | None = None) -> None:
        if num_envs != self._slots:
            horizon, width = self.prior.horizon, self.prior.config.model.transition_dim
            self._slots = num_envs
            self._plans = np.zeros((num_envs, horizon, width), dtype=np.float32)
            self._has_plan = np.zeros(num_envs, dtype=bool)
            self._since = np.zeros(num_envs, dtype=np.int64)
            self._progress = np.zeros(num_envs, dtype=np.int64)
            self._stalled = np.zeros(num_envs, dtype=np.int64)
            self._steps = np.zeros(num_envs, dtype=np.int64)
            self._goal_rows = np.full(num_envs, horizon - 1, dtype=np.int64)
            self._records: list[EpisodeRecord | None] = [None] * num_envs
            self._streams: list[torch.Generator | None] = [None] * num_envs
        self._low, self._high = np.asarray(space.low), np.asarray(space.high)
        goals = self.prior.layout.goal(obs) if self.prior.layout.goal_key else None
        if episodes is None:  # numbered in start order (the single-environment protocol)
            episodes = len(self.episodes) + np.arange(len(slots))
        for slot, episode in zip(slots, episodes, strict=True):
            self._has_plan[slot], self._since[slot], self._steps[slot] = False, 0, 0
            self._goal_rows[slot] = self.prior.horizon - 1
            self._records[slot] = EpisodeRecord(goal=None if goals is None else np.asarray(goals[slot]),
                                                episode=int(episode))
            self._streams[slot] = episode_stream(self.config.seed, int(episode), self.device)
            self.episodes.append(self._records[slot])

    def _replan(self, due: np.ndarray, states: np.ndarray) -> None:
        """New plans for the ``due`` slots: warm-started ones and fresh ones in (at most) two batches."""
        config, horizon = self.config, self.prior.horizon
        replanned = due & self._has_plan
        rows_done = self._since[replanned] // self.prior.stride
        self._goal_rows[replanned] = np.maximum(self._goal_rows[replanned] - rows_done,
                                                min(config.min_goal_steps, horizon - 1))
        warm = replanned if config.warm_start else np.zeros_like(due)
        for group in (warm, due & ~warm):
            rows = np.flatnonzero(group)
            if len(rows) == 0:
                continue
            goals = None
            if self._records[rows[0]].goal is not None:
                goals = torch.as_tensor(np.stack([self._records[r].goal for r in rows]), dtype=torch.float32)
            if group is warm:
                plans = self.plan(torch.as_tensor(states[rows]), goals, torch.as_tensor(self._shifted(rows)),
                                  torch.as_tensor(self._goal_rows[rows]),
                                  [self._streams[r] for r in rows]).cpu().numpy()
            else:
                plans = self._fresh_plans(rows, torch.as_tensor(states[rows]), goals)
            self._plans[rows] = plans
            for row, plan in zip(rows, plans, strict=True):
                self._records[row].plans.append((int(self._steps[row]), plan[:, self.prior.action_dim:]))
                self._records[row].goal_rows.append(int(self._goal_rows[row]))
        self._has_plan[due] = True
        self._since[due] = 0
        self._progress[due] = 0
        self._stalled[due] = 0

    def _fresh_plans(self, rows: np.ndarray, states: torch.Tensor, goals: torch.Tensor | None) -> np.ndarray:
        """First plans of the episodes in ``rows``; with ``arrival_steps``, one per candidate arrival (one
        batch), keeping the one ``arrival_choice`` prefers and its goal row."""
        steps = self.config.arrival_steps
        streams = [self._streams[r] for r in rows]
        if not steps or goals is None:  # check_planner_config: arrival_steps only with goal inpainting
            return self.plan(states, goals, None, torch.as_tensor(self._goal_rows[rows]), streams).cpu().numpy()
        k, batch = len(steps), len(rows)
        candidates = self.plan(repeat(states, "b s -> (k b) s", k=k), repeat(goals, "b g -> (k b) g", k=k), None,
                               torch.as_tensor(steps).repeat_interleave(batch), streams * k)
        candidates = rearrange(candidates, "(k b) h d -> k b h d", k=k)
        plan_states, dims = candidates[..., self.prior.action_dim:], self.config.waypoint_position_dims
        if self.config.arrival_choice == "smallest_move":
            pick = followable_arrival(plan_states, steps, dims)
        else:
            outside = None
            if self.support is not None:
                goal_rows = torch.as_tensor(steps, device=candidates.device).repeat_interleave(batch)
                length = outside_length(self.support, rearrange(plan_states[..., dims], "k b h p -> (k b) h p"),
                                        goal_rows)
                outside = rearrange(length, "(k b) -> k b", k=k)
            pick = shortest_unbroken(plan_states, steps, dims, self.config.jump_ratio, outside,
                                     self.config.support_resolution)
        self._goal_rows[rows] = np.asarray(steps)[pick.cpu().numpy()]
        return candidates[pick, torch.arange(batch, device=pick.device)].cpu().numpy()

    def _shifted(self, rows: np.ndarray) -> np.ndarray:
        """The current plans of ``rows`` moved forward by the steps taken since, last row repeated."""
        index = np.minimum(self._since[rows, None] // self.prior.stride + np.arange(self.prior.horizon),
                           self.prior.horizon - 1)
        return self._plans[rows[:, None], index]

    # The single-environment Policy protocol (collection) -----------------------------------------------
    def reset(self, env: gym.Env, obs: Any, info: dict[str, Any]) -> None:
        self._start(1, env.action_space, np.array([0]), _batch(obs))

    def __call__(self, obs: Any, info: dict[str, Any]) -> np.ndarray:
        return self.act(_batch(obs), {}, np.array([True]))[0]


def episode_stream(seed: int, episode: int, device: torch.device) -> torch.Generator:
    """The generator of one episode's draws (plans, SMC noise, resampling), seeded by (seed, episode)."""
    state = int(np.random.SeedSequence([seed, episode]).generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))
    return torch.Generator(device=device).manual_seed(state)


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
    if config.arrival_steps and not prior.inpaint_goal:
        raise UserError("planner.arrival_steps needs a prior trained with inpaint_goal=true; set arrival_steps=[]")
    if any(not 1 <= step < prior.horizon for step in config.arrival_steps):
        raise UserError(f"planner.arrival_steps must lie in 1..{prior.horizon - 1} (rows of the prior's horizon "
                        f"{prior.horizon}), got {config.arrival_steps}")
    if config.reward == "return_model" and not config.return_model:
        raise UserError("planner.reward=return_model needs planner.return_model=<train-return-model run folder>")
    if config.return_units == "std" and config.reward != "return_model":
        raise UserError(f"planner.return_units=std measures a return model's J in return standard deviations, but "
                        f"planner.reward={config.reward}; set return_units=return or reward=return_model")
    if config.reward == "none" and config.posterior.select in ("elite_mean", "elite_mode"):
        raise UserError(f"planner.posterior.select={config.posterior.select} ranks plans by a reward, but "
                        "planner.reward=none; set planner.reward (goal_distance, return_model, learned_reward, "
                        "critic) or use select=draw|mean")
    if config.reward == "learned_reward" and not config.reward_model:
        raise UserError("planner.reward=learned_reward needs planner.reward_model=<train-reward run folder>")
    if config.reward == "critic" and not config.critic:
        raise UserError("planner.reward=critic needs planner.critic=<train-rl run folder (awr or kl_sac)>")
    if config.action == "inverse_dynamics" and prior.inverse_dynamics is None:
        raise UserError("planner.action=inverse_dynamics needs a prior trained with an inverse-dynamics model; "
                        "retrain with inverse_dynamics.hidden_dims=[256,256] or use action=first_action|waypoints")
    if prior.stride > 1 and config.action in ("first_action", "inverse_dynamics"):
        raise UserError(f"planner.action={config.action} needs consecutive plan rows, but the prior was trained with "
                        f"data.stride={prior.stride}; use action=pursuit or action=waypoints")
    if config.support_resolution < 0 or (config.support_resolution and config.arrival_choice != "shortest_path"):
        raise UserError(f"planner.support_resolution must be 0 or, with arrival_choice=shortest_path, positive; got "
                        f"{config.support_resolution}")
    if config.alpha <= 0:
        raise UserError(f"planner.alpha must be positive, got {config.alpha}")
    if not 0 <= config.critic_pessimism < math.inf:
        raise UserError(f"planner.critic_pessimism must be a finite number >= 0 (1 = the twin critic's minimum), got "
                        f"{config.critic_pessimism}")
    if config.replan_when_stalled < 0 or (config.replan_when_stalled and config.action != "pursuit"):
        raise UserError(f"planner.replan_when_stalled must be 0 or, with action=pursuit, positive; got "
                        f"{config.replan_when_stalled} with action={config.action}")
    if config.replan_every < 0:
        raise UserError(f"planner.replan_every must not be negative, got {config.replan_every}")
    if config.min_goal_steps < 1:
        raise UserError(f"planner.min_goal_steps must be positive, got {config.min_goal_steps}")
    dims = [*config.waypoint_position_dims, *config.waypoint_velocity_dims, *config.goal_state_dims,
            *config.rest_at_goal_dims] if config.action in ("waypoints", "pursuit") else []
    bad = [d for d in dims if not 0 <= d < state_dim]
    if bad:
        raise UserError(f"planner state dimensions {bad} are outside the prior's {state_dim} state dimensions; "
                        "fix planner.waypoint_*_dims / goal_state_dims / rest_at_goal_dims")
    if config.action in ("waypoints", "pursuit") and \
            len(config.waypoint_position_dims) != len(config.waypoint_velocity_dims):
        raise UserError("planner.waypoint_position_dims and waypoint_velocity_dims must have the same length")
    if not config.jump_ratio > 0 or config.jump_ratio == float("inf"):
        raise UserError(f"planner.jump_ratio must be a positive finite number, got {config.jump_ratio}")
    if not (config.lookahead > 0 and config.pursuit_search > 0):
        raise UserError(f"planner.lookahead and planner.pursuit_search must be positive, got {config.lookahead} and "
                        f"{config.pursuit_search}")
