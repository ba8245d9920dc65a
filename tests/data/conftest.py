"""Shared builders for the envsuite.data tests: small episodes, small datasets, and an independent
oracle of the content hash (written from its definition in content_hash.py, sharing no code)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import h5py
import numpy as np
import pytest
from gymnasium import spaces

from envsuite.data import DatasetWriter

OBS_DIM = 4
ACT_DIM = 2


class DatasetFactory:
    """Builds episodes and datasets whose values make every step distinguishable."""

    box_observation_space = spaces.Box(-np.inf, np.inf, (OBS_DIM,), np.float32)
    box_action_space = spaces.Box(-1.0, 1.0, (ACT_DIM,), np.float32)
    dict_observation_space = spaces.Dict({
        "pixels": spaces.Box(0, 255, (16, 16, 3), np.uint8),
        "goal": spaces.Text(40, min_length=0, charset="abcdefghijklmnopqrstuvwxyz0123456789 "),
        "state": spaces.Dict({
            "position": spaces.Box(-np.inf, np.inf, (3,), np.float32),
            "velocity": spaces.Box(-10.0, 10.0, (2,), np.float64),
        }),
    })

    def box_episode(self, rng: np.random.Generator, length: int, end: str = "timeout") -> dict:
        """add_episode keyword arguments for a Box episode; end is "terminal", "timeout" or "both"."""
        terminals = np.zeros(length, dtype=bool)
        timeouts = np.zeros(length, dtype=bool)
        terminals[-1] = end in ("terminal", "both")
        timeouts[-1] = end in ("timeout", "both")
        return dict(
            observations=rng.normal(size=(length, OBS_DIM)).astype(np.float32),
            actions=rng.uniform(-1, 1, size=(length, ACT_DIM)).astype(np.float32),
            rewards=rng.normal(size=length).astype(np.float32),
            terminals=terminals,
            timeouts=timeouts,
            final_observation=rng.normal(size=OBS_DIM).astype(np.float32),
            seed=int(rng.integers(0, 2**31)),
            policy=int(rng.integers(0, 2)),
        )

    def dict_episode(self, rng: np.random.Generator, length: int) -> dict:
        """add_episode keyword arguments for an episode of `dict_observation_space` with infos."""
        def observation(count: int | None) -> dict:
            shape = () if count is None else (count,)
            words = [f"goal {int(value)}" for value in rng.integers(0, 1000, size=count or 1)]
            return {
                "pixels": rng.integers(0, 256, size=(*shape, 16, 16, 3), dtype=np.uint8),
                "goal": words[0] if count is None else words,
                "state": {
                    "position": rng.normal(size=(*shape, 3)).astype(np.float32),
                    "velocity": rng.uniform(-10, 10, size=(*shape, 2)),
                },
            }

        timeouts = np.zeros(length, dtype=bool)
        timeouts[-1] = True
        return dict(
            observations=observation(length),
            actions=rng.integers(0, 5, size=length),
            rewards=rng.normal(size=length),
            terminals=np.zeros(length, dtype=bool),
            timeouts=timeouts,
            final_observation=observation(None),
            seed=int(rng.integers(0, 2**31)),
            policy=0,
            infos={"qpos": rng.normal(size=(length, 5)), "ui": {"label": [f"button {i}" for i in range(length)]}},
        )

    def writer(self, path: Path, **overrides) -> DatasetWriter:
        arguments = dict(
            dataset_id="test/box-medium-v0",
            env_id="CartPole-v1",
            family="test",
            observation_space=self.box_observation_space,
            action_space=self.box_action_space,
            policies=["expert", "random"],
            recipe={"seed": 7, "policies": ["expert", "random"]},
            env_spec={"id": "CartPole-v1"},
            ref_min_score=-10.0,
            ref_max_score=30.0,
        )
        arguments.update(overrides)
        return DatasetWriter(path, **arguments)

    def write_box(self, path: Path, lengths: list[int], seed: int = 0, metrics: dict | None = None,
                  **overrides) -> tuple[Path, list[dict]]:
        """Write a Box dataset of episodes with these lengths; return its path and the episodes."""
        rng = np.random.default_rng(seed)
        episodes = [self.box_episode(rng, length, end=("terminal", "timeout", "both")[index % 3])
                    for index, length in enumerate(lengths)]
        with self.writer(path, **overrides) as writer:
            for episode in episodes:
                writer.add_episode(**episode)
            final_path = writer.finalize(metrics=metrics)
        return final_path, episodes

    def write_dict(self, path: Path, lengths: list[int], seed: int = 0, **overrides) -> tuple[Path, list[dict]]:
        rng = np.random.default_rng(seed)
        episodes = [self.dict_episode(rng, length) for length in lengths]
        overrides.setdefault("observation_space", self.dict_observation_space)
        overrides.setdefault("action_space", spaces.Discrete(5))
        with self.writer(path, **overrides) as writer:
            for episode in episodes:
                writer.add_episode(**episode)
        return path, episodes

    @staticmethod
    def oracle_content_hash(path: Path) -> str:
        """content_sha256 recomputed from whole arrays read back with h5py."""
        names: list[str] = []
        with h5py.File(path, "r") as file:
            file.visititems(lambda name, node: names.append(name)
                            if isinstance(node, h5py.Dataset) and not name.startswith("metrics/") else None)
            combined = hashlib.sha256()
            for name in sorted(names):
                array = file[name][()]
                if h5py.check_string_dtype(file[name].dtype) is not None:
                    dtype = "vlen-utf8"
                    data = b"".join(len(item).to_bytes(8, "little") + item for item in array.ravel())
                else:
                    dtype = array.dtype.str
                    data = array.tobytes(order="C")
                combined.update(f"{name}\0{dtype}\0{','.join(str(dim) for dim in array.shape)}\0".encode())
                combined.update(hashlib.sha256(data).digest())
        return combined.hexdigest()


@pytest.fixture(scope="session")
def factory() -> DatasetFactory:
    return DatasetFactory()
