"""Datagen at D4RL scale: 1,000,000 Hopper expert steps with 2 workers vs the bare physics of the same steps.

    python benchmarks/datagen_1m.py       (from the repository root; about 3 minutes here)

Uses benchmarks/run.py's own measurement functions; benchmarks/PROFILE.md quotes its output.
"""

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import run  # noqa: E402

if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as scratch:
        ours, path = run.envsuite_datagen_seconds("locomotion/hopper-expert-v0", 1_000_000, Path(scratch))
        physics = run.same_work_physics_seconds(path)
        print(f"1M hopper expert: datagen {ours:.1f} s, bare physics of the same steps {physics:.1f} s, "
              f"ratio {physics / ours:.2f}")
