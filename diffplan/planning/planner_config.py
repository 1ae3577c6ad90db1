"""Configuration of the closed-loop planner (what it samples, and how plans become actions)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from diffplan.inference.posterior_config import PosteriorConfig


def unguided() -> PosteriorConfig:
    return PosteriorConfig(method="prior", particles=1, num_steps=0)


@dataclass
class PlannerConfig:
    """How the planner samples plans from p(tau | O) and acts on them.

    Attributes:
        posterior: the sampler (method, solver, steps, guidance, particles, selection, warm start).
        reward: the likelihood p(O | tau) ∝ exp(Σ r / alpha): ``none`` (prior samples only),
            ``goal_distance`` (r = exp(−‖position − goal‖), PointMaze's dense reward, known in closed form),
            ``return_model`` (a ``train-return-model`` run's J(x_t, t)), ``learned_reward`` (a ``train-reward``
            run's r_phi) or ``critic`` (a ``train-rl`` run's Q(s_0, a_0) of the plan's first row: the value of
            the offline-RL policy that would continue it, :mod:`~diffplan.inference.critic_likelihood`).
        alpha: temperature of the likelihood.
        return_units: ``reward: return_model`` only: J in the dataset's return units (``return``) or in standard
            deviations of the returns-to-go it was trained on (``std``), which makes alpha and
            ``posterior.guidance_scale`` mean the same on every dataset (a random-heavy dataset's returns spread
            wider; a pendulum's are hundreds where a reacher's are a few).
        return_model: run folder or checkpoint of ``diffplan train-return-model`` (for ``reward: return_model``).
        reward_model: run folder or checkpoint of ``diffplan train-reward`` (for ``reward: learned_reward``).
        critic: run folder or checkpoint of ``diffplan train-rl`` (AWR or KL-SAC, for ``reward: critic``).
        critic_pessimism: ``reward: critic``: the plan's value is the critics' mean less this many of their
            standard deviations (a lower confidence bound); 1 is the twin critic's minimum, 0 their mean, more
            trusts less the first actions on which the critics disagree (out of the data's support).
        warm_start: start each new plan from the previous one, shifted and re-noised
            (``posterior.warm_start_noise_level``).
        replan_every: plan again after this many environment steps; 0 = plan once per episode (Diffuser's
            maze setting). With an inpainted goal, a new plan keeps the arrival time of the one it replaces
            (the goal moves to an earlier row), but no earlier than ``min_goal_steps`` ahead.
        min_goal_steps: least number of steps ahead that a replanned goal is fixed at.
        replan_when_stalled: ``pursuit``: after this many steps without progress along the plan (stuck at a
            corner, or on a plan that crosses a wall), draw a fresh first plan from where the agent is (with the
            ``arrival_steps`` choice); 0 = never.
        arrival_steps: candidate rows for the inpainted goal of an episode's first plan (its arrival time),
            e.g. ``[31, 63, 95, 127]``: one plan is drawn for each, in one batch, and the one whose largest move
            between consecutive planned positions is smallest is kept (the one a controller can follow; a
            close goal need not be reached by a detour, nor a far one in too few steps). Empty = the last row
            (Diffuser). Repeated rows draw several plans for that arrival.
        arrival_choice: how the first plan is chosen among the ``arrival_steps`` candidates: ``smallest_move``
            (the smallest largest move between consecutive planned positions) or ``shortest_path`` (the shortest
            planned path among the candidates that do not jump, a move over ``jump_ratio`` times the plan's median
            move; :func:`~diffplan.planning.arrival_time.shortest_unbroken`).
        jump_ratio: ``shortest_path``: a move longer than this many median moves of its plan is a jump.
        support_resolution: ``shortest_path``: when positive, only the candidates whose planned paths pass
            outside the dataset's support least (grid cells of this side visited by its states, in
            ``waypoint_position_dims``; :mod:`~diffplan.planning.data_support`) compete; 0 = off.
        action: ``first_action`` executes the plan's actions (locomotion); ``inverse_dynamics`` asks the
            prior's inverse-dynamics model for the action reaching the next planned state (train the prior
            with ``inverse_dynamics.hidden_dims``); ``waypoints`` tracks the planned states row by row with a
            PD rule (mazes, the plan's timing); ``pursuit`` follows the plan's path, aiming the PD rule at the
            planned position ``lookahead`` ahead along it (mazes, as fast as the gains drive;
            :mod:`diffplan.planning.path_pursuit`).
        waypoint_position_dims, waypoint_velocity_dims: state dimensions of the tracked position and velocity.
        kp, kd: PD gains of ``waypoints``: a = kp·(p_plan − p) + kd·(v_plan − v), and of ``pursuit``:
            a = kp·(p_target − p) − kd·v, clipped to the action bounds.
        lookahead: ``pursuit``: distance from the agent to its target on the plan.
        pursuit_search: ``pursuit``: distance from the agent within which its progress on the plan is sought
            (progress never goes back, nor jumps to a later part of the path that passes nearby).
        goal_state_dims: state dimensions the goal (``desired_goal``) corresponds to: inpainted at the plan's
            last step when the prior was trained with goals, and compared with the goal by ``goal_distance``.
        rest_at_goal_dims: state dimensions fixed to 0 at an inpainted goal (velocities: arrive and stop).
        seed: seed of the planner's random generator.
    """

    posterior: PosteriorConfig = field(default_factory=unguided)
    reward: Literal["none", "goal_distance", "return_model", "learned_reward", "critic"] = "none"
    alpha: float = 1.0
    return_units: Literal["return", "std"] = "return"
    return_model: str = ""
    reward_model: str = ""
    critic: str = ""
    critic_pessimism: float = 1.0
    warm_start: bool = False
    replan_every: int = 0
    min_goal_steps: int = 16
    replan_when_stalled: int = 0
    arrival_steps: list[int] = field(default_factory=list)
    arrival_choice: Literal["smallest_move", "shortest_path"] = "smallest_move"
    jump_ratio: float = 4.0
    support_resolution: float = 0.0
    action: Literal["first_action", "inverse_dynamics", "waypoints", "pursuit"] = "waypoints"
    waypoint_position_dims: list[int] = field(default_factory=lambda: [0, 1])
    waypoint_velocity_dims: list[int] = field(default_factory=lambda: [2, 3])
    kp: float = 1.0
    kd: float = 1.0
    lookahead: float = 0.5
    pursuit_search: float = 0.5
    goal_state_dims: list[int] = field(default_factory=lambda: [0, 1])
    rest_at_goal_dims: list[int] = field(default_factory=lambda: [2, 3])
    seed: int = 0
