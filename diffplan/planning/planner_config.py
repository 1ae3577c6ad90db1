"""Configuration of the closed-loop planner (how plans become actions)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal


@dataclass
class PlannerConfig:
    """How the planner samples plans and acts on them.

    Attributes:
        scheduler: solver used at planning time: ``ddpm``, ``ddim`` or ``dpmsolver++``.
        num_steps: solver steps per plan; 0 = every training timestep.
        replan_every: plan again after this many environment steps; 0 = plan once per episode (Diffuser's
            maze setting).
        action: ``first_action`` executes the plan's first action (locomotion); ``waypoints`` tracks the
            planned states with a PD rule (mazes).
        waypoint_position_dims: state dimensions holding the position tracked by ``waypoints``.
        waypoint_velocity_dims: state dimensions holding the matching velocity.
        kp, kd: PD gains of ``waypoints``: a = kp·(p_plan − p) + kd·(v_plan − v), clipped to the action bounds.
        goal_state_dims: state dimensions that the goal (``desired_goal``) fixes at the plan's last step.
        rest_at_goal_dims: state dimensions fixed to 0 at the goal (velocities: arrive and stop).
        seed: seed of the planner's random generator.
    """

    scheduler: Literal["ddpm", "ddim", "dpmsolver++"] = "ddim"
    num_steps: int = 20
    replan_every: int = 0
    action: Literal["first_action", "waypoints"] = "waypoints"
    waypoint_position_dims: list[int] = field(default_factory=lambda: [0, 1])
    waypoint_velocity_dims: list[int] = field(default_factory=lambda: [2, 3])
    kp: float = 1.0
    kd: float = 1.0
    goal_state_dims: list[int] = field(default_factory=lambda: [0, 1])
    rest_at_goal_dims: list[int] = field(default_factory=lambda: [2, 3])
    seed: int = 0
