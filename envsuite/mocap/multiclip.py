"""The multi-clip tracking policy (MoCapAct's distilled policy): one network for every clip, numpy only.

Where it sits: the MoCap family's learned behaviour policy (envsuite/mocap/), beside the planner
expert (expert.py). It is trained apart from the env, by training/mocap/distill.py (PyTorch, the
`train` extra: behaviour cloning on the expert's mean actions, then DAgger rounds with the expert
relabelling the student's states); inference needs numpy only and reads the weights file that the
trainer writes (`MultiClipPolicy.save` / `load`; the committed one is assets/mocap/multiclip_policy.npz).

The network, on the tracking env's flat observation (its reference observables are the clip
conditioning, as in MoCapAct, so no clip id is needed):

    x      = clip((obs - obs_mean) / obs_std, -obs_clip, obs_clip)          float32
    h      = elu(W_i x + b_i)                                               every hidden layer
    action = clip(prior(obs) + tanh(W_out h + b_out), -1, 1)                the env's action range

prior(obs) is optional (0 without it): the planner's own action without its correction, the reference
pose plus stiffness feedback, which is linear in the observation (expert.reference_pose_prior: two
columns and an offset per actuator). With it the network learns only the planner's correction, the
part that differs from clip to clip.

Each row is computed on its own (a matrix-vector product per observation), so an episode's actions
do not depend on what else is in the batch.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from envsuite.policies.base import Policy
from envsuite.policies.mlp import check_layers

POLICY_ASSET = ("mocap", "multiclip_policy.npz")
FORMAT = "envsuite-multiclip-policy-v1"


def elu(x: np.ndarray) -> np.ndarray:
    return np.where(x > 0, x, np.expm1(np.minimum(x, 0.0)))


PRIOR_KEYS = ("columns", "coefficients", "offset")


def check_prior(prior: dict, obs_dim: int, action_dim: int) -> dict[str, np.ndarray]:
    """The prior's arrays (expert.reference_pose_prior's layout), checked against the network's sizes."""
    missing = [key for key in PRIOR_KEYS if key not in prior]
    if missing:
        raise ValueError(f"MultiClipPolicy prior needs {list(PRIOR_KEYS)}, missing {missing}")
    columns = np.asarray(prior["columns"], dtype=np.int64)
    coefficients = np.asarray(prior["coefficients"], dtype=np.float32)
    offset = np.asarray(prior["offset"], dtype=np.float32)
    if offset.shape != (action_dim,) or columns.ndim != 2 or columns.shape[1] != action_dim \
            or coefficients.shape != columns.shape:
        raise ValueError(f"MultiClipPolicy prior: columns and coefficients must be (k, {action_dim}) and offset "
                         f"({action_dim},), got {columns.shape}, {coefficients.shape}, {offset.shape}")
    if columns.min() < 0 or columns.max() >= obs_dim:
        raise ValueError(f"MultiClipPolicy prior columns must index the {obs_dim} observation columns")
    return {"columns": columns, "coefficients": coefficients, "offset": offset}


def prior_actions(prior: dict, observations: np.ndarray) -> np.ndarray:
    """prior(obs) (B, action_dim) for observations (B, obs_dim): offset + sum_k coefficients[k] * obs[columns[k]]."""
    observations = np.asarray(observations)
    return prior["offset"] + np.sum(prior["coefficients"] * observations[:, prior["columns"]], axis=1)


class MultiClipPolicy(Policy):
    """A trained multi-clip tracking policy in the batched policy protocol (envsuite.policies.base)."""

    def __init__(self, layers, obs_mean, obs_std, *, obs_clip: float = 5.0, name: str = "multiclip",
                 metadata: dict | None = None, prior: dict | None = None):
        super().__init__()
        self.layers = check_layers([(np.asarray(w, dtype=np.float32), np.asarray(b, dtype=np.float32))
                                    for w, b in layers], "MultiClipPolicy")
        self.obs_mean = np.asarray(obs_mean, dtype=np.float32)
        self.obs_std = np.asarray(obs_std, dtype=np.float32)
        if self.obs_mean.shape != (self.obs_dim,) or self.obs_std.shape != (self.obs_dim,):
            raise ValueError(f"MultiClipPolicy obs_mean and obs_std must have shape ({self.obs_dim},), got "
                             f"{self.obs_mean.shape}, {self.obs_std.shape}")
        if np.any(self.obs_std <= 0):
            raise ValueError("MultiClipPolicy obs_std must be positive")
        self.obs_clip = float(obs_clip)
        self.prior = None if prior is None else check_prior(prior, self.obs_dim, self.action_dim)
        self.name = name
        self.metadata: dict[str, Any] = dict(metadata or {})

    @property
    def obs_dim(self) -> int:
        return self.layers[0][0].shape[1]

    @property
    def action_dim(self) -> int:
        return self.layers[-1][0].shape[0]

    def act(self, observations, rng=None) -> np.ndarray:
        """Actions (B, 56) in [-1, 1] for observations (B, obs_dim); deterministic (rng is not used)."""
        obs = np.asarray(observations, dtype=np.float32)
        if obs.ndim != 2 or obs.shape[1] != self.obs_dim:
            raise ValueError(f"{self.name}: expected observations of shape (batch, {self.obs_dim}), got {obs.shape}; "
                             "the policy was trained on the tracking env's flat observation with its ref_steps")
        self.info = {}
        # the prior is elementwise per row, so taking it for the batch at once keeps rows independent
        priors = prior_actions(self.prior, obs) if self.prior is not None else np.zeros((len(obs), self.action_dim))
        return np.stack([self._row(row, prior) for row, prior in zip(obs, priors)])

    def _row(self, obs: np.ndarray, prior: np.ndarray) -> np.ndarray:
        hidden = np.clip((obs - self.obs_mean) / self.obs_std, -self.obs_clip, self.obs_clip)
        for weights, bias in self.layers[:-1]:
            hidden = elu(weights @ hidden + bias)
        weights, bias = self.layers[-1]
        return np.clip(np.tanh(weights @ hidden + bias) + prior, -1.0, 1.0).astype(np.float32)

    def save(self, path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        arrays = {f"layer{i}_weights": w for i, (w, _) in enumerate(self.layers)}
        arrays.update({f"layer{i}_bias": b for i, (_, b) in enumerate(self.layers)})
        if self.prior is not None:
            arrays.update({f"prior_{key}": value for key, value in self.prior.items()})
        np.savez_compressed(path, **arrays, format=np.array(FORMAT), layers=np.int64(len(self.layers)),
                            obs_mean=self.obs_mean, obs_std=self.obs_std, obs_clip=np.float64(self.obs_clip),
                            name=np.array(self.name), metadata=np.array(json.dumps(self.metadata, sort_keys=True)))
        return path

    @classmethod
    def load(cls, path) -> "MultiClipPolicy":
        with np.load(path, allow_pickle=False) as data:
            if "format" not in data.files or str(data["format"]) != FORMAT:
                raise ValueError(f"{path} is not a multi-clip policy file (format {FORMAT!r}); "
                                 "training/mocap/distill.py writes them")
            layers = [(data[f"layer{i}_weights"], data[f"layer{i}_bias"]) for i in range(int(data["layers"]))]
            prior = {key: data[f"prior_{key}"] for key in PRIOR_KEYS} if "prior_offset" in data.files else None
            return cls(layers, data["obs_mean"], data["obs_std"], obs_clip=float(data["obs_clip"]),
                       name=str(data["name"]), metadata=json.loads(str(data["metadata"])), prior=prior)

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "type": "MultiClipPolicy", "layers": [list(w.shape) for w, _ in self.layers],
                "reference_pose_prior": self.prior is not None, "metadata": self.metadata}


def multiclip_policy(path=None) -> MultiClipPolicy:
    """The committed multi-clip policy (assets/mocap/multiclip_policy.npz), or the policy file at `path`."""
    from envsuite import paths

    path = Path(path) if path is not None else paths.asset_path(*POLICY_ASSET)
    if not path.is_file():
        raise FileNotFoundError(f"no multi-clip policy at {path}: train one with "
                                "`python -m training.mocap.distill` (needs the train extra: pip install envsuite[train])")
    return MultiClipPolicy.load(path)
