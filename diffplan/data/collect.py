"""Generic collector: a gymnasium environment stepped by a :class:`~diffplan.data.policies.Policy`,
written as a Minari dataset that appears under its id all at once or not at all.

How a dataset is written
------------------------
1. Steps are recorded into per-episode lists and turned into ``minari`` ``EpisodeBuffer`` objects (numpy
   arrays, ``T + 1`` observations and ``T`` actions/rewards/terminations/truncations per episode). This
   replaces ``minari.DataCollector``, which costs about three times the environment step in per-step
   tree-mapping, and which cannot give the last observation of an episode and the first observation of
   the next one different contents (needed for PointMaze's stale ``desired_goal``, see
   :func:`split_at_success`).
2. The dataset is created with ``minari.create_dataset_from_buffers`` while ``MINARI_DATASETS_PATH``
   points at a hidden staging directory ``<root>/.staging-<pid>-*`` (same filesystem as the datasets root,
   ignored by minari's listings). Episodes are appended in chunks of ``flush_steps`` steps, so memory
   stays bounded for long runs.
3. When collection has finished, the namespace is created in the real root with minari's own
   ``create_namespace`` and the dataset directory is moved into place with ``os.rename`` (atomic). With
   ``overwrite=True`` an existing dataset is first renamed into the staging directory, the new one is
   renamed into place, and the old one is deleted with the staging directory.
4. The staging directory is removed on every exit path, ``KeyboardInterrupt`` included. A process killed
   outright (``kill -9``, power loss) cannot do that: the next collection into the same root removes the
   staging directories whose process is gone.

Episode boundaries
------------------
An episode ends when the environment terminates or truncates (then it is reset), when the step budget
runs out (the last step is marked truncated), or when ``split_episode(env, obs, info)`` returns the first
observation of a new dataset episode: the current one is marked truncated there and the environment keeps
running without a reset (continuing tasks, e.g. PointMaze's goal resampling).
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import shutil
import sys
import tempfile
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import gymnasium as gym
import minari
import numpy as np
from minari.data_collector.episode_buffer import EpisodeBuffer
from minari.dataset.minari_dataset import MinariDataset, parse_dataset_id
from minari.dataset.minari_storage import MinariStorage
from minari.namespace import create_namespace, list_local_namespaces
from minari.storage import get_dataset_path

from diffplan.data.policies import Obs, Policy
from diffplan.errors import UserError
from diffplan.progress import progress_bar

EpisodeSplitter = Callable[[gym.Env, Obs, dict[str, Any]], Obs | None]
"""``split_episode(env, obs, info)`` after a step that neither terminated nor truncated: ``None`` to go
on, or the first observation of a new dataset episode (the current one ends here, truncated)."""

_ENV_VAR = "MINARI_DATASETS_PATH"
_PROGRESS_EVERY = 1000  # steps between progress-bar refreshes
_STAGING = re.compile(r"\.staging-(\d+)-.+")


def split_at_success(env: gym.Env, obs: Obs, info: dict[str, Any]) -> Obs | None:
    """Ends the dataset episode at ``info["success"]`` (D4RL PointMaze: success marks truncation).

    PointMaze resamples its goal inside the step that reaches it, after building the observation, so
    ``obs["desired_goal"]`` is the old goal. The episode that ends keeps it (its rewards were computed
    against it); the next episode starts from the same state with ``desired_goal`` set to the new goal
    ``env.unwrapped.goal``.
    """
    if not info.get("success", False):
        return None
    goal = getattr(env.unwrapped, "goal", None)
    if isinstance(obs, dict) and "desired_goal" in obs and goal is not None:
        obs = dict(obs)
        obs["desired_goal"] = np.array(goal, dtype=np.asarray(obs["desired_goal"]).dtype)
    return obs


@contextlib.contextmanager
def staged_dataset(dataset_id: str, overwrite: bool, **create_kwargs: Any) -> Iterator[MinariDataset]:
    """An empty Minari dataset in a private staging folder, to fill; published under ``dataset_id`` atomically.

    ``create_kwargs`` go to ``minari.create_dataset_from_buffers`` (env, spaces, metadata). The dataset
    appears under its id only when the ``with`` block ends without an error; the staging folder is removed
    in every case (and one left by a killed process is removed by the next collection).
    """
    root = Path(get_dataset_path())
    remove_stale_staging(root)
    staging = Path(tempfile.mkdtemp(prefix=f".staging-{os.getpid()}-", dir=root))
    try:
        with _datasets_root(staging), warnings.catch_warnings():
            warnings.filterwarnings("ignore", category=UserWarning, module=r"minari\.")
            yield minari.create_dataset_from_buffers(dataset_id, [], **create_kwargs)
        _publish(staging, root, dataset_id, overwrite=overwrite)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def collect_dataset(
    env_id: str,
    policy: Policy,
    dataset_id: str,
    *,
    total_steps: int | None = None,
    num_episodes: int | None = None,
    env_kwargs: dict[str, Any] | None = None,
    eval_env_kwargs: dict[str, Any] | None = None,
    seed: int = 0,
    overwrite: bool = False,
    ref_min_score: float | None = None,
    ref_max_score: float | None = None,
    ref_episodes: int = 100,
    algorithm_name: str | None = None,
    description: str | None = None,
    author: str = "diffplan",
    code_permalink: str = "diffplan.data.collect",
    split_episode: EpisodeSplitter | None = None,
    flush_steps: int = 50_000,
    progress: bool = True,
) -> MinariDataset:
    """Step ``gym.make(env_id, **env_kwargs)`` with ``policy`` and write a Minari dataset ``dataset_id``.

    Args:
        env_id: registered gymnasium id, e.g. ``"Pendulum-v1"``, ``"PointMaze_UMazeDense-v3"``.
        policy: behaviour policy; ``policy.reset(env, obs, info)`` after every ``env.reset``.
        dataset_id: Minari id ``namespace/name-vN``, e.g. ``"local/pendulum/expert-v0"``.
        total_steps: step budget (the last episode is cut and marked truncated).
        num_episodes: episode budget. At least one budget must be given; with both, the first reached
            ends collection.
        env_kwargs: keyword arguments of ``gym.make`` for the collection env (``max_episode_steps`` too).
        eval_env_kwargs: keyword arguments of ``gym.make(env_id, ...)`` for the evaluation env stored in
            the dataset (``dataset.recover_environment(eval_env=True)``); None stores none (minari then
            uses the collection env).
        seed: seed of the first ``env.reset`` (later resets continue the env's generator). Seed the
            policy's own generator separately.
        overwrite: replace an existing dataset with this id (atomically) instead of refusing.
        ref_min_score, ref_max_score: reference returns for ``minari.get_normalized_score`` (both or
            neither; see :mod:`diffplan.data.reference_scores`).
        ref_episodes: number of eval episodes behind the reference scores (stored as metadata).
        algorithm_name, description, author, code_permalink: dataset metadata.
        split_episode: optional rule that ends dataset episodes without resetting the env
            (:func:`split_at_success` for PointMaze).
        flush_steps: episodes are written to disk every this many steps.
        progress: show a tqdm progress bar (steps, rate, ETA).

    Returns:
        The dataset, loaded from its final location with ``minari.load_dataset(dataset_id)``.

    Raises:
        UserError: unknown env id or bad env kwargs, malformed dataset id, existing dataset without
            ``overwrite``, no or non-positive budget, only one reference score.
    """
    check_request(dataset_id, total_steps=total_steps, num_episodes=num_episodes, overwrite=overwrite)
    if (ref_min_score is None) != (ref_max_score is None):
        raise UserError(
            "only one of ref_min_score/ref_max_score was given; pass both (or neither) so that "
            "minari.get_normalized_score can normalise returns"
        )
    eval_spec = None
    if eval_env_kwargs is not None:
        eval_env = make_env(env_id, eval_env_kwargs)
        eval_spec = eval_env.spec
        eval_env.close()
    env = make_env(env_id, env_kwargs)

    try:
        with staged_dataset(dataset_id, overwrite, env=env, eval_env=eval_spec, algorithm_name=algorithm_name,
                            author=author, code_permalink=code_permalink, ref_min_score=ref_min_score,
                            ref_max_score=ref_max_score, num_episodes_average_score=ref_episodes,
                            description=description) as staged:
            _run(
                env,
                policy,
                staged.storage,
                total_steps=total_steps,
                num_episodes=num_episodes,
                seed=seed,
                split_episode=split_episode,
                flush_steps=flush_steps,
                desc=dataset_id,
                progress=progress,
            )
    finally:
        env.close()

    dataset = minari.load_dataset(dataset_id)
    stored_id = dataset.storage.metadata.get("dataset_id")
    if stored_id != dataset_id:  # pragma: no cover - guards the staging/rename logic
        raise RuntimeError(f"dataset written under {dataset_id!r} has metadata id {stored_id!r}")
    return dataset


def register_robotics_envs() -> None:
    """Register the gymnasium-robotics environments (PointMaze, ...) with gymnasium; idempotent.

    Imported lazily, not at module import: gymnasium-robotics prints an unrelated notice about Adroit
    reward versions to stderr on import, which is swallowed here (anything else it prints is kept) so
    that command-line errors stay one line.
    """
    global _robotics_registered
    if _robotics_registered:
        return
    captured = io.StringIO()
    try:
        with contextlib.redirect_stderr(captured):
            import gymnasium_robotics
        gym.register_envs(gymnasium_robotics)
    except ImportError:  # pragma: no cover - gymnasium-robotics is a dependency
        pass
    finally:
        other = [line for line in captured.getvalue().splitlines() if "Adroit" not in line]
        if other:
            print("\n".join(other), file=sys.stderr)
    _robotics_registered = True


_robotics_registered = False


def make_env(env_id: str, env_kwargs: dict[str, Any] | None = None) -> gym.Env:
    """``gym.make(env_id, **env_kwargs)``, turning an unknown id or rejected kwargs into a ``UserError``.

    The gymnasium-robotics environments are registered first, so ``PointMaze_*`` ids work.
    """
    register_robotics_envs()
    try:
        gym.spec(env_id)
    except gym.error.Error as exc:
        raise UserError(
            f"unknown environment id {env_id!r} ({_one_line(exc)}); pass a registered gymnasium id such as "
            "'Pendulum-v1' or 'PointMaze_UMazeDense-v3'"
        ) from None
    try:
        return gym.make(env_id, **(env_kwargs or {}))
    except TypeError as exc:
        raise UserError(
            f"environment {env_id!r} rejected its arguments {env_kwargs} ({_one_line(exc)}); fix the env kwargs"
        ) from None


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


# -- recording ----------------------------------------------------------------------------------------


class _EpisodeRecord:
    """Steps of one episode: ``T + 1`` observations, ``T`` of everything else."""

    __slots__ = ("seed", "obs", "actions", "rewards", "terminations", "truncations")

    def __init__(self, first_obs: Obs, seed: int | None) -> None:
        self.seed = seed
        self.obs: list[Obs] = [first_obs]
        self.actions: list[Any] = []
        self.rewards: list[float] = []
        self.terminations: list[bool] = []
        self.truncations: list[bool] = []

    def buffer(self) -> EpisodeBuffer:
        return EpisodeBuffer(
            seed=self.seed,
            observations=_stack(self.obs),
            actions=_stack(self.actions),
            rewards=np.asarray(self.rewards, dtype=np.float64),
            terminations=np.asarray(self.terminations, dtype=bool),
            truncations=np.asarray(self.truncations, dtype=bool),
        )


def _stack(items: list[Any]) -> Any:
    """List of (nested dict / tuple of) arrays ``[(...), ...]`` -> the same structure of ``(N, ...)``."""
    first = items[0]
    if isinstance(first, dict):
        return {key: _stack([item[key] for item in items]) for key in first}
    if isinstance(first, tuple):
        return tuple(_stack([item[i] for item in items]) for i in range(len(first)))
    return np.stack([np.asarray(item) for item in items])


def _run(
    env: gym.Env,
    policy: Policy,
    storage: MinariStorage,
    *,
    total_steps: int | None,
    num_episodes: int | None,
    seed: int,
    split_episode: EpisodeSplitter | None,
    flush_steps: int,
    desc: str,
    progress: bool,
) -> None:
    """The collection loop: step, record, cut episodes, flush them to ``storage`` in chunks."""
    by_steps = total_steps is not None
    bar = progress_bar(enabled=progress, total=total_steps if by_steps else num_episodes,
                       unit="step" if by_steps else "episode", desc=desc)
    action_dtype = env.action_space.dtype if isinstance(env.action_space, gym.spaces.Box) else None
    pending: list[EpisodeBuffer] = []
    pending_steps = steps = episodes = shown = 0
    try:
        obs, info = env.reset(seed=seed)
        policy.reset(env, obs, info)
        record = _EpisodeRecord(obs, seed)
        while True:
            action = policy(obs, info)
            if action_dtype is not None:
                action = np.asarray(action, dtype=action_dtype)
            obs, reward, terminated, truncated, info = env.step(action)
            steps += 1
            next_first = None
            if split_episode is not None and not (terminated or truncated):
                next_first = split_episode(env, obs, info)
                truncated = next_first is not None
            out_of_steps = by_steps and steps >= total_steps
            truncated = bool(truncated or (out_of_steps and not terminated))
            record.actions.append(action)
            record.obs.append(obs)
            record.rewards.append(float(reward))
            record.terminations.append(bool(terminated))
            record.truncations.append(truncated)
            if by_steps and steps - shown >= _PROGRESS_EVERY:
                bar.update(steps - shown)
                shown = steps
            if not (terminated or truncated):
                continue

            pending.append(record.buffer())
            pending_steps += len(record.rewards)
            episodes += 1
            if not by_steps:
                bar.update(1)
            done = out_of_steps or (num_episodes is not None and episodes >= num_episodes)
            if done or pending_steps >= flush_steps:
                storage.update_episodes(pending)
                pending, pending_steps = [], 0
            if done:
                break
            if next_first is not None:
                obs = next_first
                record = _EpisodeRecord(obs, None)
            else:
                obs, info = env.reset()
                policy.reset(env, obs, info)
                record = _EpisodeRecord(obs, None)
        if by_steps:
            bar.update(steps - shown)
        bar.set_postfix_str(f"{episodes} episodes")
    finally:
        bar.close()


# -- atomic publication --------------------------------------------------------------------------------


def remove_stale_staging(root: Path) -> None:
    """Delete the staging directories ``root/.staging-<pid>-*`` of collections whose process has ended."""
    if not root.is_dir():
        return
    for path in root.iterdir():
        match = _STAGING.fullmatch(path.name)
        if match and path.is_dir() and not _process_alive(int(match.group(1))):
            shutil.rmtree(path, ignore_errors=True)


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


@contextlib.contextmanager
def _datasets_root(path: Path) -> Iterator[None]:
    """Point minari (``MINARI_DATASETS_PATH``) at ``path`` for the duration of the block."""
    previous = os.environ.get(_ENV_VAR)
    os.environ[_ENV_VAR] = str(path)
    try:
        yield
    finally:
        if previous is None:
            del os.environ[_ENV_VAR]
        else:
            os.environ[_ENV_VAR] = previous


def _publish(staging: Path, root: Path, dataset_id: str, *, overwrite: bool) -> None:
    """Move the finished dataset ``staging/<id>`` to ``root/<id>`` with ``os.rename``."""
    namespace = parse_dataset_id(dataset_id)[0]
    if namespace is not None:
        with _datasets_root(root):
            if namespace not in list_local_namespaces():
                with contextlib.suppress(ValueError):  # created concurrently
                    create_namespace(namespace)
    src, dst = staging / dataset_id, root / dataset_id
    dst.parent.mkdir(parents=True, exist_ok=True)
    if not dst.exists():
        os.rename(src, dst)
        return
    if not overwrite:
        _refuse_existing(root, dataset_id)
    old = staging / ".replaced"
    os.rename(dst, old)
    try:
        os.rename(src, dst)
    except BaseException:
        os.rename(old, dst)
        raise


# -- argument checks -----------------------------------------------------------------------------------


def check_request(
    dataset_id: str, *, total_steps: int | None, num_episodes: int | None = None, overwrite: bool = False
) -> None:
    """Raise ``UserError`` before any work if the id is malformed, already taken (without ``overwrite``)
    or the budget is missing or non-positive. ``collect_dataset`` calls it; recipes call it before
    spending time on reference scores."""
    _check_budget(total_steps, num_episodes)
    _check_dataset_id(dataset_id)
    if not overwrite:
        _refuse_existing(Path(get_dataset_path()), dataset_id)


def _check_budget(total_steps: int | None, num_episodes: int | None) -> None:
    if total_steps is None and num_episodes is None:
        raise UserError("no collection budget; pass total_steps or num_episodes (a positive integer)")
    for name, value in (("total_steps", total_steps), ("num_episodes", num_episodes)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value <= 0):
            raise UserError(f"{name} must be a positive integer, got {value!r}; pass a value >= 1")


def _check_dataset_id(dataset_id: str) -> None:
    try:
        _, _, version = parse_dataset_id(dataset_id)
    except (ValueError, TypeError):
        version = None
    if version is None or "-v" not in dataset_id:
        raise UserError(f"malformed dataset id {dataset_id!r}; use namespace/name-vN, e.g. 'local/pendulum/expert-v0'")


def _refuse_existing(root: Path, dataset_id: str) -> None:
    if (root / dataset_id).exists():
        raise UserError(
            f"dataset {dataset_id!r} already exists in {root}; pass overwrite=True (--overwrite) to replace "
            "it, or choose another id or version"
        )
