"""A copy of a Minari dataset whose rewards are a learned r_phi, for the offline RL companions.

Observations, actions, terminations and truncations are copied; reward t becomes r_phi(s_t, a_t, s_{t+1})
(states flattened by the reward's observation layout, in environment units). The new dataset is written as
:mod:`diffplan.data.collect` writes one: into a hidden staging directory under the datasets root, then
renamed into place, so an interrupted relabelling leaves nothing under the new id. The source's environment
specs are kept; its reference scores (returns of the true reward) are not.
"""

from __future__ import annotations

import minari
import numpy as np
import torch
from gymnasium.envs.registration import EnvSpec
from minari.data_collector.episode_buffer import EpisodeBuffer

from diffplan.data.collect import check_request, staged_dataset
from diffplan.data.minari_source import open_minari_dataset
from diffplan.errors import UserError
from diffplan.irl.reward_checkpoint import TrainedReward
from diffplan.progress import progress_bar


def episode_rewards(trained: TrainedReward, observations: object, actions: np.ndarray) -> np.ndarray:
    """``(T,)`` r_phi of one episode's ``T + 1`` observations (array or dict) and ``T`` actions."""
    states = trained.layout.state(observations)
    device = trained.normalizer.shift.device
    as_tensor = lambda a: torch.as_tensor(np.asarray(a, dtype=np.float32), device=device)  # noqa: E731
    flat_actions = np.asarray(actions, dtype=np.float32).reshape(len(actions), -1)
    with torch.no_grad():
        rewards = trained.reward.step_reward(as_tensor(states[:-1]), as_tensor(flat_actions), as_tensor(states[1:]))
    return rewards.double().cpu().numpy()


def check_relabel_target(source_id: str, target_id: str, overwrite: bool) -> None:
    """Raise UserError, before any work, for a target that is the source, malformed, or taken."""
    if target_id == source_id:
        raise UserError(f"relabel.target is the source dataset '{source_id}'; choose a new id, e.g. "
                        f"'{source_id.rsplit('-v', 1)[0]}-irl-v0'")
    check_request(target_id, total_steps=1, overwrite=overwrite)


def relabel_dataset(trained: TrainedReward, source_id: str, target_id: str, overwrite: bool = False,
                    progress: bool = True) -> minari.MinariDataset:
    """Write ``target_id``: the episodes of ``source_id`` with rewards r_phi; returns the new dataset."""
    check_relabel_target(source_id, target_id, overwrite)
    source = open_minari_dataset(source_id)
    eval_spec = source.storage.metadata.get("eval_env_spec")
    metadata = source.storage.metadata
    with staged_dataset(
        target_id,
        overwrite,
        env=source.spec.env_spec,
        eval_env=EnvSpec.from_json(eval_spec) if isinstance(eval_spec, str) else None,
        observation_space=source.observation_space,
        action_space=source.action_space,
        algorithm_name=f"{metadata.get('algorithm_name', 'unknown')} (relabelled by diffplan train-reward, "
                       f"{trained.config.objective})",
        author="diffplan",
        code_permalink="diffplan.irl.relabel",
        description=f"{source_id} with rewards replaced by a learned reward r_phi "
                    f"({trained.config.reward.reward_inputs}) from '{trained.config.demonstrations}'.",
    ) as staged:
        episodes = progress_bar(source.iterate_episodes(), enabled=progress, total=source.total_episodes,
                                desc="relabelling")
        staged.storage.update_episodes([
            EpisodeBuffer(id=episode.id, observations=episode.observations, actions=episode.actions,
                          rewards=episode_rewards(trained, episode.observations, episode.actions),
                          terminations=episode.terminations, truncations=episode.truncations)
            for episode in episodes
        ])
    return minari.load_dataset(target_id)
