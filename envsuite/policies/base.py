"""The behaviour-policy protocol shared by every family (DESIGN.md section 2).

A policy maps a *batch* of observations (leading axis = env index) to a batch of actions:

    actions = policy(observations, rng)     # rng: numpy.random.Generator, the only randomness

and carries `name` (stable, recorded in dataset attrs) and `info` (per-row extras of the last
call, e.g. {"log_prob": (B,)}; empty when the policy has none). `describe()` gives a JSON-able
description for dataset provenance. Policies compose: Noisy, EpsilonRandom, Mixture (noise.py).
Family experts (envsuite/<family>/) implement the same protocol.
"""

from __future__ import annotations

import abc
from typing import Any

import numpy as np


class Policy(abc.ABC):
    """Base class of batched behaviour policies. Subclasses implement `act`."""

    name: str = "policy"

    def __init__(self) -> None:
        self.info: dict[str, np.ndarray] = {}

    def __call__(self, observations, rng: np.random.Generator) -> np.ndarray:
        if not isinstance(rng, np.random.Generator):
            raise TypeError(f"{self.name}: rng must be a numpy.random.Generator, got {type(rng).__name__}")
        return self.act(observations, rng)

    @abc.abstractmethod
    def act(self, observations, rng: np.random.Generator) -> np.ndarray:
        """Actions (B, ...) for observations (B, ...); set self.info to per-row extras, if any."""

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "type": type(self).__name__}


def batch_size_of(observations) -> int:
    """Length of the leading (env) axis of an observation batch; dicts use their first leaf."""
    while isinstance(observations, dict):
        observations = next(iter(observations.values()))
    return len(observations)
