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

    def __call__(self, observations, rng) -> np.ndarray:
        if not isinstance(rng, (np.random.Generator, RowStreams)):
            raise TypeError(f"{self.name}: rng must be a numpy.random.Generator or RowStreams, got {type(rng).__name__}")
        if isinstance(rng, RowStreams) and len(rng) != batch_size_of(observations):
            raise ValueError(f"{self.name}: {len(rng)} row streams for a batch of {batch_size_of(observations)} observations")
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


class RowStreams:
    """One numpy Generator per batch row, usable as a policy's `rng`.

    Datagen gives each episode its own random stream (seeded from (recipe seed, episode index)), so an
    episode's actions do not depend on which other episodes share its batch or shard. Policies draw
    with a leading batch axis as from one Generator (`rng.standard_normal((B, A))`); here row r's
    part comes from generator r alone. Only the methods the policies use are provided.
    """

    def __init__(self, generators):
        self.generators = list(generators)

    def __len__(self) -> int:
        return len(self.generators)

    def _per_row(self, size, draw) -> np.ndarray:
        shape = (size,) if isinstance(size, (int, np.integer)) else tuple(size)
        if not shape or shape[0] != len(self.generators):
            raise ValueError(f"RowStreams of {len(self.generators)} rows asked for size {size}; "
                             "the first dimension must be the batch")
        return np.stack([np.asarray(draw(generator, shape[1:])) for generator in self.generators])

    def standard_normal(self, size):
        return self._per_row(size, lambda g, shape: g.standard_normal(shape))

    def random(self, size):
        return self._per_row(size, lambda g, shape: g.random(shape))

    def uniform(self, low=0.0, high=1.0, size=None):
        return self._per_row(size, lambda g, shape: g.uniform(low, high, size=shape))

    def integers(self, low, high=None, size=None):
        return self._per_row(size, lambda g, shape: g.integers(low, high, size=shape))

    def choice(self, a, size=None, p=None):
        return self._per_row(size, lambda g, shape: g.choice(a, size=shape, p=p))
