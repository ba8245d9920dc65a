"""Where datagen's time goes, for benchmarks/PROFILE.md: one shard of a recipe under cProfile.

    python benchmarks/profile_datagen.py [--dataset locomotion/hopper-expert-v0] [--shards 2]

Prints the shard's steps/s, the bare mj_step share of its time and the top functions by own time.
The worker-side view: datagen's start-up and shard scheduling are measured by benchmarks/run.py.
"""

from __future__ import annotations

import argparse
import cProfile
import dataclasses
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="locomotion/hopper-expert-v0")
    parser.add_argument("--shards", type=int, default=2)
    args = parser.parse_args(argv)

    from datagen import runner
    from datagen.recipes import load_recipe

    started = time.perf_counter()
    recipe = dataclasses.replace(load_recipe(args.dataset), budget_steps=1_000_000)
    runner.rollout_shard(recipe, 0)  # set-up (plan, policies, engine) outside the measurement
    print(f"worker set-up and first shard: {time.perf_counter() - started:.2f} s")

    started, steps = time.perf_counter(), 0
    for shard in range(1, 1 + args.shards):
        steps += sum(len(trajectory) for _, trajectory in runner.rollout_shard(recipe, shard))
    elapsed = time.perf_counter() - started
    print(f"{args.shards} shards of {recipe.episodes_per_shard} episodes: {steps:,} steps in {elapsed:.2f} s "
          f"= {steps / elapsed:,.0f} steps/s on one core")

    profile = cProfile.Profile()
    profile.enable()
    runner.rollout_shard(recipe, 1 + args.shards)
    profile.disable()
    stats = pstats.Stats(profile)
    total = stats.total_tt
    physics = sum(own for (file, _, name), (_, _, own, _, _) in stats.stats.items() if name.endswith("mj_step>")
                  or name == "<built-in method mujoco._functions.mj_step>")
    print(f"under cProfile: {total:.2f} s, of which mj_step {physics:.2f} s ({physics / total:.0%})")
    stats.sort_stats("tottime").print_stats(12)
    return 0


if __name__ == "__main__":
    sys.exit(main())
