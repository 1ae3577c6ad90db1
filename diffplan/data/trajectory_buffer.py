"""Dataset episodes packed as tensors on one device, with windows sampled in a single gather.

A trajectory row is ``[a_t, s_t]`` (actions first, as in Diffuser), normalised. All steps of all episodes
are stored end to end, ``rows: (N, A + S)``; a window of horizon H starting at flat index i is
``rows[i : i + H]`` (with ``stride`` k: ``rows[i : i + (H - 1) k + 1 : k]``). Windows never cross
episodes: only starts whose window fits in the episode are
sampled, or, with ``short_episodes="pad"``, windows running past the episode end are padded with rows
that are zero in normalised space and flagged in ``mask`` so that losses ignore them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Literal

import numpy as np
import torch

from diffplan.data.data_config import DataConfig
from diffplan.data.episodes import EpisodeSteps, read_episodes
from diffplan.data.minari_source import open_minari_dataset
from diffplan.data.normalizer import NORMALIZER_KINDS, AffineNormalizer
from diffplan.data.observation_layout import ObservationLayout
from diffplan.data.returns import discounted_returns_to_go
from diffplan.devices import resolve_device
from diffplan.errors import UserError

log = logging.getLogger(__name__)


@dataclass
class TrajectoryWindows:
    """A batch of B windows of horizon H.

    Attributes:
        x: ``(B, H, A + S)`` normalised rows ``[a_t, s_t]``.
        mask: ``(B, H)`` true on real steps, false on padding.
        returns: ``(B,)`` discounted return-to-go from the window's first step (unnormalised).
        goals: ``(B, G)`` goal of each window's episode (unnormalised), or None.
        starts: ``(B,)`` flat step index of each window's first row.
    """

    x: torch.Tensor
    mask: torch.Tensor
    returns: torch.Tensor
    goals: torch.Tensor | None
    starts: torch.Tensor


@dataclass
class Transitions:
    """A batch of B one-step transitions (s, a, r, s', terminal) for TD learning.

    Attributes:
        states: ``(B, S)`` normalised s_t.
        actions: ``(B, A)`` a_t in the dataset's own units (unnormalised).
        rewards: ``(B,)`` r_t.
        next_states: ``(B, S)`` normalised s_{t+1}.
        terminals: ``(B,)`` float, 1 where s_{t+1} is terminal (no bootstrap); truncations bootstrap.
    """

    states: torch.Tensor
    actions: torch.Tensor
    rewards: torch.Tensor
    next_states: torch.Tensor
    terminals: torch.Tensor


def gather_rows(table: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
    """``table[index]`` for a table ``(N, D)`` and indices ``(B, H)`` → ``(B, H, D)``.

    On CPU the gather runs through numpy's single-threaded ``take`` on zero-copy views: torch's parallel
    gather of a few thousand rows stalls for milliseconds whenever another process holds a core.
    """
    if table.device.type == "cpu":
        return torch.from_numpy(np.take(table.numpy(), index.numpy(), axis=0))
    return table[index]


class TrajectoryBuffer:
    """Episodes of one dataset on a device, sampled as windows of horizon H.

    Attributes:
        rows: ``(N, A + S)`` normalised ``[a_t, s_t]``.
        next_states: ``(N, S)`` normalised s_{t+1}.
        rewards: ``(N,)``; terminations, truncations: ``(N,)`` bool.
        returns_to_go: ``(N,)`` discounted, unnormalised.
        episode_of_step: ``(N,)``; episode_start, episode_end: ``(E,)`` flat bounds [start, end).
        goals: ``(E, G)`` goal of each episode (median of the goals seen in it), or None.
        window_starts: ``(W,)`` flat indices where a window may start.
        normalizer: fit on the real rows of the kept episodes.
    """

    def __init__(
        self,
        steps: EpisodeSteps,
        horizon: int,
        *,
        layout: ObservationLayout,
        normalizer: Literal["gaussian", "limits"] = "gaussian",
        short_episodes: Literal["drop", "pad"] = "drop",
        discount: float = 0.99,
        termination_penalty: float = 0.0,
        device: str | torch.device = "cpu",
        dataset_id: str = "",
        stride: int = 1,
    ):
        check_options(horizon, normalizer, short_episodes, discount)
        if isinstance(stride, bool) or not isinstance(stride, int) or stride < 1:
            raise UserError(f"data.stride must be a positive integer, got {stride!r}")
        self.horizon = horizon
        self.stride = stride
        span = (horizon - 1) * stride + 1  # environment steps a window covers
        self.layout = layout
        self.dataset_id = dataset_id
        self.short_episodes = short_episodes
        self.device = torch.device(device)
        lengths = steps.episode_lengths
        keep = lengths >= span if short_episodes == "drop" else np.ones_like(lengths, dtype=bool)
        self.num_dropped_episodes = int((~keep).sum())
        if not keep.any():
            raise UserError(
                f"every episode of '{dataset_id}' is shorter than the horizon {horizon}"
                + (f" at stride {stride} ({span} steps)" if stride > 1 else "")
                + f" (longest: {int(lengths.max())} steps); lower data.horizon or data.stride, or set "
                "data.short_episodes=pad"
            )
        if self.num_dropped_episodes:
            log.info("dropped %d of %d episodes shorter than horizon %d",
                     self.num_dropped_episodes, len(lengths), horizon)
        step_kept = np.repeat(keep, lengths)
        lengths = lengths[keep]
        returns = discounted_returns_to_go(
            steps.rewards[step_kept], lengths, steps.terminations[step_kept], discount, termination_penalty
        )

        def on_device(array: np.ndarray, dtype: torch.dtype = torch.float32) -> torch.Tensor:
            return torch.as_tensor(np.ascontiguousarray(array), dtype=dtype).to(self.device)

        self.action_dim = steps.actions.shape[1]
        self.state_dim = steps.states.shape[1]
        raw_rows = on_device(np.concatenate([steps.actions, steps.states], axis=1)[step_kept])
        self.normalizer = AffineNormalizer.fit(normalizer, raw_rows)
        self.rows = self.normalizer.normalize(raw_rows)
        self.next_states = self.state_normalizer.normalize(on_device(steps.next_states[step_kept]))
        self.rewards = on_device(steps.rewards[step_kept])
        self.terminations = on_device(steps.terminations[step_kept], torch.bool)
        self.truncations = on_device(steps.truncations[step_kept], torch.bool)
        self.returns_to_go = on_device(returns)
        ends = np.cumsum(lengths)
        self.episode_end = on_device(ends, torch.long)
        self.episode_start = on_device(ends - lengths, torch.long)
        self.episode_of_step = on_device(np.repeat(np.arange(len(lengths)), lengths), torch.long)
        self.goals = None
        if steps.goals is not None:
            goals = steps.goals[step_kept]
            self.goals = on_device(np.stack([np.median(g, axis=0) for g in np.split(goals, ends[:-1])]))
        step_in_episode = np.arange(int(ends[-1])) - np.repeat(ends - lengths, lengths)
        fits = step_in_episode + span <= np.repeat(lengths, lengths)
        starts = np.flatnonzero(fits if short_episodes == "drop" else np.ones_like(fits))
        self.window_starts = on_device(starts, torch.long)
        self._offsets = torch.arange(horizon, device=self.device) * stride

    @property
    def state_normalizer(self) -> AffineNormalizer:
        """Normaliser of the state part of a row."""
        return self.normalizer.select(slice(self.action_dim, None))

    @property
    def action_normalizer(self) -> AffineNormalizer:
        """Normaliser of the action part of a row."""
        return self.normalizer.select(slice(0, self.action_dim))

    @property
    def transition_dim(self) -> int:
        return self.action_dim + self.state_dim

    @property
    def num_steps(self) -> int:
        return self.rows.shape[0]

    @property
    def num_episodes(self) -> int:
        return self.episode_end.shape[0]

    @property
    def num_windows(self) -> int:
        return self.window_starts.shape[0]

    def windows(self, starts: torch.Tensor) -> TrajectoryWindows:
        """The windows starting at flat indices ``starts: (B,)``, gathered at once."""
        index = starts[:, None] + self._offsets  # (B, H)
        episode = self.episode_of_step[starts]
        if self.short_episodes == "pad":
            # a row is real while the row before it had not reached the episode's last step, so the last
            # step itself is always a window's last real row, whatever the stride
            end = self.episode_end[episode][:, None]
            mask = (index - self.stride < end - 1) | (self._offsets == 0)
            x = gather_rows(self.rows, torch.minimum(index, end - 1)) * mask[..., None]
        else:
            mask = torch.ones_like(index, dtype=torch.bool)
            x = gather_rows(self.rows, index)
        goals = self.goals[episode] if self.goals is not None else None
        return TrajectoryWindows(x, mask, self.returns_to_go[starts], goals, starts)

    def sample(self, batch_size: int, generator: torch.Generator | None = None) -> TrajectoryWindows:
        """``batch_size`` windows drawn uniformly among all valid starts."""
        pick = torch.randint(
            self.num_windows, (batch_size,), device=self.device, generator=generator
        )
        return self.windows(self.window_starts[pick])

    def sample_transitions(self, batch_size: int, generator: torch.Generator | None = None) -> Transitions:
        """``batch_size`` transitions drawn uniformly among all kept steps (windows play no part)."""
        index = torch.randint(self.num_steps, (batch_size,), device=self.device, generator=generator)
        rows = self.rows[index]
        return Transitions(
            states=rows[:, self.action_dim:],
            actions=self.action_normalizer.unnormalize(rows[:, :self.action_dim]),
            rewards=self.rewards[index],
            next_states=self.next_states[index],
            terminals=self.terminations[index].float(),
        )

    def check_dims(self, state_dim: int = 0, action_dim: int = 0) -> None:
        """Raise UserError if the dataset's sizes differ from the expected ones (0 = no expectation)."""
        for name, expected, actual in (("state", state_dim, self.state_dim),
                                       ("action", action_dim, self.action_dim)):
            if expected and expected != actual:
                raise UserError(
                    f"dataset '{self.dataset_id}' has {name} size {actual} but the config expects "
                    f"{expected}; fix data.{name}_dim or choose a matching dataset"
                )

    def model_metadata(self) -> dict:
        """What a model trained on this buffer needs at planning time, saved in its checkpoints."""
        return {
            "dataset_id": self.dataset_id,
            "horizon": self.horizon,
            "stride": self.stride,
            "action_dim": self.action_dim,
            "state_dim": self.state_dim,
            "observation_layout": self.layout.to_dict(),
            "normalizer": self.normalizer.state_dict(),
        }

    def describe(self) -> dict:
        """Summary numbers of the packed data (for logs and the command line)."""
        return {
            "dataset_id": self.dataset_id,
            "episodes": self.num_episodes,
            "steps": self.num_steps,
            "dropped_episodes": self.num_dropped_episodes,
            "windows": self.num_windows,
            "horizon": self.horizon,
            "stride": self.stride,
            "state_dim": self.state_dim,
            "action_dim": self.action_dim,
            "goal_dim": self.layout.goal_dim,
            "device": str(self.device),
            "mean_return_to_go": float(self.returns_to_go.mean()),
        }

    @staticmethod
    def from_config(config: DataConfig, progress: bool = False) -> TrajectoryBuffer:
        """Open the configured Minari dataset, flatten it and pack it on the configured device."""
        device = resolve_device(config.device)
        dataset = open_minari_dataset(config.dataset_id, download=config.download)
        layout = ObservationLayout.from_space(
            dataset.observation_space, config.observation_keys or None, config.goal_key or None
        )
        steps = read_episodes(dataset, layout, progress=progress)
        buffer = TrajectoryBuffer(
            steps,
            config.horizon,
            layout=layout,
            normalizer=config.normalizer,
            short_episodes=config.short_episodes,
            discount=config.discount,
            termination_penalty=config.termination_penalty,
            device=device,
            dataset_id=config.dataset_id,
            stride=config.stride,
        )
        buffer.check_dims(config.state_dim, config.action_dim)
        return buffer


def check_options(horizon: int, normalizer: str, short_episodes: str, discount: float) -> None:
    """Raise UserError for packing options out of their domain."""
    if horizon < 1:
        raise UserError(f"data.horizon must be a positive integer, got {horizon}")
    if normalizer not in NORMALIZER_KINDS:
        raise UserError(f"data.normalizer '{normalizer}' is unknown; use one of {', '.join(NORMALIZER_KINDS)}")
    if short_episodes not in ("drop", "pad"):
        raise UserError(f"data.short_episodes '{short_episodes}' is unknown; use drop or pad")
    if not 0.0 < discount <= 1.0:
        raise UserError(f"data.discount must be in (0, 1], got {discount}")
