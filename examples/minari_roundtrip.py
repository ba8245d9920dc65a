"""An envsuite dataset into Minari and back (not run by make test; tests/interop does the same).

    envsuite-datagen generate locomotion/hopper-medium-v0 --size small
    python examples/minari_roundtrip.py
"""

import minari

from envsuite.data import load_dataset
from envsuite.data.convert import from_minari, to_minari

with load_dataset("locomotion/hopper-medium-v0") as ds:
    to_minari(ds, "envsuite/hopper-medium-v0")                      # writes into MINARI_DATASETS_PATH
exported = minari.load_dataset("envsuite/hopper-medium-v0")
print(exported.total_episodes, "episodes,", exported.total_steps, "steps in Minari")
print(from_minari("envsuite/hopper-medium-v0", "hopper-medium-from-minari.h5"))  # and back to envsuite
