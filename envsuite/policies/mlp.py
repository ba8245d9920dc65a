"""Multi-layer perceptron policy on normalised observations (the PPO experts), stored as a small .npz.

    x      = clip((obs - obs_mean) / obs_std, -obs_clip, obs_clip)
    h      = relu(W_i @ h + b_i)            for every hidden layer i
    mean   = W_out @ h + b_out
    action = clip(mean, action_low, action_high)                              deterministic
    action = clip(mean + exp(log_std) * N(0, 1), action_low, action_high)     with a noise seed

Where it sits: a behaviour policy (envsuite.policies protocol) next to LinearPolicy. The
Walker2d expert and medium checkpoint in assets/locomotion/ are of this kind (trained by
training.locomotion.ppo), and the PPO training record replays its rollouts through it.

Why ReLU and row-wise products: every operation is an IEEE add, multiply or max in a fixed order
(`linear_actions`), so an action is bit-for-bit the same on any machine and in any batch. A tanh
would go through libm or numpy's SIMD code, which may round differently across CPUs, and then the
replayed training rollouts of medium-replay (a chaotic system) would drift apart.

A policy built with `noise_seed` is stochastic with its *own* random stream (the `rng` argument is
ignored): it stands for one training rollout and must act in exactly one episode, from its start.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from envsuite.policies.base import Policy
from envsuite.policies.linear import linear_actions


def mlp_mean_actions(layers: list[tuple[np.ndarray, np.ndarray]], normalised: np.ndarray) -> np.ndarray:
    """The network's output for a (B, D) batch of normalised observations, row by row."""
    hidden = normalised
    for weights, bias in layers[:-1]:
        hidden = np.maximum(linear_actions(weights, hidden, bias), 0.0)
    weights, bias = layers[-1]
    return linear_actions(weights, hidden, bias)


def check_layers(layers: list, who: str) -> list:
    """`layers` [(weights (out, in), bias (out,)), ...] if they chain; else a ValueError naming `who`."""
    if not layers:
        raise ValueError(f"{who} needs at least one layer")
    for i, (w, b) in enumerate(layers):
        if w.ndim != 2 or b.shape != (w.shape[0],):
            raise ValueError(f"{who} layer {i}: weights must be (out, in) and bias (out,), got {w.shape}, {b.shape}")
        if i and w.shape[1] != layers[i - 1][0].shape[0]:
            raise ValueError(f"{who} layer {i} takes {w.shape[1]} inputs but layer {i - 1} gives {layers[i - 1][0].shape[0]}")
    return layers


def normalise_observations(obs, obs_mean, obs_std, obs_clip) -> np.ndarray:
    return np.clip((np.asarray(obs, dtype=np.float64) - obs_mean) / obs_std, -obs_clip, obs_clip)


class MLPPolicy(Policy):
    def __init__(self, layers, obs_mean, obs_std, action_low, action_high, *, obs_clip=10.0, log_std=None,
                 noise_seed=None, name="mlp", metadata=None):
        super().__init__()
        self.layers = check_layers([(np.asarray(w, dtype=np.float64), np.asarray(b, dtype=np.float64))
                                    for w, b in layers], "MLPPolicy")
        obs_dim, action_dim = self.layers[0][0].shape[1], self.layers[-1][0].shape[0]
        self.obs_mean = np.asarray(obs_mean, dtype=np.float64)
        self.obs_std = np.asarray(obs_std, dtype=np.float64)
        self.action_low = np.asarray(action_low, dtype=np.float64)
        self.action_high = np.asarray(action_high, dtype=np.float64)
        self.log_std = None if log_std is None else np.asarray(log_std, dtype=np.float64)
        for label, array, size in (("obs_mean", self.obs_mean, obs_dim), ("obs_std", self.obs_std, obs_dim),
                                   ("action_low", self.action_low, action_dim),
                                   ("action_high", self.action_high, action_dim),
                                   ("log_std", self.log_std, action_dim)):
            if array is not None and array.shape != (size,):
                raise ValueError(f"MLPPolicy {label} must have shape ({size},), got {array.shape}")
        if np.any(self.obs_std <= 0):
            raise ValueError("MLPPolicy obs_std must be positive")
        if noise_seed is not None and self.log_std is None:
            raise ValueError("MLPPolicy: a noise_seed needs log_std (the Gaussian's log standard deviation)")
        self.obs_clip = float(obs_clip)
        self.noise_rng = None if noise_seed is None else np.random.default_rng(noise_seed)
        self.name = name
        self.metadata: dict[str, Any] = dict(metadata or {})

    @property
    def obs_dim(self) -> int:
        return self.layers[0][0].shape[1]

    def mean_actions(self, observations) -> np.ndarray:
        obs = np.asarray(observations, dtype=np.float64)
        if obs.ndim != 2 or obs.shape[1] != self.obs_dim:
            raise ValueError(f"{self.name}: expected observations of shape (batch, {self.obs_dim}), got {obs.shape}")
        return mlp_mean_actions(self.layers, normalise_observations(obs, self.obs_mean, self.obs_std, self.obs_clip))

    def sample_unclipped(self, observations) -> np.ndarray:
        """mean + exp(log_std) * noise from the policy's own stream (the action PPO's log-probability is of)."""
        mean = self.mean_actions(observations)
        noise = self.noise_rng.standard_normal(mean.shape)
        return mean + np.exp(self.log_std) * noise

    def act(self, observations, rng):
        raw = self.mean_actions(observations) if self.noise_rng is None else self.sample_unclipped(observations)
        self.info = {}
        return np.clip(raw, self.action_low, self.action_high).astype(np.float32)

    def save(self, path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        arrays = {f"layer{i}_weights": w for i, (w, _) in enumerate(self.layers)}
        arrays.update({f"layer{i}_bias": b for i, (_, b) in enumerate(self.layers)})
        if self.log_std is not None:
            arrays["log_std"] = self.log_std
        np.savez(path, **arrays, layers=np.int64(len(self.layers)), obs_mean=self.obs_mean, obs_std=self.obs_std,
                 obs_clip=np.float64(self.obs_clip), action_low=self.action_low, action_high=self.action_high,
                 name=np.array(self.name), metadata=np.array(json.dumps(self.metadata, sort_keys=True)))
        return path

    @classmethod
    def load(cls, path) -> "MLPPolicy":
        with np.load(path, allow_pickle=False) as data:
            if "layers" not in data.files:
                raise ValueError(f"{path} is not an MLPPolicy file (no 'layers' entry); is it a LinearPolicy?")
            layers = [(data[f"layer{i}_weights"], data[f"layer{i}_bias"]) for i in range(int(data["layers"]))]
            return cls(layers, data["obs_mean"], data["obs_std"], data["action_low"], data["action_high"],
                       obs_clip=float(data["obs_clip"]),
                       log_std=data["log_std"] if "log_std" in data.files else None,
                       name=str(data["name"]), metadata=json.loads(str(data["metadata"])))

    def describe(self):
        return {"name": self.name, "type": "MLPPolicy",
                "layers": [list(w.shape) for w, _ in self.layers], "metadata": self.metadata}
