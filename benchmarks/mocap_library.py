"""The shipped MoCap library in the tracking env, beside dm_control's MultiClipMocapTracking on the same clips.

    python benchmarks/mocap_library.py [--anchor-subset walk_tiny] [--resets 2000]

Measures: deriving clips from the stored qpos (cold cache, a subset), loading the whole library into
`envsuite/CMUHumanoidTracking-v0` with a warm cache, the env's reset time with the whole library
loaded, and dm_control's reset time on an exported subset (dm_control recompiles its physics on
every reset; loading the whole library into it would take its loader minutes, so the anchor runs on
a subset and the ratio says so). Writes the "mocap-library" section of benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path


REPO = Path(__file__).resolve().parents[1]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--anchor-subset", default="walk_tiny")
    parser.add_argument("--derive-subset", default="walk_tiny", help="derived with an empty cache (the cold cost)")
    parser.add_argument("--resets", type=int, default=2000)
    parser.add_argument("--out", default=str(REPO / "benchmarks" / "RESULTS.md"))
    args = parser.parse_args(argv)

    import gymnasium

    import envsuite  # noqa: F401
    from benchmarks.results import machine_description, write_section
    from envsuite.mocap import library
    from envsuite.mocap.oracle import dm_control_tracking

    started = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    records = library.library()
    minutes = sum(r.duration_s for r in records) / 60
    snippets = sum(len(r.snippets) for r in records)

    with tempfile.TemporaryDirectory() as cold:  # the cold cost: an empty cache
        os.environ["ENVSUITE_CACHE_DIR"] = cold
        ids = library.resolve(args.derive_subset)
        begin = time.perf_counter()
        library.clip_paths(args.derive_subset, progress=False)
        derive_s = time.perf_counter() - begin
        derived_steps = sum(r.num_steps for r in records if r.id in set(ids))
    del os.environ["ENVSUITE_CACHE_DIR"]

    library.clip_paths("all")  # warm the user cache (derives once if needed)
    # a warm process: the walker model is compiled once per process (tracking.py), by a first env
    gymnasium.make("envsuite/CMUHumanoidTracking-v0", clips=[records[0].id]).close()
    begin = time.perf_counter()
    env = gymnasium.make("envsuite/CMUHumanoidTracking-v0", clips="all", start_mode="random-start")
    load_s = time.perf_counter() - begin
    env.reset(seed=0)
    begin = time.perf_counter()
    for i in range(args.resets):
        env.reset()
    reset_ms = 1e3 * (time.perf_counter() - begin) / args.resets
    loaded = len(env.unwrapped.references)
    env.close()

    anchor_ids = library.resolve(args.anchor_subset)
    with tempfile.TemporaryDirectory() as folder:
        exported = library.export(args.anchor_subset, Path(folder) / "anchor.h5")
        first = next(r for r in records if r.id == anchor_ids[0])
        their_env, _ = dm_control_tracking(exported, first.id, 0, first.num_steps - 1, always_init_at_clip_start=False)
        their_env.reset()
        anchor_resets = max(20, args.resets // 50)
        begin = time.perf_counter()
        for _ in range(anchor_resets):
            their_env.reset()
        their_reset_ms = 1e3 * (time.perf_counter() - begin) / anchor_resets

    ours_small = gymnasium.make("envsuite/CMUHumanoidTracking-v0", clips=[first.id], start_mode="random-start")
    ours_small.reset(seed=0)
    begin = time.perf_counter()
    for _ in range(args.resets):
        ours_small.reset()
    small_reset_ms = 1e3 * (time.perf_counter() - begin) / args.resets

    rows = [
        "| measure | work | envsuite | dm_control MultiClipMocapTracking | ratio |",
        "|---|---|---|---|---|",
        f"| reset (ms), random starts, one clip | {first.id}, {args.resets:,} / {anchor_resets} resets | "
        f"{small_reset_ms:.3f} | {their_reset_ms:.1f} | {their_reset_ms / small_reset_ms:.0f}x |",
        f"| reset (ms), random starts, whole library | {loaded:,} snippets of {len(records)} clips, {args.resets:,} resets | "
        f"{reset_ms:.3f} | (not run: see above) | |",
        f"| load the whole library into the env (s), warm cache and process (model compiled) | {len(records)} clips, {minutes:.1f} min | {load_s:.2f} | | |",
        f"| derive clips from the stored qpos (s), cold cache | {args.derive_subset}: {len(ids)} clips, {derived_steps:,} steps | "
        f"{derive_s:.2f} ({derived_steps / derive_s:,.0f} steps/s) | | |",
    ]
    section = "\n".join([
        "## MoCap library in the tracking env (issue 16)",
        "",
        f"Command: `python benchmarks/mocap_library.py`. Run started {started}. Machine: {machine_description()}.",
        f"The library: {len(records)} clips, {snippets:,} snippets, {minutes:.1f} min of real CMU motion. dm_control's",
        f"task ran on the exported `{args.anchor_subset}` subset (`envsuite-datagen mocap-clips --export`), one clip.",
        "",
        *rows,
    ])
    write_section(Path(args.out), "mocap-library", section)
    print(section)
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    raise SystemExit(main())
