"""The tracking expert's speed levers, measured: control steps per second and tracking, lever by lever.

    python benchmarks/mocap_expert_levers.py [--episodes 1] [--workers 2]

Issue 17 asks for an expert 10x faster at equal or better tracking, and names levers to measure, not
assume. Each row runs `datagen.mocap.evaluate_tracking` (the datasets' episode definition: snippet
starts and random starts, seed 0) on the committed clips 02_01 (walk) and charleston1 (dance) with
one planner configuration, on one thread per configuration (the datasets' setting: one planner per
worker process), two configurations at a time on the two cores. Reported per row: the planner's
milliseconds per control step (env step included) and that cost in env steps (the env's own step
time measured in the same run), and, per clip, the mean and minimum normalized episode length and
the mean normalized return. Writes the "mocap-expert-levers" section of benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CLIPS = ("02_01", "charleston1")
# (label, planner options over TrackingMPC's defaults: 16 samples x 26 control steps, replanned every step)
LEVERS = [
    ("defaults", {}),
    ("8 samples", {"samples": 8}),
    ("4 samples", {"samples": 4}),
    ("2 samples", {"samples": 2}),
    ("horizon 13", {"horizon": 13}),
    ("8 samples, horizon 20", {"samples": 8, "horizon": 20}),
    ("replan every 2 steps, 4 samples", {"samples": 4, "replan_every": 2}),
    ("replan every 4 steps", {"replan_every": 4}),
    ("replan every 8 steps", {"replan_every": 8}),
    ("planning model: noslip off, 4 samples", {"samples": 4, "plan_noslip_iterations": 0}),
    ("planning model: 3 substeps of 0.01 s, 4 samples", {"samples": 4, "plan_substeps": 3}),
    ("planning model: 2 substeps, noslip off", {"plan_substeps": 2, "plan_noslip_iterations": 0}),
    ("refine every 4 steps, check the plan in between", {"refine_every": 4}),
    ("refine every 8 steps, 8 samples, check in between", {"samples": 8, "refine_every": 8}),
    ("refine every 4 steps, 4 samples, check in between", {"samples": 4, "refine_every": 4}),
    ("4 samples, feedback gain 8", {"samples": 4, "feedback_gain": 8.0}),
]


def measure(job):
    label, planner, episodes = job
    from datagen.mocap import evaluate_tracking
    from envsuite.registry import MOCAP_CLIPS

    row = {"label": label, "planner": planner, "clips": {}}
    seconds = steps = 0.0
    for clip in CLIPS:
        result = evaluate_tracking(list(MOCAP_CLIPS[clip][1]), episodes, planner=dict(planner, threads=1),
                                   progress=False)
        lengths = result["normalized_episode_length"]
        row["clips"][clip] = {"nel": float(lengths.mean()), "nel_min": float(lengths.min()),
                              "return": float(result["normalized_return"].mean()), "episodes": len(lengths)}
        seconds += result["seconds_per_step"] * result["steps"]
        steps += result["steps"]
    row["ms_per_step"] = 1e3 * seconds / steps
    return row


def env_step_ms() -> float:
    """The tracking env's own step (ms) on tracked motion: an expert episode of 02_01 from its start
    (4 samples, to be quick) is recorded, then its actions are replayed from the same start, best of 5."""
    import numpy as np

    from envsuite.mocap.expert import TrackingMPC, run_episode
    from envsuite.mocap.tracking import CMUHumanoidTrackingEnv

    env = CMUHumanoidTrackingEnv(snippets=["02_01-0-95"])
    options = {"start_step": 0}
    actions = run_episode(env, TrackingMPC(samples=4, threads=1), np.random.default_rng(0), seed=0,
                          options=options)["actions"]
    best = float("inf")
    for _ in range(5):
        env.reset(seed=0, options=options)
        begin = time.perf_counter()
        for action in actions:
            env.step(action)
        best = min(best, time.perf_counter() - begin)
    return 1e3 * best / len(actions)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--episodes", type=int, default=1, help="episodes per snippet and start kind")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", default=str(REPO / "benchmarks" / "RESULTS.md"))
    args = parser.parse_args(argv)
    sys.path.insert(0, str(REPO))
    from benchmarks.results import machine_description, write_section

    started = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    step_ms = env_step_ms()
    with multiprocessing.get_context("spawn").Pool(args.workers) as pool:
        rows = pool.map(measure, [(label, planner, args.episodes) for label, planner in LEVERS], chunksize=1)
    base = rows[0]["ms_per_step"]
    lines = [f"Command: `python benchmarks/mocap_expert_levers.py --episodes {args.episodes}`. Run started {started}. "
             f"Machine: {machine_description()}.",
             f"Each row: the tracking expert with one planner configuration on one thread, {args.workers} rows at a "
             f"time; {args.episodes} episode(s) per snippet and start kind on {', '.join(CLIPS)} (seed 0). "
             f"The env's own step took {step_ms:.3f} ms in this run (a recorded expert episode of 02_01 replayed, best of 5).", "",
             "| lever | ms per control step | in env steps | speed-up | " +
             " | ".join(f"{c}: NEL mean (min), return" for c in CLIPS) + " |",
             "|---|---|---|---|" + "---|" * len(CLIPS)]
    for row in rows:
        cells = [f"{row['clips'][c]['nel']:.3f} ({row['clips'][c]['nel_min']:.3f}), {row['clips'][c]['return']:.3f}"
                 for c in CLIPS]
        lines.append(f"| {row['label']} `{json.dumps(row['planner'])}` | {row['ms_per_step']:.1f} | "
                     f"{row['ms_per_step'] / step_ms:.0f} | {base / row['ms_per_step']:.1f}x | " + " | ".join(cells) + " |")
    write_section(Path(args.out), "mocap-expert-levers",
                  "## MoCap tracking expert: speed levers (issue 17)\n\n" + "\n".join(lines))
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
