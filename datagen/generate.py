"""`envsuite-datagen generate`: recipe -> runner -> DatasetWriter, with a size budget and metrics.

The dataset is the first `size` steps of the recipe's episode stream (episode 0, 1, 2, ...); the
episode that crosses the budget is cut there and marked `timeouts=True`, its final_observation being
the observation after the last kept step (so next_observations stay exact).
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
from pathlib import Path

import numpy as np
from tqdm import tqdm

from datagen.recipes import Recipe, RecipeError
from datagen.runner import LocalRunner
from envsuite import paths
from envsuite.data.nested import map_structure
from envsuite.policies.rollout import Trajectory


def cut_trajectory(trajectory: Trajectory, steps: int) -> Trajectory:
    """The first `steps` steps of an episode, ending in a timeout (a size-budget cut)."""
    timeouts = np.zeros(steps, dtype=bool)
    timeouts[-1] = True
    return Trajectory(
        observations=map_structure(lambda leaf: leaf[:steps], trajectory.observations),
        actions=map_structure(lambda leaf: leaf[:steps], trajectory.actions),
        rewards=trajectory.rewards[:steps],
        terminals=np.zeros(steps, dtype=bool),
        timeouts=timeouts,
        final_observation=map_structure(lambda leaf: leaf[steps], trajectory.observations),
        seed=trajectory.seed,
        infos=None if trajectory.infos is None else map_structure(lambda leaf: leaf[:steps], trajectory.infos),
    )


def _cast_observation(value, dtype):
    """Float leaves to the recipe's observation dtype (D4RL stores float32); others unchanged."""
    if dtype is None:
        return value
    return map_structure(lambda leaf: leaf.astype(dtype) if np.asarray(leaf).dtype.kind == "f" else leaf, value)


def stored_observation_space(space, dtype):
    """The observation space of what is stored: float Box leaves in the recipe's observation dtype.

    The env's space may say float64 (gymnasium's MuJoCo envs) while the recipe stores float32 (D4RL,
    MoCapAct): the dataset's `observation_space` attribute describes the stored arrays, so
    `dataset.observation_space.contains(dataset.observations[0])` holds with the same dtype. Bounds
    are cast too (rounding is monotonic, so a cast in-bounds value stays in the cast bounds)."""
    from gymnasium import spaces

    if dtype is None:
        return space
    if isinstance(space, spaces.Dict):
        return spaces.Dict({key: stored_observation_space(sub, dtype) for key, sub in space.spaces.items()})
    if isinstance(space, spaces.Tuple):
        return spaces.Tuple(tuple(stored_observation_space(sub, dtype) for sub in space.spaces))
    if isinstance(space, spaces.Box) and np.dtype(space.dtype).kind == "f" and space.dtype != np.dtype(dtype):
        return spaces.Box(space.low.astype(dtype), space.high.astype(dtype), space.shape, dtype)
    return space


def generate(recipe: Recipe, size: str = "small", *, out: str | Path | None = None, workers: int = 1,
             seed: int | None = None, overwrite: bool = False, progress: bool = True, backend: str = "local",
             address: str | None = None) -> Path:
    """Generate the dataset of `recipe` at `size` ("small"/"full" or a step count); returns its path.

    backend: "local" (worker processes on this machine) or "ray" (shards as Ray tasks; `address` of
    a running cluster, default a local Ray). The dataset is the same for either.
    One generate per dataset file at a time: a second one exits with GenerationBusyError. A write
    that fails (full disk, unwritable folder) raises GenerationError and leaves no partial file.
    """
    import dataclasses

    import envsuite  # noqa: F401

    if seed is not None:
        recipe = dataclasses.replace(recipe, seed=int(seed))
    budget = recipe.sizes[size] if size in recipe.sizes else int(size)
    if budget <= 0:
        raise ValueError(f"size must be 'small', 'full' or a positive step count, got {size!r}")
    recipe = dataclasses.replace(recipe, budget_steps=budget)
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}")
    final_path = paths.dataset_path(recipe.dataset_id, out)
    if final_path.exists() and not overwrite:
        _check_existing(final_path, budget, recipe.seed)
        return final_path

    try:
        with generation_lock(final_path, recipe.dataset_id):
            return _generate_locked(recipe, size, budget, final_path, workers, overwrite, progress, backend, address)
    except (OSError, RuntimeError) as error:
        os_error = _as_write_failure(error)
        if os_error is None:
            raise
        raise _write_failure(os_error, final_path) from error


# errors of writing a file that the user fixes outside envsuite (space, permissions, the path)
WRITE_FAILURES = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM, errno.ENOTDIR, errno.EFBIG}


def _as_write_failure(error: BaseException) -> OSError | None:
    """The OSError of a failed write, also where h5py reports one as a RuntimeError ('errno = 28')."""
    if isinstance(error, OSError):
        return error if error.errno in WRITE_FAILURES else None
    if isinstance(error, RuntimeError):
        import re

        found = re.search(r"errno = (\d+)", str(error))
        if found and int(found.group(1)) in WRITE_FAILURES:
            number = int(found.group(1))
            return OSError(number, os.strerror(number))
    return None


def step_bytes(observation_space, action_space) -> int:
    """Uncompressed bytes of one stored step: observation and action leaves, reward and flags."""
    from gymnasium import spaces

    from envsuite.data.nested import leaf_spaces

    total = 4 + 2 + 8  # float32 reward, terminal and timeout flags, episode bookkeeping
    for space in [*leaf_spaces(observation_space, "o").values(), *leaf_spaces(action_space, "a").values()]:
        if isinstance(space, spaces.Text):
            total += 4 * space.max_length
        elif isinstance(space, spaces.Discrete):
            total += 8
        else:
            total += int(np.prod(space.shape, dtype=np.int64)) * np.dtype(space.dtype).itemsize
    return total


def _check_free_space_for(final_path: Path, budget: int, observation_space, action_space, shard_dir: Path) -> None:
    """Refuse up front when the shards plus the dataset (about twice the raw data) cannot fit."""
    from envsuite.data.safe_files import require_free_space

    needed = 2 * budget * step_bytes(observation_space, action_space)
    if shard_dir.is_dir():  # finished shards of an interrupted run are reused, not written again
        needed -= sum(f.stat().st_size for f in shard_dir.glob("shard_*.npz"))
    require_free_space(final_path.parent, max(needed, 0), f"{budget} steps of shards and dataset")


def _generate_locked(recipe, size, budget, final_path, workers, overwrite, progress, backend, address) -> Path:
    from envsuite.data import DatasetWriter
    from datagen.metrics import summary_metrics

    if final_path.exists() and not overwrite:  # another run finished it while this one waited to start
        _check_existing(final_path, budget, recipe.seed)
        return final_path
    # The runner starts its worker processes now, so they import while this process sets up.
    runner = make_runner(recipe, final_path, workers, backend, address)
    try:
        try:
            observation_space, action_space, env_spec = recipe.spaces()
        except ValueError as error:  # the env refuses the recipe's env_kwargs (e.g. a task file with unparsed lines)
            raise RecipeError(f"{recipe.path}: the env {recipe.env_id} refuses its env_kwargs: {error}") from error
        observation_space = stored_observation_space(observation_space, recipe.observation_dtype)
        _check_free_space_for(final_path, budget, observation_space, action_space, runner.shard_dir)
        plan = recipe.episode_plan(action_space)
        entry = _registry_entry(recipe.dataset_id)
        recipe_json = dict(recipe.to_json(), size=size, budget_steps=budget, seed=recipe.seed)
        extra_attrs = {"policy_descriptions": _json(plan.describe_policies())}
        extra_attrs.update({key: _json(value) for key, value in plan.dataset_attributes().items()})

        written = 0
        episode_returns = []
        summaries = []  # what the family's metrics need of each episode (EpisodePlan.episode_summary)
        last_episode_cut = False
        with DatasetWriter(
            final_path, dataset_id=recipe.dataset_id, env_id=entry.env_id if entry else recipe.env_id,
            family=recipe.family, observation_space=observation_space, action_space=action_space,
            env_spec={"gymnasium_spec": env_spec, "base_env_id": recipe.env_id}, recipe=recipe_json,
            policies=plan.policy_names, ref_min_score=entry.ref_min_score if entry else None,
            ref_max_score=entry.ref_max_score if entry else None, overwrite=overwrite,
            extra_attrs=extra_attrs,
        ) as writer:
            bar = tqdm(total=budget, unit="step", desc=recipe.dataset_id, disable=not progress, leave=False)
            for policy_index, trajectory in runner.episodes():
                if written + len(trajectory) > budget:
                    trajectory = cut_trajectory(trajectory, budget - written)
                    last_episode_cut = True
                writer.add_episode(
                    _cast_observation(trajectory.observations, recipe.observation_dtype),
                    trajectory.actions,
                    trajectory.rewards.astype(np.float32),
                    trajectory.terminals,
                    trajectory.timeouts,
                    final_observation=_cast_observation(trajectory.final_observation, recipe.observation_dtype),
                    seed=trajectory.seed,
                    policy=policy_index,
                    infos=trajectory.infos,
                )
                written += len(trajectory)
                episode_returns.append(float(np.sum(trajectory.rewards.astype(np.float32), dtype=np.float64)))
                summaries.append(plan.episode_summary(trajectory, episode_returns[-1]))
                bar.update(len(trajectory))
                if written >= budget:
                    break
            bar.close()
            # A budget-cut last episode is data, but its return is not an episode return: leave it out
            # of the return statistics (and say so in the metrics).
            complete_returns = np.asarray(episode_returns[:-1] if last_episode_cut else episode_returns)
            metrics = summary_metrics(complete_returns, entry)
            metrics["last_episode_cut_by_size"] = last_episode_cut
            metrics.update(plan.family_metrics(summaries[:-1] if last_episode_cut else summaries))
            path = writer.finalize(metrics=metrics)
    finally:
        runner.close()
    runner.remove_shards()
    return path


BACKENDS = ("local", "ray")


def make_runner(recipe: Recipe, final_path: Path, workers: int, backend: str, address: str | None):
    if backend == "ray":
        from datagen.ray_runner import RayRunner

        return RayRunner(recipe, final_path, workers=workers, address=address)
    return LocalRunner(recipe, final_path, workers=workers)


class GenerationBusyError(RuntimeError):
    """Another generate is writing the same dataset file."""


class GenerationError(RuntimeError):
    """Writing the dataset failed (full disk, unwritable folder); nothing half-written was left."""


@contextlib.contextmanager
def generation_lock(final_path: Path, dataset_id: str):
    """Hold an exclusive lock on `<folder>/.<name>.lock` while generating; removed at the end.

    flock is released by the kernel when its holder dies (even by SIGKILL), so a crashed run never
    blocks the rerun. A lock file is re-checked after locking: if a finishing run removed it in
    between, the lock is taken again on the new file (two runs never both hold one)."""
    import fcntl

    from envsuite.data.safe_files import open_lock_file

    lock_path = final_path.parent / f".{final_path.stem}.lock"
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    while True:
        # never through a symlink or a hard link planted at the lock's name (it would be truncated)
        handle = os.fdopen(open_lock_file(lock_path), "r+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            handle.close()
            raise GenerationBusyError(
                f"another envsuite-datagen generate (pid {holder}) is writing {dataset_id} to {final_path}; wait "
                "for it to finish (or stop it) and rerun") from None
        try:
            named, opened = os.lstat(lock_path), os.fstat(handle.fileno())
            same_file = (named.st_dev, named.st_ino) == (opened.st_dev, opened.st_ino)
        except FileNotFoundError:
            same_file = False
        if same_file:
            break
        handle.close()  # removed or replaced by a run that just finished: lock the current file
    try:
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        yield
    finally:
        with contextlib.suppress(FileNotFoundError):
            lock_path.unlink()  # still held: nobody else can be between its open and its lock on it
        handle.close()


def _write_failure(error: OSError, final_path: Path) -> Exception:
    """One clear error for a failed write, after removing what is half-written (a stray partial
    dataset file, temporary shard files); finished shards are kept for the rerun."""
    from datagen.runner import shard_dir_for

    partial = final_path.with_name(final_path.name + ".partial")
    with contextlib.suppress(OSError):
        partial.unlink()
    shard_dir = shard_dir_for(final_path)
    kept = 0
    with contextlib.suppress(OSError):
        for stray in shard_dir.glob("*.tmp"):
            stray.unlink()
        kept = len(list(shard_dir.glob("shard_*.npz")))
        if kept == 0:
            shutil.rmtree(shard_dir, ignore_errors=True)
    where = error.filename or final_path.parent
    detail = f" ({error.strerror})" if error.strerror and "needs about" in error.strerror else ""
    reason = {errno.ENOSPC: "the disk is full", errno.EDQUOT: "the disk quota is exceeded",
              errno.EROFS: "the file system is read-only", errno.EACCES: "permission denied",
              errno.EPERM: "permission denied", errno.ENOTDIR: "a part of the path is a file, not a folder",
              errno.EFBIG: "the file is too large for the file system"}.get(error.errno, error.strerror or str(error))
    kept_note = f"; {kept} finished shards are kept in {shard_dir} for the rerun" if kept else ""
    advice = {errno.EACCES: "Make the folder writable (chmod) or choose another with --out, then rerun",
              errno.EPERM: "Make the folder writable (chmod) or choose another with --out, then rerun",
              errno.EROFS: "Choose a writable folder with --out, then rerun",
              errno.ENOTDIR: "Fix the path given to --out, then rerun"}.get(
        error.errno, "Free space or choose another folder with --out, then rerun")
    return GenerationError(f"cannot write {final_path} ({reason}: {where}){detail}; nothing half-written was left"
                           f"{kept_note}. {advice}")


def _check_existing(path: Path, budget: int, seed: int) -> None:
    """An existing dataset is reused only if it was made with the same size and seed."""
    from envsuite.data import load_dataset

    with load_dataset(path) as existing:
        recipe = existing.recipe or {}
        made_budget, made_seed = recipe.get("budget_steps"), recipe.get("seed")
    if made_budget != budget or made_seed != seed:
        raise FileExistsError(
            f"{path} exists with {made_budget} steps and seed {made_seed}, not the {budget} steps and seed {seed} "
            f"asked for; add --overwrite to regenerate it, or --out DIR to write elsewhere"
        )


def _registry_entry(dataset_id):
    from envsuite import registry

    try:
        return registry.dataset_entry(dataset_id)
    except KeyError:
        return None


def _json(value):
    import json

    return json.dumps(value, sort_keys=True)
