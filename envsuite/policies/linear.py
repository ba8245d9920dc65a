"""Linear policy on normalised observations (ARS V2, Mania et al. 2018), stored as a small .npz.

    action = clip(W @ ((obs - obs_mean) / obs_std) + bias, action_low, action_high)

The `.npz` holds W, bias, obs_mean, obs_std, action_low, action_high and `metadata` (a JSON
string: env, training steps, wall time, evaluation returns, ...). Locomotion experts and medium
checkpoints in assets/locomotion/ are of this kind.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from envsuite.policies.base import Policy


def linear_actions(weights: np.ndarray, normalised: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """W @ x + b for a batch, computed row by row: (B, D) inputs with weights (A, D) or (B, A, D).

    A row's result never depends on the other rows of the batch (a BLAS matrix product may round
    differently with the batch size), so episode i of a dataset and the ARS training rollouts that
    medium-replay replays come out the same whatever they were batched with.
    """
    if weights.ndim == 2:
        weights = weights[None]
    return (weights * normalised[:, None, :]).sum(axis=2) + bias


class LinearPolicy(Policy):
    def __init__(self, weights, obs_mean, obs_std, action_low, action_high, bias=None, name="linear", metadata=None):
        super().__init__()
        self.weights = np.asarray(weights, dtype=np.float64)
        if self.weights.ndim != 2:
            raise ValueError(f"LinearPolicy weights must be 2-D (action_dim, obs_dim), got shape {self.weights.shape}")
        action_dim, obs_dim = self.weights.shape
        self.bias = np.zeros(action_dim) if bias is None else np.asarray(bias, dtype=np.float64)
        self.obs_mean = np.asarray(obs_mean, dtype=np.float64)
        self.obs_std = np.asarray(obs_std, dtype=np.float64)
        self.action_low = np.asarray(action_low, dtype=np.float64)
        self.action_high = np.asarray(action_high, dtype=np.float64)
        for label, array, size in (("obs_mean", self.obs_mean, obs_dim), ("obs_std", self.obs_std, obs_dim),
                                   ("bias", self.bias, action_dim), ("action_low", self.action_low, action_dim),
                                   ("action_high", self.action_high, action_dim)):
            if array.shape != (size,):
                raise ValueError(f"LinearPolicy {label} must have shape ({size},), got {array.shape}")
        if np.any(self.obs_std <= 0):
            raise ValueError("LinearPolicy obs_std must be positive")
        self.name = name
        self.metadata: dict[str, Any] = dict(metadata or {})

    @property
    def obs_dim(self) -> int:
        return self.weights.shape[1]

    def act(self, observations, rng):
        obs = np.asarray(observations, dtype=np.float64)
        if obs.ndim != 2 or obs.shape[1] != self.obs_dim:
            raise ValueError(f"{self.name}: expected observations of shape (batch, {self.obs_dim}), got {obs.shape}")
        actions = linear_actions(self.weights, (obs - self.obs_mean) / self.obs_std, self.bias)
        self.info = {}
        return np.clip(actions, self.action_low, self.action_high).astype(np.float32)

    def save(self, path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez(
            path, weights=self.weights, bias=self.bias, obs_mean=self.obs_mean, obs_std=self.obs_std,
            action_low=self.action_low, action_high=self.action_high,
            name=np.array(self.name), metadata=np.array(json.dumps(self.metadata, sort_keys=True)),
        )
        return path

    @classmethod
    def load(cls, path) -> "LinearPolicy":
        with np.load(path, allow_pickle=False) as data:
            return cls(
                data["weights"], data["obs_mean"], data["obs_std"], data["action_low"], data["action_high"],
                bias=data["bias"], name=str(data["name"]), metadata=json.loads(str(data["metadata"])),
            )

    def describe(self):
        return {"name": self.name, "type": "LinearPolicy", "shape": list(self.weights.shape),
                "metadata": self.metadata}
