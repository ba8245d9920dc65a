"""Behaviour cloning on an envsuite dataset with d3rlpy, in three lines of glue (not run by make test).

    pip install "envsuite[d3rlpy]"   # d3rlpy 2.8.1 and torch (with gymnasium 1.0.0, d3rlpy's pin: README, "d3rlpy")
    envsuite-datagen generate locomotion/hopper-expert-v0 --size small
    python examples/bc_d3rlpy.py

Where it sits: an example of D4RL's habit `env.get_dataset()` (a mapping of D4RL's keys, which are
d3rlpy MDPDataset's arguments).
"""

import d3rlpy
import gymnasium

import envsuite

env = gymnasium.make("envsuite/hopper-expert-v0")
dataset = d3rlpy.dataset.MDPDataset(**env.get_dataset())  # the glue

bc = d3rlpy.algos.BCConfig().create(device="cpu:0")
bc.fit(dataset, n_steps=10_000, n_steps_per_epoch=1_000,
       evaluators={"environment": d3rlpy.metrics.EnvironmentEvaluator(gymnasium.make("envsuite/Hopper-v0"))})
print("envsuite", envsuite.__version__ if hasattr(envsuite, "__version__") else "", "- BC trained on", dataset.size(), "episodes")
