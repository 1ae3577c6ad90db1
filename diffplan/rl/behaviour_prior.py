"""The behaviour prior pi_beta(a | s) of control as inference, fit by behaviour cloning.

With p(a | s) = pi_beta(a | s) as the action prior, control as inference optimises
E[Σ r] − alpha · KL(pi || pi_beta). pi_beta is a :class:`~diffplan.rl.policy_network.TanhGaussianPolicy`
(one tanh-Gaussian, or a mixture for multimodal data) trained by maximum likelihood on dataset actions
(clipped ε inside the bounds). :class:`BehaviourCloning` trains one on its own with the shared trainer; the
RL learners embed :func:`behaviour_cloning_loss` as their first objective.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any

from torch import Tensor, nn

from diffplan.data.trajectory_buffer import Transitions
from diffplan.rl.policy_network import TanhGaussianPolicy
from diffplan.training.learner import Learner, Optimize


def behaviour_cloning_loss(behaviour_prior: TanhGaussianPolicy, states: Tensor, actions: Tensor) -> Tensor:
    """Negative log-likelihood −E log pi_beta(a | s) of states ``(B, S)`` and actions ``(B, A)`` in [−1, 1]."""
    return -behaviour_prior(states).log_prob(actions).mean()


class BehaviourCloning(Learner):
    """Maximum-likelihood fit of pi_beta on (s, a) pairs; batches are :class:`Transitions` in unit actions."""

    def __init__(self, state_dim: int, action_dim: int, hidden_dims: list[int] | tuple[int, ...] = (256, 256),
                 components: int = 1):
        super().__init__()
        self.state_dim, self.action_dim = state_dim, action_dim
        self.hidden_dims, self.components = list(hidden_dims), components
        self.behaviour_prior = TanhGaussianPolicy(state_dim, action_dim, hidden_dims, components)

    def optimizer_groups(self):
        return {"behaviour_prior": self.behaviour_prior.parameters()}

    def training_step(self, batch: Transitions, step: int, optimize: Optimize) -> dict[str, float]:
        loss = behaviour_cloning_loss(self.behaviour_prior, batch.states, batch.actions)
        optimize("behaviour_prior", loss)
        return {"behaviour_nll": loss.item()}

    def metadata(self) -> dict[str, Any]:
        return {"state_dim": self.state_dim, "action_dim": self.action_dim, "hidden_dims": self.hidden_dims,
                "components": self.components}


@contextmanager
def frozen(*modules: nn.Module):
    """Turn off parameter gradients of ``modules`` inside the block (gradients still flow to inputs)."""
    params = [p for m in modules for p in m.parameters() if p.requires_grad]
    for p in params:
        p.requires_grad_(False)
    try:
        yield
    finally:
        for p in params:
            p.requires_grad_(True)
