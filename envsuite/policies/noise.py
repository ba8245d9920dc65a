"""Policy combinators: Gaussian action noise, epsilon-random actions, per-step mixtures.

They wrap any batched policy (envsuite/policies/base.py) and draw all randomness from the `rng`
given to the call, so a dataset recipe's seed fixes every action.
"""

from __future__ import annotations

import numpy as np
from gymnasium import spaces

from envsuite.policies.base import Policy, batch_size_of
from envsuite.policies.random import UniformRandomPolicy


class Noisy(Policy):
    """a = clip(policy(obs) + sigma * N(0, I), low, high) for Box action spaces."""

    def __init__(self, policy: Policy, sigma: float, action_space: spaces.Box, name: str | None = None):
        super().__init__()
        if not isinstance(action_space, spaces.Box):
            raise ValueError(f"Noisy needs a Box action space, got {action_space}")
        if not (sigma >= 0 and np.isfinite(sigma)):
            raise ValueError(f"Noisy sigma must be a finite number >= 0, got {sigma}")
        self.policy, self.sigma, self.action_space = policy, float(sigma), action_space
        self.name = name or f"{policy.name}+noise{sigma:g}"

    def act(self, observations, rng):
        actions = self.policy(observations, rng)
        noisy = actions + self.sigma * rng.standard_normal(actions.shape)
        self.info = dict(self.policy.info)
        return np.clip(noisy, self.action_space.low, self.action_space.high).astype(self.action_space.dtype)

    def describe(self):
        return {"name": self.name, "type": "Noisy", "sigma": self.sigma, "policy": self.policy.describe()}


class EpsilonRandom(Policy):
    """With probability epsilon per row and step, a uniform random action replaces the policy's."""

    def __init__(self, policy: Policy, epsilon: float, action_space: spaces.Space, name: str | None = None):
        super().__init__()
        if not 0.0 <= epsilon <= 1.0:
            raise ValueError(f"EpsilonRandom epsilon must be in [0, 1], got {epsilon}")
        self.policy, self.epsilon = policy, float(epsilon)
        self.random = UniformRandomPolicy(action_space)
        self.name = name or f"{policy.name}+eps{epsilon:g}"

    def act(self, observations, rng):
        actions = np.array(self.policy(observations, rng), copy=True)
        replace = rng.random(batch_size_of(observations)) < self.epsilon
        random_actions = self.random(observations, rng)
        actions[replace] = random_actions[replace]
        self.info = {"random_action": replace}
        return actions

    def describe(self):
        return {"name": self.name, "type": "EpsilonRandom", "epsilon": self.epsilon, "policy": self.policy.describe()}


class Mixture(Policy):
    """Each row picks one of `policies` per step with probabilities `weights`.

    (Per-episode mixtures, as in D4RL's medium-expert, are chosen by the dataset runner from the
    recipe instead, so that every episode has one behaviour policy.)
    """

    def __init__(self, policies: list[Policy], weights=None, name: str | None = None):
        super().__init__()
        if not policies:
            raise ValueError("Mixture needs at least one policy")
        weights = np.ones(len(policies)) if weights is None else np.asarray(weights, dtype=np.float64)
        if weights.shape != (len(policies),) or np.any(weights < 0) or weights.sum() <= 0:
            raise ValueError(f"Mixture weights must be {len(policies)} non-negative numbers with a positive sum, got {weights}")
        self.policies, self.weights = list(policies), weights / weights.sum()
        self.name = name or "mixture(" + ",".join(p.name for p in policies) + ")"

    def act(self, observations, rng):
        choice = rng.choice(len(self.policies), size=batch_size_of(observations), p=self.weights)
        all_actions = [policy(observations, rng) for policy in self.policies]
        actions = np.array(all_actions[0], copy=True)
        for index in range(1, len(self.policies)):
            actions[choice == index] = all_actions[index][choice == index]
        self.info = {"policy_index": choice}
        return actions

    def describe(self):
        return {"name": self.name, "type": "Mixture", "weights": self.weights.tolist(),
                "policies": [p.describe() for p in self.policies]}
