"""Uniform random behaviour policy (D4RL's "random" datasets), for Box and Discrete action spaces."""

from __future__ import annotations

import numpy as np
from gymnasium import spaces

from envsuite.policies.base import Policy, batch_size_of


class UniformRandomPolicy(Policy):
    """Samples every action uniformly from the action space; `info["log_prob"]` is its density."""

    def __init__(self, action_space: spaces.Space, name: str = "random"):
        super().__init__()
        if isinstance(action_space, spaces.Box):
            if not (np.all(np.isfinite(action_space.low)) and np.all(np.isfinite(action_space.high))):
                raise ValueError(f"UniformRandomPolicy needs a bounded Box, got {action_space}")
            self._log_prob = -float(np.sum(np.log(action_space.high.astype(np.float64) - action_space.low)))
        elif isinstance(action_space, spaces.Discrete):
            self._log_prob = -float(np.log(action_space.n))
        else:
            raise ValueError(f"UniformRandomPolicy supports Box and Discrete action spaces, got {action_space}")
        self.action_space = action_space
        self.name = name

    def act(self, observations, rng):
        batch = batch_size_of(observations)
        space = self.action_space
        if isinstance(space, spaces.Box):
            actions = rng.uniform(space.low, space.high, size=(batch, *space.shape)).astype(space.dtype)
        else:
            actions = (space.start + rng.integers(0, space.n, size=batch)).astype(space.dtype)
        self.info = {"log_prob": np.full(batch, self._log_prob)}
        return actions

    def describe(self):
        return {"name": self.name, "type": "UniformRandomPolicy", "action_space": str(self.action_space)}
