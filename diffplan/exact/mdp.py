"""A finite MDP for exact control as inference, stored as batched torch tensors.

Transitions are kept in successor-list form: from state ``s`` under action ``a`` the next state is
``next_state[b, s, a, k]`` with probability ``next_prob[b, s, a, k]``, for ``k < K``. ``next_state`` may
have a single action column, ``(B, S, 1, K)``, when all actions share one successor list (only the
probabilities differ); this halves the work of every backup. A dense MDP has ``K = S`` and
``next_state[b, s, 0, k] = k``; a gridworld has ``K`` = number of moves, so a 100x100 grid never
materialises an ``(S, A, S)`` matrix. Repeated successors are allowed (their probabilities add).

Shapes: ``B`` MDPs in a batch, ``S`` states, ``A`` actions, ``K`` successors per (state, action).
Unbatched tensors (no leading ``B``) are given a batch dimension of 1.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import torch
from einops import rearrange, repeat
from torch import Tensor

from diffplan.errors import UserError


def _sum_tolerance(dtype: torch.dtype) -> float:
    return 1e-6 if dtype == torch.float64 else 1e-4


@dataclass(frozen=True)
class TabularMDP:
    """A batch of finite MDPs sharing S, A, K, temperature and horizon/discount.

    Attributes:
        initial: ``(B, S)`` initial state distribution rho(s_0).
        next_state: ``(B, S, A, K)`` or ``(B, S, 1, K)`` (shared by all actions) int64 successor states.
        next_prob: ``(B, S, A, K)`` successor probabilities P(s' | s, a); sum over K is 1.
        reward: ``(B, S, A)`` reward r(s, a), finite.
        action_prior: ``(B, S, A)`` action prior p(a | s) of control as inference (uniform by default);
            zero entries forbid an action.
        alpha: temperature of the optimality likelihood p(O_t | s_t, a_t) = exp(r(s_t, a_t) / alpha).
        horizon: number of decisions T of the finite-horizon problem (``None`` for infinite horizon).
        discount: discount gamma of the infinite-horizon problem; 1.0 for the finite-horizon problem.
    """

    initial: Tensor
    next_state: Tensor
    next_prob: Tensor
    reward: Tensor
    action_prior: Tensor | None = None
    alpha: float = 1.0
    horizon: int | None = None
    discount: float = 1.0

    def __post_init__(self) -> None:
        if self.initial.ndim == 1:
            for name in ("initial", "next_state", "next_prob", "reward", "action_prior"):
                value = getattr(self, name)
                if value is not None:
                    object.__setattr__(self, name, rearrange(value, "... -> 1 ..."))
        if self.action_prior is None:
            uniform = torch.full_like(self.reward, 1.0 / self.reward.shape[-1])
            object.__setattr__(self, "action_prior", uniform)
        object.__setattr__(self, "alpha", float(self.alpha))
        object.__setattr__(self, "discount", float(self.discount))
        self._validate()

    # ------------------------------------------------------------------ validation
    def _validate(self) -> None:
        if self.initial.ndim != 2:
            raise UserError(f"initial must have shape (B, S) or (S,), got {tuple(self.initial.shape)}")
        B, S = self.initial.shape
        if self.reward.ndim != 3 or self.reward.shape[:2] != (B, S):
            raise UserError(f"reward must have shape (B, S, A) = ({B}, {S}, A), got {tuple(self.reward.shape)}")
        A = self.reward.shape[2]
        if self.next_state.ndim != 4 or self.next_state.shape[:2] != (B, S) or self.next_state.shape[2] not in (1, A):
            raise UserError(
                f"next_state must have shape (B, S, A, K) or (B, S, 1, K) with B={B}, S={S}, A={A}; "
                f"got {tuple(self.next_state.shape)}"
            )
        K = self.next_state.shape[3]
        if self.next_prob.shape != (B, S, A, K):
            raise UserError(
                f"next_prob must have shape (B, S, A, K) = ({B}, {S}, {A}, {K}) to match next_state, "
                f"got {tuple(self.next_prob.shape)}"
            )
        if self.action_prior.shape != (B, S, A):
            raise UserError(
                f"action_prior must have shape (B, S, A) = ({B}, {S}, {A}), got {tuple(self.action_prior.shape)}"
            )
        dtype = self.initial.dtype
        if not dtype.is_floating_point:
            raise UserError(f"initial must be a floating tensor (float64 recommended), got {dtype}")
        for name in ("next_prob", "reward", "action_prior"):
            if getattr(self, name).dtype != dtype:
                raise UserError(f"{name} has dtype {getattr(self, name).dtype}; convert it to {dtype} like initial")
        if self.next_state.dtype != torch.int64:
            raise UserError(f"next_state must be int64 state indices, got {self.next_state.dtype}")
        if S and (self.next_state.min() < 0 or self.next_state.max() >= S):
            raise UserError(f"next_state has indices outside [0, {S}); every successor must be a state")
        if not bool(torch.isfinite(self.reward).all()):
            raise UserError("reward has NaN or infinite entries; rewards must be finite")
        tol = _sum_tolerance(dtype)
        self._check_distribution(self.initial, "initial", "the initial distribution over states", tol)
        self._check_distribution(self.next_prob, "next_prob", "P(. | s, a) over the K successors", tol)
        self._check_distribution(self.action_prior, "action_prior", "p(a | s) over actions", tol)
        if not self.alpha > 0:
            raise UserError(f"alpha must be > 0 (temperature of exp(r / alpha)), got {self.alpha}")
        if self.horizon is not None and (not isinstance(self.horizon, int) or self.horizon < 1):
            raise UserError(f"horizon must be a positive int or None, got {self.horizon!r}")
        if not 0.0 < self.discount <= 1.0:
            raise UserError(f"discount must lie in (0, 1], got {self.discount}")

    @staticmethod
    def _check_distribution(p: Tensor, name: str, what: str, tol: float) -> None:
        if not bool(torch.isfinite(p).all()) or bool((p < 0).any()):
            raise UserError(f"{name} has negative or non-finite entries; it must be {what}")
        worst = (p.sum(-1) - 1.0).abs().max().item() if p.numel() else 0.0
        if worst > tol:
            raise UserError(f"{name} does not sum to 1 over its last axis (off by {worst:.3g}); normalise {what}")

    # ------------------------------------------------------------------ shapes
    @property
    def batch_size(self) -> int:
        return self.initial.shape[0]

    @property
    def num_states(self) -> int:
        return self.initial.shape[1]

    @property
    def num_actions(self) -> int:
        return self.reward.shape[2]

    @property
    def num_successors(self) -> int:
        return self.next_state.shape[3]

    @property
    def dtype(self) -> torch.dtype:
        return self.initial.dtype

    @property
    def device(self) -> torch.device:
        return self.initial.device

    # ------------------------------------------------------------------ derived tensors
    @property
    def log_next_prob(self) -> Tensor:
        """``(B, S, A, K)`` log P(s' | s, a) (``-inf`` where the probability is 0)."""
        return torch.log(self.next_prob)

    @property
    def log_action_prior(self) -> Tensor:
        """``(B, S, A)`` log p(a | s) (``-inf`` for forbidden actions)."""
        return torch.log(self.action_prior)

    def dense_transitions(self) -> Tensor:
        """``(B, S, A, S)`` dense P(s' | s, a); only for small MDPs."""
        dense = torch.zeros(
            (self.batch_size, self.num_states, self.num_actions, self.num_states),
            dtype=self.dtype,
            device=self.device,
        )
        return dense.scatter_add_(3, self.next_state.expand_as(self.next_prob), self.next_prob)

    def replace(self, **changes: object) -> TabularMDP:
        """A copy with some fields changed (validated again), e.g. ``mdp.replace(reward=r, alpha=0.1)``."""
        return dataclasses.replace(self, **changes)

    def to(self, device: torch.device | str | None = None, dtype: torch.dtype | None = None) -> TabularMDP:
        """A copy on ``device`` with floating tensors cast to ``dtype``."""
        float_kwargs = {"device": device, "dtype": dtype}
        return dataclasses.replace(
            self,
            initial=self.initial.to(**float_kwargs),
            next_state=self.next_state.to(device=device),
            next_prob=self.next_prob.to(**float_kwargs),
            reward=self.reward.to(**float_kwargs),
            action_prior=self.action_prior.to(**float_kwargs),
        )

    # ------------------------------------------------------------------ constructors
    @classmethod
    def from_dense(
        cls,
        initial: Tensor,
        transitions: Tensor,
        reward: Tensor,
        action_prior: Tensor | None = None,
        *,
        alpha: float = 1.0,
        horizon: int | None = None,
        discount: float = 1.0,
    ) -> TabularMDP:
        """Build from a dense ``(B, S, A, S)`` (or ``(S, A, S)``) transition tensor P(s' | s, a)."""
        if transitions.ndim not in (3, 4):
            raise UserError(f"transitions must have shape (B, S, A, S) or (S, A, S), got {tuple(transitions.shape)}")
        S = transitions.shape[-1]
        next_state = torch.arange(S, device=transitions.device)
        if transitions.ndim == 4:
            next_state = repeat(next_state, "k -> b s 1 k", b=transitions.shape[0], s=S)
        else:
            next_state = repeat(next_state, "k -> s 1 k", s=S)
        return cls(
            initial=initial,
            next_state=next_state.contiguous(),
            next_prob=transitions,
            reward=reward,
            action_prior=action_prior,
            alpha=alpha,
            horizon=horizon,
            discount=discount,
        )
