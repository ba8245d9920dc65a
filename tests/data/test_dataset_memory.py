"""The writer streams: its memory does not grow with the number of episodes written."""

from __future__ import annotations

import tracemalloc

import numpy as np
from gymnasium import spaces

from envsuite.data import DatasetWriter

OBS_DIM = 32
ACT_DIM = 8
STEPS_PER_EPISODE = 100  # ~16 KB per episode: 200 episodes already exceed the 1 MiB write buffer


def peak_python_allocation_while_writing(path, episode_count: int) -> int:
    """Peak bytes allocated (numpy arrays included) while writing `episode_count` episodes that
    are generated on the fly, so only the writer can make memory grow."""
    rng = np.random.default_rng(0)
    observation = rng.normal(size=(STEPS_PER_EPISODE, OBS_DIM)).astype(np.float32)
    action = rng.normal(size=(STEPS_PER_EPISODE, ACT_DIM)).astype(np.float32)
    rewards = np.ones(STEPS_PER_EPISODE, np.float32)
    terminals = np.zeros(STEPS_PER_EPISODE, bool)
    timeouts = np.zeros(STEPS_PER_EPISODE, bool)
    timeouts[-1] = True
    tracemalloc.start()
    try:
        with DatasetWriter(path, dataset_id="test/memory-v0", env_id="x", family="test",
                           observation_space=spaces.Box(-np.inf, np.inf, (OBS_DIM,), np.float32),
                           action_space=spaces.Box(-np.inf, np.inf, (ACT_DIM,), np.float32),
                           compression=None) as writer:
            for index in range(episode_count):
                # Fresh arrays per episode, as a rollout would produce.
                writer.add_episode(observation + index, action.copy(), rewards.copy(), terminals.copy(),
                                   timeouts.copy(), final_observation=observation[-1] + index, seed=index)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak


def test_writer_memory_does_not_scale_with_episode_count(tmp_path):
    small = peak_python_allocation_while_writing(tmp_path / "small.h5", 200)
    large = peak_python_allocation_while_writing(tmp_path / "large.h5", 2000)
    # Keeping every episode would make `large` about 10x `small` (~33 MB vs ~3.3 MB).
    assert large < 2 * small, f"peak {large} bytes for 2000 episodes vs {small} for 200"
    assert (tmp_path / "large.h5").stat().st_size > 5 * (tmp_path / "small.h5").stat().st_size
