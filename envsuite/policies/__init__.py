"""Behaviour policies: the batched protocol (base.py), random, linear (.npz), and combinators.

Family experts live in their family folder and follow the same protocol.
"""

from envsuite.policies.base import Policy, RowStreams, batch_size_of
from envsuite.policies.linear import LinearPolicy
from envsuite.policies.noise import EpsilonRandom, Mixture, Noisy
from envsuite.policies.random import UniformRandomPolicy

__all__ = ["Policy", "RowStreams", "batch_size_of", "LinearPolicy", "UniformRandomPolicy", "Noisy", "EpsilonRandom", "Mixture"]
