"""Local runner: rolls out a recipe's episodes in shards, in worker processes, and merges them.

Shard s holds episodes [s * K, (s + 1) * K) (K = recipe.episodes_per_shard), rolled out in lockstep
by envsuite.policies.rollout.rollout_batch. Each shard's content depends only on the recipe (env
seeds and policy noise from (seed, i)), so the dataset is the same for any worker count or shard size.

Crash safety and resume: every finished shard is written atomically (temp file + rename) to
<out>/<family>/.<name>.shards/; the dataset itself is written by envsuite.data.DatasetWriter into a
.partial file and renamed at the end. Rerunning an interrupted `generate` reuses the finished shards
and writes the dataset again; nothing ever appears half-written at the final path.
"""

from __future__ import annotations

import abc
import collections
import json
import multiprocessing
import os
import shutil
import stat
from pathlib import Path
from typing import Any, Callable

import numpy as np

from datagen.recipes import Recipe, episode_rng
from envsuite.data.nested import map_structure
from envsuite.data.safe_files import (UnsafeFileError, check_private_folder, create_exclusive, replace_regular,
                                      require_free_space)
from envsuite.policies import RowStreams
from envsuite.policies.rollout import Trajectory, concatenate, rollout_batch, stack
from envsuite.processes import one_blas_thread

ProgressFn = Callable[[int], None]


# --- one shard -------------------------------------------------------------------------------

_worker_state: dict[str, Any] = {}


def _worker_setup(recipe: Recipe) -> dict[str, Any]:
    """Per-process envs and episode plan, built once per recipe content and reused across shards."""
    key = json.dumps(recipe.plan_json(), sort_keys=True)  # a changed seed, policy or replay budget rebuilds
    if _worker_state.get("key") != key:
        _worker_state.update(key=key, stepper=make_stepper(recipe.env_id, recipe.episodes_per_shard))
        _worker_state["plan"] = recipe.episode_plan(_worker_state["stepper"].action_space)
    return _worker_state


def make_stepper(env_id: str, num_envs: int):
    """The fastest exact way to step `num_envs` copies of an env: the locomotion family's batched
    engine (bit-identical to gymnasium's env, tested), else a list of gymnasium envs."""
    import gymnasium

    import envsuite  # noqa: F401
    from envsuite.locomotion.batched import LocomotionStepper, engine_name
    from envsuite.policies.rollout import EnvListStepper

    name = engine_name(env_id)
    if name is not None:
        return LocomotionStepper(name, num_envs, gymnasium.spec(env_id).max_episode_steps)
    return EnvListStepper([gymnasium.make(env_id) for _ in range(num_envs)])


def rollout_shard(recipe: Recipe, shard_index: int) -> list[tuple[int, Trajectory]]:
    """Roll out the episodes of one shard; returns (policy index, trajectory) in episode order."""
    family_rollout = recipe.family_rollout()  # MoCap planners, StarCraft bots: episodes of their own
    if family_rollout is not None:
        return family_rollout(recipe, shard_index)
    state = _worker_setup(recipe)
    plan = state["plan"]
    first = shard_index * recipe.episodes_per_shard
    last = first + recipe.episodes_per_shard
    if plan.num_episodes is not None:
        last = min(last, plan.num_episodes)
    if last <= first:
        return []
    episodes = [plan.episode(i) for i in range(first, last)]
    row_streams = [episode_rng(recipe.seed, i) for i in range(first, last)]
    row_policies = [policy for _, policy, _ in episodes]

    def act(observations, rows):
        # One call per distinct policy among the live rows; each row draws from its episode's own
        # stream, so the data of an episode is a function of (recipe seed, episode index) alone.
        actions = None
        groups: dict[int, list[int]] = {}
        for position, row in enumerate(rows):
            groups.setdefault(id(row_policies[row]), []).append(position)
        for positions in groups.values():
            policy = row_policies[rows[positions[0]]]
            chosen = np.asarray(positions)
            streams = RowStreams([row_streams[rows[position]] for position in positions])
            part = policy(map_structure(lambda leaf: leaf[chosen], observations), streams)
            if actions is None:
                actions = np.zeros((len(rows), *part.shape[1:]), dtype=part.dtype)
            actions[chosen] = part
        return actions

    _, _, trajectories = rollout_batch(state["stepper"], [seed for _, _, seed in episodes], act)
    return [(policy_index, trajectory) for (policy_index, _, _), trajectory in zip(episodes, trajectories)]


# --- shard files -----------------------------------------------------------------------------


SHARD_FORMAT = 3  # 3: per-episode noise streams (infos are optional members); other formats are recomputed


def _read_no_follow(path: Path) -> str:
    """The text of a file, refusing a symlink at its name (OSError ELOOP)."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    with os.fdopen(fd) as f:
        return f.read()


def shard_dir_for(final_path: Path) -> Path:
    return final_path.parent / f".{final_path.stem}.shards"


def save_shard(path: Path, episodes: list[tuple[int, Trajectory]]) -> None:
    """Write a shard atomically (temp file, fsync, rename): its episodes concatenated along time.

    A few arrays per shard rather than several per episode: a shard of 100+ short episodes would
    otherwise be 1,000 npz members, and reading those back dominated generation time.
    """
    arrays: dict[str, np.ndarray] = {
        "lengths": np.array([len(trajectory) for _, trajectory in episodes], dtype=np.int64),
        "seeds": np.array([trajectory.seed for _, trajectory in episodes], dtype=np.int64),
        "policies": np.array([policy_index for policy_index, _ in episodes], dtype=np.int64),
    }
    if episodes:
        trajectories = [trajectory for _, trajectory in episodes]
        _flatten_into(arrays, "observations", concatenate([t.observations for t in trajectories]))
        _flatten_into(arrays, "actions", concatenate([t.actions for t in trajectories]))
        _flatten_into(arrays, "final_observations", stack([t.final_observation for t in trajectories]))
        arrays["rewards"] = np.concatenate([t.rewards for t in trajectories])
        arrays["terminals"] = np.concatenate([t.terminals for t in trajectories])
        arrays["timeouts"] = np.concatenate([t.timeouts for t in trajectories])
        if trajectories[0].infos is not None:
            _flatten_into(arrays, "infos", concatenate([t.infos for t in trajectories]))
    temporary = path.with_name(path.name + ".tmp")
    require_free_space(path.parent, sum(a.nbytes for a in arrays.values()), f"shard {path.name}")
    # created exclusively (never through a planted link) and renamed only if it is still that file
    with os.fdopen(create_exclusive(temporary, 0o600), "wb") as f:
        try:
            np.savez(f, **arrays)
            f.flush()
            os.fsync(f.fileno())
            replace_regular(f.fileno(), temporary, path)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise


def load_shard(path: Path) -> list[tuple[int, Trajectory]]:
    if not stat.S_ISREG(os.lstat(path).st_mode):
        raise UnsafeFileError(f"shard {path} is not a regular file (a symlink?); envsuite reads only the shards it "
                              f"wrote: remove {path.parent} and rerun")
    with np.load(path, allow_pickle=False) as data:
        arrays = {key: data[key] for key in data.files}
    lengths = arrays["lengths"]
    if not len(lengths):
        return []
    observations, actions = _unflatten(arrays, "observations"), _unflatten(arrays, "actions")
    final_observations = _unflatten(arrays, "final_observations")
    infos = _unflatten(arrays, "infos") if any(key.startswith("infos.") for key in arrays) else None
    ends = np.cumsum(lengths)
    episodes = []
    for e, (start, end) in enumerate(zip(ends - lengths, ends)):
        trajectory = Trajectory(
            observations=map_structure(lambda leaf: leaf[start:end], observations),
            actions=map_structure(lambda leaf: leaf[start:end], actions),
            rewards=arrays["rewards"][start:end],
            terminals=arrays["terminals"][start:end],
            timeouts=arrays["timeouts"][start:end],
            final_observation=map_structure(lambda leaf: leaf[e], final_observations),
            seed=int(arrays["seeds"][e]),
            infos=None if infos is None else map_structure(lambda leaf: leaf[start:end], infos),
        )
        episodes.append((int(arrays["policies"][e]), trajectory))
    return episodes


def _flatten_into(arrays, key, value):
    """npz members of a nested structure: dict keys as `key.sub`, tuple elements as `key.#i`; text
    (object arrays of str) as fixed-width unicode, because shards are read without pickle."""
    if isinstance(value, dict):
        for sub, item in value.items():
            _flatten_into(arrays, f"{key}.{sub}", item)
    elif isinstance(value, tuple):
        for index, item in enumerate(value):
            _flatten_into(arrays, f"{key}.#{index}", item)
    else:
        array = np.asarray(value)
        arrays[key] = array.astype(str) if array.dtype == object else array


def _unflatten(arrays, key):
    if key in arrays:
        return arrays[key]
    prefix = key + "."
    children = {k[len(prefix):].split(".")[0] for k in arrays if k.startswith(prefix)}
    if children and all(child.startswith("#") for child in children):  # a tuple's elements, in order
        return tuple(_unflatten(arrays, f"{prefix}#{index}") for index in range(len(children)))
    return {child: _unflatten(arrays, prefix + child) for child in sorted(children)}


def _compute_shard_file(args) -> str:
    recipe, shard_index, path = args
    save_shard(Path(path), rollout_shard(recipe, shard_index))
    return path


def worker_init(driver_pid: int) -> None:
    """In each worker process: die with the driver. A SIGKILLed driver cannot stop its workers, and an
    orphan would go on computing shards nobody reads (and hold CPU from the rerun)."""
    import signal
    import sys
    import threading
    import time

    if sys.platform.startswith("linux"):
        try:
            import ctypes

            PR_SET_PDEATHSIG = 1
            ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        except (OSError, AttributeError):
            pass  # no prctl (a libc without it): the parent watch below still ends this process
    # the driver may have died while this process was still starting (before the death signal was
    # asked for): then this process already has another parent
    if os.getppid() != driver_pid:
        os._exit(1)
    one_blas_thread()  # one worker per core: BLAS's own threads would fight the other workers for it

    def watch():  # the portable fallback: the driver is gone when this process is re-parented
        while os.getppid() == driver_pid:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, daemon=True, name="envsuite-parent-watch").start()


class WorkerDiedError(RuntimeError):
    """A worker process ended without finishing its shard (killed, or out of memory)."""


# --- runners: shards in order, from a process pool (local) or from Ray (ray_runner.py) ---------------


class ShardRunner(abc.ABC):
    """Produces shards in order and yields their episodes; subclasses say how a missing shard is
    computed (`_start_shard`) and how one in flight becomes a file (`_finish_shard`)."""

    lookahead_per_worker = 2

    def __init__(self, recipe: Recipe, final_path: Path, workers: int = 1):
        if workers < 1:
            raise ValueError(f"--workers must be >= 1, got {workers}")
        self.recipe, self.workers = recipe, workers
        self.shard_dir = shard_dir_for(final_path)
        self._prepare_shard_dir()

    def _prepare_shard_dir(self):
        """Shards of an earlier run are reused only if they were made from the same recipe content."""
        marker = self.shard_dir / "recipe.json"
        key = f"{self.recipe.content_key()}-shards{SHARD_FORMAT}"
        if os.path.lexists(self.shard_dir):
            # shards are reused only from a real folder of ours that nobody else can write to
            check_private_folder(self.shard_dir)
            try:
                same = json.loads(_read_no_follow(marker)).get("content_key") == key
            except (OSError, ValueError):
                same = False
            if not same:
                try:
                    shutil.rmtree(self.shard_dir)
                except OSError as error:
                    raise OSError(error.errno, f"{error.strerror}: cannot remove the old shards in {self.shard_dir}",
                                  str(error.filename or self.shard_dir)) from error
        self.shard_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        check_private_folder(self.shard_dir)
        temporary = marker.with_name(marker.name + ".tmp")
        with os.fdopen(create_exclusive(temporary, 0o600), "w") as f:
            f.write(json.dumps({"content_key": key, "recipe": self.recipe.plan_json()}, sort_keys=True))
            f.flush()
            replace_regular(f.fileno(), temporary, marker)  # a kill while writing leaves the old marker, never half
        for stray in self.shard_dir.glob("*.tmp"):
            stray.unlink()

    def shard_path(self, shard_index: int) -> Path:
        return self.shard_dir / f"shard_{shard_index:07d}.npz"

    def completed_shards(self) -> int:
        return len(list(self.shard_dir.glob("shard_*.npz")))

    def episodes(self):
        """Every (policy index, trajectory) in episode order, computing missing shards ahead.

        Up to `lookahead_per_worker` shards per worker are in flight while this process hands
        finished shards to the writer in order, so workers never wait for the writer (or for the
        slowest shard of a wave). Shards already on disk (an interrupted run) are not recomputed.
        """
        plan_limit = self._plan_shard_limit()
        pending: collections.deque = collections.deque()
        next_shard = 0
        finished = False
        lookahead = 1 if self.workers == 1 else self.lookahead_per_worker * self.workers
        try:
            while True:
                while len(pending) < lookahead and (plan_limit is None or next_shard < plan_limit):
                    path = self.shard_path(next_shard)
                    pending.append((next_shard, None if path.exists() else self._start_shard(next_shard, path)))
                    next_shard += 1
                if not pending:
                    break
                shard, handle = pending.popleft()
                if handle is not None:
                    self._finish_shard(shard, handle)
                yield from load_shard(self.shard_path(shard))
            finished = True
        finally:
            # Stopped early (size budget reached, or an error): shards still in flight are not needed.
            self.close(terminate=not finished and bool(pending))

    @abc.abstractmethod
    def _start_shard(self, shard: int, path: Path):
        """Begin computing a missing shard; returns a handle for `_finish_shard` (None: already on disk)."""

    @abc.abstractmethod
    def _finish_shard(self, shard: int, handle) -> None:
        """Wait for the shard of `handle` and make sure its file is on disk (raising its error, if any)."""

    def _plan_shard_limit(self):
        if self.recipe.family_rollout() is not None:
            return None  # family episodes are generated until the size budget is reached
        plan = _worker_setup(self.recipe)["plan"]
        if plan.num_episodes is None:
            return None
        return -(-plan.num_episodes // self.recipe.episodes_per_shard)

    def close(self, terminate: bool = False):
        """Release the workers; `terminate` stops shards in flight (their files are atomic: at most a
        stray .tmp remains, which the next run's shard-directory preparation removes)."""

    def remove_shards(self):
        shutil.rmtree(self.shard_dir, ignore_errors=True)


class LocalRunner(ShardRunner):
    """Shards computed by `workers` processes on this machine (1: in this process), each writing its
    shard file itself."""

    def __init__(self, recipe: Recipe, final_path: Path, workers: int = 1):
        super().__init__(recipe, final_path, workers)
        self._pool = None
        if workers > 1:
            self._get_pool()  # spawn now: the workers' imports overlap the caller's own set-up

    def _start_shard(self, shard: int, path: Path):
        task = (self.recipe, shard, str(path))
        if self.workers == 1:
            _compute_shard_file(task)
            return None
        from concurrent.futures.process import BrokenProcessPool

        try:
            return self._get_pool().submit(_compute_shard_file, task)
        except BrokenProcessPool:  # a worker died before this shard was handed out
            raise self._worker_died(shard) from None

    def _finish_shard(self, shard: int, future) -> None:
        from concurrent.futures.process import BrokenProcessPool

        try:
            future.result()  # re-raises a worker's exception here
        except BrokenProcessPool:
            raise self._worker_died(shard) from None

    def _worker_died(self, shard: int) -> WorkerDiedError:
        # The pool can break while a shard is waited for or while the next one is submitted; which
        # one sees it is a matter of timing, so both give the same message.
        return WorkerDiedError(
            f"a worker process died while computing shard {shard} or an earlier one (killed, or out of "
            f"memory); the {self.completed_shards()} finished shards are kept in {self.shard_dir}: rerun "
            "the same command to resume")

    def _get_pool(self):
        if self._pool is None:
            from concurrent.futures import ProcessPoolExecutor

            self._pool = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"),
                                             initializer=worker_init, initargs=(os.getpid(),))
        return self._pool

    def close(self, terminate: bool = False):
        if self._pool is None:
            return
        pool, self._pool = self._pool, None
        # ProcessPoolExecutor cannot cancel a running call; its worker processes are ended instead
        processes = list(getattr(pool, "_processes", {}).values()) if terminate else []
        pool.shutdown(wait=not terminate, cancel_futures=True)
        for process in processes:
            process.kill()
        for process in processes:
            process.join()
