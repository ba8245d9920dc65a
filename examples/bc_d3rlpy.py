"""Behaviour cloning on an envsuite dataset with d3rlpy, in three lines of glue (not run by make test).

    pip install d3rlpy          # brings torch
    envsuite-datagen generate locomotion/hopper-expert-v0 --size small
    python examples/bc_d3rlpy.py

Where it sits: an example of `envsuite.data.convert.to_d4rl` (envsuite -> d3rlpy's MDPDataset).
"""

import d3rlpy
import gymnasium

import envsuite
from envsuite.data.convert import to_d4rl

env = gymnasium.make("envsuite/hopper-expert-v0")
dataset = d3rlpy.dataset.MDPDataset(**to_d4rl(env.unwrapped.get_dataset()))  # the glue

bc = d3rlpy.algos.BCConfig().create(device="cpu:0")
bc.fit(dataset, n_steps=10_000, n_steps_per_epoch=1_000,
       evaluators={"environment": d3rlpy.metrics.EnvironmentEvaluator(gymnasium.make("envsuite/Hopper-v0"))})
print("envsuite", envsuite.__version__ if hasattr(envsuite, "__version__") else "", "- BC trained on", dataset.size(), "episodes")
