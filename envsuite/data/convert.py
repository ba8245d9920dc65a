"""Converters between envsuite datasets and the formats other RL libraries read.

Where it sits: `envsuite.data`, on top of `reader.py` (and `writer.py` for the importers); it
imports no family. Each converter is a few lines of glue for its library:

    to_d4rl(ds)            observations, actions, rewards, terminals, timeouts (numpy; Box data):
                           `d3rlpy.dataset.MDPDataset(**to_d4rl(ds))`
    ds.transitions()       D4RL's qlearning_dataset keys, with next_observations (CORL, IQL, CQL code)
    to_jaxrl(ds)           jaxrl's D4RLDataset arrays: masks (1 - terminals), dones_float (1 at every
                           episode end) and next_observations
    to_torchrl_ted(ds)     torchrl's TED layout as a nested dict of arrays: observation, action,
                           done / terminated / truncated, and next: {observation, reward, done,
                           terminated, truncated} (flags and rewards with a trailing axis of 1);
                           `tensordict.TensorDict(to_torchrl_ted(ds), batch_size=[ds.total_steps])`
    to_minari(ds, id)      a Minari dataset (minari.load_dataset(id) opens it; same episodes)
    from_minari(id, path)  a Minari dataset as an envsuite dataset file
    from_d4rl_hdf5(h5, path, dataset_id=..., env_id=...)
                           a D4RL-layout HDF5 file (observations, actions, rewards, terminals,
                           timeouts) as an envsuite dataset file, episodes split at the flags
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
from gymnasium import spaces

from envsuite.data.nested import map_structure


def _box_only(ds, what: str) -> None:
    for name, space in (("observation", ds.observation_space), ("action", ds.action_space)):
        if isinstance(space, (spaces.Dict, spaces.Tuple, spaces.Text)):
            raise ValueError(f"{what} takes flat arrays, but {ds.dataset_id} has a {type(space).__name__} {name} "
                             "space; use ds.transitions() or to_torchrl_ted(ds), which keep nested data")


def _episode_ends(ds) -> np.ndarray:
    return ds.episode_starts + ds.episode_lengths - 1


def to_d4rl(ds) -> dict[str, np.ndarray]:
    """D4RL's `get_dataset()` keys as numpy arrays: observations, actions, rewards, terminals, timeouts.
    `d3rlpy.dataset.MDPDataset(**to_d4rl(ds))` builds a d3rlpy dataset with the same episodes."""
    _box_only(ds, "to_d4rl")
    transitions = ds.transitions()
    return {key: np.asarray(transitions[key]) for key in ("observations", "actions", "rewards", "terminals", "timeouts")}


def to_jaxrl(ds) -> dict[str, np.ndarray]:
    """jaxrl's D4RLDataset fields: observations, actions, rewards, masks, dones_float, next_observations.
    masks = 1 - terminals (bootstrap unless the MDP ended); dones_float = 1 at every episode end
    (terminal or timeout), where jaxrl starts a new trajectory."""
    _box_only(ds, "to_jaxrl")
    transitions = ds.transitions()
    dones = np.zeros(ds.total_steps, dtype=np.float32)
    dones[_episode_ends(ds)] = 1.0
    return {
        "observations": np.asarray(transitions["observations"], dtype=np.float32),
        "actions": np.asarray(transitions["actions"], dtype=np.float32),
        "rewards": np.asarray(transitions["rewards"], dtype=np.float32),
        "masks": 1.0 - np.asarray(transitions["terminals"], dtype=np.float32),
        "dones_float": dones,
        "next_observations": np.asarray(transitions["next_observations"], dtype=np.float32),
    }


def to_torchrl_ted(ds) -> dict[str, Any]:
    """torchrl's TED layout (nested dict of numpy arrays, batch size N = ds.total_steps): the root holds
    the state a step starts from (observation, action, and done/terminated/truncated of that state:
    all False), `next` the step's outcome (observation, reward, done, terminated, truncated), with
    flags and rewards shaped (N, 1) as torchrl's envs emit them."""
    transitions = ds.transitions()
    n = ds.total_steps
    terminated = np.asarray(transitions["terminals"], dtype=bool).reshape(n, 1)
    truncated = np.asarray(transitions["timeouts"], dtype=bool).reshape(n, 1) & ~terminated
    episode = np.repeat(np.arange(ds.total_episodes, dtype=np.int64), ds.episode_lengths)
    not_done = np.zeros((n, 1), dtype=bool)
    return {
        "observation": transitions["observations"],
        "action": transitions["actions"],
        "episode": episode,
        "done": not_done, "terminated": not_done.copy(), "truncated": not_done.copy(),
        "next": {
            "observation": transitions["next_observations"],
            "reward": np.asarray(transitions["rewards"], dtype=np.float32).reshape(n, 1),
            "done": terminated | truncated, "terminated": terminated, "truncated": truncated,
        },
    }


# --- Minari ---------------------------------------------------------------------------------------


def _import_minari():
    try:
        import minari
        from minari.data_collector import EpisodeBuffer
    except ImportError as error:
        raise ImportError(f"the Minari converters need minari ({error}): pip install 'minari==0.5.4'") from error
    return minari, EpisodeBuffer


def _with_final(steps, final):
    """Minari's per-episode observations: the N stored ones and the final one, N + 1 rows."""
    if isinstance(steps, dict):
        return {key: _with_final(steps[key], final[key]) for key in steps}
    if isinstance(steps, tuple):
        return tuple(_with_final(a, b) for a, b in zip(steps, final))
    steps = np.asarray(steps)
    return np.concatenate([steps, np.asarray(final, dtype=steps.dtype)[None]])


def to_minari(ds, dataset_id: str, *, author: str | None = None, description: str | None = None,
              code_permalink: str | None = None):
    """Write `ds` as the Minari dataset `dataset_id` (into MINARI_DATASETS_PATH, as minari does) and
    return it. Episodes keep their seeds, data, dtypes (float32 rewards stay float32) and order;
    images are stored losslessly (no JPEG). `code_permalink` (Minari's link to the code that made the
    data) is left empty unless given: envsuite does not invent one."""
    minari, EpisodeBuffer = _import_minari()
    buffers = []
    for index, episode in enumerate(ds.episodes()):
        terminated = np.asarray(episode.terminals, dtype=bool)
        buffers.append(EpisodeBuffer(
            id=index, seed=int(episode.seed),
            observations=_with_final(episode.observations, episode.final_observation),
            actions=map_structure(np.asarray, episode.actions),
            rewards=list(np.asarray(episode.rewards)),  # the stored dtype (float32): Minari keeps what it is given
            terminations=list(terminated), truncations=list(np.asarray(episode.timeouts, dtype=bool) & ~terminated),
            infos={}))
    spec = ds.env_spec.get("gymnasium_spec") if isinstance(ds.env_spec, dict) else None
    return minari.create_dataset_from_buffers(
        dataset_id, buffers, env=_env_spec(spec), observation_space=ds.observation_space,
        action_space=ds.action_space, algorithm_name=", ".join(ds.policies),
        author=author or "envsuite", code_permalink=code_permalink,
        description=description or f"{ds.dataset_id} (envsuite, content_sha256 {ds.content_sha256})",
        ref_min_score=_finite_or_none(ds.ref_min_score), ref_max_score=_finite_or_none(ds.ref_max_score),
        jpeg_encoding=False)


def _env_spec(spec_json):
    if not spec_json:
        return None
    import gymnasium

    try:
        return gymnasium.envs.registration.EnvSpec.from_json(spec_json)
    except Exception:  # noqa: BLE001 - a spec Minari cannot take is left out, not fatal
        return None


def _finite_or_none(value):
    return float(value) if value is not None and np.isfinite(value) else None


def from_minari(minari_dataset, path: str | os.PathLike, *, dataset_id: str | None = None,
                env_id: str | None = None, family: str = "imported") -> Path:
    """Write a Minari dataset (an id or a MinariDataset) as an envsuite dataset file at `path`."""
    from envsuite.data.writer import DatasetWriter

    minari, _ = _import_minari()
    source = minari.load_dataset(minari_dataset) if isinstance(minari_dataset, str) else minari_dataset
    spec = source.spec
    name = dataset_id or f"minari/{spec.dataset_id.replace('/', '-')}"
    env_spec = source.env_spec
    info = source.storage.metadata  # the dataset's metadata: algorithm_name, ref scores, ...
    with DatasetWriter(path, dataset_id=name, env_id=env_id or (env_spec.id if env_spec else "unknown"),
                       family=family, observation_space=source.observation_space,
                       action_space=source.action_space, policies=[str(info.get("algorithm_name") or "minari")],
                       ref_min_score=_finite_or_none(info.get("ref_min_score")),
                       ref_max_score=_finite_or_none(info.get("ref_max_score")),
                       extra_attrs={"imported_from": f"minari:{spec.dataset_id}"}) as writer:
        metadata = list(source.storage.get_episode_metadata(source.episode_indices))  # seeds live there
        for episode, meta in zip(source.iterate_episodes(), metadata):
            steps = map_structure(lambda leaf: np.asarray(leaf)[:-1], episode.observations)
            final = map_structure(lambda leaf: np.asarray(leaf)[-1], episode.observations)
            terminals = np.asarray(episode.terminations, dtype=bool)
            timeouts = np.asarray(episode.truncations, dtype=bool)
            if not (terminals[-1] or timeouts[-1]):
                timeouts[-1] = True  # an episode Minari stored unfinished ends in a cut, as envsuite's budget cuts
            writer.add_episode(steps, map_structure(np.asarray, episode.actions),
                               np.asarray(episode.rewards, dtype=np.float32), terminals, timeouts,
                               final_observation=final, seed=_seed(meta))
        return writer.finalize()


def _seed(metadata: dict) -> int:
    seed = metadata.get("seed")
    return -1 if seed is None or (isinstance(seed, float) and np.isnan(seed)) else int(seed)


# --- D4RL HDF5 files ------------------------------------------------------------------------------


def from_d4rl_hdf5(source: str | os.PathLike, path: str | os.PathLike, *, dataset_id: str, env_id: str,
                   family: str = "imported", observation_space=None, action_space=None) -> Path:
    """Write a D4RL-layout HDF5 file (root arrays observations, actions, rewards, terminals, timeouts;
    optional next_observations) as an envsuite dataset at `path`. Episodes end where terminals or
    timeouts is set; trailing steps without a flag become a last episode cut by a timeout. An
    episode's final observation is next_observations at its last step when the file has them, else
    its last observation (D4RL's files do not store it). Spaces default to unbounded float32 Boxes."""
    import h5py

    from envsuite.data.writer import DatasetWriter

    source = Path(source)
    with h5py.File(source, "r") as file:
        missing = [key for key in ("observations", "actions", "rewards", "terminals") if key not in file]
        if missing:
            raise ValueError(f"{source} is not a D4RL-layout file: it lacks {missing} at its root")
        observations = file["observations"][()]
        actions = file["actions"][()]
        rewards = file["rewards"][()].astype(np.float32).reshape(-1)
        terminals = file["terminals"][()].astype(bool).reshape(-1)
        timeouts = file["timeouts"][()].astype(bool).reshape(-1) if "timeouts" in file else np.zeros_like(terminals)
        next_observations = file["next_observations"][()] if "next_observations" in file else None
    n = len(rewards)
    if not (len(observations) == len(actions) == len(terminals) == len(timeouts) == n) or n == 0:
        raise ValueError(f"{source}: observations, actions, rewards, terminals and timeouts must have the same "
                         f"number (> 0) of rows")
    ends = terminals | timeouts
    ends[-1] = True
    timeouts = timeouts.copy()
    timeouts[-1] |= not terminals[-1]
    observation_space = observation_space or spaces.Box(-np.inf, np.inf, observations.shape[1:], np.float32)
    action_space = action_space or spaces.Box(-np.inf, np.inf, actions.shape[1:], np.float32)
    boundaries = np.flatnonzero(ends) + 1
    with DatasetWriter(path, dataset_id=dataset_id, env_id=env_id, family=family,
                       observation_space=observation_space, action_space=action_space, policies=["d4rl"],
                       extra_attrs={"imported_from": f"d4rl-hdf5:{source.name}"}) as writer:
        start = 0
        for stop in boundaries:
            last = stop - 1
            final = next_observations[last] if next_observations is not None else observations[last]
            writer.add_episode(observations[start:stop].astype(observation_space.dtype),
                               actions[start:stop].astype(action_space.dtype), rewards[start:stop],
                               terminals[start:stop], timeouts[start:stop],
                               final_observation=np.asarray(final, dtype=observation_space.dtype), seed=-1)
            start = stop
        return writer.finalize()
